"""Two users act on the same case version at once, on two database connections."""

import threading

import pytest
from django.db import connection

from civicgrid.cases import services as svc
from civicgrid.cases.models import Case, CaseEvent, Status
from civicgrid.cases.tests.conftest import new_case


@pytest.mark.django_db(transaction=True)
def test_exactly_one_of_two_simultaneous_actions_wins(office):
    case = new_case(office)
    version = case.version
    events_before = CaseEvent.objects.filter(case=case).count()
    barrier = threading.Barrier(2, timeout=20)
    results: dict[str, object] = {}

    def act(name: str, call) -> None:
        try:
            mine = Case.objects.get(pk=case.pk)  # each thread: its own connection and copy
            barrier.wait()
            call(mine)
            results[name] = "ok"
        except svc.StaleCase as exc:
            results[name] = exc
        except Exception as exc:  # noqa: BLE001  (reported by the assertions below)
            results[name] = exc
        finally:
            connection.close()

    dispatcher = office.people["dispatcher"]
    threads = [
        threading.Thread(target=act, args=("accept", lambda c: svc.case_act("accept",
            case=c, actor=dispatcher, expected_version=version))),
        threading.Thread(target=act, args=("reject", lambda c: svc.case_act("reject",
            case=c, actor=dispatcher, expected_version=version, reason="重复反映"))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    outcomes = sorted(type(v).__name__ if v != "ok" else "ok" for v in results.values())
    assert outcomes == ["StaleCase", "ok"], results
    loser = next(v for v in results.values() if v != "ok")
    assert str(loser.message) == "该事件已被他人更新,请刷新页面后再操作。"
    case.refresh_from_db()
    assert case.version == version + 1
    assert case.status in (Status.ACCEPTED, Status.REJECTED)
    assert CaseEvent.objects.filter(case=case).count() == events_before + 1
    assert connection.vendor in ("postgresql", "sqlite")

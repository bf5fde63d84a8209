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


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_intakes_with_one_idempotency_key_make_one_case(office):
    """The stored answer is the last write of the intake's transaction: the second request
    with the same key waits on it, finds the key taken, undoes its own work and replays
    the first answer, byte for byte."""
    from django.test import Client

    from civicgrid.api.models import IdempotencyRecord
    from civicgrid.api.services import api_token_create
    from civicgrid.audit.models import AuditEntry
    from civicgrid.cases.models import Party

    _token, plain = api_token_create(name="t", unit=office.centre_a, actions=["cases:create"],
                                     actor=None, rate_limit_per_minute=10_000)
    body = {"category": "9102", "description": "路口积水严重影响通行", "lng": 120.81,
            "lat": 31.91, "parties": [{"role": "applicant", "name": "王芳"}]}
    before = (Case.objects.count(), Party.objects.count(), AuditEntry.objects.count())
    barrier = threading.Barrier(2, timeout=20)
    answers: list[object] = []

    def post() -> None:
        try:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
            barrier.wait()
            answers.append(client.post("/api/v1/cases", body, content_type="application/json",
                                       HTTP_IDEMPOTENCY_KEY="same-key"))
        except Exception as exc:  # noqa: BLE001  (reported by the assertions below)
            answers.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [getattr(a, "status_code", a) for a in answers] == [201, 201], answers
    first, second = answers
    assert first.content == second.content  # type: ignore[union-attr]
    assert sorted(a.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]  # type: ignore[union-attr]
    assert (Case.objects.count(), Party.objects.count(), AuditEntry.objects.count()) == (
        before[0] + 1, before[1] + 1, before[2] + 1)
    assert IdempotencyRecord.objects.filter(key="same-key").count() == 1

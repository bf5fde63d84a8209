"""One rule, one place: the same bad input sent through the page and through the JSON API
(and, for intake, Open311) gets the same refusal and changes nothing.

For every transition the table below names, by hand, an input that the service itself must
refuse (not only a form or a schema): a unit that may not take the case, a whitespace
reason, a hand-off to the wrong kind of institution, a merge into a case out of scope, ...
and the message a person reads. Transitions whose input has no rule of its own are sent
with a stale version. Everyone out of scope gets 404 on both channels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from civicgrid.cases.models import Case, HandOff, Outcome, Status
from civicgrid.cases.tests.conftest import new_case, snapshot
from civicgrid.cases.tests.test_workflow import EXPECTED, arguments, perform, put_in_status
from civicgrid.testing import build_office, shared

# The district (civicgrid/cases/tests/conftest.py), built once for this module and rolled
# back after each test (civicgrid/testing.py).
office_once, office = shared(build_office, name="office")


@dataclass
class Bad:
    status: str
    actor: str
    page: dict[str, Any] = field(default_factory=dict)
    api: dict[str, Any] | None = None  # None: the same as the page's
    message: str = ""  # "" : sent with a stale version (409 in the API)
    prepare: str = ""


def _units(office) -> dict[str, Any]:
    return {"court": office.court, "police": office.police,
            "community": office.community_committee}


COURT_REFUSED = "不能承办该事件"
BAD: dict[str, Bad] = {
    "accept": Bad(Status.REGISTERED, "dispatcher"),
    "reject": Bad(Status.REGISTERED, "dispatcher", {"reason": "   "}, message="请填写理由。"),
    "dispatch": Bad(Status.ACCEPTED, "dispatcher", {"unit": "court"}, message=COURT_REFUSED),
    "return": Bad(Status.HANDLING, "mediator", {"reason": " "}, message="请填写理由。"),
    "transfer": Bad(Status.HANDLING, "dispatcher", {"unit": "court", "reason": "属地管理"},
                    message=COURT_REFUSED),
    "escalate": Bad(Status.HANDLING, "mediator", {"reason": "涉及面广"},
                    message="已在区级处置,不能再上报。", prepare="county"),
    "hand_off": Bad(Status.HANDLING, "mediator", {"kind": "police", "to_unit": "court"},
                    message="接收单位与对接类型不符。"),
    "acknowledge_handoff": Bad(Status.HANDED_OFF, "police", message="该对接已签收。",
                               prepare="acknowledged"),
    "handoff_outcome": Bad(Status.HANDED_OFF, "police", {"outcome": "  "},
                           message="请填写对接结果。"),
    "record_session": Bad(Status.HANDLING, "mediator",
                          {"held_at": "future", "attendees": "张三、李四", "notes": "双方陈述"},
                          message="调解时间不能晚于现在。"),
    "resolve": Bad(Status.HANDLING, "mediator", {
        "outcome": Outcome.ANSWERED, "note": "已答复", "with_agreement": "on",
        "facts": "噪音", "disputed_matters": "施工时间", "terms": "晚十点后停工",
        "performance": "即日起"}, api={
        "outcome": Outcome.ANSWERED, "note": "已答复", "agreement": {
            "facts": "噪音", "disputed_matters": "施工时间", "terms": ["晚十点后停工"],
            "performance": "即日起"}}, message="只有调解成功才能制作调解协议书。"),
    "verify": Bad(Status.RESOLVED, "grid"),
    "rework": Bad(Status.RESOLVED, "grid", {"reason": "\t"}, message="请填写理由。"),
    "follow_up": Bad(Status.VERIFIED, "grid", {"satisfaction": "5"}, api={"satisfaction": 5}),
    "close": Bad(Status.FOLLOWED_UP, "dispatcher"),
    "reopen": Bad(Status.CLOSED, "dispatcher", {"reason": " "}, message="请填写理由。"),
    "suspend": Bad(Status.HANDLING, "dispatcher", {"reason": " "}, message="请填写理由。"),
    "resume": Bad(Status.SUSPENDED, "dispatcher"),
    "request_extension": Bad(Status.HANDLING, "mediator", {"days": "31", "reason": "补充材料"},
                             api={"days": 31, "reason": "补充材料"},
                             message="该类事件累计延期不得超过 30 天。"),
    "decide_extension": Bad(Status.HANDLING, "dispatcher", {"approve": "true"},
                            api={"approve": True}, message="没有待审批的延期申请。"),
    "supervise": Bad(Status.HANDLING, "dispatcher", {"level": "yellow", "reason": " "},
                     message="请填写理由。"),
    "remind": Bad(Status.HANDLING, "dispatcher"),
    "merge": Bad(Status.HANDLING, "dispatcher", {"master": "outside", "reason": "重复"},
                 message="没有找到该编号的事件(或不在您的管辖范围内)。"),
    "attach": Bad(Status.HANDLING, "mediator", message="请选择文件。"),
}


def test_every_transition_has_a_bad_input():
    assert set(BAD) == set(EXPECTED)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _prepare(office, name: str, bad: Bad) -> Case:
    case = new_case(office)
    if bad.prepare == "county":
        Case.objects.filter(pk=case.pk).update(level="county", queue_area=office.world.county)
        case.refresh_from_db()
    case = put_in_status(office, case, bad.status, "")
    if bad.prepare == "acknowledged":
        HandOff.objects.filter(case=case).update(acknowledged_at=timezone.now())
    if name == "request_extension":
        case.category.max_extension_days = 30
        case.category.save(update_fields=["max_extension_days"])
    return case


def _values(office, data: dict[str, Any], *, api: bool) -> dict[str, Any]:
    units = _units(office)
    out = dict(data)
    for key in ("unit", "to_unit"):
        if key in out:
            unit = units[out[key]]
            out[key] = unit.code if api else unit.pk
    if out.get("held_at") == "future":
        moment = timezone.localtime() + timedelta(days=1)
        out["held_at"] = moment.isoformat() if api else moment.strftime("%Y-%m-%dT%H:%M")
    if out.get("master") == "outside":
        other = new_case(office, area=office.world.grid_b1, actor=office.people["outsider"])
        out["master"] = other.number
    return out


def _page(client, case: Case, name: str, data: dict[str, Any], version: int):
    url = reverse("cases:action", args=[case.number, name])
    payload = {"version": version, **data}
    return client.post(url, payload, HTTP_HX_REQUEST="true")


def _api(client, case: Case, name: str, data: dict[str, Any], version: int):
    if name == "attach":
        return client.post(f"/api/v1/cases/{case.number}/attachments", {"version": version})
    return client.post(f"/api/v1/cases/{case.number}/actions/{name}",
                       {"version": version, **data}, content_type="application/json")


@pytest.mark.parametrize("name", list(BAD))
def test_page_and_api_refuse_the_same_bad_input_alike(office, name):
    bad = BAD[name]
    case = _prepare(office, name, bad)
    client = _client(office.people[bad.actor])
    page_data = _values(office, bad.page, api=False)
    api_data = _values(office, bad.api if bad.api is not None else bad.page, api=True)
    version = case.version
    if not bad.message:  # someone else changed the case since this version was read
        Case.objects.filter(pk=case.pk).update(version=version + 1)
    before = snapshot(case)
    page = _page(client, case, name, page_data, version)
    api = _api(client, case, name, api_data, version)
    html = page.content.decode()
    assert page.status_code == 200 and "HX-Redirect" not in page, html[:400]
    if bad.message:
        body = api.json()
        assert api.status_code in (400, 409), body
        assert bad.message in body["message"], body
        # The page shows the very message the API gives.
        for message in body["message"].split("; "):
            assert message in html, (message, html[:2000])
    else:
        assert api.status_code == 409 and api.json()["code"] == "stale_version"
        assert "该事件已被他人更新" in html
    assert snapshot(case) == before


@pytest.mark.parametrize("name", list(BAD))
def test_out_of_scope_is_missing_on_both_channels(office, name):
    bad = BAD[name]
    case = _prepare(office, name, bad)
    client = _client(office.people["outsider"])
    page_data = _values(office, bad.page, api=False)
    api_data = _values(office, bad.api or bad.page, api=True)
    before = snapshot(case)
    page = _page(client, case, name, page_data, case.version)
    api = _api(client, case, name, api_data, case.version)
    assert page.status_code == 404
    assert api.status_code in (403, 404)  # a grid worker may not use most actions at all
    assert snapshot(case) == before


def test_api_dispatch_to_the_court_is_refused_with_the_pages_message(office):
    """The issue's case: a street dispatcher dispatches to the district court through the
    API; refused (409) with the same message as the page, and nothing changed."""
    case = put_in_status(office, new_case(office), Status.ACCEPTED, "")
    client = _client(office.people["dispatcher"])
    before = snapshot(case)
    api = _api(client, case, "dispatch", {"unit": office.court.code}, case.version)
    page = _page(client, case, "dispatch", {"unit": office.court.pk}, case.version)
    assert api.status_code == 409 and api.json()["code"] == "rule_violation"
    message = api.json()["message"]
    assert message == ("崇川区人民法院 不能承办该事件:承办单位须在城东街道辖区内、"
                       "所在区域包含事发地且不低于事件的处置层级。")
    assert message in page.content.decode()
    assert snapshot(case) == before
    # And the page's select never offered it.
    form = client.get(reverse("cases:action", args=[case.number, "dispatch"]),
                      HTTP_HX_REQUEST="true").content.decode()
    assert f'<option value="{office.court.pk}"' not in form
    assert f'<option value="{office.world.unit_a.pk}"' in form


def test_attach_refuses_no_files_on_both_channels(office):
    case = put_in_status(office, new_case(office), Status.HANDLING, "")
    client = _client(office.people["mediator"])
    page = client.post(reverse("cases:action", args=[case.number, "attach"]),
                       {"version": case.version}, HTTP_HX_REQUEST="true")
    assert "请选择文件。" in page.content.decode()
    ok = client.post(f"/api/v1/cases/{case.number}/attachments", {
        "version": case.version,
        "files": [SimpleUploadedFile("a.pdf", b"%PDF-1.4 test", "application/pdf")]})
    assert ok.status_code == 200 and len(ok.json()["attachments"]) == 1


# --- intake: the place must be in the actor's jurisdiction, on every channel ------------------

def test_intake_outside_the_jurisdiction_is_refused_alike(office):
    """Street A's dispatcher registers a place in street B: the page (by map point), the API
    (by area code and by point) and the service all give the same message; nothing."""
    from civicgrid.audit.models import AuditEntry

    client = _client(office.people["dispatcher"])
    counts = Case.objects.count(), AuditEntry.objects.count()
    message = "该位置不在您的管辖范围内。"
    page = client.post(reverse("cases:new"), {
        "category": office.neighbour.pk, "description": "路口积水严重影响通行",
        "channel": "window", "people_band": "lt50", "lng": "120.92", "lat": "31.92",
        "party-TOTAL_FORMS": "0", "party-INITIAL_FORMS": "0"})
    assert page.status_code == 400 and message in page.content.decode()
    for body in ({"area": office.world.grid_b1.code}, {"lng": 120.92, "lat": 31.92}):
        api = client.post("/api/v1/cases", {"category": "9102", "description": "路口积水严重",
                                            **body}, content_type="application/json")
        assert api.status_code == 409 and api.json()["message"] == message
    assert (Case.objects.count(), AuditEntry.objects.count()) == counts


def test_the_same_out_of_scope_actor_is_refused_by_the_service(office):
    """Whoever calls case_intake without a form: the rule is the service's."""
    from civicgrid.core.errors import RuleViolation

    with pytest.raises(RuleViolation):
        new_case(office, area=office.world.grid_b1, actor=office.people["dispatcher"])
    assert not Case.objects.filter(area=office.world.grid_b1).exists()


def test_arguments_table_is_usable_for_every_row(office):
    """The workflow tests' arguments are the typed inputs of each row."""
    case = put_in_status(office, new_case(office), Status.HANDLING, "record_session")
    perform(office, "record_session", case, office.people["mediator"],
            arguments(office, "record_session", case))
    assert case.sessions.count() == 1

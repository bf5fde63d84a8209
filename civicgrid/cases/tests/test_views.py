"""The case pages: intake, inboxes and list, the case page, every action form, the reveal
of personal data, attachments, documents and notices (Django test client)."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from civicgrid.audit.models import AuditEntry
from civicgrid.cases import services as svc
from civicgrid.cases.forms import form_class_for
from civicgrid.cases.models import (
    Agreement,
    Attachment,
    Case,
    CaseEvent,
    MediationSession,
    Party,
    Status,
)
from civicgrid.cases.selectors import inbox_counts
from civicgrid.cases.services import PartyInput, StaleCase, allowed_transitions
from civicgrid.cases.tests.conftest import new_case, snapshot
from civicgrid.cases.tests.test_workflow import PNG, actor_for, put_in_status
from civicgrid.cases.workflow import TRANSITIONS
from civicgrid.notices.models import Notice, NoticeKind
from civicgrid.testing import build_office, shared

# The district (civicgrid/cases/tests/conftest.py), built once for this module and rolled
# back after each test (civicgrid/testing.py).
office_once, office = shared(build_office, name="office")

INSIDE_A1 = (120.82, 31.92)  # a point in grid_a1 (square 120.80–120.85, 31.90–31.95)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def go(case, name, actor, **kwargs):
    case.refresh_from_db()
    return svc.case_act(name, case=case, actor=actor, expected_version=case.version, **kwargs)


def to_handling(office, case=None):
    case = case or new_case(office)
    go(case, "accept", office.people["dispatcher"])
    go(case, "dispatch", office.people["dispatcher"], unit=office.world.unit_a)
    return case


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def intake_data(office, **changes) -> dict:
    data = {
        "category": str(office.neighbour.pk),
        "description": "楼上住户深夜装修噪音扰民,多次协商无果",
        "lng": str(INSIDE_A1[0]), "lat": str(INSIDE_A1[1]), "area": "", "channel": "patrol",
        "address": "桃坞路12号", "happened_at": "", "people_band": "lt50",
        "party-TOTAL_FORMS": "2", "party-INITIAL_FORMS": "2", "party-MIN_NUM_FORMS": "0",
        "party-MAX_NUM_FORMS": "20",
        "party-0-role": "applicant", "party-0-name": "王芳", "party-0-phone": "13912345678",
        "party-1-role": "respondent", "party-1-name": "赵强",
    }
    data.update(changes)
    return data


# --- intake ------------------------------------------------------------------------------

def test_intake_form_for_a_grid_worker_is_short_and_preset(office):
    response = client_for(office.people["grid"]).get(reverse("cases:new"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="patrol" selected' in html  # channel: grid patrol
    assert f'value="{office.world.grid_a1.pk}" data-code="{office.world.grid_a1.code}" selected' \
        in html  # their only grid is preselected
    assert "更多信息(可选)" in html and 'cg-more" open' not in html
    assert 'capture="environment"' in html and 'accept="image/*,application/pdf"' in html
    assert html.count("data-party-row>") == 3  # applicant, respondent + the row template


def test_intake_form_for_a_dispatcher_defaults_to_the_window_and_opens_everything(office):
    html = client_for(office.people["dispatcher"]).get(reverse("cases:new")).content.decode()
    assert 'value="window" selected' in html
    assert 'cg-more" open' in html


def test_intake_success_registers_and_redirects(office):
    client = client_for(office.people["grid"])
    photo = SimpleUploadedFile("scene.png", PNG, "image/png")
    response = client.post(reverse("cases:new"), {**intake_data(office), "uploads": [photo]})
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.number])
    assert case.area == office.world.grid_a1 and case.reported_by == office.people["grid"]
    assert (case.lng, case.lat) == INSIDE_A1 and case.channel == "patrol"
    assert sorted(case.parties.values_list("name", flat=True)) == ["王芳", "赵强"]
    assert case.parties.get(name="王芳").phone_masked == "139****5678"
    assert case.attachments.get().original_name == "scene.png"
    page = client.get(response["Location"])
    assert f"事件已登记,编号 {case.number}。" in page.content.decode()


def test_intake_with_a_grid_but_no_point(office):
    client = client_for(office.people["grid"])
    data = intake_data(office, lng="", lat="", area=str(office.world.grid_a1.pk))
    assert client.post(reverse("cases:new"), data).status_code == 302
    assert Case.objects.get().lng is None


def test_intake_error_keeps_every_value_and_saves_nothing(office):
    client = client_for(office.people["dispatcher"])
    cases, parties, audit = Case.objects.count(), Party.objects.count(), AuditEntry.objects.count()
    data = intake_data(
        office, category=str(office.labour.pk), description="拖欠三名工人两个月工资",
        **{"attribute_kind": "wage", "party-TOTAL_FORMS": "3", "party-2-role": "other",
           "party-2-name": "第三人孙丽", "party-2-phone": "13700001111", "address": "工地东门",
           "is_group": "on", "people_band": "50-100", "channel": "hotline"})
    photo = SimpleUploadedFile("scene.png", PNG, "image/png")
    response = client.post(reverse("cases:new"), {**data, "uploads": [photo]})
    assert response.status_code == 400
    assert (Case.objects.count(), Party.objects.count(), AuditEntry.objects.count()) == (
        cases, parties, audit)
    html = response.content.decode()
    assert "“涉及金额”为必填项。" in html  # the required attribute, next to its input
    assert 'data-error-for="attribute_amount"' in html
    assert "拖欠三名工人两个月工资" in html and "工地东门" in html
    for name in ("王芳", "赵强", "第三人孙丽", "13700001111"):
        assert f'value="{name}"' in html
    assert 'value="wage" selected' in html  # the other attribute kept its value
    assert f'value="{office.labour.pk}" data-group="91" selected' in html
    assert 'value="hotline" selected' in html and 'value="50-100" selected' in html
    assert 'name="is_group" class="form-check-input" id="id_is_group" checked' in html
    assert f'value="{INSIDE_A1[0]}"' in html  # the point stays on the map
    assert "请重新选择" in html  # files cannot be kept by the browser: say so


def test_intake_field_errors_are_shown_next_to_the_fields(office):
    client = client_for(office.people["dispatcher"])
    data = intake_data(office, description="吵", **{"party-1-id_number": "110105194912310021"})
    html = client.post(reverse("cases:new"), data).content.decode()
    assert 'data-error-for="id_number"' in html  # wrong check digit
    assert Case.objects.count() == 0
    html = client.post(reverse("cases:new"), intake_data(office, description="吵")).content.decode()
    assert 'data-error-for="description"' in html and "至少2个字" in html
    html = client.post(reverse("cases:new"), intake_data(office, lng="", lat="")).content.decode()
    assert 'data-error-for="area"' in html
    assert Case.objects.count() == 0


def test_intake_refuses_a_category_with_children(office):
    client = client_for(office.people["dispatcher"])
    parent = office.neighbour.parent
    response = client.post(reverse("cases:new"), intake_data(office, category=str(parent.pk)))
    assert response.status_code == 400
    assert 'data-error-for="category"' in response.content.decode()
    assert Case.objects.count() == 0


def test_attributes_partial(office):
    client = client_for(office.people["grid"])
    url = reverse("cases:new_attributes")
    html = client.get(url, {"category": office.labour.pk}).content.decode()
    assert 'name="attribute_amount"' in html and 'type="number"' in html and "涉及金额" in html
    assert '<select class="form-select" id="id_attribute_kind" name="attribute_kind">' in html
    assert "拖欠工资" in html and "工伤" in html
    assert client.get(url, {"category": office.neighbour.pk}).content.decode().strip() == ""
    assert client.get(url, {"category": "x"}).status_code == 200


def test_duplicates_partial(office):
    existing = new_case(office, lng=INSIDE_A1[0], lat=INSIDE_A1[1])
    client = client_for(office.people["dispatcher"])
    url = reverse("cases:new_duplicates")
    same_party = client.post(url, {"party-0-phone": "138 1234 5678", "description": ""})
    html = same_party.content.decode()
    assert existing.number in html and "同一当事人" in html
    nearby = client.post(url, {"category": office.neighbour.pk, "lng": INSIDE_A1[0] + 0.0005,
                               "lat": INSIDE_A1[1], "description": ""}).content.decode()
    assert existing.number in nearby and "同类事件200米内" in nearby
    similar = client.post(url, {"description": "楼上住户深夜装修噪音扰民",
                                "area": office.world.grid_a1.pk}).content.decode()
    assert existing.number in similar and "描述相似" in similar
    assert existing.number not in client.post(url, {"description": ""}).content.decode()
    # Only what the user may see: the outsider (street B) gets nothing.
    outsider = client_for(office.people["outsider"])
    assert existing.number not in outsider.post(url, {"party-0-phone": "13812345678"}).content \
        .decode()


# --- list --------------------------------------------------------------------------------

def test_list_inbox_tabs_show_the_counts_of_inbox_counts(office):
    registered = new_case(office)
    handling = to_handling(office)
    dispatcher = office.people["dispatcher"]
    response = client_for(dispatcher).get(reverse("cases:list"))
    html = response.content.decode()
    counts = inbox_counts(actor=dispatcher)
    assert counts["dispatch"] == 1
    for name in ("mine", "dispatch", "verify", "overdue", "supervised"):
        assert re.search(rf'data-inbox="{name}".*?data-count="{counts[name]}"', html, re.S)
    assert 'data-inbox="unit"' not in html  # the dispatch centre handles no cases itself
    assert registered.number in html and handling.number not in html  # default: mine
    mediator = client_for(office.people["mediator"]).get(reverse("cases:list")).content.decode()
    assert 'data-inbox="dispatch"' not in mediator and 'data-inbox="unit"' in mediator
    assert handling.number in mediator and registered.number not in mediator


def test_list_filters(office):
    dispatcher = client_for(office.people["dispatcher"])
    neighbour = new_case(office, description="邻居家狗夜间吠叫扰民严重")
    labour = new_case(office, category=office.labour, attributes={"amount": 12000},
                      description="装修公司拖欠两名工人工资", channel="hotline",
                      area=office.world.grid_a2)
    to_handling(office, neighbour)
    url = reverse("cases:list")

    def numbers(**params):
        html = dispatcher.get(url, {"inbox": "all", **params}).content.decode()
        return set(re.findall(r'data-number="([^"]+)"', html))

    assert numbers() == {neighbour.number, labour.number}
    assert numbers(status="handling") == {neighbour.number}
    assert numbers(category="9103") == {labour.number}
    assert numbers(category="91") == {neighbour.number, labour.number}
    assert numbers(channel="hotline") == {labour.number}
    assert numbers(area=office.world.community_a.code) == {neighbour.number, labour.number}
    assert numbers(q=labour.number) == {labour.number}
    assert numbers(q="吠叫") == {neighbour.number}
    go(labour, "supervise", office.people["dispatcher"], level="red", reason="拖欠工资影响稳定")
    assert numbers(supervision="red") == {labour.number}
    assert numbers(inbox="supervised") == {labour.number}
    html = dispatcher.get(url, {"inbox": "supervised"}).content.decode()
    assert "cg-sup-red" in html and "红牌" in html
    # Out of scope: the outsider's list does not show street A's cases.
    outsider = client_for(office.people["outsider"]).get(url, {"inbox": "all"})
    assert neighbour.number not in outsider.content.decode()


def test_list_shows_the_deadline_state_and_overdue_multiple(office):
    case = new_case(office)
    now = timezone.now()
    Case.objects.filter(pk=case.pk).update(stage_started_at=now - timedelta(days=6),
                                           stage_due_at=now - timedelta(days=3))
    html = client_for(office.people["dispatcher"]).get(
        reverse("cases:list"), {"inbox": "overdue"}).content.decode()
    assert 'data-state="overdue"' in html and "超时2.0倍" in html  # the multiple, on hover
    assert ">超时3天</strong>" in html  # and how long, in days
    Case.objects.filter(pk=case.pk).update(stage_due_at=now - timedelta(hours=4, minutes=10))
    html = client_for(office.people["dispatcher"]).get(
        reverse("cases:list"), {"inbox": "overdue"}).content.decode()
    assert ">超时5小时</strong>" in html  # under a day: hours, rounded up
    detail = client_for(office.people["dispatcher"]).get(
        reverse("cases:detail", args=[case.number])).content.decode()
    assert "已超时 5小时" in detail


def test_list_keyset_pagination_with_htmx(office):
    for i in range(55):
        new_case(office, description=f"第{i}号测试事件情况描述")
    client = client_for(office.people["dispatcher"])
    first = client.get(reverse("cases:list"), {"inbox": "all"}).content.decode()
    assert first.count('class="cg-case-row"') == 50 and "加载更多" in first
    cursor = re.search(r'cursor=([^"&]+)', first).group(1)
    more = client.get(reverse("cases:list"), {"inbox": "all", "cursor": cursor},
                      HTTP_HX_REQUEST="true").content.decode()
    assert more.count('class="cg-case-row"') == 5 and "<html" not in more


def _count_queries(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_queries_do_not_grow_with_rows(office):
    client = client_for(office.people["dispatcher"])
    url = reverse("cases:list")
    for _ in range(3):
        to_handling(office)
    _count_queries(client, url, inbox="all")  # the process's reference caches, once
    small = _count_queries(client, url, inbox="all")
    for _ in range(27):
        to_handling(office)
    large = _count_queries(client, url, inbox="all")
    assert Case.objects.count() == 30
    assert large == small, f"{small} queries for 3 cases, {large} for 30"


def test_case_page_queries_do_not_grow_with_events_and_parties(office):
    def case_with(n):
        case = new_case(office, parties=[PartyInput(role="applicant", name=f"当事人{i}",
                                                    phone=f"1381234{i:04d}")
                                         for i in range(n)])
        to_handling(office, case)
        for i in range(n):
            go(case, "record_session", office.people["mediator"], held_at=timezone.now(),
               attendees="双方", notes=f"第{i}次调解")
            go(case, "remind", office.people["dispatcher"])
        return case

    client = client_for(office.people["mediator"])
    small = _count_queries(client, reverse("cases:detail", args=[case_with(3).number]))
    large_case = case_with(30)
    assert large_case.events.count() > 60
    large = _count_queries(client, reverse("cases:detail", args=[large_case.number]))
    assert large == small, f"{small} queries for 3 events/parties, {large} for 30"


# --- the case page -------------------------------------------------------------------------

def _actions(html: str) -> set[str]:
    return set(re.findall(r'data-action="([a-z_]+)"', html))


@pytest.mark.parametrize("who", ["grid", "dispatcher", "mediator", "leader"])
def test_case_page_offers_exactly_the_allowed_transitions(office, who):
    case = to_handling(office)
    user = office.people[who]
    html = client_for(user).get(reverse("cases:detail", args=[case.number])).content.decode()
    assert _actions(html) == {t.name for t in allowed_transitions(case, user)}


def test_case_page_shows_the_case(office):
    case = new_case(office, lng=INSIDE_A1[0], lat=INSIDE_A1[1], category=office.labour,
                    attributes={"amount": 12000, "kind": "wage"},
                    description="拖欠三名工人两个月工资",
                    uploads=[SimpleUploadedFile("scene.png", PNG, "image/png")])
    html = client_for(office.people["grid"]).get(
        reverse("cases:detail", args=[case.number])).content.decode()
    assert case.number in html and "拖欠三名工人两个月工资" in html
    assert "涉及金额" in html and "12000.0" in html and "拖欠工资" in html  # attribute + value name
    assert "138****5678" in html and "13812345678" not in html  # parties masked
    assert "查看完整信息" not in html  # a grid worker may not reveal
    attachment = case.attachments.get()
    assert reverse("cases:attachment_thumb", args=[case.number, attachment.pk]) in html
    assert "/media/" not in html
    assert 'id="case-map-data"' in html and str(INSIDE_A1[0]) in html
    assert 'data-event="registered"' in html and "待受理" in html


def test_case_page_of_another_street_is_404_like_a_missing_one(office):
    case = new_case(office)
    client = client_for(office.people["outsider"])
    assert client.get(reverse("cases:detail", args=[case.number])).status_code == 404
    assert client.get(reverse("cases:detail", args=["320602-20990101-99999"])).status_code == 404
    assert client.get(reverse("cases:action", args=[case.number, "accept"])).status_code == 404


def test_case_page_warns_about_fallback_deadlines(office):
    case = new_case(office)
    Case.objects.filter(pk=case.pk).update(due_fallback_years="2099")
    html = client_for(office.people["dispatcher"]).get(
        reverse("cases:detail", args=[case.number])).content.decode()
    assert 'data-deadline-fallback="2099"' in html and "2099年无官方节假日数据" in html


# --- actions -------------------------------------------------------------------------------

def action_url(case, name):
    return reverse("cases:action", args=[case.number, name])


def post_action(client, case, name, data=None, files=None, htmx=True):
    case.refresh_from_db()
    payload = {"version": case.version, **(data or {})}
    if files:
        payload.update(files)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(action_url(case, name), payload, **headers)


def test_the_whole_pipeline_through_the_action_forms(office):
    grid, dispatcher, mediator = (client_for(office.people[k])
                                  for k in ("grid", "dispatcher", "mediator"))
    case = new_case(office)
    detail = reverse("cases:detail", args=[case.number])

    form = dispatcher.get(action_url(case, "accept"), HTTP_HX_REQUEST="true").content.decode()
    assert f'name="version" value="{case.version}"' in form and "<html" not in form
    response = post_action(dispatcher, case, "accept", {"note": "属实,受理"})
    assert response.status_code == 200 and response["HX-Redirect"] == detail

    form = dispatcher.get(action_url(case, "dispatch"), HTTP_HX_REQUEST="true").content.decode()
    assert office.world.unit_a.name in form and office.world.unit_b.name not in form
    response = post_action(dispatcher, case, "dispatch", {"unit": office.world.unit_a.pk})
    assert response["HX-Redirect"] == detail
    case.refresh_from_db()
    assert case.status == Status.HANDLING and case.assigned_unit == office.world.unit_a

    response = post_action(mediator, case, "record_session", {
        "held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "place": "调解室",
        "attendees": "张三、李四", "notes": "双方同意赔偿并停止夜间施工"})
    assert response["HX-Redirect"] == detail
    assert MediationSession.objects.get(case=case).place == "调解室"

    response = post_action(mediator, case, "resolve", {
        "outcome": "mediated", "note": "调解成功", "with_agreement": "on",
        "facts": "李四装修夜间施工影响张三休息", "disputed_matters": "施工时间与赔偿",
        "responsibilities": "李四负主要责任", "terms": "李四每晚八点后停止施工\n李四赔偿张三500元",
        "performance": "签订之日起三日内付清", "signed_on": timezone.localdate().isoformat(),
        "copies": "3"})
    assert response["HX-Redirect"] == detail
    agreement = Agreement.objects.get(case=case)
    assert agreement.terms == ["李四每晚八点后停止施工", "李四赔偿张三500元"]

    assert post_action(grid, case, "verify", {"note": "现场核实"})["HX-Redirect"] == detail
    response = post_action(dispatcher, case, "follow_up", {"satisfaction": "4", "note": "满意"})
    assert response["HX-Redirect"] == detail
    response = post_action(dispatcher, case, "close", htmx=False)
    assert response.status_code == 302 and response["Location"] == detail
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.satisfaction == 4
    page = dispatcher.get(detail).content.decode()
    assert "“结案”已完成。" in page and "已结案" in page


FORM_DATA = {
    "reject": {"reason": "不属于受理范围"},
    "return": {"reason": "不属于本单位职责"},
    "escalate": {"reason": "涉及面广"},
    "hand_off": {"kind": "police"},
    "handoff_outcome": {"outcome": "已出警处理"},
    "record_session": {"held_at": "2026-01-05T10:00", "attendees": "张三、李四",
                       "notes": "双方各自陈述"},
    "resolve": {"outcome": "disposed", "note": "已处置完毕"},
    "rework": {"reason": "现场核查问题仍存在"},
    "follow_up": {"satisfaction": "5"},
    "reopen": {"reason": "当事人反映未履行"},
    "suspend": {"reason": "等待司法鉴定"},
    "request_extension": {"days": "5", "reason": "需要补充材料"},
    "decide_extension": {"approve": "true"},
    "supervise": {"level": "yellow", "reason": "群众反映强烈"},
    "remind": {"message": "请尽快办理"},
    "merge": {"reason": "重复反映"},
}


def _valid_status(transition) -> str:
    statuses = sorted(transition.sources)
    return Status.HANDLING if Status.HANDLING in statuses else statuses[0]


@pytest.mark.parametrize("name", list(TRANSITIONS))
def test_every_action_form_posts_to_its_service(office, name):
    transition = TRANSITIONS[name]
    case = put_in_status(office, new_case(office), _valid_status(transition), name)
    user = actor_for(office, transition)
    client = client_for(user)
    form = client.get(action_url(case, name), HTTP_HX_REQUEST="true")
    assert form.status_code == 200 and 'name="version"' in form.content.decode()
    data = dict(FORM_DATA.get(name, {}))
    files = None
    if name in ("dispatch", "transfer"):
        data["unit"] = office.community_committee.pk
        data.setdefault("reason", "属地管理")
    if name == "hand_off":
        data["to_unit"] = office.police.pk
    if name == "merge":
        data["master"] = new_case(office, description="同一纠纷的另一次反映,作为主件").number
    if name == "attach":
        files = {"uploads": [SimpleUploadedFile("a.png", PNG, "image/png")]}
    events = CaseEvent.objects.filter(case=case).count()
    response = post_action(client, case, name, data, files)
    assert response.status_code == 200, response.content.decode()[:500]
    assert "HX-Redirect" in response, response.content.decode()
    assert CaseEvent.objects.filter(case=case).count() > events


def test_every_transition_has_a_form_and_required_reasons():
    for name, transition in TRANSITIONS.items():
        form_class = form_class_for(transition)
        assert form_class.input_type is transition.input, name
        fields = form_class.base_fields
        if transition.reason_required and name not in ("supervise", "merge"):
            assert "reason" in fields and fields["reason"].required, name


def test_stale_version_changes_nothing_and_says_so(office):
    case = new_case(office)
    client = client_for(office.people["dispatcher"])
    stale = case.version
    go(case, "supervise", office.people["dispatcher"], level="yellow", reason="群众反映强烈")
    case.refresh_from_db()
    before = snapshot(case)
    response = client.post(action_url(case, "accept"), {"version": stale, "note": ""},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "HX-Redirect" not in response
    assert str(StaleCase.message) in response.content.decode()
    assert snapshot(case) == before


def test_transition_not_allowed_now_is_a_message(office):
    case = new_case(office)
    client = client_for(office.people["dispatcher"])
    before = snapshot(case)
    for response in (client.get(action_url(case, "close"), HTTP_HX_REQUEST="true"),
                     client.post(action_url(case, "close"), {"version": case.version},
                                 HTTP_HX_REQUEST="true")):
        assert response.status_code == 200
        html = response.content.decode()
        assert 'data-testid="action-problem"' in html and "不能执行“结案”" in html
    assert snapshot(case) == before


def test_action_by_someone_who_is_not_an_actor_is_403(office):
    case = new_case(office)
    before = snapshot(case)
    client = client_for(office.people["grid"])
    assert client.get(action_url(case, "accept")).status_code == 403
    assert client.post(action_url(case, "accept"), {"version": case.version}).status_code == 403
    assert snapshot(case) == before


def test_validation_errors_keep_the_input(office):
    case = new_case(office)
    client = client_for(office.people["dispatcher"])
    before = snapshot(case)
    html = post_action(client, case, "reject", {"reason": " "}).content.decode()
    assert "请填写理由" in html and 'data-error-for="reason"' in html
    go(case, "accept", office.people["dispatcher"])
    before = snapshot(case)
    html = post_action(client, case, "dispatch", {"note": "请尽快办理", "unit": "999999"}
                       ).content.decode()
    assert "没有该单位" in html and "请尽快办理" in html
    assert snapshot(case) == before
    go(case, "dispatch", office.people["dispatcher"], unit=office.world.unit_a)
    mediator = client_for(office.people["mediator"])
    before = snapshot(case)
    html = post_action(mediator, case, "resolve", {
        "outcome": "mediated", "note": "调解成功", "with_agreement": "on",
        "facts": "事实部分", "terms": ""}).content.decode()
    assert "制作协议书时此项必填" in html and "事实部分" in html
    assert snapshot(case) == before and not Agreement.objects.exists()
    # A service's own refusal (too many extension days) is shown next to the field.
    html = post_action(mediator, case, "request_extension",
                       {"days": "99", "reason": "需要鉴定"}).content.decode()
    assert "累计延期不得超过" in html and 'data-error-for="days"' in html


def test_action_page_without_javascript(office):
    case = new_case(office)
    client = client_for(office.people["dispatcher"])
    page = client.get(action_url(case, "accept"))
    assert page.status_code == 200 and "<html" in page.content.decode()
    response = client.post(action_url(case, "accept"), {"version": case.version})
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.number])


def test_unknown_transition_does_not_resolve(office):
    case = new_case(office)
    response = client_for(office.people["dispatcher"]).get(
        f"/cases/{case.number}/actions/delete_everything/")
    assert response.status_code == 404


# --- personal data -------------------------------------------------------------------------

def test_reveal_needs_a_reason_is_audited_and_never_cached(office):
    case = to_handling(office, new_case(office, parties=[PartyInput(
        role="applicant", name="张三", phone="13812345678", id_number="11010519491231002X")]))
    party = case.parties.get()
    client = client_for(office.people["mediator"])
    url = reverse("cases:party_reveal", args=[case.number, party.pk])
    page = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert "查看完整信息" in page and url in page
    assert 'name="reason"' in client.get(url).content.decode()
    audit = AuditEntry.objects.filter(event_type="pii.revealed").count()
    refused = client.post(url, {"reason": "  "})
    assert "请填写理由" in refused.content.decode() and "13812345678" not in \
        refused.content.decode()
    assert AuditEntry.objects.filter(event_type="pii.revealed").count() == audit
    response = client.post(url, {"reason": "电话联系当事人安排调解"})
    html = response.content.decode()
    assert "13812345678" in html and "11010519491231002X" in html
    assert "no-store" in response["Cache-Control"]
    entries = AuditEntry.objects.filter(event_type="pii.revealed").order_by("id")
    assert entries.count() == audit + 2
    assert {e.details["field"] for e in entries} == {"phone", "id_number"}
    assert all(e.details["reason"] == "电话联系当事人安排调解" for e in entries)
    assert all(e.actor == office.people["mediator"] for e in entries)


def test_reveal_refused_without_the_permission_or_out_of_scope(office):
    case = new_case(office)
    party = case.parties.first()
    url = reverse("cases:party_reveal", args=[case.number, party.pk])
    assert client_for(office.people["grid"]).post(url, {"reason": "好奇"}).status_code == 403
    other = new_case(office, area=office.world.grid_b1)
    wrong_case = reverse("cases:party_reveal", args=[case.number, other.parties.first().pk])
    assert client_for(office.people["dispatcher"]).get(wrong_case).status_code == 404
    assert not AuditEntry.objects.filter(event_type="pii.revealed").exists()


# --- attachments -----------------------------------------------------------------------------

def test_attachments_are_served_through_an_access_check(office):
    case = new_case(office, uploads=[SimpleUploadedFile("scene.png", PNG, "image/png")])
    attachment = case.attachments.get()
    url = reverse("cases:attachment", args=[case.number, attachment.pk])
    thumb = reverse("cases:attachment_thumb", args=[case.number, attachment.pk])
    client = client_for(office.people["grid"])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    thumb_response = client.get(thumb)
    assert thumb_response.status_code == 200 and thumb_response["Content-Type"] == "image/jpeg"
    assert "private" in response["Cache-Control"]
    outsider = client_for(office.people["outsider"])
    assert outsider.get(url).status_code == 404 and outsider.get(thumb).status_code == 404
    # An attachment of another case cannot be reached through this case's number.
    other = new_case(office, uploads=[SimpleUploadedFile("b.png", PNG, "image/png")])
    foreign = reverse("cases:attachment", args=[case.number, other.attachments.get().pk])
    assert client.get(foreign).status_code == 404


def test_a_pdf_attachment_has_no_thumbnail(office):
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    case = new_case(office, uploads=[SimpleUploadedFile("letter.pdf", pdf, "application/pdf")])
    attachment = case.attachments.get()
    client = client_for(office.people["grid"])
    response = client.get(reverse("cases:attachment", args=[case.number, attachment.pk]))
    assert response["Content-Type"] == "application/pdf"
    thumb = reverse("cases:attachment_thumb", args=[case.number, attachment.pk])
    assert client.get(thumb).status_code == 404
    assert Attachment.objects.count() == 1


# --- documents ---------------------------------------------------------------------------

def _with_agreement(office):
    case = to_handling(office)
    go(case, "record_session", office.people["mediator"], held_at=timezone.now(),
       attendees="张三、李四", notes="调解")
    go(case, "resolve", office.people["mediator"], outcome="mediated", note="调解成功",
       agreement=svc.AgreementInput(facts="噪音扰民", disputed_matters="施工时间",
                                    terms=["晚八点后停止施工"], performance="即日起履行"))
    case.refresh_from_db()
    return case


def test_agreement_pdf_has_the_parties_in_clear_and_is_audited(office):
    case = _with_agreement(office)
    client = client_for(office.people["mediator"])
    response = client.get(reverse("cases:agreement_pdf", args=[case.number]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and case.number in disposition
    assert "no-store" in response["Cache-Control"]
    text = pdf_text(response.content)
    assert "张三" in text and "李四" in text and "13812345678" in text
    assert "人民调解协议书" in text and "晚八点后停止施工" in text
    entry = AuditEntry.objects.get(event_type="document.agreement_downloaded")
    assert entry.actor == office.people["mediator"] and entry.subject_id == str(case.pk)


def test_agreement_pdf_refused_without_reveal_or_membership(office):
    case = _with_agreement(office)
    for who in ("grid", "leader"):
        response = client_for(office.people[who]).get(
            reverse("cases:agreement_pdf", args=[case.number]))
        assert response.status_code == 403, who
    assert client_for(office.people["outsider"]).get(
        reverse("cases:agreement_pdf", args=[case.number])).status_code == 404
    assert not AuditEntry.objects.filter(event_type="document.agreement_downloaded").exists()


def test_registration_pdf_has_masked_parties(office):
    case = new_case(office)
    response = client_for(office.people["grid"]).get(
        reverse("cases:registration_pdf", args=[case.number]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert case.number in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert "138****5678" in text and "13812345678" not in text
    assert "张三" in text and case.number in text and "受理登记表" in text


# --- notices and home ------------------------------------------------------------------------

def test_notices_unread_first_and_mark_read(office):
    case = to_handling(office)
    go(case, "supervise", office.people["dispatcher"], level="red", reason="群众反映强烈")
    go(case, "remind", office.people["dispatcher"])
    client = client_for(office.people["mediator"])
    home = client.get("/").content.decode()
    # The dispatch to their unit, the supervision and the reminder.
    assert 'data-testid="notice-count">3<' in home
    html = client.get(reverse("cases:notices")).content.decode()
    assert html.count("data-notice=") == 3 and "红牌督办" in html
    item = Notice.objects.filter(kind="supervision").get()
    response = client.post(reverse("cases:notices"), {"item": item.pk})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.read_at is not None
    html = client.get(reverse("cases:notices")).content.decode()
    assert 'data-testid="unread-count">2<' in html
    assert client.post(reverse("cases:notices"), {"item": "all"}).status_code == 302
    assert not Notice.objects.filter(read_at__isnull=True).exists()
    # Someone else's notice: 404, unchanged.
    other = Notice.objects.create(user=office.people["grid"], case=case, kind="reminder",
                                     message="x", created_at=timezone.now())
    assert client.post(reverse("cases:notices"), {"item": other.pk}).status_code == 404
    other.refresh_from_db()
    assert other.read_at is None


def test_home_page_shows_the_inbox_counts(office):
    new_case(office)
    client = client_for(office.people["dispatcher"])
    html = client.get("/").content.decode()
    assert 'data-testid="home-cases"' in html
    assert re.search(r'href="/cases/\?inbox=dispatch" data-inbox="dispatch">.*?data-count="1"',
                     html, re.S)
    assert 'href="/cases/"' in html and "登记事件" in html
    admin = client_for(office.world.users["administrator"]).get("/").content.decode()
    assert 'data-testid="home-cases"' not in admin


def test_out_of_scope_case_pages_answer_exactly_like_missing_ones(office):
    case = new_case(office, uploads=[SimpleUploadedFile("scene.png", PNG, "image/png")])
    client = client_for(office.people["outsider"])
    missing = "320602-20990101-99999"
    pairs = [
        (reverse("cases:detail", args=[missing]), reverse("cases:detail", args=[case.number])),
        (reverse("cases:registration_pdf", args=[missing]),
         reverse("cases:registration_pdf", args=[case.number])),
        (reverse("cases:attachment", args=[missing, 999999]),
         reverse("cases:attachment", args=[case.number, case.attachments.get().pk])),
    ]
    strip = re.compile(rb'(name="csrf-token" content|name="csrfmiddlewaretoken" value|'
                       rb'name="next" value)="[^"]+"')
    for a, b in pairs:
        first, second = client.get(a), client.get(b)
        assert first.status_code == second.status_code == 404
        assert strip.sub(b"", first.content) == strip.sub(b"", second.content)


def test_list_marks_deadlines_counted_without_calendar_data(office, client):
    case = new_case(office)
    Case.objects.filter(pk=case.pk).update(due_fallback_years="2031")
    client.force_login(office.people["dispatcher"])
    body = client.get("/cases/").content.decode()
    assert "按周末推算" in body and "2031年无官方节假日数据" in body


def test_notices_page_queries_do_not_grow_with_notices(office, client):

    case = new_case(office)
    user = office.people["mediator"]
    client.force_login(user)

    def add(n):
        for i in range(n):
            Notice.objects.create(unit=office.world.unit_a, case=case,
                                     kind=NoticeKind.REMINDER, message=f"催办 {i}",
                                     created_at=timezone.now())

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/cases/notices/").status_code == 200
        return len(ctx.captured_queries)

    add(3)
    small = count()
    add(30)
    assert count() == small

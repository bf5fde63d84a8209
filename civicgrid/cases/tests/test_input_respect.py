"""Issue 13 point 7, input that respects the person: long texts are refused with their
limit (never cut), one phone rule with the phone keypad, merging offers the detected
duplicates, and the routing note says where an escalated case went and why."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from civicgrid.audit.models import AuditEntry
from civicgrid.cases import services as svc
from civicgrid.cases.forms import IntakeForm, PartyForm, form_class_for
from civicgrid.cases.inputs import FactsInput
from civicgrid.cases.models import (
    AttributeType,
    Case,
    CaseEvent,
    CategoryAttribute,
    Channel,
    Party,
    RoutingRule,
    Status,
)
from civicgrid.cases.party_forms import PartyAddForm
from civicgrid.cases.services import PartyInput, normalize_phone
from civicgrid.cases.services.transitions import escalation_note
from civicgrid.cases.tests.conftest import new_case, snapshot
from civicgrid.cases.tests.test_workflow import put_in_status
from civicgrid.cases.workflow import TRANSITIONS
from civicgrid.portal.forms import RatingForm, ReportForm
from civicgrid.testing import build_office, shared

office_once, office = shared(build_office, name="office")

INSIDE_A1 = ("120.82", "31.92")  # a point in grid_a1


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def go(case, name, actor, **kwargs):
    case.refresh_from_db()
    return svc.case_act(name, case=case, actor=actor, expected_version=case.version, **kwargs)


def counts() -> dict:
    return {"cases": Case.objects.count(), "parties": Party.objects.count(),
            "events": CaseEvent.objects.count(), "audit": AuditEntry.objects.count()}


def intake_data(office, **changes) -> dict:
    data = {
        "category": str(office.neighbour.pk), "description": "楼上住户深夜装修噪音扰民",
        "lng": INSIDE_A1[0], "lat": INSIDE_A1[1], "area": "", "channel": "patrol",
        "address": "桃坞路12号", "happened_at": "", "people_band": "lt50",
        "party-TOTAL_FORMS": "1", "party-INITIAL_FORMS": "1", "party-MIN_NUM_FORMS": "0",
        "party-MAX_NUM_FORMS": "20",
        "party-0-role": "applicant", "party-0-name": "王芳", "party-0-phone": "13912345678",
    }
    data.update(changes)
    return data


# --- a. long text: refused with its limit, never cut ---------------------------------------

def test_description_of_4000_characters_is_kept_whole(office):
    text = "噪" * 4000
    case = new_case(office, description=text)
    assert Case.objects.get(pk=case.pk).description == text


@pytest.mark.parametrize("channel", list(Channel))
def test_a_longer_description_is_refused_with_the_limit_and_changes_nothing(office, channel):
    before = counts()
    with pytest.raises(ValidationError) as refused:
        new_case(office, channel=channel, description="噪" * 4001)
    assert refused.value.message_dict == {
        "description": ["情况描述最多4000个字,现有4001个字,请删减后再提交。"]}
    assert counts() == before


def test_staff_intake_page_refuses_a_long_description_and_keeps_it(office):
    client = client_for(office.people["dispatcher"])
    text = "吵" * 4001
    before = counts()
    html = client.post(reverse("cases:new"), intake_data(office, description=text)) \
        .content.decode()
    assert 'data-error-for="description">情况描述最多4000个字,现有4001个字' in html
    assert f"{text}</textarea>" in html  # nothing cut: the whole text comes back
    assert counts() == before


def test_long_textareas_carry_a_counter_not_a_cutting_maxlength(office):
    """The browser cuts a pasted text at maxlength without a word: the long texts carry
    data-maxlength for the counter (core/static/core/counter.js) instead."""
    html = str(IntakeForm(grids=Case.objects.none())["description"])
    assert 'data-maxlength="4000"' in html and " maxlength=" not in html
    assert 'data-over-text="超出{n}个字,请删减"' in html
    portal = str(ReportForm()["description"])
    assert 'data-maxlength="4000"' in portal and " maxlength=" not in portal
    assert 'data-maxlength="500"' in str(RatingForm()["comment"])
    case = new_case(office)
    for name in ("reject", "resolve", "merge", "escalate"):
        form = form_class_for(TRANSITIONS[name])(case=case, user=office.people["dispatcher"],
                                                 transition=TRANSITIONS[name])
        for field in form:
            if field.widget_type == "textarea":
                rendered = str(field)
                assert re.search(r'data-maxlength="\d+"', rendered), (name, field.name)
                assert " maxlength=" not in rendered, (name, field.name)
    add = PartyAddForm(case=case)
    assert 'data-maxlength="2000"' in str(add["note"])


def test_the_pages_load_the_counter_script(office, client):
    assert "/static/core/counter.js" in client.get("/portal/report/").content.decode()
    page = client_for(office.people["dispatcher"]).get(reverse("cases:new")).content.decode()
    assert "/static/core/counter.js" in page


def test_a_too_long_reason_in_a_dialog_is_refused_with_the_limit(office):
    case = new_case(office)
    before = snapshot(case)
    response = client_for(office.people["dispatcher"]).post(
        reverse("cases:action", args=[case.number, "reject"]),
        {"version": case.version, "reason": "不" * 2001}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'data-error-for="reason">最多2000个字,现有2001个字,请删减后再提交。' in html
    assert snapshot(case) == before


def test_a_too_long_note_when_adding_a_party_is_refused(office):
    case = new_case(office)
    go(case, "accept", office.people["dispatcher"])
    case.refresh_from_db()
    before = (snapshot(case), counts())
    with pytest.raises(ValidationError) as refused:
        svc.party_add(case=case, data=PartyInput(role="other", name="王五"),
                      actor=office.people["dispatcher"], expected_version=case.version,
                      note="补" * 2001)
    assert refused.value.message_dict == {
        "note": ["说明最多2000个字,现有2001个字,请删减后再提交。"]}
    assert (snapshot(case), counts()) == before


# Texts stored in a column of fixed width: refused with the column's limit and label by
# the service (every channel), never cut to fit (they were: address, party name, session).
@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"address": "桃" * 201}, "address", "地址最多200个字,现有201个字,请删减后再提交。"),
    ({"parties": [PartyInput(role="applicant", name="王" * 61)]}, "parties",
     "姓名最多60个字,现有61个字,请删减后再提交。"),
    ({"parties": [PartyInput(role="applicant", name="王芳", ethnicity="汉" * 21)]}, "parties",
     "民族最多20个字,现有21个字,请删减后再提交。"),
    ({"parties": [PartyInput(role="applicant", name="王芳", occupation="工" * 61)]},
     "parties", "职业最多60个字,现有61个字,请删减后再提交。"),
    ({"parties": [PartyInput(role="applicant", name="王芳", address="路" * 201)]},
     "parties", "住址最多200个字,现有201个字,请删减后再提交。"),
])
def test_a_text_wider_than_its_column_is_refused_at_intake(office, changes, field, message):
    before = counts()
    with pytest.raises(ValidationError) as refused:
        new_case(office, **changes)
    assert refused.value.message_dict == {field: [message]}
    assert counts() == before


def test_texts_that_fill_their_columns_are_kept_whole(office):
    case = new_case(office, address="桃" * 200, parties=[PartyInput(
        role="applicant", name="王" * 60, occupation="工" * 60, address="路" * 200)])
    stored = Case.objects.get(pk=case.pk)
    assert stored.address == "桃" * 200
    assert Party.objects.filter(case=case).values_list("name", "occupation", "address").get() \
        == ("王" * 60, "工" * 60, "路" * 200)


def test_correcting_the_address_refuses_one_too_long(office):
    case = new_case(office)
    before = snapshot(case)
    with pytest.raises(ValidationError) as refused:
        svc.case_correct_facts(case=case, actor=office.people["dispatcher"],
                               expected_version=case.version,
                               data=FactsInput(reason="地址写错", address="桃" * 201))
    assert refused.value.message_dict == {
        "address": ["地址最多200个字,现有201个字,请删减后再提交。"]}
    assert snapshot(case) == before


@pytest.mark.parametrize(("name", "data", "message"), [
    # A transition's input is held to its spec's length by the service, whoever calls it
    # (the page's counter and the API schema show the same number).
    ("reject", {"reason": "不" * 2001},
     {"reason": ["理由最多2000个字,现有2001个字,请删减后再提交。"]}),
    ("supervise", {"level": "yellow", "reason": "督" * 201},
     {"reason": ["督办事由最多200个字,现有201个字,请删减后再提交。"]}),
])
def test_a_transition_input_longer_than_its_spec_is_refused_by_the_service(
        office, name, data, message):
    case = new_case(office)
    actor = office.people["dispatcher"]  # a supervisor: may reject and supervise
    before = snapshot(case)
    with pytest.raises(ValidationError) as refused:
        go(case, name, actor, **data)
    assert refused.value.message_dict == message
    assert snapshot(case) == before


def test_a_mediation_session_with_a_place_too_long_is_refused(office):
    case = put_in_status(office, new_case(office), Status.HANDLING, "record_session")
    before = snapshot(case)
    for data, message in [
        ({"held_at": timezone.now(), "attendees": "双方", "notes": "达成一致",
          "place": "所" * 101}, {"place": ["地点最多100个字,现有101个字,请删减后再提交。"]}),
        ({"held_at": timezone.now(), "attendees": "人" * 301, "notes": "达成一致"},
         {"attendees": ["参加人员最多300个字,现有301个字,请删减后再提交。"]}),
    ]:
        with pytest.raises(ValidationError) as refused:
            go(case, "record_session", office.people["mediator"], **data)
        assert refused.value.message_dict == message
        assert snapshot(case) == before


def test_a_too_long_text_attribute_says_its_limit_and_carries_a_counter(office):
    CategoryAttribute.objects.create(category=office.neighbour, code="story",
                                     description="经过", datatype=AttributeType.TEXT)
    with pytest.raises(ValidationError) as refused:
        svc.clean_attributes(office.neighbour, {"story": "长" * 2001})
    assert refused.value.message_dict == {
        "attribute_story": ["“经过”最多2000个字,现有2001个字,请删减后再提交。"]}
    assert svc.clean_attributes(office.neighbour, {"story": "长" * 2000}) == {
        "story": "长" * 2000}
    html = client_for(office.people["dispatcher"]).get(
        reverse("cases:new_attributes"), {"category": office.neighbour.pk}).content.decode()
    assert 'name="attribute_story" rows="3" data-maxlength="2000"' in html


# --- b. one phone rule ---------------------------------------------------------------------

PHONES = [
    # (typed, stored form or "" when refused) — by hand
    ("13812345678", "13812345678"),
    ("138 1234 5678", "13812345678"),
    ("138-1234-5678", "13812345678"),
    ("+86 138-1234-5678", "13812345678"),
    ("0086 13812345678", "13812345678"),
    ("19912345678", "19912345678"),
    ("0513-85551234", "051385551234"),
    ("(0513) 85551234", "051385551234"),
    ("010-68881234", "01068881234"),
    ("0513-8555123", "05138555123"),  # 7-digit local number
    ("051385551234", "051385551234"),
    ("0513-85551234-123", "051385551234-123"),
    ("0513-85551234转8", "051385551234-8"),
    ("12812345678", ""),  # 12x is not a mobile prefix
    ("1381234567", ""),  # 10 digits
    ("138123456789", ""),  # 12 digits
    ("85551234", ""),  # landline without its area code
    ("0513-05551234", ""),  # a local number does not start with 0
    ("0513-555123", ""),  # 6-digit local number
    ("12", ""),
    ("abc", ""),
    ("110", ""),
    ("", ""),
]


@pytest.mark.parametrize(("typed", "stored"), PHONES)
def test_phone_rule(typed, stored):
    assert normalize_phone(typed) == stored


def test_an_invalid_phone_is_refused_at_intake_with_the_rule(office):
    before = counts()
    with pytest.raises(ValidationError) as refused:
        new_case(office, parties=[PartyInput(role="applicant", name="张三", phone="85551234")])
    message = refused.value.message_dict["parties"][0]
    assert message.startswith("张三:电话号码无效。手机号为1开头的11位数字;固定电话须带区号")
    assert counts() == before


def test_a_landline_with_extension_is_masked_on_its_number(office):
    case = new_case(office, parties=[PartyInput(role="applicant", name="张三",
                                                phone="0513-85551234-123")])
    party = case.parties.get()
    assert (party.phone_masked, party.phone_last4) == ("********1234", "1234")


def test_every_phone_field_opens_the_phone_keypad(office):
    case = new_case(office)
    fields = [PartyForm()["phone"], PartyAddForm(case=case)["phone"], ReportForm()["phone"],
              RatingForm()["phone"]]
    for field in fields:
        html = str(field)
        assert 'type="tel"' in html and 'inputmode="tel"' in html, html


def test_the_forms_use_the_services_rule_and_message(office):
    form = PartyForm(data={"role": "applicant", "name": "张三", "phone": "85551234"})
    assert not form.is_valid()
    assert form.errors["phone"][0].startswith("电话号码无效。手机号为1开头的11位数字")
    assert PartyForm(data={"role": "applicant", "name": "张三",
                           "phone": "0513-85551234"}).is_valid()
    portal = ReportForm(data={"phone": "1381234567"})
    portal.is_valid()
    assert portal.errors["phone"][0].startswith("电话号码无效。")


# --- d. merging offers the detected duplicates ---------------------------------------------

def _merge_form(client, case):
    return client.get(reverse("cases:action", args=[case.number, "merge"]),
                      HTTP_HX_REQUEST="true").content.decode()


def test_merge_dialog_offers_the_duplicates_with_number_and_description(office):
    master = new_case(office, description="桃坞路12号楼上住户深夜装修噪音扰民")
    other = new_case(office, description="桃坞路路灯不亮,晚上出行不便",
                     parties=[PartyInput(role="applicant", name="王五", phone="13700001111")])
    dup = new_case(office, description="桃坞路12号楼上深夜装修,噪音扰民")
    html = _merge_form(client_for(office.people["dispatcher"]), dup)
    assert 'data-testid="merge-candidates"' in html
    offered = re.findall(r'data-candidate="([^"]+)"', html)
    assert offered[0] == master.number and other.number not in offered
    assert dup.number not in offered  # not itself
    assert "桃坞路12号楼上住户深夜装修噪音扰民" in html and "同一当事人" in html
    assert f'name="candidate" value="{master.number}"' in html
    assert 'name="master"' in html  # another number may still be typed


def test_merge_by_picking_a_suggestion(office):
    master = new_case(office)
    dup = new_case(office)
    client = client_for(office.people["dispatcher"])
    response = client.post(reverse("cases:action", args=[dup.number, "merge"]),
                           {"version": dup.version, "candidate": master.number, "master": ""},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Redirect"]
    dup.refresh_from_db()
    assert (dup.status, dup.merged_into) == (Status.MERGED, master)


def test_merge_by_typing_another_number_still_works(office):
    master = new_case(office, description="路灯不亮", parties=[])
    dup = new_case(office)
    new_case(office)  # a suggestion that is not picked
    client = client_for(office.people["dispatcher"])
    client.post(reverse("cases:action", args=[dup.number, "merge"]),
                {"version": dup.version, "master": master.number}, HTTP_HX_REQUEST="true")
    dup.refresh_from_db()
    assert dup.merged_into == master


def test_merge_with_two_different_masters_or_none_is_refused(office):
    first, second = new_case(office), new_case(office)
    dup = new_case(office)
    client = client_for(office.people["dispatcher"])
    before = snapshot(dup)
    url = reverse("cases:action", args=[dup.number, "merge"])
    both = client.post(url, {"version": dup.version, "candidate": first.number,
                             "master": second.number}, HTTP_HX_REQUEST="true")
    assert "请只选一个主件" in both.content.decode()
    neither = client.post(url, {"version": dup.version}, HTTP_HX_REQUEST="true")
    assert "请选择可能重复的事件,或填写主件编号。" in neither.content.decode()
    assert snapshot(dup) == before


def test_the_service_decides_a_posted_suggestion_out_of_scope(office):
    """A number posted as a suggestion is only a number: the service refuses a master the
    actor may not see, as for a typed one."""
    elsewhere = new_case(office, area=office.world.grid_b1)
    offered = new_case(office)
    dup = new_case(office)
    client = client_for(office.people["dispatcher"])
    html = _merge_form(client, dup)
    assert elsewhere.number not in html and f'data-candidate="{offered.number}"' in html
    before = snapshot(dup)
    response = client.post(reverse("cases:action", args=[dup.number, "merge"]),
                           {"version": dup.version, "candidate": elsewhere.number},
                           HTTP_HX_REQUEST="true")
    assert "没有找到该编号的事件(或不在您的管辖范围内)" in response.content.decode()
    assert snapshot(dup) == before


def test_without_suggestions_the_number_is_asked_as_before(office):
    dup = new_case(office)
    html = _merge_form(client_for(office.people["dispatcher"]), dup)
    assert 'data-testid="merge-candidates"' not in html and 'name="master"' in html


# --- e. the routing note after escalation --------------------------------------------------

def test_routing_note_says_where_an_escalated_case_went_and_why(office):
    case = new_case(office)
    go(case, "accept", office.people["dispatcher"])
    go(case, "dispatch", office.people["dispatcher"], unit=office.community_committee)
    Case.objects.filter(pk=case.pk).update(level="community")
    old_note = Case.objects.get(pk=case.pk).routing_note
    go(case, "escalate", office.people["community_mediator"], reason="调解不成")
    case.refresh_from_db()
    assert old_note == "按专业领域“邻里纠纷”匹配:桃坞社区人民调解委员会"
    assert (case.level, case.suggested_unit) == ("street", None)
    assert case.routing_note == ("由村(社区)上报至镇(街道)(理由:调解不成);"
                                 "无匹配规则,进入城东街道调度中心待派遣")
    go(case, "escalate", office.people["dispatcher"], reason="涉及面广")
    case.refresh_from_db()
    # The county's queue, not "the street's" as the intake text would say.
    assert case.routing_note == ("由镇(街道)上报至区县(理由:涉及面广);"
                                 "无匹配规则,进入崇川区调度中心待派遣")


def test_escalation_note_names_the_rule_and_fits_the_column(office):
    rule = RoutingRule.objects.create(area=office.world.county, level="county",
                                      unit=office.world.unit_county, priority=9)
    route = svc.Route("county", office.world.unit_county, rule, f"分流规则 #{rule.pk}:区")
    note = escalation_note(from_level="street", route=route, queue_area=office.world.county,
                           reason="涉及面广")
    assert note == f"由镇(街道)上报至区县(理由:涉及面广);分流规则 #{rule.pk}:区"
    long = escalation_note(from_level="street", route=route, queue_area=office.world.county,
                           reason="很" * 300)
    assert len(long) == 200 and "很…)" in long and long.endswith(f"分流规则 #{rule.pk}:区")

"""Parties after intake (补录、更正、移除) and correcting a case's facts (更正事件信息):
who may, when, what is kept encrypted, what the timeline and the audit log say, and that a
refusal changes nothing. The pages are at the end."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from civicgrid.audit.models import AuditEntry
from civicgrid.cases import services as svc
from civicgrid.cases.inputs import FactsInput, PartyInput, PartyUpdateInput
from civicgrid.cases.models import CaseEvent, Outcome, Party, Status
from civicgrid.cases.services import StaleCase
from civicgrid.cases.tests.conftest import new_case, snapshot
from civicgrid.cases.tests.test_views import client_for, pdf_text
from civicgrid.cases.tests.test_workflow import put_in_status
from civicgrid.core.crypto import decrypt_text, keyed_hash
from civicgrid.core.errors import RuleViolation
from civicgrid.stats.rollups import stats_differences
from civicgrid.testing import build_office, shared

office_once, office = shared(build_office, name="office")

ID_NUMBER = "11010519491231002X"  # a valid 18-digit number (check digit X)


def go(case, name, actor, **kw):
    return svc.case_act(name, case=case, actor=actor, expected_version=case.version, **kw)


def handling(office, **kw):
    case = new_case(office, **kw)
    go(case, "accept", office.people["dispatcher"])
    go(case, "dispatch", office.people["dispatcher"], unit=office.world.unit_a)
    return case


def everything(case) -> dict:
    """A refused write leaves the case, its parties, timeline, audit and rollups alone."""
    return {**snapshot(case),
            "parties": list(Party.objects.filter(case=case).order_by("pk").values())}


def add(case, actor, **party):
    party.setdefault("role", "respondent")
    party.setdefault("name", "王五")
    return svc.party_add(case=case, data=PartyInput(**party), actor=actor,
                         expected_version=case.version)


# --- who may change parties, and when ------------------------------------------------------

# (person, status the case is put in, allowed?) written by hand from the rule: the
# dispatch centre of the case's queue and the assigned unit's handlers, while the case is
# open and not yet resolved.
WHO_AND_WHEN = [
    ("dispatcher", Status.REGISTERED, True),
    ("dispatcher", Status.ACCEPTED, True),
    ("dispatcher", Status.HANDLING, True),
    ("mediator", Status.HANDLING, True),  # member of the assigned unit (unit_a)
    ("mediator", Status.HANDED_OFF, True),
    ("mediator", Status.SUSPENDED, True),
    ("mediator", Status.REGISTERED, False),  # not assigned yet
    ("community_mediator", Status.HANDLING, False),  # another unit
    ("police", Status.HANDED_OFF, False),  # the receiver of a hand-off does not edit
    ("grid", Status.HANDLING, False),
    ("leader", Status.HANDLING, False),
    ("outsider", Status.HANDLING, False),
    ("mediator", Status.RESOLVED, False),
    ("dispatcher", Status.VERIFIED, False),
    ("dispatcher", Status.CLOSED, False),
]


@pytest.mark.parametrize(("who", "status", "allowed"), WHO_AND_WHEN)
def test_who_may_add_a_party_and_when(office, who, status, allowed):
    case = new_case(office)
    if status != Status.REGISTERED:
        put_in_status(office, case, status, "")
    if status == Status.ACCEPTED:
        case.assigned_unit = None
        case.save(update_fields=["assigned_unit"])
    actor = office.people[who]
    before = everything(case)
    if allowed:
        party = add(case, actor)
        assert Party.objects.filter(case=case).count() == 3 and party.name == "王五"
        return
    expected = RuleViolation if who in ("mediator", "dispatcher") and status in (
        Status.RESOLVED, Status.VERIFIED, Status.CLOSED) else PermissionDenied
    with pytest.raises(expected):
        add(case, actor)
    assert everything(case) == before


def test_adding_a_party_is_encrypted_audited_and_on_the_timeline(office):
    case = handling(office)
    mediator = office.people["mediator"]
    version = case.version
    party = svc.party_add(case=case, actor=mediator, expected_version=version,
                          note="调解时发现另一方当事人",
                          data=PartyInput(role="other", name="赵六", phone="139 0000 1111",
                                          id_number=ID_NUMBER))
    party.refresh_from_db()
    assert party.phone_masked == "139****1111" and party.id_number_masked
    assert "13900001111" not in party.phone_encrypted
    assert decrypt_text(party.phone_encrypted) == "13900001111"
    assert party.phone_hash == keyed_hash("13900001111", "phone")
    assert party.id_number_hash == keyed_hash(ID_NUMBER, "id_number")
    assert str(party.birth_date) == "1949-12-31" and party.sex == "female"
    case.refresh_from_db()
    assert case.version == version + 1
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert (event.type, event.note, event.actor) == ("party_added", "调解时发现另一方当事人",
                                                     mediator)
    assert event.data == {"party_id": party.pk, "role": "other", "name": "赵六"}
    entry = AuditEntry.objects.filter(event_type="case.party_added").get()
    assert entry.actor == mediator and entry.subject_id == str(case.pk)
    assert entry.details == {"party_id": party.pk, "role": "other",
                             "reason": "调解时发现另一方当事人"}


@pytest.mark.parametrize(("party", "message"), [
    ({"name": "  "}, "请填写当事人姓名。"),
    ({"phone": "12"}, "电话号码无效"),
    ({"id_number": "110105194912310021"}, "校验位不正确"),
    ({"role": "judge"}, "当事人身份无效"),
])
def test_bad_particulars_are_refused_with_the_intake_messages(office, party, message):
    case = handling(office)
    before = everything(case)
    with pytest.raises(ValidationError, match=message):
        add(case, office.people["mediator"], **party)
    assert everything(case) == before


def test_a_stale_version_changes_nothing(office):
    case = handling(office)
    before = everything(case)
    with pytest.raises(StaleCase):
        svc.party_add(case=case, data=PartyInput(role="respondent", name="王五"),
                      actor=office.people["mediator"], expected_version=case.version - 1)
    assert everything(case) == before


def test_update_keeps_a_blank_phone_replaces_a_given_one_and_clears_on_request(office):
    case = handling(office)
    applicant = case.parties.get(role="applicant")
    mediator = office.people["mediator"]
    stored = applicant.phone_encrypted

    def update(**kw):
        case.refresh_from_db()
        reason = kw.pop("reason", "更正")
        fields = {"role": "applicant", "name": "张三", **kw.pop("party", {})}
        return svc.party_update(party=applicant, actor=mediator,
                                expected_version=case.version,
                                data=PartyUpdateInput(party=PartyInput(**fields),
                                                      reason=reason, **kw))

    update(party={"name": "张叁", "occupation": "教师"}, reason="姓名录错")
    applicant.refresh_from_db()
    assert (applicant.name, applicant.occupation) == ("张叁", "教师")
    assert applicant.phone_encrypted == stored and applicant.phone_masked == "138****5678"
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert event.type == "party_updated" and event.note == "姓名录错"
    assert event.data["fields"] == ["name", "occupation"]

    update(party={"name": "张叁", "occupation": "教师", "phone": "13700002222"})
    applicant.refresh_from_db()
    assert decrypt_text(applicant.phone_encrypted) == "13700002222"
    assert applicant.phone_last4 == "2222"
    audit = AuditEntry.objects.filter(event_type="case.party_updated").latest("id")
    assert audit.details["fields"] == ["phone"]
    assert "13700002222" not in str(audit.details) and "13700002222" not in str(event.data)

    update(party={"name": "张叁", "occupation": "教师"}, clear_phone=True)
    applicant.refresh_from_db()
    assert (applicant.phone_encrypted, applicant.phone_hash, applicant.phone_masked) == (
        "", "", "")


def test_an_update_that_changes_nothing_or_has_no_reason_is_refused(office):
    case = handling(office)
    applicant = case.parties.get(role="applicant")
    before = everything(case)
    same = PartyInput(role="applicant", name="张三")
    for reason, message in (("更正", "没有要更正的内容"), ("  ", "请填写理由")):
        with pytest.raises(ValidationError, match=message):
            svc.party_update(party=applicant, actor=office.people["mediator"],
                             expected_version=case.version,
                             data=PartyUpdateInput(party=same, reason=reason))
    assert everything(case) == before


def test_the_last_applicant_stays(office):
    case = handling(office)
    applicant = case.parties.get(role="applicant")
    mediator = office.people["mediator"]
    before = everything(case)
    with pytest.raises(RuleViolation, match="唯一的申请人"):
        svc.party_remove(party=applicant, reason="录错", actor=mediator,
                         expected_version=case.version)
    with pytest.raises(RuleViolation, match="须保留一名申请人"):
        svc.party_update(party=applicant, actor=mediator, expected_version=case.version,
                         data=PartyUpdateInput(party=PartyInput(role="respondent",
                                                                name="张三"), reason="改"))
    assert everything(case) == before
    second = add(case, mediator, role="applicant", name="张三之妻")
    case.refresh_from_db()
    svc.party_remove(party=applicant, reason="并非当事人", actor=mediator,
                     expected_version=case.version)
    assert list(case.parties.values_list("name", flat=True).order_by("pk")) == [
        "李四", second.name]


def test_removing_a_party_needs_a_reason_and_is_recorded(office):
    case = handling(office)
    respondent = case.parties.get(role="respondent")
    mediator = office.people["mediator"]
    before = everything(case)
    with pytest.raises(ValidationError, match="请填写理由"):
        svc.party_remove(party=respondent, reason=" ", actor=mediator,
                         expected_version=case.version)
    assert everything(case) == before
    pk = respondent.pk
    svc.party_remove(party=respondent, reason="录入重复", actor=mediator,
                     expected_version=case.version)
    assert not Party.objects.filter(pk=pk).exists()
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert (event.type, event.note, event.data) == (
        "party_removed", "录入重复", {"party_id": pk, "role": "respondent", "name": "李四"})
    assert AuditEntry.objects.filter(event_type="case.party_removed").get().details == {
        "party_id": pk, "role": "respondent", "reason": "录入重复"}


def test_parties_are_frozen_once_the_agreement_exists(office):
    case = handling(office)
    mediator = office.people["mediator"]
    go(case, "resolve", mediator, outcome=Outcome.MEDIATED, note="调解成功",
       agreement=svc.AgreementInput(facts="噪音", disputed_matters="装修时间",
                                    terms=["晚八点后不施工"], performance="即日起履行"))
    go(case, "rework", office.people["grid"], reason="仍有噪音")
    assert case.status == Status.HANDLING
    before = everything(case)
    with pytest.raises(RuleViolation, match="已制作人民调解协议书"):
        add(case, mediator)
    assert everything(case) == before


def test_the_mediator_adds_the_second_party_and_makes_the_agreement(office):
    """The issue's story at the service level: refused with one party, done with two."""
    case = handling(office, parties=[PartyInput(role="applicant", name="张三",
                                                phone="13812345678")])
    mediator = office.people["mediator"]
    agreement = svc.AgreementInput(facts="噪音扰民", disputed_matters="施工时间",
                                   terms=["晚八点后停止施工"], performance="即日起履行")
    with pytest.raises(RuleViolation, match="请先补录当事人"):
        go(case, "resolve", mediator, outcome=Outcome.MEDIATED, note="调解成功",
           agreement=agreement)
    case.refresh_from_db()
    add(case, mediator, name="李四", phone="13900002222")
    case.refresh_from_db()
    go(case, "resolve", mediator, outcome=Outcome.MEDIATED, note="调解成功",
       agreement=agreement)
    assert case.agreement.copies == 3
    text = pdf_text(svc.agreement_document(case=case, actor=mediator))
    assert "张三" in text and "李四" in text and "13900002222" in text


# --- correcting the facts ------------------------------------------------------------------

def correct(case, actor, **facts):
    facts.setdefault("reason", "登记时选错")
    return svc.case_correct_facts(case=case, actor=actor, expected_version=case.version,
                                  data=FactsInput(**facts))


def test_a_category_corrected_before_dispatch_routes_the_case_again(office):
    case = new_case(office)
    go(case, "accept", office.people["dispatcher"])
    assert (case.level, case.suggested_unit) == ("community", office.community_committee)
    dispatcher = office.people["dispatcher"]
    correct(case, dispatcher, category=office.labour, people_band="100-500")
    case.refresh_from_db()
    assert case.category == office.labour and case.people_band == "100-500"
    # Routed as intake routes it: the lowest level with a labour unit is the district's
    # labour committee, so the case goes to the district's dispatch queue.
    assert case.level == "county" and case.queue_area == office.world.county
    assert case.suggested_unit == office.county_labour
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert event.type == "facts_corrected" and event.note == "登记时选错"
    assert event.data["changes"] == {
        "category": ["邻里纠纷", "劳资纠纷"], "people_band": ["50人以下", "100-500人"],
        "level": ["村(社区)", "区县"]}
    assert event.data["rerouted"] is True
    details = AuditEntry.objects.filter(event_type="case.facts_corrected").get().details
    assert details["changes"]["category"] == ["9102", "9103"]
    assert stats_differences() == []  # the rollups followed the category


def test_after_dispatch_the_category_and_area_stay(office):
    case = handling(office)
    before = everything(case)
    for facts, message in (({"category": office.labour}, "交办后不能更改分类"),
                           ({"area": office.world.grid_a2}, "交办后不能更改发生地")):
        with pytest.raises(RuleViolation, match=message):
            correct(case, office.people["mediator"], **facts)
    assert everything(case) == before


def test_flags_after_dispatch_are_recorded_without_moving_the_case(office):
    case = handling(office)
    correct(case, office.people["mediator"], is_major=True, reason="涉及人数众多")
    case.refresh_from_db()
    assert case.is_major and case.level == "community"
    assert case.assigned_unit == office.world.unit_a
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert event.data == {"changes": {"is_major": ["否", "是"]}, "rerouted": False,
                          "min_level": "county"}
    assert stats_differences() == []


def test_a_place_outside_the_jurisdiction_is_refused(office):
    case = new_case(office)
    before = everything(case)
    with pytest.raises(RuleViolation, match="不在您的管辖范围内"):
        correct(case, office.people["dispatcher"], area=office.world.grid_b1)
    assert everything(case) == before


def test_a_new_area_before_dispatch_clears_the_old_point(office):
    case = new_case(office, lng=120.82, lat=31.92)
    correct(case, office.people["dispatcher"], area=office.world.grid_a2, address="2号楼")
    case.refresh_from_db()
    assert (case.area, case.area_code, case.lng, case.lat, case.address) == (
        office.world.grid_a2, office.world.grid_a2.code, None, None, "2号楼")
    assert stats_differences() == []


@pytest.mark.parametrize(("who", "facts", "error"), [
    ("grid", {"is_group": True}, PermissionDenied),
    ("dispatcher", {"is_group": True, "reason": ""}, ValidationError),
    ("dispatcher", {}, ValidationError),  # nothing to correct
    ("dispatcher", {"people_band": "many"}, ValidationError),
])
def test_facts_refusals_change_nothing(office, who, facts, error):
    case = new_case(office)
    before = everything(case)
    with pytest.raises(error):
        correct(case, office.people[who], **facts)
    assert everything(case) == before


# --- pages ---------------------------------------------------------------------------------

def test_the_case_page_offers_the_edits_only_to_those_who_handle_it(office):
    case = handling(office)
    url = reverse("cases:detail", args=[case.number])
    page = client_for(office.people["mediator"]).get(url).content.decode()
    party = case.parties.get(role="respondent")
    for link in (reverse("cases:party_add", args=[case.number]),
                 reverse("cases:party_edit", args=[case.number, party.pk]),
                 reverse("cases:party_remove", args=[case.number, party.pk]),
                 reverse("cases:correct", args=[case.number])):
        assert f'href="{link}"' in page
    page = client_for(office.people["grid"]).get(url).content.decode()
    assert "data-edit=" not in page


def test_adding_a_party_on_the_page_without_js(office):
    case = handling(office)
    client = client_for(office.people["mediator"])
    url = reverse("cases:party_add", args=[case.number])
    form = client.get(url)
    assert form.status_code == 200 and b'data-edit-form="party_add"' in form.content
    before = everything(case)
    bad = client.post(url, {"version": case.version, "role": "respondent", "name": "王五",
                            "phone": "12"})
    text = bad.content.decode()
    # The services' rule, its message on the phone field (the form asks normalize_phone).
    assert bad.status_code == 200 and 'data-error-for="phone">电话号码无效。' in text
    assert everything(case) == before
    response = client.post(url, {"version": case.version, "role": "other", "name": "王五",
                                 "phone": "13900003333", "note": "补录"})
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.number])
    added = case.parties.get(name="王五")
    assert (added.role, added.phone_masked) == ("other", "139****3333")
    page = client.get(response["Location"]).content.decode()
    assert "139****3333" in page and "13900003333" not in page
    assert "其他当事人 王五" in page  # the timeline line


def test_the_pages_answer_refusals(office):
    case = new_case(office)  # registered: no unit yet, so the mediator is not an editor
    url = reverse("cases:party_add", args=[case.number])
    mediator = client_for(office.people["mediator"])
    page = mediator.get(url)
    assert page.status_code == 200 and b'data-testid="action-problem"' in page.content
    before = everything(case)
    assert mediator.post(url, {"version": case.version, "role": "other",
                               "name": "王五"}).status_code == 403
    assert client_for(office.people["grid"]).get(url).status_code == 403  # no permission
    assert everything(case) == before
    other = new_case(office, area=office.world.grid_b1)
    assert mediator.get(reverse("cases:party_add", args=[other.number])).status_code == 404


def test_a_stale_form_says_so_and_changes_nothing(office):
    case = handling(office)
    party = case.parties.get(role="respondent")
    client = client_for(office.people["mediator"])
    before = everything(case)
    response = client.post(reverse("cases:party_remove", args=[case.number, party.pk]),
                           {"version": case.version - 1, "reason": "录重"})
    assert response.status_code == 200
    assert "已被他人更新" in response.content.decode()
    assert everything(case) == before


def test_editing_a_party_shows_the_masked_values_and_keeps_them(office):
    case = handling(office)
    applicant = case.parties.get(role="applicant")
    client = client_for(office.people["mediator"])
    url = reverse("cases:party_edit", args=[case.number, applicant.pk])
    page = client.get(url).content.decode()
    assert "已登记 138****5678,留空则不变。" in page and "13812345678" not in page
    response = client.post(url, {"version": case.version, "role": "applicant",
                                 "name": "张叁", "reason": "姓名录错"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("cases:detail", args=[case.number])
    applicant.refresh_from_db()
    assert (applicant.name, applicant.phone_masked) == ("张叁", "138****5678")


def test_removing_the_last_applicant_on_the_page_gives_the_rule(office):
    case = handling(office)
    applicant = case.parties.get(role="applicant")
    before = everything(case)
    response = client_for(office.people["mediator"]).post(
        reverse("cases:party_remove", args=[case.number, applicant.pk]),
        {"version": case.version, "reason": "录错"})
    assert "不能移除唯一的申请人" in response.content.decode()
    assert everything(case) == before


def test_correcting_the_facts_on_the_page_shows_before_and_after(office):
    case = new_case(office)
    client = client_for(office.people["dispatcher"])
    url = reverse("cases:correct", args=[case.number])
    assert b'data-edit-form="correct_facts"' in client.get(url).content
    fields = {"version": case.version, "category": office.neighbour.pk,
              "area": case.area_id, "address": "", "people_band": "50-100",
              "reason": "核实人数"}
    response = client.post(url, fields)
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.people_band, case.area, case.category) == (
        "50-100", office.world.grid_a1, office.neighbour)
    page = client.get(response["Location"]).content.decode()
    assert re.search(r"涉及人数:<span[^>]*>50人以下</span> → <strong>50-100人</strong>", page)
    again = client.post(url, {**fields, "version": case.version})
    assert "没有要更正的内容。" in again.content.decode()


def test_the_handler_is_told_when_the_corrected_facts_call_for_escalation(office):
    case = handling(office)
    client = client_for(office.people["mediator"])
    response = client.post(reverse("cases:correct", args=[case.number]), {
        "version": case.version, "category": office.neighbour.pk, "area": case.area_id,
        "people_band": "lt50", "is_major": "on", "reason": "涉及重大利益"}, follow=True)
    text = response.content.decode()
    assert "请考虑上报升级" in text and "按更正后的信息应在“区县”层级处置" in text

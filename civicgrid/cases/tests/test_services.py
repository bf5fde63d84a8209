import re
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from civicgrid.audit.models import AuditEntry
from civicgrid.cases import services as svc
from civicgrid.cases.models import (
    Case,
    Channel,
    HandOff,
    Outcome,
    Party,
    RoutingRule,
    Status,
)
from civicgrid.cases.selectors import (
    INBOXES,
    CaseFilters,
    case_list,
    deadline_state,
    duplicate_candidates,
    inbox_counts,
    overdue_multiple,
)
from civicgrid.cases.tests.conftest import new_case, snapshot
from civicgrid.cases.tests.test_workflow import PNG
from civicgrid.core.crypto import keyed_hash
from civicgrid.core.errors import RuleViolation
from civicgrid.notices.models import Notice, NoticeKind
from civicgrid.stats.models import CaseStat
from civicgrid.stats.rollups import stats_differences
from civicgrid.testing import build_office, shared

# The district (civicgrid/cases/tests/conftest.py), built once for this module and rolled
# back after each test (civicgrid/testing.py).
office_once, office = shared(build_office, name="office")


def go(case, name, actor, **kw):
    return svc.case_act(name, case=case, actor=actor, expected_version=case.version, **kw)


def to_handling(office, case=None, unit=None):
    case = case or new_case(office)
    county = case.queue_area == office.world.county
    dispatcher = office.people["county_dispatcher" if county else "dispatcher"]
    go(case, "accept", dispatcher)
    go(case, "dispatch", dispatcher, unit=unit or office.world.unit_a)
    return case


# --- intake ------------------------------------------------------------------------------

@pytest.mark.parametrize("channel", list(Channel))
def test_every_channel_registers_a_case(office, channel):
    case = new_case(office, channel=channel)
    assert case.channel == channel and case.status == Status.REGISTERED
    assert re.fullmatch(r"320602-\d{8}-\d{5}", case.number)
    assert case.events.get().type == "registered"
    assert AuditEntry.objects.filter(event_type="case.intake", subject_id=str(case.pk)).exists()


def test_numbers_are_sequential_per_county_and_day_and_never_reused(office):
    first, second = new_case(office), new_case(office)
    assert int(second.number[-5:]) == int(first.number[-5:]) + 1
    Case.objects.filter(pk=second.pk).delete()
    third = new_case(office)
    assert int(third.number[-5:]) == int(first.number[-5:]) + 2


def test_numbers_are_sequential_without_returning_too(office, monkeypatch):
    """SQLite before 3.35 has no RETURNING: the number is read back after the upsert."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL always has RETURNING (and its driver has no lastrowid)")
    monkeypatch.setattr(connection.features, "can_return_columns_from_insert", False)
    first, second = new_case(office), new_case(office)
    assert int(second.number[-5:]) == int(first.number[-5:]) + 1


def test_grid_is_derived_from_the_point(office):
    from civicgrid.areas.locator import grid_locator

    grid_locator.invalidate()
    case = new_case(office, area=None, lng=120.86, lat=31.91,
                    actor=office.people["dispatcher"])
    assert case.area == office.world.grid_a2
    with pytest.raises(ValidationError, match="不在任何网格内"):
        new_case(office, area=None, lng=100.0, lat=20.0)
    # The grid worker of grid a1 may not register a place in grid a2: nothing is written.
    before = Case.objects.count(), AuditEntry.objects.count()
    with pytest.raises(RuleViolation, match="不在您的管辖范围内"):
        new_case(office, area=None, lng=120.86, lat=31.91, actor=office.people["grid"])
    with pytest.raises(RuleViolation, match="不在您的管辖范围内"):
        new_case(office, area=office.world.grid_a2, actor=office.people["grid"])
    assert (Case.objects.count(), AuditEntry.objects.count()) == before


def test_required_attributes_and_bad_input_change_nothing(office):
    before = Case.objects.count(), Party.objects.count(), AuditEntry.objects.count()
    with pytest.raises(ValidationError) as err:
        new_case(office, category=office.labour, attributes={"kind": "nope", "x": 1})
    messages = err.value.message_dict
    assert {"attribute_amount", "attribute_kind", "attribute_x"} <= set(messages)
    with pytest.raises(ValidationError):
        new_case(office, description="短")
    with pytest.raises(ValidationError):
        new_case(office, parties=[svc.PartyInput(role="applicant", name="王五",
                                                 id_number="110105194912310021")])
    assert (Case.objects.count(), Party.objects.count(), AuditEntry.objects.count()) == before
    case = new_case(office, category=office.labour, attributes={"amount": "35000",
                                                                "kind": "wage"})
    assert case.attributes == {"amount": 35000.0, "kind": "wage"}


def test_id_numbers_and_phones_are_encrypted_at_rest(office):
    case = new_case(office, parties=[svc.PartyInput(role="applicant", name="王五",
                                                    id_number="11010519491231002x",
                                                    phone="+86 138-1234-5678")])
    party = case.parties.get()
    assert party.id_number_masked == "110*************2X"
    assert party.phone_masked == "138****5678" and party.phone_last4 == "5678"
    assert party.sex == "female" and party.birth_date.isoformat() == "1949-12-31"
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM cases_party WHERE id = %s", [party.pk])
        raw = " ".join(str(v) for v in cursor.fetchone())
    assert "11010519491231002X" not in raw and "13812345678" not in raw
    assert party.id_number_hash == keyed_hash("11010519491231002X", "id_number")


def test_revealing_personal_data_needs_permission_reason_and_is_audited(office):
    case = new_case(office, parties=[svc.PartyInput(role="applicant", name="王五",
                                                    id_number="440524188001010014")])
    party = case.parties.get()
    with pytest.raises(PermissionDenied):
        svc.party_reveal(party=party, field_name="id_number", reason="核实身份",
                         actor=office.people["grid"])
    with pytest.raises(ValidationError):
        svc.party_reveal(party=party, field_name="id_number", reason=" ",
                         actor=office.people["dispatcher"])
    assert not AuditEntry.objects.filter(event_type="pii.revealed").exists()
    value = svc.party_reveal(party=party, field_name="id_number", reason="核实身份",
                             actor=office.people["dispatcher"])
    assert value == "440524188001010014"
    entry = AuditEntry.objects.get(event_type="pii.revealed")
    assert entry.details["reason"] == "核实身份" and entry.actor == office.people["dispatcher"]
    with pytest.raises(PermissionDenied):  # a supervisor of another street: out of scope
        from civicgrid.accounts.services import user_create

        other = user_create(username="sup_b", password=None, roles=["supervisor"],
                            area_codes=[office.world.street_b.code], actor=None)
        svc.party_reveal(party=party, field_name="id_number", reason="x", actor=other)


def test_attachments_are_checked_and_images_get_thumbnails(office):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = new_case(office, uploads=[SimpleUploadedFile("现场.png", PNG, "image/png")])
    attachment = case.attachments.get()
    assert attachment.content_type == "image/png" and attachment.thumbnail
    fake = SimpleUploadedFile("a.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    with pytest.raises(ValidationError, match="格式不支持"):
        new_case(office, uploads=[fake])


# --- routing -------------------------------------------------------------------------------

def test_lowest_capable_level_and_recorded_routing(office):
    case = new_case(office)  # neighbour dispute: the community committee has the specialty
    assert case.level == "community" and case.suggested_unit == office.community_committee
    assert "邻里纠纷" in case.routing_note and case.queue_area == office.world.street_a
    labour = new_case(office, category=office.labour, attributes={"amount": 1000})
    assert labour.level == "county" and labour.suggested_unit == office.county_labour
    assert labour.queue_area == office.world.county


def test_rules_win_and_are_recorded(office):
    rule = RoutingRule.objects.create(category=office.neighbour, area=office.world.street_a,
                                      level="street", unit=office.world.unit_a)
    case = new_case(office)
    assert case.suggested_unit == office.community_committee  # community level first
    RoutingRule.objects.create(category=None, area=office.world.community_a,
                               level="community", unit=office.world.unit_a, priority=5)
    case = new_case(office)
    assert case.routing_rule.area == office.world.community_a
    assert f"#{case.routing_rule.pk}" in case.routing_note and rule.pk != case.routing_rule.pk


def test_no_rule_and_no_capable_unit_goes_to_the_street_queue(office):
    office.community_committee.specialties.clear()
    case = new_case(office)
    assert case.suggested_unit is None and case.queue_area == office.world.street_a
    assert "街道调度中心" in case.routing_note


def test_group_and_major_flags_raise_the_level(office):
    assert new_case(office, is_group=True).level in ("street", "county")
    assert new_case(office, is_major=True).level == "county"
    assert new_case(office, people_band="gt500").level == "county"


# --- escalation, hand-offs, extensions, merge ------------------------------------------------

def test_escalation_goes_up_one_level_at_a_time_to_the_district_and_stops(office):
    case = to_handling(office, unit=office.community_committee)
    Case.objects.filter(pk=case.pk).update(level="community")
    case.refresh_from_db()
    go(case, "escalate", office.people["community_mediator"], reason="调解不成")
    assert (case.level, case.status, case.assigned_unit) == ("street", "accepted", None)
    assert case.queue_area == office.world.street_a
    go(case, "escalate", office.people["dispatcher"], reason="涉及面广")
    assert case.level == "county" and case.queue_area == office.world.county
    before = snapshot(case)
    with pytest.raises(ValidationError, match="区级"):
        go(case, "escalate", office.people["county_dispatcher"], reason="再上报")
    assert snapshot(case) == before


HANDOFFS = [("police", "police", "police"), ("procuratorate", "procuratorate", "procurator"),
            ("court", "court", "court"), ("petition", "petition_office", "petition"),
            ("legal_aid", "legal_aid", "legal_aid")]


@pytest.mark.parametrize("kind, unit_attr, receiver", HANDOFFS)
def test_each_hand_off_kind_round_trip(office, kind, unit_attr, receiver):
    case = to_handling(office)
    unit = getattr(office, unit_attr)
    handoff = go(case, "hand_off", office.people["mediator"], kind=kind, to_unit=unit,
                 note="需要对接处理")
    assert case.status == Status.HANDED_OFF and handoff.receipt_due_at > timezone.now()
    assert Notice.objects.filter(unit=unit, kind=NoticeKind.HANDOFF).exists()
    person = office.people[receiver]
    # The receiving unit sees the case (it is outside its jurisdiction otherwise for some).
    assert Case.objects.restrict(person, "view").filter(pk=case.pk).exists()
    go(case, "acknowledge_handoff", person)
    handoff.refresh_from_db()
    assert handoff.acknowledged_by == person
    go(case, "handoff_outcome", person, outcome="已依法处理完毕")
    handoff.refresh_from_db()
    assert case.status == Status.HANDLING and handoff.outcome == "已依法处理完毕"
    assert case.events.filter(type="handoff_outcome", note="已依法处理完毕").exists()


def test_hand_off_must_go_to_the_right_kind_of_unit(office):
    case = to_handling(office)
    before = snapshot(case)
    with pytest.raises(ValidationError):
        go(case, "hand_off", office.people["mediator"], kind="court", to_unit=office.police)
    assert snapshot(case) == before


def test_petition_extension_once_and_at_most_thirty_days(office):
    case = to_handling(office, new_case(office, category=office.petition,
                                        channel=Channel.PETITION_LETTER),
                       unit=office.petition_office)
    handler, dispatcher = office.people["petition"], office.people["county_dispatcher"]
    with pytest.raises(ValidationError, match="30"):
        go(case, "request_extension", handler, days=31, reason="情况复杂")
    due = case.handle_due_at
    go(case, "request_extension", handler, days=30, reason="情况复杂")
    go(case, "decide_extension", dispatcher, approve=True)
    case.refresh_from_db()
    assert case.handle_due_at == due + timedelta(days=30) and case.extensions_used == 1
    before = snapshot(case)
    with pytest.raises(ValidationError, match="1 次"):
        go(case, "request_extension", handler, days=1, reason="再延期")
    assert snapshot(case) == before


def test_denied_extension_keeps_the_deadline(office):
    case = to_handling(office)
    due = case.handle_due_at
    go(case, "request_extension", office.people["mediator"], days=5, reason="补充材料")
    go(case, "decide_extension", office.people["dispatcher"], approve=False, note="不同意")
    case.refresh_from_db()
    assert case.handle_due_at == due and case.extensions_used == 0


def test_merge_carries_parties_and_attachments_over(office):
    from django.core.files.uploadedfile import SimpleUploadedFile

    master = new_case(office)
    dup = new_case(office, parties=[svc.PartyInput(role="applicant", name="张三",
                                                   phone="13812345678"),
                                    svc.PartyInput(role="other", name="赵六")],
                   uploads=[SimpleUploadedFile("x.png", PNG, "image/png")])
    go(dup, "merge", office.people["dispatcher"], master=master)
    assert dup.status == Status.MERGED and dup.merged_into == master
    assert sorted(master.parties.values_list("name", flat=True)) == ["张三", "李四", "赵六"]
    assert master.attachments.count() == 1
    assert master.events.filter(type="duplicate_merged").exists()


def test_suspended_cases_leave_the_due_counts_and_resume_with_the_time_added(office):
    case = to_handling(office)
    go(case, "suspend", office.people["dispatcher"], reason="等待鉴定")
    later = timezone.now() + timedelta(days=365)
    assert deadline_state(case, later) == ""
    due = case.handle_due_at
    go(case, "resume", office.people["dispatcher"])
    assert case.status == Status.HANDLING and case.handle_due_at >= due


# --- deadlines, supervision, due jobs --------------------------------------------------------

def test_overdue_and_due_soon_need_no_sweep(office):
    case = new_case(office)
    assert deadline_state(case) == "ok"
    assert deadline_state(case, case.stage_due_at - timedelta(hours=2)) == "due_soon"
    late = case.stage_due_at + (case.stage_due_at - case.stage_started_at) * 2
    assert deadline_state(case, late) == "overdue"
    assert overdue_multiple(case, late) == pytest.approx(3.0, abs=0.1)
    counts = inbox_counts(actor=office.people["dispatcher"], now=late)
    assert counts["overdue"] == 1 and counts["dispatch"] == 1


def test_inbox_counts_equal_the_inbox_lists_with_closed_cases_present(office):
    """inbox_counts reads only open cases (an index): every inbox must hold open cases
    only, or its count would miss some."""
    dispatcher = office.people["dispatcher"]
    handled = to_handling(office)
    go(to_handling(office), "hand_off", office.people["mediator"], kind="court",
       to_unit=office.court)
    rejected = new_case(office)
    go(rejected, "reject", dispatcher, reason="不属于受理范围")
    # A closed case that the overdue, supervised and unit inboxes would list but for its
    # status.
    Case.objects.filter(pk=rejected.pk).update(
        supervision="red", stage_due_at=timezone.now() - timedelta(days=30),
        assigned_unit=handled.assigned_unit)
    for user in office.people.values():
        counts = inbox_counts(actor=user)
        for name in INBOXES:
            listed = case_list(actor=user, filters=CaseFilters(inbox=name)).count()
            assert counts[name] == listed, (user.username, name)


def test_petition_deadlines_follow_the_statute(office):
    from civicgrid.workcalendar.calendar import SHANGHAI

    case = new_case(office, category=office.petition, channel=Channel.PETITION_VISIT)
    accepted = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(timezone, "now", lambda: accepted)
        go(case, "accept", office.people["county_dispatcher"])
    assert timezone.localtime(case.handle_due_at, SHANGHAI).date().isoformat() == "2027-01-01"


def test_supervision_and_reminders_land_in_the_assignees_inbox(office):
    case = to_handling(office)
    go(case, "supervise", office.people["dispatcher"], level="red", reason="群众反映强烈")
    go(case, "remind", office.people["dispatcher"])
    kinds = set(Notice.objects.filter(unit=office.world.unit_a).values_list("kind",
                                                                                flat=True))
    assert kinds == {NoticeKind.DISPATCH, NoticeKind.SUPERVISION, NoticeKind.REMINDER}
    assert inbox_counts(actor=office.people["dispatcher"])["supervised"] == 1


def test_due_jobs_escalate_long_overdue_cases_once_and_notify(office):
    case = to_handling(office)
    far = case.stage_started_at + (case.stage_due_at - case.stage_started_at) * 2.5
    with pytest.MonkeyPatch.context() as mp:  # the jobs run at `far`
        mp.setattr(timezone, "now", lambda: far)
        report = svc.due_jobs_run()
        case.refresh_from_db()
        assert report.escalated == [case.number]
        assert case.status == Status.ACCEPTED and case.level == "street"
        assert Notice.objects.filter(kind=NoticeKind.ESCALATION,
                                        unit=office.centre_a).exists()
        assert svc.due_jobs_run().escalated == []
    not_yet = case.stage_started_at + (case.stage_due_at - case.stage_started_at) * 1.5
    assert svc.due_jobs_run(now=not_yet).escalated == []


def test_due_jobs_remind_before_the_judicial_confirmation_deadline(office):
    case = to_handling(office)
    go(case, "resolve", office.people["mediator"], outcome=Outcome.MEDIATED, note="调解成功",
       agreement=svc.AgreementInput(facts="噪音", disputed_matters="装修时间",
                                    terms=["晚八点后不施工"], performance="即日起履行"))
    deadline = case.agreement.confirmation_deadline
    assert deadline == case.agreement.signed_on + timedelta(days=30)
    from civicgrid.workcalendar.calendar import SHANGHAI

    when = datetime.combine(deadline - timedelta(days=5), datetime.min.time(), SHANGHAI)
    assert svc.due_jobs_run(now=when).judicial_reminders == 1
    assert svc.due_jobs_run(now=when).judicial_reminders == 0
    assert Notice.objects.filter(kind=NoticeKind.JUDICIAL, case=case).count() == 1


# --- duplicates and rollups ------------------------------------------------------------------

def test_duplicate_suggestions(office):
    first = new_case(office, lng=120.81, lat=31.91, parties=[
        svc.PartyInput(role="applicant", name="钱七", phone="13900001111")])
    suggestions = duplicate_candidates(
        actor=office.people["dispatcher"], category=office.neighbour,
        description="楼上邻居深夜装修,噪音扰民,协商没有结果", lng=120.8105, lat=31.9101,
        area_code=office.world.grid_a1.code, phone_hashes=[keyed_hash("13900001111", "phone")])
    assert suggestions and suggestions[0].case == first
    assert {"same_party", "nearby_same_category", "similar_text"} == set(
        suggestions[0].reasons)
    unrelated = duplicate_candidates(actor=office.people["dispatcher"], category=None,
                                     description="公司拖欠三个月工资,要求支付", lng=None,
                                     lat=None)
    assert unrelated == []


def test_rollups_equal_a_recount_after_a_mixed_history(office):
    a, b, c = new_case(office), to_handling(office), to_handling(office)
    go(b, "resolve", office.people["mediator"], outcome=Outcome.DISPOSED, note="已处置")
    go(c, "suspend", office.people["dispatcher"], reason="等待")
    go(a, "reject", office.people["dispatcher"], reason="重复")
    assert stats_differences() == []
    totals = CaseStat.objects.aggregate(registered=Sum("registered"), due=Sum("due"),
                                        rejected=Sum("rejected"), suspended=Sum("suspended"),
                                        out_disposed=Sum("out_disposed"))
    assert totals == {"registered": 3, "due": 2, "rejected": 1, "suspended": 1,
                      "out_disposed": 1}


def test_stale_version_is_refused_and_changes_nothing(office):
    case = new_case(office)
    stale = Case.objects.get(pk=case.pk)
    go(case, "accept", office.people["dispatcher"])
    before = snapshot(case)
    with pytest.raises(svc.StaleCase):
        svc.case_act("reject", case=stale, actor=office.people["dispatcher"],
                        expected_version=stale.version, reason="重复")
    assert snapshot(case) == before
    assert HandOff.objects.count() == 0

"""The procedure of a major matter, through its services: what each step allows and refuses.

Every refusal asserts that nothing changed. Street A's supervisor organises; street A's
leader decides and approves exemptions (civicgrid/accounts/roles.py, RISK_*)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civicgrid.accounts.roles import Role
from civicgrid.audit.models import AuditEntry
from civicgrid.core.errors import RuleViolation
from civicgrid.risk.models import (
    ActivityKind,
    Assessment,
    AssessmentStatus,
    Decision,
    DecisionKind,
    ExemptionStatus,
    LevelRule,
    Matter,
    MatterKind,
    MatterStatus,
    Procedure,
)
from civicgrid.risk.services.matters import (
    ActivityInput,
    AssessmentInput,
    DecisionInput,
    ItemInput,
    MatterInput,
    activity_add,
    assessment_rate,
    assessment_report,
    assessment_start,
    item_add,
    level_rule_publish,
    matter_decide,
    matter_exemption_decide,
    matter_exemption_request,
    matter_implement,
    matter_register,
    matter_update,
    matter_withdraw,
)
from civicgrid.workcalendar.calendar import SHANGHAI

NOW = datetime(2026, 6, 10, 9, tzinfo=SHANGHAI)
TODAY = date(2026, 6, 10)


@pytest.fixture
def staff(world):
    return world.users[Role.SUPERVISOR]


@pytest.fixture
def leader(world):
    return world.users[Role.LEADER]


def register(world, staff, kind="land_acquisition", **extra) -> Matter:
    data = MatterInput(title="城东地块征收", summary="征收城东地块建设学校",
                       deciding_body="区政府常务会议",
                       kind=MatterKind.objects.get(code=kind), area=world.community_a,
                       responsible_unit=world.unit_a, **extra)
    return matter_register(data=data, actor=staff, now=NOW)


def assess(matter, staff, *, scores=((2, 2),), oppose=0, answered=0,
           procedure=Procedure.ORDINARY, reason="") -> Assessment:
    a = assessment_start(matter=matter, actor=staff, now=NOW, data=AssessmentInput(
        plan="问卷、座谈、走访", procedure=procedure, simplified_reason=reason,
        assessor_unit=matter.responsible_unit))
    if procedure == Procedure.ORDINARY:
        activity_add(assessment=a, actor=staff, today=TODAY, data=ActivityInput(
            kind=ActivityKind.QUESTIONNAIRE, held_on=TODAY, record="发放问卷",
            answered=answered, support=answered - oppose, oppose=oppose))
    for likelihood, impact in scores:
        item_add(assessment=a, actor=staff, data=ItemInput(
            dimension="rationality", description="补偿标准争议", likelihood=likelihood,
            impact=impact, residual_likelihood=likelihood, residual_impact=impact))
    return assessment_rate(assessment=a, conclusion="结论", actor=staff, now=NOW)


def decide(matter, leader, kind=DecisionKind.IMPLEMENT, **extra) -> Decision:
    return matter_decide(matter=matter, actor=leader, now=NOW, today=TODAY, data=DecisionInput(
        kind=kind, decided_on=TODAY, body="区政府常务会议", minutes="会议纪要", **extra))


def test_registering_takes_whether_assessment_is_required_from_the_kind(world, staff):
    matter = register(world, staff)
    assert matter.assessment_required is True
    assert matter.number == f"ZD2026{matter.pk:06d}"
    assert matter.status == MatterStatus.REGISTERED
    assert list(matter.affected.values_list("area_code", flat=True)) == [world.community_a.code]
    assert AuditEntry.objects.filter(event_type="matter.registered",
                                     subject_id=str(matter.pk)).count() == 1
    assert register(world, staff, kind="other").assessment_required is False


@pytest.mark.parametrize("who", [Role.GRID_WORKER, Role.HANDLER, Role.LEADER])
def test_only_organisers_register(world, who):
    with pytest.raises(PermissionDenied):
        register(world, world.users[who])
    assert not Matter.objects.exists()


def test_a_matter_outside_the_jurisdiction_is_refused(world, staff):
    data = MatterInput(title="x", summary="y", deciding_body="z",
                       kind=MatterKind.objects.get(code="education"), area=world.community_b,
                       responsible_unit=world.unit_a)
    with pytest.raises(PermissionDenied):
        matter_register(data=data, actor=staff)
    assert not Matter.objects.exists()


def test_a_mandatory_matter_is_not_decided_or_implemented_without_assessment(world, staff,
                                                                             leader):
    matter = register(world, staff)
    with pytest.raises(RuleViolation, match="应评尽评"):
        decide(matter, leader)
    with pytest.raises(RuleViolation, match="没有决策"):
        matter_implement(matter=matter, actor=staff)
    # an assessment rated but not reported is not enough either
    assess(matter, staff)
    with pytest.raises(RuleViolation, match="尚未报送"):
        decide(matter, leader)
    matter.refresh_from_db()
    assert matter.status == MatterStatus.ASSESSING
    assert not Decision.objects.exists()
    assert matter.implemented_at is None


def test_the_whole_procedure(world, staff, leader):
    matter = register(world, staff)
    assessment = assess(matter, staff, scores=[(2, 3)])
    assert (assessment.level, assessment.status) == ("low", AssessmentStatus.RATED)
    assert assessment.level_rule == LevelRule.objects.get(version=1)
    assessment_report(assessment=assessment, actor=staff, now=NOW)
    matter.refresh_from_db()
    assert matter.status == MatterStatus.AWAITING_DECISION
    decision = decide(matter, leader)
    assert decision.assessment == assessment
    matter_implement(matter=matter, actor=staff, now=NOW)
    matter.refresh_from_db()
    assessment.refresh_from_db()
    assert (matter.status, matter.implemented_at) == (MatterStatus.IMPLEMENTED, NOW)
    assert assessment.status == AssessmentStatus.DECIDED
    events = list(AuditEntry.objects.filter(event_type__regex=r"^(matter|assessment)\.")
                  .order_by("id").values_list("event_type", flat=True))
    assert events == ["matter.registered", "assessment.started", "assessment.changed",
                      "assessment.changed", "assessment.rated", "assessment.reported",
                      "matter.decided", "matter.implemented"]


def test_a_high_level_forbids_plain_implementation(world, staff, leader):
    matter = register(world, staff)
    assessment = assess(matter, staff, scores=[(4, 4)])  # residual 16 ≥ 15
    assert assessment.level == "high"
    assessment_report(assessment=assessment, actor=staff, now=NOW)
    with pytest.raises(RuleViolation, match="只能暂缓实施或不实施"):
        decide(matter, leader)
    with pytest.raises(ValidationError, match="风险防范化解方案"):
        decide(matter, leader, override=True, override_reason="民生急需")
    with pytest.raises(ValidationError, match="理由"):
        decide(matter, leader, override=True, mitigation_plan="分期补偿")
    assert not Decision.objects.exists()
    matter.refresh_from_db()
    assert matter.status == MatterStatus.AWAITING_DECISION
    decision = decide(matter, leader, override=True, override_reason="民生急需",
                      mitigation_plan="分期补偿,设立专班")
    assert (decision.kind, decision.override) == (DecisionKind.IMPLEMENT, True)


@pytest.mark.parametrize("kind", [DecisionKind.POSTPONE, DecisionKind.REJECT])
def test_a_high_level_postponed_or_rejected_cannot_be_implemented(world, staff, leader, kind):
    matter = register(world, staff)
    assessment = assess(matter, staff, answered=100, oppose=45)
    assert assessment.level == "high"
    assessment_report(assessment=assessment, actor=staff, now=NOW)
    decide(matter, leader, kind=kind)
    with pytest.raises(RuleViolation, match="不能标记实施"):
        matter_implement(matter=matter, actor=staff)
    matter.refresh_from_db()
    assert (matter.status, matter.implemented_at) == (MatterStatus.DECIDED, None)


def test_override_only_where_it_means_something(world, staff, leader):
    matter = register(world, staff)
    assessment_report(assessment=assess(matter, staff), actor=staff, now=NOW)
    with pytest.raises(RuleViolation):
        decide(matter, leader, override=True, override_reason="r", mitigation_plan="p")
    assert not Decision.objects.exists()


def test_only_leaders_decide(world, staff):
    matter = register(world, staff)
    assessment_report(assessment=assess(matter, staff), actor=staff, now=NOW)
    with pytest.raises(PermissionDenied):
        decide(matter, staff)
    with pytest.raises(PermissionDenied):  # a leader of the other street does not see it
        decide(matter, world.outsider)
    assert not Decision.objects.exists()


def test_exemption_needs_someone_else_to_approve(world, staff, leader):
    matter = register(world, staff)
    matter_exemption_request(matter=matter, reason="属于上级已评估项目的组成部分", actor=staff)
    with pytest.raises(PermissionDenied):  # supervisors do not approve
        matter_exemption_decide(matter=matter, approve=True, note="", actor=staff)
    matter.refresh_from_db()
    assert matter.exemption_status == ExemptionStatus.REQUESTED
    with pytest.raises(RuleViolation, match="审批前不能决策"):
        decide(matter, leader)
    matter_exemption_decide(matter=matter, approve=True, note="同意", actor=leader, now=NOW)
    matter.refresh_from_db()
    assert (matter.exempted, matter.needs_assessment) == (True, False)
    decide(matter, leader)
    matter_implement(matter=matter, actor=staff)
    matter.refresh_from_db()
    assert matter.status == MatterStatus.IMPLEMENTED


def test_the_leader_who_asked_does_not_approve_their_own_exemption(world, staff, leader):
    matter = register(world, staff)
    matter.exemption_status, matter.exemption_reason = "requested", "r"
    matter.exemption_requested_by = leader
    matter.save()
    with pytest.raises(RuleViolation, match="申请人以外"):
        matter_exemption_decide(matter=matter, approve=True, note="", actor=leader)
    matter.refresh_from_db()
    assert matter.exemption_status == "requested"


def test_a_refused_exemption_gives_a_reason_and_assessment_stays_required(world, staff, leader):
    matter = register(world, staff)
    matter_exemption_request(matter=matter, reason="理由", actor=staff)
    with pytest.raises(ValidationError):
        matter_exemption_decide(matter=matter, approve=False, note="", actor=leader)
    matter_exemption_decide(matter=matter, approve=False, note="涉及面广,必须评估", actor=leader)
    matter.refresh_from_db()
    assert matter.needs_assessment is True
    with pytest.raises(RuleViolation, match="应评尽评"):
        decide(matter, leader)


def test_a_matter_not_required_is_decided_directly(world, staff, leader):
    matter = register(world, staff, kind="other")
    decide(matter, leader, kind=DecisionKind.IMPLEMENT)
    matter_implement(matter=matter, actor=staff)
    matter.refresh_from_db()
    assert matter.status == MatterStatus.IMPLEMENTED


def test_simplified_procedure_needs_a_reason_and_ordinary_needs_opinions(world, staff):
    matter = register(world, staff)
    with pytest.raises(ValidationError, match="简易程序"):
        assessment_start(matter=matter, actor=staff, data=AssessmentInput(
            plan="p", procedure=Procedure.SIMPLIFIED, assessor_unit=world.unit_a))
    assert not Assessment.objects.exists()
    a = assessment_start(matter=matter, actor=staff, data=AssessmentInput(
        plan="p", assessor_unit=world.unit_a))
    with pytest.raises(RuleViolation, match="征求意见"):
        assessment_rate(assessment=a, conclusion="c", actor=staff)
    a.refresh_from_db()
    assert (a.status, a.level) == (AssessmentStatus.OPEN, "")


def test_a_simplified_assessment_with_its_reason_is_rated_without_activities(world, staff):
    matter = register(world, staff)
    a = assess(matter, staff, procedure=Procedure.SIMPLIFIED, reason="影响范围小、群众无异议")
    assert (a.level, a.procedure) == ("low", Procedure.SIMPLIFIED)


def test_an_edit_after_rating_takes_the_rating_back(world, staff):
    matter = register(world, staff)
    a = assess(matter, staff, scores=[(2, 2)])
    item_add(assessment=a, actor=staff, data=ItemInput(
        dimension="legality", description="程序瑕疵", likelihood=4, impact=4,
        residual_likelihood=4, residual_impact=4))
    a.refresh_from_db()
    assert (a.status, a.level, a.level_reasons) == (AssessmentStatus.OPEN, "", [])
    a = assessment_rate(assessment=a, conclusion="c", actor=staff)
    assert a.level == "high"


def test_a_reported_assessment_is_fixed(world, staff):
    matter = register(world, staff)
    a = assess(matter, staff)
    assessment_report(assessment=a, actor=staff, now=NOW)
    with pytest.raises(RuleViolation, match="已报送"):
        item_add(assessment=a, actor=staff, data=ItemInput(
            dimension="legality", description="d", likelihood=1, impact=1,
            residual_likelihood=1, residual_impact=1))
    assert a.items.count() == 1


def test_a_lower_residual_score_needs_its_mitigation(world, staff):
    matter = register(world, staff)
    a = assessment_start(matter=matter, actor=staff, data=AssessmentInput(
        plan="p", assessor_unit=world.unit_a))
    with pytest.raises(ValidationError, match="防范化解措施"):
        item_add(assessment=a, actor=staff, data=ItemInput(
            dimension="legality", description="d", likelihood=4, impact=4,
            residual_likelihood=2, residual_impact=2))
    with pytest.raises(ValidationError, match="1至5"):
        item_add(assessment=a, actor=staff, data=ItemInput(
            dimension="legality", description="d", likelihood=6, impact=4,
            residual_likelihood=2, residual_impact=2, mitigation="m"))
    assert not a.items.exists()


def test_reassessment_supersedes_and_a_new_decision_replaces_the_old(world, staff, leader):
    matter = register(world, staff)
    first = assess(matter, staff)
    assessment_report(assessment=first, actor=staff, now=NOW)
    decide(matter, leader)
    matter_implement(matter=matter, actor=staff, now=NOW)
    with pytest.raises(RuleViolation, match="重新评估"):
        decide(matter, leader, kind=DecisionKind.POSTPONE)
    Matter.objects.filter(pk=matter.pk).update(reassessment_suggested_at=NOW,
                                               reassessment_reason="纠纷增多")
    matter.refresh_from_db()
    second = assess(matter, staff, scores=[(4, 4)])
    first.refresh_from_db()
    matter.refresh_from_db()
    assert (first.status, second.round) == (AssessmentStatus.SUPERSEDED, 2)
    assert (matter.status, matter.reassessment_suggested_at) == (MatterStatus.ASSESSING, None)
    assessment_report(assessment=second, actor=staff, now=NOW)
    decide(matter, leader, kind=DecisionKind.POSTPONE)
    assert list(matter.decisions.order_by("id").values_list("kind", "superseded")) == [
        ("implement", True), ("postpone", False)]
    matter.refresh_from_db()
    assert matter.status == MatterStatus.DECIDED  # 暂缓: implementation halted


def test_a_withdrawn_matter_is_neither_assessed_nor_decided(world, staff, leader):
    matter = register(world, staff)
    matter_withdraw(matter=matter, reason="规划调整", actor=staff)
    with pytest.raises(RuleViolation):
        assessment_start(matter=matter, actor=staff, data=AssessmentInput(
            plan="p", assessor_unit=world.unit_a))
    with pytest.raises(RuleViolation):
        decide(matter, leader)
    assert not Assessment.objects.exists()


def test_publishing_a_rule_makes_a_new_version_used_from_then_on(world, staff):
    admin = world.users[Role.ADMINISTRATOR]
    matter = register(world, staff)
    before = assess(matter, staff, scores=[(2, 3)])  # 6: low under version 1
    figures = {"high_item_score": 12, "medium_item_score": 6, "high_medium_items": 2,
               "high_oppose_percent": 25, "medium_oppose_percent": 5,
               "people_floor_medium": 300}
    with pytest.raises(PermissionDenied):
        level_rule_publish(figures=figures, note="从严", actor=staff)
    with pytest.raises(ValidationError):
        level_rule_publish(figures={**figures, "medium_item_score": 12}, note="n", actor=admin)
    assert LevelRule.objects.count() == 1
    rule = level_rule_publish(figures=figures, note="从严", actor=admin)
    assert rule.version == 2
    other = register(world, staff)
    after = assess(other, staff, scores=[(2, 3)])
    before.refresh_from_db()
    assert (before.level, before.level_rule.version) == ("low", 1)
    assert (after.level, after.level_rule.version) == ("medium", 2)


def test_writes_need_the_owning_area_within_the_jurisdiction(world, staff, leader):
    """A district matter is read by street A's staff (it is above them) but decided,
    assessed and withdrawn only by the district's."""
    matter = Matter.objects.create(
        number="ZD-county", title="全区公交票价调整", summary="s", deciding_body="区政府",
        kind=MatterKind.objects.get(code="price"), area=world.county,
        area_code=world.county.code, responsible_unit=world.unit_county,
        assessment_required=False, registered_at=NOW)
    assert Matter.objects.restrict(staff, "view").filter(pk=matter.pk).exists()
    with pytest.raises(PermissionDenied):
        decide(matter, leader)
    with pytest.raises(PermissionDenied):
        matter_withdraw(matter=matter, reason="r", actor=staff)
    with pytest.raises(PermissionDenied):
        assessment_start(matter=matter, actor=staff, data=AssessmentInput(
            plan="p", assessor_unit=world.unit_a))
    matter.refresh_from_db()
    assert (matter.status, Decision.objects.count(), Assessment.objects.count()) == (
        MatterStatus.REGISTERED, 0, 0)


def test_a_high_level_binds_a_matter_not_required_to_be_assessed(world, staff, leader):
    matter = register(world, staff, kind="other")  # assessed of the organisers' own accord
    assessment_report(assessment=assess(matter, staff, scores=[(4, 4)]), actor=staff, now=NOW)
    decide(matter, leader, kind=DecisionKind.POSTPONE)
    with pytest.raises(RuleViolation, match="只能暂缓实施或不实施"):
        decide(matter, leader)  # changing its mind to plain 实施
    assert list(matter.decisions.values_list("kind", flat=True)) == ["postpone"]
    decision = decide(matter, leader, override=True, override_reason="急需",
                      mitigation_plan="专班")
    assert decision.assessment is not None and decision.assessment.level == "high"


def test_a_change_of_kind_does_not_drop_the_requirement(world, staff):
    matter = register(world, staff)
    data = MatterInput(title=matter.title, summary=matter.summary, deciding_body="b",
                       kind=MatterKind.objects.get(code="other"), area=world.community_a,
                       responsible_unit=world.unit_a)
    with pytest.raises(RuleViolation, match="免予评估"):
        matter_update(matter=matter, data=data, actor=staff)
    matter.refresh_from_db()
    assert (matter.kind.code, matter.assessment_required) == ("land_acquisition", True)


def test_the_people_count_is_a_finding(world, staff):
    matter = register(world, staff, people_count=100)
    a = assess(matter, staff)
    assert a.level == "low"
    data = MatterInput(title=matter.title, summary=matter.summary, deciding_body="b",
                       kind=matter.kind, area=world.community_a,
                       responsible_unit=world.unit_a, people_count=5000)
    matter_update(matter=matter, data=data, actor=staff)
    a.refresh_from_db()
    assert (a.status, a.level) == (AssessmentStatus.OPEN, "")  # rated again: medium now
    assert assessment_rate(assessment=a, conclusion="c", actor=staff).level == "medium"
    assessment_report(assessment=a, actor=staff, now=NOW)
    with pytest.raises(RuleViolation, match="已报送"):
        matter_update(matter=matter, actor=staff, data=MatterInput(
            title=matter.title, summary=matter.summary, deciding_body="b", kind=matter.kind,
            area=world.community_a, responsible_unit=world.unit_a, people_count=50))
    matter.refresh_from_db()
    assert matter.people_count == 5000


def test_the_decision_is_not_dated_before_the_report(world, staff, leader):
    matter = register(world, staff)
    assessment_report(assessment=assess(matter, staff), actor=staff, now=NOW)
    with pytest.raises(ValidationError, match="不能早于评估报告报送日期"):
        matter_decide(matter=matter, actor=leader, now=NOW, today=TODAY, data=DecisionInput(
            kind=DecisionKind.POSTPONE, decided_on=date(2026, 6, 9), body="会议", minutes="纪要"))
    assert not Decision.objects.exists()

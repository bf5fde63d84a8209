"""Major matters and their assessment: every write, each checking its own rules.

The procedure (docs/risk.md): register the matter → (exemption asked and approved by
someone else, or) start an assessment: plan, consultation activities, risk items → rate it
by the published level rule → report it → the deciding body's decision (实施 / 暂缓 / 不实施)
→ implementation. Whoever calls these — a page, the API, a command — the same rules hold:
a matter that needs assessment is decided only on a reported assessment; a high level
allows 实施 only as a recorded collective override with a mitigation plan; a matter is
implemented only on a standing decision to implement.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.areas.models import Area
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.core.bands import BAND_FLOOR, PeopleBand
from civicgrid.core.errors import RuleViolation
from civicgrid.core.scope import get_scope, user_can
from civicgrid.core.text import refuse_longer_than_field, refuse_too_long
from civicgrid.risk.levels import Findings, rate
from civicgrid.risk.models import (
    SCORE_MAX,
    SCORE_MIN,
    ActivityKind,
    Assessment,
    AssessmentStatus,
    AssessorKind,
    ConsultationActivity,
    Decision,
    DecisionKind,
    Dimension,
    ExemptionStatus,
    LevelRule,
    Matter,
    MatterArea,
    MatterKind,
    MatterStatus,
    Procedure,
    RiskItem,
    RiskLevel,
)
from civicgrid.units.models import Unit

# Statuses in which the matter's facts and its assessment may still change.
OPEN_MATTER = (MatterStatus.REGISTERED, MatterStatus.ASSESSING, MatterStatus.AWAITING_DECISION)
EDITABLE_ASSESSMENT = (AssessmentStatus.OPEN, AssessmentStatus.RATED)


def _allowed(actor: User, model: type[models.Model], action: str, code: str) -> None:
    """The actor holds the permission and the place lies in their jurisdiction; otherwise
    refused like a missing record."""
    if not user_can(actor, model, action) or not get_scope(actor).covers_code(code):
        raise PermissionDenied


def _visible(actor: User, matter: Matter, action: str = "change") -> None:
    """The actor may `action` the matter: it is read through `restrict()` (which admits
    matters owned under or above the actor's jurisdiction, so that staff see the district's
    matters that touch them), and for a write its owning area lies within the actor's
    jurisdiction: a street's staff do not decide, assess or withdraw the district's
    matters."""
    if not Matter.objects.restrict(actor, action).filter(pk=matter.pk).exists():
        raise PermissionDenied
    if not get_scope(actor).covers_code(matter.area_code):
        raise PermissionDenied


def _text(model: type[models.Model], name: str, value: str, *, required: bool = False,
          label: str = "") -> str:
    text = (value or "").strip()
    if required and not text:
        field_obj = model._meta.get_field(name)
        raise ValidationError({name: _("请填写%(label)s。") % {
            "label": label or getattr(field_obj, "verbose_name", name)}})
    if isinstance(model._meta.get_field(name), models.CharField):
        refuse_longer_than_field(model, name, text)
    return text


def _locked(matter: Matter) -> Matter:
    return Matter.objects.select_for_update().get(pk=matter.pk)


# --- matters ------------------------------------------------------------------------------

@dataclass(frozen=True)
class MatterInput:
    title: str
    summary: str
    kind: MatterKind
    area: Area
    responsible_unit: Unit
    deciding_body: str
    areas: Sequence[Area] = ()  # affected areas (the owning area when empty)
    projects: str = ""
    people_band: str = PeopleBand.UNDER_50
    people_count: int | None = None


def _clean_matter(data: MatterInput, actor: User) -> MatterInput:
    title = _text(Matter, "title", data.title, required=True)
    summary = _text(Matter, "summary", data.summary, required=True)
    body = _text(Matter, "deciding_body", data.deciding_body, required=True)
    if not data.kind.active:
        raise RuleViolation({"kind": _("该类别已停用。")})
    if data.people_band not in PeopleBand.values:
        raise ValidationError({"people_band": _("请选择涉及人数。")})
    if data.people_count is not None and not 0 <= data.people_count <= 100_000_000:
        raise ValidationError({"people_count": _("涉及人数不合理。")})
    for area in data.areas:
        if not area.code.startswith(data.area.code):
            raise RuleViolation({"areas": _("涉及区域%(name)s不在所属区域之内。") % {
                "name": area.name}})
    if not Unit.objects.restrict(actor, "view").filter(pk=data.responsible_unit.pk).exists():
        raise RuleViolation({"responsible_unit": _("责任单位不在您的管辖范围内。")})
    projects = "\n".join(line.strip() for line in (data.projects or "").splitlines()
                         if line.strip())
    if len(projects) > 2000:
        raise ValidationError({"projects": _("关联项目最多2000个字。")})
    return MatterInput(title=title, summary=summary, kind=data.kind, area=data.area,
                       responsible_unit=data.responsible_unit, deciding_body=body,
                       areas=list(dict.fromkeys(data.areas)) or [data.area],
                       projects=projects, people_band=data.people_band,
                       people_count=data.people_count)


def _matter_number(matter: Matter) -> str:
    year = timezone.localtime(matter.registered_at).year
    return f"ZD{year}{matter.pk:06d}"


@transaction.atomic
def matter_register(*, data: MatterInput, actor: User, now: datetime | None = None) -> Matter:
    """Register a major matter in an area of the actor's jurisdiction. Whether it must be
    assessed is taken from its kind now (a later change of the kind list does not rewrite
    it)."""
    _allowed(actor, Matter, "add", data.area.code)
    data = _clean_matter(data, actor)
    moment = now or timezone.now()
    matter = Matter.objects.create(
        # (a unique placeholder within the column, replaced by the number once the id is
        # known: ZD<year><id>)
        number=f"~{uuid.uuid4().hex[:18]}", title=data.title, summary=data.summary,
        kind=data.kind, area=data.area, area_code=data.area.code,
        responsible_unit=data.responsible_unit, deciding_body=data.deciding_body,
        projects=data.projects, people_band=data.people_band,
        people_count=data.people_count, assessment_required=data.kind.mandatory,
        registered_at=moment, registered_by=actor)
    matter.number = _matter_number(matter)
    matter.save(update_fields=["number"])
    MatterArea.objects.bulk_create(
        MatterArea(matter=matter, area=a, area_code=a.code) for a in data.areas)
    audit_record(actor=actor, event_type=AuditEventType.MATTER_REGISTERED, subject=matter,
                 details={"kind": data.kind.code, "area": data.area.code,
                          "required": matter.assessment_required})
    return matter


@transaction.atomic
def matter_update(*, matter: Matter, data: MatterInput, actor: User) -> Matter:
    """Correct a matter's facts before it is decided. Its kind (and so whether it must be
    assessed) changes only before any assessment or exemption."""
    _visible(actor, matter)
    matter = _locked(matter)
    _allowed(actor, Matter, "change", data.area.code)
    if matter.status not in OPEN_MATTER:
        raise RuleViolation(_("已决策的事项不能再修改。"))
    data = _clean_matter(data, actor)
    changed_kind = data.kind.pk != matter.kind_id
    if changed_kind and (matter.assessments.exists() or matter.exemption_status):
        raise RuleViolation({"kind": _("已开始评估或申请免评的事项不能更改类别。")})
    if changed_kind and matter.assessment_required and not data.kind.mandatory:
        # (dropping the requirement is an exemption: asked with a reason, approved by
        # someone else — not a change of kind)
        raise RuleViolation({"kind": _("必须评估的事项不能改为无需评估的类别;确不需评估的,"
                                       "请申请免予评估。")})
    current = current_assessment(matter)
    facts_changed = (data.people_band, data.people_count) != (matter.people_band,
                                                              matter.people_count)
    if facts_changed and current is not None and current.status == AssessmentStatus.REPORTED:
        raise RuleViolation({"people_band": _("评估报告已报送,涉及人数不能再修改;"
                                              "如有变化请在决策后重新评估。")})
    before = {"title": matter.title, "kind": matter.kind.code, "area": matter.area_code}
    matter.title, matter.summary, matter.kind = data.title, data.summary, data.kind
    matter.area, matter.area_code = data.area, data.area.code
    matter.responsible_unit, matter.deciding_body = data.responsible_unit, data.deciding_body
    matter.projects, matter.people_band = data.projects, data.people_band
    matter.people_count = data.people_count
    if changed_kind:
        matter.assessment_required = data.kind.mandatory
    matter.save()
    if facts_changed and current is not None and current.status == AssessmentStatus.RATED:
        _editable(current, actor)  # the people count is a finding: the rating is taken back
    matter.affected.all().delete()
    MatterArea.objects.bulk_create(
        MatterArea(matter=matter, area=a, area_code=a.code) for a in data.areas)
    audit_record(actor=actor, event_type=AuditEventType.MATTER_CHANGED, subject=matter,
                 details={"before": before, "kind": data.kind.code, "area": data.area.code})
    return matter


@transaction.atomic
def matter_exemption_request(*, matter: Matter, reason: str, actor: User) -> Matter:
    """Ask that a matter whose kind must be assessed be decided without assessment."""
    _visible(actor, matter)
    matter = _locked(matter)
    reason = _text(Matter, "exemption_reason", reason, required=True)
    if not matter.assessment_required:
        raise RuleViolation(_("该事项不属于必须评估的事项,无需申请免评。"))
    if matter.status != MatterStatus.REGISTERED or matter.assessments.exists():
        raise RuleViolation(_("已开始评估的事项不能申请免评。"))
    if matter.exemption_status in (ExemptionStatus.REQUESTED, ExemptionStatus.APPROVED):
        raise RuleViolation(_("已申请免评。"))
    matter.exemption_status, matter.exemption_reason = ExemptionStatus.REQUESTED, reason
    matter.exemption_requested_by = actor
    matter.exemption_decided_by, matter.exemption_decided_at = None, None
    matter.exemption_note = ""
    matter.save()
    audit_record(actor=actor, event_type=AuditEventType.MATTER_EXEMPTION_REQUESTED,
                 subject=matter, details={"reason": reason})
    return matter


@transaction.atomic
def matter_exemption_decide(*, matter: Matter, approve: bool, note: str, actor: User,
                            now: datetime | None = None) -> Matter:
    """A leader approves or refuses an exemption; never the one who asked for it."""
    _visible(actor, matter, "approve")
    matter = _locked(matter)
    note = _text(Matter, "exemption_note", note, required=not approve,
                 label=_("不予批准的理由"))
    if matter.exemption_status != ExemptionStatus.REQUESTED:
        raise RuleViolation(_("没有待审批的免评申请。"))
    if matter.exemption_requested_by_id == actor.pk:
        raise RuleViolation(_("免评申请须由申请人以外的领导审批。"))
    matter.exemption_status = ExemptionStatus.APPROVED if approve else ExemptionStatus.REJECTED
    matter.exemption_decided_by, matter.exemption_note = actor, note
    matter.exemption_decided_at = now or timezone.now()
    matter.save()
    audit_record(actor=actor, event_type=AuditEventType.MATTER_EXEMPTION_DECIDED,
                 subject=matter, details={"approved": approve, "note": note})
    return matter


@transaction.atomic
def matter_withdraw(*, matter: Matter, reason: str, actor: User) -> Matter:
    """The matter is dropped before it is implemented (kept, counted out of the rate)."""
    _visible(actor, matter)
    matter = _locked(matter)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写撤销理由。")})
    refuse_too_long(reason, 300, "reason", _("撤销理由"))
    if matter.status in (MatterStatus.IMPLEMENTED, MatterStatus.WITHDRAWN):
        raise RuleViolation(_("已实施或已撤销的事项不能撤销。"))
    before = matter.status
    matter.status = MatterStatus.WITHDRAWN
    matter.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, event_type=AuditEventType.MATTER_WITHDRAWN, subject=matter,
                 details={"from": before, "reason": reason})
    return matter


# --- assessments --------------------------------------------------------------------------

@dataclass(frozen=True)
class AssessmentInput:
    plan: str
    procedure: str = Procedure.ORDINARY
    simplified_reason: str = ""
    assessor_kind: str = AssessorKind.UNIT
    assessor_unit: Unit | None = None
    assessor_name: str = ""


def _clean_assessment(data: AssessmentInput, actor: User) -> AssessmentInput:
    plan = _text(Assessment, "plan", data.plan, required=True)
    if data.procedure not in Procedure.values:
        raise ValidationError({"procedure": _("请选择评估程序。")})
    reason = _text(Assessment, "simplified_reason", data.simplified_reason)
    if data.procedure == Procedure.SIMPLIFIED and not reason:
        raise ValidationError({"simplified_reason": _("适用简易程序须说明理由。")})
    if data.procedure == Procedure.ORDINARY:
        reason = ""
    name = _text(Assessment, "assessor_name", data.assessor_name)
    unit = data.assessor_unit
    if data.assessor_kind == AssessorKind.UNIT:
        if unit is None:
            raise ValidationError({"assessor_unit": _("请选择评估单位。")})
        if not Unit.objects.restrict(actor, "view").filter(pk=unit.pk).exists():
            raise RuleViolation({"assessor_unit": _("评估单位不在您的管辖范围内。")})
        name = ""
    elif data.assessor_kind == AssessorKind.THIRD_PARTY:
        if not name:
            raise ValidationError({"assessor_name": _("请填写第三方机构名称。")})
        unit = None
    else:
        raise ValidationError({"assessor_kind": _("请选择评估主体。")})
    return AssessmentInput(plan=plan, procedure=data.procedure, simplified_reason=reason,
                           assessor_kind=data.assessor_kind, assessor_unit=unit,
                           assessor_name=name)


def current_assessment(matter: Matter) -> Assessment | None:
    """The matter's latest assessment that has not been superseded."""
    return (matter.assessments.exclude(status=AssessmentStatus.SUPERSEDED)
            .order_by("-round").first())


@transaction.atomic
def assessment_start(*, matter: Matter, data: AssessmentInput, actor: User,
                     now: datetime | None = None) -> Assessment:
    """Start an assessment (or a re-assessment: the previous one is superseded, the
    standing decision stays until the new one is decided)."""
    _visible(actor, matter)
    matter = _locked(matter)
    if not user_can(actor, Assessment, "add"):
        raise PermissionDenied
    if matter.status == MatterStatus.WITHDRAWN:
        raise RuleViolation(_("已撤销的事项不能评估。"))
    if matter.exemption_status == ExemptionStatus.REQUESTED:
        raise RuleViolation(_("免评申请待审批,审批前不能开始评估。"))
    data = _clean_assessment(data, actor)
    previous = current_assessment(matter)
    if previous is not None and previous.status in (AssessmentStatus.OPEN,
                                                    AssessmentStatus.RATED,
                                                    AssessmentStatus.REPORTED):
        raise RuleViolation(_("上一轮评估尚未决策,不能重新评估。"))
    moment = now or timezone.now()
    last_round = matter.assessments.aggregate(n=models.Max("round"))["n"] or 0
    if previous is not None:
        previous.status = AssessmentStatus.SUPERSEDED
        previous.save(update_fields=["status"])
    assessment = Assessment.objects.create(
        matter=matter, round=last_round + 1, procedure=data.procedure,
        simplified_reason=data.simplified_reason, assessor_kind=data.assessor_kind,
        assessor_unit=data.assessor_unit, assessor_name=data.assessor_name, plan=data.plan,
        started_at=moment, started_by=actor)
    matter.status = MatterStatus.ASSESSING
    matter.reassessment_suggested_at, matter.reassessment_reason = None, ""
    matter.save(update_fields=["status", "reassessment_suggested_at", "reassessment_reason",
                               "updated_at"])
    audit_record(actor=actor, event_type=AuditEventType.ASSESSMENT_STARTED, subject=assessment,
                 details={"matter": matter.number, "round": assessment.round,
                          "procedure": data.procedure})
    return assessment


def _editable(assessment: Assessment, actor: User) -> Assessment:
    """The assessment, locked, when the actor may change it and it is still being worked
    on; an edit after rating takes the rating back (the level must match the findings)."""
    _visible(actor, assessment.matter)
    if not user_can(actor, Assessment, "change"):
        raise PermissionDenied
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if locked.status not in EDITABLE_ASSESSMENT:
        raise RuleViolation(_("评估报告已报送,不能再修改。"))
    if assessment.matter.status == MatterStatus.WITHDRAWN:
        raise RuleViolation(_("已撤销的事项不能评估。"))
    if locked.status == AssessmentStatus.RATED:
        locked.status, locked.level, locked.level_rule = AssessmentStatus.OPEN, "", None
        locked.level_reasons, locked.rated_at = [], None
        locked.save(update_fields=["status", "level", "level_rule", "level_reasons",
                                   "rated_at"])
    return locked


def _changed(assessment: Assessment, actor: User, what: str, **details: object) -> None:
    audit_record(actor=actor, event_type=AuditEventType.ASSESSMENT_CHANGED, subject=assessment,
                 details={"what": what, **details})


@transaction.atomic
def assessment_update(*, assessment: Assessment, data: AssessmentInput, actor: User
                      ) -> Assessment:
    assessment = _editable(assessment, actor)
    data = _clean_assessment(data, actor)
    assessment.plan, assessment.procedure = data.plan, data.procedure
    assessment.simplified_reason, assessment.assessor_kind = (data.simplified_reason,
                                                              data.assessor_kind)
    assessment.assessor_unit, assessment.assessor_name = data.assessor_unit, data.assessor_name
    assessment.save()
    _changed(assessment, actor, "plan", procedure=data.procedure)
    return assessment


@dataclass(frozen=True)
class ActivityInput:
    kind: str
    held_on: date
    record: str
    place: str = ""
    participants: int = 0
    answered: int = 0
    support: int = 0
    oppose: int = 0
    neutral: int = 0


def _count(value: int, name: str, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10_000_000:
        raise ValidationError({name: _("%(label)s应为0至10000000之间的整数。") % {"label": label}})
    return value


@transaction.atomic
def activity_add(*, assessment: Assessment, data: ActivityInput, actor: User,
                 today: date | None = None) -> ConsultationActivity:
    """Record an activity held to hear opinions; a questionnaire's answers add up."""
    assessment = _editable(assessment, actor)
    if data.kind not in ActivityKind.values:
        raise ValidationError({"kind": _("请选择征求意见方式。")})
    if data.held_on > (today or timezone.localdate()):
        raise ValidationError({"held_on": _("活动日期不能晚于今天。")})
    record = _text(ConsultationActivity, "record", data.record, required=True)
    place = _text(ConsultationActivity, "place", data.place)
    counts = {name: _count(getattr(data, name), name, label) for name, label in (
        ("participants", _("参与人数")), ("answered", _("有效问卷")), ("support", _("支持")),
        ("oppose", _("反对")), ("neutral", _("无所谓/不清楚")))}
    if data.kind != ActivityKind.QUESTIONNAIRE:
        counts.update(answered=0, support=0, oppose=0, neutral=0)
    elif counts["support"] + counts["oppose"] + counts["neutral"] > counts["answered"]:
        raise ValidationError({"answered": _("支持、反对与无所谓之和不能超过有效问卷数。")})
    activity = ConsultationActivity.objects.create(
        assessment=assessment, kind=data.kind, held_on=data.held_on, place=place,
        record=record, **counts)
    _changed(assessment, actor, "activity_added", kind=data.kind, activity=activity.pk)
    return activity


@transaction.atomic
def activity_remove(*, activity: ConsultationActivity, actor: User) -> None:
    assessment = _editable(activity.assessment, actor)
    _changed(assessment, actor, "activity_removed", kind=activity.kind,
             activity=activity.pk, record=activity.record[:200])
    activity.delete()


@dataclass(frozen=True)
class ItemInput:
    dimension: str
    description: str
    likelihood: int
    impact: int
    residual_likelihood: int
    residual_impact: int
    people_affected: int = 0
    mitigation: str = ""
    owner: str = ""


def _score(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not (
            SCORE_MIN <= value <= SCORE_MAX):
        raise ValidationError({name: _("分值应为%(low)d至%(high)d。") % {
            "low": SCORE_MIN, "high": SCORE_MAX}})
    return value


def _clean_item(data: ItemInput) -> dict[str, object]:
    if data.dimension not in Dimension.values:
        raise ValidationError({"dimension": _("请选择评估维度。")})
    values: dict[str, object] = {
        "dimension": data.dimension,
        "description": _text(RiskItem, "description", data.description, required=True),
        "mitigation": _text(RiskItem, "mitigation", data.mitigation),
        "owner": _text(RiskItem, "owner", data.owner),
        "people_affected": _count(data.people_affected, "people_affected", _("影响人数")),
    }
    for name in ("likelihood", "impact", "residual_likelihood", "residual_impact"):
        values[name] = _score(getattr(data, name), name)
    residual = data.residual_likelihood * data.residual_impact
    if residual < data.likelihood * data.impact and not values["mitigation"]:
        raise ValidationError({"mitigation": _("措施后风险降低的,须写明防范化解措施。")})
    return values


@transaction.atomic
def item_add(*, assessment: Assessment, data: ItemInput, actor: User) -> RiskItem:
    assessment = _editable(assessment, actor)
    item = RiskItem.objects.create(assessment=assessment, **_clean_item(data))
    _changed(assessment, actor, "item_added", item=item.pk, dimension=item.dimension,
             score=item.score, residual=item.residual_score)
    return item


@transaction.atomic
def item_update(*, item: RiskItem, data: ItemInput, actor: User) -> RiskItem:
    assessment = _editable(item.assessment, actor)
    before = {"score": item.score, "residual": item.residual_score}
    for name, value in _clean_item(data).items():
        setattr(item, name, value)
    item.save()
    _changed(assessment, actor, "item_changed", item=item.pk, before=before,
             score=item.score, residual=item.residual_score)
    return item


@transaction.atomic
def item_remove(*, item: RiskItem, actor: User) -> None:
    assessment = _editable(item.assessment, actor)
    _changed(assessment, actor, "item_removed", item=item.pk, dimension=item.dimension,
             description=item.description[:200])
    item.delete()


def current_rule() -> LevelRule:
    rule = LevelRule.objects.order_by("-version").first()
    if rule is None:  # (the data migration publishes version 1)
        raise RuleViolation(_("尚未发布风险等级评定规则。"))
    return rule


def matter_people(matter: Matter) -> int:
    """How many people the matter touches: its estimate, else its band's floor."""
    if matter.people_count is not None:
        return matter.people_count
    return BAND_FLOOR.get(PeopleBand(matter.people_band), 0)


def assessment_findings(assessment: Assessment) -> Findings:
    answers = assessment.activities.filter(kind=ActivityKind.QUESTIONNAIRE).aggregate(
        answered=Sum("answered"), oppose=Sum("oppose"))
    return Findings(
        residual_scores=[i.residual_score for i in assessment.items.all()],
        answered=answers["answered"] or 0, oppose=answers["oppose"] or 0,
        people=matter_people(assessment.matter))


@transaction.atomic
def assessment_rate(*, assessment: Assessment, conclusion: str, actor: User,
                    now: datetime | None = None) -> Assessment:
    """Set the level by the current published rule, with the clauses that gave it. The
    ordinary procedure must have heard opinions first (at least one activity)."""
    assessment = _editable(assessment, actor)
    conclusion = _text(Assessment, "conclusion", conclusion, required=True)
    if (assessment.procedure == Procedure.ORDINARY
            and not assessment.activities.exists()):
        raise RuleViolation(_("普通程序须先开展至少一项征求意见活动(问卷、座谈、走访或听证)。"))
    rule = current_rule()
    level, clauses = rate(rule, assessment_findings(assessment))
    assessment.level, assessment.level_rule = level, rule
    assessment.level_reasons = [c.as_json() for c in clauses]
    assessment.conclusion, assessment.status = conclusion, AssessmentStatus.RATED
    assessment.rated_at = now or timezone.now()
    assessment.save()
    audit_record(actor=actor, event_type=AuditEventType.ASSESSMENT_RATED, subject=assessment,
                 details={"level": level, "rule": rule.version,
                          "clauses": [c.clause for c in clauses]})
    return assessment


@transaction.atomic
def assessment_report(*, assessment: Assessment, actor: User,
                      now: datetime | None = None) -> Assessment:
    """Send the rated assessment to the deciding body; its findings are then fixed."""
    _visible(actor, assessment.matter)
    if not user_can(actor, Assessment, "change"):
        raise PermissionDenied
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if assessment.status != AssessmentStatus.RATED:
        raise RuleViolation(_("评估须先定级,才能报送。"))
    matter = _locked(assessment.matter)
    if matter.status == MatterStatus.WITHDRAWN:
        raise RuleViolation(_("已撤销的事项不能报送。"))
    assessment.status, assessment.reported_at = AssessmentStatus.REPORTED, now or timezone.now()
    assessment.save(update_fields=["status", "reported_at"])
    matter.status = MatterStatus.AWAITING_DECISION
    matter.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, event_type=AuditEventType.ASSESSMENT_REPORTED,
                 subject=assessment, details={"level": assessment.level})
    return assessment


# --- decision and implementation ----------------------------------------------------------

@dataclass(frozen=True)
class DecisionInput:
    kind: str
    decided_on: date
    body: str
    minutes: str
    override: bool = False
    override_reason: str = ""
    mitigation_plan: str = ""


def standing_decision(matter: Matter) -> Decision | None:
    return matter.decisions.filter(superseded=False).first()


@transaction.atomic
def matter_decide(*, matter: Matter, data: DecisionInput, actor: User,
                  now: datetime | None = None, today: date | None = None) -> Decision:
    """Record the deciding body's collective decision. A matter that must be assessed is
    decided only on its reported assessment; on a high level, 实施 only as a recorded
    collective override with its reason and a mitigation plan."""
    _visible(actor, matter, "view")
    if not user_can(actor, Decision, "add"):
        raise PermissionDenied
    matter = _locked(matter)
    if data.kind not in DecisionKind.values:
        raise ValidationError({"kind": _("请选择决策结果。")})
    if data.decided_on > (today or timezone.localdate()):
        raise ValidationError({"decided_on": _("决策日期不能晚于今天。")})
    body = _text(Decision, "body", data.body, required=True)
    minutes = _text(Decision, "minutes", data.minutes, required=True)
    override_reason = _text(Decision, "override_reason", data.override_reason)
    plan = _text(Decision, "mitigation_plan", data.mitigation_plan)
    if matter.status == MatterStatus.WITHDRAWN:
        raise RuleViolation(_("已撤销的事项不能决策。"))
    if matter.exemption_status == ExemptionStatus.REQUESTED:
        raise RuleViolation(_("免评申请待审批,审批前不能决策。"))
    assessment = current_assessment(matter)
    if assessment is not None and assessment.status in (AssessmentStatus.OPEN,
                                                        AssessmentStatus.RATED):
        raise RuleViolation(_("评估尚未报送,不能决策。"))
    if (assessment is not None and assessment.status == AssessmentStatus.DECIDED
            and matter.needs_assessment):
        raise RuleViolation(_("该事项已按本轮评估作出决策;改变决策须重新评估。"))
    # (a matter not required to be assessed may change its decision on the same assessment,
    # which stays its basis: a high level still forbids plain 实施)
    if matter.needs_assessment and assessment is None:
        raise RuleViolation(_("该事项必须先完成社会稳定风险评估并报送,才能决策(应评尽评)。"))
    if (assessment is not None and assessment.reported_at is not None
            and data.decided_on < timezone.localdate(assessment.reported_at)):
        raise ValidationError({"decided_on": _("决策日期不能早于评估报告报送日期(%(d)s)。") % {
            "d": f"{timezone.localdate(assessment.reported_at):%Y-%m-%d}"}})
    high = assessment is not None and assessment.level == RiskLevel.HIGH
    if data.override:
        if data.kind != DecisionKind.IMPLEMENT or not high:
            raise RuleViolation({"override": _("只有高风险事项决定实施时才需要集体决策同意。")})
        if not override_reason:
            raise ValidationError({"override_reason": _("请写明集体决策同意实施的理由。")})
        if not plan:
            raise ValidationError({"mitigation_plan": _("高风险事项实施须附风险防范化解方案。")})
    elif high and data.kind == DecisionKind.IMPLEMENT:
        raise RuleViolation({"kind": _("高风险事项只能暂缓实施或不实施;确需实施的,须经集体决策"
                                       "同意并附风险防范化解方案。")})
    moment = now or timezone.now()
    matter.decisions.filter(superseded=False).update(superseded=True)
    decision = Decision.objects.create(
        matter=matter, assessment=assessment, kind=data.kind, decided_on=data.decided_on,
        body=body, minutes=minutes, override=data.override,
        override_reason=override_reason if data.override else "",
        mitigation_plan=plan, recorded_at=moment, recorded_by=actor)
    if assessment is not None:
        assessment.status = AssessmentStatus.DECIDED
        assessment.save(update_fields=["status"])
    implementing = data.kind == DecisionKind.IMPLEMENT and matter.implemented_at is not None
    matter.status = MatterStatus.IMPLEMENTED if implementing else MatterStatus.DECIDED
    matter.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, event_type=AuditEventType.MATTER_DECIDED, subject=matter,
                 details={"decision": data.kind, "override": data.override,
                          "level": assessment.level if assessment else None,
                          "assessment": assessment.round if assessment else None})
    return decision


@transaction.atomic
def matter_implement(*, matter: Matter, actor: User, now: datetime | None = None) -> Matter:
    """Mark the matter implemented: only on a standing decision to implement (which, for a
    matter that must be assessed, came from its reported assessment)."""
    _visible(actor, matter)
    matter = _locked(matter)
    decision = standing_decision(matter)
    if decision is None:
        raise RuleViolation(_("没有决策的事项不能标记实施。"))
    if decision.kind != DecisionKind.IMPLEMENT:
        raise RuleViolation(_("决策结果为%(kind)s,不能标记实施。") % {
            "kind": decision.get_kind_display()})
    if matter.status != MatterStatus.DECIDED:
        raise RuleViolation(_("该事项当前状态不能标记实施。"))
    if matter.needs_assessment and decision.assessment_id is None:
        raise RuleViolation(_("该事项必须先完成评估并据此决策。"))
    matter.status, matter.implemented_at = MatterStatus.IMPLEMENTED, now or timezone.now()
    matter.save(update_fields=["status", "implemented_at", "updated_at"])
    audit_record(actor=actor, event_type=AuditEventType.MATTER_IMPLEMENTED, subject=matter,
                 details={"decision": decision.pk})
    return matter


# --- the level rule and the list of kinds (administrators) --------------------------------

RULE_FIELDS = ("high_item_score", "medium_item_score", "high_medium_items",
               "high_oppose_percent", "medium_oppose_percent", "people_floor_medium")


@transaction.atomic
def level_rule_publish(*, figures: dict[str, int], note: str, actor: User,
                       now: datetime | None = None) -> LevelRule:
    """Publish the next version of the level rule. Earlier versions stay as they were:
    each assessment keeps the version it was rated by."""
    if not user_can(actor, LevelRule, "add"):
        raise PermissionDenied
    note = _text(LevelRule, "note", note, required=True)
    values: dict[str, int] = {}
    for name in RULE_FIELDS:
        value = figures.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValidationError({name: _("请填写非负整数。")})
        values[name] = value
    if not 1 <= values["medium_item_score"] < values["high_item_score"] <= 25:
        raise ValidationError({"high_item_score": _(
            "分值须满足 1 ≤ 中风险下限 < 高风险下限 ≤ 25。")})
    if not values["medium_oppose_percent"] < values["high_oppose_percent"] <= 100:
        raise ValidationError({"high_oppose_percent": _(
            "反对比例须满足 中风险标准 < 高风险标准 ≤ 100。")})
    if values["high_medium_items"] < 1:
        raise ValidationError({"high_medium_items": _("至少为1。")})
    last = LevelRule.objects.select_for_update().order_by("-version").first()
    rule = LevelRule.objects.create(version=(last.version if last else 0) + 1, note=note,
                                    published_at=now or timezone.now(), published_by=actor,
                                    **values)
    audit_record(actor=actor, event_type=AuditEventType.RISK_RULE_PUBLISHED, subject=rule,
                 details={"version": rule.version, **values})
    return rule

"""Major matters and their risk assessment in the JSON API (/api/v1/risk/…).

Reads go through `restrict()` (a matter outside the caller's jurisdiction answers 404 like
a missing one); writes parse the body and call the services of services/matters.py, whose
refusals answer 400 (bad input), 409 `rule_violation` (a rule of the procedure) or 403.
"""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Field, Query, Router, Schema

from civicgrid.api.auth import IDEMPOTENCY_OPENAPI, idempotent, token_action
from civicgrid.areas.models import Area
from civicgrid.core.access import access
from civicgrid.core.bands import PeopleBand
from civicgrid.core.pagination import keyset_page
from civicgrid.core.schemas import ERRORS, Paged
from civicgrid.core.scope import user_can
from civicgrid.risk import selectors
from civicgrid.risk.levels import clause_text
from civicgrid.risk.models import (
    ActivityKind,
    Assessment,
    AssessorKind,
    DecisionKind,
    Dimension,
    LevelRule,
    Matter,
    MatterKind,
    MatterStatus,
    Procedure,
)
from civicgrid.risk.services import matters as services
from civicgrid.units.models import Unit

router = Router(tags=["risk assessment"])
READ, WRITE = "read", "write"
MATTER = {"model": Matter, "lookup": {"number": "number"}, "api": True}
ASSESSMENT = {"model": Assessment, "lookup": {"assessment_id": "pk"}, "api": True}


# --- output -------------------------------------------------------------------------------

class MatterOut(Schema):
    number: str
    title: str
    kind: str = Field(..., description="the kind's code")
    area: str = Field(..., description="the owning area's code")
    responsible_unit: int
    deciding_body: str
    people_band: str
    people_count: int | None
    status: MatterStatus
    assessment_required: bool
    exemption_status: str
    registered_at: datetime
    implemented_at: datetime | None
    reassessment_suggested_at: datetime | None

    @staticmethod
    def resolve_kind(obj: Matter) -> str:
        return obj.kind.code

    @staticmethod
    def resolve_area(obj: Matter) -> str:
        return obj.area_code

    @staticmethod
    def resolve_responsible_unit(obj: Matter) -> int:
        return obj.responsible_unit_id


class MatterPage(Paged):
    items: list[MatterOut]


class ActivityOut(Schema):
    id: int
    kind: ActivityKind
    held_on: date
    place: str
    participants: int
    record: str
    answered: int
    support: int
    oppose: int
    neutral: int


class ItemOut(Schema):
    id: int
    dimension: Dimension
    description: str
    likelihood: int
    impact: int
    residual_likelihood: int
    residual_impact: int
    people_affected: int
    mitigation: str
    owner: str


class ReasonOut(Schema):
    clause: str
    level: str
    text: str


class AssessmentOut(Schema):
    id: int
    round: int
    procedure: Procedure
    simplified_reason: str
    assessor_kind: AssessorKind
    assessor_unit: int | None
    assessor_name: str
    plan: str
    status: str
    level: str = Field(..., description="high, medium, low, or empty before rating")
    level_rule_version: int | None
    reasons: list[ReasonOut]
    conclusion: str
    activities: list[ActivityOut]
    items: list[ItemOut]


class DecisionOut(Schema):
    kind: DecisionKind
    decided_on: date
    body: str
    minutes: str
    override: bool
    override_reason: str
    mitigation_plan: str
    assessment_round: int | None


class MatterDetailOut(MatterOut):
    summary: str
    areas: list[str]
    projects: list[str]
    assessment: AssessmentOut | None = Field(None, description=(
        "the current assessment (callers who may read assessments)"))
    decision: DecisionOut | None = None

    @staticmethod
    def resolve_areas(obj: Matter) -> list[str]:
        return [a.area_code for a in obj.affected.all()]

    @staticmethod
    def resolve_projects(obj: Matter) -> list[str]:
        return [p for p in obj.projects.splitlines() if p.strip()]

    @staticmethod
    def resolve_assessment(obj: Matter) -> dict | None:
        return getattr(obj, "assessment_out", None)

    @staticmethod
    def resolve_decision(obj: Matter) -> dict | None:
        return getattr(obj, "decision_out", None)


class RuleOut(Schema):
    version: int
    high_item_score: int
    medium_item_score: int
    high_medium_items: int
    high_oppose_percent: int
    medium_oppose_percent: int
    people_floor_medium: int
    note: str
    published_at: datetime


def _assessment_out(a: Assessment) -> dict:
    return {
        "id": a.pk, "round": a.round, "procedure": a.procedure,
        "simplified_reason": a.simplified_reason, "assessor_kind": a.assessor_kind,
        "assessor_unit": a.assessor_unit_id, "assessor_name": a.assessor_name, "plan": a.plan,
        "status": a.status, "level": a.level,
        "level_rule_version": a.level_rule.version if a.level_rule else None,
        "reasons": [{"clause": r.get("clause", ""), "level": r.get("level", ""),
                     "text": clause_text(r)} for r in a.level_reasons],
        "conclusion": a.conclusion, "activities": list(a.activities.all()),
        "items": list(a.items.all())}


def _detail(request, matter: Matter) -> Matter:
    """The matter, with its current assessment and standing decision for callers who may
    read assessments (MatterDetailOut's resolvers read them)."""
    if user_can(request.user, Assessment, "view"):
        current = services.current_assessment(matter)
        matter.assessment_out = (  # type: ignore[attr-defined]
            _assessment_out(selectors.assessment_detail(current)) if current else None)
        decision = services.standing_decision(matter)
        matter.decision_out = None if decision is None else {  # type: ignore[attr-defined]
            "kind": decision.kind, "decided_on": decision.decided_on, "body": decision.body,
            "minutes": decision.minutes, "override": decision.override,
            "override_reason": decision.override_reason,
            "mitigation_plan": decision.mitigation_plan,
            "assessment_round": decision.assessment.round if decision.assessment else None}
    return matter


def _matter(request, number: str, action: str = "view") -> Matter:
    found = (Matter.objects.restrict(request.user, action)
             .select_related("kind", "area", "responsible_unit").filter(number=number).first())
    if found is None:
        raise Http404
    return found


def _assessment(request, assessment_id: int) -> Assessment:
    found = (Assessment.objects.restrict(request.user, "view").select_related("matter")
             .filter(pk=assessment_id).first())
    if found is None:
        raise Http404
    return found


# --- input --------------------------------------------------------------------------------

class MatterFilters(Schema):
    status: MatterStatus | None = None
    kind: str = Field("", max_length=30, description="a kind's code")
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)


class MatterIn(Schema):
    title: str = Field(..., max_length=120)
    summary: str = Field(..., max_length=4000)
    kind: str = Field(..., max_length=30, description="a kind's code (GET the kinds on the "
                                                      "matters page; e.g. land_acquisition)")
    area: str = Field(..., max_length=15, description="the owning area's code")
    areas: list[str] = Field([], description="codes of the areas it touches (within `area`)")
    responsible_unit: int
    deciding_body: str = Field(..., max_length=100)
    people_band: PeopleBand = PeopleBand.UNDER_50
    people_count: int | None = Field(None, ge=0)
    projects: list[str] = Field([], description="linked projects' names or numbers")


class AssessmentIn(Schema):
    plan: str = Field(..., max_length=4000)
    procedure: Procedure = Procedure.ORDINARY
    simplified_reason: str = Field("", max_length=1000)
    assessor_kind: AssessorKind = AssessorKind.UNIT
    assessor_unit: int | None = None
    assessor_name: str = Field("", max_length=120)


class ActivityIn(Schema):
    kind: ActivityKind
    held_on: date
    record: str = Field(..., max_length=4000)
    place: str = Field("", max_length=120)
    participants: int = Field(0, ge=0)
    answered: int = Field(0, ge=0)
    support: int = Field(0, ge=0)
    oppose: int = Field(0, ge=0)
    neutral: int = Field(0, ge=0)


class ItemIn(Schema):
    dimension: Dimension
    description: str = Field(..., max_length=2000)
    likelihood: int = Field(..., ge=1, le=5)
    impact: int = Field(..., ge=1, le=5)
    residual_likelihood: int = Field(..., ge=1, le=5)
    residual_impact: int = Field(..., ge=1, le=5)
    people_affected: int = Field(0, ge=0)
    mitigation: str = Field("", max_length=2000)
    owner: str = Field("", max_length=100)


class RateIn(Schema):
    conclusion: str = Field(..., max_length=4000)


class DecisionIn(Schema):
    kind: DecisionKind
    decided_on: date
    body: str = Field(..., max_length=120)
    minutes: str = Field(..., max_length=8000)
    override: bool = Field(False, description="实施 of a high-level matter: the collective "
                                              "override, with its reason and a mitigation plan")
    override_reason: str = Field("", max_length=2000)
    mitigation_plan: str = Field("", max_length=4000)


def _unit(request, pk: int | None, field: str) -> Unit | None:
    if pk is None:
        return None
    unit = Unit.objects.restrict(request.user, "view").filter(pk=pk).first()
    if unit is None:
        raise ValidationError({field: "Unknown unit."})
    return unit


def _area_by_code(code: str, field: str) -> Area:
    area = Area.objects.filter(code=code).first()
    if area is None:
        raise ValidationError({field: f"Unknown area code {code!r}."})
    return area


# --- matters ------------------------------------------------------------------------------

@router.get("/matters", response={200: MatterPage, **ERRORS}, url_name="risk_matters")
@access("risk.matter.view", api=True)
@token_action(READ)
def list_matters(request, filters: Query[MatterFilters]):
    """The matters of the caller's jurisdiction, newest first; follow `next_cursor`."""
    kind = MatterKind.objects.filter(code=filters.kind).first() if filters.kind else None
    if filters.kind and kind is None:
        return {"items": [], "next_cursor": None}
    qs = selectors.matters_for(request.user, status=filters.status or "",
                               kind=kind.pk if kind else None)
    page = keyset_page(qs, selectors.MATTER_ORDER, filters.cursor, filters.limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/matters", response={201: MatterDetailOut, **ERRORS}, url_name="risk_matter_create",
             openapi_extra=IDEMPOTENCY_OPENAPI)
@access("risk.matter.add", api=True, body={
    "title": "城东地块征收", "summary": "征收城东地块建设学校", "kind": "land_acquisition",
    "area": "320602001001", "responsible_unit": 1, "deciding_body": "区政府常务会议"})
@token_action(WRITE)
@idempotent(MatterDetailOut, status=201)
def create_matter(request, payload: MatterIn):
    """Register a major matter; whether it must be assessed comes from its kind."""
    kind = MatterKind.objects.filter(code=payload.kind).first()
    if kind is None:
        raise ValidationError({"kind": f"Unknown kind {payload.kind!r}."})
    unit = _unit(request, payload.responsible_unit, "responsible_unit")
    assert unit is not None
    matter = services.matter_register(actor=request.user, data=services.MatterInput(
        title=payload.title, summary=payload.summary, kind=kind,
        area=_area_by_code(payload.area, "area"),
        areas=[_area_by_code(c, "areas") for c in payload.areas], responsible_unit=unit,
        deciding_body=payload.deciding_body, people_band=payload.people_band,
        people_count=payload.people_count, projects="\n".join(payload.projects)))
    return _detail(request, matter)


@router.get("/matters/{number}", response={200: MatterDetailOut, **ERRORS},
            url_name="risk_matter")
@access("risk.matter.view", **MATTER)
@token_action(READ)
def get_matter(request, number: str):
    """One matter; with its current assessment and standing decision for callers who may
    read assessments."""
    return _detail(request, _matter(request, number))


@router.post("/matters/{number}/assessments", response={201: AssessmentOut, **ERRORS},
             url_name="risk_assessment_start", openapi_extra=IDEMPOTENCY_OPENAPI)
@access("risk.assessment.add", **MATTER, body={"plan": "问卷、座谈"})
@token_action(WRITE)
@idempotent(AssessmentOut, status=201)
def start_assessment(request, number: str, payload: AssessmentIn):
    """Start an assessment (or a re-assessment once the previous one is decided)."""
    matter = _matter(request, number)
    assessment = services.assessment_start(matter=matter, actor=request.user,
                                           data=services.AssessmentInput(
        plan=payload.plan, procedure=payload.procedure,
        simplified_reason=payload.simplified_reason, assessor_kind=payload.assessor_kind,
        assessor_unit=_unit(request, payload.assessor_unit, "assessor_unit"),
        assessor_name=payload.assessor_name))
    return _assessment_out(selectors.assessment_detail(assessment))


@router.post("/matters/{number}/decision", response={201: DecisionOut, **ERRORS},
             url_name="risk_decide", openapi_extra=IDEMPOTENCY_OPENAPI)
@access("risk.decision.add", **MATTER, body={
    "kind": "postpone", "decided_on": "2026-01-05", "body": "区政府常务会议", "minutes": "纪要"})
@token_action(WRITE)
@idempotent(DecisionOut, status=201)
def decide(request, number: str, payload: DecisionIn):
    """Record the deciding body's decision. A matter that must be assessed needs its
    reported assessment; a high level allows 实施 only with `override`, its reason and a
    mitigation plan (409 otherwise)."""
    matter = _matter(request, number)
    decision = services.matter_decide(matter=matter, actor=request.user,
                                      data=services.DecisionInput(**payload.model_dump()))
    return {**{f: getattr(decision, f) for f in (
        "kind", "decided_on", "body", "minutes", "override", "override_reason",
        "mitigation_plan")},
        "assessment_round": decision.assessment.round if decision.assessment else None}


@router.post("/matters/{number}/implement", response={200: MatterOut, **ERRORS},
             url_name="risk_implement", openapi_extra=IDEMPOTENCY_OPENAPI)
@access("risk.matter.change", **MATTER, body={})
@token_action(WRITE)
@idempotent(MatterOut)
def implement(request, number: str):
    """Mark the matter implemented: only on a standing decision to implement."""
    return services.matter_implement(matter=_matter(request, number), actor=request.user)


# --- an assessment's findings -------------------------------------------------------------

@router.post("/assessments/{assessment_id}/activities", response={201: ActivityOut, **ERRORS},
             url_name="risk_activity_add", openapi_extra=IDEMPOTENCY_OPENAPI)
@access("risk.assessment.change", **ASSESSMENT, body={
    "kind": "forum", "held_on": "2026-01-05", "record": "居民座谈"})
@token_action(WRITE)
@idempotent(ActivityOut, status=201)
def add_activity(request, assessment_id: int, payload: ActivityIn):
    """Record a consultation activity; a questionnaire's answers feed the level rule."""
    activity = services.activity_add(assessment=_assessment(request, assessment_id),
                                     actor=request.user,
                                     data=services.ActivityInput(**payload.model_dump()))
    return activity


@router.post("/assessments/{assessment_id}/items", response={201: ItemOut, **ERRORS},
             url_name="risk_item_add", openapi_extra=IDEMPOTENCY_OPENAPI)
@access("risk.assessment.change", **ASSESSMENT, body={
    "dimension": "legality", "description": "程序瑕疵", "likelihood": 2, "impact": 2,
    "residual_likelihood": 2, "residual_impact": 2})
@token_action(WRITE)
@idempotent(ItemOut, status=201)
def add_item(request, assessment_id: int, payload: ItemIn):
    """Add a risk item (scores 1–5; a lower residual score needs its mitigation)."""
    item = services.item_add(assessment=_assessment(request, assessment_id),
                             actor=request.user, data=services.ItemInput(**payload.model_dump()))
    return item


@router.post("/assessments/{assessment_id}/rate", response={200: AssessmentOut, **ERRORS},
             url_name="risk_rate", openapi_extra=IDEMPOTENCY_OPENAPI)
@access("risk.assessment.change", **ASSESSMENT, body={"conclusion": "风险可控"})
@token_action(WRITE)
@idempotent(AssessmentOut)
def rate(request, assessment_id: int, payload: RateIn):
    """Rate the assessment by the current published level rule; `reasons` says which
    clauses gave the level."""
    assessment = services.assessment_rate(assessment=_assessment(request, assessment_id),
                                          conclusion=payload.conclusion, actor=request.user)
    return _assessment_out(selectors.assessment_detail(assessment))


@router.post("/assessments/{assessment_id}/report", response={200: AssessmentOut, **ERRORS},
             url_name="risk_report", openapi_extra=IDEMPOTENCY_OPENAPI)
@access("risk.assessment.change", **ASSESSMENT, body={})
@token_action(WRITE)
@idempotent(AssessmentOut)
def report(request, assessment_id: int):
    """Send the rated assessment to the deciding body; its findings are then fixed."""
    assessment = services.assessment_report(assessment=_assessment(request, assessment_id),
                                            actor=request.user)
    return _assessment_out(selectors.assessment_detail(assessment))


@router.get("/rule", response={200: RuleOut, **ERRORS}, url_name="risk_rule")
@access(("risk.matter.view", "risk.levelrule.view"), api=True)
@token_action(READ)
def current_rule(request):
    """The level rule in force (its latest published version)."""
    rule = LevelRule.objects.order_by("-version").first()
    if rule is None:
        raise Http404
    return rule

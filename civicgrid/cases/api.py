"""The case endpoints of the JSON API: list, intake, detail, timeline, attachments and one
POST endpoint per row of the workflow table (civicgrid/cases/workflow.py).

Endpoints only parse input and call a selector or a service. A case outside the caller's
scope answers 404 exactly like a missing one; parties' phone and ID numbers are accepted at
intake and never returned, only their masked forms.
"""

# No `from __future__ import annotations`: the generated action endpoints carry real
# annotation objects that django-ninja reads to build their body schemas.

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, Query, Router, Schema, UploadedFile

from civicgrid.api.auth import IDEMPOTENCY_OPENAPI, idempotent, token_action
from civicgrid.api.models import TokenAction
from civicgrid.api.schemas import ERRORS, Paged
from civicgrid.areas.locator import locate_grid
from civicgrid.areas.models import Area
from civicgrid.cases import selectors, services
from civicgrid.cases.models import (
    Case,
    Category,
    Channel,
    HandOffKind,
    Outcome,
    PartyRole,
    PeopleBand,
    Sex,
    Status,
    SupervisionLevel,
)
from civicgrid.cases.workflow import ACTOR_PERMISSION, TRANSITIONS, allowed_transitions
from civicgrid.core.access import access
from civicgrid.core.pagination import keyset_page
from civicgrid.units.models import Unit

router = Router(tags=["cases"])

READ, CREATE, ACT = TokenAction.CASES_READ, TokenAction.CASES_CREATE, TokenAction.CASES_ACT
CASE = {"model": Case, "lookup": {"number": "number"}, "api": True}


# --- output ------------------------------------------------------------------------------

class CaseOut(Schema):
    number: str
    status: Status
    channel: Channel
    category_code: str = Field(..., alias="category.code")
    category_name: str = Field(..., alias="category.name")
    description: str
    area_code: str
    area_name: str = Field(..., alias="area.name")
    address: str
    level: str
    supervision: str
    assigned_unit_code: str | None = None
    registered_at: datetime
    stage_due_at: datetime | None
    is_major: bool
    is_group: bool
    people_band: str
    version: int

    @staticmethod
    def resolve_assigned_unit_code(obj):
        return obj.assigned_unit.code if obj.assigned_unit_id else None


class PartyOut(Schema):
    role: str
    name: str
    sex: str
    age: int | None
    phone_masked: str
    id_number_masked: str


class CaseDetailOut(CaseOut):
    attributes: dict
    lng: float | None
    lat: float | None
    happened_at: datetime | None
    handle_due_at: datetime | None
    outcome: str
    outcome_note: str
    satisfaction: int | None
    suggested_unit_code: str | None = None
    deadline_state: str
    parties: list[PartyOut]
    allowed_actions: list[str]

    @staticmethod
    def resolve_suggested_unit_code(obj):
        return obj.suggested_unit.code if obj.suggested_unit_id else None


class CasePage(Paged):
    items: list[CaseOut]


class EventOut(Schema):
    type: str
    time: datetime
    actor_name: str
    unit_code: str | None = None
    from_status: str
    to_status: str
    note: str
    data: dict

    @staticmethod
    def resolve_unit_code(obj):
        return obj.unit.code if obj.unit_id else None


class Timeline(Schema):
    items: list[EventOut]


class AttachmentOut(Schema):
    id: int
    original_name: str
    content_type: str
    size: int
    uploaded_at: datetime


class AttachmentsOut(Schema):
    version: int
    attachments: list[AttachmentOut]


# --- input -------------------------------------------------------------------------------

Inbox = Literal["mine", "unit", "dispatch", "verify", "overdue", "supervised", "handoffs"]


class CaseListFilters(Schema):
    inbox: Inbox | None = None
    status: Status | None = None
    category: str = Field("", max_length=12, description="category code prefix")
    area: str = Field("", max_length=15, description="area code prefix")
    channel: Channel | None = None
    supervision: SupervisionLevel | None = None
    q: str = Field("", max_length=100, description="case number or words of the description")
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)


class PartyIn(Schema):
    role: PartyRole
    name: str = Field(..., min_length=1, max_length=60)
    sex: Sex | Literal[""] = ""
    ethnicity: str = Field("", max_length=20)
    birth_date: date | None = None
    age: int | None = Field(None, ge=0, le=150)
    occupation: str = Field("", max_length=60)
    phone: str = Field("", max_length=30, description="accepted, never returned")
    address: str = Field("", max_length=200)
    id_number: str = Field("", max_length=18, description="accepted, never returned")


class CaseIn(Schema):
    category: str = Field(..., max_length=12, description="leaf category code")
    description: str = Field(..., max_length=5000)
    lng: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    area: str | None = Field(None, max_length=15, description="area code (grid or below "
                                                                "street), instead of lng/lat")
    address: str = Field("", max_length=200)
    happened_at: datetime | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    parties: list[PartyIn] = Field(default_factory=list, max_length=50)
    people_band: PeopleBand = PeopleBand.UNDER_50
    is_major: bool = False
    is_group: bool = False
    channel: Channel = Channel.API


def _visible_case(request, number: str) -> Case:
    return get_object_or_404(
        selectors.case_with_parties(selectors.case_base(actor=request.user))
        .select_related("suggested_unit"), number=number)


def _reread(case: Case) -> Case:
    """The case as it is now, with what CaseDetailOut reads (after a write by the caller)."""
    return selectors.case_with_parties(Case.objects.select_related(
        "category", "area", "assigned_unit", "suggested_unit")).get(pk=case.pk)


def _detail(case: Case, user) -> Case:
    """The case with what CaseDetailOut reads besides its fields."""
    case.deadline_state = selectors.deadline_state(case)  # type: ignore[attr-defined]
    case.allowed_actions = [  # type: ignore[attr-defined]
        t.name for t in allowed_transitions(case, user)]
    return case


# --- list, intake, detail, timeline -------------------------------------------------------

@router.get("", response={200: CasePage, **ERRORS}, url_name="case_list")
@access("cases.case.view", api=True)
@token_action(READ)
def list_cases(request, filters: Query[CaseListFilters]):
    """Cases in the caller's scope, newest first; follow `next_cursor` for the next page."""
    qs = selectors.case_list(actor=request.user, filters=selectors.CaseFilters(
        inbox=filters.inbox or "", status=filters.status or "",
        category=filters.category, area=filters.area, channel=filters.channel or "",
        supervision=filters.supervision or "", q=filters.q))
    page = keyset_page(qs, ["-id"], filters.cursor, filters.limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("", response={201: CaseDetailOut, **ERRORS}, url_name="case_create",
             openapi_extra=IDEMPOTENCY_OPENAPI)
@access("cases.case.add", api=True,
        body={"category": "9901", "description": "楼道堆放杂物影响通行",
              "area": "320602001001001"})
@token_action(CREATE)
@idempotent(CaseDetailOut, status=201)
def create_case(request, payload: CaseIn):
    """Register a case (intake). The place is an area code or a WGS84 point; either must
    lie in the caller's scope."""
    category = Category.objects.filter(code=payload.category).first()
    if category is None:
        raise ValidationError({"category": "Unknown category code."})
    visible_areas = Area.objects.restrict(request.user, "view")
    area = None
    if payload.area:
        area = visible_areas.filter(code=payload.area).first()
        if area is None:
            raise ValidationError({"area": "Unknown area code."})
    elif payload.lng is not None and payload.lat is not None:
        area = locate_grid(payload.lng, payload.lat, queryset=visible_areas)
        if area is None:
            raise ValidationError({"area": "The point is in no grid of your jurisdiction."})
    parties = [services.PartyInput(**party.model_dump()) for party in payload.parties]
    with transaction.atomic():
        case = services.case_intake(
            channel=payload.channel, category=category, description=payload.description,
            actor=request.user, area=area, lng=payload.lng, lat=payload.lat,
            address=payload.address, happened_at=payload.happened_at,
            attributes=payload.attributes, parties=parties, people_band=payload.people_band,
            is_major=payload.is_major, is_group=payload.is_group)
    # The new case lies in an area the caller may see (checked above), so it is in scope:
    # read it back by its key, without the scope filter (as the action endpoints do).
    return _detail(_reread(case), request.user)


@router.get("/{number}", response={200: CaseDetailOut, **ERRORS}, url_name="case_detail")
@access("cases.case.view", **CASE)
@token_action(READ)
def get_case(request, number: str):
    """One case with masked parties, its deadline state and the caller's allowed actions."""
    return _detail(_visible_case(request, number), request.user)


@router.get("/{number}/timeline", response={200: Timeline, **ERRORS},
            url_name="case_timeline")
@access("cases.case.view", **CASE)
@token_action(READ)
def get_timeline(request, number: str):
    case = get_object_or_404(selectors.case_base(actor=request.user), number=number)
    return {"items": list(selectors.case_events(case=case))}


def _act_permissions(name: str) -> tuple[str, ...]:
    """The staff permissions behind a transition's actor kinds (the system's due jobs and
    residents, who rate through the portal, do not act through this API)."""
    kinds = TRANSITIONS[name].actors & set(ACTOR_PERMISSION)
    return tuple(sorted({ACTOR_PERMISSION[k] for k in kinds}))


@router.post("/{number}/attachments", response={200: AttachmentsOut, **ERRORS},
             url_name="case_attachments", openapi_extra=IDEMPOTENCY_OPENAPI)
@access(_act_permissions("attach"), **CASE, body={"version": "1"}, multipart=True)
@token_action(ACT)
@idempotent(AttachmentsOut)
def add_attachments(request, number: str, version: Form[int],
                    files: File[list[UploadedFile]] = None):  # type: ignore[assignment]
    """Add photos or PDFs (multipart, field `files`, repeatable) to an open case."""
    case = _visible_case(request, number)
    added = services.case_attach(case=case, actor=request.user, expected_version=version,
                                 uploads=list(files or []))
    case.refresh_from_db(fields=["version"])
    return {"version": case.version, "attachments": added}


# --- workflow actions: one endpoint per row of TRANSITIONS --------------------------------

class ActionIn(Schema):
    version: int = Field(..., ge=1, description="the case version the caller has seen")


class NoteIn(ActionIn):
    note: str = Field("", max_length=2000)


class ReasonIn(ActionIn):
    reason: str = Field(..., min_length=1, max_length=2000)


class DispatchIn(NoteIn):
    unit: str | None = Field(None, max_length=40, description="unit code; default: the "
                                                              "suggested unit")


class TransferIn(ReasonIn):
    unit: str = Field(..., max_length=40, description="unit code")


class HandOffIn(NoteIn):
    kind: HandOffKind
    to_unit: str = Field(..., max_length=40, description="unit code")


class HandOffOutcomeIn(ActionIn):
    outcome: str = Field(..., min_length=1, max_length=200)


class SessionIn(ActionIn):
    held_at: datetime
    attendees: str = Field(..., min_length=1, max_length=300)
    notes: str = Field(..., min_length=1, max_length=5000)
    place: str = Field("", max_length=100)


class AgreementIn(Schema):
    facts: str
    disputed_matters: str
    terms: list[str]
    performance: str
    responsibilities: str = ""
    signed_on: date | None = None
    copies: int | None = None


class ResolveIn(ActionIn):
    outcome: Outcome
    note: str = Field(..., min_length=1, max_length=5000)
    agreement: AgreementIn | None = None


class FollowUpIn(NoteIn):
    satisfaction: int = Field(..., ge=1, le=5)


class ExtensionIn(ReasonIn):
    days: int = Field(..., ge=1, le=365)


class DecideExtensionIn(NoteIn):
    approve: bool


class SuperviseIn(ActionIn):
    level: SupervisionLevel
    reason: str = Field("", max_length=200)


class RemindIn(ActionIn):
    message: str = Field("", max_length=300)


class MergeIn(ActionIn):
    master: str = Field(..., max_length=24, description="number of the case to keep")
    reason: str = Field("", max_length=2000)


def _unit(request, code: str | None, field: str) -> Unit | None:
    if not code:
        return None
    unit = Unit.objects.restrict(request.user, "view").filter(code=code).first()
    if unit is None:
        raise ValidationError({field: "Unknown unit code."})
    return unit


def _master(request, number: str) -> Case:
    master = selectors.case_base(actor=request.user).filter(number=number).first()
    if master is None:
        raise ValidationError({"master": "Unknown case number."})
    return master


Convert = Callable[[Any, Any], dict[str, Any]]


def _fields(*names: str) -> Convert:
    return lambda request, body: {n: getattr(body, n) for n in names}


ACTIONS: dict[str, tuple[type[ActionIn], Convert, dict[str, Any]]] = {
    "accept": (NoteIn, _fields("note"), {}),
    "reject": (ReasonIn, _fields("reason"), {"reason": "x"}),
    "dispatch": (DispatchIn, lambda r, b: {"note": b.note, "unit": _unit(r, b.unit, "unit")},
                 {}),
    "return": (ReasonIn, _fields("reason"), {"reason": "x"}),
    "transfer": (TransferIn, lambda r, b: {"reason": b.reason,
                                           "unit": _unit(r, b.unit, "unit")},
                 {"reason": "x", "unit": "x"}),
    "escalate": (ReasonIn, _fields("reason"), {"reason": "x"}),
    "hand_off": (HandOffIn, lambda r, b: {"kind": b.kind, "note": b.note,
                                          "to_unit": _unit(r, b.to_unit, "to_unit")},
                 {"kind": "court", "to_unit": "x"}),
    "acknowledge_handoff": (ActionIn, _fields(), {}),
    "handoff_outcome": (HandOffOutcomeIn, _fields("outcome"), {"outcome": "x"}),
    "record_session": (SessionIn, _fields("held_at", "attendees", "notes", "place"),
                       {"held_at": "2024-01-01T10:00:00+08:00", "attendees": "x",
                        "notes": "x"}),
    "resolve": (ResolveIn, lambda r, b: {
        "outcome": b.outcome, "note": b.note,
        "agreement": services.AgreementInput(**b.agreement.model_dump())
        if b.agreement else None}, {"outcome": "answered", "note": "x"}),
    "verify": (NoteIn, _fields("note"), {}),
    "rework": (ReasonIn, _fields("reason"), {"reason": "x"}),
    "follow_up": (FollowUpIn, _fields("satisfaction", "note"), {"satisfaction": 5}),
    "close": (NoteIn, _fields("note"), {}),
    "reopen": (ReasonIn, _fields("reason"), {"reason": "x"}),
    "suspend": (ReasonIn, _fields("reason"), {"reason": "x"}),
    "resume": (NoteIn, _fields("note"), {}),
    "request_extension": (ExtensionIn, _fields("days", "reason"), {"days": 1, "reason": "x"}),
    "decide_extension": (DecideExtensionIn, _fields("approve", "note"), {"approve": True}),
    "supervise": (SuperviseIn, _fields("level", "reason"), {"level": "normal", "reason": "x"}),
    "remind": (RemindIn, _fields("message"), {}),
    "merge": (MergeIn, lambda r, b: {"master": _master(r, b.master), "reason": b.reason},
              {"master": "x"}),
}
# "attach" is the multipart endpoint /cases/{number}/attachments above.
ACTION_ENDPOINTS = {**{name: f"/cases/{{number}}/actions/{name}" for name in ACTIONS},
                    "attach": "/cases/{number}/attachments"}


def _make_action(name: str, body_schema: type[ActionIn], convert: Convert,
                 example: dict[str, Any]) -> None:
    transition = TRANSITIONS[name]

    def action(request, number, body):
        case = _visible_case(request, number)
        services.SERVICES[name](case=case, actor=request.user, expected_version=body.version,
                                **convert(request, body))
        return _detail(_reread(case), request.user)

    action.__name__ = action.__qualname__ = f"case_action_{name}"
    action.__doc__ = f"{transition.label} ({name})."
    action.__annotations__ = {"number": str, "body": body_schema}
    view = idempotent(CaseDetailOut)(action)
    view = token_action(ACT)(view)
    view = access(_act_permissions(name), **CASE, body={"version": 1, **example})(view)
    router.post(f"/{{number}}/actions/{name}", response={200: CaseDetailOut, **ERRORS},
                url_name=f"case_action_{name}", operation_id=f"case_action_{name}",
                summary=f"{name}: {transition.label}",
                openapi_extra=IDEMPOTENCY_OPENAPI)(view)


for _name, (_schema, _convert, _example) in ACTIONS.items():
    _make_action(_name, _schema, _convert, _example)

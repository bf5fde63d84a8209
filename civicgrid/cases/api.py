"""The case endpoints of the JSON API: list, intake, detail, timeline, attachments and one
POST endpoint per row of the workflow table (civicgrid/cases/workflow.py).

Endpoints only parse input and call a selector or a service. A case outside the caller's
scope answers 404 exactly like a missing one; parties' phone and ID numbers are accepted at
intake and never returned, only their masked forms.
"""

# No `from __future__ import annotations`: the generated action endpoints carry real
# annotation objects that django-ninja reads to build their body schemas.

from datetime import date, datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import Choices
from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, Query, Router, Schema, UploadedFile
from pydantic import create_model

from civicgrid.api.auth import IDEMPOTENCY_OPENAPI, idempotent, token_action
from civicgrid.api.models import TokenAction
from civicgrid.areas.coords import CoordinateSystem
from civicgrid.areas.reference import area_by_code
from civicgrid.cases import selectors, services
from civicgrid.cases.inputs import AttachInput, InputField, PartyInput, input_fields
from civicgrid.cases.models import (
    Case,
    Channel,
    PartyRole,
    PeopleBand,
    Sex,
    Status,
    SupervisionLevel,
)
from civicgrid.cases.reference import category_by_code
from civicgrid.cases.services import DESCRIPTION_MAX_LENGTH, allowed_transitions
from civicgrid.cases.workflow import ACTOR_PERMISSION, TRANSITIONS
from civicgrid.core.access import access
from civicgrid.core.pagination import keyset_page
from civicgrid.core.schemas import ERRORS, Paged
from civicgrid.risk.models import Matter
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
    matter: str | None = Field(None, description="the number of the major matter the case "
                                                 "is tagged with, when the caller can see it")

    @staticmethod
    def resolve_matter(obj):
        return getattr(obj, "matter_number", None)

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
    matter: str = Field("", max_length=20,
                        description="number of a major matter: the cases tagged with it")
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
    description: str = Field(..., max_length=DESCRIPTION_MAX_LENGTH)
    lng: float | None = Field(None, ge=-180, le=180,
                              description="longitude, in `coordinate_system`")
    lat: float | None = Field(None, ge=-90, le=90,
                              description="latitude, in `coordinate_system`")
    coordinate_system: str = Field(
        CoordinateSystem.WGS84.value, max_length=20, examples=["wgs84", "gcj02", "bd09"],
        description="the system lng/lat are given in: `wgs84` (default; satellite "
                    "positioning), `gcj02` (Amap, Tencent, WeChat), `bd09` (Baidu); any case, "
                    "also written `WGS-84`, `GCJ-02`, `BD-09`, `bd09ll`. The point is "
                    "converted to WGS 84 before its grid is looked up; answers always give "
                    "lng/lat in WGS 84. Another value answers 400 `invalid`.")
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
    matter: str | None = Field(
        None, max_length=20, examples=["ZD-2026-0001"],
        description="the number of the major matter (重大事项, the risk module) the case is "
                    "about, if any: one the caller can see (`risk.matter.view` in its scope) and "
                    "not withdrawn. An unknown number and a matter out of the caller's scope "
                    "answer alike, 400 `invalid` on `matter`; a withdrawn matter 409 "
                    "`rule_violation`. Later tags go through the case page.")


def _visible_case(request, number: str) -> Case:
    # With the queue area, whose code decides who may dispatch (allowed_actions), and
    # without its polygon.
    return get_object_or_404(
        selectors.case_with_parties(selectors.case_base(actor=request.user))
        .select_related("suggested_unit", "queue_area").defer("queue_area__boundary"),
        number=number)


def _reread(case: Case) -> Case:
    """The case as it is now, with what CaseDetailOut reads (after a write by the caller);
    no polygon, which the answer does not draw."""
    return selectors.case_with_parties(Case.objects.select_related(
        "category", "area", "assigned_unit", "suggested_unit", "queue_area")
        .defer("area__boundary", "queue_area__boundary")).get(pk=case.pk)


def _detail(case: Case, user) -> Case:
    """The case with what CaseDetailOut reads besides its fields."""
    case.deadline_state = selectors.deadline_state(case)  # type: ignore[attr-defined]
    case.allowed_actions = [  # type: ignore[attr-defined]
        t.name for t in allowed_transitions(case, user)]
    number = None
    if case.matter_id is not None:  # named only to a caller who can see it
        number = (Matter.objects.restrict(user, "view").filter(pk=case.matter_id)
                  .values_list("number", flat=True).first())
    case.matter_number = number  # type: ignore[attr-defined]
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
        supervision=filters.supervision or "", q=filters.q, matter=filters.matter))
    page = keyset_page(qs, ["-id"], filters.cursor, filters.limit, ids_first=True)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("", response={201: CaseDetailOut, **ERRORS}, url_name="case_create",
             openapi_extra=IDEMPOTENCY_OPENAPI)
@access("cases.case.add", api=True,
        body={"category": "9901", "description": "楼道堆放杂物影响通行",
              "area": "320602001001001"})
@token_action(CREATE)
@idempotent(CaseDetailOut, status=201)
def create_case(request, payload: CaseIn):
    """Register a case (intake). The place is an area code or a point (`lng`/`lat` in
    `coordinate_system`, WGS 84 unless said); either must lie in the caller's scope. The
    answer's `lng`/`lat` are the point as stored: in WGS 84, converted if it was sent in
    GCJ-02 or BD-09."""
    category = category_by_code(payload.category)
    if category is None:
        raise ValidationError({"category": "Unknown category code."})
    area = None
    if payload.area:
        area = area_by_code(payload.area)
        if area is None:
            raise ValidationError({"area": "Unknown area code."})
    parties = [PartyInput(**party.model_dump()) for party in payload.parties]
    matter = services.matter_by_number(payload.matter, request.user) if payload.matter \
        else None
    case = services.case_intake(
        channel=payload.channel, category=category, description=payload.description,
        actor=request.user, area=area, lng=payload.lng, lat=payload.lat,
        coordinate_system=payload.coordinate_system, address=payload.address,
        happened_at=payload.happened_at, attributes=payload.attributes, parties=parties,
        people_band=payload.people_band, is_major=payload.is_major, is_group=payload.is_group,
        matter=matter)
    # Answered from what was written (its category, place, suggested unit and parties are on
    # the object): reading the new case back would cost two statements and the place's
    # polygon. A test compares this answer with GET /cases/{number}.
    parties = case.parties.all()  # (not run: its result is what intake wrote, in the order
    parties._result_cache = sorted(  # selectors.case_with_parties reads: role, then id)
        case.intake_parties, key=lambda p: (p.role, p.pk))
    parties._prefetch_done = True
    case._prefetched_objects_cache = {"parties": parties}
    return _detail(case, request.user)


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
    return {"items": selectors.events_for_reader(list(selectors.case_events(case=case)),
                                                 request.user)}


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
                                 data=AttachInput(uploads=list(files or [])))
    case.refresh_from_db(fields=["version"])
    return {"version": case.version, "attachments": added}


# --- workflow actions: one endpoint per row of TRANSITIONS --------------------------------
#
# Each body schema is built from the input type the row names (civicgrid/cases/inputs.py):
# the same fields, limits and required-ness as the page form. A unit is given by its code,
# a case by its number; the endpoint only looks them up and calls the service, which
# decides whether the unit may take the case or the case may be merged into.

class ActionIn(Schema):
    version: int = Field(..., ge=1, description="the case version the caller has seen")


def _api_field(f: InputField) -> tuple[Any, Any]:
    """The pydantic annotation and Field of one input field."""
    s = f.spec
    kind = f.kind
    description = s.api_description or None
    if kind in (Unit, Case):
        annotation: Any = str
        limits: dict[str, Any] = {"max_length": 40 if kind is Unit else 24}
    elif f.nested is not None:
        annotation, limits = input_schema(f.nested), {}
    elif f.spec.widget == "lines":
        annotation, limits = list[str], {"max_length": 100}
    elif kind is str:
        annotation, limits = str, {"max_length": s.max_length}
        if f.required:
            limits["min_length"] = 1
    elif kind is int:
        annotation, limits = int, {"ge": s.min_value, "le": s.max_value}
    else:
        annotation, limits = kind, {}
    limits = {k: v for k, v in limits.items() if v is not None}
    if not f.required:
        annotation = annotation | None if f.default is None else annotation
        return annotation, Field(f.default, description=description, **limits)
    return annotation, Field(..., description=description, **limits)


_SCHEMAS: dict[type, type[Schema]] = {}


def input_schema(input_type: type, base: type[Schema] = Schema) -> type[Schema]:
    """The ninja schema of an input type (with `version` for a transition's body)."""
    key = (input_type, base)
    if key not in _SCHEMAS:
        fields = {f.name: _api_field(f) for f in input_fields(input_type)
                  if f.name != "uploads"}
        name = input_type.__name__.removesuffix("Input") or "No"
        suffix = "In" if base is Schema else "ActionIn"
        _SCHEMAS[key] = create_model(f"{name}{suffix}", __base__=base, **fields)
    return _SCHEMAS[key]


def _unit_by_code(code: str, field: str) -> Unit:
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise ValidationError({field: "Unknown unit code."})
    return unit


def _case_by_number(number: str, field: str) -> Case:
    case = Case.objects.filter(number=number).first()
    if case is None:
        raise ValidationError({field: str(services.transitions.MASTER_NOT_FOUND)})
    return case


def api_input(input_type: type, body: Any) -> Any:
    """The service's typed input from a parsed body: references looked up, nothing decided."""
    values: dict[str, Any] = {}
    for f in input_fields(input_type):
        value = getattr(body, f.name, None)
        if f.nested is not None:
            values[f.name] = api_input(f.nested, value) if value is not None else None
        elif f.kind is Unit:
            values[f.name] = _unit_by_code(value, f.name) if value else None
        elif f.kind is Case:
            values[f.name] = _case_by_number(value, f.name)
        else:
            values[f.name] = value
    return input_type(**values)


def _example(input_type: type) -> dict[str, Any]:
    """A body that parses (for the permission matrix's requests)."""
    example: dict[str, Any] = {}
    for f in input_fields(input_type):
        if not f.required or f.name == "uploads":
            continue
        kind = f.kind
        if f.spec.choices:
            example[f.name] = f.spec.choices[0][0]
        elif isinstance(kind, type) and issubclass(kind, Choices):
            example[f.name] = next(v for v in kind.values if v)
        elif kind is int:
            example[f.name] = f.spec.min_value or 1
        elif kind is datetime:
            example[f.name] = "2024-01-01T10:00:00+08:00"
        else:
            example[f.name] = "x"
    return example


# "attach" is the multipart endpoint /cases/{number}/attachments above.
ACTION_NAMES = [name for name in TRANSITIONS if name != "attach"]
ACTION_ENDPOINTS = {**{name: f"/cases/{{number}}/actions/{name}" for name in ACTION_NAMES},
                    "attach": "/cases/{number}/attachments"}


def _make_action(name: str) -> None:
    transition = TRANSITIONS[name]
    input_type = transition.input
    body_schema = input_schema(input_type, ActionIn)

    def action(request, number, body):
        case = _visible_case(request, number)
        services.SERVICES[name](case=case, actor=request.user, expected_version=body.version,
                                data=api_input(input_type, body))
        return _detail(_reread(case), request.user)

    action.__name__ = action.__qualname__ = f"case_action_{name}"
    action.__doc__ = f"{transition.label} ({name})."
    action.__annotations__ = {"number": str, "body": body_schema}
    view = idempotent(CaseDetailOut)(action)
    view = token_action(ACT)(view)
    view = access(_act_permissions(name), **CASE,
                  body={"version": 1, **_example(input_type)})(view)
    router.post(f"/{{number}}/actions/{name}", response={200: CaseDetailOut, **ERRORS},
                url_name=f"case_action_{name}", operation_id=f"case_action_{name}",
                summary=f"{name}: {transition.label}",
                openapi_extra=IDEMPOTENCY_OPENAPI)(view)


for _name in ACTION_NAMES:
    _make_action(_name)

"""The registry's people, organisations, owners, rentals, households, permits,
dormitories and figures in the JSON API.

Personal particulars are masked in every answer (the ID, the phone); `POST
/people/{id}/reveal` shows one in clear with a reason, recorded like the page's reveal. A
record outside the caller's scope answers 404 like a missing one; writes honour
Idempotency-Key; errors come in the API's one format (a duplicate ID is 409
`rule_violation` naming the registered person's number).
"""

# No `from __future__ import annotations`: django-ninja reads the annotations.

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from ninja import Field, Query, Router, Schema

from civicgrid.api.auth import IDEMPOTENCY_OPENAPI, idempotent, token_action
from civicgrid.areas.models import Area, Level
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.privacy import record_viewed
from civicgrid.core.access import access
from civicgrid.core.pagination import keyset_page
from civicgrid.core.schemas import ERRORS, Paged
from civicgrid.registry import selectors, services
from civicgrid.registry.figures import area_figures
from civicgrid.registry.models import (
    Building,
    DocumentType,
    DormitoryService,
    HazardLevel,
    Household,
    Organisation,
    OrganisationKind,
    Person,
    PersonKind,
    PersonStatus,
    Relation,
    Rental,
    RentalPurpose,
    Residence,
    ResidenceKind,
    ResidenceSource,
    Room,
)
from civicgrid.registry.review_api import ChangeOut, queued_or

router = Router(tags=["registry"])
READ, WRITE = "registry:read", "registry:write"  # (see registry/api.py: no token holds them)
PERSON = {"model": Person, "lookup": {"person_id": "pk"}, "api": True}


class ResidenceOut(Schema):
    id: int
    room_id: int
    address: str
    kind: ResidenceKind
    since: date
    until: date | None

    @staticmethod
    def resolve_address(obj):
        return obj.room.address


class PersonOut(Schema):
    id: int
    name: str
    kind: PersonKind
    sex: str
    birth_date: date | None
    document_type: DocumentType
    id_number_masked: str = Field(..., description="masked; reveal with a reason")
    phone_masked: str
    grid_code: str
    status: PersonStatus
    verified_at: datetime | None
    version: int


class PersonDetailOut(PersonOut):
    ethnicity: str
    hukou_code: str
    nationality: str
    stay_purpose: str
    education: str
    occupation: str
    residences: list[ResidenceOut]


class PersonPage(Paged):
    items: list[PersonOut]


class PersonFilters(Schema):
    q: str = Field("", max_length=60, description="a name (starts with, then contains), or "
                                                  "a complete ID or phone number (exact)")
    grid: str = Field("", max_length=15, description="people registered in this area")
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)


class PersonIn(Schema):
    grid: str = Field(..., max_length=15, description="grid code")
    name: str = Field(..., max_length=60)
    kind: PersonKind
    sex: str = Field("", max_length=6)
    birth_date: date | None = None
    ethnicity: str = Field("", max_length=20)
    document_type: DocumentType = DocumentType.ID_CARD
    id_number: str = Field("", max_length=40)
    phone: str = Field("", max_length=30)
    hukou_code: str = Field("", max_length=6)
    nationality: str = Field("", max_length=3)
    stay_purpose: str = Field("", max_length=12)
    education: str = Field("", max_length=24)
    occupation: str = Field("", max_length=60)
    room_id: int | None = Field(None, description="moves in at once (入住)")
    residence_kind: ResidenceKind = ResidenceKind.LIVING
    since: date | None = None
    source: ResidenceSource = ResidenceSource.API


class MoveInIn(Schema):
    room_id: int
    kind: ResidenceKind
    since: date | None = None
    source: ResidenceSource = ResidenceSource.API


class MoveOutIn(Schema):
    until: date | None = None
    reason: str = Field("", max_length=200)


class LeaveIn(Schema):
    status: PersonStatus
    reason: str = Field(..., max_length=200)
    on: date | None = None
    version: int = Field(..., ge=1)


class RevealIn(Schema):
    field: str = Field(..., pattern="^(id_number|phone)$")
    reason: str = Field(..., max_length=200)


class RevealOut(Schema):
    field: str
    value: str


class OrganisationOut(Schema):
    id: int
    credit_code: str | None
    name: str
    kind: OrganisationKind
    grid_code: str
    address: str
    staff_count: int | None
    has_trade_union: bool
    has_party_organisation: bool
    active: bool
    version: int


class PageFilters(Schema):
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)


class OrganisationPage(Paged):
    items: list[OrganisationOut]


class OrganisationIn(Schema):
    grid: str = Field(..., max_length=15)
    name: str = Field(..., max_length=100)
    kind: OrganisationKind
    credit_code: str = Field("", max_length=30)
    address: str = Field("", max_length=200)
    staff_count: int | None = Field(None, ge=0)
    has_trade_union: bool = False
    has_party_organisation: bool = False


class FiguresOut(Schema):
    code: str
    counts: dict[str, int]
    vacancy_rate: float | None
    linkage_rate: float | None
    dormitory_rate: float | None
    unverified_buildings: int
    unverified_rooms: int
    unverified_people: int


def _grid(request, code: str) -> Area:
    grid = (Area.objects.restrict(request.user, "view").filter(code=code, level=Level.GRID)
            .defer("boundary").first())
    if grid is None:
        raise ValidationError({"grid": "Unknown grid code."})
    return grid


def _person(request, person_id: int) -> Person:
    try:
        return selectors.person_for(pk=person_id, reader=request.user)
    except Person.DoesNotExist as exc:
        raise Http404 from exc


def _room(request, room_id: int) -> Room:
    room = (Room.objects.restrict(request.user, "view").select_related("building__grid")
            .filter(pk=room_id).first())
    if room is None:
        raise ValidationError({"room_id": "Unknown room."})
    return room


def _detail(request, person: Person) -> Person:
    person.residences_out = selectors.person_residences(  # type: ignore[attr-defined]
        person=person, reader=request.user)
    return person


class _Detail(PersonDetailOut):
    @staticmethod
    def resolve_residences(obj):
        return getattr(obj, "residences_out", [])


class _Created(_Detail):
    pending_change: ChangeOut | None = Field(
        None, description="with `room_id` where changes wait for review: the person is "
                          "registered, their move-in waits (the request)")

    @staticmethod
    def resolve_pending_change(obj):
        return getattr(obj, "pending_change", None)


# --- people ---------------------------------------------------------------------------------

@router.get("/people", response={200: PersonPage, **ERRORS}, url_name="registry_people")
@access("registry.person.view", api=True)
@token_action(READ)
def list_people(request, filters: Query[PersonFilters]):
    """People in the caller's scope, masked. With `q`: the search of the page (at most 20,
    no further page); otherwise by id, a page at a time."""
    if filters.q.strip():
        return {"items": selectors.people_search(reader=request.user, query=filters.q),
                "next_cursor": None}
    rows = Person.objects.restrict(request.user, "view")
    if filters.grid:
        rows = rows.filter(Q(grid_code__startswith=filters.grid))
    page = keyset_page(rows, ["id"], filters.cursor, filters.limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/people/{person_id}", response={200: _Detail, **ERRORS},
            url_name="registry_person")
@access("registry.person.view", **PERSON)
@token_action(READ)
def get_person(request, person_id: int):
    """One person, masked; reading it is recorded as an access to the person, as the page."""
    person = _person(request, person_id)
    record_viewed(subject=person, actor=request.user,
                  event_type=AuditEventType.REGISTRY_PERSON_VIEWED)
    return _detail(request, person)


@router.post("/people", response={201: _Created, **ERRORS}, url_name="registry_person_create",
             openapi_extra=IDEMPOTENCY_OPENAPI)
@access("registry.person.add", api=True,
        body={"grid": "320602001001001", "name": "李雷", "kind": "registered"})
@token_action(WRITE)
@idempotent(_Created, status=201)
def create_person(request, payload: PersonIn):
    """Register a person in a grid of the caller's jurisdiction (with `room_id`, living
    there; where the grid workers' changes wait for review, the move-in waits:
    `pending_change`). A document number registered already is refused (409) with that
    person's number."""
    values = payload.model_dump()
    grid = _grid(request, values.pop("grid"))
    room_id, kind = values.pop("room_id"), values.pop("residence_kind")
    since, source = values.pop("since"), values.pop("source")
    data = services.PersonInput(**values)
    if room_id is None:
        return _detail(request, services.person_create(grid=grid, data=data,
                                                       actor=request.user))
    person, pending = services.person_create_with_move_in(
        grid=grid, data=data, actor=request.user, room=_room(request, room_id),
        residence_kind=kind, since=since, source=source)
    person.pending_change = pending  # type: ignore[attr-defined]
    return _detail(request, person)


@router.post("/people/{person_id}/move-in", response={200: _Detail, 202: ChangeOut, **ERRORS},
             url_name="registry_person_move_in", openapi_extra=IDEMPOTENCY_OPENAPI)
@access("registry.person.change", **PERSON, body={"room_id": 1, "kind": "living"})
@token_action(WRITE)
@queued_or(_Detail)
def move_in(request, person_id: int, payload: MoveInIn):
    """入住: the person lives in the room from `since` (default today). Where the grid
    workers' registry changes wait for review, 202 with the request."""
    person = _person(request, person_id)
    submitted = services.change_submit(actor=request.user, change=services.MoveIn(
        person=person, room=_room(request, payload.room_id), kind=payload.kind,
        since=payload.since, source=payload.source))
    if submitted.request is not None:
        return submitted.request
    person.refresh_from_db()
    return _detail(request, person)


@router.post("/residences/{residence_id}/move-out",
             response={200: ResidenceOut, 202: ChangeOut, **ERRORS},
             url_name="registry_residence_end", openapi_extra=IDEMPOTENCY_OPENAPI)
@access("registry.person.change", model=Residence, lookup={"residence_id": "pk"}, api=True,
        body={})
@token_action(WRITE)
@queued_or(ResidenceOut)
def move_out(request, residence_id: int, payload: MoveOutIn):
    """搬离: the person no longer lives in the room from `until` (default today). Where
    the grid workers' registry changes wait for review, 202 with the request."""
    residence = (Residence.objects.restrict(request.user, "view")
                 .select_related("person", "room").filter(pk=residence_id).first())
    if residence is None:
        raise Http404
    try:
        submitted = services.change_submit(actor=request.user, change=services.MoveOut(
            residence=residence, until=payload.until, reason=payload.reason))
    except PermissionDenied as exc:
        raise Http404 from exc
    return submitted.request or submitted.record


@router.post("/people/{person_id}/leave", response={200: _Detail, **ERRORS},
             url_name="registry_person_leave", openapi_extra=IDEMPOTENCY_OPENAPI)
@access("registry.person.change", **PERSON,
        body={"status": "moved_away", "reason": "迁往外地", "version": 1})
@token_action(WRITE)
@idempotent(_Detail)
def leave(request, person_id: int, payload: LeaveIn):
    """迁出 / 死亡 / 注销 with a reason; `version` must be the person's."""
    person = services.person_leave(person=_person(request, person_id), status=payload.status,
                                   reason=payload.reason, on=payload.on,
                                   version=payload.version, actor=request.user)
    return _detail(request, person)


@router.post("/people/{person_id}/reveal", response={200: RevealOut, **ERRORS},
             url_name="registry_person_reveal")
@access("registry.person.reveal", **PERSON, body={"field": "phone", "reason": "电话回访"})
@token_action(WRITE)  # (a clear particular: never for a token that only reads)
def reveal(request, person_id: int, payload: RevealIn):
    """One sealed particular in clear, with the reason; recorded as an access to the
    person. (Signed-in answers are never cached: core.middleware.)"""
    value = services.person_reveal(person=_person(request, person_id), field_name=payload.field,
                                   reason=payload.reason, actor=request.user)
    return {"field": payload.field, "value": value}


# --- organisations and figures ------------------------------------------------------------

@router.get("/organisations", response={200: OrganisationPage, **ERRORS},
            url_name="registry_organisations")
@access("registry.organisation.view", api=True)
@token_action(READ)
def list_organisations(request, filters: Query[PageFilters]):
    rows = Organisation.objects.restrict(request.user, "view")
    page = keyset_page(rows, ["id"], filters.cursor, filters.limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/organisations/{organisation_id}", response={200: OrganisationOut, **ERRORS},
            url_name="registry_organisation")
@access("registry.organisation.view", model=Organisation,
        lookup={"organisation_id": "pk"}, api=True)
@token_action(READ)
def get_organisation(request, organisation_id: int):
    organisation = Organisation.objects.restrict(request.user, "view").filter(
        pk=organisation_id).first()
    if organisation is None:
        raise Http404
    return organisation


@router.post("/organisations", response={201: OrganisationOut, 202: ChangeOut, **ERRORS},
             url_name="registry_organisation_create", openapi_extra=IDEMPOTENCY_OPENAPI)
@access("registry.organisation.add", api=True,
        body={"grid": "320602001001001", "name": "桃坞社区书画社", "kind": "community_group"})
@token_action(WRITE)
@queued_or(OrganisationOut, status=201)
def create_organisation(request, payload: OrganisationIn):
    """Register an organisation in a grid of the caller's jurisdiction. Where the grid
    workers' registry changes wait for review, 202 with the request."""
    values = payload.model_dump()
    grid = _grid(request, values.pop("grid"))
    submitted = services.change_submit(actor=request.user, change=services.OrganisationAdd(
        grid=grid, data=services.OrganisationInput(**values)))
    return submitted.request or submitted.record


@router.get("/figures/{code}", response={200: FiguresOut, **ERRORS},
            url_name="registry_figures")
@access("registry.gridfigures.view", model=Area, lookup={"code": "code"}, api=True)
@token_action(READ)
def figures(request, code: str):
    """An area's registry figures: counts and rates, never a person."""
    area = Area.objects.restrict(request.user, "view").filter(code=code).defer(
        "boundary").first()
    if area is None:
        raise Http404
    return area_figures(area.code)


# --- owners, rentals, households, permits, dormitories ----------------------------------------

def _visible_or_400(request, model, pk: int | None, field: str):
    if pk is None:
        return None
    record = model.objects.restrict(request.user, "view").filter(pk=pk).first()
    if record is None:
        raise ValidationError({field: "Unknown or not visible."})
    return record


class OwnerIn(Schema):
    person_id: int | None = None
    organisation_id: int | None = None
    version: int = Field(..., ge=1)


class OwnerOut(Schema):
    room_id: int
    owner_person_id: int | None
    owner_organisation_id: int | None
    version: int

    @staticmethod
    def resolve_room_id(obj):
        return obj.pk


@router.post("/rooms/{room_id}/owner", response={200: OwnerOut, **ERRORS},
             url_name="registry_room_owner", openapi_extra=IDEMPOTENCY_OPENAPI)
@access("registry.room.change", model=Room, lookup={"room_id": "pk"}, api=True,
        body={"version": 1})
@token_action(WRITE)
@idempotent(OwnerOut)
def set_owner(request, room_id: int, payload: OwnerIn):
    """产权人: a registered person or an organisation (or neither: not known)."""
    room = Room.objects.restrict(request.user, "view").filter(pk=room_id).first()
    if room is None:
        raise Http404
    return services.room_set_owner(
        room=room, actor=request.user, version=payload.version,
        person=_visible_or_400(request, Person, payload.person_id, "person_id"),
        organisation=_visible_or_400(request, Organisation, payload.organisation_id,
                                     "organisation_id"))


class RentalIn(Schema):
    occupant_limit: int
    lessor_person_id: int | None = None
    lessor_organisation_id: int | None = None
    filing_number: str = Field("", max_length=40)
    lease_start: date | None = None
    lease_end: date | None = None
    purpose: RentalPurpose = RentalPurpose.DWELLING
    fire_exits: int = 1
    responsibility_signed_on: date | None = None
    hazard_level: HazardLevel = HazardLevel.NONE
    version: int | None = Field(None, description="the rental's, when updating one")


class RentalOut(Schema):
    id: int
    room_id: int
    lessor_person_id: int | None
    lessor_organisation_id: int | None
    filing_number: str
    lease_start: date | None
    lease_end: date | None
    purpose: RentalPurpose
    occupant_limit: int
    occupants: int
    fire_exits: int
    responsibility_signed_on: date | None
    hazard_level: HazardLevel
    hazard_case: str | None = Field(None, description="the number of the open case suggested "
                                                      "for overcrowding")
    active: bool
    version: int

    @staticmethod
    def resolve_occupants(obj):
        return Residence.objects.filter(room_id=obj.room_id, until__isnull=True).count()

    @staticmethod
    def resolve_hazard_case(obj):
        return obj.hazard_case.number if obj.hazard_case_id else None


@router.post("/rooms/{room_id}/rental", response={200: RentalOut, **ERRORS},
             url_name="registry_room_rental", openapi_extra=IDEMPOTENCY_OPENAPI)
@access("registry.rental.add", model=Room, lookup={"room_id": "pk"}, api=True,
        body={"occupant_limit": 2})
@token_action(WRITE)
@idempotent(RentalOut)
def record_rental(request, room_id: int, payload: RentalIn):
    """登记出租 or update the room's rental. More occupants than the limit suggest a safety
    hazard case about the dwelling (`hazard_case`)."""
    room = Room.objects.restrict(request.user, "view").filter(pk=room_id).first()
    if room is None:
        raise Http404
    values = payload.model_dump()
    person = _visible_or_400(request, Person, values.pop("lessor_person_id"),
                             "lessor_person_id")
    organisation = _visible_or_400(request, Organisation, values.pop("lessor_organisation_id"),
                                   "lessor_organisation_id")
    version = values.pop("version")
    return services.rental_record(
        room=room, actor=request.user, version=version,
        data=services.RentalInput(lessor_person=person, lessor_organisation=organisation,
                                  **values))


@router.get("/rooms/{room_id}/rental", response={200: RentalOut, **ERRORS},
            url_name="registry_room_rental_get")
@access("registry.rental.view", model=Room, lookup={"room_id": "pk"}, api=True)
@token_action(READ)
def get_rental(request, room_id: int):
    rental = (Rental.objects.restrict(request.user, "view").select_related("hazard_case")
              .filter(room_id=room_id).first())
    if rental is None:
        raise Http404
    return rental


class HouseholdIn(Schema):
    head_id: int
    room_id: int
    number: str = Field("", max_length=20)


class MemberIn(Schema):
    person_id: int
    relation: Relation


class MemberOut(Schema):
    person_id: int
    relation: Relation
    since: date
    until: date | None


class HouseholdOut(Schema):
    id: int
    number: str
    room_id: int | None
    members: list[MemberOut]
    version: int

    @staticmethod
    def resolve_members(obj):
        return list(obj.members.filter(until__isnull=True).order_by("id"))


@router.post("/households", response={201: HouseholdOut, **ERRORS},
             url_name="registry_household_create", openapi_extra=IDEMPOTENCY_OPENAPI)
@access("registry.household.add", api=True, body={"head_id": 1, "room_id": 1})
@token_action(WRITE)
@idempotent(HouseholdOut, status=201)
def create_household(request, payload: HouseholdIn):
    head = _visible_or_400(request, Person, payload.head_id, "head_id")
    room = _visible_or_400(request, Room, payload.room_id, "room_id")
    return services.household_create(room=room, head=head, number=payload.number,
                                     actor=request.user)


@router.get("/households/{household_id}", response={200: HouseholdOut, **ERRORS},
            url_name="registry_household")
@access("registry.household.view", model=Household, lookup={"household_id": "pk"}, api=True)
@token_action(READ)
def get_household(request, household_id: int):
    household = Household.objects.restrict(request.user, "view").filter(pk=household_id).first()
    if household is None:
        raise Http404
    return household


@router.post("/households/{household_id}/members",
             response={200: HouseholdOut, 202: ChangeOut, **ERRORS},
             url_name="registry_household_member", openapi_extra=IDEMPOTENCY_OPENAPI)
@access("registry.household.change", model=Household, lookup={"household_id": "pk"},
        api=True, body={"person_id": 1, "relation": "child"})
@token_action(WRITE)
@queued_or(HouseholdOut)
def add_member(request, household_id: int, payload: MemberIn):
    """A member joins the household. Where the grid workers' registry changes wait for
    review, 202 with the request."""
    household = Household.objects.restrict(request.user, "view").filter(pk=household_id).first()
    if household is None:
        raise Http404
    submitted = services.change_submit(actor=request.user, change=services.MemberAdd(
        household=household, person=_visible_or_400(request, Person, payload.person_id,
                                                     "person_id"),
        relation=payload.relation))
    return submitted.request or household


class PermitIn(Schema):
    number: str = Field(..., max_length=30)
    issued_on: date
    expires_on: date
    endorsed_until: date


class PermitOut(Schema):
    id: int
    person_id: int
    number_masked: str
    issued_on: date
    expires_on: date
    endorsed_until: date


@router.post("/people/{person_id}/permits", response={201: PermitOut, **ERRORS},
             url_name="registry_permit_create", openapi_extra=IDEMPOTENCY_OPENAPI)
@access("registry.person.change", **PERSON,
        body={"number": "3206020000001", "issued_on": "2025-01-01",
              "expires_on": "2030-01-01", "endorsed_until": "2026-01-01"})
@token_action(WRITE)
@idempotent(PermitOut, status=201)
def record_permit(request, person_id: int, payload: PermitIn):
    """居住证: the number sealed and answered masked."""
    return services.permit_record(person=_person(request, person_id), actor=request.user,
                                  **payload.model_dump())


class DormitoryIn(Schema):
    name: str = Field(..., max_length=100)
    operator_id: int
    capacity: int
    services: list[DormitoryService] = []


class DormitoryOut(Schema):
    id: int
    building_code: str
    name: str
    operator_id: int
    capacity: int
    services: list[str]

    @staticmethod
    def resolve_building_code(obj):
        return obj.building.code


@router.post("/buildings/{code}/dormitory", response={201: DormitoryOut, **ERRORS},
             url_name="registry_dormitory_create", openapi_extra=IDEMPOTENCY_OPENAPI)
@access("registry.dormitory.add", model=Building, lookup={"code": "code"}, api=True,
        body={"name": "员工宿舍", "operator_id": 1, "capacity": 40})
@token_action(WRITE)
@idempotent(DormitoryOut, status=201)
def record_dormitory(request, code: str, payload: DormitoryIn):
    """A building run as a concentrated dormitory (三集中) by an organisation."""
    building = Building.objects.restrict(request.user, "view").filter(code=code).first()
    if building is None:
        raise Http404
    return services.dormitory_record(
        building=building, name=payload.name, capacity=payload.capacity,
        services=[str(s) for s in payload.services], actor=request.user,
        operator=_visible_or_400(request, Organisation, payload.operator_id, "operator_id"))

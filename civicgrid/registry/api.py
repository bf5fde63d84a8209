"""The registry's places in the JSON API: buildings (list, detail with the layout's counts,
registration, verification) and rooms (list of a building, detail, recording the use).

Endpoints only parse input and call a selector or a service. A building or room outside
the caller's scope answers 404 exactly like a missing one. Writes honour Idempotency-Key
(civicgrid.api.auth.idempotent, as the case endpoints do); errors come in the API's one
format (civicgrid.api.errors: a refused rule is 409 `rule_violation`, a stale version
among them).
"""

# No `from __future__ import annotations`: the body schema built from BuildingInput carries
# real annotation objects that django-ninja reads.

import typing
from dataclasses import MISSING, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import CharField
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from pydantic import create_model

from civicgrid.api.auth import IDEMPOTENCY_OPENAPI, idempotent, token_action
from civicgrid.areas.models import Area, Level
from civicgrid.core.access import access
from civicgrid.core.pagination import keyset_page
from civicgrid.core.schemas import ERRORS, Paged
from civicgrid.registry import place_reads, selectors, services
from civicgrid.registry.models import Building, BuildingUse, Room, RoomUse
from civicgrid.registry.review_api import ChangeOut, queued_or

router = Router(tags=["registry"])

# A token reaches these endpoints only with a registry action. None can be granted yet
# (civicgrid.api.models.TokenAction has no registry actions): until they are added there,
# the registry is read and changed through the browser session only, never by a token
# issued for case intake (whose grid-worker account could otherwise change rooms).
READ, WRITE = "registry:read", "registry:write"

BUILDING = {"model": Building, "lookup": {"code": "code"}, "api": True}
ROOM = {"model": Room, "lookup": {"room_id": "pk"}, "api": True}


# --- output ------------------------------------------------------------------------------

class BuildingOut(Schema):
    code: str
    grid_code: str
    name: str
    road: str
    house_number: str
    address: str
    use: BuildingUse
    floors_above: int
    floors_below: int
    units: int
    lng: float | None
    lat: float | None
    built_year: int | None
    verified_at: datetime | None
    room_count: int
    version: int


class BuildingDetailOut(BuildingOut):
    rooms_by_use: dict[str, int] = Field(
        ..., description="rooms counted by use (every use listed, 0 when none)")
    vacancy_rate: float | None = Field(
        ..., description="vacant rooms among the rooms whose use is known; null when none is")


class BuildingPage(Paged):
    items: list[BuildingOut]


class RoomOut(Schema):
    id: int
    building_code: str
    unit: int
    floor: int
    number: str
    address: str
    area_m2: float | None
    use: RoomUse
    verified_at: datetime | None
    version: int

    @staticmethod
    def resolve_building_code(obj):
        return obj.building.code

    @staticmethod
    def resolve_area_m2(obj):
        return float(obj.area_m2) if obj.area_m2 is not None else None


class RoomPage(Paged):
    items: list[RoomOut]


# --- input -------------------------------------------------------------------------------

class BuildingFilters(Schema):
    grid: str = Field("", max_length=15, description="area code: the buildings of this grid "
                                                     "(or of every grid below this area)")
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)


class RoomFilters(Schema):
    cursor: str | None = None
    limit: int = Field(100, ge=1, le=500)


class RoomUseIn(Schema):
    use: RoomUse = Field(..., description="what the room is used for, as seen on the spot "
                                          "(not `unknown`)")
    version: int = Field(..., ge=1, description="the room version the caller has seen")
    area_m2: Decimal | None = Field(None, max_digits=8, decimal_places=2)
    base_use: RoomUse | None = Field(None, description=(
        "the use the caller saw (an edit made offline): with it, a stale `version` is merged "
        "— applied when the use was not changed since, else kept as a conflict request for "
        "a reviewer (202)"))


def _building_body() -> type[Schema]:
    """The registration body, from BuildingInput (the page form is built from it too), with
    the grid's code; texts limited to their columns, numbers left to the service's rules."""
    hints = typing.get_type_hints(services.BuildingInput)
    body: dict[str, Any] = {"grid": (str, Field(..., max_length=15, description="grid code"))}
    for f in fields(services.BuildingInput):
        limits: dict[str, Any] = {}
        column = next((c for c in Building._meta.fields if c.name == f.name), None)
        if isinstance(column, CharField) and column.choices is None:
            limits["max_length"] = column.max_length
        annotation: Any = BuildingUse if f.name == "use" else hints[f.name]
        default = ... if f.default is MISSING else f.default
        body[f.name] = (annotation, Field(default, **limits))
    return create_model("BuildingIn", __base__=Schema, **body)


BuildingIn = _building_body()


def _building_out(building: Building, room_count: int) -> Building:
    building.room_count = room_count  # type: ignore[attr-defined]
    return building


# --- buildings ---------------------------------------------------------------------------

@router.get("/buildings", response={200: BuildingPage, **ERRORS}, url_name="registry_buildings")
@access("registry.building.view", api=True)
@token_action(READ)
def list_buildings(request, filters: Query[BuildingFilters]):
    """Buildings in the caller's scope by code; follow `next_cursor` for the next page."""
    qs = place_reads.grid_buildings(reader=request.user)
    if filters.grid:
        qs = qs.filter(grid_code__startswith=filters.grid)
    page = keyset_page(qs, ["code"], filters.cursor, filters.limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/buildings", response={201: BuildingOut, **ERRORS},
             url_name="registry_building_create", openapi_extra=IDEMPOTENCY_OPENAPI)
@access("registry.building.add", api=True,
        body={"grid": "320602001001001", "name": "1幢", "floors_above": 2, "units": 1,
              "rooms_per_floor": 2})
@token_action(WRITE)
@idempotent(BuildingOut, status=201)
def create_building(request, payload: BuildingIn):  # type: ignore[valid-type]
    """Register a building in a grid of the caller's jurisdiction; with `rooms_per_floor`
    its layout table is laid out at once (rooms numbered 101, 102, …)."""
    values = payload.model_dump()
    grid = (Area.objects.restrict(request.user, "view").filter(code=values.pop("grid"),
                                                               level=Level.GRID).first())
    if grid is None:
        raise ValidationError({"grid": "Unknown grid code."})
    building = services.building_create(grid=grid, data=services.BuildingInput(**values),
                                        actor=request.user)
    return _building_out(building, building.rooms.count())


@router.get("/buildings/{code}", response={200: BuildingDetailOut, **ERRORS},
            url_name="registry_building")
@access("registry.building.view", **BUILDING)
@token_action(READ)
def get_building(request, code: str):
    """One building with its rooms counted by use and its vacancy rate."""
    try:
        building = selectors.building_for(code=code, reader=request.user)
    except Building.DoesNotExist as exc:
        raise Http404 from exc
    layout = selectors.building_layout(building=building, reader=request.user)
    building = _building_out(building, layout.rooms)
    building.rooms_by_use = {  # type: ignore[attr-defined]
        use: layout.by_use.get(use, 0) for use in RoomUse.values}
    building.vacancy_rate = layout.vacancy_rate  # type: ignore[attr-defined]
    return building


@router.post("/buildings/{code}/verify", response={200: BuildingOut, **ERRORS},
             url_name="registry_building_verify", openapi_extra=IDEMPOTENCY_OPENAPI)
@access("registry.building.change", **BUILDING, body={})
@token_action(WRITE)
@idempotent(BuildingOut)
def verify_building(request, code: str):
    """核实: the caller saw the building today."""
    building = get_object_or_404(place_reads.grid_buildings(reader=request.user), code=code)
    room_count = building.room_count  # type: ignore[attr-defined]
    return _building_out(services.building_verify(building=building, actor=request.user),
                         room_count)


@router.get("/buildings/{code}/rooms", response={200: RoomPage, **ERRORS},
            url_name="registry_building_rooms")
@access("registry.building.view", **BUILDING)
@token_action(READ)
def list_rooms(request, code: str, filters: Query[RoomFilters]):
    """The rooms of a building by unit, floor and number; follow `next_cursor`."""
    building = get_object_or_404(Building.objects.restrict(request.user, "view"), code=code)
    qs = place_reads.building_rooms(building=building, reader=request.user)
    page = keyset_page(qs, ["unit", "floor", "number"], filters.cursor, filters.limit)
    for room in page.items:
        room.building = building  # (one building: no join, no query per room)
    return {"items": page.items, "next_cursor": page.next_cursor}


# --- rooms -------------------------------------------------------------------------------

@router.get("/rooms/{room_id}", response={200: RoomOut, **ERRORS}, url_name="registry_room")
@access("registry.room.view", **ROOM)
@token_action(READ)
def get_room(request, room_id: int):
    return _room(request, room_id)


@router.post("/rooms/{room_id}/use", response={200: RoomOut, 202: ChangeOut, **ERRORS},
             url_name="registry_room_use", openapi_extra=IDEMPOTENCY_OPENAPI)
@access("registry.room.change", **ROOM, body={"use": "vacant", "version": 1})
@token_action(WRITE)
@queued_or(RoomOut)
def set_room_use(request, room_id: int, payload: RoomUseIn):
    """Record what the room is used for (and its area), as seen on the spot; marks it
    verified. A `version` older than the room's is refused (409), nothing changed. Where
    the grid workers' registry changes wait for review, 202 with the request."""
    room = _room(request, room_id)
    submitted = services.change_submit(actor=request.user, change=services.RoomUseSet(
        room=room, use=payload.use, version=payload.version, area_m2=payload.area_m2,
        base_use=payload.base_use))
    return submitted.request or submitted.record


def _room(request, room_id: int) -> Room:
    try:
        return place_reads.room_for(pk=room_id, reader=request.user)
    except Room.DoesNotExist as exc:
        raise Http404 from exc

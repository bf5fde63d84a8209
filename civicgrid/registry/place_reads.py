"""Reads of the registry's places for its pages and its JSON API (lists of grids, buildings
and rooms), each through `restrict()`: out of scope reads as missing, as in selectors.py.

Kept apart from selectors.py while that module is being extended (issue 15); the two may
be merged once the registry's reads settle.
"""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from civicgrid.accounts.models import User
from civicgrid.areas.models import Area, Level
from civicgrid.core.scope import get_scope
from civicgrid.registry.models import Building, Room


def _count_of(rows: QuerySet[Room] | QuerySet[Building]) -> Coalesce:
    """A correlated COUNT of `rows` (already filtered on an OuterRef), 0 when none."""
    counted = rows.order_by().values("grid_code").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def reader_grids(*, reader: User) -> list[Area]:
    """The grids the reader was given as their own (a grid worker's jurisdiction), by code;
    empty for people whose jurisdiction is a community, a street or more."""
    codes = [c for c in get_scope(reader).area_codes if len(c) == 15]
    if not codes:
        return []
    return list(Area.objects.restrict(reader, "view").filter(code__in=codes, level=Level.GRID)
                .defer("boundary").order_by("code"))


def grids_with_counts(*, reader: User, within: Area | None = None) -> QuerySet[Area]:
    """The grids the reader may see (below `within` when given), each with its number of
    buildings and rooms (`building_count`, `room_count`: two correlated counts on indexed
    columns, one statement for the page). Order by code for keyset pages."""
    grids = (Area.objects.restrict(reader, "view").filter(level=Level.GRID)
             .defer("boundary"))
    if within is not None:
        grids = grids.filter(code__startswith=within.code)
    buildings = Building.objects.restrict(reader, "view").filter(grid_code=OuterRef("code"))
    rooms = Room.objects.restrict(reader, "view").filter(grid_code=OuterRef("code"))
    return grids.annotate(building_count=_count_of(buildings), room_count=_count_of(rooms))


def grid_buildings(*, reader: User, grid_code: str | None = None) -> QuerySet[Building]:
    """The buildings the reader may see (of one grid when given), each with its number of
    rooms (`room_count`, one grouped statement for the page). Order by code for keyset
    pages (the index on grid_code, code)."""
    buildings = Building.objects.restrict(reader, "view")
    if grid_code is not None:
        buildings = buildings.filter(grid_code=grid_code)
    return buildings.annotate(room_count=Count("rooms"))


def building_rooms(*, building: Building, reader: User) -> QuerySet[Room]:
    """The rooms of a building the reader may see (none when it is out of scope)."""
    return Room.objects.restrict(reader, "view").filter(building=building)


def room_for(*, pk: int, reader: User) -> Room:
    """The room with its building if the reader may see it; Room.DoesNotExist otherwise
    (missing or out of scope alike)."""
    return (Room.objects.restrict(reader, "view")
            .select_related("building", "building__grid", "owner_person", "owner_organisation")
            .defer("building__grid__boundary").get(pk=pk))

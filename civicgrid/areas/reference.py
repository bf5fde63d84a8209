"""Areas as every process keeps them in memory (core/refcache.py, REFERENCE): by code,
without their polygons (a street's is large; no list or answer draws it). Any save
or delete of an area, and the bulk import, bumps the counter: a renamed or removed area is
read again at the next request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from civicgrid.areas.locator import grid_locator
from civicgrid.areas.models import Area, Level
from civicgrid.core.refcache import REFERENCE, RefCache
from civicgrid.core.scope import get_scope, user_can

if TYPE_CHECKING:
    from civicgrid.core.scope import Reader

_areas: RefCache[Area | None] = RefCache("areas", REFERENCE, max_entries=100_000)
# A county's areas (streets, communities, grids) are read together, in one statement, the
# first time one of them is asked for: a city's few hundred grids per county are then all
# there, however the points of its intakes fall.
_counties: RefCache[dict[str, Area]] = RefCache("areas-by-county", REFERENCE,
                                                 max_entries=5_000)
COUNTY_CODE_LENGTH = 6


def area_by_code(code: str) -> Area | None:
    """The area with this code (its polygon deferred), or None."""
    if len(code) < COUNTY_CODE_LENGTH:
        return _areas.get(("code", code),
                          lambda: Area.objects.defer("boundary").filter(code=code).first())
    county = code[:COUNTY_CODE_LENGTH]
    areas = _counties.get(county, lambda: {
        a.code: a for a in Area.objects.defer("boundary").filter(code__startswith=county)})
    return areas.get(code)


def grid_at(lng: float, lat: float) -> Area | None:
    """The grid that holds the point (point→grid index, then the cached area), or None. An
    index that names a grid no longer there (built from data since rolled back or removed)
    is rebuilt and asked again."""
    for _attempt in range(2):
        found = grid_locator.locate_code(lng, lat)
        if found is None:
            return None
        pk, code = found
        grid = area_by_code(code)
        if grid is not None and grid.pk == pk and grid.level == Level.GRID:
            return grid
        grid_locator.invalidate()
    return None


def area_readable(reader: Reader, area: Area) -> bool:
    """Whether `Area.objects.restrict(reader, "view")` holds `area` (Area.scope_q: the
    jurisdiction subtrees), decided without a query."""
    return user_can(reader, Area, "view") and get_scope(reader).covers_code(area.code)


_queue_areas: RefCache[tuple[int, ...]] = RefCache("queue-areas", REFERENCE, max_entries=20_000)


def dispatch_area_ids(codes: tuple[str, ...]) -> tuple[int, ...]:
    """The ids of the areas whose dispatch queues lie in these jurisdiction subtrees: the
    counties and streets at or below each code, and the codes' own areas (a case's queue
    is its county or street: cases/services/routing.py `queue_area_for`). Lets the dispatch
    inbox read `queue_area_id IN (…)` on its index instead of joining the areas by code."""
    def load() -> tuple[int, ...]:
        ids: set[int] = set()
        for code in codes:
            ids.update(Area.objects.filter(
                code__startswith=code, level__in=[Level.COUNTY, Level.STREET]
            ).values_list("pk", flat=True))
            own = area_by_code(code)
            if own is not None:
                ids.add(own.pk)
        return tuple(sorted(ids))
    return _queue_areas.get(codes, load)

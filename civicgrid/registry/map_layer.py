"""The registry's buildings on the maps' base layer (civicgrid/core/static/core/basemap.js).

What a map shows of a building is what stands on the street: its name ("3幢"), its house
number on its road ("人民路12号") and its point; never its use, rooms, people or code.
Staff maps read through `restrict()` (out of scope reads as absent) and are asked only for
readers with `registry.building.view`; the resident portal's map shows the same three
things for the buildings of its public area (civicgrid/portal), as a street sign would.
Provided to the areas app through its port `areas.hooks.area_map_buildings`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from civicgrid.registry.addresses import standard_address
from civicgrid.registry.models import Building

if TYPE_CHECKING:
    from civicgrid.accounts.models import User
    from civicgrid.areas.hooks import Bbox, MapBuilding


def map_buildings(*, reader: User | None, area_code: str, bbox: Bbox | None, limit: int,
                  public: bool = False) -> tuple[list[MapBuilding], bool]:
    """The buildings with a point below `area_code` (inside `bbox` when given), in code
    order, at most `limit`, and whether there were more. `public` (the portal only) reads
    without a reader's scope: the caller has limited `area_code` to its public area."""
    qs = Building.objects.all() if public else Building.objects.restrict(reader, "view")
    qs = qs.filter(grid_code__startswith=area_code, lng__isnull=False, lat__isnull=False)
    if bbox is not None:
        west, south, east, north = bbox
        qs = qs.filter(lng__gte=west, lng__lte=east, lat__gte=south, lat__lte=north)
    rows = list(qs.order_by("code").values_list("name", "road", "house_number", "lng", "lat")
                [:limit + 1])
    found: list[MapBuilding] = [
        {"name": name, "number": standard_address(street="", road=road,
                                                  house_number=house_number),
         "at": [round(lng, 6), round(lat, 6)]}
        for name, road, house_number, lng, lat in rows[:limit]
        if lng is not None and lat is not None  # (filtered above; for the type checker)
    ]
    return found, len(rows) > limit

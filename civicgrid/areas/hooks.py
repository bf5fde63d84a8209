"""The ports of the areas app (civicgrid/core/hooks.py): what higher apps provide.

- `area_registry_figures(area_code)`: the registry's figures of an area, for its page
  (people, the linkage, vacancy and dormitory rates); provided by registry. The area page
  asks only for readers who may see them (`registry.gridfigures.view`).
- `area_map_buildings(reader, area_code, bbox, limit)`: the registry's buildings below an
  area that have a point, inside `bbox` (west, south, east, north), as the reader may read
  them (`restrict()`), for the maps' base layer: at most `limit` of them, and whether
  there were more. Each is a `MapBuilding`: its name, its house number on its road and its
  point, nothing else (no use, no rooms, no people). Provided by registry; asked only for
  readers with `registry.building.view`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypedDict

from civicgrid.core.hooks import Slot

if TYPE_CHECKING:
    from civicgrid.accounts.models import User


class MapBuilding(TypedDict):
    name: str
    number: str  # road and house number, e.g. "人民路12号" ("" when unknown)
    at: list[float]  # [lng, lat]


Bbox = tuple[float, float, float, float]

area_registry_figures: Slot[Callable[[str], Any]] = Slot("areas.area_registry_figures")
area_map_buildings: Slot[Callable[[User | None, str, Bbox | None, int],
                                  tuple[list[MapBuilding], bool]]] = Slot(
    "areas.area_map_buildings")

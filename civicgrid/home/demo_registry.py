"""Buildings and rooms for every grid of the demo district (issue 15's places).

Each grid gets four to eight buildings along two roads, mostly residential blocks of 3 to
26 floors with one to three units (单元) and two or three rooms a floor, some shops,
offices and public buildings; every building has a point inside its grid and its rooms laid
out as the registration service lays them out (`registry.services.lay_out_rooms`), their
use as a grid worker finds it (mostly lived in, some rented or vacant, a few shops, some
not yet verified). Written in bulk (the demo is trusted data, like its units): codes,
addresses and rooms are exactly what `building_create` writes. Idempotent: nothing is added
when the district has buildings.
"""

from __future__ import annotations

import random
from itertools import accumulate

from django.db import transaction

from civicgrid.areas.demo_geometry import COUNTY_CODE
from civicgrid.areas.locator import grid_locator
from civicgrid.areas.models import Area, Level
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.registry.addresses import standard_address
from civicgrid.registry.models import Building, BuildingUse, Room, RoomUse
from civicgrid.registry.services import lay_out_rooms

BUILDINGS_PER_GRID = (4, 8)
ROADS = ["人民路", "青年路", "工农路", "城山路", "钟秀路", "濠河路", "跃龙路", "文峰路",
         "永兴路", "虹桥路", "北濠路", "学田路", "孩儿巷", "任港路", "通京大道", "崇川路"]
USES = [(BuildingUse.RESIDENTIAL, 80), (BuildingUse.MIXED, 7), (BuildingUse.COMMERCIAL, 5),
        (BuildingUse.OFFICE, 3), (BuildingUse.PUBLIC, 3), (BuildingUse.INDUSTRIAL, 2)]
RESIDENTIAL_FLOORS = [3, 4, 5, 5, 6, 6, 6, 6, 7, 7, 11, 18, 26]
ROOM_USES = [(RoomUse.OWNER, 62), (RoomUse.RENTED, 18), (RoomUse.VACANT, 9),
             (RoomUse.BUSINESS, 2), (RoomUse.OTHER, 1), (RoomUse.UNKNOWN, 8)]
CANDIDATES_PER_POINT = 4  # random points tried per building to find one inside its grid


def _choice(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, cum_weights=list(accumulate(weights)))[0]


def _bbox(boundary: dict | None) -> tuple[float, float, float, float] | None:
    if not boundary:
        return None
    polygons = ([boundary["coordinates"]] if boundary.get("type") == "Polygon"
                else boundary.get("coordinates", []))
    points = [p for polygon in polygons for ring in polygon for p in ring]
    if not points:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _points(grids: list[Area], counts: list[int], rng: random.Random,
            ) -> dict[int, list[tuple[float, float]]]:
    """Up to `count` random points inside each grid (the point→grid index decides)."""
    candidates: list[tuple[int, tuple[float, float]]] = []
    for grid, count in zip(grids, counts, strict=True):
        box = _bbox(grid.boundary)
        if box is None:
            continue
        west, south, east, north = box
        candidates += [(grid.pk, (round(rng.uniform(west, east), 6),
                                  round(rng.uniform(south, north), 6)))
                       for _ in range(count * CANDIDATES_PER_POINT)]
    found = grid_locator.locate_many([point for _pk, point in candidates])
    inside: dict[int, list[tuple[float, float]]] = {}
    for (pk, point), located in zip(candidates, found, strict=True):
        if located == pk:
            inside.setdefault(pk, []).append(point)
    return inside


def demo_places_seed(*, seed: int = 2026) -> tuple[int, int]:
    """Buildings and rooms for the demo district's grids: (buildings, rooms) added."""
    if Building.objects.filter(grid_code__startswith=COUNTY_CODE).exists():
        return 0, 0
    rng = random.Random(f"{seed}:places")  # noqa: S311  (demo data, not security)
    grids = list(Area.objects.filter(level=Level.GRID, code__startswith=COUNTY_CODE)
                 .order_by("code"))
    streets = dict(Area.objects.filter(level=Level.STREET, code__startswith=COUNTY_CODE)
                   .values_list("code", "name"))
    counts = [rng.randint(*BUILDINGS_PER_GRID) for _ in grids]
    points = _points(grids, counts, rng)
    buildings: list[Building] = []
    for grid, count in zip(grids, counts, strict=True):
        street = streets.get(grid.code[:9], "")
        roads = rng.sample(ROADS, 2)
        spots = points.get(grid.pk, [])
        for sequence in range(1, count + 1):
            use = _choice(rng, USES)
            residential = use in (BuildingUse.RESIDENTIAL, BuildingUse.MIXED)
            road, number = rng.choice(roads), str(rng.randint(1, 360))
            name = f"{sequence}幢"
            lng, lat = spots[sequence - 1] if sequence <= len(spots) else (None, None)
            buildings.append(Building(
                code=f"{grid.code}{sequence:05d}", grid=grid, grid_code=grid.code, road=road,
                house_number=number, name=name, use=use,
                address=standard_address(street=street, road=road, house_number=number,
                                         building=name),
                floors_above=rng.choice(RESIDENTIAL_FLOORS) if residential
                else rng.randint(1, 8),
                floors_below=rng.choice([0, 0, 0, 1, 2]),
                units=rng.randint(1, 3) if residential else 1,
                lng=lng, lat=lat, built_year=rng.randint(1982, 2024)))
    with transaction.atomic():
        Building.objects.bulk_create(buildings, batch_size=2000)
        rooms: list[Room] = []
        for building in buildings:
            residential = building.use in (BuildingUse.RESIDENTIAL, BuildingUse.MIXED)
            per_floor = rng.choice((2, 2, 2, 3)) if residential else rng.randint(1, 3)
            for room in lay_out_rooms(building, streets.get(building.grid_code[:9], ""),
                                      per_floor):
                room.use = (_choice(rng, ROOM_USES) if residential
                            else rng.choice([RoomUse.BUSINESS, RoomUse.BUSINESS,
                                             RoomUse.VACANT]))
                rooms.append(room)
        Room.objects.bulk_create(rooms, batch_size=5000)
        audit_record(actor=None, username="system", event_type=AuditEventType.DEMO_SEEDED,
                     subject_type="registry.building", subject_id=COUNTY_CODE,
                     subject_repr="demo places",
                     details={"buildings": len(buildings), "rooms": len(rooms)})
    return len(buildings), len(rooms)

"""Reads of the registry's places, each through `restrict()` (out of scope reads as
missing)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from civicgrid.accounts.models import User
from civicgrid.registry.models import Building, Room, RoomUse


@dataclass(frozen=True)
class LayoutCell:
    room_id: int
    number: str
    use: str
    verified: bool


@dataclass(frozen=True)
class LayoutFloor:
    floor: int
    units: tuple[tuple[LayoutCell, ...], ...]  # one tuple of rooms per unit, 1…n


@dataclass(frozen=True)
class Layout:
    """The building's layout table (楼盘表): floors from the top down, each floor's rooms per
    unit in number order, and the rooms counted by use."""

    building: Building
    floors: tuple[LayoutFloor, ...]
    by_use: dict[str, int] = field(default_factory=dict)

    @property
    def rooms(self) -> int:
        return sum(self.by_use.values())

    @property
    def vacancy_rate(self) -> float | None:
        """Vacant rooms among the rooms whose use is known (待核实 left out), or None."""
        known = self.rooms - self.by_use.get(RoomUse.UNKNOWN, 0)
        return self.by_use.get(RoomUse.VACANT, 0) / known if known else None


def building_for(*, code: str, reader: User) -> Building:
    """The building with this code if the reader may see it; Building.DoesNotExist
    otherwise (missing or out of scope alike)."""
    return Building.objects.restrict(reader, "view").select_related("grid").get(code=code)


def building_layout(*, building: Building, reader: User) -> Layout:
    """The layout table of a building the reader may see (Building.DoesNotExist if not):
    one query for the rooms."""
    if not Building.objects.restrict(reader, "view").filter(pk=building.pk).exists():
        raise Building.DoesNotExist
    rooms = (Room.objects.restrict(reader, "view").filter(building=building)
             .only("id", "unit", "floor", "number", "use", "verified_at"))
    cells: dict[int, dict[int, list[LayoutCell]]] = {}
    counts: Counter[str] = Counter()
    for room in sorted(rooms, key=lambda r: (-r.floor, r.unit, len(r.number), r.number)):
        counts[room.use] += 1
        cells.setdefault(room.floor, {}).setdefault(room.unit, []).append(LayoutCell(
            room.pk, room.number, room.use, room.verified_at is not None))
    units = max((u for floor in cells.values() for u in floor), default=0)
    floors = tuple(
        LayoutFloor(floor, tuple(tuple(by_unit.get(unit, ())) for unit in range(1, units + 1)))
        for floor, by_unit in cells.items())
    return Layout(building=building, floors=floors, by_use=dict(counts))

"""Every write of the registry's places (CONVENTIONS: one typed function per change, the
acting user, the audit entry in the same transaction). Pages and the API (next) parse input
and call these; the rules live here."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.areas.models import Area, Level
from civicgrid.areas.reference import area_by_code, grid_at
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.cases.services.common import refuse_longer_than_field
from civicgrid.core.errors import RuleViolation
from civicgrid.registry.addresses import standard_address
from civicgrid.registry.figures import building_counts, figures_add, figures_move, room_counts
from civicgrid.registry.models import (
    MAX_FLOORS_ABOVE,
    MAX_FLOORS_BELOW,
    MAX_GENERATED_ROOMS,
    MAX_ROOMS_PER_FLOOR,
    MAX_UNITS,
    Building,
    BuildingUse,
    Residence,
    Room,
    RoomUse,
)
from civicgrid.registry.services.common import allowed

EARLIEST_BUILT_YEAR = 1600


@dataclass(frozen=True)
class BuildingInput:
    """What registers a building; `rooms_per_floor` > 0 also lays out its rooms: every
    unit × floor above ground × that many rooms, numbered floor and position (301, 302)."""

    name: str
    use: str = BuildingUse.RESIDENTIAL
    road: str = ""
    house_number: str = ""
    floors_above: int = 1
    floors_below: int = 0
    units: int = 1
    rooms_per_floor: int = 0
    lng: float | None = None
    lat: float | None = None
    built_year: int | None = None


def _text(value: str, field: str, *, required: bool = False) -> str:
    """The building's text `field`, stripped; refused (never cut) when longer than its
    column, or empty when required."""
    text = (value or "").strip()
    if required and not text:
        column = Building._meta.get_field(field)
        assert isinstance(column, models.CharField)
        raise ValidationError({field: _("请填写%(label)s。") % {"label": column.verbose_name}})
    return refuse_longer_than_field(Building, field, text)


def _number(value: int, field: str, label: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError({field: _("%(label)s应在%(low)d至%(high)d之间。") % {
            "label": label, "low": low, "high": high}})
    return value


def _clean_building(data: BuildingInput, grid: Area) -> BuildingInput:
    """Every rule of the input, before the first write."""
    if data.use not in BuildingUse.values:
        raise ValidationError({"use": _("楼栋用途无效。")})
    floors_above = _number(data.floors_above, "floors_above", _("地上层数"), 1, MAX_FLOORS_ABOVE)
    floors_below = _number(data.floors_below, "floors_below", _("地下层数"), 0, MAX_FLOORS_BELOW)
    units = _number(data.units, "units", _("单元数"), 1, MAX_UNITS)
    per_floor = _number(data.rooms_per_floor, "rooms_per_floor", _("每层户数"), 0,
                        MAX_ROOMS_PER_FLOOR)
    if units * floors_above * per_floor > MAX_GENERATED_ROOMS:
        raise ValidationError({"rooms_per_floor": _(
            "一次最多生成%(n)d间房屋,请减少单元、层数或每层户数。") % {"n": MAX_GENERATED_ROOMS}})
    if data.built_year is not None:
        _number(data.built_year, "built_year", _("建成年份"), EARLIEST_BUILT_YEAR,
                timezone.localdate().year)
    if (data.lng is None) != (data.lat is None):
        raise ValidationError({"lng": _("坐标无效。")})
    if data.lng is not None and data.lat is not None:
        if not (-180 <= data.lng <= 180 and -90 <= data.lat <= 90):
            raise ValidationError({"lng": _("坐标无效。")})
        located = grid_at(data.lng, data.lat)
        if located is None or located.code != grid.code:
            raise RuleViolation({"lng": _("该位置不在所选网格内。")})
    return BuildingInput(
        name=_text(data.name, "name", required=True), use=data.use,
        road=_text(data.road, "road"), house_number=_text(data.house_number, "house_number"),
        floors_above=floors_above, floors_below=floors_below, units=units,
        rooms_per_floor=per_floor, lng=data.lng, lat=data.lat, built_year=data.built_year)


def building_cleaned(data: BuildingInput, grid: Area) -> BuildingInput:
    """The input with every rule of `building_create` checked (reads the grid's boundary
    only): the import's row check applies the same rules (civicgrid/imports)."""
    return _clean_building(data, grid)


def building_address(grid: Area, data: BuildingInput) -> str:
    """The standard address `building_create` gives a building of this input."""
    return standard_address(street=street_name(grid), road=data.road,
                            house_number=data.house_number, building=data.name)


def next_building_codes(grid: Area, n: int) -> list[str]:
    """The grid's next `n` building codes, the grid's row locked for the rest of the
    transaction (as `building_create` takes one)."""
    first = int(_next_code(grid)[len(grid.code):])
    if first + n - 1 > 99_999:
        raise RuleViolation({"name": _("该网格的楼栋编码已用完。")})
    return [f"{grid.code}{first + i:05d}" for i in range(n)]


def street_name(grid: Area) -> str:
    street = area_by_code(grid.code[:9])
    return street.name if street is not None else ""


def _next_code(grid: Area) -> str:
    """The grid's next building code. The grid's row is locked meanwhile (areas change
    rarely; two registrations in one grid wait for each other, no other grid does)."""
    Area.objects.select_for_update().filter(pk=grid.pk).values_list("pk").get()
    last = (Building.objects.filter(grid_code=grid.code, code__startswith=grid.code)
            .order_by("-code").values_list("code", flat=True).first())
    sequence = int(last[len(grid.code):]) + 1 if last else 1
    if sequence > 99_999:
        raise RuleViolation({"name": _("该网格的楼栋编码已用完。")})
    return f"{grid.code}{sequence:05d}"


def room_number(floor: int, position: int) -> str:
    """301 for the first room of the third floor; B1-01 below ground."""
    if floor < 0:
        return f"B{-floor}-{position:02d}"
    return f"{floor}{position:02d}"


def building_create(*, grid: Area, data: BuildingInput, actor: User) -> Building:
    """Register a building in a grid of the actor's jurisdiction, with its code and, if
    asked, its rooms laid out (the layout table, 楼盘表)."""
    allowed(actor, Building, "add", grid.code)
    if grid.level != Level.GRID:
        raise RuleViolation({"grid": _("楼栋只能登记在网格中。")})
    data = _clean_building(data, grid)
    street = street_name(grid)
    address = building_address(grid, data)
    # (its rooms' addresses add the unit and room: at most 12 characters more)
    refuse_longer_than_field(Room, "address", address + "x" * 12, "name")
    with transaction.atomic():
        building = Building.objects.create(
            code=_next_code(grid), grid=grid, grid_code=grid.code, road=data.road,
            house_number=data.house_number, name=data.name, address=address, use=data.use,
            floors_above=data.floors_above, floors_below=data.floors_below,
            units=data.units, lng=data.lng, lat=data.lat, built_year=data.built_year)
        rooms = Room.objects.bulk_create(lay_out_rooms(building, street, data.rooms_per_floor))
        figures_add(building_counts(building))
        if rooms:
            figures_add({grid.code: Counter({"rooms": len(rooms),
                                             f"rooms_{RoomUse.UNKNOWN}": len(rooms)})})
        audit_record(actor=actor, event_type=AuditEventType.REGISTRY_BUILDING_CREATED,
                     subject=building, details={"grid": grid.code, "rooms": len(rooms)})
    return building


def lay_out_rooms(building: Building, street: str, per_floor: int) -> Iterable[Room]:
    """The rooms of the building's layout table (unsaved): every unit × floor above ground ×
    `per_floor` positions, with their standard addresses (`street`: the street's name)."""
    for unit in range(1, building.units + 1):
        for floor in range(1, building.floors_above + 1):
            for position in range(1, per_floor + 1):
                number = room_number(floor, position)
                yield Room(building=building, grid_code=building.grid_code, unit=unit,
                           floor=floor, number=number, address=standard_address(
                               street=street, road=building.road,
                               house_number=building.house_number, building=building.name,
                               unit=unit, room=number))


def _stale_room() -> RuleViolation:
    return RuleViolation({"version": _("该房屋已被他人修改,请刷新后重试。")})


def _vacant_but_lived_in() -> RuleViolation:
    return RuleViolation({"use": _("该房屋登记有居住人员,请先登记其搬离,再记录空置。")})


def room_set_use_check(*, room: Room, use: str, actor: User, version: int | None = None,
                       area_m2: Decimal | None = None) -> None:
    """Every rule of `room_set_use`, checked without writing (the service checks the
    version and the residents again with the room's row locked)."""
    allowed(actor, Room, "change", room.grid_code)
    if use not in RoomUse.values or use == RoomUse.UNKNOWN:
        raise ValidationError({"use": _("房屋用途无效。")})
    if area_m2 is not None and not Decimal("0") < area_m2 <= Decimal("100000"):
        raise ValidationError({"area_m2": _("面积应大于0且不超过100000平方米。")})
    if version is not None and not Room.objects.filter(pk=room.pk, version=version).exists():
        raise _stale_room()
    if use == RoomUse.VACANT and Residence.objects.filter(room=room,
                                                           until__isnull=True).exists():
        raise _vacant_but_lived_in()


def room_set_use(*, room: Room, use: str, actor: User, version: int | None = None,
                 area_m2: Decimal | None = None) -> Room:
    """Record what a room is used for (自住/出租/空置/经营/其他), as seen on the spot: also
    marks it verified now. `version`, when given, must be the room's current one (an edit
    made from an older view is refused, nothing changed)."""
    room_set_use_check(room=room, use=use, actor=actor, version=version, area_m2=area_m2)
    now = timezone.now()
    fields: dict[str, object] = {"use": use, "verified_at": now, "updated_at": now,
                                 "version": F("version") + 1}
    if area_m2 is not None:
        fields["area_m2"] = area_m2
    with transaction.atomic():
        # The room's row, locked for this short transaction: its counts move from what it
        # was to what it is, whoever else writes it meanwhile.
        current = Room.objects.select_for_update().get(pk=room.pk)
        if version is not None and current.version != version:
            raise _stale_room()
        if use == RoomUse.VACANT and Residence.objects.filter(room=room,
                                                               until__isnull=True).exists():
            raise _vacant_but_lived_in()
        Room.objects.filter(pk=room.pk).update(**fields)
        room.refresh_from_db()
        figures_move(room_counts(current), room_counts(room))
        audit_record(actor=actor, event_type=AuditEventType.REGISTRY_ROOM_USE_SET,
                     subject=room, details={"from": current.use, "to": use})
    return room


def building_verify(*, building: Building, actor: User) -> Building:
    """The grid worker has seen the building today (核实): its verification time."""
    allowed(actor, Building, "change", building.grid_code)
    now = timezone.now()
    with transaction.atomic():
        Building.objects.filter(pk=building.pk).update(verified_at=now, updated_at=now,
                                                       version=F("version") + 1)
        building.refresh_from_db()
        audit_record(actor=actor, event_type=AuditEventType.REGISTRY_BUILDING_VERIFIED,
                     subject=building)
    return building


# What a room's use becomes when someone moves into it while it was recorded vacant or not
# yet verified (a room people live in is not vacant): by how they live there.
USE_ON_MOVE_IN = {"renting": RoomUse.RENTED, "living": RoomUse.OWNER,
                  "lodging": RoomUse.OWNER, "dormitory": RoomUse.OTHER}


def room_occupied(*, room: Room, residence_kind: str) -> None:
    """In the caller's transaction (a move-in): a room recorded 空置 or 待核实 takes the use
    its new resident shows (租住 → 出租, 居住/借住 → 自住, 集体宿舍 → 其他); any other use
    stays as the grid worker recorded it."""
    current = Room.objects.select_for_update().get(pk=room.pk)
    if current.use not in (RoomUse.VACANT, RoomUse.UNKNOWN):
        return
    Room.objects.filter(pk=room.pk).update(use=USE_ON_MOVE_IN[residence_kind],
                                           updated_at=timezone.now(), version=F("version") + 1)
    room.refresh_from_db()
    figures_move(room_counts(current), room_counts(room))

"""The registry's places: who may register and change them, where, and what is refused
(nothing changed when refused)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civicgrid.accounts.roles import Role
from civicgrid.audit.models import AuditEntry
from civicgrid.core.errors import RuleViolation
from civicgrid.registry.models import Building, Room, RoomUse
from civicgrid.registry.services import (
    BuildingInput,
    building_create,
    building_verify,
    room_number,
    room_set_use,
)

pytestmark = pytest.mark.django_db


def _state() -> tuple[int, int, int]:
    return Building.objects.count(), Room.objects.count(), AuditEntry.objects.count()


def test_a_grid_worker_registers_a_building_with_its_layout(world):
    worker = world.users[Role.GRID_WORKER]
    building = building_create(
        grid=world.grid_a1, actor=worker,
        data=BuildingInput(name="3幢", road="人民路", house_number="88", floors_above=6,
                           units=2, rooms_per_floor=2, built_year=1998))
    assert building.code == "32060200100100100001"  # the grid's code, then 00001
    assert building.address == "城东街道人民路88号3幢"
    rooms = list(building.rooms.order_by("unit", "floor", "number"))
    assert len(rooms) == 2 * 6 * 2
    assert [(r.unit, r.floor, r.number) for r in rooms[:4]] == [
        (1, 1, "101"), (1, 1, "102"), (1, 2, "201"), (1, 2, "202")]
    assert rooms[-1].address == "城东街道人民路88号3幢2单元602室"
    assert {r.use for r in rooms} == {RoomUse.UNKNOWN}
    assert {r.grid_code for r in rooms} == {world.grid_a1.code}
    entry = AuditEntry.objects.get(event_type="registry.building_created")
    assert entry.subject_id == str(building.pk) and entry.details["rooms"] == 24
    second = building_create(grid=world.grid_a1, actor=worker, data=BuildingInput(name="4幢"))
    assert second.code == "32060200100100100002"
    assert second.rooms.count() == 0


def test_codes_count_per_grid(world):
    supervisor = world.users[Role.SUPERVISOR]
    a1 = building_create(grid=world.grid_a1, actor=supervisor, data=BuildingInput(name="1幢"))
    a2 = building_create(grid=world.grid_a2, actor=supervisor, data=BuildingInput(name="1幢"))
    assert (a1.code, a2.code) == ("32060200100100100001", "32060200100100200001")


@pytest.mark.parametrize(("role", "allowed"), [
    (Role.GRID_WORKER, True), (Role.SUPERVISOR, True), (Role.HANDLER, False),
    (Role.UNIT_LEADER, False), (Role.LEADER, False), (Role.ADMINISTRATOR, False),
    (Role.AUDITOR, False),
])
def test_who_may_register(world, role, allowed):
    before = _state()
    if allowed:
        building_create(grid=world.grid_a1, actor=world.users[role], data=BuildingInput(name="5幢"))
        assert _state() == (before[0] + 1, before[1], before[2] + 1)
    else:
        with pytest.raises(PermissionDenied):
            building_create(grid=world.grid_a1, actor=world.users[role],
                            data=BuildingInput(name="5幢"))
        assert _state() == before


def test_out_of_scope_is_refused_and_nothing_changes(world):
    before = _state()
    with pytest.raises(PermissionDenied):  # the grid worker of grid A1 in grid A2
        building_create(grid=world.grid_a2, actor=world.users[Role.GRID_WORKER],
                        data=BuildingInput(name="1幢"))
    with pytest.raises(PermissionDenied):  # street A's supervisor in street B
        building_create(grid=world.grid_b1, actor=world.users[Role.SUPERVISOR],
                        data=BuildingInput(name="1幢"))
    assert _state() == before


@pytest.mark.parametrize(("data", "field"), [
    (BuildingInput(name=""), "name"),
    (BuildingInput(name="楼" * 61), "name"),
    (BuildingInput(name="1幢", use="castle"), "use"),
    (BuildingInput(name="1幢", floors_above=0), "floors_above"),
    (BuildingInput(name="1幢", floors_above=201), "floors_above"),
    (BuildingInput(name="1幢", floors_below=11), "floors_below"),
    (BuildingInput(name="1幢", units=0), "units"),
    (BuildingInput(name="1幢", rooms_per_floor=61), "rooms_per_floor"),
    (BuildingInput(name="1幢", units=50, floors_above=40, rooms_per_floor=4), "rooms_per_floor"),
    (BuildingInput(name="1幢", built_year=1599), "built_year"),
    (BuildingInput(name="1幢", built_year=3000), "built_year"),
    (BuildingInput(name="1幢", lng=120.81), "lng"),
    (BuildingInput(name="1幢", lng=200.0, lat=31.9), "lng"),
    (BuildingInput(name="1幢", road="路" * 61), "road"),
])
def test_bad_input_is_refused_with_the_field_and_nothing_changes(world, data, field):
    before = _state()
    with pytest.raises(ValidationError) as caught:
        building_create(grid=world.grid_a1, actor=world.users[Role.GRID_WORKER], data=data)
    assert field in caught.value.message_dict
    assert _state() == before


def test_a_point_must_lie_in_the_grid(world):
    worker = world.users[Role.GRID_WORKER]
    inside = building_create(grid=world.grid_a1, actor=worker,
                             data=BuildingInput(name="1幢", lng=120.81, lat=31.91))
    assert (inside.lng, inside.lat) == (120.81, 31.91)
    before = _state()
    with pytest.raises(RuleViolation):  # a point of grid A2 (x 120.85 ± 0.025)
        building_create(grid=world.grid_a1, actor=worker,
                        data=BuildingInput(name="2幢", lng=120.86, lat=31.91))
    assert _state() == before


def test_a_building_stands_in_a_grid_not_a_community(world):
    before = _state()
    with pytest.raises(RuleViolation):
        building_create(grid=world.community_a, actor=world.users[Role.SUPERVISOR],
                        data=BuildingInput(name="1幢"))
    assert _state() == before


def test_room_numbers():
    assert [room_number(3, 1), room_number(12, 4), room_number(-1, 2)] == [
        "301", "1204", "B1-02"]


def _room(world) -> Room:
    building = building_create(grid=world.grid_a1, actor=world.users[Role.GRID_WORKER],
                               data=BuildingInput(name="1幢", floors_above=2,
                                                  rooms_per_floor=1))
    return building.rooms.get(floor=2)


def test_a_grid_worker_records_a_rooms_use(world):
    room = _room(world)
    assert room.verified_at is None
    room = room_set_use(room=room, use=RoomUse.RENTED, area_m2=Decimal("86.50"),
                        actor=world.users[Role.GRID_WORKER], version=1)
    assert (room.use, room.area_m2, room.version) == (RoomUse.RENTED, Decimal("86.50"), 2)
    assert room.verified_at is not None
    entry = AuditEntry.objects.get(event_type="registry.room_use_set")
    assert entry.details == {"from": "unknown", "to": "rented"}


def test_a_stale_or_bad_room_change_is_refused_and_nothing_changes(world):
    room = _room(world)
    worker = world.users[Role.GRID_WORKER]
    room_set_use(room=room, use=RoomUse.VACANT, actor=worker)
    audits = AuditEntry.objects.count()
    with pytest.raises(RuleViolation):  # made from the view of version 1
        room_set_use(room=room, use=RoomUse.OWNER, actor=worker, version=1)
    for use, area in ((RoomUse.UNKNOWN, None), ("palace", None), (RoomUse.OWNER, Decimal(0))):
        with pytest.raises(ValidationError):
            room_set_use(room=room, use=use, area_m2=area, actor=worker)
    with pytest.raises(PermissionDenied):
        room_set_use(room=room, use=RoomUse.OWNER, actor=world.outsider)
    with pytest.raises(PermissionDenied):
        room_set_use(room=room, use=RoomUse.OWNER, actor=world.users[Role.HANDLER])
    room.refresh_from_db()
    assert (room.use, room.version) == (RoomUse.VACANT, 2)
    assert AuditEntry.objects.count() == audits


def test_verifying_a_building(world):
    building = building_create(grid=world.grid_a1, actor=world.users[Role.GRID_WORKER],
                               data=BuildingInput(name="1幢"))
    with pytest.raises(PermissionDenied):
        building_verify(building=building, actor=world.outsider)
    building = building_verify(building=building, actor=world.users[Role.GRID_WORKER])
    assert building.verified_at is not None and building.version == 2


@pytest.mark.parametrize(("who", "sees"), [
    ("grid", {"a1"}), ("supervisor", {"a1", "a2"}), ("handler", {"a1", "a2"}),
    ("leader", set()), ("administrator", set()), ("auditor", {"a1", "a2", "b1"}),
    ("outsider", {"b1"}),
])
def test_who_sees_which_buildings_and_rooms(world, who, sees):
    supervisor_b = world.outsider  # (street B's grid worker registers in B1)
    made = {
        "a1": building_create(grid=world.grid_a1, actor=world.users[Role.SUPERVISOR],
                              data=BuildingInput(name="1幢", rooms_per_floor=1)),
        "a2": building_create(grid=world.grid_a2, actor=world.users[Role.SUPERVISOR],
                              data=BuildingInput(name="1幢", rooms_per_floor=1)),
        "b1": building_create(grid=world.grid_b1, actor=supervisor_b,
                              data=BuildingInput(name="1幢", rooms_per_floor=1)),
    }
    reader = {"grid": world.users[Role.GRID_WORKER], "supervisor": world.users[Role.SUPERVISOR],
              "handler": world.users[Role.HANDLER], "leader": world.users[Role.LEADER],
              "administrator": world.users[Role.ADMINISTRATOR],
              "auditor": world.users[Role.AUDITOR], "outsider": world.outsider}[who]
    by_pk = {b.pk: name for name, b in made.items()}
    assert {by_pk[pk] for pk in Building.objects.restrict(reader).values_list(
        "pk", flat=True)} == sees
    assert {by_pk[pk] for pk in Room.objects.restrict(reader).values_list(
        "building_id", flat=True)} == sees


def test_an_address_too_long_for_its_column_is_refused_not_cut(world):
    from civicgrid.areas.models import Area
    from civicgrid.core.refcache import RefCache

    Area.objects.filter(pk=world.street_a.pk).update(name="街" * 90)  # a long street name
    RefCache.clear_all()
    before = _state()
    with pytest.raises(ValidationError) as caught:  # 90 + 60 + 21 + 60 > 200
        building_create(grid=world.grid_a1, actor=world.users[Role.GRID_WORKER],
                        data=BuildingInput(name="楼" * 60, road="路" * 60,
                                           house_number="9" * 20, units=50,
                                           rooms_per_floor=1))
    assert "标准地址" in caught.value.message_dict["name"][0]
    assert _state() == before

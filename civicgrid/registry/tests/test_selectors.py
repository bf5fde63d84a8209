"""The layout table (楼盘表) of a building, as a reader may see it."""

from __future__ import annotations

import pytest

from civicgrid.accounts.roles import Role
from civicgrid.registry.models import Building, RoomUse
from civicgrid.registry.selectors import building_for, building_layout
from civicgrid.registry.services import BuildingInput, building_create, room_set_use

pytestmark = pytest.mark.django_db


def _building(world) -> Building:
    return building_create(grid=world.grid_a1, actor=world.users[Role.GRID_WORKER],
                           data=BuildingInput(name="7幢", floors_above=3, units=2,
                                              rooms_per_floor=2))


def test_the_layout_table_from_the_top_floor_down(world):
    building = _building(world)
    worker = world.users[Role.GRID_WORKER]
    rooms = {(r.unit, r.number): r for r in building.rooms.all()}
    room_set_use(room=rooms[1, "301"], use=RoomUse.VACANT, actor=worker)
    room_set_use(room=rooms[2, "102"], use=RoomUse.RENTED, actor=worker)
    room_set_use(room=rooms[2, "101"], use=RoomUse.OWNER, actor=worker)
    layout = building_layout(building=building, reader=worker)
    assert [f.floor for f in layout.floors] == [3, 2, 1]
    assert [[[c.number for c in unit] for unit in f.units] for f in layout.floors] == [
        [["301", "302"], ["301", "302"]],
        [["201", "202"], ["201", "202"]],
        [["101", "102"], ["101", "102"]]]
    top_first = layout.floors[0].units[0][0]
    assert (top_first.use, top_first.verified) == (RoomUse.VACANT, True)
    assert layout.floors[2].units[1][1].use == RoomUse.RENTED
    assert layout.rooms == 12
    assert layout.by_use == {RoomUse.UNKNOWN: 9, RoomUse.VACANT: 1, RoomUse.RENTED: 1,
                             RoomUse.OWNER: 1}
    assert layout.vacancy_rate == pytest.approx(1 / 3)  # 1 vacant of 3 known


def test_no_known_use_has_no_vacancy_rate(world):
    layout = building_layout(building=_building(world), reader=world.users[Role.SUPERVISOR])
    assert layout.vacancy_rate is None


@pytest.mark.parametrize("who", ["outsider", "leader", "administrator"])
def test_out_of_scope_reads_as_missing(world, who):
    building = _building(world)
    reader = {"outsider": world.outsider, "leader": world.users[Role.LEADER],
              "administrator": world.users[Role.ADMINISTRATOR]}[who]
    with pytest.raises(Building.DoesNotExist):
        building_layout(building=building, reader=reader)
    with pytest.raises(Building.DoesNotExist):
        building_for(code=building.code, reader=reader)
    with pytest.raises(Building.DoesNotExist):
        building_for(code="32060200100100199999", reader=world.users[Role.GRID_WORKER])
    assert building_for(code=building.code, reader=world.users[Role.GRID_WORKER]) == building

"""area_units reads units through the reverse relations on Area, scoped like Unit.restrict."""

from civicgrid.accounts.roles import Role
from civicgrid.areas.selectors import area_units
from civicgrid.units.models import UnitKind
from civicgrid.units.services import unit_create


def test_area_units_are_those_located_in_or_serving_the_area_within_scope(world):
    serving = unit_create(code="320602-sfj", name="崇川区司法局", kind=UnitKind.DEPARTMENT,
                          area=world.county, jurisdiction=[world.county, world.street_a],
                          actor=None)
    admin = world.users[Role.ADMINISTRATOR]
    assert list(area_units(area=world.street_a, actor=admin)) == [serving, world.unit_a]
    assert list(area_units(area=world.street_b, actor=admin)) == [world.unit_b]
    # a grid worker of street B sees the county unit (it serves the district) but not
    # street A's own unit
    assert list(area_units(area=world.street_a, actor=world.outsider)) == [serving]

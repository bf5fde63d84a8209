"""The demo district's registry (home/demo_registry.py): buildings and rooms, people."""

from __future__ import annotations

import pytest
from django.db.models import Count

from civicgrid.areas.demo_geometry import COUNTY_CODE
from civicgrid.areas.locator import grid_locator
from civicgrid.areas.models import Area, Level
from civicgrid.home.demo_registry import BUILDINGS_PER_GRID, demo_people_seed, demo_places_seed
from civicgrid.registry.models import Building, Room, RoomUse

pytestmark = pytest.mark.django_db


def test_every_grid_has_buildings_laid_out_like_the_service_does(demo):
    buildings, rooms = demo_places_seed()
    grids = Area.objects.filter(level=Level.GRID, code__startswith=COUNTY_CODE).count()
    assert grids * BUILDINGS_PER_GRID[0] <= buildings <= grids * BUILDINGS_PER_GRID[1]
    assert (Building.objects.count(), Room.objects.count()) == (buildings, rooms)
    per_grid = Building.objects.values("grid_code").annotate(n=Count("id"))
    assert len(per_grid) == grids
    for building in Building.objects.select_related("grid")[:200]:
        assert building.code.startswith(building.grid.code) and len(building.code) == 20
        assert building.grid_code == building.grid.code
        assert building.address.endswith(f"{building.road}{building.house_number}号"
                                         f"{building.name}")
        if building.lng is not None:  # a point inside its own grid
            assert grid_locator.locate(building.lng, building.lat) == building.grid_id
        laid = building.rooms.all()
        per_floor = laid.filter(unit=1, floor=1).count()
        assert laid.count() == building.units * building.floors_above * per_floor
        top = laid.get(unit=building.units, floor=building.floors_above,
                       number=f"{building.floors_above}{per_floor:02d}")
        assert top.address == (f"{building.address}{building.units}单元"
                               f"{building.floors_above}{per_floor:02d}室")
    # Most buildings have a point; codes are numbered 1… within each grid.
    assert Building.objects.filter(lng__isnull=False).count() > buildings * 0.9
    first = Building.objects.filter(code__endswith="00001").count()
    assert first == grids
    uses = set(Room.objects.values_list("use", flat=True).distinct())
    assert {RoomUse.OWNER, RoomUse.RENTED, RoomUse.VACANT, RoomUse.UNKNOWN} <= uses
    assert demo_places_seed() == (0, 0)  # present: nothing added
    assert Building.objects.count() == buildings
    _the_people_of_one_street(Area.objects.filter(level=Level.STREET,
                                                  code__startswith=COUNTY_CODE)
                              .order_by("code").first())


def _the_people_of_one_street(street):
    """Stage 3 for one street (the same function `seed_demo` runs for the district)."""
    from civicgrid.core.idnumbers import normalize_id_number
    from civicgrid.core.privacy import unseal
    from civicgrid.registry.figures import figures_differences
    from civicgrid.registry.models import (
        Dormitory,
        Household,
        Organisation,
        Person,
        Rental,
        Residence,
    )

    made = demo_people_seed(within=street.code)
    assert made["people"] == Person.objects.count() > 0
    assert set(Person.objects.values_list("kind", flat=True)) == {
        "registered", "separated", "floating", "foreign"}
    for person in Person.objects.filter(document_type="id_card")[:300]:
        number = unseal(person.id_number_encrypted)
        assert normalize_id_number(number) == number  # a valid check digit
        assert person.id_number_masked == number[:3] + "*" * 13 + number[-2:]
        assert person.birth_date.strftime("%Y%m%d") == number[6:14]
    assert Person.objects.filter(phone_encrypted__startswith="gAAAA").count() > 0
    for household in Household.objects.all()[:200]:
        assert household.members.filter(relation="head", until__isnull=True).count() == 1
    for rental in Rental.objects.all()[:200]:
        living = Residence.objects.filter(room=rental.room, until__isnull=True).count()
        assert 1 <= living <= rental.occupant_limit
    dormitory = Dormitory.objects.get()
    assert Residence.objects.filter(kind="dormitory").exclude(
        room__building=dormitory.building).count() == 0
    assert Organisation.objects.count() == made["organisations"]
    assert figures_differences() == {}
    assert demo_people_seed(within=street.code) == {}  # present: nothing added

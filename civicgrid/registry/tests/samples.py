"""The registry's records for the permission-matrix test (civicgrid.testing.SAMPLES): one in
grid A1 (in every street-A user's scope) and one in grid B1, each made by the services as a
grid worker of that grid makes it."""

from __future__ import annotations

from django.utils import timezone

from civicgrid.accounts.roles import Role
from civicgrid.areas.models import Area
from civicgrid.registry.models import (
    Building,
    ChangeRequest,
    Household,
    Organisation,
    Person,
    PersonChange,
    Rental,
    Residence,
    ReviewRule,
    Room,
)
from civicgrid.registry.services import (
    BuildingInput,
    OrganisationInput,
    PersonInput,
    RentalInput,
    RoomUseSet,
    building_create,
    change_submit,
    household_create,
    organisation_create,
    person_create,
    rental_record,
)
from civicgrid.testing import register_samples


def _worker(world, grid: Area):
    return world.users[Role.GRID_WORKER] if grid == world.grid_a1 else world.outsider


def sample_building(world, grid: Area) -> Building:
    """A building in `grid` with a small layout table (two floors, two rooms a floor)."""
    existing = Building.objects.filter(grid=grid).first()
    if existing:
        return existing
    return building_create(grid=grid, actor=_worker(world, grid), data=BuildingInput(
        name="1幢", road="人民路", house_number="1", floors_above=2, units=1,
        rooms_per_floor=2))


def sample_room(world, grid: Area) -> Room:
    room = sample_building(world, grid).rooms.order_by("floor", "number").first()
    assert room is not None
    return room


def sample_person(world, grid: Area) -> Person:
    """A resident of the building's first room, with a phone (so it can be revealed)."""
    existing = Person.objects.filter(grid=grid).first()
    if existing:
        return existing
    return person_create(grid=grid, actor=_worker(world, grid), room=sample_room(world, grid),
                         data=PersonInput(name="赵六", kind="floating", phone="13912345678"))


def sample_residence(world, grid: Area) -> Residence:
    residence = sample_person(world, grid).residences.first()
    assert residence is not None
    return residence


def sample_change(world, grid: Area) -> PersonChange:
    change = PersonChange.objects.filter(person=sample_person(world, grid)).first()
    assert change is not None
    return change


def sample_organisation(world, grid: Area) -> Organisation:
    existing = Organisation.objects.filter(grid=grid).first()
    if existing:
        return existing
    return organisation_create(grid=grid, actor=_worker(world, grid), data=OrganisationInput(
        name=f"{grid.name}书画社", kind="community_group"))


def sample_household(world, grid: Area) -> Household:
    """The resident's household, headed by them, in their room."""
    existing = Household.objects.filter(grid_code=grid.code).first()
    if existing:
        return existing
    person = sample_person(world, grid)
    return household_create(room=sample_room(world, grid), head=person,
                            actor=_worker(world, grid))


def sample_rental(world, grid: Area) -> Rental:
    """The first room let out by its organisation (the rental endpoints name the room)."""
    existing = Rental.objects.filter(grid_code=grid.code).first()
    if existing:
        return existing
    return rental_record(room=sample_room(world, grid), actor=_worker(world, grid),
                         data=RentalInput(occupant_limit=4,
                                          lessor_organisation=sample_organisation(world, grid)))


def sample_change_request(world, grid: Area) -> ChangeRequest:
    """A pending change by the grid's worker (the room's use), submitted while a review
    rule applied; the rule is removed after, so that the other samples' grid workers keep
    writing directly."""
    existing = ChangeRequest.objects.filter(grid_code=grid.code).first()
    if existing:
        return existing
    worker = _worker(world, grid)
    rule = ReviewRule.objects.create(area=grid, area_code=grid.code, needs_review=True,
                                     set_by=worker, set_at=timezone.now())
    room = sample_room(world, grid)
    submitted = change_submit(actor=worker, change=RoomUseSet(room=room, use="owner",
                                                              version=room.version))
    rule.delete()
    assert submitted.request is not None
    return submitted.request


for _model, _factory in ((Building, sample_building), (Room, sample_room),
                         (Person, sample_person), (Residence, sample_residence),
                         (PersonChange, sample_change), (Organisation, sample_organisation),
                         (Household, sample_household), (Rental, sample_rental),
                         (ChangeRequest, sample_change_request)):
    register_samples(_model, lambda w, f=_factory: f(w, w.grid_a1),
                     lambda w, f=_factory: f(w, w.grid_b1))

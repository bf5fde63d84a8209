"""The registry's figures: kept in the same transaction as the writes, equal to a count made
here from the rows and to the hand-computed numbers; rentals over their limit, dormitories,
households, organisations, permits; retention."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from civicgrid.accounts.roles import Role
from civicgrid.cases.models import Case, Party
from civicgrid.core.errors import RuleViolation
from civicgrid.registry.figures import area_figures, figures_differences, figures_rebuild
from civicgrid.registry.models import (
    GridFigures,
    Household,
    Organisation,
    Person,
    PersonIdHistory,
    PersonKind,
    Rental,
    Residence,
    ResidencePermit,
    Room,
    RoomUse,
)
from civicgrid.registry.services import (
    BuildingInput,
    OrganisationInput,
    PersonInput,
    RentalInput,
    building_create,
    dormitory_record,
    household_add_member,
    household_create,
    organisation_create,
    permit_record,
    person_correct_id,
    person_create,
    person_leave,
    person_move_in,
    rental_end,
    rental_record,
    retention_apply,
    room_set_use,
)
from civicgrid.registry.tests.test_people import VALID_ID, citizen_id

pytestmark = pytest.mark.django_db

CREDIT_CODE = "91350100M000100Y43"  # GB 32100's own example


def _grid_a1(world):
    """Two buildings in grid A1: a block of four rooms and a dormitory of two, with the
    people of the docstring of `test_the_figures_of_a_grid`."""
    boss = world.users[Role.SUPERVISOR]
    block = building_create(grid=world.grid_a1, actor=boss, data=BuildingInput(
        name="1幢", floors_above=2, rooms_per_floor=2))
    r101, r102, r201, _r202 = block.rooms.order_by("floor", "number")
    for room, use in ((r101, RoomUse.OWNER), (r102, RoomUse.RENTED), (r201, RoomUse.VACANT)):
        room_set_use(room=room, use=use, actor=boss)
    dorm = building_create(grid=world.grid_a1, actor=boss, data=BuildingInput(
        name="员工宿舍", rooms_per_floor=2))
    d101, d102 = dorm.rooms.order_by("number")
    operator = organisation_create(grid=world.grid_a1, actor=boss, data=OrganisationInput(
        name="南通某纺织有限公司", kind="enterprise", credit_code=CREDIT_CODE))
    dormitory_record(building=dorm, name="纺织厂宿舍", operator=operator, capacity=40,
                     services=["canteen", "security"], actor=boss)

    def person(name, kind, room=None, residence="living", **kw):
        return person_create(grid=world.grid_a1, actor=boss, room=room,
                             residence_kind=residence,
                             data=PersonInput(name=name, kind=kind, **kw))

    person("张一", PersonKind.REGISTERED, r101)
    person("张二", PersonKind.FLOATING, r102, "renting")
    person("张三", PersonKind.FLOATING, d101, "dormitory")
    person("张四", PersonKind.FLOATING, d102, "dormitory")
    person("张五", PersonKind.FLOATING)
    left = person("张六", PersonKind.SEPARATED, r101)
    person_leave(person=left, status="moved_away", reason="迁往外地", actor=boss)
    person("KIM", PersonKind.FOREIGN, nationality="KOR", document_type="passport",
           id_number="M1234567")
    return block, dorm


def test_the_figures_of_a_grid(world):
    """Rooms 101 自住, 102 出租, 201 空置, 202 待核实, and the dormitory's two 其他 (待核实
    until its workers moved in): vacancy 1 of 5 known. People: 张一 (户籍, in 101), 张二
    (流动, renting 102), 张三 and 张四 (流动, in the
    dormitory), 张五 (流动, no room), KIM (境外, no room); 张六 moved away. Linkage 4 of 6;
    三集中率 2 of 4 floating."""
    _grid_a1(world)
    figures = area_figures(world.grid_a1.code)
    assert {k: v for k, v in figures.counts.items() if v} == {
        "buildings": 2, "rooms": 6, "rooms_unknown": 1, "rooms_owner": 1, "rooms_rented": 1,
        "rooms_vacant": 1, "rooms_other": 2, "people": 6, "people_registered": 1,
        "people_floating": 4,
        "people_foreign": 1, "people_linked": 4, "floating_in_dormitories": 2,
        "organisations": 1, "non_public_economic": 1}
    assert (figures.vacancy_rate, figures.linkage_rate, figures.dormitory_rate) == (
        Decimal("20.0"), Decimal("66.7"), Decimal("50.0"))
    # The same three from the rows, counted here.
    active = Person.objects.filter(grid_code=world.grid_a1.code, status="active")
    living = Residence.objects.filter(until__isnull=True)
    linked = active.filter(pk__in=living.values("person_id"))
    floating = active.filter(kind="floating")
    in_dorms = floating.filter(pk__in=living.filter(kind="dormitory").values("person_id"))
    rooms = Room.objects.filter(grid_code=world.grid_a1.code).exclude(use=RoomUse.UNKNOWN)
    assert figures.linkage_rate == round(Decimal(100 * linked.count()) / active.count(), 1)
    assert figures.dormitory_rate == round(Decimal(100 * in_dorms.count()) / floating.count(), 1)
    assert figures.vacancy_rate == round(
        Decimal(100 * rooms.filter(use=RoomUse.VACANT).count()) / rooms.count(), 1)
    # Nothing was verified more than a year ago; the street adds up its grids.
    assert (figures.unverified_buildings, figures.unverified_people) == (2, 0)
    assert area_figures(world.street_a.code).counts == figures.counts
    assert area_figures(world.street_b.code).linkage_rate is None
    assert figures_differences() == {}
    stored = list(GridFigures.objects.values())
    assert figures_rebuild() == 1
    assert list(GridFigures.objects.values()) == stored


def test_a_dormitory_residence_needs_a_dormitory(world):
    boss = world.users[Role.SUPERVISOR]
    block = building_create(grid=world.grid_a1, actor=boss, data=BuildingInput(
        name="1幢", rooms_per_floor=1))
    with pytest.raises(RuleViolation):
        person_create(grid=world.grid_a1, actor=boss, room=block.rooms.get(),
                      residence_kind="dormitory",
                      data=PersonInput(name="张三", kind=PersonKind.FLOATING))
    assert not Person.objects.exists() and not Residence.objects.exists()


def test_an_overcrowded_rental_suggests_one_hazard_case_naming_nobody(world):
    worker = world.users[Role.GRID_WORKER]
    block, _dorm = _grid_a1(world)
    r102 = block.rooms.get(number="102")
    landlord = Person.objects.get(name="张一")
    rental = rental_record(room=r102, actor=worker, data=RentalInput(
        occupant_limit=2, lessor_person=landlord, filing_number="nt-2026-0012",
        responsibility_signed_on=date(2026, 1, 5)))
    assert rental.filing_number == "NT-2026-0012" and Case.objects.count() == 0
    newcomer = person_create(grid=world.grid_a1, actor=worker, room=r102,
                             residence_kind="renting",
                             data=PersonInput(name="李雷", kind=PersonKind.FLOATING))
    assert Case.objects.count() == 0  # two in a room for two
    third = person_create(grid=world.grid_a1, actor=worker,
                          data=PersonInput(name="韩梅梅", kind=PersonKind.FLOATING))
    person_move_in(person=third, room=r102, kind="renting", actor=worker)
    case = Case.objects.get()
    assert (case.category.code, case.status, case.channel, case.area) == (
        "0399", "registered", "patrol", world.grid_a1)
    assert case.address == r102.address
    assert "居住人数(3人)超过限住人数(2人)" in case.description
    for name in ("张二", "李雷", "韩梅梅", newcomer.name):
        assert name not in case.description
    assert not Party.objects.filter(case=case).exists()
    rental.refresh_from_db()
    assert rental.hazard_case == case
    fourth = person_create(grid=world.grid_a1, actor=worker,
                           data=PersonInput(name="李四", kind=PersonKind.FLOATING))
    person_move_in(person=fourth, room=r102, kind="renting", actor=worker)
    assert Case.objects.count() == 1  # the open case stands for it
    assert area_figures(world.grid_a1.code).counts["rentals"] == 1
    rental_end(rental=rental, actor=worker, version=rental.version)
    assert area_figures(world.grid_a1.code).counts["rentals"] == 0
    assert figures_differences() == {}


def test_rental_input_is_checked(world):
    worker = world.users[Role.GRID_WORKER]
    block, _dorm = _grid_a1(world)
    room = block.rooms.get(number="102")
    landlord = Person.objects.get(name="张一")
    for data, field in [
        (RentalInput(occupant_limit=0, lessor_person=landlord), "occupant_limit"),
        (RentalInput(occupant_limit=2), "lessor_person"),
        (RentalInput(occupant_limit=2, lessor_person=landlord, lease_start=date(2026, 5, 1),
                     lease_end=date(2026, 4, 1)), "lease_end"),
        (RentalInput(occupant_limit=2, lessor_person=landlord, purpose="brothel"), "purpose"),
    ]:
        with pytest.raises(ValidationError) as refused:
            rental_record(room=room, actor=worker, data=data)
        assert list(refused.value.message_dict) == [field]
    assert not Rental.objects.exists()


def test_organisations_are_checked_and_counted(world):
    boss = world.users[Role.SUPERVISOR]
    with pytest.raises(ValidationError) as refused:
        organisation_create(grid=world.grid_a1, actor=boss, data=OrganisationInput(
            name="某公司", kind="enterprise", credit_code="91350100M000100Y44"))
    assert list(refused.value.message_dict) == ["credit_code"]
    organisation_create(grid=world.grid_a1, actor=boss, data=OrganisationInput(
        name="某公司", kind="enterprise", credit_code="91350100m000100y43"))
    with pytest.raises(RuleViolation):
        organisation_create(grid=world.grid_a2, actor=boss, data=OrganisationInput(
            name="另一公司", kind="enterprise", credit_code=CREDIT_CODE))
    club = organisation_create(grid=world.grid_a1, actor=boss, data=OrganisationInput(
        name="桃坞社区书画社", kind="community_group"))
    assert club.credit_code is None and club.authority == "civil_affairs"
    assert Organisation.objects.count() == 2
    counts = area_figures(world.grid_a1.code).counts
    assert (counts["organisations"], counts["non_public_economic"],
            counts["social_organisations"]) == (2, 1, 1)


def test_households_and_permits(world):
    boss = world.users[Role.SUPERVISOR]
    block, _dorm = _grid_a1(world)
    head, member = Person.objects.get(name="张一"), Person.objects.get(name="张五")
    household = household_create(room=block.rooms.get(number="101"), head=head, actor=boss)
    assert household.number == f"{world.grid_a1.code}H0001"
    household_add_member(household=household, person=member, relation="spouse", actor=boss)
    with pytest.raises(RuleViolation):  # one household at a time
        household_create(room=block.rooms.get(number="201"), head=member, actor=boss)
    with pytest.raises(ValidationError):  # a second head
        household_add_member(household=household, person=Person.objects.get(name="张二"),
                             relation="head", actor=boss)
    assert Household.objects.count() == 1 and household.members.count() == 2
    assert area_figures(world.grid_a1.code).counts["households"] == 1
    permit = permit_record(person=member, number="3206020123456789", issued_on=date(2025, 3, 1),
                           expires_on=date(2028, 3, 1), endorsed_until=date(2026, 3, 1),
                           actor=boss)
    assert permit.number_masked == "320***********89"
    with pytest.raises(ValidationError):
        permit_record(person=member, number="3206020123456790", issued_on=date(2025, 3, 1),
                      expires_on=date(2026, 3, 1), endorsed_until=date(2027, 3, 1), actor=boss)
    assert ResidencePermit.objects.count() == 1


def test_retention_removes_the_particulars_of_those_who_left_long_ago(world, settings):
    settings.REGISTRY_RETENTION_MONTHS = 24
    boss = world.users[Role.SUPERVISOR]
    block, _dorm = _grid_a1(world)
    room = block.rooms.get(number="201")
    today = date(2026, 12, 5)

    def leaver(name, id17, left_on, before_leaving=None):
        person = person_create(grid=world.grid_a1, actor=boss, room=room, since=date(2020, 1, 1),
                               data=PersonInput(name=name, kind=PersonKind.FLOATING,
                                                id_number=citizen_id(id17),
                                                phone="13900001111"))
        if before_leaving is not None:
            before_leaving(person)
        person_leave(person=person, status="moved_away", reason=f"{name}回老家",
                     actor=boss, on=left_on)
        person.refresh_from_db()
        return person

    def corrected_with_a_permit(person):
        person_correct_id(person=person, document_type="id_card",
                          id_number=citizen_id("32060219900303123"), reason="录入错误",
                          actor=boss, version=person.version)
        permit_record(person=person, number="3206029999", issued_on=date(2021, 1, 1),
                      expires_on=date(2024, 1, 1), endorsed_until=date(2023, 1, 1), actor=boss)

    long_gone = leaver("钱七", "32060219900101123", date(2024, 11, 4),  # 25 months
                       corrected_with_a_permit)
    recent = leaver("孙八", "32060219900202123", date(2025, 1, 5))  # 23 months
    counts = area_figures(world.grid_a1.code).counts
    report = retention_apply(today=today)
    assert (report.cutoff, report.people) == (date(2024, 12, 5), 1)
    long_gone.refresh_from_db()
    assert (long_gone.name, long_gone.id_number_encrypted, long_gone.id_number_hash,
            long_gone.id_number_masked, long_gone.phone_encrypted, long_gone.phone_hash,
            long_gone.phone_masked, long_gone.birth_date, long_gone.status_reason) == (
        "", "", "", "", "", "", "", None, "")
    assert long_gone.scrubbed_at is not None and long_gone.kind == "floating"
    assert not PersonIdHistory.objects.filter(person=long_gone).exists()
    assert not ResidencePermit.objects.filter(person=long_gone).exists()
    assert long_gone.residences.get().end_reason == ""
    assert long_gone.residences.get().until == date(2024, 11, 4)
    recent.refresh_from_db()
    assert recent.name == "孙八" and recent.id_number_hash
    assert area_figures(world.grid_a1.code).counts == counts
    assert retention_apply(today=today).people == 0
    assert Person.objects.filter(name="张一").exists()  # the active stay whole


def test_the_figures_survive_a_later_id_correction_and_move(world):
    boss = world.users[Role.SUPERVISOR]
    block, _dorm = _grid_a1(world)
    person = person_create(grid=world.grid_a1, actor=boss, data=PersonInput(
        name="王秀英", kind=PersonKind.REGISTERED, id_number=VALID_ID))
    person_move_in(person=person, room=block.rooms.get(number="202"), kind="living", actor=boss)
    assert figures_differences() == {}


def test_a_room_people_live_in_is_not_vacant(world):
    boss = world.users[Role.SUPERVISOR]
    block = building_create(grid=world.grid_a1, actor=boss, data=BuildingInput(
        name="1幢", floors_above=1, rooms_per_floor=3))
    lived, rented, owned = block.rooms.order_by("number")
    room_set_use(room=rented, use=RoomUse.VACANT, actor=boss)
    room_set_use(room=owned, use=RoomUse.BUSINESS, actor=boss)
    for room, kind in ((lived, "living"), (rented, "renting"), (owned, "renting")):
        person_create(grid=world.grid_a1, actor=boss, room=room, residence_kind=kind,
                      data=PersonInput(name="住户", kind=PersonKind.FLOATING))
    # 待核实 → 自住 and 空置 → 出租 by how they live there; a recorded 经营 stays.
    assert [r.use for r in block.rooms.order_by("number")] == [
        RoomUse.OWNER, RoomUse.RENTED, RoomUse.BUSINESS]
    lived.refresh_from_db()
    with pytest.raises(RuleViolation) as refused:
        room_set_use(room=lived, use=RoomUse.VACANT, actor=boss, version=lived.version)
    assert refused.value.message_dict == {
        "use": ["该房屋登记有居住人员,请先登记其搬离,再记录空置。"]}
    lived.refresh_from_db()
    assert lived.use == RoomUse.OWNER
    assert figures_differences() == {}

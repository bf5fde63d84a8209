"""Rules found by a review of the registry: names of people out of scope are not shown on
in-scope pages, reminders follow the holder, one person per citizen ID whatever the document
type, a duplicate is no look-up, leaving and undo keep the records whole, household numbers,
odd input answers 404 not 500, the buttons match what the services allow."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.audit.models import AuditEntry
from civicgrid.core.errors import RuleViolation
from civicgrid.registry.models import Household, Person, PersonChange, Room, RoomUse
from civicgrid.registry.selectors import permits_due
from civicgrid.registry.services import (
    DuplicatePerson,
    PersonInput,
    household_create,
    permit_record,
    person_change_undo,
    person_correct_id,
    person_create,
    person_leave,
    person_move_in,
    person_move_out,
    person_update,
    retention_apply,
    room_set_owner,
    room_set_use,
)
from civicgrid.registry.tests.samples import sample_room
from civicgrid.registry.tests.test_people import VALID_ID

pytestmark = pytest.mark.django_db


def _a2_worker(world):
    return user_create(username="t_grid_a2", password="x-Pass-12345!", display_name="a2",
                       roles=[Role.GRID_WORKER], area_codes=[world.grid_a2.code], actor=None)


def _a2_room(world):
    from civicgrid.registry.services import BuildingInput, building_create

    building = building_create(grid=world.grid_a2, actor=world.users[Role.SUPERVISOR],
                               data=BuildingInput(name="9幢", rooms_per_floor=1))
    return building.rooms.get()


def _person(world, grid=None, **kw):
    grid = grid or world.grid_a1
    data = {"name": "王秀英", "kind": "registered", **kw}
    return person_create(grid=grid, actor=world.users[Role.SUPERVISOR],
                         data=PersonInput(**data))


def test_names_of_people_out_of_scope_stay_off_in_scope_pages(world, client):
    boss = world.users[Role.SUPERVISOR]
    room = sample_room(world, world.grid_a1)
    stranger = _person(world, world.grid_a2, name="外格人")
    room_set_owner(room=room, person=stranger, actor=boss, version=room.version)
    resident = _person(world, name="本格人")
    person_move_in(person=resident, room=room, kind="living", actor=boss)
    household = household_create(room=room, head=resident, actor=boss)
    from civicgrid.registry.services import household_add_member

    household_add_member(household=household, person=stranger, relation="other", actor=boss)
    client.force_login(world.users[Role.GRID_WORKER])  # grid A1 only
    room_page = client.get(reverse("registry:room", args=[room.pk])).content.decode()
    assert "外格人" not in room_page and "不在您的辖区" in room_page
    person_page = client.get(reverse("registry:person", args=[resident.pk])).content.decode()
    assert "外格人" not in person_page and "另有 1 名成员不在您的辖区" in person_page
    client.force_login(boss)  # the street sees both
    assert "外格人" in client.get(reverse("registry:room", args=[room.pk])).content.decode()


def test_the_endorsement_reminder_follows_the_holder(world):
    boss = world.users[Role.SUPERVISOR]
    person = _person(world)
    permit_record(person=person, number="3206020099", issued_on=date(2025, 1, 1),
                  expires_on=date(2030, 1, 1),
                  endorsed_until=timezone.localdate() + timedelta(days=10), actor=boss)
    a1, a2 = world.users[Role.GRID_WORKER], _a2_worker(world)
    assert [p.person_id for p in permits_due(reader=a1)] == [person.pk]
    assert permits_due(reader=a2) == []
    person_move_in(person=person, room=_a2_room(world), kind="renting",
                   actor=boss)
    assert permits_due(reader=a1) == []
    assert [p.person_id for p in permits_due(reader=a2)] == [person.pk]


def test_a_citizen_id_under_another_document_type_is_refused(world):
    _person(world, id_number=VALID_ID)
    before = Person.objects.count()
    with pytest.raises(ValidationError) as refused:
        _person(world, name="同一人", document_type="other", id_number=VALID_ID)
    assert list(refused.value.message_dict) == ["document_type"]
    assert Person.objects.count() == before


def test_a_duplicate_is_no_look_up_of_people_out_of_scope(world):
    holder = _person(world, id_number=VALID_ID)  # in A1
    before = Person.objects.count()
    with pytest.raises(DuplicatePerson) as refused:
        person_create(grid=world.grid_a2, actor=_a2_worker(world),
                      data=PersonInput(name="冒名", kind="registered", id_number=VALID_ID))
    assert refused.value.existing_id is None
    assert str(holder.pk) not in " ".join(refused.value.messages)
    assert "其他辖区" in " ".join(refused.value.messages)
    assert Person.objects.count() == before
    entry = AuditEntry.objects.get(event_type="registry.duplicate_refused")
    assert (entry.subject_id, entry.actor_username) == (str(holder.pk), "t_grid_a2")


def test_leaving_is_bounded_and_undo_keeps_removed_details_removed(world):
    boss = world.users[Role.SUPERVISOR]
    person = _person(world, id_number=VALID_ID)  # born 1949-12-31
    with pytest.raises(ValidationError):
        person_leave(person=person, status="moved_away", reason="x", actor=boss,
                     on=date(1949, 1, 1))
    person_move_in(person=person, room=sample_room(world, world.grid_a1), kind="living",
                   actor=boss, since=date(2015, 1, 1))
    person_leave(person=person, status="moved_away", reason="迁往外地", actor=boss,
                 on=date(2016, 1, 1))
    assert retention_apply(months=24).people == 1
    leave = PersonChange.objects.filter(person=person).first()
    with pytest.raises(RuleViolation):
        person_change_undo(change=leave, reason="误报", actor=boss)
    person.refresh_from_db()
    assert (person.status, person.name) == ("moved_away", "")


def test_undoing_a_move_out_makes_the_room_lived_in_again(world):
    boss = world.users[Role.SUPERVISOR]
    room = sample_room(world, world.grid_a1)
    person = person_create(grid=world.grid_a1, actor=boss, room=room,
                           data=PersonInput(name="李雷", kind="floating"))
    residence = person.residences.get()
    person_move_out(residence=residence, actor=boss)
    room.refresh_from_db()
    room_set_use(room=room, use=RoomUse.VACANT, actor=boss, version=room.version)
    person_change_undo(change=PersonChange.objects.filter(person=person).first(),
                       reason="登记错误", actor=boss)
    room.refresh_from_db()
    assert room.use == RoomUse.OWNER  # 居住 again: not vacant


def test_household_numbers(world):
    boss = world.users[Role.SUPERVISOR]
    room = sample_room(world, world.grid_a1)
    first, second, third = (_person(world, name=n) for n in ("甲", "乙", "丙"))
    with pytest.raises(ValidationError):  # the automatic form is the system's
        household_create(room=room, head=first, actor=boss,
                         number=f"{world.grid_a1.code}H0007")
    typed = household_create(room=room, head=first, actor=boss, number="320602-88")
    one = household_create(room=room, head=second, actor=boss)
    two = household_create(room=room, head=third, actor=boss)
    assert (typed.number, one.number, two.number) == (
        "320602-88", f"{world.grid_a1.code}H0001", f"{world.grid_a1.code}H0002")
    assert Household.objects.count() == 3


def test_odd_numbers_in_urls_and_forms_answer_404_or_a_message(world, client):
    room = sample_room(world, world.grid_a1)
    client.force_login(world.users[Role.GRID_WORKER])
    new = reverse("registry:person_new", args=[world.grid_a1.code])
    assert client.get(new, {"room": "²"}).status_code == 404
    page = client.post(new, {"name": "李雷", "kind": "floating", "document_type": "id_card",
                             "employer": "²"})
    assert page.status_code == 200 and not Person.objects.filter(name="李雷").exists()
    ended = client.post(reverse("registry:room_rental_end", args=[room.pk]), {"version": "²"})
    assert ended.status_code == 302


def test_update_and_correction_keep_the_document_rules(world):
    boss = world.users[Role.SUPERVISOR]
    visitor = _person(world, name="陈", document_type="hk_macao", id_number="H12345678")
    updated = person_update(person=visitor, actor=boss, version=visitor.version,
                            data=PersonInput(name="陈大文", kind="registered",
                                             document_type="hk_macao"))
    assert updated.name == "陈大文"
    foreigner = _person(world, name="KIM", kind="foreign", nationality="KOR",
                        document_type="passport", id_number="M1234567")
    with pytest.raises(ValidationError):
        person_correct_id(person=foreigner, document_type="id_card", id_number=VALID_ID,
                          reason="更正", actor=boss, version=foreigner.version)
    foreigner.refresh_from_db()
    assert foreigner.document_type == "passport"


def test_no_permit_for_someone_who_left(world):
    boss = world.users[Role.SUPERVISOR]
    person = _person(world)
    person_leave(person=person, status="deceased", reason="病故", actor=boss)
    with pytest.raises(RuleViolation):
        permit_record(person=person, number="3206020098", issued_on=date(2025, 1, 1),
                      expires_on=date(2030, 1, 1), endorsed_until=date(2026, 1, 1), actor=boss)


def test_the_pick_runs_a_fixed_number_of_queries(world, client):
    boss = world.users[Role.SUPERVISOR]
    room = sample_room(world, world.grid_a1)
    client.force_login(world.users[Role.GRID_WORKER])
    url = reverse("registry:person_pick")
    person_create(grid=world.grid_a1, actor=boss, room=room,
                  data=PersonInput(name="张一", kind="floating"))
    client.get(url, {"q": "张"})
    with CaptureQueriesContext(connection) as one:
        client.get(url, {"q": "张"})
    for n in range(2, 7):
        person_create(grid=world.grid_a1, actor=boss, room=room,
                      data=PersonInput(name=f"张{n}", kind="floating"))
    with CaptureQueriesContext(connection) as six:
        html = client.get(url, {"q": "张"}).content.decode()
    assert html.count("data-pick-choice") == 6
    assert len(six.captured_queries) == len(one.captured_queries)


def test_buttons_and_undo_stay_within_the_readers_grids(world, client):
    boss = world.users[Role.SUPERVISOR]
    a2_room = _a2_room(world)
    person = _person(world)  # registered in A1 …
    person_move_in(person=person, room=a2_room, kind="renting", actor=boss)  # … now in A2 too
    person_move_in(person=person, room=sample_room(world, world.grid_a1), kind="living",
                   actor=boss)  # (their register back in A1)
    a2_stay = person.residences.get(room=a2_room)
    person_move_out(residence=a2_stay, actor=boss)
    a1_worker = world.users[Role.GRID_WORKER]
    move_out = PersonChange.objects.filter(person=person).first()
    with pytest.raises(PermissionDenied):  # the residence it reopens is in A2
        person_change_undo(change=move_out, reason="x", actor=a1_worker)
    a2_stay.refresh_from_db()
    assert a2_stay.until is not None
    # The A2 worker sees the person while they live in A2, and gets no 迁出 button.
    person_change_undo(change=move_out, reason="登记错误", actor=boss)
    client.force_login(_a2_worker(world))
    page = client.get(reverse("registry:person", args=[person.pk])).content.decode()
    assert reverse("registry:person_leave", args=[person.pk]) not in page
    assert reverse("registry:residence_end", args=[a2_stay.pk]) in page
    assert Room.objects.get(pk=a2_room.pk).use == RoomUse.RENTED

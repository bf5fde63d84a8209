"""The registry's people: registering (the ID checked, sealed, one person per ID), who sees
them, the reveal and its access record, moving in and out, leaving, undoing, correcting an
ID. Every refusal changes nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from civicgrid.accounts.roles import Role
from civicgrid.audit.models import AuditEntry
from civicgrid.audit.privacy import access_log
from civicgrid.core.errors import RuleViolation
from civicgrid.core.idnumbers import check_digit
from civicgrid.registry.models import (
    Person,
    PersonChange,
    PersonIdHistory,
    PersonKind,
    PersonStatus,
    Residence,
)
from civicgrid.registry.services import (
    BuildingInput,
    DuplicatePerson,
    PersonInput,
    building_create,
    person_change_undo,
    person_correct_id,
    person_create,
    person_leave,
    person_move_in,
    person_move_out,
    person_reveal,
    person_update,
)

pytestmark = pytest.mark.django_db

VALID_ID = "11010519491231002X"  # the acceptance's pair: valid …
WRONG_CHECK = "110105194912310021"  # … and the same with a wrong check digit


def citizen_id(first17: str) -> str:
    return first17 + check_digit(first17)


def _rooms(world, grid=None, n=4):
    grid = grid or world.grid_a1
    building = building_create(grid=grid, actor=world.users[Role.SUPERVISOR],
                               data=BuildingInput(name="1幢", floors_above=2, units=1,
                                                  rooms_per_floor=n // 2 or 1))
    return list(building.rooms.order_by("floor", "number"))


def _counts():
    return (Person.objects.count(), Residence.objects.count(), AuditEntry.objects.count(),
            PersonChange.objects.count())


def test_a_resident_is_registered_with_the_id_sealed_and_masked(world):
    worker = world.users[Role.GRID_WORKER]
    room = _rooms(world)[0]
    person = person_create(grid=world.grid_a1, actor=worker, room=room, data=PersonInput(
        name="王秀英", kind=PersonKind.REGISTERED, id_number=" 11010519491231002x ",
        phone="138 1234 5678"))
    assert person.id_number_masked == "110*************2X"
    assert person.phone_masked == "138****5678" and person.phone_last4 == "5678"
    assert VALID_ID not in person.id_number_encrypted and person.id_number_hash
    assert (person.birth_date, person.sex) == (date(1949, 12, 31), "female")  # from the ID
    assert person.residences.get().room == room
    entry = AuditEntry.objects.get(event_type="registry.person_created")
    assert entry.subject_repr == f"registry.person#{person.pk}"  # never the name
    assert "王秀英" not in str(entry.details)


def test_a_wrong_check_digit_is_refused_with_a_clear_message(world):
    before = _counts()
    with pytest.raises(ValidationError) as refused:
        person_create(grid=world.grid_a1, actor=world.users[Role.GRID_WORKER],
                      data=PersonInput(name="王秀英", kind=PersonKind.REGISTERED,
                                       id_number=WRONG_CHECK))
    assert refused.value.message_dict == {
        "id_number": ["身份证号码的校验位不正确,请核对后重新输入"]}
    assert _counts() == before


def test_a_second_person_with_the_same_id_is_refused_with_the_first_ones_number(world):
    worker = world.users[Role.GRID_WORKER]
    first = person_create(grid=world.grid_a1, actor=worker,
                          data=PersonInput(name="王秀英", kind=PersonKind.REGISTERED,
                                           id_number=VALID_ID))
    before = _counts()
    with pytest.raises(DuplicatePerson) as refused:
        person_create(grid=world.grid_a2, actor=world.users[Role.SUPERVISOR],
                      data=PersonInput(name="王秀英", kind=PersonKind.FLOATING,
                                       id_number="110105194912310o2x".replace("o", "0")))
    assert refused.value.existing_id == first.pk
    assert refused.value.message_dict == {
        "id_number": [f"该证件号码已登记(实有人口编号 {first.pk}),请勿重复登记。"]}
    people, residences, entries, changes = before
    assert _counts() == (people, residences, entries + 1, changes)  # the attempt, audited
    assert AuditEntry.objects.filter(event_type="registry.duplicate_refused",
                                     subject_id=str(first.pk)).count() == 1


@pytest.mark.parametrize(("data", "field"), [
    (PersonInput(name="", kind=PersonKind.REGISTERED), "name"),
    (PersonInput(name="李雷", kind="key_person"), "kind"),
    (PersonInput(name="李雷", kind=PersonKind.REGISTERED, phone="12345"), "phone"),
    (PersonInput(name="李雷", kind=PersonKind.REGISTERED, hukou_code="3206"), "hukou_code"),
    (PersonInput(name="Kim", kind=PersonKind.FOREIGN, document_type="passport",
                 id_number="M12345678"), "nationality"),
    (PersonInput(name="Kim", kind=PersonKind.FOREIGN, nationality="KOR",
                 id_number=VALID_ID), "document_type"),
    (PersonInput(name="李雷", kind=PersonKind.REGISTERED, id_number=VALID_ID,
                 birth_date=date(1950, 1, 1)), "birth_date"),
    (PersonInput(name="李雷", kind=PersonKind.REGISTERED, id_number=VALID_ID, sex="male"),
     "sex"),
    (PersonInput(name="李" * 61, kind=PersonKind.REGISTERED), "name"),
])
def test_bad_particulars_are_refused_on_their_field(world, data, field):
    before = _counts()
    with pytest.raises(ValidationError) as refused:
        person_create(grid=world.grid_a1, actor=world.users[Role.GRID_WORKER], data=data)
    assert list(refused.value.message_dict) == [field]
    assert _counts() == before


def test_a_foreign_resident_with_a_passport(world):
    person = person_create(grid=world.grid_a1, actor=world.users[Role.GRID_WORKER],
                           data=PersonInput(name="KIM MINJUN", kind=PersonKind.FOREIGN,
                                            nationality="kor", document_type="passport",
                                            id_number="m 1234 5678", stay_purpose="work"))
    assert (person.nationality, person.id_number_masked) == ("KOR", "M12****78")


@pytest.mark.parametrize(("role", "allowed"), [
    (Role.GRID_WORKER, True), (Role.SUPERVISOR, True), (Role.HANDLER, False),
    (Role.UNIT_LEADER, False), (Role.LEADER, False), (Role.ADMINISTRATOR, False),
    (Role.AUDITOR, False),
])
def test_who_registers_people(world, role, allowed):
    before = _counts()
    data = PersonInput(name="李雷", kind=PersonKind.REGISTERED)
    if allowed:
        assert person_create(grid=world.grid_a1, actor=world.users[role], data=data).pk
    else:
        with pytest.raises(PermissionDenied):
            person_create(grid=world.grid_a1, actor=world.users[role], data=data)
        assert _counts() == before


def test_outside_the_jurisdiction_is_refused_like_missing(world):
    before = _counts()
    with pytest.raises(PermissionDenied):
        person_create(grid=world.grid_b1, actor=world.users[Role.GRID_WORKER],
                      data=PersonInput(name="李雷", kind=PersonKind.REGISTERED))
    assert _counts() == before


def test_who_sees_a_person(world):
    person = person_create(grid=world.grid_a1, actor=world.users[Role.GRID_WORKER],
                           data=PersonInput(name="李雷", kind=PersonKind.REGISTERED))
    seen = {role: Person.objects.restrict(user).filter(pk=person.pk).exists()
            for role, user in world.users.items()}
    assert seen == {Role.GRID_WORKER: True, Role.HANDLER: True, Role.UNIT_LEADER: True,
                    Role.SUPERVISOR: True, Role.LEADER: False, Role.ADMINISTRATOR: False,
                    Role.AUDITOR: True}
    assert not Person.objects.restrict(world.outsider).filter(pk=person.pk).exists()


def test_a_person_living_in_two_grids_is_seen_from_both(world):
    from civicgrid.accounts.services import user_create

    worker_a2 = user_create(username="t_grid_a2", password="x-Pass-12345!", display_name="a2",
                            roles=[Role.GRID_WORKER], area_codes=[world.grid_a2.code],
                            actor=None)
    supervisor = world.users[Role.SUPERVISOR]
    a1_room, a2_room = _rooms(world)[0], _rooms(world, world.grid_a2)[0]
    person = person_create(grid=world.grid_a1, actor=supervisor, room=a1_room,
                           data=PersonInput(name="李雷", kind=PersonKind.SEPARATED))
    assert not Person.objects.restrict(worker_a2).filter(pk=person.pk).exists()
    person_move_in(person=person, room=a2_room, kind="renting", actor=supervisor)
    person.refresh_from_db()
    assert person.grid_code == world.grid_a2.code  # the register follows the latest move
    for worker in (world.users[Role.GRID_WORKER], worker_a2):
        assert Person.objects.restrict(worker).filter(pk=person.pk).exists()
    person_move_out(residence=person.residences.get(room=a1_room), actor=supervisor)
    assert not Person.objects.restrict(world.users[Role.GRID_WORKER]).filter(
        pk=person.pk).exists()


def test_reveal_needs_the_permission_scope_and_a_reason_and_is_in_the_access_log(world):
    worker, auditor = world.users[Role.GRID_WORKER], world.users[Role.AUDITOR]
    person = person_create(grid=world.grid_a1, actor=worker, data=PersonInput(
        name="王秀英", kind=PersonKind.REGISTERED, id_number=VALID_ID, phone="13812345678"))
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError):
        person_reveal(person=person, field_name="id_number", reason="  ", actor=worker)
    for refused in (world.users[Role.HANDLER], world.outsider, world.users[Role.ADMINISTRATOR]):
        with pytest.raises(PermissionDenied):
            person_reveal(person=person, field_name="id_number", reason="核对", actor=refused)
    assert AuditEntry.objects.count() == before
    assert person_reveal(person=person, field_name="id_number", reason="办理居住证核对",
                         actor=worker) == VALID_ID
    assert person_reveal(person=person, field_name="phone", reason="电话回访",
                         actor=world.users[Role.SUPERVISOR]) == "13812345678"
    log = list(access_log(subject_type="registry.person", subject_id=str(person.pk),
                          reader=auditor))
    assert [(e.event_type, e.actor_username, e.details.get("field"), e.details.get("reason"))
            for e in log] == [
        ("pii.revealed", "t_supervisor", "phone", "电话回访"),
        ("pii.revealed", "t_grid", "id_number", "办理居住证核对"),
        ("registry.person_created", "t_grid", None, None),
    ]
    # Only the auditor reads the log.
    assert list(access_log(subject_type="registry.person", subject_id=str(person.pk),
                           reader=worker)) == []


def test_move_out_leave_and_undo(world):
    supervisor = world.users[Role.SUPERVISOR]
    room = _rooms(world)[0]
    person = person_create(grid=world.grid_a1, actor=supervisor, room=room,
                           since=date(2020, 5, 1),
                           data=PersonInput(name="李雷", kind=PersonKind.FLOATING))
    residence = person.residences.get()
    person_move_out(residence=residence, actor=supervisor, reason="合同到期")
    residence.refresh_from_db()
    assert residence.until == timezone.localdate() and residence.end_reason == "合同到期"
    with pytest.raises(RuleViolation):  # twice
        person_move_out(residence=residence, actor=supervisor)
    change = PersonChange.objects.filter(person=person).first()
    assert change is not None and change.kind == "move_out"
    person_change_undo(change=change, reason="登记错误", actor=supervisor)
    residence.refresh_from_db()
    assert residence.until is None
    person.refresh_from_db()
    person_leave(person=person, status=PersonStatus.DECEASED, reason="病故", actor=supervisor,
                 on=date(2024, 3, 2))
    person.refresh_from_db()
    assert (person.status, person.status_date) == (PersonStatus.DECEASED, date(2024, 3, 2))
    assert person.residences.get().until == date(2024, 3, 2)
    # Only the latest change can be undone; the move-in below it stays until then.
    move_in = PersonChange.objects.get(person=person, kind="move_in")
    before = _counts()
    with pytest.raises(RuleViolation):
        person_change_undo(change=move_in, reason="x", actor=supervisor)
    with pytest.raises(RuleViolation):  # not while they are recorded dead
        person_move_in(person=person, room=room, kind="living", actor=supervisor)
    assert _counts() == before
    person_change_undo(change=PersonChange.objects.filter(person=person).first(),
                       reason="误报死亡", actor=supervisor)
    person.refresh_from_db()
    assert (person.status, person.status_date, person.status_reason) == (
        PersonStatus.ACTIVE, None, "")
    assert person.residences.get().until is None
    person_change_undo(change=move_in, reason="重复登记", actor=supervisor)
    assert not person.residences.exists()


def test_a_stale_version_is_refused(world):
    worker = world.users[Role.GRID_WORKER]
    person = person_create(grid=world.grid_a1, actor=worker,
                           data=PersonInput(name="李雷", kind=PersonKind.REGISTERED))
    person_update(person=person, actor=worker, version=1,
                  data=PersonInput(name="李雷", kind=PersonKind.REGISTERED, occupation="教师"))
    before = _counts()
    with pytest.raises(RuleViolation):
        person_update(person=person, actor=worker, version=1,
                      data=PersonInput(name="李磊", kind=PersonKind.REGISTERED))
    person.refresh_from_db()
    assert (person.name, person.occupation, person.version) == ("李雷", "教师", 2)
    assert _counts() == before


def test_an_id_correction_keeps_the_old_number_and_refuses_anothers(world):
    supervisor = world.users[Role.SUPERVISOR]
    other_id = citizen_id("32060219800101123")
    person = person_create(grid=world.grid_a1, actor=supervisor, data=PersonInput(
        name="李雷", kind=PersonKind.REGISTERED, id_number=VALID_ID))
    other = person_create(grid=world.grid_a1, actor=supervisor, data=PersonInput(
        name="韩梅梅", kind=PersonKind.REGISTERED, id_number=other_id))
    with pytest.raises(DuplicatePerson) as refused:
        person_correct_id(person=person, document_type="id_card", id_number=other_id,
                          reason="录入错误", actor=supervisor, version=person.version)
    assert refused.value.existing_id == other.pk
    assert not PersonIdHistory.objects.exists()
    new_id = citizen_id("32060219800202123")
    person_correct_id(person=person, document_type="id_card", id_number=new_id,
                      reason="录入错误", actor=supervisor, version=person.version)
    person.refresh_from_db()
    assert person.id_number_masked == new_id[:3] + "*" * 13 + new_id[-2:]
    assert (person.birth_date, person.sex) == (date(1980, 2, 2), "male")
    history = PersonIdHistory.objects.get(person=person)
    assert (history.id_number_masked, history.reason, history.replaced_by) == (
        "110*************2X", "录入错误", supervisor)
    # The old number is free again for its real holder.
    assert person_create(grid=world.grid_a1, actor=supervisor, data=PersonInput(
        name="王秀英", kind=PersonKind.REGISTERED, id_number=VALID_ID)).pk


def test_leaving_dates_are_checked(world):
    supervisor = world.users[Role.SUPERVISOR]
    person = person_create(grid=world.grid_a1, actor=supervisor, room=_rooms(world)[0],
                           since=date(2022, 1, 1),
                           data=PersonInput(name="李雷", kind=PersonKind.REGISTERED))
    before = _counts()
    for on, status, reason in [(date(2021, 12, 31), "moved_away", "迁往外地"),
                               (timezone.localdate() + timedelta(days=1), "moved_away", "迁出"),
                               (date(2023, 1, 1), "active", "x"),
                               (date(2023, 1, 1), "moved_away", "")]:
        with pytest.raises(ValidationError):
            person_leave(person=person, status=status, reason=reason, actor=supervisor, on=on)
    person.refresh_from_db()
    assert person.status == PersonStatus.ACTIVE and _counts() == before

"""Change review (变更审核, issue 16): which edits wait (the nearest rule, a grid worker only),
submitting (checked as the service would, nothing written but the request), approving (the
same service, the reviewer its actor, the requester told), returning with a reason,
withdrawing, many at once, and every refusal changing nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from civicgrid.accounts.models import UserRole
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.audit.models import AuditEntry
from civicgrid.conftest import PASSWORD
from civicgrid.core.errors import RuleViolation
from civicgrid.core.scope import forget_scope
from civicgrid.notices.models import Notice
from civicgrid.registry.models import (
    ChangeRequest,
    GridFigures,
    HouseholdMember,
    Organisation,
    Person,
    PersonStatus,
    Residence,
    ReviewRule,
    Room,
    RoomUse,
)
from civicgrid.registry.services import (
    BuildingInput,
    MemberAdd,
    MoveIn,
    MoveOut,
    OrganisationAdd,
    OrganisationInput,
    PersonInput,
    RoomUseSet,
    building_create,
    change_approve,
    change_return,
    change_submit,
    change_withdraw,
    changes_approve_bulk,
    household_create,
    needs_review,
    person_create,
    person_create_with_move_in,
    person_leave,
    retention_apply,
    review_rule_set,
    room_set_use,
)
from civicgrid.registry.tests.test_people import VALID_ID

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


@pytest.fixture
def place(world):
    """Grid A1: a building of four rooms (101, 102, 201, 202, use 待核实); 王芳 registered in
    the grid and living nowhere yet (with a citizen ID and a phone); 李强 living in 101."""
    worker = world.users[Role.GRID_WORKER]
    building = building_create(grid=world.grid_a1, actor=worker, data=BuildingInput(
        name="桃坞新村3幢", road="桃坞路", house_number="30", floors_above=2, units=1,
        rooms_per_floor=2))
    rooms = list(building.rooms.order_by("floor", "number"))
    newcomer = person_create(grid=world.grid_a1, actor=worker, data=PersonInput(
        name="王芳", kind="registered", id_number=VALID_ID, phone=PHONE))
    resident = person_create(grid=world.grid_a1, actor=worker, room=rooms[0],
                             data=PersonInput(name="李强", kind="floating"))
    return rooms, newcomer, resident


@pytest.fixture
def reviewer(world):
    """A supervisor of the community (the community reviewer)."""
    return user_create(username="t_community", password=PASSWORD, display_name="社区审核员",
                       roles=[Role.SUPERVISOR], area_codes=[world.community_a.code], actor=None)


@pytest.fixture
def review_on(world, reviewer):
    return review_rule_set(area=world.community_a, needs_review=True, actor=reviewer)


def _state():
    """What a refused action must leave as it was."""
    return (Residence.objects.count(), HouseholdMember.objects.count(),
            Organisation.objects.count(), AuditEntry.objects.count(), Notice.objects.count(),
            list(ChangeRequest.objects.order_by("pk").values_list("pk", "status")),
            list(Room.objects.order_by("pk").values_list("use", "version")))


def _move_in(world, place):
    rooms, newcomer, _resident = place
    return change_submit(actor=world.users[Role.GRID_WORKER],
                         change=MoveIn(person=newcomer, room=rooms[1], kind="renting"))


# --- the rule -----------------------------------------------------------------------------------

def test_the_nearest_rule_decides_and_only_for_those_who_may_not_approve(world, reviewer):
    worker, street_supervisor = world.users[Role.GRID_WORKER], world.users[Role.SUPERVISOR]
    grid = world.grid_a1.code
    assert not needs_review(grid_code=grid, actor=worker)  # no rule: edits apply at once
    review_rule_set(area=world.street_a, needs_review=True, actor=street_supervisor)
    assert needs_review(grid_code=grid, actor=worker)
    assert not needs_review(grid_code=grid, actor=reviewer)  # a supervisor's own edits
    assert not needs_review(grid_code=grid, actor=street_supervisor)
    review_rule_set(area=world.community_a, needs_review=False, actor=reviewer)
    assert not needs_review(grid_code=grid, actor=worker)  # the community's before the street's
    review_rule_set(area=world.grid_a1, needs_review=True, actor=reviewer)
    assert needs_review(grid_code=grid, actor=worker)  # the grid's before the community's
    assert not needs_review(grid_code=world.grid_a2.code, actor=worker)  # (A2: the community's)
    review_rule_set(area=world.grid_a1, needs_review=None, actor=reviewer)  # removed
    assert not needs_review(grid_code=grid, actor=worker)
    assert not ReviewRule.objects.filter(area=world.grid_a1).exists()
    # Street B's grids are not touched by street A's rule.
    assert not needs_review(grid_code=world.grid_b1.code, actor=world.outsider)


def test_setting_a_rule_is_audited_once_and_refused_outside_the_setters_reach(world, reviewer):
    review_rule_set(area=world.community_a, needs_review=True, actor=reviewer)
    review_rule_set(area=world.community_a, needs_review=True, actor=reviewer)  # the same
    entries = AuditEntry.objects.filter(event_type="registry.review_rule_set")
    assert [(e.subject_id, e.details) for e in entries] == [
        (str(world.community_a.pk), {"area": world.community_a.code, "needs_review": True})]
    district = user_create(username="t_district", password=PASSWORD, roles=[Role.SUPERVISOR],
                           area_codes=[world.county.code], actor=None)
    before = (list(ReviewRule.objects.values_list("area_code", "needs_review")),
              AuditEntry.objects.count())
    for actor, area in [(world.users[Role.GRID_WORKER], world.grid_a1),  # no permission
                        (world.users[Role.ADMINISTRATOR], world.grid_a1),
                        (reviewer, world.street_a),  # above the community reviewer
                        (reviewer, world.grid_b1)]:  # another street
        with pytest.raises(PermissionDenied):
            review_rule_set(area=area, needs_review=False, actor=actor)
    with pytest.raises(ValidationError):  # a county is no review area
        review_rule_set(area=world.county, needs_review=True, actor=district)
    assert (list(ReviewRule.objects.values_list("area_code", "needs_review")),
            AuditEntry.objects.count()) == before


# --- submitting ---------------------------------------------------------------------------------

def test_without_a_rule_the_edit_applies_at_once(world, place):
    submitted = _move_in(world, place)
    assert not submitted.queued and isinstance(submitted.record, Residence)
    assert ChangeRequest.objects.count() == 0


def test_a_supervisors_own_edit_applies_directly(world, place, reviewer, review_on):
    rooms, newcomer, _resident = place
    submitted = change_submit(actor=reviewer, change=MoveIn(person=newcomer, room=rooms[1],
                                                            kind="living"))
    assert not submitted.queued
    assert Residence.objects.filter(person=newcomer, room=rooms[1], until__isnull=True).exists()


def test_a_grid_workers_move_in_waits_and_writes_only_the_request(world, place, review_on):
    rooms, newcomer, _resident = place
    residences, figures = Residence.objects.count(), GridFigures.objects.get(
        grid_code=world.grid_a1.code).people_linked
    submitted = _move_in(world, place)
    request = submitted.request
    assert submitted.queued and request is not None
    assert (Residence.objects.count(), GridFigures.objects.get(
        grid_code=world.grid_a1.code).people_linked) == (residences, figures)
    assert (request.kind, request.status, request.grid_code, request.requested_by) == (
        "move_in", "pending", world.grid_a1.code, world.users[Role.GRID_WORKER])
    assert (request.person, request.room, request.base_version) == (newcomer, rooms[1], None)
    today = timezone.localdate().isoformat()
    assert request.payload == {"person": newcomer.pk, "room": rooms[1].pk, "kind": "renting",
                               "since": today, "source": "visit"}
    assert request.before == {"room": rooms[1].address, "occupants": 0, "use": "unknown",
                              "homes": 0}
    assert request.after == {"room": rooms[1].address, "occupants": 1, "use": "rented",
                             "residence_kind": "renting", "since": today, "source": "visit",
                             "homes": 1}
    # Never an ID number, a phone or a name in what the request keeps.
    kept = json.dumps([request.payload, request.before, request.after, request.note],
                      ensure_ascii=False)
    assert VALID_ID not in kept and PHONE not in kept and "王芳" not in kept
    entry = AuditEntry.objects.get(event_type="registry.change_submitted")
    assert (entry.subject_type, entry.subject_id, entry.subject_repr, entry.actor_username,
            entry.details) == ("registry.person", str(newcomer.pk),
                               f"registry.person#{newcomer.pk}", "t_grid",
                               {"request": request.pk, "kind": "move_in"})


def test_a_submission_is_checked_as_the_service_would_and_a_refusal_writes_nothing(
        world, place, review_on):
    rooms, newcomer, resident = place
    worker = world.users[Role.GRID_WORKER]
    other = building_create(grid=world.grid_b1, actor=world.outsider, data=BuildingInput(
        name="1幢", floors_above=1, units=1, rooms_per_floor=1)).rooms.get()
    before = _state()
    tomorrow = timezone.localdate() + timedelta(days=1)
    refusals = [
        MoveIn(person=newcomer, room=rooms[1], kind="living", since=tomorrow),
        MoveIn(person=resident, room=rooms[0], kind="living"),  # lives there already
        MoveIn(person=newcomer, room=rooms[1], kind="dormitory"),  # no dormitory
        RoomUseSet(room=rooms[0], use="vacant"),  # someone lives there
        RoomUseSet(room=rooms[1], use="owner", version=rooms[1].version + 1),  # stale
        OrganisationAdd(grid=world.grid_a1, data=OrganisationInput(
            name="某公司", kind="enterprise", credit_code="91320602MA1XXXXX0X")),
    ]
    for change in refusals:
        with pytest.raises(ValidationError):
            change_submit(actor=worker, change=change)
    # Another grid's room: as if missing.
    with pytest.raises(PermissionDenied):
        change_submit(actor=worker, change=RoomUseSet(room=other, use="owner"))
    assert _state() == before


def test_the_same_change_twice_waits_for_the_first(world, place, review_on):
    _move_in(world, place)
    before = _state()
    with pytest.raises(RuleViolation, match="已有相同的变更在等待审核"):
        _move_in(world, place)
    assert _state() == before


def test_a_new_resident_is_registered_and_their_move_in_waits(world, place, review_on):
    rooms, _newcomer, _resident = place
    worker = world.users[Role.GRID_WORKER]
    person, request = person_create_with_move_in(
        grid=world.grid_a1, room=rooms[3], actor=worker, residence_kind="living",
        data=PersonInput(name="赵敏", kind="registered"))
    assert request is not None and request.person == person and request.kind == "move_in"
    assert not Residence.objects.filter(person=person).exists()
    # A move-in that cannot be made registers nobody.
    people = Person.objects.count()
    with pytest.raises(ValidationError):
        person_create_with_move_in(grid=world.grid_a1, room=rooms[3], actor=worker,
                                   since=timezone.localdate() + timedelta(days=3),
                                   data=PersonInput(name="钱多", kind="registered"))
    assert Person.objects.count() == people


# --- approving ----------------------------------------------------------------------------------

def test_approving_runs_the_service_as_the_reviewer_and_tells_the_requester(
        world, place, reviewer, review_on):
    rooms, newcomer, _resident = place
    request = _move_in(world, place).request
    linked = GridFigures.objects.get(grid_code=world.grid_a1.code).people_linked
    change_approve(request=request, actor=reviewer)
    request.refresh_from_db()
    assert (request.status, request.reviewer, request.reviewed_at is not None) == (
        "approved", reviewer, True)
    residence = Residence.objects.get(person=newcomer, room=rooms[1], until__isnull=True)
    assert (residence.kind, Room.objects.get(pk=rooms[1].pk).use) == ("renting", "rented")
    assert GridFigures.objects.get(grid_code=world.grid_a1.code).people_linked == linked + 1
    # The service's own entry, by the reviewer; then the approval naming the requester.
    moved = AuditEntry.objects.get(event_type="registry.moved_in", subject_id=str(newcomer.pk))
    approved = AuditEntry.objects.get(event_type="registry.change_approved")
    assert (moved.actor_username, moved.subject_id) == ("t_community", str(newcomer.pk))
    assert approved.details == {"request": request.pk, "kind": "move_in",
                                "requested_by": "t_grid",
                                "record": f"registry.residence#{residence.pk}"}
    notice = Notice.objects.get(kind="reg_approved")
    assert (notice.user, notice.area, notice.message) == (
        world.users[Role.GRID_WORKER], world.grid_a1,
        f"您提交的登记变更 {request.pk}(入住)已审核通过。")


def test_approval_refusals_change_nothing(world, place, reviewer, review_on):
    request = _move_in(world, place).request
    worker = world.users[Role.GRID_WORKER]
    street_b = user_create(username="t_sup_b", password=PASSWORD, roles=[Role.SUPERVISOR],
                           area_codes=[world.street_b.code], actor=None)
    before = _state()
    for outsider in (street_b, world.users[Role.HANDLER], world.users[Role.AUDITOR], worker):
        with pytest.raises(PermissionDenied):
            change_approve(request=request, actor=outsider)
    # Their own request: a grid worker made reviewer since does not approve it.
    UserRole.objects.create(user=worker, role=Role.SUPERVISOR)
    forget_scope(worker)
    with pytest.raises(RuleViolation, match="不能审核自己提交的变更"):
        change_approve(request=request, actor=worker)
    with pytest.raises(RuleViolation, match="不能审核自己提交的变更"):
        change_return(request=request, reason="x", actor=worker)
    assert _state() == before


def test_a_change_the_record_no_longer_allows_stays_pending_with_the_reason(
        world, place, reviewer, review_on):
    rooms, newcomer, _resident = place
    request = _move_in(world, place).request
    # Meanwhile the person moved away (a supervisor's direct change).
    person_leave(person=newcomer, status=PersonStatus.MOVED_AWAY, reason="迁往外地",
                 actor=world.users[Role.SUPERVISOR])
    before = _state()
    with pytest.raises(RuleViolation, match="该人员已迁出、死亡或注销"):
        change_approve(request=request, actor=reviewer)
    assert _state() == before
    request.refresh_from_db()
    assert request.status == "pending"


def test_a_room_use_approved_from_a_stale_version_is_refused(world, place, reviewer, review_on):
    rooms, _newcomer, _resident = place
    request = change_submit(actor=world.users[Role.GRID_WORKER], change=RoomUseSet(
        room=rooms[3], use="vacant", version=rooms[3].version, area_m2=Decimal("65.5"))).request
    assert request.before == {"room": rooms[3].address, "use": "unknown", "area_m2": None}
    assert request.after == {"room": rooms[3].address, "use": "vacant", "area_m2": "65.5"}
    room_set_use(room=rooms[3], use="owner", actor=reviewer)  # someone else, meanwhile
    before = _state()
    with pytest.raises(RuleViolation, match="该房屋已被他人修改"):
        change_approve(request=request, actor=reviewer)
    assert _state() == before


def test_approved_or_returned_once_only(world, place, reviewer, review_on):
    request = _move_in(world, place).request
    change_approve(request=request, actor=reviewer)
    before = _state()
    with pytest.raises(RuleViolation, match="已通过"):
        change_approve(request=request, actor=reviewer)
    with pytest.raises(RuleViolation, match="已通过"):
        change_return(request=request, reason="重复", actor=reviewer)
    assert _state() == before


def test_each_kind_applies_by_its_service_when_approved(world, place, reviewer, review_on):
    rooms, newcomer, resident = place
    worker = world.users[Role.GRID_WORKER]
    household = household_create(room=rooms[0], head=resident, actor=reviewer)
    residence = resident.residences.get()
    requests = [change_submit(actor=worker, change=change).request for change in (
        MoveOut(residence=residence, reason="合同到期"),
        MemberAdd(household=household, person=newcomer, relation="spouse"),
        OrganisationAdd(grid=world.grid_a1, data=OrganisationInput(
            name="桃坞书画社", kind="community_group", address="桃坞路30号")),
        RoomUseSet(room=rooms[2], use="business", version=rooms[2].version),
    )]
    assert [r.kind for r in requests] == ["move_out", "household_member", "organisation",
                                          "room_use"]
    assert requests[0].note == "合同到期" and requests[0].payload == {
        "residence": residence.pk, "until": timezone.localdate().isoformat()}
    assert (residence.until, HouseholdMember.objects.filter(person=newcomer).exists(),
            Organisation.objects.filter(name="桃坞书画社").exists()) == (None, False, False)
    outcomes = changes_approve_bulk(requests=requests, actor=reviewer)
    assert [o.ok for o in outcomes] == [True, True, True, True]
    residence.refresh_from_db()
    assert (residence.until, residence.end_reason) == (timezone.localdate(), "合同到期")
    assert HouseholdMember.objects.get(person=newcomer, until__isnull=True).relation == "spouse"
    organisation = Organisation.objects.get(name="桃坞书画社")
    assert ChangeRequest.objects.get(kind="organisation").organisation == organisation
    assert Room.objects.get(pk=rooms[2].pk).use == RoomUse.BUSINESS
    assert Notice.objects.filter(kind="reg_approved").count() == 4


def test_one_refusal_in_a_bulk_approval_undoes_none_of_the_others(
        world, place, reviewer, review_on):
    rooms, newcomer, _resident = place
    worker = world.users[Role.GRID_WORKER]
    first = _move_in(world, place).request
    stale = change_submit(actor=worker, change=RoomUseSet(room=rooms[3], use="owner",
                                                          version=rooms[3].version)).request
    last = change_submit(actor=worker, change=RoomUseSet(room=rooms[2], use="vacant",
                                                         version=rooms[2].version)).request
    room_set_use(room=rooms[3], use="business", actor=reviewer)
    outcomes = changes_approve_bulk(requests=[first, stale, last], actor=reviewer)
    assert [(o.request_id, o.ok) for o in outcomes] == [
        (first.pk, True), (stale.pk, False), (last.pk, True)]
    assert "该房屋已被他人修改" in outcomes[1].message
    assert dict(ChangeRequest.objects.values_list("pk", "status")) == {
        first.pk: "approved", stale.pk: "pending", last.pk: "approved"}
    assert Residence.objects.filter(person=newcomer, room=rooms[1]).exists()
    assert Room.objects.get(pk=rooms[2].pk).use == "vacant"
    with pytest.raises(ValidationError):  # more than a bulk may hold
        changes_approve_bulk(requests=[first] * 101, actor=reviewer)


# --- returning and withdrawing ------------------------------------------------------------------

def test_returning_needs_a_reason_and_tells_the_requester(world, place, reviewer, review_on):
    request = _move_in(world, place).request
    before = _state()
    with pytest.raises(ValidationError, match="请填写理由"):
        change_return(request=request, reason="  ", actor=reviewer)
    with pytest.raises(ValidationError):
        change_return(request=request, reason="长" * 201, actor=reviewer)
    assert _state() == before
    change_return(request=request, reason="入住日期请核实", actor=reviewer)
    request.refresh_from_db()
    assert (request.status, request.reason, request.reviewer) == (
        "returned", "入住日期请核实", reviewer)
    assert not Residence.objects.filter(person=request.person, room=request.room).exists()
    notice = Notice.objects.get(kind="reg_returned")
    assert notice.message == f"您提交的登记变更 {request.pk}(入住)被退回:入住日期请核实"
    entry = AuditEntry.objects.get(event_type="registry.change_returned")
    assert entry.details["reason"] == "入住日期请核实"
    # Returned: it can be submitted again (the first is no longer pending).
    assert _move_in(world, place).queued


def test_only_the_requester_withdraws_and_only_while_pending(world, place, reviewer, review_on):
    request = _move_in(world, place).request
    before = _state()
    with pytest.raises(PermissionDenied):  # another grid's worker: as if missing
        change_withdraw(request=request, actor=world.outsider)
    with pytest.raises(RuleViolation, match="只有提交人"):
        change_withdraw(request=request, actor=reviewer)
    assert _state() == before
    change_withdraw(request=request, actor=world.users[Role.GRID_WORKER])
    request.refresh_from_db()
    assert (request.status, request.reviewer, request.reviewed_at is not None) == (
        "withdrawn", None, True)
    assert AuditEntry.objects.filter(event_type="registry.change_withdrawn").count() == 1
    before = _state()
    with pytest.raises(RuleViolation, match="已撤回"):
        change_approve(request=request, actor=reviewer)
    with pytest.raises(RuleViolation):
        change_withdraw(request=request, actor=world.users[Role.GRID_WORKER])
    assert _state() == before


def test_who_sees_which_requests(world, place, reviewer, review_on):
    request = _move_in(world, place).request
    other_worker = user_create(username="t_grid2", password=PASSWORD, roles=[Role.GRID_WORKER],
                               area_codes=[world.grid_a1.code], actor=None)
    seen = {user.username: list(ChangeRequest.objects.restrict(user, "view"))
            for user in (world.users[Role.GRID_WORKER], other_worker, reviewer,
                         world.users[Role.SUPERVISOR], world.users[Role.AUDITOR],
                         world.users[Role.HANDLER], world.users[Role.ADMINISTRATOR],
                         world.outsider)}
    assert seen == {"t_grid": [request], "t_grid2": [], "t_community": [request],
                    "t_supervisor": [request], "t_auditor": [request], "t_handler": [],
                    "t_admin": [], "t_outsider": []}


def test_retention_clears_what_was_typed_about_a_person(world, place, reviewer, review_on):
    rooms, _newcomer, _resident = place
    worker = world.users[Role.GRID_WORKER]
    today = timezone.localdate()
    elder = person_create(grid=world.grid_a1, actor=reviewer, room=rooms[3],
                          since=today - timedelta(days=1000),
                          data=PersonInput(name="孙桂兰", kind="registered"))
    request = change_submit(actor=worker, change=MoveOut(
        residence=elder.residences.get(), reason="因病离世")).request
    change_return(request=request, reason="请改为登记死亡", actor=reviewer)
    person_leave(person=elder, status=PersonStatus.DECEASED, reason="病故", actor=reviewer,
                 on=today - timedelta(days=800))
    retention_apply()
    request.refresh_from_db()
    assert (request.note, request.reason, request.status) == ("", "", "returned")

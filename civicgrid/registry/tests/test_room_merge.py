"""A room's use edited apart (an offline phone, `base_use` on an older version): merged when
the use was not changed since, kept as a conflict request for a reviewer when it was changed
to another value. Expectations written by hand."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from civicgrid.accounts.roles import Role
from civicgrid.audit.models import AuditEntry
from civicgrid.core.errors import RuleViolation
from civicgrid.registry.models import ChangeRequest, Room
from civicgrid.registry.services import (
    BuildingInput,
    RoomUseSet,
    building_create,
    change_approve,
    change_return,
    change_submit,
    room_set_use,
)


@pytest.fixture
def room(world):
    building = building_create(grid=world.grid_a1, actor=world.users[Role.GRID_WORKER],
                               data=BuildingInput(name="1幢", road="人民路", house_number="1",
                                                  floors_above=1, units=1, rooms_per_floor=1))
    return building.rooms.get()


def _state(room):
    return {"room": Room.objects.filter(pk=room.pk).values("use", "version").get(),
            "requests": list(ChangeRequest.objects.values("status", "conflict")),
            "audit": AuditEntry.objects.count()}


def test_a_stale_edit_of_a_use_nobody_changed_since_applies(world, room):
    worker, supervisor = world.users[Role.GRID_WORKER], world.users[Role.SUPERVISOR]
    room_set_use(room=room, use="owner", actor=supervisor)  # version 1 → 2
    room_set_use(room=room, use="owner", actor=supervisor, area_m2=None)  # → 3, same use
    # The phone saw version 2 with "owner" and records "rented".
    submitted = change_submit(actor=worker, change=RoomUseSet(
        room=room, use="rented", version=2, base_use="owner"))
    assert not submitted.queued
    assert Room.objects.filter(pk=room.pk).values_list("use", "version").get() == ("rented", 4)


def test_a_stale_edit_that_meets_the_same_value_applies(world, room):
    worker, supervisor = world.users[Role.GRID_WORKER], world.users[Role.SUPERVISOR]
    room_set_use(room=room, use="rented", actor=supervisor)  # unknown → rented, version 2
    submitted = change_submit(actor=worker, change=RoomUseSet(
        room=room, use="rented", version=1, base_use="unknown"))
    assert not submitted.queued
    assert Room.objects.get(pk=room.pk).use == "rented"


def test_a_stale_edit_of_a_use_changed_since_waits_as_a_conflict(world, room):
    worker, supervisor = world.users[Role.GRID_WORKER], world.users[Role.SUPERVISOR]
    room_set_use(room=room, use="vacant", actor=supervisor)  # unknown → vacant, version 2
    submitted = change_submit(actor=worker, change=RoomUseSet(
        room=room, use="business", version=1, base_use="unknown"))
    assert submitted.queued
    request = submitted.request
    assert (request.conflict, request.status, request.base_version, request.payload["use"]) == \
        (True, "pending", 2, "business")
    assert (request.before["use"], request.after["use"]) == ("vacant", "business")
    assert "空置" in request.note
    assert Room.objects.get(pk=room.pk).use == "vacant"  # the record keeps its value
    # The reviewer takes the offered value.
    change_approve(request=request, actor=supervisor)
    assert Room.objects.get(pk=room.pk).use == "business"


def test_returning_a_conflict_keeps_the_record_value(world, room):
    worker, supervisor = world.users[Role.GRID_WORKER], world.users[Role.SUPERVISOR]
    room_set_use(room=room, use="vacant", actor=supervisor)
    request = change_submit(actor=worker, change=RoomUseSet(
        room=room, use="business", version=1, base_use="unknown")).request
    change_return(request=request, reason="现场核实为空置", actor=supervisor)
    assert Room.objects.get(pk=room.pk).use == "vacant"


def test_without_the_use_seen_a_stale_edit_is_refused_and_changes_nothing(world, room):
    worker, supervisor = world.users[Role.GRID_WORKER], world.users[Role.SUPERVISOR]
    room_set_use(room=room, use="vacant", actor=supervisor)
    before = _state(room)
    with pytest.raises(RuleViolation):
        change_submit(actor=worker, change=RoomUseSet(room=room, use="business", version=1))
    with pytest.raises(PermissionDenied):  # an outsider's conflict: refused like their edit
        change_submit(actor=world.outsider, change=RoomUseSet(
            room=room, use="business", version=1, base_use="unknown"))
    assert _state(room) == before


def test_the_api_merges_or_answers_202_with_the_conflict(world, room):
    import json

    from django.test import Client

    supervisor = world.users[Role.SUPERVISOR]
    client = Client()
    client.force_login(world.users[Role.GRID_WORKER])
    url = f"/api/v1/registry/rooms/{room.pk}/use"
    room_set_use(room=room, use="vacant", actor=supervisor)  # version 2
    stale = client.post(url, json.dumps({"use": "business", "version": 1}),
                        content_type="application/json")
    assert stale.status_code == 409
    conflict = client.post(url, json.dumps({"use": "business", "version": 1,
                                            "base_use": "unknown"}),
                           content_type="application/json")
    assert conflict.status_code == 202, conflict.content
    assert conflict.json()["conflict"] is True and conflict.json()["status"] == "pending"
    assert Room.objects.get(pk=room.pk).use == "vacant"

"""The registry's places in the JSON API: scoped and paged lists, details, writes that honour
Idempotency-Key, errors in the API's one format. Expectations written by hand."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civicgrid.accounts.roles import Role
from civicgrid.api.services import api_token_create
from civicgrid.audit.models import AuditEntry
from civicgrid.registry.models import Building, Room, RoomUse
from civicgrid.registry.services import BuildingInput, building_create, room_set_use

pytestmark = pytest.mark.django_db

API = "/api/v1/registry"


def _building(world, name="7幢", grid=None, per_floor=2) -> Building:
    grid = grid or world.grid_a1
    actor = world.users[Role.GRID_WORKER] if grid == world.grid_a1 else \
        world.users[Role.SUPERVISOR] if grid.code.startswith(world.street_a.code) else \
        world.outsider
    return building_create(grid=grid, actor=actor, data=BuildingInput(
        name=name, road="人民路", house_number="8", floors_above=3, units=2,
        rooms_per_floor=per_floor))


@pytest.fixture
def worker(client, world):
    client.force_login(world.users[Role.GRID_WORKER])
    return client


def test_the_building_list_is_scoped_and_paged(client, world):
    a1 = [_building(world, f"{n}幢", per_floor=0).code for n in range(1, 4)]
    a2 = _building(world, "1幢", grid=world.grid_a2).code
    _building(world, "1幢", grid=world.grid_b1)  # street B: never listed for street A
    client.force_login(world.users[Role.SUPERVISOR])
    first = client.get(f"{API}/buildings?limit=3").json()
    assert [b["code"] for b in first["items"]] == a1
    assert first["next_cursor"]
    second = client.get(f"{API}/buildings?limit=3&cursor={first['next_cursor']}").json()
    assert [b["code"] for b in second["items"]] == [a2]
    assert second["next_cursor"] is None
    assert second["items"][0]["room_count"] == 12
    assert second["items"][0]["address"] == "城东街道人民路8号1幢"
    only_a2 = client.get(f"{API}/buildings?grid={world.grid_a2.code}").json()
    assert [b["code"] for b in only_a2["items"]] == [a2]
    client.force_login(world.users[Role.GRID_WORKER])  # grid A1 only
    mine = client.get(f"{API}/buildings").json()
    assert [b["code"] for b in mine["items"]] == a1


def test_the_building_list_runs_a_fixed_number_of_queries(worker, world):
    _building(world, "1幢")
    worker.get(f"{API}/buildings")
    with CaptureQueriesContext(connection) as one:
        worker.get(f"{API}/buildings")
    for n in range(2, 6):
        _building(world, f"{n}幢")
    with CaptureQueriesContext(connection) as five:
        assert len(worker.get(f"{API}/buildings").json()["items"]) == 5
    assert len(one) == len(five)


def test_a_damaged_cursor_is_refused(worker, world):
    response = worker.get(f"{API}/buildings?cursor=nonsense")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


def test_building_detail_with_its_counts(worker, world):
    building = _building(world)
    rooms = {(r.unit, r.number): r for r in building.rooms.all()}
    room_set_use(room=rooms[1, "101"], use=RoomUse.VACANT, actor=world.users[Role.GRID_WORKER])
    room_set_use(room=rooms[1, "102"], use=RoomUse.OWNER, actor=world.users[Role.GRID_WORKER])
    body = worker.get(f"{API}/buildings/{building.code}").json()
    assert body["code"] == building.code and body["room_count"] == 12
    assert body["rooms_by_use"] == {"unknown": 10, "owner": 1, "rented": 0, "vacant": 1,
                                    "business": 0, "other": 0}
    assert body["vacancy_rate"] == 0.5


def test_out_of_scope_answers_like_missing(client, world):
    building = _building(world, grid=world.grid_b1)
    room = building.rooms.first()
    client.force_login(world.users[Role.GRID_WORKER])
    not_found = {"code": "not_found", "message": "Not found.", "details": None}
    for url in (f"{API}/buildings/{building.code}", f"{API}/buildings/{building.code}/rooms",
                f"{API}/rooms/{room.pk}", f"{API}/buildings/32060200100100199999",
                f"{API}/rooms/999999"):
        response = client.get(url)
        assert (response.status_code, response.json()) == (404, not_found), url
    response = client.post(f"{API}/rooms/{room.pk}/use", {"use": "vacant", "version": 1},
                           content_type="application/json")
    assert (response.status_code, response.json()) == (404, not_found)
    room.refresh_from_db()
    assert (room.use, room.version) == (RoomUse.UNKNOWN, 1)


def test_rooms_of_a_building_paged(worker, world):
    building = _building(world)
    first = worker.get(f"{API}/buildings/{building.code}/rooms?limit=5").json()
    assert [(r["unit"], r["floor"], r["number"]) for r in first["items"]] == [
        (1, 1, "101"), (1, 1, "102"), (1, 2, "201"), (1, 2, "202"), (1, 3, "301")]
    rest = worker.get(f"{API}/buildings/{building.code}/rooms?limit=20"
                      f"&cursor={first['next_cursor']}").json()
    assert len(rest["items"]) == 7 and rest["next_cursor"] is None
    assert rest["items"][-1] | {"id": 0} == {
        "id": 0, "building_code": building.code, "unit": 2, "floor": 3, "number": "302",
        "address": "城东街道人民路8号7幢2单元302室", "area_m2": None, "use": "unknown",
        "verified_at": None, "version": 1}


def test_setting_a_room_use(worker, world):
    room = _building(world).rooms.get(unit=1, number="201")
    response = worker.post(f"{API}/rooms/{room.pk}/use",
                           {"use": "rented", "version": 1, "area_m2": "72.5"},
                           content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert (body["use"], body["version"], body["area_m2"]) == ("rented", 2, 72.5)
    assert body["verified_at"] is not None
    room.refresh_from_db()
    assert (room.use, room.version) == (RoomUse.RENTED, 2)
    assert worker.get(f"{API}/rooms/{room.pk}").json() == body


def test_a_stale_version_is_refused_and_changes_nothing(worker, world):
    room = _building(world).rooms.get(unit=1, number="201")
    room_set_use(room=room, use=RoomUse.OWNER, actor=world.users[Role.SUPERVISOR])
    before = AuditEntry.objects.count()
    response = worker.post(f"{API}/rooms/{room.pk}/use", {"use": "vacant", "version": 1},
                           content_type="application/json")
    assert response.status_code == 409
    assert response.json() == {"code": "rule_violation",
                               "message": "该房屋已被他人修改,请刷新后重试。",
                               "details": {"version": ["该房屋已被他人修改,请刷新后重试。"]}}
    room.refresh_from_db()
    assert (room.use, room.version) == (RoomUse.OWNER, 2)
    assert AuditEntry.objects.count() == before


def test_the_version_is_required(worker, world):
    room = _building(world).rooms.first()
    response = worker.post(f"{API}/rooms/{room.pk}/use", {"use": "vacant"},
                           content_type="application/json")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    room.refresh_from_db()
    assert room.version == 1


def test_the_room_use_honours_idempotency_key(worker, world):
    room = _building(world).rooms.get(unit=2, number="302")
    before = AuditEntry.objects.count()
    send = {"use": "business", "version": 1}
    first = worker.post(f"{API}/rooms/{room.pk}/use", send, content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="walk-42")
    again = worker.post(f"{API}/rooms/{room.pk}/use", send, content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="walk-42")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    room.refresh_from_db()
    assert (room.use, room.version) == (RoomUse.BUSINESS, 2)  # one change, not two
    assert AuditEntry.objects.count() == before + 1
    other = worker.post(f"{API}/rooms/{room.pk}/use", {"use": "other", "version": 2},
                        content_type="application/json", HTTP_IDEMPOTENCY_KEY="walk-42")
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")


def test_registering_a_building_honours_idempotency_key(worker, world):
    send = {"grid": world.grid_a1.code, "name": "3幢", "road": "人民路", "house_number": "88",
            "floors_above": 6, "units": 2, "rooms_per_floor": 2}
    first = worker.post(f"{API}/buildings", send, content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="reg-1")
    again = worker.post(f"{API}/buildings", send, content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="reg-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content
    body = first.json()
    assert (body["code"], body["address"], body["room_count"]) == (
        "32060200100100100001", "城东街道人民路88号3幢", 24)
    assert Building.objects.count() == 1 and Room.objects.count() == 24


def test_registration_refusals(worker, world):
    outside = worker.post(f"{API}/buildings", {"grid": world.grid_b1.code, "name": "1幢"},
                          content_type="application/json")
    assert (outside.status_code, outside.json()["details"]) == (
        400, {"grid": ["Unknown grid code."]})
    too_high = worker.post(f"{API}/buildings", {"grid": world.grid_a1.code, "name": "1幢",
                                                "floors_above": 201},
                           content_type="application/json")
    assert too_high.status_code == 400
    assert too_high.json()["details"] == {"floors_above": ["地上层数应在1至200之间。"]}
    assert not Building.objects.exists()


def test_verify_building(worker, world):
    building = _building(world)
    response = worker.post(f"{API}/buildings/{building.code}/verify",
                           content_type="application/json")
    assert response.status_code == 200
    assert response.json()["verified_at"] is not None
    assert response.json()["room_count"] == 12


def test_a_token_has_no_registry_action_yet(client, world):
    """A token issued for case intake acts as a grid worker; it must not reach the registry."""
    _token, plain = api_token_create(name="intake", unit=world.unit_a,
                                     actions=["cases:create"], actor=None)
    response = client.get(f"{API}/buildings", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")

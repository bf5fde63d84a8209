"""The registry's pages: my grid, a grid, a building's layout table, a room and its quick
actions, registering a building. Expectations written by hand."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civicgrid.accounts.roles import Role
from civicgrid.audit.models import AuditEntry
from civicgrid.registry.models import Building, Room, RoomUse
from civicgrid.registry.services import BuildingInput, building_create, room_set_use

pytestmark = pytest.mark.django_db


def _building(world, name="7幢", grid=None, floors=3, units=2, per_floor=2) -> Building:
    grid = grid or world.grid_a1
    actor = world.users[Role.GRID_WORKER] if grid == world.grid_a1 else \
        world.users[Role.SUPERVISOR] if grid.code.startswith(world.street_a.code) else \
        world.outsider
    return building_create(grid=grid, actor=actor, data=BuildingInput(
        name=name, road="人民路", house_number="8", floors_above=floors, units=units,
        rooms_per_floor=per_floor))


def _room(building: Building, unit: int, number: str) -> Room:
    return building.rooms.get(unit=unit, number=number)


@pytest.fixture
def worker_client(client, world):
    client.force_login(world.users[Role.GRID_WORKER])
    return client


# --- my grid and the grid page ------------------------------------------------------------

def test_my_grid_lists_a_grid_workers_buildings_with_their_rooms(worker_client, world):
    seven = _building(world, "7幢")
    eight = _building(world, "8幢", floors=2, units=1, per_floor=0)
    _building(world, "1幢", grid=world.grid_a2)  # a grid of the street, not the worker's
    response = worker_client.get(reverse("registry:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="grid-section"') == 1
    assert f'data-grid="{world.grid_a1.code}"' in html
    rows = re.findall(r'data-building="(\d+)"', html)
    assert rows == [seven.code, eight.code]
    counts = re.findall(r'data-testid="room-count">([^<]+)<', html)
    assert counts == ["12间房屋", "0间房屋"]
    assert "城东街道人民路8号7幢" in html
    assert reverse("registry:building_new", args=[world.grid_a1.code]) in html


def test_my_grid_for_street_staff_lists_the_grids_of_the_subtree(client, world):
    _building(world, "7幢")
    _building(world, "1幢", grid=world.grid_a2, per_floor=1, units=1, floors=2)
    _building(world, "9幢", grid=world.grid_b1)  # street B: not listed
    client.force_login(world.users[Role.HANDLER])
    response = client.get(reverse("registry:home"))
    html = response.content.decode()
    assert re.findall(r'data-grid="(\d+)"', html) == [world.grid_a1.code, world.grid_a2.code]
    assert "1栋" in html and "12间房屋" in html and "2间房屋" in html
    assert 'data-testid="grid-section"' not in html


def test_grid_list_runs_a_fixed_number_of_queries(client, world):
    client.force_login(world.users[Role.SUPERVISOR])
    client.get(reverse("registry:home"))  # (sessions, caches warmed)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("registry:home"))
    for grid in (world.grid_a1, world.grid_a2):
        for n in range(3):
            _building(world, f"{n}幢", grid=grid)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("registry:home"))
    assert response.status_code == 200
    assert len(many) == len(few)


def test_grid_page_pages_its_buildings_by_keyset(worker_client, world, monkeypatch):
    from civicgrid.registry import views

    monkeypatch.setattr(views, "BUILDINGS_PER_PAGE", 2)
    codes = [_building(world, f"{n}幢", per_floor=0).code for n in range(1, 6)]
    url = reverse("registry:grid", args=[world.grid_a1.code])
    with CaptureQueriesContext(connection) as first_page:
        first = worker_client.get(url)
    html = first.content.decode()
    assert re.findall(r'data-building="(\d+)"', html) == codes[:2]
    cursor = re.search(r'\?cursor=([\w-]+)', html).group(1)
    second = worker_client.get(url + f"?cursor={cursor}", HTTP_HX_REQUEST="true")
    assert re.findall(r'data-building="(\d+)"', second.content.decode()) == codes[2:4]
    assert "<html" not in second.content.decode()  # htmx gets the rows only
    assert 'data-testid="building-new"' in html  # grid workers register buildings
    assert len(first_page) < 12


def test_grid_page_without_the_add_permission_has_no_register_button(client, world):
    client.force_login(world.users[Role.HANDLER])
    response = client.get(reverse("registry:grid", args=[world.grid_a1.code]))
    assert response.status_code == 200
    assert 'data-testid="building-new"' not in response.content.decode()


def test_a_community_given_as_a_grid_leads_to_its_grids(client, world):
    client.force_login(world.users[Role.SUPERVISOR])
    response = client.get(reverse("registry:grid", args=[world.community_a.code]))
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:home") + f"?area={world.community_a.code}"


@pytest.mark.parametrize("name", ["registry:grid", "registry:building_new"])
def test_out_of_scope_grid_is_404(worker_client, world, name):
    assert worker_client.get(reverse(name, args=[world.grid_a2.code])).status_code == 404
    assert worker_client.get(reverse(name, args=[world.grid_b1.code])).status_code == 404
    assert worker_client.get(reverse(name, args=["320602001001999"])).status_code == 404


def test_my_grid_narrowed_to_an_area_out_of_scope_is_404(worker_client, world):
    response = worker_client.get(reverse("registry:home") + f"?area={world.street_b.code}")
    assert response.status_code == 404


# --- the building's layout table ---------------------------------------------------------

def test_building_page_draws_the_layout_table_from_the_top_floor(worker_client, world):
    building = _building(world)
    worker = world.users[Role.GRID_WORKER]
    room_set_use(room=_room(building, 1, "301"), use=RoomUse.VACANT, actor=worker)
    room_set_use(room=_room(building, 2, "101"), use=RoomUse.RENTED, actor=worker)
    room_set_use(room=_room(building, 2, "102"), use=RoomUse.OWNER, actor=worker)
    response = worker_client.get(reverse("registry:building", args=[building.code]))
    assert response.status_code == 200
    html = response.content.decode()
    floors = re.findall(r'<th scope="row" class="cg-floor">([^<]+)</th>', html)
    assert floors == ["3层", "2层", "1层"]
    cells = re.findall(r'data-room="(\w+)" data-use="(\w+)"', html)
    assert cells == [("301", "vacant"), ("302", "unknown"), ("301", "unknown"),
                     ("302", "unknown"),
                     ("201", "unknown"), ("202", "unknown"), ("201", "unknown"),
                     ("202", "unknown"),
                     ("101", "unknown"), ("102", "unknown"), ("101", "rented"),
                     ("102", "owner")]
    assert ">1单元<" in html and ">2单元<" in html
    # every cell says its use in words, not only in colour
    assert html.count('<span class="cg-room-use">待核实</span>') == 9
    assert html.count('<span class="cg-room-use">空置</span>') == 1
    assert re.search(r'data-testid="room-total">12<', html)
    assert re.search(r'data-testid="vacancy-rate">33.3%<', html)  # 1 vacant of 3 known
    legend = dict(re.findall(r'<li data-use="(\w+)">.*?<strong>(\d+)</strong>', html))
    assert legend == {"unknown": "9", "owner": "1", "rented": "1", "vacant": "1",
                      "business": "0", "other": "0"}
    assert 'data-testid="verify-building"' in html


def test_building_page_runs_a_fixed_number_of_queries(worker_client, world):
    small = _building(world, "1幢", floors=1, units=1, per_floor=1)
    large = _building(world, "2幢", floors=10, units=3, per_floor=4)
    worker_client.get(reverse("registry:building", args=[small.code]))
    with CaptureQueriesContext(connection) as one_room:
        worker_client.get(reverse("registry:building", args=[small.code]))
    with CaptureQueriesContext(connection) as many_rooms:
        worker_client.get(reverse("registry:building", args=[large.code]))
    assert len(one_room) == len(many_rooms)


@pytest.mark.parametrize("who", ["outsider", "leader"])
def test_building_and_room_out_of_scope_are_404_or_refused(client, world, who):
    building = _building(world)
    room = _room(building, 1, "101")
    if who == "outsider":
        client.force_login(world.outsider)
        expected = 404
    else:
        client.force_login(world.users[Role.LEADER])  # no registry permission: 403
        expected = 403
    assert client.get(reverse("registry:building", args=[building.code])).status_code == \
        expected
    assert client.get(reverse("registry:room", args=[room.pk])).status_code == expected
    response = client.post(reverse("registry:room_use", args=[room.pk]),
                           {"use": RoomUse.RENTED, "version": 1})
    assert response.status_code == expected
    response = client.post(reverse("registry:building_verify", args=[building.code]))
    assert response.status_code == expected
    room.refresh_from_db()
    building.refresh_from_db()
    assert (room.use, room.version, building.verified_at) == (RoomUse.UNKNOWN, 1, None)


def test_verified_today(worker_client, world):
    building = _building(world)
    before = AuditEntry.objects.count()
    response = worker_client.post(reverse("registry:building_verify", args=[building.code]))
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:building", args=[building.code])
    building.refresh_from_db()
    assert building.verified_at is not None
    assert AuditEntry.objects.count() == before + 1
    assert AuditEntry.objects.order_by("-id").first().event_type == \
        "registry.building_verified"


# --- the room ----------------------------------------------------------------------------

def test_room_page_shows_the_room_and_its_quick_actions(worker_client, world):
    room = _room(_building(world), 2, "302")
    response = worker_client.get(reverse("registry:room", args=[room.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "城东街道人民路8号7幢2单元302室" in html
    assert 'data-testid="mark-vacant"' in html
    assert 'name="version" value="1"' in html
    assert re.findall(r'name="use" value="(\w+)"', html) == [
        "vacant", "owner", "rented", "vacant", "business", "other"]  # one-tap, then the form


def test_room_page_for_readers_has_no_quick_actions(client, world):
    room = _room(_building(world), 1, "101")
    client.force_login(world.users[Role.HANDLER])
    html = client.get(reverse("registry:room", args=[room.pk])).content.decode()
    assert "城东街道人民路8号7幢1单元101室" in html
    assert 'data-testid="mark-vacant"' not in html and 'data-testid="room-use-form"' not in html


def test_setting_the_use_changes_the_room_and_writes_the_audit_entry(worker_client, world):
    building = _building(world)
    room = _room(building, 1, "201")
    before = AuditEntry.objects.count()
    response = worker_client.post(reverse("registry:room_use", args=[room.pk]),
                                  {"use": RoomUse.RENTED, "area_m2": "86.5", "version": "1"})
    assert response.status_code == 302
    assert response["Location"] == \
        reverse("registry:building", args=[building.code]) + f"#room-{room.pk}"
    room.refresh_from_db()
    assert (room.use, room.area_m2, room.version) == (RoomUse.RENTED, Decimal("86.50"), 2)
    assert room.verified_at is not None
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry.event_type == "registry.room_use_set"
    assert entry.subject_id == str(room.pk)
    assert entry.details == {"from": "unknown", "to": "rented"}
    page = worker_client.get(response["Location"]).content.decode()
    assert "已记录 201 的用途:出租。" in page


def test_a_stale_version_is_refused_and_changes_nothing(worker_client, world):
    room = _room(_building(world), 1, "101")
    room_set_use(room=room, use=RoomUse.OWNER, actor=world.users[Role.SUPERVISOR])  # v2
    before = AuditEntry.objects.count()
    response = worker_client.post(reverse("registry:room_use", args=[room.pk]),
                                  {"use": RoomUse.BUSINESS, "area_m2": "40", "version": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "该房屋已被他人修改,请刷新后重试。" in html
    assert 'data-testid="stale"' in html
    # the person's values are kept; the version is now the room's, for a deliberate retry
    assert re.search(r'value="business"[^>]*checked', html)
    assert 'name="area_m2" value="40"' in html
    assert 'name="version" value="2"' in html
    room.refresh_from_db()
    assert (room.use, room.area_m2, room.version) == (RoomUse.OWNER, None, 2)
    assert AuditEntry.objects.count() == before


def test_a_refused_value_is_shown_and_nothing_is_lost(worker_client, world):
    room = _room(_building(world), 1, "101")
    response = worker_client.post(reverse("registry:room_use", args=[room.pk]),
                                  {"use": RoomUse.OTHER, "area_m2": "0", "version": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-error-for="area_m2"' in html
    assert re.search(r'value="other"[^>]*checked', html)
    room.refresh_from_db()
    assert (room.use, room.version) == (RoomUse.UNKNOWN, 1)


def test_vacant_in_one_tap(worker_client, world):
    room = _room(_building(world), 2, "202")
    response = worker_client.post(reverse("registry:room_use", args=[room.pk]),
                                  {"use": RoomUse.VACANT, "version": "1"})
    assert response.status_code == 302
    room.refresh_from_db()
    assert (room.use, room.version) == (RoomUse.VACANT, 2)


# --- registering a building --------------------------------------------------------------

def test_registering_a_building_through_the_form(worker_client, world):
    url = reverse("registry:building_new", args=[world.grid_a1.code])
    assert worker_client.get(url).status_code == 200
    before = AuditEntry.objects.count()
    response = worker_client.post(url, {
        "name": "12幢", "road": "青年路", "house_number": "5", "use": "residential",
        "floors_above": "6", "floors_below": "1", "units": "2", "rooms_per_floor": "2",
        "built_year": "2001", "lng": "", "lat": ""})
    building = Building.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:building", args=[building.code])
    assert (building.code, building.address, building.floors_above, building.floors_below,
            building.units, building.built_year) == (
        "32060200100100100001", "城东街道青年路5号12幢", 6, 1, 2, 2001)
    assert building.rooms.count() == 2 * 6 * 2
    assert AuditEntry.objects.count() == before + 1


def test_registration_refusals_land_on_their_fields(worker_client, world):
    url = reverse("registry:building_new", args=[world.grid_a1.code])
    response = worker_client.post(url, {
        "name": "12幢", "road": "青年路", "use": "residential", "floors_above": "201",
        "floors_below": "0", "units": "1", "rooms_per_floor": "", "lng": "121.50",
        "lat": "31.20"})
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'data-error-for="floors_above">地上层数应在1至200之间。<', html)
    assert 'value="青年路"' in html and 'value="201"' in html  # nothing lost
    assert not Building.objects.exists()
    # a point outside the grid (a rule of the service, RuleViolation) on the point's field
    response = worker_client.post(url, {
        "name": "12幢", "use": "residential", "floors_above": "3", "floors_below": "0",
        "units": "1", "lng": "121.50", "lat": "31.20"})
    assert response.status_code == 200
    assert re.search(r'data-error-for="lng">该位置不在所选网格内。<', response.content.decode())
    assert not Building.objects.exists()


def test_registration_is_for_workers_and_supervisors_only(client, world):
    client.force_login(world.users[Role.HANDLER])
    url = reverse("registry:building_new", args=[world.grid_a1.code])
    assert client.post(url, {"name": "1幢", "use": "residential", "floors_above": "1",
                             "floors_below": "0", "units": "1"}).status_code == 403
    assert not Building.objects.exists()


def test_the_navigation_links_the_registry_for_its_readers(client, world):
    for role, shown in [(Role.GRID_WORKER, True), (Role.HANDLER, True), (Role.LEADER, False),
                        (Role.ADMINISTRATOR, False)]:
        client.force_login(world.users[role])
        html = client.get(reverse("core:home")).content.decode()
        assert ('data-testid="nav-registry"' in html) is shown, role
        assert ('data-testid="home-registry"' in html) is shown, role
    # readers' headers are full at laptop widths: their entry shows on phones and ≥ 1400 px
    client.force_login(world.users[Role.AUDITOR])
    html = client.get(reverse("core:home")).content.decode()
    assert '<li class="nav-item d-md-none d-xxl-block"><a class="nav-link" href="/registry/"' \
        in html

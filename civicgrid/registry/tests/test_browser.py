"""A grid worker walks the registry on a phone (390 × 844) and at a desk (1280 × 800): my
grid, a building's layout table, a room, recording a room's use; issue 15's acceptance walk
on a phone (登记入住, one-tap 空置, the intake's pick of a registered resident as a party);
the person page, the people search and a grid's figures. Fails on any console
error, CSP violation or HTTP error, and on a page that scrolls sideways (the layout table
scrolls inside its own box only); screenshots each step into /work/tmp/shots/ (or
$REGISTRY_SHOTS) to be looked at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from civicgrid.accounts.roles import Role
from civicgrid.cases.models import Case, Category
from civicgrid.cases.tests.conftest import sla
from civicgrid.core.tests.test_browser import open_page, shot, sign_in
from civicgrid.registry.models import PersonKind, Rental, Residence, Room, RoomUse
from civicgrid.registry.services import (
    BuildingInput,
    PersonInput,
    building_create,
    person_create,
    room_set_use,
)
from civicgrid.units.models import Specialty

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
PAGE_WIDTH = "() => document.documentElement.scrollWidth"


@pytest.fixture
def shots() -> Path:
    path = Path(os.environ.get("REGISTRY_SHOTS", "/work/tmp/shots"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _street(world):
    worker = world.users[Role.GRID_WORKER]
    tower = building_create(grid=world.grid_a1, actor=worker, data=BuildingInput(
        name="桃坞新村18幢", road="桃坞路", house_number="128", floors_above=18,
        floors_below=1, units=3, rooms_per_floor=4, built_year=2006))
    building_create(grid=world.grid_a1, actor=worker, data=BuildingInput(
        name="桃坞新村19幢", road="桃坞路", house_number="130", floors_above=6, units=2,
        rooms_per_floor=2, built_year=1995))
    building_create(grid=world.grid_a1, actor=worker, data=BuildingInput(
        name="沿街商铺", road="桃坞路", house_number="132", use="commercial", floors_above=2))
    uses = [RoomUse.OWNER, RoomUse.RENTED, RoomUse.VACANT, RoomUse.BUSINESS, RoomUse.OTHER,
            RoomUse.OWNER, RoomUse.OWNER]
    for n, room in enumerate(tower.rooms.order_by("unit", "floor", "number")):
        if n % 3 != 2:  # a third still to be seen
            room_set_use(room=room, use=uses[n % len(uses)], actor=worker)
    return tower


@pytest.mark.parametrize(("size", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_grid_worker_walks_the_registry(transactional_db, live_server, world, browser, shots,
                                        size, viewport):
    base = live_server.url
    tower = _street(world)
    room = tower.rooms.get(unit=2, number="1502")
    phone = size == "phone"
    options = {"viewport": viewport, **({"is_mobile": True, "has_touch": True} if phone else {})}
    with open_page(browser, **options) as (_c, page, watch):
        sign_in(page, watch, base, world.users[Role.GRID_WORKER].username)
        page.goto(f"{base}/registry/")
        assert page.locator("[data-building]").count() == 3
        assert page.evaluate(PAGE_WIDTH) <= viewport["width"], "my grid scrolls sideways"
        shot(page, shots, f"registry-1-my-grid-{size}.png")
        watch.assert_clean("my grid")

        page.locator(f'[data-building="{tower.code}"]').click()
        page.wait_for_selector('[data-testid="layout-table"]')
        assert page.evaluate(PAGE_WIDTH) <= viewport["width"], "the page scrolls sideways"
        box = page.locator(".cg-layout-scroll")
        if phone:  # the table scrolls inside its box, the floor column stays in view
            assert box.evaluate("e => e.scrollWidth > e.clientWidth")
            box.evaluate("e => { e.scrollLeft = 400; }")
            floor = page.locator("tbody .cg-floor").first.bounding_box()
            assert floor is not None and floor["x"] < 40
        shot(page, shots, f"registry-2-building-{size}.png")
        page.screenshot(path=str(shots / f"registry-2b-building-top-{size}.png"))
        watch.assert_clean("building")

        page.goto(f"{base}/registry/rooms/{room.pk}/")
        assert page.evaluate(PAGE_WIDTH) <= viewport["width"], "the room page scrolls sideways"
        shot(page, shots, f"registry-3-room-{size}.png")
        page.locator("label[for=id_use_1]").click()  # 出租
        page.fill("#id_area_m2", "89.5")
        with page.expect_navigation():
            page.locator('[data-testid="save-use"]').click()
        assert "已记录 1502 的用途:出租。" in page.locator(".alert-success").inner_text()
        watch.assert_clean("set the use")
        shot(page, shots, f"registry-4-after-set-use-{size}.png")
    saved = Room.objects.get(pk=room.pk)
    assert (saved.use, str(saved.area_m2)) == (RoomUse.RENTED, "89.50")


# --- issue 15's acceptance walk: a grid worker on a phone -----------------------------------

RESIDENT_ID = "11010519491231002X"
RESIDENT_PHONE = "13912340001"
WALK = {"viewport": PHONE, "is_mobile": True, "has_touch": True}


def _resident_street(world):
    """Grid A1 with one building whose rooms are still to be seen, one resident registered
    into 101 with a citizen ID and a phone, and a dispute category to register a case in."""
    worker = world.users[Role.GRID_WORKER]
    building = building_create(grid=world.grid_a1, actor=worker, data=BuildingInput(
        name="桃坞新村18幢", road="桃坞路", house_number="128", floors_above=6, units=2,
        rooms_per_floor=2, built_year=2006))
    home = building.rooms.get(unit=1, number="101")
    resident = person_create(grid=world.grid_a1, actor=worker, room=home, data=PersonInput(
        name="周建国", kind=PersonKind.REGISTERED, id_number=RESIDENT_ID,
        phone=RESIDENT_PHONE, occupation="退休"))
    dispute = Category.objects.create(code="91", name="矛盾纠纷(测试)", kind="dispute",
                                      default_level="community", sla=sla())
    neighbour = Category.objects.create(
        code="9102", name="邻里纠纷", parent=dispute, kind="dispute",
        default_level="community", sla=sla(),
        specialty=Specialty.objects.get(code="neighbourhood"))
    return building, resident, neighbour


def _no_sideways_scroll(page, step: str) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate(PAGE_WIDTH) <= width + 1, f"{step}: the page scrolls sideways"


def test_grid_worker_acceptance_walk_on_a_phone(transactional_db, live_server, world, browser,
                                                shots):
    """Issue 15: my grid → the layout table; a room → 登记入住 → the new resident listed;
    another room → 空置; the intake picks the registered resident as the applicant, whose ID
    reaches the case without ever being on the page."""
    base = live_server.url
    building, resident, neighbour = _resident_street(world)
    newcomer_room = building.rooms.get(unit=1, number="302")
    empty_room = building.rooms.get(unit=2, number="502")
    clear = (RESIDENT_ID, RESIDENT_PHONE)
    seen: list[str] = []  # the intake's pages and the pick's answer, as the browser got them

    with open_page(browser, **WALK) as (_c, page, watch):
        sign_in(page, watch, base, world.users[Role.GRID_WORKER].username)

        # 1. My grid → the building's layout table (楼盘表).
        page.goto(f"{base}/registry/")
        assert page.locator(f'[data-building="{building.code}"]').count() == 1
        _no_sideways_scroll(page, "my grid")
        shot(page, shots, "registry-walk-01-my-grid-390.png")
        page.locator(f'[data-building="{building.code}"]').tap()
        table = page.locator('[data-testid="layout-table"]')
        table.wait_for()
        assert table.locator("a.cg-room").count() == 24  # 6 floors × 2 units × 2 rooms
        assert table.locator(f"#room-{newcomer_room.pk}").is_visible()
        _no_sideways_scroll(page, "layout table")
        shot(page, shots, "registry-walk-02-layout-table-390.png")
        watch.assert_clean("my grid and the layout table")

        # 2. A room → 登记入住 → the new person form → back on the room, listed.
        with page.expect_navigation():
            table.locator(f"#room-{newcomer_room.pk}").tap()
        assert page.url == f"{base}/registry/rooms/{newcomer_room.pk}/"
        _no_sideways_scroll(page, "room page")
        shot(page, shots, "registry-walk-03-room-390.png")
        with page.expect_navigation():
            page.locator('[data-testid="move-in"]').tap()
        form = page.locator('[data-testid="person-form"]')
        form.locator("#id_name").fill("钱小梅")
        form.locator("label", has_text="流动人口").tap()
        form.locator("#id_phone").fill("13700002222")
        _no_sideways_scroll(page, "new person form")
        shot(page, shots, "registry-walk-04-move-in-form-390.png")
        with page.expect_navigation():
            form.locator('[data-testid="save-person"]').tap()
        assert page.url == f"{base}/registry/rooms/{newcomer_room.pk}/"
        assert "已登记 钱小梅。" in page.locator(".alert-success").inner_text()
        assert "钱小梅" in page.locator('[data-testid="residents"]').inner_text()
        _no_sideways_scroll(page, "room page with the newcomer")
        shot(page, shots, "registry-walk-05-moved-in-390.png")
        watch.assert_clean("move in")
        newcomer = Residence.objects.select_related("person").get(room=newcomer_room)
        assert (newcomer.person.name, newcomer.person.kind, newcomer.until) == (
            "钱小梅", PersonKind.FLOATING, None)

        # 2b. The same room is let: 登记出租 with the resident of 1-101 picked as the lessor.
        page.locator("summary", has_text="登记出租").tap()
        rental = page.locator('[data-testid="rental-form"]')
        picker = rental.locator("[data-picker]").first
        picker.locator("[data-picker-query]").fill(resident.name)
        picker.locator("[data-picker-search]").tap()
        picker.locator(f'[data-pick-choice][data-id="{resident.pk}"]').tap()
        assert picker.locator("[data-picker-chosen-text]").inner_text() == resident.name
        rental.locator("#id_occupant_limit").fill("3")
        _no_sideways_scroll(page, "rental form")
        shot(page, shots, "registry-walk-05b-rental-form-390.png")
        with page.expect_navigation():
            rental.locator('[data-testid="save-rental"]').tap()
        assert page.locator('[data-testid="occupant-limit"]').inner_text() == "3"
        watch.assert_clean("rental")
        let = Rental.objects.get(room=newcomer_room)
        assert (let.lessor_person_id, let.occupant_limit, let.active) == (resident.pk, 3, True)

        # 3. Another room → the one-tap 空置.
        page.goto(f"{base}/registry/buildings/{building.code}/")
        with page.expect_navigation():
            page.locator(f"#room-{empty_room.pk}").tap()
        shot(page, shots, "registry-walk-06-other-room-390.png")
        with page.expect_navigation():
            page.locator('[data-testid="mark-vacant"]').tap()
        assert "空置" in page.locator(".alert-success").inner_text()
        assert page.locator(f"#room-{empty_room.pk}").get_attribute("data-use") == "vacant"
        _no_sideways_scroll(page, "layout table after 空置")
        shot(page, shots, "registry-walk-07-vacant-390.png")
        watch.assert_clean("mark vacant")
        assert Room.objects.get(pk=empty_room.pk).use == RoomUse.VACANT

        # 4. The intake: the applicant picked from the register.
        page.goto(f"{base}/cases/new/")
        page.locator("#intake-map.cg-map-ready").wait_for()
        seen.append(page.content())
        page.locator("#id_category_group").select_option(neighbour.code[:2])
        page.locator("#id_category").select_option(str(neighbour.pk))
        page.locator("#id_description").fill("楼上住户深夜装修噪音扰民,多次协商无果")
        page.locator("#intake-map").tap()
        page.wait_for_function("document.getElementById('id_lng').value !== ''")
        assert world.grid_a1.name in page.locator("[data-location-status]").inner_text()
        page.locator('[data-testid="more"] > summary').tap()
        row = page.locator("[data-party-row]").first
        row.locator("[data-pick-query]").fill("周建国")
        with page.expect_response(lambda r: "/registry/people/pick/" in r.url) as answer:
            row.locator("[data-pick-search]").tap()
        seen.append(answer.value.text())
        pick = row.locator("[data-pick-person]")
        pick.wait_for()
        assert pick.count() == 1
        assert row.locator("[data-pick-search]").is_enabled()
        assert resident.id_number_masked in pick.inner_text()
        _no_sideways_scroll(page, "pick results")
        row.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "registry-walk-08-pick-results-390.png"))
        pick.tap()
        chosen = row.locator("[data-pick-chosen]")
        assert chosen.is_visible() and "周建国" in chosen.inner_text()
        assert row.locator('[name$="-name"]').input_value() == "周建国"
        assert row.locator('[name$="-registry_person"]').input_value() == str(resident.pk)
        assert row.locator('[name$="-id_number"]').input_value() == ""
        assert row.locator("[data-pick-person]").count() == 0
        seen.append(page.content())
        _no_sideways_scroll(page, "party picked")
        page.screenshot(path=str(shots / "registry-walk-09-picked-390.png"))
        watch.assert_clean("pick from the registry")
        with page.expect_navigation():
            page.locator('[data-testid="submit-case"]').tap()
        case = Case.objects.get()
        assert page.url == f"{base}/cases/{case.number}/"
        assert "事件已登记" in page.locator(".alert-success").inner_text()
        seen.append(page.content())
        _no_sideways_scroll(page, "case page")
        shot(page, shots, "registry-walk-10-case-390.png")
        watch.assert_clean("case registered")

    applicant = case.parties.get(role="applicant")
    resident.refresh_from_db()
    assert (applicant.name, applicant.id_number_hash) == ("周建国", resident.id_number_hash)
    assert applicant.id_number_masked == resident.id_number_masked
    assert applicant.phone_hash == resident.phone_hash
    for text in seen:
        for value in clear:
            assert value not in text, "a particular in clear reached the page"


@pytest.mark.parametrize(("size", "viewport"), [("390", PHONE), ("1280", DESKTOP)])
def test_person_search_and_figures_pages(transactional_db, live_server, world, browser, shots,
                                         size, viewport):
    """The person page (masked, then revealed with a reason), the people search and grid
    A1's figures, on a phone and at a desk: nothing scrolls sideways, nothing in clear until
    the reveal."""
    base = live_server.url
    _building, resident, _category = _resident_street(world)
    phone = size == "390"
    options = {"viewport": viewport, **({"is_mobile": True, "has_touch": True} if phone else {})}
    with open_page(browser, **options) as (_c, page, watch):
        sign_in(page, watch, base, world.users[Role.GRID_WORKER].username)

        page.goto(f"{base}/registry/people/?q=周建国")
        results = page.locator('[data-testid="person-row"]')
        assert results.count() == 1 and resident.id_number_masked in results.inner_text()
        assert RESIDENT_ID not in page.content() and RESIDENT_PHONE not in page.content()
        _no_sideways_scroll(page, "people search")
        shot(page, shots, f"registry-people-search-{size}.png")
        watch.assert_clean("people search")

        with page.expect_navigation():
            results.click()
        assert page.locator('[data-testid="id-masked"]').inner_text() == \
            resident.id_number_masked
        assert page.locator('[data-testid="phone-masked"]').inner_text() == "139****0001"
        assert RESIDENT_ID not in page.content() and RESIDENT_PHONE not in page.content()
        _no_sideways_scroll(page, "person page")
        shot(page, shots, f"registry-person-{size}.png")
        page.fill("#reveal-reason", "核对调解当事人身份")
        page.locator('[data-testid="reveal-submit"]').click()
        page.locator('[data-testid="clear-id_number"]').wait_for()
        assert page.locator('[data-testid="clear-id_number"]').inner_text() == RESIDENT_ID
        assert page.locator('[data-testid="clear-phone"]').inner_text() == RESIDENT_PHONE
        _no_sideways_scroll(page, "person page revealed")
        shot(page, shots, f"registry-person-revealed-{size}.png")
        watch.assert_clean("person page")

        page.goto(f"{base}/registry/figures/{world.grid_a1.code}/")
        figures = page.locator('[data-testid="figures"]')
        assert figures.locator('[data-testid="linkage"]').inner_text() == "100.0%"
        # 24 rooms, the resident's 101 自住 since they moved in (a lived-in room is not 待核实)
        assert figures.locator('[data-rooms="unknown"]').inner_text() == "23"
        assert figures.locator('[data-rooms="owner"]').inner_text() == "1"
        _no_sideways_scroll(page, "figures")
        shot(page, shots, f"registry-figures-{size}.png")
        watch.assert_clean("figures")


@pytest.mark.parametrize(("size", "viewport"), [("390", PHONE), ("1280", DESKTOP)])
def test_organisation_registration_and_access_log_pages(transactional_db, live_server, world,
                                                        browser, shots, size, viewport):
    """The pages not walked above: registering a person and an organisation (its legal
    representative picked), the organisations list and page, the building's dormitory form,
    and the auditor's access log of a person — laid out without sideways scrolling."""
    base = live_server.url
    building, resident, _category = _resident_street(world)
    phone = size == "390"
    options = {"viewport": viewport, **({"is_mobile": True, "has_touch": True} if phone else {})}
    with open_page(browser, **options) as (_c, page, watch):
        sign_in(page, watch, base, world.users[Role.GRID_WORKER].username)
        page.goto(f"{base}/registry/grids/{world.grid_a1.code}/people/new/")
        _no_sideways_scroll(page, "new person")
        shot(page, shots, f"registry-person-new-{size}.png")

        page.goto(f"{base}/registry/grids/{world.grid_a1.code}/organisations/new/")
        page.fill("#id_name", "南通桃坞纺织有限公司")
        page.select_option("#id_kind", "enterprise")
        page.fill("#id_credit_code", "91350100M000100Y43")
        picker = page.locator('[data-picker]').first
        picker.locator("[data-picker-query]").fill(resident.name)
        picker.locator("[data-picker-search]").click()
        picker.locator(f'[data-pick-choice][data-id="{resident.pk}"]').click()
        _no_sideways_scroll(page, "new organisation")
        shot(page, shots, f"registry-organisation-new-{size}.png")
        with page.expect_navigation():
            page.locator('form button[type="submit"]').last.click()
        assert "南通桃坞纺织有限公司" in page.locator("h2.page-title").inner_text()
        assert page.locator('[data-testid="legal-representative"]').inner_text() == resident.name
        _no_sideways_scroll(page, "organisation")
        shot(page, shots, f"registry-organisation-{size}.png")

        page.goto(f"{base}/registry/organisations/?kind=economic")
        assert page.locator(".list-group-item-action").count() == 1
        _no_sideways_scroll(page, "organisations")
        shot(page, shots, f"registry-organisations-{size}.png")

        page.goto(f"{base}/registry/buildings/{building.code}/")
        page.locator("summary", has_text="登记为集中居住点").click()
        _no_sideways_scroll(page, "dormitory form")
        shot(page, shots, f"registry-dormitory-form-{size}.png")
        watch.assert_clean("organisation pages")

    with open_page(browser, **options) as (_c, page, watch):
        sign_in(page, watch, base, world.users[Role.AUDITOR].username)
        page.goto(f"{base}/registry/people/{resident.pk}/access-log/")
        log = page.locator('[data-testid="access-log"]')
        assert "登记实有人口" in log.inner_text()
        _no_sideways_scroll(page, "access log")
        shot(page, shots, f"registry-access-log-{size}.png")
        watch.assert_clean("access log")

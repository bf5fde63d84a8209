"""Area names are data, not markup: the two Leaflet maps whose tooltips show them (the area
map of core/area_map.js and the dashboard's status map of stats/dashboard.js) put the name
in as text. An area named like an HTML element shows that text and creates no element."""

from __future__ import annotations

import pytest

from civicgrid.accounts.roles import Role
from civicgrid.areas.models import Area
from civicgrid.core.tests.test_browser import DESKTOP, open_page, sign_in

pytestmark = pytest.mark.browser

HOSTILE_NAME = "<img src=x onerror=alert(1)>"


def _hover_tooltip(page, map_selector: str) -> None:
    page.locator(map_selector).scroll_into_view_if_needed()
    box = page.locator(map_selector).bounding_box()
    assert box is not None
    # The community covers the whole street, so the middle of the map is over its polygon.
    page.mouse.move(box["x"] + box["width"] / 2 - 5, box["y"] + box["height"] / 2 - 5)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.locator(f"{map_selector} .leaflet-tooltip").wait_for()


def test_map_tooltips_show_area_names_as_text(transactional_db, live_server, world, browser):
    Area.objects.filter(pk=world.community_a.pk).update(name=HOSTILE_NAME)
    base = live_server.url
    user = world.users[Role.LEADER]
    with open_page(browser, viewport=DESKTOP) as (_ctx, page, watch):
        sign_in(page, watch, base, user.username)

        page.goto(f"{base}/areas/{world.street_a.code}/")
        page.locator("#area-map.cg-map-ready").wait_for()
        _hover_tooltip(page, "#area-map")
        tooltip = page.locator("#area-map .leaflet-tooltip")
        assert tooltip.locator("img").count() == 0
        assert tooltip.inner_text() == HOSTILE_NAME
        watch.assert_clean("area map tooltip")

        page.goto(f"{base}/dashboard/?area={world.street_a.code}")
        page.locator("#status-map.cg-map-ready").wait_for()
        _hover_tooltip(page, "#status-map")
        tooltip = page.locator("#status-map .leaflet-tooltip")
        assert tooltip.locator("img").count() == 0
        assert tooltip.locator("strong").inner_text() == HOSTILE_NAME
        watch.assert_clean("dashboard status map tooltip")

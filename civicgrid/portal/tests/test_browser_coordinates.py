"""The resident report page's coordinate system in headless Chromium: a tap on the map says
wgs84 (the map is drawn in WGS 84), a script that takes the point from a GCJ-02 or BD-09 map
SDK says so, and the case lands in the grid of the WGS 84 original. Fails on any console
error."""

from __future__ import annotations

import pytest

from civicgrid.areas.tests import points
from civicgrid.areas.tests.points import haversine_m, station_grids
from civicgrid.cases.models import Case
from civicgrid.cases.tests.test_browser_coordinates import SET_POINT, VALUE
from civicgrid.core.tests.test_browser import PHONE, open_page

pytestmark = pytest.mark.browser


def test_report_map_says_wgs84_and_a_script_may_say_bd09(transactional_db, live_server,
                                                         office, browser):
    grids = station_grids(office.world)
    base = live_server.url
    with open_page(browser, viewport=PHONE, is_mobile=True, has_touch=True) as (_c, page, watch):
        page.goto(f"{base}/portal/report/")
        page.locator("#report-map.cg-map-ready").wait_for()
        assert page.evaluate(VALUE, "id_coordinate_system") == "wgs84"

        page.evaluate(SET_POINT, ["", "", "gcj02"])
        box = page.locator("#report-map").bounding_box()
        page.locator("#report-map").tap(position={"x": box["width"] * 0.15,
                                                  "y": box["height"] * 0.5})
        page.wait_for_function("() => document.getElementById('id_lng').value !== ''")
        assert page.evaluate(VALUE, "id_coordinate_system") == "wgs84"

        page.evaluate(SET_POINT, [*points.BD09, "bd09"])
        page.locator("#id_category").select_option(str(office.neighbour.pk))
        page.fill("#id_description", "楼上住户每天深夜装修,噪音很大影响休息")
        with page.expect_navigation():
            page.locator('[data-testid="submit-report"]').tap()
        watch.assert_clean("report with a BD-09 point")
        case = Case.objects.get()
        assert case.channel == "portal" and case.area == grids.home
        assert haversine_m((case.lng, case.lat), points.WGS84) < 1.0

"""The staff intake page's coordinate system in headless Chromium: a tap on the map and the
browser's position say wgs84 (the map is drawn in WGS 84; the Geolocation API gives WGS 84),
and a script that takes the point from a GCJ-02 map SDK says gcj02: the case lands in the
grid of the WGS 84 original either way. Fails on any console error."""

from __future__ import annotations

import pytest

from civicgrid.areas.tests import points
from civicgrid.areas.tests.points import haversine_m, station_grids
from civicgrid.cases.models import Case
from civicgrid.core.tests.test_browser import DESKTOP, open_page, sign_in

pytestmark = pytest.mark.browser

# What a page script does with a point from a GCJ-02 SDK (WeChat's wx.getLocation, Amap).
SET_POINT = """([lng, lat, system]) => {
  document.getElementById('id_lng').value = String(lng);
  document.getElementById('id_lat').value = String(lat);
  document.getElementById('id_coordinate_system').value = system;
}"""
VALUE = "id => document.getElementById(id).value"


def test_intake_map_and_position_say_wgs84_and_a_script_may_say_gcj02(
        transactional_db, live_server, office, browser):
    grids = station_grids(office.world)
    base = live_server.url
    position = {"longitude": points.WGS84[0], "latitude": points.WGS84[1]}
    with open_page(browser, viewport=DESKTOP, geolocation=position,
                   permissions=["geolocation"]) as (_ctx, page, watch):
        sign_in(page, watch, base, office.people["dispatcher"].username)
        page.goto(f"{base}/cases/new/")
        page.locator("#intake-map.cg-map-ready").wait_for()
        assert page.evaluate(VALUE, "id_coordinate_system") == "wgs84"

        page.evaluate(SET_POINT, ["", "", "gcj02"])
        page.locator("#intake-map").click()
        page.wait_for_function("() => document.getElementById('id_lng').value !== ''")
        assert page.evaluate(VALUE, "id_coordinate_system") == "wgs84"

        page.evaluate(SET_POINT, ["", "", "bd09"])
        page.locator("[data-locate-me]").click()
        page.wait_for_function("() => document.getElementById('id_lng').value !== ''")
        assert page.evaluate(VALUE, "id_coordinate_system") == "wgs84"
        assert float(page.evaluate(VALUE, "id_lng")) == pytest.approx(points.WGS84[0], abs=1e-6)
        assert grids.home.name in page.locator("[data-location-status]").inner_text()

        page.evaluate(SET_POINT, [*points.GCJ02, "gcj02"])
        page.locator("#id_category_group").select_option(office.neighbour.code[:2])
        page.locator("#id_category").select_option(str(office.neighbour.pk))
        page.fill("#id_description", "3号楼楼上住户连续一周深夜装修,噪音扰民")
        with page.expect_navigation():
            page.locator('[data-testid="submit-case"]').click()
        watch.assert_clean("intake with a GCJ-02 point")
        case = Case.objects.get()
        assert page.url == f"{base}/cases/{case.number}/"
        assert case.area == grids.home
        assert haversine_m((case.lng, case.lat), points.WGS84) < 1.0

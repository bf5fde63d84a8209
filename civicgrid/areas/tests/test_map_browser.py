"""Maps a person can read, in headless Chromium (issue 17): without a tile server the area
map and the portal's report map show the names of communities and grids, roads and the
registry's buildings, no two names overlapping; with a tile server configured its tiles
load (through the Content-Security-Policy); with GCJ-02 tiles the WGS 84 data is shifted
onto them and a tapped point is still sent in WGS 84. Screenshots: map-*.png."""

from __future__ import annotations

import base64
import json

import pytest
from django.conf import settings as django_settings

from civicgrid.accounts.roles import Role
from civicgrid.areas.coords import from_wgs84
from civicgrid.areas.models import RoadImportMode
from civicgrid.areas.services import roads_import
from civicgrid.core.maptiles import with_tile_sources
from civicgrid.core.tests.test_browser import DESKTOP, open_page, sign_in
from civicgrid.registry.services import BuildingInput, building_create

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
TILE_HOST = "https://tiles.example.test"
# A 1×1 PNG: the tile server's answer (Leaflet stretches it to 256 px).
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/P"
                       "chI7wAAAABJRU5ErkJggg==")
BUILDING = (120.8125, 31.9125)  # in grid A1 (the square 120.80–120.85, 31.90–31.95)

LABELS_OVERLAP = """(sel) => {
  const boxes = [...document.querySelectorAll(sel + ' .cg-label-text')]
    .map(e => e.getBoundingClientRect()).filter(r => r.width > 0);
  const hits = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    const apart = a.right - 1 <= b.left || b.right - 1 <= a.left
      || a.bottom - 1 <= b.top || b.bottom - 1 <= a.top;
    if (!apart) { hits.push([i, j]); }
  }
  return {count: boxes.length, overlaps: hits.length};
}"""


def _labels(page, selector: str) -> list[str]:
    return [t.strip() for t in page.locator(f"{selector} .cg-label-text").all_inner_texts()]


def _assert_no_overlap(page, selector: str, step: str) -> int:
    result = page.evaluate(LABELS_OVERLAP, selector)
    assert result["overlaps"] == 0, f"{step}: {result}"
    return result["count"]


def _set_view(page, selector: str, lng: float, lat: float, zoom: float) -> None:
    page.evaluate("([sel, lat, lng, z]) => document.querySelector(sel).cgBaseMap.map"
                  ".setView([lat, lng], z, {animate: false})", [selector, lat, lng, zoom])
    page.wait_for_timeout(600)  # (names are placed on the next frame, data loads first)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)


def _map_shot(page, selector: str, screenshot_dir, name: str) -> None:
    path = screenshot_dir / name
    page.locator(selector).screenshot(path=str(path))
    assert path.stat().st_size > 1000


@pytest.fixture
def places(world):
    """A named building with a point, and two roads, in grid A1."""
    building_create(grid=world.grid_a1, actor=world.users[Role.GRID_WORKER], data=BuildingInput(
        name="桃坞新村3幢", road="人民路", house_number="12", lng=BUILDING[0], lat=BUILDING[1]))
    roads = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "人民路", "kind": "major"},
         "geometry": {"type": "LineString", "coordinates": [[120.79, 31.9118], [120.96, 31.9118]]}},
        {"type": "Feature", "properties": {"name": "桃坞巷", "kind": "lane"},
         "geometry": {"type": "LineString", "coordinates": [[120.8140, 31.89], [120.8140, 31.96]]}},
    ]}
    roads_import(content=json.dumps(roads).encode(), file_name="roads.geojson",
                 mode=RoadImportMode.REPLACE, actor=world.users[Role.ADMINISTRATOR])


def test_area_map_without_tiles_shows_names_roads_and_buildings(
        transactional_db, live_server, world, places, browser, screenshot_dir):
    base = live_server.url
    for viewport, suffix in ((DESKTOP, "1280"), (PHONE, "390")):
        with open_page(browser, viewport=viewport) as (_ctx, page, watch):
            sign_in(page, watch, base, world.users[Role.SUPERVISOR].username)
            page.goto(f"{base}/areas/{world.street_a.code}/")
            page.locator("#area-map.cg-map-ready").wait_for()
            page.wait_for_function("document.querySelector('#area-map').dataset.labels > 0")
            assert page.locator("#area-map").get_attribute("data-basemap") == "local"
            assert world.community_a.name in _labels(page, "#area-map")
            _assert_no_overlap(page, "#area-map", "street A, fitted")
            _map_shot(page, "#area-map", screenshot_dir, f"map-area-street-{suffix}.png")

            # Zoomed in on grid A1: its grid outline and name (at 31.925), the road's (at 31.9118).
            _set_view(page, "#area-map", 120.825, 31.9184, 14)
            names = _labels(page, "#area-map")
            assert world.grid_a1.name in names, names
            assert "人民路" in names, names
            _assert_no_overlap(page, "#area-map", "grid A1 at zoom 14")
            # Close up: the building's dot and name, the lane.
            _set_view(page, "#area-map", BUILDING[0], BUILDING[1], 17)
            names = _labels(page, "#area-map")
            assert "桃坞新村3幢" in names and "桃坞巷" in names, names
            assert page.locator("#area-map").get_attribute("data-buildings") == "1"
            _assert_no_overlap(page, "#area-map", "the building at zoom 17")
            _map_shot(page, "#area-map", screenshot_dir, f"map-area-building-{suffix}.png")
            watch.assert_clean(f"area map at {suffix} px")


def test_portal_report_map_without_tiles_shows_names_and_buildings(
        transactional_db, live_server, world, places, browser, screenshot_dir):
    base = live_server.url
    for viewport, suffix in ((PHONE, "390"), (DESKTOP, "1280")):
        with open_page(browser, viewport=viewport, is_mobile=viewport is PHONE,
                       has_touch=viewport is PHONE) as (_ctx, page, watch):
            page.goto(f"{base}/portal/report/")
            page.locator("#report-map.cg-map-ready").wait_for()
            # (the street's and community's names come with labels.json, after the grids')
            page.wait_for_function("""names => [...document.querySelectorAll(
                '#report-map .cg-label-text')].some(e => names.includes(e.textContent.trim()))""",
                                   arg=[world.street_a.name, world.community_a.name])
            names = _labels(page, "#report-map")
            assert world.street_a.name in names or world.community_a.name in names, names
            _assert_no_overlap(page, "#report-map", "portal, fitted")
            _map_shot(page, "#report-map", screenshot_dir, f"map-portal-{suffix}.png")
            _set_view(page, "#report-map", BUILDING[0], BUILDING[1], 17)
            names = _labels(page, "#report-map")
            assert "桃坞新村3幢" in names and "人民路" in names, names
            _assert_no_overlap(page, "#report-map", "portal at zoom 17")
            _map_shot(page, "#report-map", screenshot_dir, f"map-portal-building-{suffix}.png")
            # The tap goes through the names to the map: the point is the one tapped.
            point = page.evaluate("""([lat, lng]) => {
                const m = document.querySelector('#report-map').cgBaseMap.map;
                const p = m.latLngToContainerPoint([lat, lng]);
                return {x: p.x, y: p.y};
            }""", [BUILDING[1] + 0.0004, BUILDING[0] + 0.0004])
            page.locator("#report-map").click(position=point)
            page.wait_for_function("document.getElementById('id_lng').value !== ''")
            assert abs(float(page.input_value("#id_lng")) - (BUILDING[0] + 0.0004)) < 2e-5
            assert abs(float(page.input_value("#id_lat")) - (BUILDING[1] + 0.0004)) < 2e-5
            assert world.grid_a1.name in page.locator("[data-location-status]").inner_text()
            watch.assert_clean(f"portal report map at {suffix} px")


def _serve_tiles(page, requested: list[str]) -> None:
    def fulfil(route):
        requested.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=PNG)
    page.route(f"{TILE_HOST}/**", fulfil)


@pytest.fixture
def tiles(settings):
    """A tile server: MAP_TILES and the CSP built from it, as config/settings/base.py does."""
    def configure(**extra):
        settings.MAP_TILES = {"url": TILE_HOST + "/{z}/{x}/{y}.png", "min_zoom": "3",
                              "max_zoom": "18", "attribution": "测试底图 <b>x</b>", **extra}
        settings.CONTENT_SECURITY_POLICY = with_tile_sources(
            django_settings.CONTENT_SECURITY_POLICY, settings.MAP_TILES)
    return configure


def test_a_configured_tile_server_is_drawn(transactional_db, live_server, world, places, tiles,
                                           browser, screenshot_dir):
    tiles(crs="cgcs2000")
    base = live_server.url
    requested: list[str] = []
    with open_page(browser, viewport=DESKTOP) as (_ctx, page, watch):
        _serve_tiles(page, requested)
        sign_in(page, watch, base, world.users[Role.SUPERVISOR].username)
        page.goto(f"{base}/areas/{world.street_a.code}/")
        page.locator("#area-map.cg-map-ready").wait_for()
        page.wait_for_function("document.querySelector('#area-map').dataset.tilesLoaded > 0")
        assert page.locator("#area-map").get_attribute("data-basemap") == "tiles"
        assert page.locator("#area-map img.leaflet-tile-loaded").count() > 0
        assert all(u.startswith(TILE_HOST) and u.endswith(".png") for u in requested)
        attribution = page.locator("#area-map .leaflet-control-attribution")
        assert attribution.inner_text() == "测试底图 <b>x</b>"  # text, not markup
        assert attribution.locator("b").count() == 0
        assert page.locator("script[src*='gcoord']").count() == 0  # not GCJ-02: not loaded
        # The names of grids and buildings are still written (a tile server knows streets).
        page.wait_for_function("document.querySelector('#area-map').dataset.labels > 0")
        assert world.community_a.name in _labels(page, "#area-map")
        _map_shot(page, "#area-map", screenshot_dir, "map-area-tiles-1280.png")
        watch.assert_clean("area map on tiles (no CSP violation)")


def test_gcj02_tiles_shift_the_map_and_the_tapped_point_stays_wgs84(
        transactional_db, live_server, world, places, tiles, browser, screenshot_dir):
    tiles(crs="gcj02")
    base = live_server.url
    requested: list[str] = []
    with open_page(browser, viewport=PHONE, is_mobile=True, has_touch=True) as (_ctx, page, watch):
        _serve_tiles(page, requested)
        page.goto(f"{base}/portal/report/")
        page.locator("#report-map.cg-map-ready").wait_for()
        assert page.locator("script[src*='vendor/gcoord/gcoord.global.prod.js']").count() == 1
        page.wait_for_function("document.querySelector('#report-map').dataset.tilesLoaded > 0")
        _set_view(page, "#report-map", BUILDING[0], BUILDING[1], 17)
        # Our WGS 84 point is drawn where the GCJ-02 tiles have it: at its GCJ-02 position.
        shift = page.evaluate("""([lat, lng, glat, glng]) => {
            const m = document.querySelector('#report-map').cgBaseMap.map;
            const ours = m.options.crs.latLngToPoint(L.latLng(lat, lng), 17);
            const plain = L.CRS.EPSG3857.latLngToPoint(L.latLng(glat, glng), 17);
            const unshifted = L.CRS.EPSG3857.latLngToPoint(L.latLng(lat, lng), 17);
            return {error: ours.distanceTo(plain), shift: ours.distanceTo(unshifted)};
        }""", [BUILDING[1], BUILDING[0], *reversed(from_wgs84(*BUILDING, "gcj02"))])
        assert shift["error"] < 1, shift  # within a pixel of the GCJ-02 position
        assert shift["shift"] > 100, shift  # some hundreds of metres from the plain one
        point = page.evaluate("""([lat, lng]) => {
            const p = document.querySelector('#report-map').cgBaseMap.map
              .latLngToContainerPoint([lat, lng]);
            return {x: p.x, y: p.y};
        }""", [BUILDING[1], BUILDING[0]])
        page.locator("#report-map").tap(position=point)
        page.wait_for_function("document.getElementById('id_lng').value !== ''")
        assert abs(float(page.input_value("#id_lng")) - BUILDING[0]) < 2e-5
        assert abs(float(page.input_value("#id_lat")) - BUILDING[1]) < 2e-5
        if page.locator("#id_coordinate_system").count():
            assert page.input_value("#id_coordinate_system") == "wgs84"
        assert "桃坞新村3幢" in _labels(page, "#report-map")
        _map_shot(page, "#report-map", screenshot_dir, "map-portal-gcj02-390.png")
        watch.assert_clean("portal on GCJ-02 tiles")

"""Map data simplified for the zoom it is drawn at, and compressed (areas/mapdata.py): the
outlines stay valid and non-empty, get smaller, and the answers are gzip when asked."""

from __future__ import annotations

import gzip
import json
import math

import pytest
from django.core.exceptions import BadRequest
from django.test import Client, RequestFactory
from django.urls import reverse
from shapely.geometry import shape

from civicgrid.accounts.roles import Role
from civicgrid.areas.mapdata import (
    decimals_for,
    fit_param,
    fit_zoom,
    map_response,
    simplify_features,
    simplify_geometry,
    tolerance_for,
    zoom_param,
)
from civicgrid.portal.selectors import grid_features


def _wiggly(n: int = 400) -> dict:
    """A circle-ish outline 0.01° across with `n` slightly jittered vertices."""
    ring = []
    for i in range(n):
        r = 0.005 * (1 + 0.002 * (i % 3))
        angle = 2 * math.pi * i / n
        ring.append([120.805 + r * math.cos(angle), 31.905 + r * math.sin(angle)])
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


WIGGLY = _wiggly()


def test_precision_and_tolerance_follow_the_zoom():
    assert decimals_for(None) == 6
    assert decimals_for(12) == 4
    assert decimals_for(14) == decimals_for(16) == 5
    assert decimals_for(17) == decimals_for(22) == 6
    assert tolerance_for(None) == 0 and tolerance_for(18) == 0
    assert tolerance_for(12) > tolerance_for(13) > tolerance_for(17) > 0


def test_a_geometry_is_simplified_rounded_and_still_valid():
    simple = simplify_geometry(WIGGLY, 12)
    assert simple is not None and simple["type"] == "Polygon"
    geom = shape(simple)
    assert geom.is_valid and not geom.is_empty
    assert len(simple["coordinates"][0]) < len(WIGGLY["coordinates"][0]) / 4
    assert all(len(str(v).split(".")[1]) <= 4 for p in simple["coordinates"][0] for v in p)
    # Nothing to simplify at zoom 18 and without a zoom.
    assert simplify_geometry(WIGGLY, None) is WIGGLY
    assert len(simplify_geometry(WIGGLY, 18)["coordinates"][0]) >= 380


def test_a_tiny_polygon_is_never_simplified_away():
    tiny = {"type": "Polygon", "coordinates": [[[120.8, 31.9], [120.80001, 31.9],
                                                [120.80001, 31.90001], [120.8, 31.9]]]}
    for zoom in (0, 5, 10):
        out = simplify_geometry(tiny, zoom)
        assert out is not None and not shape(out).is_empty and shape(out).is_valid


def test_lines_are_simplified_too_and_points_left_alone():
    line = {"type": "LineString", "coordinates": [[120.8 + i * 1e-5, 31.9 + (i % 2) * 1e-7]
                                                  for i in range(500)]}
    out = simplify_geometry(line, 13)
    assert out["type"] == "LineString" and 2 <= len(out["coordinates"]) < 10
    point = {"type": "Point", "coordinates": [120.8, 31.9]}
    assert simplify_geometry(point, 13) is point


def test_fit_picks_the_zoom_leaflet_would_show():
    # 0.18° × 0.15° at 32°N fits 390 × 300 pixels at zoom 11.1 (the height decides) and
    # 1280 × 420 at 11.6: simplified for zoom 12, the next finer level.
    assert fit_zoom((120.80, 31.93, 120.98, 32.08), (390, 300)) == 12
    assert fit_zoom((120.80, 31.93, 120.98, 32.08), (1280, 420)) == 12
    assert fit_zoom((120.80, 31.93, 120.98, 32.08), (1400, 1100)) == 14
    assert fit_zoom((120.80, 31.90, 120.8001, 31.9001), (390, 300)) == 18  # capped


def test_parameters_are_checked():
    rf = RequestFactory()
    assert zoom_param(rf.get("/", {"zoom": "13.6"})) == 13
    assert zoom_param(rf.get("/")) is None
    assert fit_param(rf.get("/", {"fit": "390x300"})) == (390, 300)
    for bad in ({"zoom": "x"}, {"zoom": "23"}, {"zoom": "-1"}):
        with pytest.raises(BadRequest):
            zoom_param(rf.get("/", bad))
    for bad in ("390", "0x3", "99999x1", "axb"):
        with pytest.raises(BadRequest):
            fit_param(rf.get("/", {"fit": bad}))


def test_answers_are_compressed_when_the_client_accepts_gzip():
    rf = RequestFactory()
    data = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": WIGGLY, "properties": {"name": "网格"}}]}
    plain = map_response(rf.get("/"), data, public=True)
    assert "Content-Encoding" not in plain
    assert json.loads(plain.content) == data
    packed = map_response(rf.get("/", HTTP_ACCEPT_ENCODING="gzip, deflate, br"), data,
                          public=True)
    assert packed["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(packed.content)) == data
    assert len(packed.content) < len(plain.content) / 2
    assert packed["Content-Length"] == str(len(packed.content))
    assert "Accept-Encoding" in packed["Vary"]
    assert packed["Cache-Control"] == "public, max-age=300"
    private = map_response(rf.get("/"), data, public=False)
    assert private["Cache-Control"] == "private, max-age=300"
    assert "Cookie" in private["Vary"]


def test_the_area_map_answers_for_a_zoom_or_a_fit(world, client):
    client.force_login(world.users[Role.SUPERVISOR])
    url = reverse("areas:map", args=[world.street_a.code])
    full = client.get(url).json()
    assert full["zoom"] is None
    assert full["features"][0]["properties"]["label"] == [120.85, 31.95]  # the middle
    fitted = client.get(url, {"fit": "390x300"}).json()
    assert isinstance(fitted["zoom"], int) and fitted["area"]["boundary"]["type"] == "Polygon"
    assert client.get(url, {"zoom": "14"}).json()["zoom"] == 14
    assert client.get(url, {"zoom": "nope"}).status_code == 400
    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert response["Cache-Control"] == "private, max-age=300"


# --- the demo district ------------------------------------------------------------------

@pytest.fixture
def demo_grids(demo):
    return grid_features()


def test_simplification_keeps_every_demo_grid_valid_and_non_empty(demo_grids):
    count = len(demo_grids["features"])
    assert count > 500
    for zoom in (10, 12, 14, 16):
        data = json.loads(json.dumps(demo_grids))
        simplify_features(data, zoom=zoom)
        assert len(data["features"]) == count
        for feature in data["features"]:
            geom = shape(feature["geometry"])
            assert geom.is_valid and not geom.is_empty, (zoom, feature["properties"]["code"])
            assert geom.geom_type in ("Polygon", "MultiPolygon")


def test_the_portal_grids_get_much_smaller(demo, demo_grids, capsys):
    """Measured sizes of /portal/grids.geojson with the demo district (docs/areas.md)."""
    client = Client()
    url = reverse("portal:grids")
    # What the endpoint sent before issue 17: every boundary as stored, names and codes,
    # by JsonResponse (its default separators).
    before = len(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": f["geometry"],
         "properties": {"code": f["properties"]["code"], "name": f["properties"]["name"]}}
        for f in demo_grids["features"]]}, ensure_ascii=False).encode())
    rows = []
    for query in ({}, {"fit": "390x280"}, {"fit": "1280x420"}, {"zoom": "14"},
                  {"zoom": "16"}):
        plain = client.get(url, query)
        packed = client.get(url, query, HTTP_ACCEPT_ENCODING="gzip")
        assert packed["Content-Encoding"] == "gzip"
        assert json.loads(gzip.decompress(packed.content)) == plain.json()
        rows.append((query, plain.json()["zoom"], len(plain.content), len(packed.content)))
    with capsys.disabled():
        print(f"\nportal grids.geojson, {len(demo_grids['features'])} grids; before: {before} B")
        for query, zoom, raw, sent in rows:
            print(f"  {query!s:20} zoom {zoom!s:4} {raw:>8} B, gzip {sent:>7} B "
                  f"({sent / before:.1%} of before)")
    phone = rows[1]
    assert phone[3] < before * 0.15  # the phone's first view: under 15 % of what it was
    assert rows[0][3] < before * 0.2  # even unsimplified, compression alone
    assert phone[2] < rows[0][2]  # simplified and rounded: fewer bytes before compression


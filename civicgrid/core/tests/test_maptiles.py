"""The deployment's tile server (MAP_TILES): parsing, the system check, the CSP, and what
the pages get (civicgrid/core/maptiles.py, core/checks.py, templatetags/basemap.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import Client, override_settings

from civicgrid.core.checks import map_tiles_valid
from civicgrid.core.maptiles import parse_tiles, tile_img_sources, with_tile_sources

TIANDITU = {
    "url": "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
           "&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
           "&TILECOL={x}&tk=TOKEN",
    "overlay_url": "https://t{s}.tianditu.gov.cn/cva_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
                   "&VERSION=1.0.0&LAYER=cva&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
                   "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=TOKEN",
    "subdomains": "01234567", "attribution": "天地图 <审图号>", "crs": "cgcs2000",
    "min_zoom": "1", "max_zoom": "18",
}
POLICY = "default-src 'self'; img-src 'self' data: blob:; script-src 'self'"


def test_no_tile_server_is_the_default_and_no_error():
    assert parse_tiles(settings.MAP_TILES) == (None, [])
    assert parse_tiles({}) == (None, [])
    assert parse_tiles({"url": "", "crs": "gcj02"}) == (None, [])
    assert parse_tiles(None) == (None, [])


def test_a_tianditu_configuration_is_read():
    config, errors = parse_tiles(TIANDITU)
    assert errors == []
    assert config is not None
    assert config.subdomains == tuple("01234567")
    assert (config.min_zoom, config.max_zoom, config.crs) == (1, 18, "cgcs2000")
    assert not config.shifted
    assert config.origins() == [f"https://t{i}.tianditu.gov.cn" for i in range(8)]
    data = config.as_json()
    assert data["overlayUrl"].startswith("https://t{s}.tianditu.gov.cn/cva_w/")
    assert data["attribution"] == "天地图 <审图号>"  # plain text: the browser escapes it


@pytest.mark.parametrize("value, expected", [
    ({"url": "https://a.example.cn/{z}/{x}/{y}.png", "subdomains": "a,b"}, ("a", "b")),
    ({"url": "https://a.example.cn/{z}/{x}/{y}.png", "subdomains": "abc"}, ("a", "b", "c")),
    ({"url": "https://a.example.cn/{z}/{x}/{y}.png"}, ()),
])
def test_subdomains_are_single_characters_or_comma_separated(value, expected):
    config, errors = parse_tiles(value)
    assert errors == [] and config is not None
    assert config.subdomains == expected


def test_tiles_on_this_site_need_no_csp_source():
    config, errors = parse_tiles({"url": "/tiles/{z}/{x}/{-y}.png", "crs": "gcj02"})
    assert errors == [] and config is not None
    assert config.shifted
    assert config.origins() == []
    assert tile_img_sources({"url": "/tiles/{z}/{x}/{-y}.png"}) == ""


@pytest.mark.parametrize("value, message", [
    ({"url": "https://a.example.cn/{z}/{x}.png"}, "must contain {z}, {x} and {y}"),
    ({"url": "https://a.example.cn/{z}/{x}/{y}/{q}.png"}, "unknown placeholders"),
    ({"url": "https://t{s}.example.cn/{z}/{x}/{y}.png"}, "no subdomains"),
    ({"url": "ftp://a.example.cn/{z}/{x}/{y}.png"}, "http(s) URL"),
    ({"url": "//a.example.cn/{z}/{x}/{y}.png"}, "http(s) URL"),
    ({"url": "tiles/{z}/{x}/{y}.png"}, "http(s) URL"),
    ({"url": "https://a.example.cn/{z}/{x}/{y}.png; script-src *"}, "must not contain"),
    ({"url": "https://a.example.cn/{z}/{x}/{y}.png' onerror='x"}, "must not contain"),
    ({"url": "https://a.example.cn/{z}/{x}/{y}.png", "crs": "bd09"}, "Baidu"),
    ({"url": "https://a.example.cn/{z}/{x}/{y}.png", "crs": "mercator"}, "crs must be one of"),
    ({"url": "https://a.example.cn/{z}/{x}/{y}.png", "max_zoom": "twenty"}, "whole number"),
    ({"url": "https://a.example.cn/{z}/{x}/{y}.png", "max_zoom": "30"}, "from 0 to 22"),
    ({"url": "https://a.example.cn/{z}/{x}/{y}.png", "min_zoom": "12", "max_zoom": "8"},
     "above max_zoom"),
    ({"url": "https://a.example.cn/{z}/{x}/{y}.png", "subdomains": "a,b c"}, "subdomains"),
    ({"url": "https://a.example.cn/{z}/{x}/{y}.png", "overlay_url": "https://b.cn/{z}.png"},
     "overlay_url must contain"),
    ("https://a.example.cn/{z}/{x}/{y}.png", "must be a dict"),
])
def test_a_malformed_value_is_refused_whole(value, message):
    config, errors = parse_tiles(value)
    assert config is None
    assert any(message in e for e in errors), errors


def test_the_system_check_warns_about_a_malformed_value_only():
    with override_settings(MAP_TILES={"url": "https://t{s}.example.cn/{z}/{x}.png",
                                      "crs": "bd09"}):
        warnings = map_tiles_valid(None)
    assert {w.id for w in warnings} == {"civicgrid.W002"}
    assert len(warnings) == 3  # no {y}; {s} without subdomains; BD-09
    assert all("MAP_TILES" in w.msg and w.hint for w in warnings)
    with override_settings(MAP_TILES=TIANDITU):
        assert map_tiles_valid(None) == []
    assert map_tiles_valid(None) == []  # the default: no tile server


def test_the_csp_lists_the_tile_hosts_only_when_tiles_are_set():
    assert with_tile_sources(POLICY, {}) == POLICY
    assert with_tile_sources(POLICY, {"url": "/tiles/{z}/{x}/{y}.png"}) == POLICY
    assert with_tile_sources(POLICY, {"url": "https://bad/{z}.png"}) == POLICY  # (malformed)
    policy = with_tile_sources(POLICY, TIANDITU)
    img_src = next(d for d in policy.split("; ") if d.startswith("img-src"))
    assert img_src == ("img-src 'self' data: blob: "
                       + " ".join(f"https://t{i}.tianditu.gov.cn" for i in range(8)))
    assert "script-src 'self'" in policy and policy.count("img-src") == 1
    # A policy without img-src gets one.
    assert with_tile_sources("default-src 'self'", {"url": "http://gis.local:8080/{z}/{x}/{y}"}
                             ) == "default-src 'self'; img-src 'self' http://gis.local:8080"


def test_the_default_deployment_allows_no_tile_host(db):
    policy = Client().get("/portal/")["Content-Security-Policy"]
    img_src = next(d for d in policy.split("; ") if d.startswith("img-src"))
    assert img_src == "img-src 'self' data: blob:"


def _settings_in_subprocess(env: dict[str, str]) -> dict[str, object]:
    """config.settings.base as a process with these environment variables builds it."""
    code = ("import json, django, os; django.setup(); from django.conf import settings; "
            "print(json.dumps({'csp': settings.CONTENT_SECURITY_POLICY, "
            "'tiles': settings.MAP_TILES}))")
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MAP_TILES")}
    full_env.update(env, DJANGO_SETTINGS_MODULE="config.settings.test")
    out = subprocess.run([sys.executable, "-c", code], env=full_env, capture_output=True,  # noqa: S603
                         text=True, check=True, cwd=settings.BASE_DIR, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_settings_read_the_environment_and_build_the_csp_from_it():
    read = _settings_in_subprocess({
        "MAP_TILES_URL": "https://gis.example.gov.cn/tiles/{z}/{x}/{y}.png",
        "MAP_TILES_ATTRIBUTION": "区规划局", "MAP_TILES_CRS": "gcj02",
        "MAP_TILES_MAX_ZOOM": "19"})
    assert read["tiles"]["url"] == "https://gis.example.gov.cn/tiles/{z}/{x}/{y}.png"
    assert read["tiles"]["crs"] == "gcj02" and read["tiles"]["max_zoom"] == "19"
    assert "img-src 'self' data: blob: https://gis.example.gov.cn;" in read["csp"]
    plain = _settings_in_subprocess({})
    assert "gis.example.gov.cn" not in plain["csp"]


def _render_scripts() -> str:
    return Template("{% load basemap %}{% basemap_scripts %}").render(Context({}))


def _config(html: str) -> dict:
    start = html.index('<script id="cg-map-config" type="application/json">')
    body = html[start:].split(">", 1)[1].split("</script>", 1)[0]
    return json.loads(body)


def test_the_pages_get_the_parsed_configuration_and_gcoord_only_for_gcj02_tiles():
    html = _render_scripts()
    assert _config(html) == {"tiles": None}
    assert "gcoord" not in html and "core/basemap.js" in html
    with override_settings(MAP_TILES=TIANDITU):
        html = _render_scripts()
    assert _config(html)["tiles"]["subdomains"] == list("01234567")
    assert "gcoord" not in html
    assert "<审图号>" not in html  # (json_script escapes < > &)
    with override_settings(MAP_TILES={**TIANDITU, "crs": "gcj02"}):
        html = _render_scripts()
    assert "vendor/gcoord/gcoord.global.prod.js" in html
    assert html.index("gcoord.global.prod.js") < html.index("core/basemap.js")
    with override_settings(MAP_TILES={**TIANDITU, "crs": "bd09"}):
        assert _config(_render_scripts()) == {"tiles": None}  # malformed: not used

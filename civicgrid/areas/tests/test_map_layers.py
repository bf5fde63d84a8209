"""The base map's data (labels, buildings, roads) obeys scope like every read: an area outside
the reader's scope answers 404 exactly like a missing one; the public portal shows names,
numbers and points of its own area and nothing else."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from civicgrid.accounts.roles import Role
from civicgrid.areas.models import RoadImportMode
from civicgrid.areas.services import roads_import
from civicgrid.registry.services import BuildingInput, building_create

A1_BOX = "120.80,31.90,120.85,31.95"
B1_BOX = "120.90,31.90,120.95,31.95"
EVERYWHERE = "120.70,31.80,121.10,32.10"


@pytest.fixture
def buildings(world):
    """A named building with a point in grid A1 and one in grid B1."""
    a = building_create(grid=world.grid_a1, actor=world.users[Role.GRID_WORKER], data=BuildingInput(
        name="桃坞新村3幢", road="人民路", house_number="12", lng=120.81, lat=31.91))
    b = building_create(grid=world.grid_b1, actor=world.outsider, data=BuildingInput(
        name="濠西花园1幢", road="濠西路", house_number="8", lng=120.91, lat=31.91))
    return a, b


@pytest.fixture
def roads(world):
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "人民路", "kind": "primary"},
         "geometry": {"type": "LineString", "coordinates": [[120.80, 31.92], [120.95, 31.92]]}},
        {"type": "Feature", "properties": {"name": "桃坞巷", "kind": "lane"},
         "geometry": {"type": "LineString", "coordinates": [[120.81, 31.90], [120.81, 31.94]]}},
    ]}
    roads_import(content=json.dumps(collection).encode(), file_name="roads.geojson",
                 mode=RoadImportMode.REPLACE, actor=world.users[Role.ADMINISTRATOR])


def _without_csrf(content: bytes) -> bytes:
    """(The 404 page masks its CSRF token afresh each time; everything else is equal.)"""
    return re.sub(rb'(name="csrf-token" content|name="csrfmiddlewaretoken" value|'
                  rb'name="next" value)="[^"]+"', rb"\1=''", content)


def _signed_in(world, role) -> Client:
    client = Client()
    client.force_login(world.users.get(role, role))
    return client


def test_labels_are_the_areas_below_in_scope(world):
    client = _signed_in(world, Role.SUPERVISOR)  # scope: street A
    labels = client.get(reverse("areas:labels", args=[world.street_a.code])).json()["labels"]
    assert [(x["code"], x.get("own", False)) for x in labels] == [
        (world.street_a.code, True), (world.community_a.code, False),
        (world.grid_a1.code, False), (world.grid_a2.code, False)]
    a1 = next(x for x in labels if x["code"] == world.grid_a1.code)
    assert a1["name"] == "桃坞第1网格" and a1["level"] == "grid"
    assert a1["at"] == [120.825, 31.925]  # inside the grid (worked out: none stored)
    assert a1["bbox"] == [120.8, 31.9, 120.85, 31.95]
    # The county: its streets and communities, as far as the reader may read them.
    county = client.get(reverse("areas:labels", args=[world.county.code]))
    assert county.status_code == 404  # (the supervisor's scope is street A, not the county)
    admin = _signed_in(world, Role.ADMINISTRATOR)
    codes = [x["code"] for x in admin.get(reverse("areas:labels", args=[world.county.code])
                                          ).json()["labels"]]
    assert world.street_b.code in codes and world.community_b.code in codes
    assert world.grid_b1.code not in codes  # (two levels below: streets and communities)


def test_map_endpoints_answer_out_of_scope_exactly_like_missing(world, buildings):
    client = _signed_in(world, Role.GRID_WORKER)  # scope: grid A1
    for name, query in (("areas:labels", {}), ("areas:buildings", {"bbox": A1_BOX}),
                        ("areas:map", {"fit": "390x300"})):
        missing = client.get(reverse(name, args=["320602001001999"]), query)
        outside = client.get(reverse(name, args=[world.grid_b1.code]), query)
        assert missing.status_code == outside.status_code == 404, name
        assert _without_csrf(missing.content) == _without_csrf(outside.content), name


def test_buildings_are_read_through_the_readers_scope(world, buildings):
    a, b = buildings
    supervisor = _signed_in(world, Role.SUPERVISOR)
    url = reverse("areas:buildings", args=[world.street_a.code])
    data = supervisor.get(url, {"bbox": EVERYWHERE}).json()
    assert data["features"] == [{"type": "Feature",
                                 "geometry": {"type": "Point", "coordinates": [120.81, 31.91]},
                                 "properties": {"name": "桃坞新村3幢", "number": "人民路12号"}}]
    assert data["truncated"] is False
    assert supervisor.get(url, {"bbox": B1_BOX}).json()["features"] == []
    # A grid worker of street B reads street B's, not A's (404 for A: out of scope).
    outsider = _signed_in(world, world.outsider)
    assert outsider.get(url, {"bbox": EVERYWHERE}).status_code == 404
    theirs = outsider.get(reverse("areas:buildings", args=[world.grid_b1.code]),
                          {"bbox": EVERYWHERE}).json()
    assert [f["properties"]["name"] for f in theirs["features"]] == ["濠西花园1幢"]
    # Leaders and the administrator read nothing of the registry (roles.py): 403.
    for role in (Role.LEADER, Role.ADMINISTRATOR):
        assert _signed_in(world, role).get(url, {"bbox": EVERYWHERE}).status_code == 403
    # A viewport is required, and a viewport is not the whole country.
    assert supervisor.get(url).status_code == 400
    assert supervisor.get(url, {"bbox": "100,20,130,50"}).status_code == 400


def test_the_area_page_offers_buildings_only_to_registry_readers(world):
    url = reverse("areas:detail", args=[world.street_a.code])
    page = _signed_in(world, Role.SUPERVISOR).get(url).content.decode()
    assert 'data-buildings-url="/areas/320602001/buildings.geojson"' in page
    assert 'data-labels-url="/areas/320602001/labels.json"' in page
    assert 'data-outlines-url="/areas/320602001/map.geojson?depth=grid"' in page
    assert 'id="cg-map-config"' in page and "core/basemap.js" in page
    leader_page = _signed_in(world, Role.LEADER).get(url).content.decode()
    assert "data-buildings-url" not in leader_page


def test_roads_are_served_per_viewport_and_zoom(world, roads):
    client = _signed_in(world, Role.GRID_WORKER)
    url = reverse("areas:roads_geojson")
    near = client.get(url, {"bbox": A1_BOX, "zoom": "16"}).json()
    assert sorted(f["properties"]["name"] for f in near["features"]) == ["人民路", "桃坞巷"]
    assert near["zoom"] == 16 and near["truncated"] is False
    # Lanes only from zoom 15; the major road from any zoom.
    far = client.get(url, {"bbox": A1_BOX, "zoom": "13"}).json()
    assert [(f["properties"]["name"], f["properties"]["kind"]) for f in far["features"]] == [
        ("人民路", "major")]
    # Only the roads that cross the viewport.
    assert client.get(url, {"bbox": "121.0,32.0,121.1,32.05", "zoom": "16"}).json()[
        "features"] == []
    assert client.get(url).status_code == 400  # the viewport is required
    assert client.get(url, {"bbox": "1,2,3"}).status_code == 400
    assert Client().get(url, {"bbox": A1_BOX}).status_code == 302  # sign in first


@override_settings(PORTAL_AREA_CODE="320602001")
def test_the_portal_map_shows_its_own_area_only_and_no_personal_data(world, buildings, roads):
    client = Client()
    labels = client.get(reverse("portal:map_labels")).json()["labels"]
    assert [x["code"] for x in labels] == [world.street_a.code, world.community_a.code]
    found = client.get(reverse("portal:map_buildings"), {"bbox": EVERYWHERE})
    assert found["Cache-Control"] == "public, max-age=300"
    features = found.json()["features"]
    assert [f["properties"] for f in features] == [{"name": "桃坞新村3幢", "number": "人民路12号"}]
    assert set(features[0]) == {"type", "geometry", "properties"}  # no code, use, rooms
    assert client.get(reverse("portal:map_buildings")).status_code == 400
    roads_answer = client.get(reverse("portal:map_roads"), {"bbox": A1_BOX, "zoom": "15"})
    assert len(roads_answer.json()["features"]) == 2
    grids = client.get(reverse("portal:grids"), {"fit": "390x300"}).json()
    assert [f["properties"]["code"] for f in grids["features"]] == [
        world.grid_a1.code, world.grid_a2.code]
    assert set(grids["features"][0]["properties"]) == {"code", "name", "label"}

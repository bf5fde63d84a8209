"""Open311: `coordinate_system` (civicgrid's extension of POST requests) says what system
lat/long are in; a GCJ-02 or BD-09 point lands in the grid of its WGS 84 original and is
stored and answered in WGS 84; discovery names the extension; a bad value is the spec's 400
and creates nothing. (The point and its grids: civicgrid/areas/tests/points.py.)"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from civicgrid.areas.tests import points
from civicgrid.areas.tests.points import haversine_m, station_grids
from civicgrid.audit.models import AuditEntry
from civicgrid.cases.models import Case, Party
from civicgrid.open311.models import Open311Request
from civicgrid.open311.tests import conftest
from civicgrid.open311.tests.test_open311 import (
    BASE,
    assert_error,
    create,
    lamp_request,
    parse,
    post,
)
from civicgrid.testing import build_office, shared

o311_once, o311 = shared(lambda: conftest.o311.__wrapped__(build_office()), name="o311")

SENT = [
    ("wgs84", points.WGS84), ("WGS-84", points.WGS84), ("gcj02", points.GCJ02),
    ("GCJ-02", points.GCJ02), ("bd09", points.BD09), ("BD09LL", points.BD09),
    ("", points.WGS84), (None, points.WGS84),  # blank or left out: WGS 84
]


@pytest.fixture
def grids(o311):
    return station_grids(o311.office.world)


def at(point) -> dict:
    return {"lat": str(point[1]), "long": str(point[0])}


@pytest.mark.parametrize(("system", "point"), SENT)
def test_point_in_any_system_lands_in_the_grid_of_its_original(o311, grids, client, system,
                                                               point):
    record, _body = create(client, o311, **at(point), coordinate_system=system)
    case = record.case
    assert case.area == grids.home
    assert haversine_m((case.lng, case.lat), points.WGS84) < 1.0
    # The client's own view of its request gives the stored point: WGS 84.
    [item] = parse(client.get(f"{BASE}/requests/{case.number}.json",
                              {"api_key": o311.key}))
    assert (item["long"], item["lat"]) == (case.lng, case.lat)


def test_the_parameter_in_a_urlencoded_body(o311, grids, client):
    """The other tests post multipart (the test client's default); the spec's usual body
    is urlencoded."""
    data = lamp_request(o311, **at(points.BD09), coordinate_system="bd09")
    response = client.post(f"{BASE}/requests.xml", urlencode(data),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, response.content
    assert Case.objects.get().area == grids.home


def test_without_description_the_grid_named_is_the_converted_points(o311, grids, client):
    record, _body = create(client, o311, **at(points.GCJ02), coordinate_system="gcj02",
                           description="")
    assert record.case.description == f"路灯损坏:{grids.home.parent.name}{grids.home.name}"


def test_gcj02_point_sent_without_the_parameter_lands_in_the_neighbouring_grid(o311, grids,
                                                                               client):
    record, _body = create(client, o311, **at(points.GCJ02))
    assert record.case.area == grids.east
    assert haversine_m((record.case.lng, record.case.lat), points.WGS84) > 400
    refused = post(client, **lamp_request(o311, **at(points.BD09)))  # 1.1 km off: in no grid
    assert_error(refused, 400, "long", "不在任何网格内")


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("bad", ["gcj", "bd09mc", "EPSG:3857", "火星", "x" * 200])
def test_unknown_system_is_a_400_naming_the_values_and_creates_nothing(o311, grids, client,
                                                                      fmt, bad):
    before = (Case.objects.count(), Open311Request.objects.count(), Party.objects.count(),
              AuditEntry.objects.count())
    response = post(client, fmt, **lamp_request(o311, **at(points.GCJ02), coordinate_system=bad))
    assert_error(response, 400, "coordinate_system:", "wgs84", "gcj02", "bd09", bad[:20])
    # Also with an area instead of a point: a bad argument is refused whatever else is sent.
    by_area = post(client, fmt, **lamp_request(o311, lat="", long="", address_id=grids.home.code,
                                        coordinate_system=bad))
    assert_error(by_area, 400, "coordinate_system:")
    assert (Case.objects.count(), Open311Request.objects.count(), Party.objects.count(),
            AuditEntry.objects.count()) == before


def test_discovery_names_the_extension(o311, client):
    body = parse(client.get(f"{BASE}/discovery.json"))
    assert body["coordinate_systems"] == {"parameter": "coordinate_system", "default": "wgs84",
                                          "values": ["wgs84", "gcj02", "bd09"]}
    root = parse(client.get(f"{BASE}/discovery.xml"))
    assert root.findtext("coordinate_systems/parameter") == "coordinate_system"
    assert root.findtext("coordinate_systems/default") == "wgs84"
    assert [v.text for v in root.findall("coordinate_systems/values/value")] == [
        "wgs84", "gcj02", "bd09"]
    # The spec's own part is unchanged: clients that do not know the extension find it.
    assert root.findtext("endpoints/endpoint/specification") == \
        "http://wiki.open311.org/GeoReport_v2"

"""The resident portal's report form: a hidden `coordinate_system` (wgs84 unless the page's
script took the point from a GCJ-02 or BD-09 map SDK); the point lands in the grid of its
WGS 84 original and is stored in WGS 84; a bad value is said above the form and creates
nothing. (The point and its grids: civicgrid/areas/tests/points.py.)"""

from __future__ import annotations

import re

import pytest

from civicgrid.areas.tests import points
from civicgrid.areas.tests.points import haversine_m, station_grids
from civicgrid.audit.models import AuditEntry
from civicgrid.cases.models import Case, Party
from civicgrid.portal.tests.test_portal import REPORT, report_data
from civicgrid.testing import build_office, shared

office_once, office = shared(build_office, name="office")

SENT = [
    ("wgs84", points.WGS84), ("gcj02", points.GCJ02), ("GCJ-02", points.GCJ02),
    ("bd09", points.BD09), ("bd09ll", points.BD09), ("", points.WGS84),
]


@pytest.fixture
def grids(office):
    return station_grids(office.world)


def at(point, **extra) -> dict:
    return {"lng": str(point[0]), "lat": str(point[1]), **extra}


def test_report_page_has_the_hidden_field_defaulting_to_wgs84(office, client):
    html = client.get(REPORT).content.decode()
    assert ('<input type="hidden" name="coordinate_system" value="wgs84" '
            'id="id_coordinate_system">') in html


@pytest.mark.parametrize(("system", "point"), SENT)
def test_point_in_any_system_lands_in_the_grid_of_its_original(office, grids, client, system,
                                                               point):
    response = client.post(REPORT, report_data(office, **at(point, coordinate_system=system)))
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get()
    assert case.channel == "portal" and case.area == grids.home
    assert haversine_m((case.lng, case.lat), points.WGS84) < 1.0


def test_gcj02_point_without_the_field_lands_in_the_neighbouring_grid(office, grids, client):
    data = report_data(office, **at(points.GCJ02))
    assert "coordinate_system" not in data
    assert client.post(REPORT, data).status_code == 302
    case = Case.objects.get()
    assert case.area == grids.east
    assert haversine_m((case.lng, case.lat), points.WGS84) > 400


@pytest.mark.parametrize("bad", ["gcj", "bd09mc", "火星坐标", "EPSG:3857"])
def test_unknown_system_is_said_above_the_form_and_creates_nothing(office, grids, client,
                                                                   bad):
    before = (Case.objects.count(), Party.objects.count(), AuditEntry.objects.count())
    response = client.post(REPORT, report_data(office, **at(points.GCJ02,
                                                            coordinate_system=bad)))
    assert response.status_code == 400
    html = response.content.decode()
    alert = re.search(r'data-testid="form-error">(.*?)</div>\s*</div>', html, re.S)
    assert alert is not None
    for part in ("坐标系", bad, "wgs84", "gcj02", "bd09"):
        assert part in alert.group(1), alert.group(1)
    # What the resident typed is kept (the point too) for the next try.
    assert "楼上住户每天深夜装修" in html and str(points.GCJ02[0]) in html
    assert (Case.objects.count(), Party.objects.count(), AuditEntry.objects.count()) == before

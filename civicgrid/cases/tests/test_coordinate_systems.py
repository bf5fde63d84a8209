"""A point sent as GCJ-02 or BD-09 lands in the same grid as its WGS 84 original, and is
stored in WGS 84: the intake service (case_intake converts before it locates), the JSON API
and the staff intake form. Open311 and the portal: their apps' tests of the same name.

The point is Nantong's centre as a GPS receiver, Amap and Baidu give it (published values:
civicgrid/areas/tests/points.py), in a grid made for it whose neighbour to the east holds
where the GCJ-02 point lands when it is taken for WGS 84 (465 m off; the BD-09 point is
1.1 km off, in no grid at all)."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from civicgrid.api.services import api_token_create
from civicgrid.areas.tests import points
from civicgrid.areas.tests.points import haversine_m, station_grids
from civicgrid.audit.models import AuditEntry
from civicgrid.cases.models import Case, CaseEvent, Channel, Party
from civicgrid.cases.services import case_intake
from civicgrid.cases.tests.conftest import new_case
from civicgrid.cases.tests.test_views import client_for, intake_data
from civicgrid.testing import build_office, shared

office_once, office = shared(build_office, name="office")

# (the parameter as a client spells it, the point in that system)
SENT = [
    ("wgs84", points.WGS84), ("WGS-84", points.WGS84),
    ("gcj02", points.GCJ02), ("GCJ-02", points.GCJ02),
    ("bd09", points.BD09), ("BD-09", points.BD09), ("bd09ll", points.BD09),
]
BAD = ["gcj", "bd09mc", "EPSG:3857", "火星坐标", "wgs85"]
BAD_MESSAGE_PARTS = ("坐标系", "wgs84", "gcj02", "bd09")


@pytest.fixture
def grids(office):
    return station_grids(office.world)


def counts() -> tuple[int, ...]:
    """What an intake writes: a refused one leaves every count as it was."""
    return (Case.objects.count(), Party.objects.count(), CaseEvent.objects.count(),
            AuditEntry.objects.count())


def test_the_points_are_what_the_tests_say(grids):
    """The world the other tests rely on: the WGS 84 point is in `home`; taken for WGS 84,
    the GCJ-02 point is in `east`, 465 m off, and the BD-09 point is 1.1 km off."""
    from civicgrid.areas.reference import grid_at

    assert grid_at(*points.WGS84) == grids.home
    assert grid_at(*points.GCJ02) == grids.east
    assert grid_at(*points.BD09) is None
    assert 400 < haversine_m(points.GCJ02, points.WGS84) < 500
    assert 1000 < haversine_m(points.BD09, points.WGS84) < 1200


# --- the service ---------------------------------------------------------------------------

def _intake(office, point, **kwargs) -> Case:
    return case_intake(channel=Channel.PATROL, category=office.neighbour,
                       description="楼上住户深夜装修噪音扰民", actor=office.people["dispatcher"],
                       lng=point[0], lat=point[1], **kwargs)


@pytest.mark.parametrize(("system", "point"), SENT)
def test_case_intake_converts_before_it_locates_the_grid(office, grids, system, point):
    case = _intake(office, point, coordinate_system=system)
    assert case.area == grids.home and case.area_code == grids.home.code
    case.refresh_from_db()
    assert haversine_m((case.lng, case.lat), points.WGS84) < 1.0
    audit = AuditEntry.objects.filter(event_type="case.intake").latest("pk")
    expected = {"wgs84": None, "gcj02": "gcj02", "bd09": "bd09"}[
        system.lower().replace("-", "").removesuffix("ll")]
    assert audit.details.get("coordinate_system") == expected


def test_without_conversion_the_points_land_elsewhere(office, grids):
    """What the conversion prevents: the GCJ-02 point taken for WGS 84 is registered in
    the neighbouring grid, 465 m from the place; the BD-09 point is in no grid."""
    wrong = _intake(office, points.GCJ02)
    assert wrong.area == grids.east
    assert haversine_m((wrong.lng, wrong.lat), points.WGS84) > 400
    with pytest.raises(ValidationError) as refused:
        _intake(office, points.BD09)
    assert "不在任何网格内" in str(refused.value)


@pytest.mark.parametrize("bad", BAD)
def test_case_intake_refuses_an_unknown_system_and_writes_nothing(office, grids, bad):
    before = counts()
    with pytest.raises(ValidationError) as refused:
        _intake(office, points.GCJ02, coordinate_system=bad)
    [message] = refused.value.message_dict["coordinate_system"]
    assert all(part in message for part in BAD_MESSAGE_PARTS)
    with pytest.raises(ValidationError):  # also with an area instead of a point
        case_intake(channel=Channel.PATROL, category=office.neighbour,
                    description="楼上住户深夜装修噪音扰民", actor=office.people["dispatcher"],
                    area=grids.home, coordinate_system=bad)
    assert counts() == before


def test_a_point_outside_china_is_not_moved(office):
    """Outside mainland China every system is WGS 84: such a point is refused for lying in
    no grid, with the same message whatever the system."""
    for system in ("wgs84", "gcj02", "bd09"):
        with pytest.raises(ValidationError) as refused:
            _intake(office, (2.3522, 48.8566), coordinate_system=system)
        assert "不在任何网格内" in str(refused.value)


# --- the JSON API --------------------------------------------------------------------------

def _api(office) -> Client:
    _token, plain = api_token_create(name="sdk", unit=office.centre_a,
                                     actions=["cases:create", "cases:read"], actor=None,
                                     rate_limit_per_minute=10_000)
    return Client(HTTP_AUTHORIZATION=f"Bearer {plain}")


def _api_body(point, **extra) -> dict:
    return {"category": "9102", "description": "楼上住户深夜装修噪音扰民", "lng": point[0],
            "lat": point[1], **extra}


@pytest.mark.parametrize(("system", "point"), [*SENT, (None, points.WGS84)])
def test_api_point_in_any_system_lands_in_the_grid_of_its_original(office, grids, system,
                                                                   point):
    client = _api(office)
    body = _api_body(point, **({"coordinate_system": system} if system else {}))
    created = client.post("/api/v1/cases", body, content_type="application/json")
    assert created.status_code == 201, created.content
    answer = created.json()
    assert answer["area_code"] == grids.home.code
    # The answer's point is the stored one, in WGS 84 whatever was sent; so is a read's.
    assert haversine_m((answer["lng"], answer["lat"]), points.WGS84) < 1.0
    read = client.get(f"/api/v1/cases/{answer['number']}").json()
    assert (read["lng"], read["lat"]) == (answer["lng"], answer["lat"])
    case = Case.objects.get(number=answer["number"])
    assert (case.lng, case.lat) == (answer["lng"], answer["lat"])


def test_api_gcj02_point_sent_as_wgs84_lands_in_the_neighbouring_grid(office, grids):
    created = _api(office).post("/api/v1/cases", _api_body(points.GCJ02),
                                content_type="application/json")
    assert created.status_code == 201
    assert created.json()["area_code"] == grids.east.code
    assert haversine_m((created.json()["lng"], created.json()["lat"]), points.WGS84) > 400


@pytest.mark.parametrize("bad", BAD)
def test_api_unknown_system_answers_400_and_creates_nothing(office, grids, bad):
    client = _api(office)
    before = counts()
    refused = client.post("/api/v1/cases", _api_body(points.GCJ02, coordinate_system=bad),
                          content_type="application/json")
    assert refused.status_code == 400, refused.content
    body = refused.json()
    assert body["code"] == "invalid"
    [message] = body["details"]["coordinate_system"]
    assert all(part in message for part in BAD_MESSAGE_PARTS)
    too_long = client.post("/api/v1/cases", _api_body(points.GCJ02, coordinate_system="x" * 21),
                           content_type="application/json")
    assert too_long.status_code == 422
    assert counts() == before


def test_openapi_documents_the_coordinate_system(db):
    doc = Client().get("/api/v1/openapi.json").json()
    field = doc["components"]["schemas"]["CaseIn"]["properties"]["coordinate_system"]
    assert field["default"] == "wgs84"
    assert field["type"] == "string" and field["maxLength"] == 20
    for word in ("wgs84", "gcj02", "bd09", "WGS 84"):
        assert word in field["description"]
    operation = doc["paths"]["/api/v1/cases"]["post"]
    assert "WGS 84" in operation["description"]


# --- the staff intake form -----------------------------------------------------------------

def _form(office, point, **extra) -> dict:
    return intake_data(office, lng=str(point[0]), lat=str(point[1]), **extra)


def test_intake_page_has_the_hidden_field_defaulting_to_wgs84(office):
    html = client_for(office.people["grid"]).get(reverse("cases:new")).content.decode()
    assert ('<input type="hidden" name="coordinate_system" value="wgs84" '
            'id="id_coordinate_system">') in html
    assert "#id_coordinate_system" in html  # sent with the duplicates check too


@pytest.mark.parametrize(("system", "point"), SENT)
def test_staff_form_point_in_any_system_lands_in_the_grid_of_its_original(
        office, grids, system, point):
    client = client_for(office.people["dispatcher"])
    response = client.post(reverse("cases:new"), _form(office, point, coordinate_system=system))
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get()
    assert case.area == grids.home
    assert haversine_m((case.lng, case.lat), points.WGS84) < 1.0


def test_staff_form_without_the_field_takes_wgs84(office, grids):
    client = client_for(office.people["dispatcher"])
    data = _form(office, points.GCJ02)
    assert "coordinate_system" not in data
    assert client.post(reverse("cases:new"), data).status_code == 302
    assert Case.objects.get().area == grids.east


def test_a_grid_worker_sending_gcj02_as_wgs84_would_be_outside_the_grid(office, grids):
    """The grid worker of `home`: the GCJ-02 point is accepted when it says so, and
    refused as outside the worker's grid when taken for WGS 84."""
    from civicgrid.accounts.roles import Role
    from civicgrid.accounts.services import user_create
    from civicgrid.conftest import PASSWORD

    worker = user_create(username="station_grid", password=PASSWORD, display_name="站前网格员",
                         roles=[Role.GRID_WORKER], area_codes=[grids.home.code], actor=None)
    client = client_for(worker)
    refused = client.post(reverse("cases:new"), _form(office, points.GCJ02))
    assert refused.status_code == 400 and "不在您的管辖范围内" in refused.content.decode()
    assert not Case.objects.exists()
    accepted = client.post(reverse("cases:new"),
                           _form(office, points.GCJ02, coordinate_system="gcj02"))
    assert accepted.status_code == 302
    assert Case.objects.get().area == grids.home


@pytest.mark.parametrize("bad", BAD)
def test_staff_form_unknown_system_is_refused_and_creates_nothing(office, grids, bad):
    client = client_for(office.people["dispatcher"])
    before = counts()
    response = client.post(reverse("cases:new"), _form(office, points.GCJ02,
                                                       coordinate_system=bad))
    assert response.status_code == 400
    # Said in the alert above the form (the field is hidden).
    alert = re.search(r'data-testid="form-error">(.*?)</div>\s*<div class="row',
                      response.content.decode(), re.S)
    assert alert is not None
    assert all(part in alert.group(1) for part in BAD_MESSAGE_PARTS), alert.group(1)
    assert counts() == before


def test_duplicates_check_compares_the_converted_point(office, grids):
    existing = new_case(office, area=None, lng=points.WGS84[0], lat=points.WGS84[1],
                        actor=office.people["dispatcher"])
    client = client_for(office.people["dispatcher"])
    url = reverse("cases:new_duplicates")

    def nearby(**data) -> bool:
        html = client.post(url, {"category": office.neighbour.pk, "description": "",
                                 **data}).content.decode()
        return existing.number in html and "同类事件200米内" in html

    assert nearby(lng=points.GCJ02[0], lat=points.GCJ02[1], coordinate_system="GCJ-02")
    assert nearby(lng=points.BD09[0], lat=points.BD09[1], coordinate_system="bd09")
    assert not nearby(lng=points.GCJ02[0], lat=points.GCJ02[1])  # taken for WGS 84: 465 m
    assert not nearby(lng=points.GCJ02[0], lat=points.GCJ02[1], coordinate_system="mars")

"""The conversion of GCJ-02 and BD-09 points to WGS 84 (areas/coords.py, ADR 0013), against
point pairs published elsewhere, round trips across China, the "in China" box, and the
parameter's spellings."""

from __future__ import annotations

import math

import pytest
from django.core.exceptions import ValidationError

from civicgrid.areas.coords import (
    CoordinateSystem,
    from_wgs84,
    out_of_china,
    parse_coordinate_system,
    to_wgs84,
)
from civicgrid.areas.tests import points
from civicgrid.areas.tests.points import haversine_m

GCJ02, BD09, WGS84 = CoordinateSystem.GCJ02, CoordinateSystem.BD09, CoordinateSystem.WGS84


def test_haversine_helper_itself():
    # One degree of latitude is 111.2 km on the mean sphere; a point is 0 m from itself.
    assert haversine_m((120.0, 31.0), (120.0, 32.0)) == pytest.approx(111_195, abs=1)
    assert haversine_m((120.0, 31.0), (120.0, 31.0)) == 0
    # One degree of longitude at 60° N is half of one at the equator.
    assert haversine_m((0, 60), (1, 60)) == pytest.approx(haversine_m((0, 0), (1, 0)) / 2,
                                                          rel=1e-3)


# (lng, lat) triples WGS 84 / GCJ-02 / BD-09 of city centres, copied by hand from the test
# fixture of gcoord (hujiulong/gcoord, test/fixtures/china-cities.json, MIT), whose GCJ-02
# and BD-09 values are the map providers' own.
CITIES = [
    ("北京", (116.4011517, 39.9028057), (116.4074002, 39.9042136), (116.4137852, 39.9105355)),
    ("上海", (121.4691633, 31.2323443), (121.4737061, 31.2304194), (121.4802435, 31.2363541)),
    ("南通", points.WGS84, points.GCJ02, points.BD09),  # the intake tests' point
    ("深圳", (114.0527534, 22.5458236), (114.0578659, 22.5431014), (114.064418, 22.5487584)),
    ("广州", (113.2590543, 23.131788), (113.2643859, 23.1291146), (113.2708188, 23.135343)),
    ("哈尔滨", (126.528903, 45.8017783), (126.5349726, 45.8037804), (126.5415875, 45.8094074)),
    ("乌鲁木齐", (87.6140048, 43.824388), (87.6168579, 43.8255962), (87.6232918, 43.8317719)),
    ("拉萨", (91.1706414, 29.655277), (91.1721167, 29.6524954), (91.1786184, 29.6585294)),
    ("三亚", (109.507813, 18.2545417), (109.5119135, 18.2528524), (109.5184703, 18.2585878)),
]

# WGS 84 / GCJ-02 pairs (given as lat, lng there) from the test suite of eviltransform
# (googollee/eviltransform, python/test.py, MIT) and from geoChina's documentation
# (caijun/geoChina, Beijing railway station, to 5 decimals: ±0.6 m by rounding alone).
PAIRS = [
    ("上海 (eviltransform)", (121.5272106, 31.1774276), (121.531541859215, 31.17530398364597), 0.1),
    ("深圳 (eviltransform)", (113.912316, 22.543847), (113.9171764808363, 22.540796131694766), 0.1),
    ("北京 (eviltransform)", (116.377817, 39.911954), (116.38404722455657, 39.91334545536069),
     0.1),
    ("北京站 (geoChina)", (116.42079, 39.90105), (116.42703, 39.90245), 1.0),
]


@pytest.mark.parametrize(("name", "wgs", "gcj", "bd"), CITIES, ids=[c[0] for c in CITIES])
def test_known_city_points_convert_within_a_metre(name, wgs, gcj, bd):
    assert haversine_m(to_wgs84(*gcj, GCJ02), wgs) < 1.0
    assert haversine_m(to_wgs84(*bd, BD09), wgs) < 1.0
    assert haversine_m(from_wgs84(*wgs, GCJ02), gcj) < 1.0
    assert haversine_m(from_wgs84(*wgs, BD09), bd) < 1.0
    # What the conversion is for: the systems are hundreds of metres apart.
    assert 100 < haversine_m(gcj, wgs) < 1000
    assert haversine_m(bd, wgs) > haversine_m(gcj, wgs)


@pytest.mark.parametrize(("name", "wgs", "gcj", "tolerance"), PAIRS, ids=[p[0] for p in PAIRS])
def test_published_gcj02_pairs(name, wgs, gcj, tolerance):
    assert haversine_m(from_wgs84(*wgs, GCJ02), gcj) < tolerance
    assert haversine_m(to_wgs84(*gcj, GCJ02), wgs) < tolerance


def _lattice(step: float = 1.5):
    """Points every `step` degrees over mainland China's box, a little inside its edges."""
    lat = 18.0
    while lat < 53.5:
        lng = 73.8
        while lng < 135.0:
            yield round(lng, 4), round(lat, 4)
            lng += step
        lat += step


@pytest.mark.parametrize("system", [GCJ02, BD09])
def test_round_trips_across_china_are_within_centimetres(system):
    """The inverse is the iterative (precise) one: a one-step inverse is off by up to a
    few metres, by a metre in the middle; this one returns every point of the lattice
    within 5 cm, and each point really moved (by 50 m to 1.5 km)."""
    worst = 0.0
    points = list(_lattice())
    assert len(points) > 900
    for wgs in points:
        sent = from_wgs84(*wgs, system)
        assert 50 < haversine_m(sent, wgs) < 1500, (wgs, sent)
        worst = max(worst, haversine_m(to_wgs84(*sent, system), wgs))
    assert worst < 0.05


def test_round_trip_from_the_other_side():
    """A point read off a GCJ-02 or BD-09 map, converted to WGS 84 and back, is the point
    read off (the forward formulas are exact; the inverse is their inverse)."""
    for gcj in [(120.8243271, 31.9179476), (116.397428, 39.90923), (87.6, 43.8)]:
        assert haversine_m(from_wgs84(*to_wgs84(*gcj, GCJ02), GCJ02), gcj) < 0.05
        assert haversine_m(from_wgs84(*to_wgs84(*gcj, BD09), BD09), gcj) < 0.05


OUTSIDE = [
    (2.3522, 48.8566),  # Paris
    (-74.006, 40.7128),  # New York
    (139.6917, 35.6895),  # Tokyo (east of the box)
    (151.2093, -33.8688),  # Sydney
    (0.0, 0.0),
    (72.003, 30.0), (137.8348, 40.0), (110.0, 55.8272), (110.0, 0.8292),  # just outside
    (-180.0, -90.0), (180.0, 90.0),
]


@pytest.mark.parametrize("point", OUTSIDE)
@pytest.mark.parametrize("system", list(CoordinateSystem))
def test_points_outside_china_are_unchanged(point, system):
    assert out_of_china(*point)
    assert to_wgs84(*point, system) == point
    assert from_wgs84(*point, system) == point


@pytest.mark.parametrize("point", [(72.005, 30.0), (137.834, 40.0), (110.0, 55.827),
                                   (110.0, 0.8294), (120.82, 31.92)])
def test_points_just_inside_the_box_are_converted(point):
    assert not out_of_china(*point)
    assert haversine_m(to_wgs84(*point, GCJ02), point) > 50


@pytest.mark.parametrize("point", [(math.nan, 31.9), (120.8, math.nan), (math.inf, 31.9),
                                   (120.8, -math.inf)])
def test_values_that_are_no_coordinate_are_left_for_the_range_check(point):
    """Not a number and infinities are not converted (the intake's range check refuses
    them, `坐标无效`)."""
    assert out_of_china(*point)
    result = to_wgs84(*point, GCJ02)
    assert all(a == b or (math.isnan(a) and math.isnan(b)) for a, b in zip(result, point,
                                                                           strict=True))


def test_wgs84_is_never_changed_inside_china():
    assert to_wgs84(120.82, 31.92, WGS84) == (120.82, 31.92)
    assert to_wgs84(120.82, 31.92) == (120.82, 31.92)  # the default


# --- the parameter -----------------------------------------------------------------------------

def test_the_choices():
    assert CoordinateSystem.values == ["wgs84", "gcj02", "bd09"]


@pytest.mark.parametrize(("raw", "expected"), [
    ("wgs84", WGS84), ("WGS84", WGS84), ("WGS-84", WGS84), ("wgs_84", WGS84), ("WGS 84", WGS84),
    ("wgs1984", WGS84), ("EPSG:4326", WGS84), (" wgs84 ", WGS84),
    ("CGCS2000", WGS84), ("cgcs-2000", WGS84), ("EPSG:4490", WGS84),  # 天地图: centimetres
    ("gcj02", GCJ02), ("GCJ02", GCJ02), ("GCJ-02", GCJ02), ("gcj_02", GCJ02), ("Gcj-02", GCJ02),
    ("bd09", BD09), ("BD09", BD09), ("BD-09", BD09), ("bd09ll", BD09), ("BD09LL", BD09),
    ("bd-09ll", BD09),
    ("", WGS84), ("   ", WGS84), (None, WGS84),  # not given: the default
    (GCJ02, GCJ02), (BD09, BD09),
])
def test_accepted_spellings(raw, expected):
    assert parse_coordinate_system(raw) is expected


@pytest.mark.parametrize("raw", ["wgs", "gcj", "gcj2", "bd", "bd09mc", "epsg:3857", "84",
                                 "火星", "mars", "baidu", "gps", "x" * 100, "wgs84;drop"])
def test_other_values_are_refused_naming_the_allowed_ones(raw):
    with pytest.raises(ValidationError) as refused:
        parse_coordinate_system(raw)
    [message] = refused.value.message_dict["coordinate_system"]
    assert "wgs84" in message and "gcj02" in message and "bd09" in message
    assert raw[:20] in message  # what was sent, cut to 20 characters
    assert raw[:21] not in message or len(raw) <= 20
    with pytest.raises(ValidationError):
        to_wgs84(120.82, 31.92, raw)

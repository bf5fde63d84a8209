"""A published point in three coordinate systems and two test grids around it, for the
tests that send a point in GCJ-02 or BD-09 through every intake channel; and a distance."""

from __future__ import annotations

import math
from dataclasses import dataclass

from civicgrid.areas.models import Area


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lng, lat) points (mean earth radius)."""
    (lng1, lat1), (lng2, lat2) = a, b
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    h = (math.sin((phi2 - phi1) / 2) ** 2
         + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2)
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


# Nantong's centre (lng, lat) in WGS 84, GCJ-02 and BD-09, copied by hand from gcoord's test
# fixture (hujiulong/gcoord, test/fixtures/china-cities.json, MIT): the same place as a GPS
# receiver, Amap/WeChat and Baidu give it. It lies in the test world's street A
# (civicgrid/conftest.py: 120.80–120.90, 31.90–32.00), north of its two grids.
WGS84 = (120.8900776, 31.9823396)
GCJ02 = (120.8943001, 31.980175)
BD09 = (120.9008917, 31.9858283)


def rectangle(west: float, south: float, east: float, north: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north],
                                                [west, north], [west, south]]]}


@dataclass
class StationGrids:
    """Two grids of the test world's community A, side by side: `home` holds the WGS 84
    point (230 m from its east edge, 600 m or more from the others), `east` holds the
    GCJ-02 point, that is where a GCJ-02 point lands when it is taken for WGS 84. The
    BD-09 point is in no grid at all (east of street A)."""

    home: Area
    east: Area


def station_grids(world) -> StationGrids:
    from civicgrid.conftest import make_area

    home = make_area("320602001001003", "南通站前网格", world.community_a,
                     rectangle(120.886, 31.976, 120.8925, 31.988))
    east = make_area("320602001001004", "南通站东网格", world.community_a,
                     rectangle(120.8925, 31.976, 120.899, 31.988))
    return StationGrids(home, east)

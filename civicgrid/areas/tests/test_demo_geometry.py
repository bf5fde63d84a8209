"""Tests of the synthetic demo district (civicgrid.areas.demo_geometry): plain pytest, no DB.

The checks are written as helpers returning a list of problems, so the same helpers are also
run on deliberately corrupted data below to show that they do catch what they look for.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from collections import Counter, defaultdict

import pytest
from shapely.geometry import shape
from shapely.ops import unary_union
from shapely.strtree import STRtree

from civicgrid.areas.demo_geometry import (
    COUNTY_CODE,
    LAT_NORTH,
    ROW_HEIGHT,
    DemoArea,
    bbox,
    build_demo_district,
    to_feature_collection,
)

LEVELS = ["province", "city", "county", "street", "community", "grid"]
CODE_LENGTH = dict(zip(LEVELS, [2, 4, 6, 9, 12, 15], strict=True))
URBAN_RURAL = {"111", "112", "121", "122", "123", "210", "220"}
SYMDIFF_TOL = 1e-12  # deg²
OVERLAP_TOL = 1e-12  # deg²
AREA_REL_TOL = 1e-9


# ------------------------------------------------------------------------------------------
# fixtures
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def areas() -> list[DemoArea]:
    return build_demo_district()


@pytest.fixture(scope="module")
def shapes(areas):
    return {a.code: shape(a.boundary) for a in areas if a.boundary is not None}


@pytest.fixture(scope="module")
def children(areas):
    out: dict[str, list[DemoArea]] = defaultdict(list)
    for a in areas:
        if a.parent_code is not None:
            out[a.parent_code].append(a)
    return out


# ------------------------------------------------------------------------------------------
# checkers (return lists of problems)
# ------------------------------------------------------------------------------------------


def tiling_problems(parent, kids: list) -> list[str]:
    """Children must exactly cover the parent: no gap, no overlap."""
    problems = []
    union = unary_union(kids)
    sym = union.symmetric_difference(parent).area
    if sym >= SYMDIFF_TOL:
        problems.append(f"union differs from parent by {sym:.3e} deg²")
    total = math.fsum(k.area for k in kids)
    if abs(total - parent.area) > AREA_REL_TOL * parent.area:
        problems.append(f"child areas sum to {total!r}, parent has {parent.area!r}")
    tree = STRtree(kids)
    left, right = tree.query(kids, predicate="intersects")
    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        if a < b:
            overlap = kids[a].intersection(kids[b]).area
            if overlap > OVERLAP_TOL:
                problems.append(f"children {a} and {b} overlap by {overlap:.3e} deg²")
    return problems


def code_problems(areas: list[DemoArea]) -> list[str]:
    problems = []
    by_code = {}
    for a in areas:
        if a.code in by_code:
            problems.append(f"duplicate code {a.code}")
        by_code[a.code] = a
        if not a.code.isdigit() or not a.code.isascii():
            problems.append(f"{a.code}: not digits")
        if len(a.code) != CODE_LENGTH[a.level]:
            problems.append(f"{a.code}: length {len(a.code)} for level {a.level}")
    for a in areas:
        if a.level == "province":
            if a.parent_code is not None:
                problems.append(f"{a.code}: province has a parent")
            continue
        parent = by_code.get(a.parent_code)
        if parent is None:
            problems.append(f"{a.code}: missing parent {a.parent_code}")
            continue
        if not a.code.startswith(parent.code):
            problems.append(f"{a.code}: does not start with parent code {parent.code}")
        if LEVELS.index(parent.level) != LEVELS.index(a.level) - 1:
            problems.append(f"{a.code}: parent level {parent.level}")
        block = int(a.code[len(parent.code) :])
        if a.level == "street":
            if a.name.endswith("街道") and not 1 <= block <= 99:
                problems.append(f"{a.code} {a.name}: 街道 outside 001–099")
            elif a.name.endswith("镇") and not 100 <= block <= 199:
                problems.append(f"{a.code} {a.name}: 镇 outside 100–199")
            elif not a.name.endswith(("街道", "镇")):
                problems.append(f"{a.code} {a.name}: neither 街道 nor 镇")
        elif a.level == "community":
            if a.name.endswith(("社区", "居委会")) and not 1 <= block <= 199:
                problems.append(f"{a.code} {a.name}: 社区 outside 001–199")
            elif a.name.endswith(("村", "村委会")) and not 200 <= block <= 399:
                problems.append(f"{a.code} {a.name}: 村 outside 200–399")
            elif not a.name.endswith(("社区", "居委会", "村", "村委会")):
                problems.append(f"{a.code} {a.name}: neither 社区 nor 村")
    return problems


def order_key(geom) -> tuple[int, float]:
    """North→south in ROW_HEIGHT bands, then west→east, by centroid."""
    c = geom.centroid
    return (math.floor((LAT_NORTH - c.y) / ROW_HEIGHT), c.x)


def grid_order_problems(community: DemoArea, grids: list[DemoArea]) -> list[str]:
    grids = sorted(grids, key=lambda g: g.code)
    problems = []
    seqs = [int(g.code[12:]) for g in grids]
    if seqs != list(range(1, len(grids) + 1)):
        problems.append(f"{community.code}: grid sequence {seqs}")
    keys = [order_key(shape(g.boundary)) for g in grids]
    for n in range(1, len(grids)):
        if not keys[n - 1] < keys[n]:
            problems.append(
                f"{grids[n - 1].code} {keys[n - 1]} is not north/west of {grids[n].code} {keys[n]}"
            )
    for n, g in enumerate(grids, start=1):
        if g.name != f"{community.name}第{n}网格":
            problems.append(f"{g.code}: name {g.name!r}")
    return problems


def _signed_area(ring) -> float:
    return 0.5 * math.fsum(
        x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False)
    )


def geojson_problems(boundary: dict) -> list[str]:
    problems = []
    if boundary.get("type") == "Polygon":
        polys = [boundary["coordinates"]]
    elif boundary.get("type") == "MultiPolygon":
        polys = boundary["coordinates"]
    else:
        return [f"bad type {boundary.get('type')}"]
    for poly in polys:
        for idx, ring in enumerate(poly):
            if len(ring) < 4 or ring[0] != ring[-1]:
                problems.append("ring not closed or too short")
                continue
            if any(len(p) != 2 or round(p[0], 6) != p[0] or round(p[1], 6) != p[1] for p in ring):
                problems.append("position is not a [lng, lat] pair rounded to 6 decimals")
            area = _signed_area(ring)
            if idx == 0 and area <= 0:
                problems.append("exterior ring is not counter-clockwise")
            if idx > 0 and area >= 0:
                problems.append("hole is not clockwise")
    if not shape(boundary).is_valid:
        problems.append("invalid geometry")
    return problems


# ------------------------------------------------------------------------------------------
# counts, structure, codes
# ------------------------------------------------------------------------------------------


def test_counts(areas, children):
    levels = Counter(a.level for a in areas)
    assert levels["province"] == levels["city"] == levels["county"] == 1
    assert levels["street"] >= 9
    assert levels["community"] >= 66
    assert levels["grid"] >= 620
    per_community = [len(children[a.code]) for a in areas if a.level == "community"]
    assert min(per_community) >= 4
    assert max(per_community) <= 16
    assert len(set(per_community)) >= 5, "grid counts per community should vary"
    per_street = [len(children[a.code]) for a in areas if a.level == "street"]
    assert min(per_street) >= 5
    assert len(set(per_street)) >= 3, "community counts per street should vary"


def test_fixed_top_of_the_hierarchy(areas):
    province, city, county = areas[:3]
    assert (province.code, province.name, province.level) == ("32", "江苏省", "province")
    assert (city.code, city.name, city.parent_code) == ("3206", "南通市", "32")
    assert (county.code, county.name, county.parent_code) == (COUNTY_CODE, "崇川区", "3206")
    assert county.code == "320602"
    assert province.boundary is None and city.boundary is None
    assert county.boundary is not None
    assert all(a.boundary is not None for a in areas[3:])
    for a in areas:
        if a.level in ("province", "city", "county"):
            assert a.urban_rural_class == ""
        else:
            assert a.urban_rural_class in URBAN_RURAL, a


def test_order_parents_first_sorted_by_code(areas):
    ranks = [LEVELS.index(a.level) for a in areas]
    assert ranks == sorted(ranks)
    for level in LEVELS:
        codes = [a.code for a in areas if a.level == level]
        assert codes == sorted(codes)


def test_codes(areas):
    assert code_problems(areas) == []


def test_streets_and_towns(areas, children):
    streets = [a for a in areas if a.level == "street"]
    names = {s.name for s in streets}
    real = {"城东街道", "和平桥街道", "任港街道", "新城桥街道", "虹桥街道", "学田街道",
            "钟秀街道", "文峰街道", "观音山街道", "狼山镇街道", "幸福街道", "唐闸镇街道"}
    assert real <= names
    assert len(names) == len(streets)
    towns = [s for s in streets if s.name.endswith("镇")]
    assert towns, "at least one 镇"
    for town in towns:
        assert 100 <= int(town.code[6:]) <= 199
        kids = children[town.code]
        villages = [c for c in kids if c.name.endswith("村")]
        assert villages and len(villages) < len(kids), "a town has villages and 社区"
        assert {v.urban_rural_class for v in villages} <= {"210", "220"}
        assert "121" in {c.urban_rural_class for c in kids if c.name.endswith("社区")}
    for s in streets:
        assert s.urban_rural_class in {"111", "112", "121"}
        for c in children[s.code]:
            if c.name.endswith("村"):
                assert c.urban_rural_class in {"210", "220"}
            elif s.urban_rural_class == "111":
                assert c.urban_rural_class == "111"
            for g in children[c.code]:
                assert g.urban_rural_class == c.urban_rural_class
    classes = {a.urban_rural_class for a in areas if a.level == "community"}
    assert {"111", "112", "121", "220"} <= classes


def test_names_unique_within_street(areas, children):
    for s in (a for a in areas if a.level == "street"):
        names = [c.name for c in children[s.code]]
        assert len(names) == len(set(names)), s.name
        assert all(len(n) >= 3 for n in names)


def test_grid_numbering_north_to_south_then_west_to_east(areas, children):
    problems = []
    for c in (a for a in areas if a.level == "community"):
        problems += grid_order_problems(c, children[c.code])
    assert problems == []


# ------------------------------------------------------------------------------------------
# geometry
# ------------------------------------------------------------------------------------------


def test_geojson_rings_closed_oriented_and_valid(areas):
    problems = []
    for a in areas:
        if a.boundary is not None:
            problems += [f"{a.code}: {p}" for p in geojson_problems(a.boundary)]
    assert problems == []


@pytest.mark.parametrize("level", ["street", "community", "grid"])
def test_children_tile_their_parent(areas, shapes, children, level):
    problems = []
    parents = [a for a in areas if LEVELS.index(a.level) == LEVELS.index(level) - 1]
    for p in parents:
        kids = [shapes[k.code] for k in children[p.code]]
        assert kids, p.code
        problems += [f"{p.code}: {msg}" for msg in tiling_problems(shapes[p.code], kids)]
    assert problems == []


def test_location_and_bbox(areas, shapes):
    minx, miny, maxx, maxy = bbox(areas)
    assert 120.70 < minx < 120.85 and 120.93 < maxx < 121.05
    assert 31.85 < miny < 31.97 and 32.05 < maxy < 32.15
    county = shapes[COUNTY_CODE]
    assert county.bounds == pytest.approx((minx, miny, maxx, maxy), abs=1e-9)
    assert county.geom_type == "Polygon"
    # the old city (濠河, ~120.87E 32.01N) lies in a 111 street
    from shapely.geometry import Point

    centre = Point(120.872, 32.008)
    hits = [a for a in areas if a.level == "street" and shapes[a.code].contains(centre)]
    assert len(hits) == 1 and hits[0].urban_rural_class == "111"


def test_grid_sizes_vary(areas, shapes):
    grid_areas = sorted(shapes[a.code].area for a in areas if a.level == "grid")
    assert grid_areas[0] > 0
    assert grid_areas[-1] / grid_areas[0] > 4


# ------------------------------------------------------------------------------------------
# population and households
# ------------------------------------------------------------------------------------------


def test_population_and_households(areas, children):
    for a in areas:
        if a.level == "grid":
            assert 250 <= a.households <= 650, a
            assert a.households * 2.4 - 0.5 <= a.population <= a.households * 2.9 + 0.5, a
        else:
            kids = children[a.code]
            assert kids, a.code
            assert a.households == sum(k.households for k in kids), a.code
            assert a.population == sum(k.population for k in kids), a.code
    hh = [a.households for a in areas if a.level == "grid"]
    assert len(set(hh)) > len(hh) // 4


# ------------------------------------------------------------------------------------------
# determinism, export
# ------------------------------------------------------------------------------------------


def test_deterministic(areas):
    again = build_demo_district(2026)
    assert again == areas
    assert json.dumps(to_feature_collection(again)) == json.dumps(to_feature_collection(areas))
    assert build_demo_district() == areas  # 2026 is the default seed


def test_other_seed_changes_geometry(areas):
    other = build_demo_district(7)
    assert code_problems(other) == []
    mine = {a.code: a.boundary for a in areas if a.level == "grid"}
    theirs = {a.code: a.boundary for a in other if a.level == "grid"}
    shared = mine.keys() & theirs.keys()
    assert mine != theirs
    assert sum(mine[c] != theirs[c] for c in shared) > len(shared) // 2


def test_feature_collection(areas):
    fc = to_feature_collection(areas)
    assert fc["type"] == "FeatureCollection"
    assert len(fc["features"]) == len(areas)
    json.dumps(fc, ensure_ascii=False)
    for feature, a in zip(fc["features"], areas, strict=True):
        assert feature["type"] == "Feature"
        assert feature["geometry"] == a.boundary
        assert feature["properties"] == {
            "code": a.code,
            "name": a.name,
            "level": a.level,
            "parent_code": a.parent_code,
            "urban_rural_class": a.urban_rural_class,
            "population": a.population,
            "households": a.households,
        }
    assert fc["features"][0]["geometry"] is None


def test_bbox_only_uses_grids(areas):
    grids = [a for a in areas if a.level == "grid"]
    assert bbox(areas) == bbox(grids)
    assert bbox(grids[:1]) == shape(grids[0].boundary).bounds
    with pytest.raises(ValueError):
        bbox(areas[:3])


# ------------------------------------------------------------------------------------------
# the checkers catch broken data
# ------------------------------------------------------------------------------------------


def _first_community(areas, shapes, children):
    c = next(a for a in areas if a.level == "community")
    return c, [shapes[g.code] for g in children[c.code]]


def test_tiling_checker_detects_overlap_and_gap(areas, shapes, children):
    from shapely import affinity

    c, kids = _first_community(areas, shapes, children)
    assert tiling_problems(shapes[c.code], kids) == []
    shifted = [affinity.translate(kids[0], xoff=1e-4)] + kids[1:]
    assert tiling_problems(shapes[c.code], shifted)
    assert tiling_problems(shapes[c.code], kids[1:])  # a gap
    assert tiling_problems(shapes[c.code], kids + [kids[0]])  # a duplicate overlaps


def test_code_checker_detects_bad_codes(areas):
    streets = [i for i, a in enumerate(areas) if a.level == "street"]
    town = next(i for i in streets if areas[i].name.endswith("镇"))
    jiedao = next(i for i in streets if areas[i].name.endswith("街道"))
    grid = next(i for i, a in enumerate(areas) if a.level == "grid")
    village = next(i for i, a in enumerate(areas) if a.name.endswith("村"))
    cases = {
        jiedao: {"name": areas[town].name},  # a 镇 name on a 001–099 code
        town: {"name": areas[jiedao].name + "x街道"},  # a 街道 name on a 1xx code
        village: {"name": areas[village].name[:-1] + "社区"},  # a 社区 on a 2xx code
        grid: {"code": "999999999999001"},  # wrong prefix
    }
    for idx, change in cases.items():
        broken = list(areas)
        broken[idx] = dataclasses.replace(areas[idx], **change)
        assert code_problems(broken), change
    assert code_problems(areas + [areas[-1]])  # duplicate
    assert code_problems([dataclasses.replace(areas[0], code="3A")] + areas[1:])


def test_order_checker_detects_misnumbered_grids(areas, children):
    c = next(a for a in areas if a.level == "community")
    grids = sorted(children[c.code], key=lambda g: g.code)
    assert grid_order_problems(c, grids) == []
    swapped = list(grids)
    swapped[0] = dataclasses.replace(grids[0], boundary=grids[-1].boundary)
    swapped[-1] = dataclasses.replace(grids[-1], boundary=grids[0].boundary)
    assert grid_order_problems(c, swapped)
    gap = grids[:1] + [dataclasses.replace(g, code=g.code[:12] + f"{int(g.code[12:]) + 1:03d}")
                       for g in grids[1:]]
    assert grid_order_problems(c, gap)


def test_geojson_checker_detects_bad_rings(areas):
    boundary = next(a.boundary for a in areas if a.level == "grid")
    assert geojson_problems(boundary) == []
    reversed_ring = copy.deepcopy(boundary)
    reversed_ring["coordinates"][0].reverse()
    assert geojson_problems(reversed_ring)
    unclosed = copy.deepcopy(boundary)
    unclosed["coordinates"][0].pop()
    assert geojson_problems(unclosed)
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    assert geojson_problems(bowtie)

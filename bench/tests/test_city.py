"""The benchmark's synthetic city and case timeline: deterministic, and a true tiling."""

import numpy as np
import pytest
import shapely

from bench.city import CITY_BOX, CITY_CODE, city_plan, tile
from bench.load import Stage, Timeline


@pytest.fixture(scope="module")
def plan():
    return city_plan(grids=300, seed=7)


def test_the_plan_is_deterministic(plan):
    again = city_plan(grids=300, seed=7)
    assert [(a.code, a.name, a.box) for a in again.areas] == \
        [(a.code, a.name, a.box) for a in plan.areas]
    other = city_plan(grids=300, seed=8)
    assert [a.box for a in other.grids] != [a.box for a in plan.grids]


def test_codes_nest_and_have_the_lengths_of_their_levels(plan):
    lengths = {"province": 2, "city": 4, "county": 6, "street": 9, "community": 12, "grid": 15}
    codes = {a.code for a in plan.areas}
    assert len(plan.grids) == 300 and len(codes) == len(plan.areas)
    for area in plan.areas:
        assert len(area.code) == lengths[area.level] and area.code.isdigit()
        if area.parent_code:
            assert area.code.startswith(area.parent_code) and area.parent_code in codes
    assert all(a.code.startswith(CITY_CODE) for a in plan.areas if a.level != "province")


def test_children_tile_their_parent_exactly(plan):
    boxes = {a.code: a.box for a in plan.areas if a.box}
    for parent in [a for a in plan.areas if a.level in ("city", "county", "street",
                                                        "community")]:
        children = [shapely.box(*a.box) for a in plan.areas if a.parent_code == parent.code]
        union = shapely.union_all(children)
        assert union.equals(shapely.box(*boxes[parent.code])), parent.code
        assert sum(c.area for c in children) == pytest.approx(union.area)


def test_tile_orders_rows_north_to_south_and_west_to_east():
    pieces = tile((0.0, 0.0, 4.0, 2.0), [1.0] * 8)
    assert len(pieces) == 8
    keys = [(-round(n, 6), round(w, 6)) for w, _s, _e, n in pieces]
    assert keys == sorted(keys)


def test_every_point_of_the_city_is_in_exactly_one_grid(plan):
    rng = np.random.default_rng(1)
    west, south, east, north = CITY_BOX
    points = shapely.points(rng.uniform(west, east, 2000), rng.uniform(south, north, 2000))
    grids = shapely.STRtree([shapely.box(*g.box) for g in plan.grids])
    hits, _tree = grids.query(points, predicate="within")
    assert np.bincount(hits, minlength=len(points)).tolist() == [1] * len(points)


def test_the_timeline_rises_and_the_stages_nest():
    from datetime import UTC, datetime

    timeline = Timeline.build(anchor=datetime(2026, 11, 30, tzinfo=UTC), total=10_000)
    times = timeline.times(np.arange(10_000))
    assert (np.diff(times) >= 0).all()
    assert timeline.start <= times[0] and times[-1] <= timeline.end
    idx = np.arange(10_000)
    first = Stage(size=1_000, previous=0, total=10_000, first=1_000).select(idx)
    second = Stage(size=10_000, previous=1_000, total=10_000, first=1_000).select(idx)
    assert first.sum() == 1_000 and second.sum() == 9_000 and not (first & second).any()
    assert timeline.index_at(times[5_000]) == 5_000

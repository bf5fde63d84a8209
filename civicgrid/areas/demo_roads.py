"""A road network for the demo district (a GeoJSON FeatureCollection, as an administrator
would import it): the demo's roads run along lattice lines of its geometry
(areas/demo_geometry.py), so they follow the edges of its grids, as real grids follow
streets. Every 12th lattice line is a major road, every 4th a minor one, the lines between
them lanes. Plain data, like demo_geometry: `manage.py import_roads --demo` imports it.
"""

from __future__ import annotations

import random
from typing import Any

from civicgrid.areas.demo_geometry import (
    DEFAULT_SEED,
    LATTICE_COLS,
    LATTICE_ROWS,
    _district_cells,
    _lattice_vertices,
)

MAJOR_EVERY, MINOR_EVERY, LANE_EVERY = 12, 4, 2
EAST_WEST = ["人民路", "青年路", "工农路", "城山路", "钟秀路", "濠河路", "跃龙路", "文峰路",
             "永兴路", "虹桥路", "北濠路", "学田路", "任港路", "崇川路", "世纪大道", "长江路"]
NORTH_SOUTH = ["通京大道", "园林路", "南大街", "北大街", "环城西路", "环城东路", "桃坞路",
               "孩儿巷路", "易家桥路", "观音山路", "幸福路", "秦灶路", "星湖大道", "江海大道",
               "唐闸路", "港闸路", "海港路", "陈桥路"]
LANE_SUFFIX = "巷"


def _kind(index: int) -> str | None:
    if index % MAJOR_EVERY == 0:
        return "major"
    if index % MINOR_EVERY == 0:
        return "minor"
    if index % LANE_EVERY == 0:
        return "lane"
    return None


def build_demo_roads(seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """The demo's roads: runs of lattice edges that border the district's cells."""
    rng = random.Random(seed)  # noqa: S311 - the same draws as build_demo_district
    verts = _lattice_vertices(rng)
    active = _district_cells(rng)
    features: list[dict[str, Any]] = []
    counters = {"ew": 0, "ns": 0, "lane": 0}

    def name_for(kind: str, east_west: bool) -> str:
        if kind == "lane":
            counters["lane"] += 1
            n = counters["lane"]
            return f"{EAST_WEST[n % len(EAST_WEST)][:2]}{n}{LANE_SUFFIX}"
        key = "ew" if east_west else "ns"
        names = EAST_WEST if east_west else NORTH_SOUTH
        counters[key] += 1
        return names[(counters[key] - 1) % len(names)]

    def emit(runs: list[list[tuple[float, float]]], kind: str, east_west: bool) -> None:
        name = name_for(kind, east_west)
        for run in runs:
            if len(run) >= 2:
                features.append({"type": "Feature", "properties": {"name": name, "kind": kind},
                                 "geometry": {"type": "LineString",
                                              "coordinates": [list(p) for p in run]}})

    for j in range(1, LATTICE_ROWS):  # east-west lines between rows j-1 and j
        kind = _kind(j)
        if kind is None:
            continue
        runs: list[list[tuple[float, float]]] = []
        run: list[tuple[float, float]] = []
        for i in range(LATTICE_COLS):
            if (i, j) in active and (i, j - 1) in active:
                if not run:
                    run = [verts[(i, j)]]
                run.append(verts[(i + 1, j)])
            elif run:
                runs.append(run)
                run = []
        if run:
            runs.append(run)
        emit(runs, kind, east_west=True)
    for i in range(1, LATTICE_COLS):  # north-south lines between columns i-1 and i
        kind = _kind(i)
        if kind is None:
            continue
        runs, run = [], []
        for j in range(LATTICE_ROWS):
            if (i, j) in active and (i - 1, j) in active:
                if not run:
                    run = [verts[(i, j)]]
                run.append(verts[(i, j + 1)])
            elif run:
                runs.append(run)
                run = []
        if run:
            runs.append(run)
        emit(runs, kind, east_west=False)
    return {"type": "FeatureCollection", "features": features}

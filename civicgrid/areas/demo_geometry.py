"""A deterministic, synthetic but realistic administrative layout of one urban district.

The layout is modelled on 崇川区 (Nantong, Jiangsu): province 江苏省 (32) → city 南通市 (3206) →
county 崇川区 (320602) → streets/towns → communities/villages → grids.  It is plain data, with
no Django imports, so seeding commands, fixtures and tests can all use it.

How it is built (everything driven by one ``random.Random(seed)``):

1. A lattice of ``LATTICE_COLS`` x ``LATTICE_ROWS`` quads covers the bounding box.  Every lattice
   vertex is moved by a gentle smooth warp plus a random jitter (< 30% of a cell) and rounded to
   6 decimals; neighbouring quads share the very same vertex tuples, so unions are exact.
2. A blob-shaped district outline (with a straight-ish south-western edge along the Yangtze)
   selects the active quads; the selection is made 4-connected, hole-free and pinch-free.
3. Streets grow from anchors placed near the real streets' locations, communities grow inside
   each street and grids inside each community, by seeded, balanced region growing on the quad
   adjacency graph with a smooth noise field, so every block is contiguous and organic.
4. Each grid's polygon is the union of its quads; each parent's polygon is the union of its
   children.  Because vertices are shared exactly, children tile their parent with no gap and no
   overlap.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter

from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient
from shapely.ops import unary_union

__all__ = [
    "CELL_HEIGHT",
    "CELL_WIDTH",
    "COUNTY_CODE",
    "DEFAULT_SEED",
    "LAT_NORTH",
    "LAT_SOUTH",
    "LNG_EAST",
    "LNG_WEST",
    "ROW_HEIGHT",
    "DemoArea",
    "bbox",
    "build_demo_district",
    "grid_order_key",
    "to_feature_collection",
]

DEFAULT_SEED = 2026

PROVINCE_CODE, PROVINCE_NAME = "32", "江苏省"
CITY_CODE, CITY_NAME = "3206", "南通市"
COUNTY_CODE, COUNTY_NAME = "320602", "崇川区"

# Nominal (un-jittered) lattice extent, WGS84 degrees.
LNG_WEST, LNG_EAST = 120.80, 120.98
LAT_SOUTH, LAT_NORTH = 31.93, 32.08
LATTICE_COLS, LATTICE_ROWS = 72, 60
CELL_WIDTH = (LNG_EAST - LNG_WEST) / LATTICE_COLS  # 0.0025° ≈ 236 m
CELL_HEIGHT = (LAT_NORTH - LAT_SOUTH) / LATTICE_ROWS  # 0.0025° ≈ 277 m
# Height of the latitude bands used to number grids north→south, then west→east.
ROW_HEIGHT = CELL_HEIGHT
COORD_DECIMALS = 6

JITTER = 0.28  # fraction of a cell; < 0.3 keeps every quad simple
WARP = 1.2  # amplitude of the smooth lattice warp, in cells

Cell = tuple[int, int]  # (column i west→east, row j north→south)


@dataclass(frozen=True)
class DemoArea:
    code: str
    name: str
    level: str  # "province" | "city" | "county" | "street" | "community" | "grid"
    parent_code: str | None
    urban_rural_class: str  # "111" … "220"; "" for province/city/county
    population: int
    households: int
    boundary: dict | None  # GeoJSON Polygon/MultiPolygon, [lng, lat]; None for province/city


# --------------------------------------------------------------------------------------------
# Streets: (name, kind, approximate real location).  kind: "central" → 111, "outer" → 112,
# "town" → 121.  街道 get codes 001… in this order, 镇 get 100….
# --------------------------------------------------------------------------------------------
_STREETS: tuple[tuple[str, str, float, float], ...] = (
    ("城东街道", "central", 120.900, 32.012),
    ("和平桥街道", "central", 120.872, 32.004),
    ("任港街道", "central", 120.843, 32.012),
    ("新城桥街道", "central", 120.868, 31.985),
    ("虹桥街道", "central", 120.850, 32.032),
    ("学田街道", "central", 120.886, 32.030),
    ("钟秀街道", "central", 120.870, 32.046),
    ("文峰街道", "central", 120.898, 31.988),
    ("观音山街道", "outer", 120.948, 31.978),
    ("狼山镇街道", "outer", 120.880, 31.955),
    ("幸福街道", "outer", 120.960, 32.020),
    ("唐闸镇街道", "outer", 120.828, 32.054),
    ("天生港镇街道", "outer", 120.813, 32.018),
    ("秦灶街道", "outer", 120.902, 32.064),
    ("永兴街道", "outer", 120.865, 32.070),
    ("陈桥镇", "town", 120.952, 32.060),
)
_CITY_CENTRE = (120.872, 32.010)  # 濠河 ring

_STREET_WEIGHT = {"central": 0.75, "outer": 1.25, "town": 1.8}
_COMMUNITIES_PER_STREET = {"central": (6, 8), "outer": (7, 9), "town": (9, 11)}
_CELLS_PER_GRID = {"central": 1.9, "outer": 3.4, "town-community": 3.0, "village": 7.0}

_COMMUNITY_NAMES = (
    "桃坞", "濠西", "五一", "八仙城", "青年", "北濠桥", "城中", "西南营", "环西",
    "启秀", "南川", "中南", "濠南", "盘香", "寺街", "掌印巷", "公园", "三里墩",
    "城南", "文化", "体育", "西被闸", "易家桥", "海港", "长桥", "人民", "光明",
    "曙光", "东港", "大生", "园林", "西园", "新桥", "八里庙", "天宁", "田家巷",
    "如意", "通江", "龙王桥", "青龙", "芦泾", "姚港", "华兴", "友谊", "紫薇",
    "锦绣", "金桥", "通京", "孩儿巷", "虹西", "虹北", "果园", "洪江", "江海",
    "星湖", "濠东", "濠北", "望江", "胜利", "建设", "跃龙", "桂花", "城山",
    "长江", "东方", "花园", "新景", "南郊", "怡园", "景瑞", "春晖", "崇文",
    "永和", "德民", "育才", "工农", "钟楼", "中桥", "西寺", "中市", "兴隆",
    "北市", "河东", "河西", "复兴", "友爱", "文昌", "福星", "康乐", "安居",
    "秀水", "芳园", "兰亭", "翠竹", "白雀", "沿河", "晨阳", "陆洪闸", "北城",
    "南大街", "北大街", "东大街", "模范", "青园", "濠阳", "五山", "滨江", "军山",
    "剑山", "黄泥山", "马鞍山", "新城", "永平", "德胜", "秀江", "天星", "长泰",
    "和兴", "裕民",
)
_VILLAGE_NAMES = (
    "五星", "十里坊", "园艺", "姜灶", "顾庄", "张港", "施家店", "陈家桥", "永安",
    "太平", "新河", "三官殿", "朱家园", "钱家灶", "沙家港", "孙窑", "季家湾",
    "刘桥", "长胜", "联合", "红星", "东风", "前进", "光辉", "新华", "曹公祠",
    "油榨", "严家园", "南川河", "芦荡", "季庄", "徐家庄", "王家洼", "宋桥",
    "黄家湾", "倪家港", "邱家庄", "闸东", "汤家园", "杨家港", "观河", "幸余",
    "石桥", "孟家园", "戴家埭", "瞿家桥",
)
_NAME_PREFIX = "金银新华兴永福康和安丰乐锦绣翠碧秀春晨瑞嘉祥泰盛"
_NAME_SUFFIX = "园苑城湾港桥庄里河泽岸坊"


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------


def _neighbours(c: Cell) -> tuple[Cell, Cell, Cell, Cell]:
    i, j = c
    return ((i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1))


def _make_field(rng: random.Random, scale: float, waves: int = 4) -> Callable[[Cell], float]:
    """A smooth random field in [-1, 1] over lattice cells (sum of plane waves)."""
    params = []
    for _ in range(waves):
        angle = rng.uniform(0.0, 2 * math.pi)
        freq = 2 * math.pi / (scale * rng.uniform(0.6, 1.6))
        params.append((freq * math.cos(angle), freq * math.sin(angle), rng.uniform(0, 2 * math.pi)))

    def field(c: Cell) -> float:
        i, j = c
        return sum(math.sin(a * i + b * j + p) for a, b, p in params) / len(params)

    return field


def _lattice_vertices(rng: random.Random) -> dict[Cell, tuple[float, float]]:
    """Warped and jittered lattice vertices, rounded; (i, j) with j counted from the north."""
    w = [(rng.uniform(18, 36), rng.uniform(0, 2 * math.pi)) for _ in range(4)]
    verts: dict[Cell, tuple[float, float]] = {}
    for j in range(LATTICE_ROWS + 1):
        for i in range(LATTICE_COLS + 1):
            # smooth warp (in cells): columns meander with j, rows meander with i
            du = WARP * 0.6 * math.sin(2 * math.pi * j / w[0][0] + w[0][1]) + WARP * 0.4 * math.sin(
                2 * math.pi * (i + j) / w[1][0] + w[1][1]
            )
            dv = WARP * 0.6 * math.sin(2 * math.pi * i / w[2][0] + w[2][1]) + WARP * 0.4 * math.sin(
                2 * math.pi * (i - j) / w[3][0] + w[3][1]
            )
            du += rng.uniform(-JITTER, JITTER)
            dv += rng.uniform(-JITTER, JITTER)
            lng = LNG_WEST + (i + du) * CELL_WIDTH
            lat = LAT_NORTH - (j + dv) * CELL_HEIGHT
            verts[(i, j)] = (round(lng, COORD_DECIMALS), round(lat, COORD_DECIMALS))
    return verts


def _cell_of(lng: float, lat: float) -> Cell:
    return (int((lng - LNG_WEST) / CELL_WIDTH), int((LAT_NORTH - lat) / CELL_HEIGHT))


def _components(cells: set[Cell]) -> list[set[Cell]]:
    seen: set[Cell] = set()
    out = []
    for start in sorted(cells):
        if start in seen:
            continue
        comp = {start}
        stack = [start]
        seen.add(start)
        while stack:
            for n in _neighbours(stack.pop()):
                if n in cells and n not in seen:
                    seen.add(n)
                    comp.add(n)
                    stack.append(n)
        out.append(comp)
    return out


def _district_cells(rng: random.Random) -> set[Cell]:
    """Active lattice cells: a wobbly blob with a flattened south-western river edge."""
    cx, cy = (LATTICE_COLS - 1) / 2, (LATTICE_ROWS - 1) / 2
    rx, ry = LATTICE_COLS / 2 * 0.98, LATTICE_ROWS / 2 * 0.98
    harmonics = [(k, rng.uniform(0.04, 0.11), rng.uniform(0, 2 * math.pi)) for k in range(2, 7)]
    river_phase = rng.uniform(0, 2 * math.pi)
    cells: set[Cell] = set()
    for j in range(LATTICE_ROWS):
        for i in range(LATTICE_COLS):
            u = (i - cx) / rx
            v = (cy - j) / ry  # north positive
            r = math.hypot(u, v)
            theta = math.atan2(v, u)
            limit = 1.0 + sum(a * math.cos(k * theta + p) for k, a, p in harmonics)
            along = (u - v) / math.sqrt(2)
            river = (-u - v) / math.sqrt(2) - 0.04 * math.sin(5 * along + river_phase)
            if r < limit and river < 0.72:
                cells.add((i, j))
    # largest 4-connected component; then fill holes and diagonal pinches until stable
    cells = max(_components(cells), key=len)
    while True:
        changed = False
        outside = {
            (i, j)
            for i in range(-1, LATTICE_COLS + 1)
            for j in range(-1, LATTICE_ROWS + 1)
            if (i, j) not in cells
        }
        reach: set[Cell] = {(-1, -1)}
        stack = [(-1, -1)]
        while stack:
            for n in _neighbours(stack.pop()):
                if n in outside and n not in reach:
                    reach.add(n)
                    stack.append(n)
        holes = outside - reach
        if holes:
            cells |= holes
            changed = True
        for j in range(LATTICE_ROWS - 1):
            for i in range(LATTICE_COLS - 1):
                a, b = (i, j) in cells, (i + 1, j) in cells
                c, d = (i, j + 1) in cells, (i + 1, j + 1) in cells
                if a and d and not b and not c:
                    cells.add((i + 1, j))
                    changed = True
                elif b and c and not a and not d:
                    cells.add((i, j))
                    changed = True
        if not changed:
            return cells


def _spread_seeds(cells: Sequence[Cell], k: int, rng: random.Random) -> list[Cell]:
    """k well-spread seed cells (randomised farthest-point sampling)."""
    seeds = [cells[rng.randrange(len(cells))]]
    mind = [math.dist(c, seeds[0]) for c in cells]
    while len(seeds) < k:
        top = max(mind)
        candidates = [idx for idx, d in enumerate(mind) if d >= 0.75 * top and d > 0]
        pick = cells[candidates[rng.randrange(len(candidates))]]
        seeds.append(pick)
        mind = [min(m, math.dist(c, pick)) for m, c in zip(mind, cells, strict=True)]
    return seeds


def _grow(
    cells: set[Cell],
    seeds: Sequence[Cell],
    weights: Sequence[float],
    field: Callable[[Cell], float],
    wobble: float,
    balanced: bool = True,
) -> list[list[Cell]]:
    """Region growing from seeds over the 4-adjacency of ``cells``.

    ``balanced``: the region with the smallest size/weight takes its next-nearest cell, so sizes
    follow the weights.  Otherwise a single queue takes the cell with the smallest
    distance/weight overall (a weighted Voronoi diagram grown on the graph), so regions stay
    near their seeds.  Every region stays 4-connected; all cells are assigned (``cells`` must be
    connected).
    """
    k = len(seeds)
    owner: dict[Cell, int] = {}
    heaps: list[list[tuple[float, Cell, int]]] = [[] for _ in range(k)]
    sizes = [0] * k

    def take(r: int, c: Cell) -> None:
        owner[c] = r
        sizes[r] += 1
        h = heaps[r] if balanced else heaps[0]
        for n in _neighbours(c):
            if n in cells and n not in owner:
                score = math.dist(n, seeds[r]) * (1.0 + wobble * field(n))
                heapq.heappush(h, (score if balanced else score / weights[r], n, r))

    for r, s in enumerate(seeds):
        owner[s] = r  # claim all seeds first so no region queues another's seed
    for r, s in enumerate(seeds):
        del owner[s]
        take(r, s)
    remaining = len(cells) - k
    while remaining:
        if balanced:
            best, best_ratio = -1, math.inf
            for r in range(k):
                h = heaps[r]
                while h and h[0][1] in owner:
                    heapq.heappop(h)
                if h and sizes[r] / weights[r] < best_ratio:
                    best, best_ratio = r, sizes[r] / weights[r]
            if best < 0:  # pragma: no cover - cannot happen for a connected cell set
                raise ValueError("cell set is not connected")
            _, c, _ = heapq.heappop(heaps[best])
        else:
            h = heaps[0]
            while h[0][1] in owner:
                heapq.heappop(h)
            _, c, best = heapq.heappop(h)
        take(best, c)
        remaining -= 1
    regions: list[list[Cell]] = [[] for _ in range(k)]
    for c, r in owner.items():
        regions[r].append(c)
    return [sorted(reg) for reg in regions]


def _partition(
    cells: set[Cell], k: int, rng: random.Random, min_size: int, scale: float
) -> list[list[Cell]]:
    """Split a connected cell set into k contiguous, varied blocks of >= min_size cells."""
    k = max(1, min(k, len(cells) // min_size))
    ordered = sorted(cells)
    for attempt in range(40):
        kk = k if attempt < 30 else max(1, k - 1 - (attempt - 30) // 3)
        seeds = _spread_seeds(ordered, kk, rng)
        weights = [rng.uniform(0.6, 1.5) for _ in range(kk)]
        regions = _grow(cells, seeds, weights, _make_field(rng, scale), 0.45)
        if min(len(r) for r in regions) >= min_size:
            return regions
    return [ordered]  # pragma: no cover - fallback, never reached with the shipped parameters


def _polygonal(geom: BaseGeometry) -> Polygon | MultiPolygon:
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    raise TypeError(f"unexpected geometry {geom.geom_type}")  # pragma: no cover


def _ring(coords: Iterable[tuple[float, ...]]) -> list[list[float]]:
    return [[round(x, COORD_DECIMALS), round(y, COORD_DECIMALS)] for x, y, *_ in coords]


def _polygon_coords(p: Polygon) -> list[list[list[float]]]:
    p = orient(p, 1.0)  # RFC 7946: exterior counter-clockwise, holes clockwise
    return [_ring(p.exterior.coords)] + [_ring(r.coords) for r in p.interiors]


def _geojson(geom: BaseGeometry) -> dict:
    if isinstance(geom, Polygon):
        return {"type": "Polygon", "coordinates": _polygon_coords(geom)}
    if isinstance(geom, MultiPolygon):
        return {"type": "MultiPolygon", "coordinates": [_polygon_coords(p) for p in geom.geoms]}
    raise TypeError(f"unexpected geometry {geom.geom_type}")  # pragma: no cover


def grid_order_key(centroid_lng: float, centroid_lat: float) -> tuple[int, float]:
    """Sort key numbering grids north→south by ROW_HEIGHT bands, then west→east."""
    return (math.floor((LAT_NORTH - centroid_lat) / ROW_HEIGHT), centroid_lng)


def _order_key(geom: BaseGeometry) -> tuple[int, float]:
    c = geom.centroid
    return grid_order_key(c.x, c.y)


class _Names:
    """Unique names drawn from shuffled lists of real-looking bases, with a syllable fallback."""

    def __init__(self, rng: random.Random, bases: Sequence[str], used: set[str]) -> None:
        self._rng = rng
        self._pool = list(bases)
        rng.shuffle(self._pool)
        self.used = used  # shared between 社区 and 村 names: unique across the district

    def take(self) -> str:
        while self._pool:
            name = self._pool.pop()
            if name not in self.used:
                self.used.add(name)
                return name
        while True:
            name = self._rng.choice(_NAME_PREFIX) + self._rng.choice(_NAME_SUFFIX)
            if name not in self.used:
                self.used.add(name)
                return name


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------


def build_demo_district(seed: int = DEFAULT_SEED) -> list[DemoArea]:
    """Province → city → county → streets → communities → grids; parents first, by code."""
    rng = random.Random(seed)  # noqa: S311 - synthetic demo data, not security
    verts = _lattice_vertices(rng)
    active = _district_cells(rng)

    # ---- streets: grow from anchors near the real locations
    anchors: list[Cell] = []
    for _name, _kind, lng, lat in _STREETS:
        target = _cell_of(lng, lat)
        free = sorted((c for c in active if c not in anchors), key=lambda c: math.dist(c, target))
        anchors.append(free[0])
    street_weights = [_STREET_WEIGHT[kind] * rng.uniform(0.9, 1.15) for _, kind, _, _ in _STREETS]
    street_cells = _grow(
        active, anchors, street_weights, _make_field(rng, 14.0), 0.3, balanced=False
    )

    used_names: set[str] = set()
    community_names = _Names(rng, _COMMUNITY_NAMES, used_names)
    village_names = _Names(rng, _VILLAGE_NAMES, used_names)

    def quad(c: Cell) -> Polygon:
        i, j = c
        return Polygon([verts[(i, j)], verts[(i, j + 1)], verts[(i + 1, j + 1)], verts[(i + 1, j)]])

    streets_out: list[tuple[str, str, str, BaseGeometry, list]] = []
    n_jiedao, n_town = 0, 0
    for (sname, kind, alng, alat), cells in zip(_STREETS, street_cells, strict=True):
        if sname.endswith("街道"):
            n_jiedao += 1
            scode = f"{COUNTY_CODE}{n_jiedao:03d}"
        else:
            scode = f"{COUNTY_CODE}{100 + n_town:03d}"
            n_town += 1
        lo, hi = _COMMUNITIES_PER_STREET[kind]
        blocks = _partition(set(cells), rng.randint(lo, hi), rng, 6, 7.0)

        # decide which blocks are 社区 / 村 and their urban-rural class
        anchor = _cell_of(alng, alat)
        centre = _cell_of(*_CITY_CENTRE)
        info: list[tuple[list[Cell], bool, str, str]] = []  # cells, is_village, class, cpg-kind
        if kind == "central":
            info = [(b, False, "111", "central") for b in blocks]
        elif kind == "outer":
            far = sorted(
                range(len(blocks)),
                key=lambda b: -min(math.dist(c, centre) for c in blocks[b]),
            )
            n_vil = rng.choice((0, 1, 1, 2))
            vil = set(far[:n_vil])
            info = [
                (b, True, "220", "village") if idx in vil else (b, False, "112", "outer")
                for idx, b in enumerate(blocks)
            ]
        else:  # town: the block nearest the town seat is the 镇中心区, 1–2 fringe 社区, rest 村
            near = sorted(
                range(len(blocks)),
                key=lambda b: min(math.dist(c, anchor) for c in blocks[b]),
            )
            fringe = set(near[1 : 1 + rng.choice((1, 2))])
            for idx, b in enumerate(blocks):
                if idx == near[0]:
                    info.append((b, False, "121", "town-community"))
                elif idx in fringe:
                    info.append((b, False, "122", "town-community"))
                else:
                    info.append((b, True, "220", "village"))

        communities = []
        for bcells, is_village, urc, cpg_kind in info:
            n = len(bcells)
            g = round(n / _CELLS_PER_GRID[cpg_kind] * rng.uniform(0.75, 1.3))
            g = max(4, min(16, n, g))
            grid_blocks = _partition(set(bcells), g, rng, 1, 3.0)
            grid_geoms = [
                _polygonal(quad(gb[0]) if len(gb) == 1 else unary_union([quad(c) for c in gb]))
                for gb in grid_blocks
            ]
            grid_geoms.sort(key=_order_key)
            cgeom = _polygonal(unary_union(grid_geoms))
            name = (village_names.take() + "村") if is_village else (
                community_names.take() + "社区"
            )
            communities.append((name, is_village, urc, cgeom, grid_geoms))

        communities.sort(key=lambda t: _order_key(t[3]))
        sgeom = _polygonal(unary_union([t[3] for t in communities]))
        street_class = {"central": "111", "outer": "112", "town": "121"}[kind]
        streets_out.append((scode, sname, street_class, sgeom, communities))

    # ---- assemble records, bottom-up for the sums
    streets_rec: list[DemoArea] = []
    communities_rec: list[DemoArea] = []
    grids_rec: list[DemoArea] = []
    for scode, sname, sclass, sgeom, communities in sorted(streets_out, key=lambda t: t[0]):
        n_res, n_vil = 0, 0
        s_pop = s_hh = 0
        for cname, is_village, urc, cgeom, grid_geoms in communities:
            if is_village:
                ccode = f"{scode}{200 + n_vil:03d}"
                n_vil += 1
            else:
                n_res += 1
                ccode = f"{scode}{n_res:03d}"
            c_pop = c_hh = 0
            for seq, ggeom in enumerate(grid_geoms, start=1):
                if is_village:
                    hh = rng.randint(250, 480)
                elif urc == "111":
                    hh = rng.randint(360, 650)
                else:
                    hh = rng.randint(280, 600)
                pop = round(hh * rng.uniform(2.4, 2.9))
                grids_rec.append(
                    DemoArea(
                        code=f"{ccode}{seq:03d}",
                        name=f"{cname}第{seq}网格",
                        level="grid",
                        parent_code=ccode,
                        urban_rural_class=urc,
                        population=pop,
                        households=hh,
                        boundary=_geojson(ggeom),
                    )
                )
                c_pop += pop
                c_hh += hh
            communities_rec.append(
                DemoArea(ccode, cname, "community", scode, urc, c_pop, c_hh, _geojson(cgeom))
            )
            s_pop += c_pop
            s_hh += c_hh
        streets_rec.append(
            DemoArea(scode, sname, "street", COUNTY_CODE, sclass, s_pop, s_hh, _geojson(sgeom))
        )

    county_geom = _polygonal(unary_union([t[3] for t in streets_out]))
    pop = sum(s.population for s in streets_rec)
    hh = sum(s.households for s in streets_rec)
    head = [
        DemoArea(PROVINCE_CODE, PROVINCE_NAME, "province", None, "", pop, hh, None),
        DemoArea(CITY_CODE, CITY_NAME, "city", PROVINCE_CODE, "", pop, hh, None),
        DemoArea(COUNTY_CODE, COUNTY_NAME, "county", CITY_CODE, "", pop, hh, _geojson(county_geom)),
    ]
    by_code = attrgetter("code")
    return (
        head
        + sorted(streets_rec, key=by_code)
        + sorted(communities_rec, key=by_code)
        + sorted(grids_rec, key=by_code)
    )


def to_feature_collection(areas: Iterable[DemoArea]) -> dict:
    """A GeoJSON FeatureCollection of the areas (geometry null where there is no boundary)."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": a.code,
                "properties": {
                    "code": a.code,
                    "name": a.name,
                    "level": a.level,
                    "parent_code": a.parent_code,
                    "urban_rural_class": a.urban_rural_class,
                    "population": a.population,
                    "households": a.households,
                },
                "geometry": a.boundary,
            }
            for a in areas
        ],
    }


def _iter_positions(geometry: dict) -> Iterable[Sequence[float]]:
    if geometry["type"] == "Polygon":
        polys = [geometry["coordinates"]]
    elif geometry["type"] == "MultiPolygon":
        polys = geometry["coordinates"]
    else:  # pragma: no cover
        raise ValueError(f"unsupported geometry type {geometry['type']}")
    for poly in polys:
        for ring in poly:
            yield from ring


def bbox(areas: Iterable[DemoArea]) -> tuple[float, float, float, float]:
    """(minx, miny, maxx, maxy) over the grid polygons."""
    xs: list[float] = []
    ys: list[float] = []
    for a in areas:
        if a.level == "grid" and a.boundary:
            for x, y, *_ in _iter_positions(a.boundary):
                xs.append(x)
                ys.append(y)
    if not xs:
        raise ValueError("no grid boundaries")
    return (min(xs), min(ys), max(xs), max(ys))

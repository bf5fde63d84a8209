"""A deterministic synthetic city for the benchmark: areas, units and people.

`city_plan(grids=7000, seed=2026)` is plain data: a city (基准市, code 3290, a code GB/T 2260
does not assign) of about 14 districts × 10 streets × 5 communities × 10 grids. The city's
rectangle is cut into districts, each district into streets, each street into communities
and each community into grids, always into rows of rectangles whose areas follow the number
of grids below them, so children tile their parent exactly (they share the same rounded
coordinates) and every point of the city lies in one grid. Codes follow the brief: street
blocks 001–099 街道 and 101– 镇, community blocks 001– 居委会 and 201– 村委会, grids
numbered west→east in rows from north to south. The outer districts are partly rural.

`city_load(plan)` writes it with bulk inserts: the areas with their GeoJSON boundaries and
centroids, units of every kind at city, district, street and community level (the unit
lists of the demo district), and about 9,000 people — a grid worker per grid, a community
mediator and a community committee member per community, per street a supervisor at the
governance centre, two mediators, a police officer and a street office handler, per
district a leader, a supervisor and a handler per district unit — with their roles,
jurisdictions, unit memberships and grid staffing. One password hash is computed once and
shared (hashing 9,000 passwords would take minutes).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

PROVINCE_CODE, PROVINCE_NAME = "32", "江苏省"
CITY_CODE, CITY_NAME = "3290", "基准市"
# west, south, east, north (WGS84): about 57 km × 44 km, a city of 10 million with suburbs.
CITY_BOX = (118.50, 31.80, 119.10, 32.20)
DECIMALS = 6
BENCH_PASSWORD = "Bench-City-2026"  # noqa: S105  (synthetic accounts of a throwaway database)

DISTRICT_NAMES = ("东城区", "西城区", "南湖区", "北山区", "中山区", "江东区", "江北区",
                  "新城区", "高新区", "滨江区", "经开区", "临港区", "东湖区", "西山区")
PLACE_WORDS = ("朝阳", "和平", "建设", "人民", "解放", "新华", "文化", "胜利", "友谊", "光明",
               "幸福", "长江", "黄河", "青年", "东风", "红旗", "前进", "团结", "振兴", "繁荣",
               "阳光", "春晖", "锦绣", "金桥", "银杏", "桃源", "翠竹", "松林", "梅园", "兰亭",
               "枫林", "柳岸", "湖滨", "河畔", "山湾", "清泉", "秀水", "丰收", "太平", "永安")
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"
            "肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红梅志海燕"
         "玲波宁辉鹏飞斌雪琳晨晓春兰凤林峰浩宇欣怡佳俊文博")

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class CityArea:
    code: str
    name: str
    level: str  # province, city, county, street, community, grid
    parent_code: str | None
    box: Box | None
    population: int
    households: int
    urban_rural_class: str = ""

    @property
    def boundary(self) -> dict | None:
        if self.box is None:
            return None
        w, s, e, n = self.box
        return {"type": "Polygon",
                "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}

    @property
    def centroid(self) -> tuple[float | None, float | None]:
        if self.box is None:
            return None, None
        w, s, e, n = self.box
        return round((w + e) / 2, DECIMALS), round((s + n) / 2, DECIMALS)


@dataclass
class CityPlan:
    seed: int
    areas: list[CityArea] = field(default_factory=list)  # parents before children

    def level(self, level: str) -> list[CityArea]:
        return [a for a in self.areas if a.level == level]

    @property
    def districts(self) -> list[CityArea]:
        return self.level("county")

    @property
    def grids(self) -> list[CityArea]:
        return self.level("grid")


# --- the plan (pure data) --------------------------------------------------------------------

def _sizes(total: int, parts: int, rng: random.Random, spread: float = 0.35) -> list[int]:
    """`parts` positive integers summing to `total`, each about total/parts ± spread."""
    if parts < 1 or total < parts:
        raise ValueError(f"cannot split {total} into {parts} non-empty parts")
    weights = [1 + rng.uniform(-spread, spread) for _ in range(parts)]
    scale = (total - parts) / sum(weights)
    raw = [w * scale for w in weights]
    sizes = [1 + int(r) for r in raw]
    # Largest remainders get the rest, so the sizes sum to `total` exactly.
    order = sorted(range(parts), key=lambda i: raw[i] - int(raw[i]), reverse=True)
    for i in order[: total - sum(sizes)]:
        sizes[i] += 1
    return sizes


def _cuts(start: float, end: float, weights: Sequence[float]) -> list[float]:
    """Rounded cut positions from start to end in proportion to weights (both ends exact)."""
    total = sum(weights)
    out, acc = [start], 0.0
    for w in weights[:-1]:
        acc += w
        out.append(round(start + (end - start) * acc / total, DECIMALS))
    out.append(end)
    return out


def tile(box: Box, weights: Sequence[float]) -> list[Box]:
    """Cut `box` into len(weights) rectangles with areas in proportion to the weights: rows
    from north to south, each row cut west to east. Neighbours share exact coordinates, so
    the pieces tile the box with no gap and no overlap; the order is west→east within a row,
    rows north→south."""
    k = len(weights)
    west, south, east, north = box
    width = (east - west) * math.cos(math.radians((south + north) / 2))
    rows = max(1, min(k, round(math.sqrt(k * (north - south) / width))))
    per_row = [k // rows + (1 if r < k % rows else 0) for r in range(rows)]
    groups, i = [], 0
    for n in per_row:
        groups.append(list(weights[i:i + n]))
        i += n
    ys = _cuts(north, south, [sum(g) for g in groups])  # descending latitudes
    out: list[Box] = []
    for r, group in enumerate(groups):
        xs = _cuts(west, east, group)
        out.extend((xs[c], ys[r + 1], xs[c + 1], ys[r]) for c in range(len(group)))
    return out


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def city_plan(*, grids: int = 7000, seed: int = 2026, districts: int | None = None
              ) -> CityPlan:
    """The city's areas, deterministic for (grids, seed)."""
    rng = random.Random(seed)  # noqa: S311  (synthetic data, not security)
    communities = max(1, round(grids / 10))
    streets = max(1, round(communities / 5))
    if districts is None:
        districts = min(len(DISTRICT_NAMES), max(2, round(streets / 10)))
    streets = max(streets, districts)
    communities = max(communities, streets)
    street_sizes = _sizes(streets, districts, rng)
    community_sizes = _sizes(communities, streets, rng)
    grid_sizes = _sizes(grids, communities, rng)

    plan = CityPlan(seed=seed)
    plan.areas.append(CityArea(PROVINCE_CODE, PROVINCE_NAME, "province", None, None, 0, 0))
    # Subtree grid counts, to size every rectangle by the grids it holds.
    s_iter, c_iter = iter(community_sizes), iter(grid_sizes)
    tree: list[list[list[int]]] = []  # district -> street -> community -> grid count
    for n_streets in street_sizes:
        tree.append([[next(c_iter) for _ in range(next(s_iter))] for _ in range(n_streets)])

    def count(node) -> int:
        return node if isinstance(node, int) else sum(count(n) for n in node)

    children: list[CityArea] = []
    outer_from = math.ceil(districts * 0.7)  # the outer districts are partly rural
    district_boxes = tile(CITY_BOX, [count(d) for d in tree])
    for d_index, (d_tree, d_box) in enumerate(zip(tree, district_boxes, strict=True)):
        d_code = f"{CITY_CODE}{d_index + 1:02d}"
        d_name = (DISTRICT_NAMES[d_index] if d_index < len(DISTRICT_NAMES)
                  else f"第{d_index + 1}区")
        rural = d_index >= outer_from
        d_areas: list[CityArea] = []
        street_boxes = tile(d_box, [count(s) for s in d_tree])
        towns = 0
        for s_index, (s_tree, s_box) in enumerate(zip(d_tree, street_boxes, strict=True)):
            town = rural and s_index > 0
            if town:
                towns += 1
                s_code = f"{d_code}{100 + towns:03d}"
            else:
                s_code = f"{d_code}{s_index + 1:03d}"
            word = PLACE_WORDS[(d_index * 7 + s_index) % len(PLACE_WORDS)]
            s_name = f"{word}{'镇' if town else '街道'}"
            community_boxes = tile(s_box, s_tree)
            villages = 0
            s_areas: list[CityArea] = []
            for c_index, (n_grids, c_box) in enumerate(zip(s_tree, community_boxes,
                                                             strict=True)):
                village = town and c_index > 0
                if village:
                    villages += 1
                    c_code = f"{s_code}{200 + villages:03d}"
                else:
                    c_code = f"{s_code}{c_index + 1:03d}"
                c_word = PLACE_WORDS[(s_index * 11 + c_index * 3 + d_index) % len(PLACE_WORDS)]
                c_name = f"{c_word}{'村' if village else '社区'}"
                urc = "220" if village else ("121" if town else "111")
                g_weights = [1 + rng.uniform(-0.3, 0.3) for _ in range(n_grids)]
                grid_areas = []
                for g_index, g_box in enumerate(tile(c_box, g_weights)):
                    people = rng.randint(600, 1300) if village else rng.randint(1000, 2200)
                    grid_areas.append(CityArea(
                        f"{c_code}{g_index + 1:03d}", f"{c_name}第{g_index + 1}网格", "grid",
                        c_code, g_box, people, round(people / 2.8), urc))
                s_areas.append(CityArea(c_code, c_name, "community", s_code, c_box,
                                        sum(g.population for g in grid_areas),
                                        sum(g.households for g in grid_areas), urc))
                s_areas.extend(grid_areas)
            communities_here = [a for a in s_areas if a.level == "community"]
            d_areas.append(CityArea(s_code, s_name, "street", d_code, s_box,
                                    sum(c.population for c in communities_here),
                                    sum(c.households for c in communities_here)))
            d_areas.extend(s_areas)
        streets_here = [a for a in d_areas if a.level == "street"]
        children.append(CityArea(d_code, d_name, "county", CITY_CODE, d_box,
                                 sum(s.population for s in streets_here),
                                 sum(s.households for s in streets_here)))
        children.extend(d_areas)
    counties = [a for a in children if a.level == "county"]
    plan.areas.append(CityArea(CITY_CODE, CITY_NAME, "city", PROVINCE_CODE, CITY_BOX,
                               sum(c.population for c in counties),
                               sum(c.households for c in counties)))
    order = {"province": 0, "city": 1, "county": 2, "street": 3, "community": 4, "grid": 5}
    plan.areas.extend(sorted(children, key=lambda a: (order[a.level], a.code)))
    return plan


# --- units and people --------------------------------------------------------------------------

CITY_UNITS = [
    # suffix, name, kind, specialties
    ("rx", "基准市12345政务服务便民热线", "department", ["public_service"]),
    ("zzzx", "基准市社会治理现代化指挥中心", "governance_centre", ["general"]),
]
STREET_UNITS = [
    # suffix, name pattern ({s}: street name, {b}: its stem), kind, specialties
    ("zzzx", "{s}社会治理综合指挥中心", "governance_centre", ["general"]),
    ("tjw", "{s}人民调解委员会", "mediation_committee",
     ["general", "neighbourhood", "marriage_family", "property_management"]),
    ("sfs", "{b}司法所", "justice_office", []),
    ("bsc", "{s}办事处", "street_office", []),
    ("pcs", "{b}派出所", "police_station", ["traffic_accident"]),
]
COMMUNITY_UNITS = [
    ("tjw", "{c}人民调解委员会", "mediation_committee", ["neighbourhood", "marriage_family"]),
    ("jwh", "{c}居民委员会", "community_committee", []),
]


def district_units(district_name: str) -> list[tuple[str, str, str, list[str]]]:
    """The demo district's units (civicgrid/home/demo.py) renamed for this district."""
    from civicgrid.home.demo import DISTRICT_UNITS

    stem = district_name.removesuffix("区")
    out = []
    for suffix, name, kind, specialties in DISTRICT_UNITS:
        renamed = (name.replace("南通市崇川", f"{CITY_NAME}{stem}")
                   .replace("南通市", CITY_NAME).replace("崇川区", district_name)
                   .replace("崇川", stem))
        out.append((suffix, renamed, str(kind), list(specialties)))
    return out


@dataclass(frozen=True)
class Person:
    username: str
    display_name: str
    role: str
    area_code: str  # jurisdiction ("" = deployment-wide)
    unit_code: str = ""
    title: str = ""
    grid_position: str = ""  # a PositionType code, for grid workers


@dataclass
class CityIndex:
    """What the case generator and the measurements need from the loaded city."""

    area_ids: dict[str, int]
    unit_ids: dict[str, int]
    user_ids: dict[str, int]
    grid_codes: list[str]
    grid_boxes: list[Box]
    district_codes: list[str]
    street_codes: list[str]


def units_plan(plan: CityPlan) -> list[tuple[str, str, str, str, list[str]]]:
    """(code, name, kind, area code, specialty codes) of every unit."""
    out = [(f"{CITY_CODE}-{s}", n, k, CITY_CODE, sp) for s, n, k, sp in CITY_UNITS]
    for district in plan.districts:
        out += [(f"{district.code}-{s}", n, k, district.code, sp)
                for s, n, k, sp in district_units(district.name)]
    for street in plan.level("street"):
        stem = street.name.removesuffix("街道").removesuffix("镇")
        for s, pattern, k, sp in STREET_UNITS:
            name = pattern.format(s=street.name, b=stem)
            if s == "bsc" and street.name.endswith("镇"):
                name = f"{street.name}人民政府"
            out.append((f"{street.code}-{s}", name, k, street.code, sp))
    for community in plan.level("community"):
        for s, pattern, k, sp in COMMUNITY_UNITS:
            name = pattern.format(c=community.name)
            if s == "jwh" and community.name.endswith("村"):
                name = f"{community.name}村民委员会"
            out.append((f"{community.code}-{s}", name, k, community.code, sp))
    return out


def people_plan(plan: CityPlan) -> list[Person]:
    rng = random.Random(plan.seed + 1)  # noqa: S311
    people = [Person("admin", "系统管理员", "administrator", "")]
    for district in plan.districts:
        d = district.code
        people.append(Person(f"ld{d}", _name(rng), "leader", d))
        people.append(Person(f"zx{d}", _name(rng), "supervisor", d, f"{d}-zzzx", "调度员"))
        for suffix, _n, _k, _sp in district_units(district.name):
            if suffix != "zzzx":
                people.append(Person(f"h{d}-{suffix}", _name(rng), "handler", d,
                                     f"{d}-{suffix}", "办理人员"))
    for street in plan.level("street"):
        s = street.code
        people += [
            Person(f"zx{s}", _name(rng), "supervisor", s, f"{s}-zzzx", "调度员"),
            Person(f"tj{s}a", _name(rng), "handler", s, f"{s}-tjw", "专职调解员"),
            Person(f"tj{s}b", _name(rng), "handler", s, f"{s}-tjw", "专职调解员"),
            Person(f"pc{s}", _name(rng), "handler", s, f"{s}-pcs", "民警"),
            Person(f"bs{s}", _name(rng), "handler", s, f"{s}-bsc", "工作人员"),
        ]
    for community in plan.level("community"):
        c = community.code
        people += [
            Person(f"tj{c}", _name(rng), "handler", c, f"{c}-tjw", "调解员"),
            Person(f"jw{c}", _name(rng), "grid_worker", c, f"{c}-jwh", "网格长"),
        ]
    for grid in plan.grids:
        people.append(Person(f"gw{grid.code}", _name(rng), "grid_worker", grid.code,
                             grid_position="grid_worker"))
    return people


def city_load(plan: CityPlan, *, batch: int = 2000) -> CityIndex:
    """Write the city with bulk inserts (a fresh database: nothing of it may exist yet)."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from civicgrid.accounts.models import User, UserJurisdiction, UserRole
    from civicgrid.areas.models import Area, GridAssignment, PositionType
    from civicgrid.areas.services import geometry_revision_bump, positions_ensure_builtin
    from civicgrid.units.models import Specialty, Unit, UnitMembership
    from civicgrid.units.services import specialties_ensure_builtin

    with transaction.atomic():
        positions_ensure_builtin()
        specialties_ensure_builtin()
        area_ids: dict[str, int] = {}
        for level in ("province", "city", "county", "street", "community", "grid"):
            rows = []
            for a in plan.level(level):
                lng, lat = a.centroid
                rows.append(Area(code=a.code, name=a.name, level=a.level,
                                 parent_id=area_ids.get(a.parent_code or ""),
                                 urban_rural_class=a.urban_rural_class,
                                 population=a.population, households=a.households,
                                 boundary=a.boundary, centroid_lng=lng, centroid_lat=lat))
            for row in Area.objects.bulk_create(rows, batch_size=batch):
                area_ids[row.code] = row.pk
        geometry_revision_bump()

        specialties = dict(Specialty.objects.values_list("code", "pk"))
        unit_rows = units_plan(plan)
        created = Unit.objects.bulk_create(
            [Unit(code=code, name=name[:100], kind=kind, area_id=area_ids[area])
             for code, name, kind, area, _sp in unit_rows], batch_size=batch)
        unit_ids = {u.code: u.pk for u in created}
        Through = Unit.specialties.through
        Through.objects.bulk_create(
            [Through(unit_id=unit_ids[code], specialty_id=specialties[s])
             for code, _n, _k, _a, sp in unit_rows for s in sp], batch_size=batch)

        password = make_password(BENCH_PASSWORD)
        people = people_plan(plan)
        now = timezone.now()
        users = User.objects.bulk_create(
            [User(username=p.username, display_name=p.display_name, password=password,
                  date_joined=now, is_staff=p.role == "administrator") for p in people],
            batch_size=batch)
        user_ids = {u.username: u.pk for u in users}
        UserRole.objects.bulk_create(
            [UserRole(user_id=user_ids[p.username], role=p.role) for p in people],
            batch_size=batch)
        UserJurisdiction.objects.bulk_create(
            [UserJurisdiction(user_id=user_ids[p.username], area_id=area_ids[p.area_code])
             for p in people if p.area_code], batch_size=batch)
        UnitMembership.objects.bulk_create(
            [UnitMembership(unit_id=unit_ids[p.unit_code], user_id=user_ids[p.username],
                            title=p.title) for p in people if p.unit_code], batch_size=batch)
        positions = dict(PositionType.objects.values_list("code", "pk"))
        GridAssignment.objects.bulk_create(
            [GridAssignment(grid_id=area_ids[p.area_code], user_id=user_ids[p.username],
                            position_id=positions[p.grid_position], since=now.date())
             for p in people if p.grid_position], batch_size=batch)

    grids = plan.grids
    return CityIndex(
        area_ids=area_ids, unit_ids=unit_ids, user_ids=user_ids,
        grid_codes=[g.code for g in grids], grid_boxes=[g.box for g in grids if g.box],
        district_codes=[d.code for d in plan.districts],
        street_codes=[s.code for s in plan.level("street")])

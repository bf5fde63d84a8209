"""The demo district: a working district modelled on 崇川区, Nantong, for newcomers and tests.

`demo_seed()` builds it in one transaction: areas (from areas.demo_geometry), units of every
kind, the demo users with their roles and jurisdictions, and grid staffing (一格多员). It is
idempotent: when the district exists it changes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction

from civicgrid.accounts.models import User, UserJurisdiction, UserRole
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.areas.demo_geometry import COUNTY_CODE, build_demo_district, to_feature_collection
from civicgrid.areas.models import Area, GridAssignment, Level, PositionType
from civicgrid.areas.services import areas_import, positions_ensure_builtin
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.cases.loader import load_categories
from civicgrid.cases.models import Category, CategoryAttribute, HandlingLevel, RoutingRule
from civicgrid.core.refcache import ACCESS, REFERENCE, revision_bump
from civicgrid.home.demo_names import person_name as _name
from civicgrid.stats.services import kpi_target_set
from civicgrid.units.models import Specialty, Unit, UnitKind, UnitMembership
from civicgrid.units.services import specialties_ensure_builtin, unit_add_member

DEMO_PASSWORD = "Civicgrid-Demo-2026"  # noqa: S105  (documented demo password)
BATCH = 1000



@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    where: str


DISTRICT_UNITS = [
    # suffix, name, kind, specialties. Routing (cases/services/routing.py) picks, level by
    # level, the first unit (by kind, then code) whose specialty is the category's; so a
    # specialty goes to one unit per level, and the exceptions are routing rules
    # (DEMO_ROUTING_RULES).
    ("zzzx", "崇川区社会治理现代化指挥中心", UnitKind.GOVERNANCE_CENTRE, ["general"]),
    ("tjw", "崇川区人民调解委员会", UnitKind.MEDIATION_COMMITTEE, ["general", "neighbourhood",
                                                            "marriage_family"]),
    ("yh", "崇川区医疗纠纷人民调解委员会", UnitKind.SPECIALISED_COMMITTEE, ["medical"]),
    ("lz", "崇川区劳动争议人民调解委员会", UnitKind.SPECIALISED_COMMITTEE, []),
    ("jt", "崇川区道路交通事故人民调解委员会", UnitKind.SPECIALISED_COMMITTEE,
     ["traffic_accident"]),
    ("wy", "崇川区物业纠纷人民调解委员会", UnitKind.SPECIALISED_COMMITTEE,
     ["property_management"]),
    ("fy", "崇川区人民法院", UnitKind.COURT, []),
    ("jcy", "崇川区人民检察院", UnitKind.PROCURATORATE, []),
    ("xfj", "崇川区信访局", UnitKind.PETITION_OFFICE, ["petition"]),
    ("flyz", "崇川区法律援助中心", UnitKind.LEGAL_AID, []),
    ("sfj", "崇川区司法局", UnitKind.DEPARTMENT, []),
    ("rsj", "崇川区人力资源和社会保障局", UnitKind.DEPARTMENT, ["labour"]),
    ("zjj", "崇川区住房和城乡建设局", UnitKind.DEPARTMENT, []),
    ("sjj", "崇川区市场监督管理局", UnitKind.DEPARTMENT, ["consumer"]),
    ("hbj", "南通市崇川生态环境局", UnitKind.DEPARTMENT, ["environment"]),
    ("gaj", "南通市公安局崇川分局", UnitKind.DEPARTMENT, []),
    ("cgj", "崇川区城市管理局", UnitKind.DEPARTMENT, ["public_service"]),
    ("mzj", "崇川区民政局", UnitKind.DEPARTMENT, []),
    ("yjj", "崇川区应急管理局", UnitKind.DEPARTMENT, ["safety_hazard", "emergency"]),
    ("wjw", "崇川区卫生健康委员会", UnitKind.DEPARTMENT, []),
    ("jyj", "崇川区教育体育局", UnitKind.DEPARTMENT, ["education"]),
    ("zsb", "崇川区房屋征收管理办公室", UnitKind.DEPARTMENT, ["land_acquisition"]),
    ("wb", "崇川区人民政府外事办公室", UnitKind.DEPARTMENT, ["foreign"]),
    ("jw", "崇川区纪委监委", UnitKind.OTHER, ["conduct"]),
]

# Each street's offices, after its governance centre, mediation committee, justice office,
# street office and police station (demo_seed): suffix, name (after the street's name),
# specialties, parent unit's suffix in DISTRICT_UNITS. 城市管理办公室 takes the street's
# 民生服务 (street lights, manholes, litter, illegal building: 数字城管), 应急管理办公室 its
# safety hazards, 市场监督管理所 consumer disputes (and, by rule, food and special equipment).
STREET_OFFICES = [
    ("cgb", "城市管理办公室", ["public_service"], "cgj"),
    ("yjb", "应急管理办公室", ["safety_hazard"], "yjj"),
    ("shb", "社会事务办公室", [], "mzj"),
    ("scs", "市场监督管理所", ["consumer"], "sjj"),
]

# Routing rules where a category's specialty alone would pick the wrong unit:
# (category code, level, unit suffix; a street unit's suffix applies in each street).
DEMO_ROUTING_RULES = [
    ("0208", "street", "shb"),  # 社会救助 → 街道社会事务办(民政)
    ("0209", "street", "shb"),  # 养老服务 → 街道社会事务办
    ("0303", "street", "scs"),  # 食品安全 → 市场监督管理所
    ("0308", "street", "scs"),  # 特种设备(电梯) → 市场监督管理所
    ("0208", "county", "mzj"),
    ("0209", "county", "mzj"),
    ("010302", "county", "lz"),  # 工伤赔偿 → 劳动争议调委会
    ("010303", "county", "lz"),  # 劳动合同 → 劳动争议调委会
    ("0403", "county", "wjw"),  # 公共卫生事件 → 卫健委
    ("0404", "county", "gaj"),  # 社会安全事件 → 公安分局
]


def demo_exists() -> bool:
    return Area.objects.filter(code=COUNTY_CODE).exists()


def demo_logins() -> list[DemoLogin]:
    """The demo accounts, with the real names of the places they work in."""
    def where(username: str, fallback: str) -> str:
        user = User.objects.filter(username=username).first()
        if user is None:
            return fallback
        unit = user.unit_memberships.select_related("unit").first()
        area = user.jurisdictions.select_related("area").first()
        return unit.unit.name if unit else (area.area.name if area else fallback)

    return [
        DemoLogin("admin", "系统管理员", "全区"),
        DemoLogin("auditor", "安全审计员", "全区"),
        DemoLogin("leader", "领导(决策、审批)", where("leader", "区")),
        DemoLogin("supervisor", "区综治中心指挥调度", where("supervisor", "区综治中心")),
        DemoLogin("street1", "街道综治中心指挥调度", where("street1", "第一个街道")),
        DemoLogin("mediator1", "调解员", where("mediator1", "街道人民调解委员会")),
        DemoLogin("unitlead1", "单位负责人", where("unitlead1", "街道人民调解委员会")),
        DemoLogin("police1", "办理人员", where("police1", "派出所")),
        DemoLogin("grid1", "网格员", where("grid1", "第一个街道的网格")),
        DemoLogin("grid2", "网格员", where("grid2", "另一个街道的网格")),
    ]


# The district's own targets (目标管理考核), as its administrator would enter them; the
# seed documents' 调处成功率 and 初信初访化解率 targets are standing defaults already.
DEMO_TARGETS = {
    "closure_rate": "90", "on_time_rate": "85", "satisfaction": "90",
    "closed_at_community": "60", "check_completeness": "95", "check_timeliness": "90",
}


def _demo_targets() -> None:
    for indicator, value in DEMO_TARGETS.items():
        kpi_target_set(indicator=indicator, area_code=COUNTY_CODE, year=0, value=Decimal(value),
                       note="示范区年度考核目标", actor=None)


# code, name, kind, area, parent, specialty codes
UnitSpec = tuple[str, str, str, Area, "Unit | None", list[str]]


def _units_bulk(specs: list[UnitSpec], specialties: dict[str, Specialty]) -> dict[str, Unit]:
    """Create units in bulk, each serving its own area (what unit_create does one by one,
    with a full_clean and an audit entry each: the demo's are known to be valid, and the
    seeding's one audit entry counts them). Returns them by code."""
    made = Unit.objects.bulk_create(
        [Unit(code=code, name=name, kind=kind, area=area, parent=parent)
         for code, name, kind, area, parent, _specs in specs], batch_size=BATCH)
    Serving = Unit.jurisdiction.through  # noqa: N806
    Serving.objects.bulk_create([Serving(unit_id=unit.pk, area_id=spec[3].pk)
                                 for unit, spec in zip(made, specs, strict=True)],
                                batch_size=BATCH)
    Speciality = Unit.specialties.through  # noqa: N806
    Speciality.objects.bulk_create(
        [Speciality(unit_id=unit.pk, specialty_id=specialties[code].pk)
         for unit, spec in zip(made, specs, strict=True) for code in spec[5]],
        batch_size=BATCH)
    return {unit.code: unit for unit in made}


def _routing_rules(district: Area, streets: list[Area], units: dict[str, Unit]) -> int:
    """DEMO_ROUTING_RULES, as an administrator enters them (admin: 分流规则); the audit
    record of the seeding counts them."""
    categories = {c.code: c for c in Category.objects.filter(
        code__in={code for code, _level, _unit in DEMO_ROUTING_RULES})}
    rules = []
    for code, level, suffix in DEMO_ROUTING_RULES:
        if level == HandlingLevel.COUNTY:
            rules.append(RoutingRule(category=categories[code], area=district, level=level,
                                     unit=units[suffix]))
            continue
        rules += [RoutingRule(category=categories[code], area=street, level=level,
                              unit=units[f"{street.code}-{suffix}"]) for street in streets]
    RoutingRule.objects.bulk_create(rules, batch_size=BATCH)
    return len(rules)


@transaction.atomic
def demo_seed(*, seed: int = 2026) -> bool:
    """Build the demo district. Returns False (and changes nothing) if it already exists."""
    if demo_exists():
        return False
    rng = random.Random(seed)  # noqa: S311  (demo data, not security)
    positions_ensure_builtin()
    specialties_ensure_builtin()
    load_categories(Category=Category, CategoryAttribute=CategoryAttribute,
                    Specialty=Specialty)  # present after migrate; restored if flushed
    report = areas_import(collection=to_feature_collection(build_demo_district(seed)),
                          actor=None, strict=True)
    if not report.ok:
        raise RuntimeError("demo district geometry is invalid: " + "; ".join(report.errors))

    district = Area.objects.get(code=COUNTY_CODE)
    streets = list(Area.objects.filter(level=Level.STREET, parent=district).order_by("code"))
    communities = list(Area.objects.filter(level=Level.COMMUNITY, code__startswith=COUNTY_CODE)
                       .order_by("code"))
    grids = list(Area.objects.filter(level=Level.GRID, code__startswith=COUNTY_CODE)
                 .order_by("code"))
    specialties = {s.code: s for s in Specialty.objects.all()}

    # Units, in bulk (three waves, parents first) ----------------------------------------
    made = _units_bulk([(f"{COUNTY_CODE}-{suffix}", name, kind, district, None, specs)
                        for suffix, name, kind, specs in DISTRICT_UNITS], specialties)
    units: dict[str, Unit] = {suffix: made[f"{COUNTY_CODE}-{suffix}"]
                              for suffix, *_rest in DISTRICT_UNITS}
    centre = units["zzzx"]
    wave: list[UnitSpec] = []
    for street in streets:
        short = street.name
        town = street.name.endswith("镇")
        bare = short.removesuffix("街道").removesuffix("镇")
        street_units = [
            ("zzzx", f"{short}社会治理综合指挥中心", UnitKind.GOVERNANCE_CENTRE, ["general"],
             centre),
            ("tjw", f"{short}人民调解委员会", UnitKind.MEDIATION_COMMITTEE,
             ["general", "neighbourhood", "marriage_family", "property_management"],
             units["tjw"]),
            ("sfs", f"{bare}司法所", UnitKind.JUSTICE_OFFICE, [], units["sfj"]),
            # 土地权属争议 between individuals go to the township government first
            # (土地管理法 第十四条); 村务 too.
            ("bsc", f"{short}{'人民政府' if town else '办事处'}", UnitKind.STREET_OFFICE,
             ["village_affairs", "land_rights"], None),
            ("pcs", f"{bare}派出所", UnitKind.POLICE_STATION, ["traffic_accident"],
             units["gaj"]),
            *[(suffix, f"{bare}{name}" if suffix == "scs" else f"{short}{name}",
               UnitKind.DEPARTMENT, specs, units[parent])
              for suffix, name, specs, parent in STREET_OFFICES],
        ]
        wave += [(f"{street.code}-{suffix}", name, kind, street, parent, specs)
                 for suffix, name, kind, specs, parent in street_units]
    units.update(_units_bulk(wave, specialties))
    wave = []
    for community in communities:
        street_code = community.code[:9]
        village = community.name.endswith("村")
        wave += [
            (f"{community.code}-tjw", f"{community.name}人民调解委员会",
             UnitKind.MEDIATION_COMMITTEE, community, units[f"{street_code}-tjw"],
             ["neighbourhood", "marriage_family"]),
            (f"{community.code}-jwh",
             f"{community.name}{'村民委员会' if village else '居民委员会'}",
             UnitKind.COMMUNITY_COMMITTEE, community, units[f"{street_code}-bsc"], []),
        ]
    units.update(_units_bulk(wave, specialties))

    rule_count = _routing_rules(district, streets, units)

    # Named demo users ---------------------------------------------------------------------
    password_hash = make_password(DEMO_PASSWORD)
    street1, other_street = streets[0], streets[1]
    grid1 = next(g for g in grids if g.code.startswith(street1.code))
    grid2 = next(g for g in grids if g.code.startswith(other_street.code))

    def person(username, display_name, roles, codes):
        return user_create(username=username, password=None, password_hash=password_hash,
                           display_name=display_name, roles=roles, area_codes=codes, actor=None)

    admin = person("admin", "系统管理员", [Role.ADMINISTRATOR], [])
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    person("auditor", "安全审计员", [Role.AUDITOR], [])
    person("leader", "区委政法委领导", [Role.LEADER], [district.code])
    supervisor = person("supervisor", "区指挥中心调度员", [Role.SUPERVISOR], [district.code])
    unit_add_member(unit=centre, user=supervisor, actor=None, title="调度员")
    street_sup = person("street1", f"{street1.name}调度员", [Role.SUPERVISOR], [street1.code])
    unit_add_member(unit=units[f"{street1.code}-zzzx"], user=street_sup, actor=None,
                    title="调度员")
    mediator = person("mediator1", _name(rng), [Role.HANDLER], [street1.code])
    unit_add_member(unit=units[f"{street1.code}-tjw"], user=mediator, actor=None,
                    title="专职调解员")
    lead = person("unitlead1", _name(rng), [Role.UNIT_LEADER, Role.HANDLER], [street1.code])
    unit_add_member(unit=units[f"{street1.code}-tjw"], user=lead, actor=None, title="主任",
                    is_leader=True)
    police = person("police1", _name(rng), [Role.HANDLER], [street1.code])
    unit_add_member(unit=units[f"{street1.code}-pcs"], user=police, actor=None, title="民警")
    g1 = person("grid1", _name(rng), [Role.GRID_WORKER], [grid1.code])
    g2 = person("grid2", _name(rng), [Role.GRID_WORKER], [grid2.code])

    # Grid staffing (一格多员), in bulk: a grid worker per grid, and per community a grid
    # leader and a community police officer for all its grids. ------------------------------
    positions = {p.code: p for p in PositionType.objects.all()}
    named_workers = {grid1.code: g1, grid2.code: g2}
    new_users: list[User] = []
    plan: list[tuple[str, str, str]] = []  # username, area code (jurisdiction), role
    for grid in grids:
        if grid.code in named_workers:
            continue
        username = f"gw{grid.code}"
        new_users.append(User(username=username, display_name=_name(rng), password=password_hash))
        plan.append((username, grid.code, Role.GRID_WORKER))
    for community in communities:
        for prefix, role in (("gl", Role.GRID_WORKER), ("mj", Role.HANDLER)):
            username = f"{prefix}{community.code}"
            new_users.append(User(username=username, display_name=_name(rng),
                                  password=password_hash))
            plan.append((username, community.code, role))
    User.objects.bulk_create(new_users, batch_size=BATCH)
    by_name = dict(User.objects.filter(username__in=[u.username for u in new_users])
                   .values_list("username", "pk"))
    by_name.update({"grid1": g1.pk, "grid2": g2.pk})
    area_ids = dict(Area.objects.filter(code__startswith=COUNTY_CODE).values_list("code", "pk"))
    UserRole.objects.bulk_create(
        [UserRole(user_id=by_name[u], role=r) for u, _c, r in plan], batch_size=BATCH
    )
    UserJurisdiction.objects.bulk_create(
        [UserJurisdiction(user_id=by_name[u], area_id=area_ids[c]) for u, c, _r in plan],
        batch_size=BATCH,
    )
    assignments = []
    memberships = []
    for grid in grids:
        community_code = grid.code[:12]
        worker = named_workers.get(grid.code)
        worker_id = worker.pk if worker else by_name[f"gw{grid.code}"]
        assignments += [
            GridAssignment(grid=grid, user_id=worker_id, position=positions["grid_worker"]),
            GridAssignment(grid=grid, user_id=by_name[f"gl{community_code}"],
                           position=positions["grid_leader"]),
            GridAssignment(grid=grid, user_id=by_name[f"mj{community_code}"],
                           position=positions["community_police"]),
        ]
    for community in communities:
        memberships.append(UnitMembership(unit=units[f"{community.code[:9]}-pcs"],
                                          user_id=by_name[f"mj{community.code}"],
                                          title="社区民警"))
        memberships.append(UnitMembership(unit=units[f"{community.code}-jwh"],
                                          user_id=by_name[f"gl{community.code}"],
                                          title="网格长", is_leader=True))
    # The street-1 mediator also mediates in the first grid (调解员 in 一格多员).
    assignments.append(GridAssignment(grid=grid1, user=mediator, position=positions["mediator"]))
    GridAssignment.objects.bulk_create(assignments, batch_size=BATCH)
    UnitMembership.objects.bulk_create(memberships, batch_size=BATCH)
    _demo_targets()
    audit_record(
        actor=None, username="system", event_type=AuditEventType.DEMO_SEEDED, subject=district,
        details={"areas": report.created, "units": len(units), "users": len(new_users) + 10,
                 "grid_assignments": len(assignments), "routing_rules": rule_count},
    )
    revision_bump(REFERENCE, ACCESS)  # units, rules, people: written in bulk, no signals
    return True

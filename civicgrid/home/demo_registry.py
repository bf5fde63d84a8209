"""The registry of the demo district (issue 15): buildings and rooms for every grid, and
the people, households, rentals, dormitories and organisations of some of them.

Each grid gets four to eight buildings along two roads, mostly residential blocks of 3 to
26 floors with one to three units (单元) and two or three rooms a floor, some shops,
offices and public buildings; every building has a point inside its grid and its rooms laid
out as the registration service lays them out (`registry.services.lay_out_rooms`), their
use as a grid worker finds it (mostly lived in, some rented or vacant, a few shops, some
not yet verified). Written in bulk (the demo is trusted data, like its units): codes,
addresses and rooms are exactly what `building_create` writes. Idempotent: nothing is added
when the district has buildings.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from itertools import accumulate

from django.db import transaction
from django.utils import timezone

from civicgrid.areas.demo_geometry import COUNTY_CODE
from civicgrid.areas.locator import grid_locator
from civicgrid.areas.models import Area, Level
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.core.idnumbers import id_birth_date, id_sex
from civicgrid.core.privacy import seal_document, seal_phone
from civicgrid.core.rows import insert_rows
from civicgrid.home.demo_names import person_name
from civicgrid.registry.addresses import standard_address
from civicgrid.registry.figures import figures_rebuild
from civicgrid.registry.models import (
    Building,
    BuildingUse,
    Dormitory,
    Household,
    HouseholdMember,
    Organisation,
    Person,
    PersonKind,
    Rental,
    Residence,
    ResidencePermit,
    Room,
    RoomUse,
)
from civicgrid.registry.services import lay_out_rooms

BUILDINGS_PER_GRID = (4, 8)
ROADS = ["人民路", "青年路", "工农路", "城山路", "钟秀路", "濠河路", "跃龙路", "文峰路",
         "永兴路", "虹桥路", "北濠路", "学田路", "孩儿巷", "任港路", "通京大道", "崇川路"]
USES = [(BuildingUse.RESIDENTIAL, 80), (BuildingUse.MIXED, 7), (BuildingUse.COMMERCIAL, 5),
        (BuildingUse.OFFICE, 3), (BuildingUse.PUBLIC, 3), (BuildingUse.INDUSTRIAL, 2)]
RESIDENTIAL_FLOORS = [3, 4, 5, 5, 6, 6, 6, 6, 7, 7, 11, 18, 26]
ROOM_USES = [(RoomUse.OWNER, 62), (RoomUse.RENTED, 18), (RoomUse.VACANT, 9),
             (RoomUse.BUSINESS, 2), (RoomUse.OTHER, 1), (RoomUse.UNKNOWN, 8)]
CANDIDATES_PER_POINT = 4  # random points tried per building to find one inside its grid


def _choice(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, cum_weights=list(accumulate(weights)))[0]


def _bbox(boundary: dict | None) -> tuple[float, float, float, float] | None:
    if not boundary:
        return None
    polygons = ([boundary["coordinates"]] if boundary.get("type") == "Polygon"
                else boundary.get("coordinates", []))
    points = [p for polygon in polygons for ring in polygon for p in ring]
    if not points:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _points(grids: list[Area], counts: list[int], rng: random.Random,
            ) -> dict[int, list[tuple[float, float]]]:
    """Up to `count` random points inside each grid (the point→grid index decides)."""
    candidates: list[tuple[int, tuple[float, float]]] = []
    for grid, count in zip(grids, counts, strict=True):
        box = _bbox(grid.boundary)
        if box is None:
            continue
        west, south, east, north = box
        candidates += [(grid.pk, (round(rng.uniform(west, east), 6),
                                  round(rng.uniform(south, north), 6)))
                       for _ in range(count * CANDIDATES_PER_POINT)]
    found = grid_locator.locate_many([point for _pk, point in candidates])
    inside: dict[int, list[tuple[float, float]]] = {}
    for (pk, point), located in zip(candidates, found, strict=True):
        if located == pk:
            inside.setdefault(pk, []).append(point)
    return inside


def demo_places_seed(*, seed: int = 2026) -> tuple[int, int]:
    """Buildings and rooms for the demo district's grids: (buildings, rooms) added."""
    if Building.objects.filter(grid_code__startswith=COUNTY_CODE).exists():
        return 0, 0
    rng = random.Random(f"{seed}:places")  # noqa: S311  (demo data, not security)
    grids = list(Area.objects.filter(level=Level.GRID, code__startswith=COUNTY_CODE)
                 .order_by("code"))
    streets = dict(Area.objects.filter(level=Level.STREET, code__startswith=COUNTY_CODE)
                   .values_list("code", "name"))
    counts = [rng.randint(*BUILDINGS_PER_GRID) for _ in grids]
    points = _points(grids, counts, rng)
    buildings: list[Building] = []
    for grid, count in zip(grids, counts, strict=True):
        street = streets.get(grid.code[:9], "")
        roads = rng.sample(ROADS, 2)
        spots = points.get(grid.pk, [])
        for sequence in range(1, count + 1):
            use = _choice(rng, USES)
            residential = use in (BuildingUse.RESIDENTIAL, BuildingUse.MIXED)
            road, number = rng.choice(roads), str(rng.randint(1, 360))
            name = f"{sequence}幢"
            lng, lat = spots[sequence - 1] if sequence <= len(spots) else (None, None)
            buildings.append(Building(
                code=f"{grid.code}{sequence:05d}", grid=grid, grid_code=grid.code, road=road,
                house_number=number, name=name, use=use,
                address=standard_address(street=street, road=road, house_number=number,
                                         building=name),
                floors_above=rng.choice(RESIDENTIAL_FLOORS) if residential
                else rng.randint(1, 8),
                floors_below=rng.choice([0, 0, 0, 1, 2]),
                units=rng.randint(1, 3) if residential else 1,
                lng=lng, lat=lat, built_year=rng.randint(1982, 2024)))
    with transaction.atomic():
        Building.objects.bulk_create(buildings, batch_size=2000)
        rooms: list[Room] = []
        for building in buildings:
            residential = building.use in (BuildingUse.RESIDENTIAL, BuildingUse.MIXED)
            per_floor = rng.choice((2, 2, 2, 3)) if residential else rng.randint(1, 3)
            for room in lay_out_rooms(building, streets.get(building.grid_code[:9], ""),
                                      per_floor):
                room.use = (_choice(rng, ROOM_USES) if residential
                            else rng.choice([RoomUse.BUSINESS, RoomUse.BUSINESS,
                                             RoomUse.VACANT]))
                rooms.append(room)
        Room.objects.bulk_create(rooms, batch_size=5000)
        audit_record(actor=None, username="system", event_type=AuditEventType.DEMO_SEEDED,
                     subject_type="registry.building", subject_id=COUNTY_CODE,
                     subject_repr="demo places",
                     details={"buildings": len(buildings), "rooms": len(rooms)})
    return len(buildings), len(rooms)


# --- people, households, rentals, dormitories, organisations ---------------------------------

# 户籍地 codes of the floating population's home counties (安徽, 河南, 四川, 贵州, 江苏盐城…)
HOME_COUNTIES = ["341221", "341622", "411522", "412726", "510722", "511321", "522422",
                 "320923", "321281", "362426"]
FOREIGN = [("KOR", "passport"), ("JPN", "passport"), ("DEU", "passport"), ("HKG", "hk_macao"),
           ("TWN", "taiwan")]
ETHNICITIES = ["汉族"] * 30 + ["回族", "满族", "苗族", "土家族", "壮族"]
OCCUPATIONS = ["职员", "工人", "教师", "个体经营", "退休", "学生", "服务人员", "司机", "医生",
               "快递员", "厨师", "保安"]
RELATIONS = ["spouse", "child", "child", "parent"]
# A valid unified social credit code's 17 first characters, completed by its check
# character: 91 (market regulation, enterprise) or 92 (sole trader) or 53 (civil affairs,
# social organisation), the area code, a 9-character body.
CODE_KINDS = [("91", "enterprise"), ("92", "sole_trader"), ("51", "social_group"),
              ("52", "social_service"), ("", "community_group")]
BODY_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ORG_NAMES = {"enterprise": ["南通{}纺织有限公司", "南通{}电子科技有限公司", "南通{}物流有限公司"],
             "sole_trader": ["{}便利店", "{}小吃店", "{}理发店"],
             "social_group": ["崇川区{}商会"], "social_service": ["{}养老服务中心"],
             "community_group": ["{}书画社", "{}志愿服务队"]}
POPULATED_PER_GRID = 1  # residential buildings per grid whose residents are registered


def _citizen_id(rng: random.Random, county: str, used: set[str]) -> str:
    from civicgrid.core.idnumbers import check_digit

    while True:
        born = date(rng.randint(1940, 2018), rng.randint(1, 12), rng.randint(1, 28))
        first17 = f"{county}{born:%Y%m%d}{rng.randint(0, 999):03d}"
        number = first17 + check_digit(first17)
        if number not in used:
            used.add(number)
            return number


def _credit_code(rng: random.Random, prefix: str, area: str, used: set[str]) -> str:
    from civicgrid.core.creditcodes import check_character

    while True:
        first17 = prefix + area + "".join(rng.choice(BODY_ALPHABET) for _ in range(9))
        code = first17 + check_character(first17)
        if code not in used:
            used.add(code)
            return code


class _People:
    """Rows of the demo's people, built in memory and written in bulk at the end."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used_ids: set[str] = set()
        self.people: list[Person] = []
        self.residences: list[tuple[int, Room, str, date]] = []  # (person index, room…)
        self.households: list[tuple[Household, list[tuple[int, str]]]] = []
        self.permits: list[tuple[int, ResidencePermit]] = []

    def person(self, grid: Area, kind: str, *, adult: bool = True) -> int:
        rng = self.rng
        fields: dict[str, object] = {"name": person_name(rng), "kind": kind, "grid": grid,
                                     "grid_code": grid.code,
                                     "ethnicity": rng.choice(ETHNICITIES),
                                     "occupation": rng.choice(OCCUPATIONS) if adult else "学生"}
        if kind == PersonKind.FOREIGN:
            nationality, document = rng.choice(FOREIGN)
            number = f"{rng.choice('EMGKS')}{rng.randint(10_000_000, 99_999_999)}"
            sealed = seal_document(number, document)
            fields.update(name=rng.choice(["KIM MINJUN", "SATO YUKI", "MUELLER ANNA",
                                           "CHAN KA YAN", "LIN CHIA HAO"]),
                          nationality=nationality, document_type=document,
                          stay_purpose=rng.choice(["work", "study", "business"]),
                          ethnicity="", sex=rng.choice(["male", "female"]),
                          birth_date=date(rng.randint(1960, 2000), rng.randint(1, 12), 1))
        else:
            county = (COUNTY_CODE if kind == PersonKind.REGISTERED
                      else rng.choice(HOME_COUNTIES))
            number = _citizen_id(rng, county, self.used_ids)
            sealed = seal_document(number)
            fields.update(hukou_code=number[:6], birth_date=id_birth_date(number),
                          sex=id_sex(number), document_type="id_card")
            if kind == PersonKind.FLOATING:
                fields["stay_purpose"] = rng.choice(["work", "work", "work", "family", "study"])
        fields.update(id_number_encrypted=sealed.encrypted, id_number_hash=sealed.hash,
                      id_number_masked=sealed.masked)
        if adult and rng.random() < 0.85:
            phone = seal_phone(f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}")
            fields.update(phone_encrypted=phone.encrypted, phone_hash=phone.hash,
                          phone_masked=phone.masked, phone_last4=phone.last4)
        self.people.append(Person(**fields))
        return len(self.people) - 1


def _insert(rows: list, per_statement: int) -> None:
    """Many new rows of one model, a statement per `per_statement` (core.rows.insert_rows:
    the SQL planned once, not compiled per row as bulk_create does)."""
    for start in range(0, len(rows), per_statement):
        insert_rows(rows[start:start + per_statement])


def demo_people_seed(*, seed: int = 2026, per_grid: int = POPULATED_PER_GRID,
                     within: str = COUNTY_CODE) -> dict[str, int]:
    """Residents of every kind in the first unit (单元) of the first `per_grid` residential
    buildings of each grid below `within` (households in the rooms lived in by their
    owners, rentals with their tenants, residence permits), a concentrated dormitory per
    street, organisations in every grid; then the figures counted from the rows.
    Idempotent: nothing when people exist."""
    if Person.objects.filter(grid_code__startswith=COUNTY_CODE).exists():
        return {}
    rng = random.Random(f"{seed}:people")  # noqa: S311  (demo data, not security)
    today = timezone.localdate()
    grids = {g.code: g for g in Area.objects.filter(level=Level.GRID,
                                                    code__startswith=within).defer("boundary")}
    data = _People(rng)
    rentals: list[Rental] = []
    chosen: list[Building] = []
    for code in sorted(grids):
        chosen += list(Building.objects.filter(
            grid_code=code, use__in=[BuildingUse.RESIDENTIAL, BuildingUse.MIXED])
            .order_by("code")[:per_grid])
    # (the first unit of each: enough people for every page and figure, a short make run)
    rooms = Room.objects.filter(building__in=chosen, unit=1).order_by("building_id", "floor",
                                                                      "number")
    for room in rooms.iterator(chunk_size=5000):
        grid = grids[room.grid_code]
        since = today - timedelta(days=rng.randint(30, 6000))
        if room.use == RoomUse.OWNER:
            kind = PersonKind.SEPARATED if rng.random() < 0.1 else PersonKind.REGISTERED
            head = data.person(grid, kind)
            data.residences.append((head, room, "living", since))
            members: list[tuple[int, str]] = [(head, "head")]
            for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
                relation = rng.choice(RELATIONS)
                member = data.person(grid, kind, adult=relation != "child")
                data.residences.append((member, room, "living", since))
                members.append((member, relation))
            data.households.append((Household(number="", room=room, grid_code=room.grid_code),
                                    members))
        elif room.use == RoomUse.RENTED:
            limit = rng.choice((2, 3, 4, 4, 6))
            tenants = rng.randint(1, limit)
            for _ in range(tenants):
                kind = PersonKind.FOREIGN if rng.random() < 0.04 else PersonKind.FLOATING
                tenant = data.person(grid, kind)
                data.residences.append((tenant, room, "renting", since))
                if kind == PersonKind.FLOATING and rng.random() < 0.6:
                    issued = since + timedelta(days=rng.randint(10, 60))
                    data.permits.append((tenant, ResidencePermit(
                        grid_code=room.grid_code, issued_on=issued,
                        expires_on=issued + timedelta(days=365 * 5),
                        endorsed_until=today + timedelta(days=rng.randint(-20, 330)))))
            rentals.append(Rental(room=room, grid_code=room.grid_code, occupant_limit=limit,
                                  filing_number=f"NT{room.grid_code[-6:]}{room.pk:07d}",
                                  lease_start=since, purpose="dwelling",
                                  fire_exits=rng.choice((1, 1, 2)),
                                  responsibility_signed_on=since))
    organisations, dorm_people = _demo_organisations(rng, grids, data, today)
    with transaction.atomic():
        _insert(data.people, 400)
        _insert(
            [Residence(person=data.people[i], room=room, grid_code=room.grid_code, kind=kind,
                       since=since, source="visit") for i, room, kind, since in data.residences],
            2000)
        for number, (household, _members) in enumerate(data.households, start=1):
            household.number = f"{household.grid_code}H{number:04d}"
        Household.objects.bulk_create([h for h, _m in data.households], batch_size=2000)
        _insert([HouseholdMember(household=h, person=data.people[i], relation=relation,
                                 since=today - timedelta(days=365))
                 for h, members in data.households for i, relation in members], 3000)
        for index, permit in data.permits:
            sealed = seal_document(f"3206{data.people[index].pk:012d}", "residence_permit")
            permit.person = data.people[index]
            permit.number_encrypted, permit.number_hash = sealed.encrypted, sealed.hash
            permit.number_masked = sealed.masked
        ResidencePermit.objects.bulk_create([p for _i, p in data.permits], batch_size=2000)
        # The lessor: a head of household of the same grid (a landlord the grid worker
        # knows), when the grid has one.
        landlords: dict[str, Person] = {}
        for household, members in data.households:
            landlords.setdefault(household.grid_code, data.people[members[0][0]])
        for rental in rentals:
            rental.lessor_person = landlords.get(rental.grid_code)
        Rental.objects.bulk_create(rentals, batch_size=2000)
        for organisation in organisations:
            organisation.save()
        _demo_dormitories(rng, organisations, dorm_people, data)
        grids_counted = figures_rebuild()
        audit_record(actor=None, username="system", event_type=AuditEventType.DEMO_SEEDED,
                     subject_type="registry.person", subject_id=COUNTY_CODE,
                     subject_repr="demo people", details={
                         "people": len(data.people), "households": len(data.households),
                         "rentals": len(rentals), "organisations": len(organisations),
                         "grids": grids_counted})
    return {"people": len(data.people), "households": len(data.households),
            "rentals": len(rentals), "organisations": len(organisations)}


def _demo_organisations(rng: random.Random, grids: dict[str, Area], data: _People,
                        today: date) -> tuple[list[Organisation], dict[str, list[int]]]:
    """Two to four organisations per grid; a workforce of floating residents for each
    street's first enterprise, to live in its dormitory."""
    used: set[str] = set()
    organisations: list[Organisation] = []
    workers: dict[str, list[int]] = {}
    for code in sorted(grids):
        grid = grids[code]
        for _ in range(rng.randint(2, 4)):
            prefix, kind = rng.choice(CODE_KINDS)
            name = rng.choice(ORG_NAMES[kind]).format(grid.name[:2])
            organisations.append(Organisation(
                credit_code=_credit_code(rng, prefix, COUNTY_CODE, used) if prefix else None,
                name=f"{name}({len(organisations) + 1})", kind=kind,
                authority="market" if kind in ("enterprise", "sole_trader") else "civil_affairs",
                grid=grid, grid_code=code, staff_count=rng.randint(1, 300),
                has_trade_union=rng.random() < 0.3, has_party_organisation=rng.random() < 0.2,
                verified_at=timezone.now() - timedelta(days=rng.randint(0, 500))))
        street = code[:9]
        if street not in workers:
            workers[street] = [data.person(grid, PersonKind.FLOATING)
                               for _ in range(rng.randint(12, 30))]
    return organisations, workers


def _demo_dormitories(rng: random.Random, organisations: list[Organisation],
                      workers: dict[str, list[int]], data: _People) -> None:
    """One concentrated dormitory per street: an industrial or commercial building of the
    street run by its first enterprise, its workers living in its rooms."""
    for street, people in sorted(workers.items()):
        operator = next((o for o in organisations if o.grid_code.startswith(street)
                         and o.kind == "enterprise"), None)
        building = (Building.objects.filter(grid_code__startswith=street)
                    .exclude(use__in=[BuildingUse.RESIDENTIAL, BuildingUse.MIXED])
                    .order_by("code").first())
        if operator is None or building is None:
            continue
        dorm_rooms = list(building.rooms.order_by("floor", "number"))
        if not dorm_rooms:
            continue
        Dormitory.objects.create(building=building, grid_code=building.grid_code,
                                 name=f"{operator.name[:20]}员工宿舍", operator=operator,
                                 capacity=len(dorm_rooms) * 8,
                                 services=["canteen", "security"])
        # (rooms people live in are not vacant: the dormitory's are 其他, as a move-in
        # through the service would record them)
        Room.objects.filter(building=building).update(use=RoomUse.OTHER)
        Residence.objects.bulk_create([
            Residence(person=data.people[i], room=dorm_rooms[n % len(dorm_rooms)],
                      grid_code=building.grid_code, kind="dormitory",
                      since=timezone.localdate() - timedelta(days=rng.randint(30, 900)),
                      source="landlord")
            for n, i in enumerate(people)])
        Person.objects.filter(pk__in=[data.people[i].pk for i in people]).update(
            grid=building.grid, grid_code=building.grid_code)

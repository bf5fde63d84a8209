"""Several hundred realistic cases for the demo district, made through the real services.

Every case goes through case_intake and the workflow services, so numbers, routing,
timelines, rollups and deadlines are what the platform really produces. Only the case
clock is moved: each case's story is played out on dates spread over the past year (the
audit log keeps the real time of seeding).
"""

from __future__ import annotations

import random
import types
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone as django_timezone
from shapely import Point
from shapely.geometry import shape

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.areas.models import Area, GridAssignment, Level
from civicgrid.cases import services as svc
from civicgrid.cases.models import (
    Case,
    Category,
    Channel,
    HandOffKind,
    Outcome,
    PeopleBand,
    Status,
)
from civicgrid.core.idnumbers import check_digit
from civicgrid.home.demo_names import person_name
from civicgrid.home.demo_stories import ROADS, story_case
from civicgrid.units.models import Unit, UnitKind
from civicgrid.units.services import unit_add_member

CHANNEL_WEIGHTS = {
    Channel.PATROL: 34, Channel.HOTLINE: 20, Channel.WINDOW: 14, Channel.PORTAL: 10,
    Channel.API: 6, Channel.DEPARTMENT: 5, Channel.PETITION_LETTER: 4,
    Channel.PETITION_VISIT: 4, Channel.LEADER_RECEPTION: 3,
}
KIND_WEIGHTS = {"dispute": 45, "service": 28, "hazard": 17, "petition": 6, "emergency": 4}

# Only these kinds are ever 重大 or 群体性 in the demo (a street light is neither).
SCALED_KINDS = ("dispute", "petition", "emergency")
# Categories of village life (承包地、宅基地、村务): their cases happen in a village.
VILLAGE_CATEGORIES = ("0106", "0112")

def _person_name(rng: random.Random) -> str:
    return person_name(rng)


def _id_number(rng: random.Random) -> str:
    born = date(1950, 1, 1) + timedelta(days=rng.randint(0, 365 * 55))
    first17 = f"320602{born:%Y%m%d}{rng.randint(10, 999):03d}"
    return first17 + check_digit(first17)


def _phone(rng: random.Random) -> str:
    return rng.choice(["138", "139", "151", "186", "177"]) + f"{rng.randint(0, 99999999):08d}"


def _png(rng: random.Random) -> bytes:
    from io import BytesIO

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), (rng.randint(120, 200), rng.randint(120, 200), 140))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rng.randint(0, 300), rng.randint(0, 220)
        draw.rectangle([x, y, x + rng.randint(10, 60), y + rng.randint(10, 40)],
                       fill=(rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255)))
    out = BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


class _Clock:
    """The case clock the demo moves forward while it plays a case's story."""

    def __init__(self) -> None:
        self.real_now = django_timezone.now()
        self.now = self.real_now
        self.module = types.ModuleType("demo_timezone")
        self.module.__dict__.update(vars(django_timezone))
        self.module.now = lambda: self.now  # type: ignore[attr-defined]

    def advance(self, rng: random.Random, hours: tuple[int, int]) -> None:
        """Move on a few hours; a story that reaches today stays at today."""
        step = timedelta(hours=rng.randint(*hours), minutes=rng.randint(0, 59))
        self.now = min(self.now + step, self.real_now)


@contextmanager
def _case_clock(clock: _Clock):
    with svc.services_timezone(clock.module):
        yield


class _Staff:
    """Finds (or creates) a person who may act as each actor kind in the demo."""

    def __init__(self, password_hash: str) -> None:
        self.password_hash = password_hash
        self.dispatcher = User.objects.get(username="supervisor")
        self.street1 = User.objects.get(username="street1")
        self.street1_code = self.street1.jurisdictions.get().area.code
        self.members: dict[int, User] = {}

    def dispatcher_for(self, case: Case) -> User:
        if case.queue_area.code == self.street1_code:
            return self.street1
        return self.dispatcher

    def member_of(self, unit: Unit) -> User:
        if unit.pk in self.members:
            return self.members[unit.pk]
        member = (unit.memberships.filter(user__role_grants__role__in=[Role.HANDLER,
                                                                     Role.UNIT_LEADER])
                  .select_related("user").first())
        if member is not None:
            user = member.user
        else:
            user = user_create(username=f"h-{unit.code}"[:150], password=None,
                               password_hash=self.password_hash,
                               display_name=f"{unit.name}工作人员", roles=[Role.HANDLER],
                               area_codes=[unit.area.code], actor=None)
            unit_add_member(unit=unit, user=user, actor=None, title="工作人员")
        self.members[unit.pk] = user
        return user


def _dispatch_unit(case: Case) -> Unit:
    """The unit the dispatcher picks: routing's suggestion; without one, for a dispute the
    mediation committee of the queue's area (street or district), for anything else the
    street office (街道办事处) or, for the district, its governance centre."""
    if case.suggested_unit is not None:
        return case.suggested_unit
    queue = case.queue_area.code
    kinds = ([UnitKind.MEDIATION_COMMITTEE] if case.category.kind in ("dispute", "petition")
             else [UnitKind.STREET_OFFICE, UnitKind.GOVERNANCE_CENTRE])
    for kind in kinds:
        unit = Unit.objects.filter(area__code=queue, kind=kind, active=True).first()
        if unit is not None:
            return unit
    return Unit.objects.get(code=f"{case.area_code[:6]}-zzzx")


HANDOFF_TARGET = {HandOffKind.POLICE: UnitKind.POLICE_STATION,
                  HandOffKind.COURT: UnitKind.COURT,
                  HandOffKind.LEGAL_AID: UnitKind.LEGAL_AID,
                  HandOffKind.PETITION: UnitKind.PETITION_OFFICE,
                  HandOffKind.PROCURATORATE: UnitKind.PROCURATORATE}


def _play(case: Case, final: str, rng: random.Random, clock: _Clock, staff: _Staff) -> None:
    """Move `case` through the workflow up to `final`, with realistic side events."""
    def go(name: str, actor, **kwargs):
        clock.advance(rng, (2, 60))
        return svc.case_act(name, case=case, actor=actor, expected_version=case.version,
                                  **kwargs)

    dispatcher = staff.dispatcher_for(case)
    if final == Status.REGISTERED:
        return
    if final == Status.REJECTED:
        go("reject", dispatcher, reason="不属于本平台受理范围,已告知当事人通过法定途径解决")
        return
    go("accept", dispatcher)
    if final == Status.ACCEPTED:
        return
    unit = _dispatch_unit(case)
    go("dispatch", dispatcher, unit=unit)
    handler = staff.member_of(unit)
    if case.category.kind in ("dispute", "petition"):
        for _ in range(rng.choice([1, 1, 2, 3])):
            go("record_session", handler, held_at=clock.now, place="调解室",
               attendees="双方当事人及调解员",
               notes=rng.choice(["双方陈述各自诉求,调解员释法明理。",
                                 "再次组织双方面对面协商,差距缩小。",
                                 "现场查看后提出调解方案,双方同意考虑。"]))
    if rng.random() < 0.12 and final not in (Status.HANDLING,):
        kind = rng.choice(list(HANDOFF_TARGET))
        target = (Unit.objects.filter(kind=HANDOFF_TARGET[kind], area__code=case.area_code[:9])
                  .first() or Unit.objects.filter(kind=HANDOFF_TARGET[kind]).first())
        if target is not None:
            go("hand_off", handler, kind=kind, to_unit=target, note="需相关部门依法处理")
            receiver = staff.member_of(target)
            go("acknowledge_handoff", receiver)
            if final == Status.HANDED_OFF:
                return
            go("handoff_outcome", receiver, outcome="已依职责处理并反馈")
    if (case.category.max_extensions and case.category.max_extension_days
            and rng.random() < 0.08):
        go("request_extension", handler, days=min(10, case.category.max_extension_days),
           reason="需等待相关材料,申请延期")
        approve = rng.random() < 0.8
        go("decide_extension", dispatcher, approve=approve,
           note="同意延期" if approve else "理由不充分,请按期办结")
    if final in (Status.HANDLING, Status.HANDED_OFF):
        if rng.random() < 0.3:
            go("supervise", dispatcher, level=rng.choice(["normal", "yellow", "red"]),
               reason="群众反映强烈,请加快办理")
        return
    if final == Status.SUSPENDED:
        go("suspend", dispatcher, reason="等待司法鉴定结果")
        return
    dispute = case.category.kind in ("dispute", "petition")
    outcome = (rng.choices([Outcome.MEDIATED, Outcome.MEDIATION_FAILED, Outcome.LEGAL_CHANNEL],
                           [82, 10, 8])[0] if dispute
               else rng.choice([Outcome.DISPOSED, Outcome.DISPOSED, Outcome.ANSWERED]))
    agreement = None
    if outcome == Outcome.MEDIATED and case.parties.count() >= 2:
        agreement = svc.AgreementInput(
            facts=case.description, disputed_matters="双方就赔偿及后续处理存在争议",
            responsibilities="双方各负相应责任", performance="自协议签订之日起十日内履行完毕",
            terms=["一方向另一方赔偿损失人民币贰仟元整", "双方今后和睦相处,不再因此事发生争执"],
            signed_on=django_timezone.localtime(clock.now).date())
    go("resolve", handler, outcome=outcome, note="已按程序办理完毕", agreement=agreement)
    if final == Status.RESOLVED:
        return
    verifier = dispatcher
    go("verify", verifier, note="现场核查属实")
    if final == Status.VERIFIED:
        return
    go("follow_up", verifier, satisfaction=rng.choices([5, 4, 3, 2], [60, 25, 10, 5])[0],
       note="电话回访当事人")
    if final == Status.FOLLOWED_UP:
        return
    go("close", dispatcher)


def _final_status(age_days: int, rng: random.Random) -> str:
    if age_days > 60:
        return rng.choices([Status.CLOSED, Status.REJECTED, Status.SUSPENDED, Status.HANDLING],
                           [88, 5, 3, 4])[0]
    return rng.choices(
        [Status.REGISTERED, Status.ACCEPTED, Status.HANDLING, Status.HANDED_OFF,
         Status.RESOLVED, Status.VERIFIED, Status.FOLLOWED_UP, Status.CLOSED,
         Status.REJECTED, Status.SUSPENDED],
        [10, 10, 26, 4, 10, 7, 6, 22, 3, 2])[0]


def _place(grid: Area, rng: random.Random) -> dict[str, str]:
    """Where a case happens, in words: the grid's community and a road, or a village
    group (村民小组) in a village."""
    community = grid.name.split("第")[0]
    road = rng.choice(ROADS)
    village = community.endswith("村")
    group = f"{community}{rng.randint(1, 12)}组" if village else f"{community}附近某村"
    return {"community": community, "road": road, "village_group": group,
            "place": group if village else f"{community}{road}"}


def _point(grid: Area, rng: random.Random) -> tuple[float, float] | None:
    if not grid.boundary or rng.random() >= 0.85:
        return None
    polygon = shape(grid.boundary)
    minx, miny, maxx, maxy = polygon.bounds
    for _ in range(20):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if polygon.contains(Point(x, y)):
            return (round(x, 6), round(y, 6))
    return None


Progress = Callable[[int, int], None]


@transaction.atomic
def demo_cases_seed(*, seed: int = 2026, count: int = 400,
                    progress: Progress | None = None) -> int:
    """Create `count` cases in the demo district (skip if it already has cases).
    `progress(done, count)` is called every 50 cases and at the end."""
    if Case.objects.exists():
        return 0
    rng = random.Random(seed)  # noqa: S311  (demo data, not security)
    leaves = list(Category.objects.filter(active=True, children__isnull=True)
                  .select_related("specialty").prefetch_related("attributes"))
    by_kind: dict[str, list[Category]] = {}
    for category in leaves:
        by_kind.setdefault(category.kind, []).append(category)
    grids = list(Area.objects.filter(level=Level.GRID).order_by("code"))
    village_grids = [g for g in grids if g.name.split("第")[0].endswith("村")] or grids
    street1 = User.objects.get(username="street1").jurisdictions.get().area.code
    grids_street1 = [g for g in grids if g.code.startswith(street1)]
    # The grid worker (网格员) of each grid reports its patrol cases: one query for all.
    grid_worker_of = {a.grid_id: a.user for a in GridAssignment.objects.filter(
        position__code="grid_worker").select_related("user")}
    staff = _Staff(make_password(None))
    start = django_timezone.now() - timedelta(days=365)
    moments = sorted(start + timedelta(minutes=rng.randint(0, 365 * 24 * 60))
                     for _ in range(count))
    made = 0
    for moment in moments:
        clock = _Clock()
        clock.now = moment
        kind = rng.choices(list(KIND_WEIGHTS), list(KIND_WEIGHTS.values()))[0]
        category = rng.choice(by_kind.get(kind) or leaves)
        if category.code.startswith(VILLAGE_CATEGORIES):
            grid = rng.choice(village_grids)
        else:
            grid = rng.choice(grids_street1 if rng.random() < 0.35 else grids)
        channel = rng.choices(list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values()))[0]
        if kind == "petition":
            channel = rng.choice([Channel.PETITION_LETTER, Channel.PETITION_VISIT,
                                  Channel.LEADER_RECEPTION])
        a, b = _person_name(rng), _person_name(rng)
        place = _place(grid, rng)
        parties = [svc.PartyInput(role="applicant", name=a, phone=_phone(rng),
                                  id_number=_id_number(rng) if rng.random() < 0.5 else "",
                                  ethnicity="汉族", occupation=rng.choice(
                                      ["个体经营", "退休", "企业职工", "务农", "自由职业"]),
                                  address=f"{place['community']}{rng.randint(1, 40)}幢")]
        if kind == "dispute":
            parties.append(svc.PartyInput(role="respondent", name=b, phone=_phone(rng),
                                          ethnicity="汉族"))
        elif kind in ("service", "hazard", "emergency") and rng.random() < 0.6:
            parties = []
        point = _point(grid, rng)
        reporter = grid_worker_of.get(grid.pk) if channel == Channel.PATROL else None
        if reporter is None:
            reporter = staff.dispatcher
        uploads = ([SimpleUploadedFile("现场照片.png", _png(rng), "image/png")]
                   if channel == Channel.PATROL and rng.random() < 0.5 else [])
        description, attributes, address = story_case(category, rng, when=moment, place=place,
                                             a=a, b=b)
        scaled = kind in SCALED_KINDS
        with _case_clock(clock):
            case = svc.case_intake(
                channel=channel, category=category, actor=reporter, area=grid,
                lng=point[0] if point else None, lat=point[1] if point else None,
                description=description, address=address,
                happened_at=moment - timedelta(hours=rng.randint(1, 30)),
                attributes=attributes, parties=parties,
                people_band=(rng.choices([p.value for p in PeopleBand], [90, 6, 3, 1])[0]
                             if scaled else PeopleBand.UNDER_50),
                is_major=scaled and rng.random() < 0.03,
                is_group=scaled and rng.random() < 0.06,
                uploads=uploads)
            age = (django_timezone.now() - moment).days
            _play(case, _final_status(age, rng), rng, clock, staff)
        made += 1
        if progress is not None and (made % 50 == 0 or made == count):
            progress(made, count)
    return made

"""Several hundred realistic cases for the demo district, made through the real services.

Every case goes through case_intake and the workflow services, so numbers, routing,
timelines, rollups and deadlines are what the platform really produces. Only the case
clock is moved: each case's story is played out on dates spread over the past year (the
audit log keeps the real time of seeding).
"""

from __future__ import annotations

import random
import types
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone as django_timezone
from shapely import Point
from shapely.geometry import shape

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.areas.models import Area, Level
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
from civicgrid.units.models import Unit, UnitKind
from civicgrid.units.services import unit_add_member

CHANNEL_WEIGHTS = {
    Channel.PATROL: 34, Channel.HOTLINE: 20, Channel.WINDOW: 14, Channel.PORTAL: 10,
    Channel.API: 6, Channel.DEPARTMENT: 5, Channel.PETITION_LETTER: 4,
    Channel.PETITION_VISIT: 4, Channel.LEADER_RECEPTION: 3,
}
KIND_WEIGHTS = {"dispute": 45, "service": 28, "hazard": 17, "petition": 6, "emergency": 4}

TEMPLATES = {
    "0101": ["{a}与{b}夫妻感情不和,因子女抚养和财产分割发生争吵,双方情绪激动,请求调解。",
             "{a}反映其子女不履行赡养义务,老人生活困难,多次沟通无果。"],
    "0102": ["{a}反映楼上住户{b}家装修噪音扰民,晚间仍在施工,多次协商无果。",
             "{a}与邻居{b}因楼道堆物和通道使用发生矛盾,双方互不相让。",
             "{b}家卫生间漏水导致楼下{a}家天花板受损,赔偿问题协商不成。"],
    "0103": ["{employer}拖欠{n}名工人工资约{amount}元,工人多次讨要未果,情绪较大。",
             "{a}在{employer}工作期间受伤,工伤赔偿与单位意见分歧。"],
    "0104": ["{a}家属认为{institution}诊疗存在过错,要求赔偿,在医院聚集。"],
    "0105": ["{project}涉及的{n}户居民对补偿标准有异议,要求重新评估。"],
    "0106": ["{a}与{b}因宅基地界址发生争议,双方各执一词。",
             "两个村民小组因灌溉渠道使用权发生纠纷,影响春耕。"],
    "0107": ["{estate}小区业主反映物业公司收费不透明、电梯长期维修不到位,业主与物业矛盾突出。",
             "{estate}小区停车位分配引发业主与物业争执。"],
    "0108": ["{a}驾驶电动车与{b}的轿车发生碰撞,{a}受轻伤,双方就赔偿数额协商不成。"],
    "0109": ["{a}在{business}办理预付卡后商家关门,要求退款约{amount}元。"],
    "0110": ["居民反映{business}排放异味,影响周边生活。"],
    "0111": ["家长反映{school}课后服务收费问题,与学校沟通未果。"],
    "0112": ["村民对村集体收益分配方案有异议,要求公开账目。"],
    "0201": ["{place}路段井盖破损,存在安全隐患,请尽快修复。",
             "{place}人行道破损严重,老人出行不便。"],
    "0202": ["{place}垃圾堆放多日无人清运,气味较大。"],
    "0203": ["{place}一带停水已超过一天,居民用水困难。"],
    "0204": ["{place}附近广场舞音响声音过大,夜间影响休息。"],
    "0205": ["{place}有住户在屋顶违规搭建阳光房。"],
    "0206": ["{place}路灯多盏不亮,夜间出行不安全。"],
    "0208": ["{a}为独居困难老人,申请临时救助。"],
    "0209": ["{a}年迈独居,子女在外地,需要上门助餐服务。"],
    "03": ["巡查发现{place}{hazard},存在安全隐患,已现场提醒,需相关部门跟进处置。"],
    "0303": ["巡查发现{business}{hazard},已拍照取证。"],
    "04": ["{place}发生{event},现场已初步处置,需进一步协调。"],
    "05": ["{a}来信反映{issue},要求有关部门依法处理并答复。",
           "{a}来访反映{issue},情绪激动,要求尽快解决。"],
}
HAZARDS = ["楼道堆放杂物堵塞消防通道", "电动车在楼道内违规充电", "燃气管道老化漏气",
           "沿街商铺私拉电线", "老旧房屋墙体开裂"]
EVENTS = ["一起燃气泄漏险情", "强降雨导致积水", "一起交通事故造成道路拥堵"]
ISSUES = ["小区违建长期未拆除", "征收补偿款未足额发放", "单位欠薪问题", "养老保险待遇认定"]
ESTATES = ["濠河苑", "桃园新村", "江海名都", "翠竹花园", "虹桥新村", "学田小区"]
EMPLOYERS = ["南通某建筑劳务公司", "某服装加工厂", "某餐饮管理公司", "某装饰工程公司"]
BUSINESSES = ["某健身房", "某美容店", "某小吃店", "某超市", "某化工厂"]
SCHOOLS = ["某实验小学", "某中学", "某幼儿园"]
INSTITUTIONS = ["某人民医院", "某社区卫生服务中心"]
PROJECTS = ["城中村改造项目", "道路拓宽工程", "老旧小区改造项目"]


def _person_name(rng: random.Random) -> str:
    return person_name(rng)


def _id_number(rng: random.Random) -> str:
    born = date(1950, 1, 1) + timedelta(days=rng.randint(0, 365 * 55))
    first17 = f"320602{born:%Y%m%d}{rng.randint(10, 999):03d}"
    return first17 + check_digit(first17)


def _phone(rng: random.Random) -> str:
    return rng.choice(["138", "139", "151", "186", "177"]) + f"{rng.randint(0, 99999999):08d}"


def _attribute_values(category: Category, rng: random.Random, when: datetime) -> dict:
    values: dict = {}
    for attr in category.attributes.all():
        if not attr.required and rng.random() < 0.4:
            continue
        if attr.datatype == "number":
            values[attr.code] = rng.choice([2, 5, 8, 12, 30, 18000, 36000, 52000])
        elif attr.datatype == "datetime":
            values[attr.code] = (when - timedelta(hours=rng.randint(1, 48))).isoformat()
        elif attr.datatype == "singlevaluelist" and attr.values:
            values[attr.code] = rng.choice(attr.values)[0]
        elif attr.datatype == "multivaluelist" and attr.values:
            values[attr.code] = [rng.choice(attr.values)[0]]
        else:
            values[attr.code] = rng.choice(ESTATES + EMPLOYERS + BUSINESSES)
    return values


def _description(category: Category, rng: random.Random, place: str, a: str, b: str) -> str:
    options = (TEMPLATES.get(category.code[:4]) or TEMPLATES.get(category.code[:2])
               or ["{place}发现{name}问题,请尽快处理。"])
    return rng.choice(options).format(
        a=a, b=b, place=place, name=category.name, n=rng.randint(3, 40),
        amount=rng.choice([8600, 23000, 56000, 120000]), employer=rng.choice(EMPLOYERS),
        institution=rng.choice(INSTITUTIONS), project=rng.choice(PROJECTS),
        estate=rng.choice(ESTATES), business=rng.choice(BUSINESSES),
        school=rng.choice(SCHOOLS), hazard=rng.choice(HAZARDS), event=rng.choice(EVENTS),
        issue=rng.choice(ISSUES))


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
    if case.suggested_unit is not None:
        return case.suggested_unit
    street = case.queue_area.code[:9]
    return (Unit.objects.filter(area__code=street, kind=UnitKind.MEDIATION_COMMITTEE).first()
            or Unit.objects.filter(area__code=street).first()
            or Unit.objects.get(code=f"{case.area_code[:6]}-zzzx"))


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


@transaction.atomic
def demo_cases_seed(*, seed: int = 2026, count: int = 400) -> int:
    """Create `count` cases in the demo district (skip if it already has cases)."""
    if Case.objects.exists():
        return 0
    rng = random.Random(seed)  # noqa: S311  (demo data, not security)
    leaves = list(Category.objects.filter(active=True, children__isnull=True)
                  .select_related("specialty").prefetch_related("attributes"))
    by_kind: dict[str, list[Category]] = {}
    for category in leaves:
        by_kind.setdefault(category.kind, []).append(category)
    grids = list(Area.objects.filter(level=Level.GRID).order_by("code"))
    street1 = User.objects.get(username="street1").jurisdictions.get().area.code
    grids_street1 = [g for g in grids if g.code.startswith(street1)]
    grid_worker_of = dict(User.objects.filter(username__startswith="gw")
                          .values_list("username", "pk"))
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
        grid = rng.choice(grids_street1 if rng.random() < 0.35 else grids)
        channel = rng.choices(list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values()))[0]
        if kind == "petition":
            channel = rng.choice([Channel.PETITION_LETTER, Channel.PETITION_VISIT,
                                  Channel.LEADER_RECEPTION])
        a, b = _person_name(rng), _person_name(rng)
        parties = [svc.PartyInput(role="applicant", name=a, phone=_phone(rng),
                                  id_number=_id_number(rng) if rng.random() < 0.5 else "",
                                  ethnicity="汉族", occupation=rng.choice(
                                      ["个体经营", "退休", "企业职工", "务农", "自由职业"]),
                                  address=f"{grid.name.split('第')[0]}{rng.randint(1, 40)}幢")]
        if kind == "dispute":
            parties.append(svc.PartyInput(role="respondent", name=b, phone=_phone(rng),
                                          ethnicity="汉族"))
        elif kind in ("service", "hazard", "emergency") and rng.random() < 0.6:
            parties = []
        point = None
        if grid.boundary and rng.random() < 0.85:
            polygon = shape(grid.boundary)
            minx, miny, maxx, maxy = polygon.bounds
            for _ in range(20):
                x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
                if polygon.contains(Point(x, y)):
                    point = (round(x, 6), round(y, 6))
                    break
        reporter = None
        if channel == Channel.PATROL:
            reporter_pk = grid_worker_of.get(f"gw{grid.code}")
            reporter = User.objects.get(pk=reporter_pk) if reporter_pk else None
        if reporter is None:
            reporter = staff.dispatcher
        uploads = ([SimpleUploadedFile("现场照片.png", _png(rng), "image/png")]
                   if channel == Channel.PATROL and rng.random() < 0.5 else [])
        with _case_clock(clock):
            case = svc.case_intake(
                channel=channel, category=category, actor=reporter, area=grid,
                lng=point[0] if point else None, lat=point[1] if point else None,
                description=_description(category, rng, grid.name, a, b),
                address=f"{grid.name.split('第')[0]}附近",
                happened_at=moment - timedelta(hours=rng.randint(1, 30)),
                attributes=_attribute_values(category, rng, moment), parties=parties,
                people_band=rng.choices([p.value for p in PeopleBand], [90, 6, 3, 1])[0],
                is_major=rng.random() < 0.02, is_group=rng.random() < 0.04,
                uploads=uploads)
            age = (django_timezone.now() - moment).days
            _play(case, _final_status(age, rng), rng, clock, staff)
        made += 1
    return made

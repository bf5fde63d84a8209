"""Major matters of the demo district at every stage of their risk assessment, made
through the real services (civicgrid/risk, docs/risk.md):

- an old-neighbourhood renovation (加装电梯) heard in public — notice, registrations drawn
  by lot, comments answered, minutes signed and published —, rated medium (it touches more
  than 500 people), decided and being implemented, with dispute cases tagged to it;
- a land acquisition rated high (four in ten against it) and postponed (暂缓实施), with
  disputes over it above the follow-up threshold: a warning and a re-assessment suggested;
- a school merger rated low and implemented;
- a refuse transfer station whose hearing is open now (registrations and comments on the
  public page), its assessment under way;
- a bus fare change being assessed, and a clinic's move waiting for an exemption.

Dates are set back in time so the story has happened; the hearing open now takes
registrations until next week. Idempotent: nothing is added when matters exist.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.areas.demo_geometry import COUNTY_CODE
from civicgrid.areas.models import Area, Level
from civicgrid.cases.models import Case, CaseKind, Status
from civicgrid.cases.services import case_tag_matter
from civicgrid.risk.models import ActivityKind, Matter, MatterKind, Procedure
from civicgrid.risk.services import hearings as hearing_services
from civicgrid.risk.services import matters as services
from civicgrid.units.models import Unit
from civicgrid.warnings.services import area_status_evaluate

SHANGHAI = timezone.get_fixed_timezone(8 * 60)
SURNAMES = "王李张刘陈杨黄赵周吴徐孙朱马胡郭林何高罗"
GIVEN = ["建国", "秀英", "志强", "桂兰", "海燕", "晓东", "丽华", "国平", "玉珍", "文斌"]


@dataclass
class Cast:
    supervisor: User  # the district's 综治中心
    leader: User
    street: Area
    communities: list[Area]


def _cast() -> Cast | None:
    supervisor = User.objects.filter(username="supervisor").first()
    leader = User.objects.filter(username="leader").first()
    street = (Area.objects.filter(level=Level.STREET, code__startswith=COUNTY_CODE)
              .order_by("code").first())
    if supervisor is None or leader is None or street is None:
        return None
    communities = list(Area.objects.filter(parent=street, level=Level.COMMUNITY)
                       .order_by("code")[:3])
    if not communities:
        return None
    return Cast(supervisor, leader, street, communities)


def _unit(code_suffix: str) -> Unit:
    unit = Unit.objects.filter(code__endswith=code_suffix).order_by("code").first()
    return unit or Unit.objects.order_by("code").first()  # type: ignore[return-value]


def _day(days_ago: int, hour: int = 9) -> datetime:
    local = timezone.localdate() - timedelta(days=days_ago)
    return datetime.combine(local, time(hour), tzinfo=SHANGHAI)


def _register(cast: Cast, *, title: str, summary: str, kind: str, area: Area, unit: Unit,
              body: str, band: str, people: int | None, days_ago: int,
              projects: str = "") -> Matter:
    return services.matter_register(actor=cast.supervisor, now=_day(days_ago), data=(
        services.MatterInput(title=title, summary=summary,
                             kind=MatterKind.objects.get(code=kind), area=area,
                             responsible_unit=unit, deciding_body=body, people_band=band,
                             people_count=people, projects=projects)))


def _assess(cast: Cast, matter: Matter, *, plan: str, days_ago: int,
            questionnaire: tuple[int, int, int] | None, activities: list[tuple[str, str]],
            items: list[tuple[str, str, int, int, int, int, str]],
            procedure: str = Procedure.ORDINARY, reason: str = ""):
    a = services.assessment_start(matter=matter, actor=cast.supervisor, now=_day(days_ago),
                                  data=services.AssessmentInput(
        plan=plan, procedure=procedure, simplified_reason=reason,
        assessor_unit=matter.responsible_unit))
    held = timezone.localdate() - timedelta(days=days_ago - 3)
    if questionnaire:
        support, oppose, neutral = questionnaire
        answered = support + oppose + neutral
        services.activity_add(assessment=a, actor=cast.supervisor, data=services.ActivityInput(
            kind=ActivityKind.QUESTIONNAIRE, held_on=held, participants=answered,
            record=f"向涉及群众发放问卷{answered}份,全部收回。", answered=answered,
            support=support, oppose=oppose, neutral=neutral))
    for kind, record in activities:
        services.activity_add(assessment=a, actor=cast.supervisor, data=services.ActivityInput(
            kind=kind, held_on=held + timedelta(days=1), record=record, participants=30,
            place=f"{matter.area.name}会议室"))
    for dimension, text, li, im, rli, rim, mitigation in items:
        services.item_add(assessment=a, actor=cast.supervisor, data=services.ItemInput(
            dimension=dimension, description=text, likelihood=li, impact=im,
            residual_likelihood=rli, residual_impact=rim, mitigation=mitigation,
            owner=matter.responsible_unit.name, people_affected=matter.people_count or 0))
    return a


def _rate_report(cast: Cast, a, conclusion: str, days_ago: int):
    a = services.assessment_rate(assessment=a, conclusion=conclusion, actor=cast.supervisor,
                                 now=_day(days_ago))
    return services.assessment_report(assessment=a, actor=cast.supervisor, now=_day(days_ago))


def _decide(cast: Cast, matter: Matter, kind: str, minutes: str, days_ago: int, **extra):
    return services.matter_decide(matter=matter, actor=cast.leader, now=_day(days_ago),
                                  data=services.DecisionInput(
        kind=kind, decided_on=timezone.localdate() - timedelta(days=days_ago),
        body=matter.deciding_body, minutes=minutes, **extra))


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _phone(rng: random.Random) -> str:
    return "139" + "".join(rng.choice("0123456789") for _ in range(8))


def _hearing(cast: Cast, matter: Matter, rng: random.Random, *, title: str, draft: str,
             passages: list[tuple[str, str]], noticed_ago: int, starts_in: int,
             seats: dict[str, int], registrations: int,
             comments: list[tuple[int, str]]):
    """A hearing noticed `noticed_ago` days ago, held `starts_in` days from now (negative:
    in the past), with its registrations and comments."""
    starts = _day(-starts_in, 14)
    h = hearing_services.hearing_create(matter=matter, actor=cast.supervisor, data=(
        hearing_services.HearingInput(
            title=title, starts_at=starts, place=f"{matter.area.name}党群服务中心二楼会议室",
            agenda="一、主持人宣布听证纪律\n二、责任单位说明方案\n三、参加人陈述意见\n四、质证与辩论\n"
                   "五、主持人总结",
            draft_title=draft, registration_closes_at=starts - timedelta(days=3),
            comments_close_at=starts - timedelta(days=1),
            seed_source=f"{(starts - timedelta(days=2)):%Y年%m月%d日}福彩3D开奖号码")))
    hearing_services.hearing_set_passages(hearing=h, actor=cast.supervisor, passages=[
        hearing_services.PassageInput(heading=head, text=text) for head, text in passages])
    hearing_services.hearing_set_quotas(hearing=h, actor=cast.supervisor, seats=seats)
    hearing_services.hearing_notice(hearing=h, actor=cast.supervisor, now=_day(noticed_ago))
    groups = [g for g, n in seats.items() if n]
    for i in range(registrations):
        group = groups[0] if i < registrations - 2 else groups[min(i % len(groups),
                                                                   len(groups) - 1)]
        hearing_services.registration_submit(
            hearing=h, actor=None,
            now=min(_day(noticed_ago - 1 - i % 5, 10 + i % 8), timezone.now()),
            data=hearing_services.RegistrationInput(
                group=group, name=_name(rng), phone=_phone(rng),
                position=rng.choice(["support", "support", "oppose", "neutral"]),
                affiliation=f"{matter.area.name}{rng.randint(1, 12)}幢",
                statement="希望听取低层住户意见。" if i % 3 == 0 else ""))
    passages_by_number = {p.number: p for p in h.passages.all()}
    for number, text in comments:
        hearing_services.comment_submit(passage=passages_by_number[number], text=text,
                                        author=_name(rng), actor=None,
                                        now=min(_day(noticed_ago - 2, 20), timezone.now()))
    return h


RENOVATION_PASSAGES = [
    ("第一条 适用范围", "本方案适用于桃园新村1至12幢多层住宅加装电梯及地下管网改造。"),
    ("第二条 费用分摊", "加装电梯费用扣除财政补贴后,由单元内业主按楼层系数分摊,一层不分摊。"),
    ("第三条 施工时间", "施工期间每日作业时间为8时至18时,中午12时至14时不进行噪声作业。"),
    ("第四条 意见处理", "同一单元三分之二以上业主同意且无明确反对意见的,方可实施。"),
]


@transaction.atomic
def demo_risk_seed(*, seed: int = 2026) -> int:
    """The demo's major matters; the number created (0 when there were some already)."""
    if Matter.objects.exists():
        return 0
    cast = _cast()
    if cast is None:
        return 0
    rng = random.Random(seed)  # noqa: S311  (demo data, not security)
    community = cast.communities[0]
    other = cast.communities[-1]

    # 1. the renovation: heard in public, rated medium, decided, implemented
    renovation = _register(
        cast, title=f"{community.name}老旧小区改造(加装电梯、管网改造)",
        summary="对小区12幢多层住宅加装电梯,同步改造雨污分流管网和消防通道。涉及住户860户。",
        kind="urban_construction", area=community, unit=_unit("zjj"), body="区政府常务会议",
        band="gt500", people=860, days_ago=75, projects="2026年老旧小区改造工程(第三批)")
    a1 = _assess(cast, renovation, days_ago=70, plan="问卷调查全体住户,召开居民座谈会,举行听证会。",
                 questionnaire=(640, 48, 72),
                 activities=[(ActivityKind.FORUM, "居民座谈会,低层住户担心采光和费用分摊。")],
                 items=[("rationality", "低层住户认为费用分摊不公,可能阻挠施工。", 3, 3, 2, 3,
                         "一层不分摊费用,二层按0.3系数分摊。"),
                        ("controllability", "施工扰民、占用消防通道。", 3, 2, 2, 2,
                         "错峰施工,设置临时消防通道。")])
    hearing = _hearing(
        cast, renovation, rng, title="桃园新村加装电梯方案听证会",
        draft="桃园新村加装电梯实施方案(征求意见稿)", passages=RENOVATION_PASSAGES,
        noticed_ago=60, starts_in=-40, seats={"resident": 5, "stakeholder": 2, "expert": 1},
        registrations=9, comments=[
            (2, "一层住户不使用电梯,不应分摊费用。如需核实请打13812345678。"),
            (2, "二层住户使用频率低,分摊系数应低于0.5。"),
            (3, "施工时间应避开中考期间。"),
            (4, "三分之二的比例过高,建议降为过半数同意。")])
    hearing_services.registration_close(hearing=hearing, actor=cast.supervisor, now=_day(42))
    hearing_services.hearing_draw(hearing=hearing, seed="2026-10-10 福彩3D 518",
                                  actor=cast.supervisor, now=_day(42, 10))
    hearing_services.hearing_held(
        hearing=hearing, chair="陈建国", actor=cast.supervisor, now=_day(40, 17),
        minutes="听证会于下午二时在社区党群服务中心举行,主持人陈建国宣布听证纪律。区住建局说明方案;"
                "入选参加人依次发言,反对意见集中在一层、二层费用分摊和施工时间。经质证,"
                "责任单位同意调整二层分摊系数并避开中考期间施工。")
    hearing_services.minutes_sign(hearing=hearing, signed_by="陈建国", actor=cast.supervisor,
                                  now=_day(40, 18))
    answers = {"一层": ("adopted", ""), "二层": ("partly", "二层分摊系数调整为0.3,不再降低。"),
               "中考": ("adopted", ""), "三分之二": ("not_adopted",
                                                "《民法典》第二百七十八条规定须经双三分之二同意,不能降低。")}
    for comment in hearing.comments.all():
        key = next(k for k in answers if k in comment.text)
        disposition, reason = answers[key]
        hearing_services.comment_dispose(comment=comment, disposition=disposition,
                                         reason=reason, actor=cast.supervisor, now=_day(39))
    hearing_services.hearing_publish(hearing=hearing, actor=cast.supervisor, now=_day(38))
    _rate_report(cast, a1, "总体风险可控。涉及住户多,评定为中风险;"
                           "按听证意见调整分摊方案后实施。", 36)
    _decide(cast, renovation, "implement",
            "区政府第15次常务会议研究同意实施,按听证意见调整分摊方案。",
            33, mitigation_plan="成立改造专班,每幢设楼栋长,施工期间每周公示进度。")
    services.matter_implement(matter=renovation, actor=cast.supervisor, now=_day(30))

    # 2. the land acquisition: rated high, postponed; disputes over it since
    land = _register(
        cast, title=f"{cast.street.name}城东地块集体土地征收",
        summary="征收城东村集体土地约12公顷,用于建设九年一贯制学校,涉及被征收户214户。",
        kind="land_acquisition", area=cast.street, unit=_unit("zsb"), body="区政府常务会议",
        band="100-500", people=420, days_ago=58, projects="城东九年一贯制学校新建工程")
    a2 = _assess(cast, land, days_ago=55, plan="入户走访全部被征收户,发放问卷,召开村民代表会议。",
                 questionnaire=(112, 86, 16),
                 activities=[(ActivityKind.VISIT, "入户走访214户,主要诉求为补偿标准和安置房源。"),
                             (ActivityKind.EXPERT, "邀请土地、法律专家论证补偿方案合法性。")],
                 items=[("rationality", "补偿标准低于相邻街道,被征收户可能集体上访。", 4, 4, 4, 4,
                         "参照相邻街道标准重新测算补偿。"),
                        ("legality", "部分地块权属存在争议。", 3, 4, 2, 4,
                         "先行确权,争议地块暂不征收。"),
                        ("feasibility", "安置房源不足。", 3, 3, 3, 3, "")])
    _rate_report(cast, a2, "反对比例高,补偿标准争议大,评定为高风险,建议暂缓实施,"
                           "完善补偿方案后重新评估。",
                 45)
    _decide(cast, land, "postpone",
            "区政府第14次常务会议研究决定暂缓实施,责成房屋征收办完善补偿方案。", 42)

    # 3. the school merger: low, implemented
    school = _register(
        cast, title=f"{other.name}两所小学合并办学",
        summary="将生源不足的两所小学合并办学,原校舍改建为社区综合服务中心。涉及学生及家长约420人。",
        kind="education", area=other, unit=_unit("jyj"), body="区教育体育局党组会议",
        band="100-500", people=420, days_ago=120)
    a3 = _assess(cast, school, days_ago=115, plan="家长问卷、教师座谈、家长代表会议。",
                 questionnaire=(296, 8, 24),
                 activities=[(ActivityKind.FORUM, "教师座谈会,关注编制和岗位安排。")],
                 items=[("feasibility", "上学距离增加,接送不便。", 2, 3, 2, 2,
                         "开通校车,延长课后服务。"),
                        ("rationality", "部分教师岗位调整。", 2, 2, 1, 2, "按原待遇安排岗位。")])
    _rate_report(cast, a3, "群众普遍理解支持,评定为低风险,建议实施。", 100)
    _decide(cast, school, "implement", "区教育体育局党组会议研究同意实施。", 95)
    services.matter_implement(matter=school, actor=cast.supervisor, now=_day(90))

    # 4. the refuse transfer station: assessing, its hearing open now
    station = _register(
        cast, title=f"{cast.communities[1 % len(cast.communities)].name}垃圾中转站选址",
        summary="在社区西侧新建小型垃圾中转站,替代现有露天收集点。",
        kind="environment", area=cast.communities[1 % len(cast.communities)],
        unit=_unit("cgj"), body="区城市管理局局务会议", band="50-100", people=90, days_ago=20)
    _assess(cast, station, days_ago=15, plan="问卷调查周边住户,举行听证会。",
            questionnaire=None, activities=[], items=[])
    _hearing(cast, station, rng, title="垃圾中转站选址听证会",
             draft="垃圾中转站选址及运行管理方案(征求意见稿)", passages=[
                 ("第一条 选址", "中转站建于社区西侧公共绿地北角,距最近住宅楼35米。"),
                 ("第二条 运行", "每日清运两次,全封闭作业,配备除臭设备。"),
                 ("第三条 监督", "设立居民监督员,每月公示臭气监测结果。")],
             noticed_ago=5, starts_in=12, seats={"resident": 6, "stakeholder": 3, "deputy": 1},
             registrations=7, comments=[(1, "距离住宅太近,建议再向北移20米。"),
                                        (3, "监测结果请同时在小区公告栏张贴。")])

    # 5. the bus fare change: being assessed; 6. the clinic's move: exemption waiting
    fares = _register(
        cast, title="城区公交票价调整",
        summary="城区公交基础票价由1元调整为1.5元,老年人、学生优惠不变。",
        kind="price", area=Area.objects.get(code=COUNTY_CODE), unit=_unit("sjj"),
        body="区政府常务会议", band="gt500", people=None, days_ago=10)
    _assess(cast, fares, days_ago=8, plan="网上问卷、召开价格听证会。",
            questionnaire=(410, 230, 60),
            activities=[], items=[("rationality", "低收入群体出行成本增加。", 3, 3, 3, 2,
                                   "对低保对象发放交通补贴。")])
    clinic = _register(
        cast, title=f"{other.name}卫生服务站迁址",
        summary="社区卫生服务站迁至新建的社区综合服务中心一楼。",
        kind="health", area=other, unit=_unit("wjw"), body="区卫生健康委员会主任办公会",
        band="lt50", people=40, days_ago=6)
    services.matter_exemption_request(matter=clinic, actor=cast.supervisor,
                                      reason="迁址距离不足300米,服务内容不变,已征求居民意见无异议。")

    _tag_disputes(cast, renovation, count=2)
    _tag_disputes(cast, land, count=6)
    area_status_evaluate()  # the disputes over the land acquisition pass the threshold
    return Matter.objects.count()


def _tag_disputes(cast: Cast, matter: Matter, *, count: int) -> None:
    """Tag recent dispute cases of the matter's area with it (as the street's staff would
    on the cases' pages)."""
    since = timezone.now() - timedelta(days=25)
    cases = list(Case.objects.filter(area_code__startswith=matter.area_code,
                                     category__kind=CaseKind.DISPUTE, matter__isnull=True,
                                     registered_at__gte=since)
                 .exclude(status__in=[Status.REJECTED, Status.MERGED])
                 .order_by("-registered_at")[:count])
    for case in cases:
        case_tag_matter(case=case, matter=matter, actor=cast.supervisor,
                        note="群众反映的问题涉及该重大事项")

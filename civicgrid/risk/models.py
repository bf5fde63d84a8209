"""Major matters (重大事项) and their social-stability risk assessment, with public hearings.

A matter — a decision, project or measure touching people's interests — is registered with
its kind; kinds marked mandatory must be assessed before the decision (应评尽评), unless an
exemption is requested with a reason and approved by someone else. An assessment
(ordinary or simplified) records its plan, the consultation held (questionnaires, forums,
visits, hearings), the risk items found in the four dimensions and the level that the
published level rule gives. The deciding body then records its decision (实施 / 暂缓 /
不实施) with minutes; a high level forbids plain 实施. Hearings (听证) publish a notice and
a draft in passages, take registrations by group with quotas (drawn by lot from a published
seed when oversubscribed) and comments per passage, each given a published disposition
before the signed minutes are published. docs/risk.md explains the procedure and rules.

Scope: a matter is read by staff whose jurisdiction lies under or above its owning area or
one of the areas it affects; its assessments, items, hearings, registrations and comments
follow it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.core.bands import PeopleBand
from civicgrid.core.localized import localized
from civicgrid.core.scope import RestrictedManager, Scope

SCORE_MIN = 1
SCORE_MAX = 5


class MatterKind(models.Model):
    """The editable list of kinds of major matters (seeded with the provincial list)."""

    code = models.SlugField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    name_en = models.CharField(_("英文名称"), max_length=60, blank=True,
                               help_text=_("英文界面显示的名称;不填则显示中文名称"))
    description = models.CharField(_("说明"), max_length=300, blank=True)
    mandatory = models.BooleanField(_("必须评估"), default=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("重大事项类别")
        verbose_name_plural = _("重大事项类别")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return localized(self)


class MatterStatus(models.TextChoices):
    REGISTERED = "registered", _("已登记")
    ASSESSING = "assessing", _("评估中")
    AWAITING_DECISION = "awaiting", _("待决策")
    DECIDED = "decided", _("已决策")
    IMPLEMENTED = "implemented", _("已实施")
    WITHDRAWN = "withdrawn", _("已撤销")


class ExemptionStatus(models.TextChoices):
    NONE = "", _("无")
    REQUESTED = "requested", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("未批准")


class MatterQuerySetMixin:
    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        """Under or above the owning area, or under or above one of the affected areas."""
        affected = MatterArea.objects.filter(scope.overlap_q("area_code")).values("matter_id")
        return scope.overlap_q("area_code") | Q(pk__in=affected)


class Matter(MatterQuerySetMixin, models.Model):
    number = models.CharField(_("编号"), max_length=20, unique=True)
    title = models.CharField(_("事项名称"), max_length=120)
    summary = models.TextField(_("事项概要"))
    kind = models.ForeignKey(MatterKind, on_delete=models.PROTECT, related_name="matters",
                             verbose_name=_("类别"))
    # The area that owns the matter (its decision is taken there); the matter is counted
    # in this area's figures. The areas it touches are `areas` (MatterArea).
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("所属区域"))
    area_code = models.CharField(max_length=15)
    responsible_unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT,
                                         related_name="+", verbose_name=_("责任单位"))
    deciding_body = models.CharField(_("决策机关"), max_length=100)
    projects = models.TextField(_("关联项目"), blank=True,
                                help_text=_("每行一个项目名称或编号"))
    people_band = models.CharField(_("涉及人数"), max_length=8, choices=PeopleBand.choices,
                                   default=PeopleBand.UNDER_50)
    people_count = models.PositiveIntegerField(_("涉及人数(估计)"), null=True, blank=True)
    # Copied from the kind when registered (a later change of the list does not rewrite
    # what was required of a matter already registered).
    assessment_required = models.BooleanField(_("必须评估"))
    exemption_status = models.CharField(_("免予评估"), max_length=10, blank=True,
                                        choices=ExemptionStatus.choices,
                                        default=ExemptionStatus.NONE)
    exemption_reason = models.TextField(_("免予评估理由"), blank=True)
    exemption_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("申请人"))
    exemption_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("审批人"))
    exemption_decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    exemption_note = models.CharField(_("审批意见"), max_length=300, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=MatterStatus.choices,
                              default=MatterStatus.REGISTERED)
    # The month the matter counts in for 应评尽评率: the month it was registered.
    registered_at = models.DateTimeField(_("登记时间"))
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                      null=True, blank=True, related_name="+",
                                      verbose_name=_("登记人"))
    implemented_at = models.DateTimeField(_("实施时间"), null=True, blank=True)
    # Set when disputes about the matter passed the follow-up threshold (the warnings
    # module's rule); cleared when a new assessment starts.
    reassessment_suggested_at = models.DateTimeField(_("建议重新评估"), null=True, blank=True)
    reassessment_reason = models.CharField(_("重新评估理由"), max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("重大事项")
        verbose_name_plural = _("重大事项")
        ordering = ["-registered_at", "-id"]
        indexes = [
            models.Index(fields=["area_code", "registered_at"], name="risk_matter_area_month"),
            models.Index(fields=["-registered_at", "-id"], name="risk_matter_recent"),
        ]
        constraints = [
            # An exemption is asked with a reason.
            models.CheckConstraint(
                condition=Q(exemption_status="") | ~Q(exemption_reason=""),
                name="risk_matter_exemption_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def exempted(self) -> bool:
        return self.exemption_status == ExemptionStatus.APPROVED

    @property
    def needs_assessment(self) -> bool:
        """Whether an assessment must come before the decision."""
        return self.assessment_required and not self.exempted


class MatterArea(models.Model):
    """An area the matter touches (the owning area's subtree or the owning area itself)."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="affected")
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    area_code = models.CharField(max_length=15)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["matter", "area"],
                                               name="risk_matterarea_unique")]
        indexes = [models.Index(fields=["area_code"], name="risk_matterarea_code")]

    def __str__(self) -> str:
        return self.area_code


class InMatter:
    """A record read through its matter's scope."""

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return Q(matter__in=Matter.objects.filter(Matter.scope_q(scope)).values("pk"))


# --- the level rule -----------------------------------------------------------------------

class RiskLevel(models.TextChoices):
    HIGH = "high", _("高风险")
    MEDIUM = "medium", _("中风险")
    LOW = "low", _("低风险")


LEVEL_RANK = {RiskLevel.LOW: 0, RiskLevel.MEDIUM: 1, RiskLevel.HIGH: 2}


class LevelRule(models.Model):
    """One published version of the rule that turns an assessment's findings into its
    level (docs/risk.md, "The level rule"). Versions are never edited: a change publishes
    the next version, and each assessment keeps the version it was rated by."""

    version = models.PositiveIntegerField(_("版本"), unique=True)
    # An item's score is likelihood × impact after its mitigation (residual), 1..25.
    high_item_score = models.PositiveSmallIntegerField(_("高风险项分值下限"), default=15)
    medium_item_score = models.PositiveSmallIntegerField(_("中风险项分值下限"), default=8)
    # High when at least this many items are medium (many medium risks together).
    high_medium_items = models.PositiveSmallIntegerField(_("中风险项达到即为高风险"),
                                                         default=3)
    # The share of questionnaire answers against the matter (percent).
    high_oppose_percent = models.PositiveSmallIntegerField(_("反对比例达到即为高风险(%)"),
                                                           default=30)
    medium_oppose_percent = models.PositiveSmallIntegerField(_("反对比例达到即为中风险(%)"),
                                                             default=10)
    # A matter touching at least this many people is never rated below medium (its
    # estimated count, else the floor of its band).
    people_floor_medium = models.PositiveIntegerField(_("涉及人数达到即不低于中风险"),
                                                      default=500)
    note = models.CharField(_("修订说明"), max_length=300, blank=True)
    published_at = models.DateTimeField(_("发布时间"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+",
                                     verbose_name=_("发布人"))

    class Meta:
        verbose_name = _("风险等级评定规则")
        verbose_name_plural = _("风险等级评定规则")
        ordering = ["-version"]
        constraints = [
            models.CheckConstraint(
                condition=Q(high_item_score__gt=models.F("medium_item_score"),
                            medium_item_score__gte=1, high_item_score__lte=25),
                name="risk_levelrule_scores"),
            models.CheckConstraint(
                condition=Q(high_oppose_percent__gt=models.F("medium_oppose_percent"),
                            high_oppose_percent__lte=100, high_medium_items__gte=1),
                name="risk_levelrule_oppose"),
        ]

    def __str__(self) -> str:
        return f"v{self.version}"


# --- assessments --------------------------------------------------------------------------

class Procedure(models.TextChoices):
    ORDINARY = "ordinary", _("普通程序")
    SIMPLIFIED = "simplified", _("简易程序")


class AssessorKind(models.TextChoices):
    UNIT = "unit", _("评估主体单位")
    THIRD_PARTY = "third_party", _("第三方机构")


class AssessmentStatus(models.TextChoices):
    OPEN = "open", _("评估中")
    RATED = "rated", _("已定级")
    REPORTED = "reported", _("已报送")
    DECIDED = "decided", _("已决策")
    SUPERSEDED = "superseded", _("已被重新评估取代")


class Assessment(InMatter, models.Model):
    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="assessments",
                               verbose_name=_("重大事项"))
    round = models.PositiveSmallIntegerField(_("评估轮次"), default=1)
    procedure = models.CharField(_("评估程序"), max_length=12, choices=Procedure.choices,
                                 default=Procedure.ORDINARY)
    simplified_reason = models.TextField(_("适用简易程序理由"), blank=True)
    assessor_kind = models.CharField(_("评估主体"), max_length=12,
                                     choices=AssessorKind.choices, default=AssessorKind.UNIT)
    assessor_unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, null=True,
                                      blank=True, related_name="+",
                                      verbose_name=_("评估单位"))
    assessor_name = models.CharField(_("第三方机构名称"), max_length=120, blank=True)
    plan = models.TextField(_("评估方案"))
    status = models.CharField(_("状态"), max_length=12, choices=AssessmentStatus.choices,
                              default=AssessmentStatus.OPEN)
    level = models.CharField(_("风险等级"), max_length=8, choices=RiskLevel.choices,
                             blank=True)
    level_rule = models.ForeignKey(LevelRule, on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+",
                                   verbose_name=_("评定规则版本"))
    # The clauses of the rule that gave the level: [{"clause", "level", "text"}].
    level_reasons = models.JSONField(_("定级理由"), default=list, blank=True)
    conclusion = models.TextField(_("评估结论与建议"), blank=True)
    rated_at = models.DateTimeField(_("定级时间"), null=True, blank=True)
    reported_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    started_at = models.DateTimeField(_("开始时间"))
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("发起人"))

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("风险评估")
        verbose_name_plural = _("风险评估")
        ordering = ["matter", "round"]
        constraints = [
            models.UniqueConstraint(fields=["matter", "round"], name="risk_assessment_round"),
            models.CheckConstraint(
                condition=~Q(procedure="simplified") | ~Q(simplified_reason=""),
                name="risk_assessment_simplified_reason"),
            models.CheckConstraint(
                condition=(Q(assessor_kind="unit", assessor_unit__isnull=False)
                           | (Q(assessor_kind="third_party") & ~Q(assessor_name=""))),
                name="risk_assessment_assessor"),
            models.CheckConstraint(
                condition=Q(status="open") | Q(status="superseded") | ~Q(level=""),
                name="risk_assessment_level_set"),
        ]

    def __str__(self) -> str:
        return f"{self.matter.number} #{self.round}"


class ActivityKind(models.TextChoices):
    QUESTIONNAIRE = "questionnaire", _("问卷调查")
    FORUM = "forum", _("座谈会")
    VISIT = "visit", _("走访")
    HEARING = "hearing", _("听证会")
    EXPERT = "expert", _("专家论证")
    NOTICE = "notice", _("公示")


class ConsultationActivity(models.Model):
    """An activity held to hear opinions, with its record. A questionnaire (until the
    survey module exists) records how many answered and how many were for, against or
    neither; the oppose share feeds the level rule."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE,
                                   related_name="activities")
    kind = models.CharField(_("方式"), max_length=16, choices=ActivityKind.choices)
    held_on = models.DateField(_("日期"))
    place = models.CharField(_("地点"), max_length=120, blank=True)
    participants = models.PositiveIntegerField(_("参与人数"), default=0)
    record = models.TextField(_("情况记录"))
    answered = models.PositiveIntegerField(_("有效问卷"), default=0)
    support = models.PositiveIntegerField(_("支持"), default=0)
    oppose = models.PositiveIntegerField(_("反对"), default=0)
    neutral = models.PositiveIntegerField(_("无所谓/不清楚"), default=0)
    hearing = models.ForeignKey("Hearing", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="activities", verbose_name=_("听证会"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("征求意见活动")
        verbose_name_plural = _("征求意见活动")
        ordering = ["assessment", "held_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(answered__gte=models.F("support") + models.F("oppose")
                            + models.F("neutral")),
                name="risk_activity_answers"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.held_on}"


class Dimension(models.TextChoices):
    LEGALITY = "legality", _("合法性")
    RATIONALITY = "rationality", _("合理性")
    FEASIBILITY = "feasibility", _("可行性")
    CONTROLLABILITY = "controllability", _("可控性(安全性)")


class RiskItem(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE,
                                   related_name="items")
    dimension = models.CharField(_("评估维度"), max_length=16, choices=Dimension.choices)
    description = models.TextField(_("风险描述"))
    likelihood = models.PositiveSmallIntegerField(_("可能性(1-5)"))
    impact = models.PositiveSmallIntegerField(_("影响程度(1-5)"))
    people_affected = models.PositiveIntegerField(_("影响人数"), default=0)
    mitigation = models.TextField(_("防范化解措施"), blank=True)
    owner = models.CharField(_("责任单位/责任人"), max_length=100, blank=True)
    residual_likelihood = models.PositiveSmallIntegerField(_("措施后可能性(1-5)"))
    residual_impact = models.PositiveSmallIntegerField(_("措施后影响程度(1-5)"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("风险点")
        verbose_name_plural = _("风险点")
        ordering = ["assessment", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(likelihood__gte=SCORE_MIN, likelihood__lte=SCORE_MAX,
                            impact__gte=SCORE_MIN, impact__lte=SCORE_MAX,
                            residual_likelihood__gte=SCORE_MIN,
                            residual_likelihood__lte=SCORE_MAX,
                            residual_impact__gte=SCORE_MIN, residual_impact__lte=SCORE_MAX),
                name="risk_item_scores"),
        ]

    def __str__(self) -> str:
        return f"{self.get_dimension_display()}: {self.description[:40]}"

    @property
    def score(self) -> int:
        return self.likelihood * self.impact

    @property
    def residual_score(self) -> int:
        return self.residual_likelihood * self.residual_impact


class DecisionKind(models.TextChoices):
    IMPLEMENT = "implement", _("实施")
    POSTPONE = "postpone", _("暂缓实施")
    REJECT = "reject", _("不实施")


class Decision(InMatter, models.Model):
    """The deciding body's collective decision on a matter. A matter has at most one
    standing decision: a re-assessment supersedes it (`superseded` set)."""

    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="decisions",
                               verbose_name=_("重大事项"))
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="decisions",
                                   verbose_name=_("所依据的评估"))
    kind = models.CharField(_("决策结果"), max_length=10, choices=DecisionKind.choices)
    decided_on = models.DateField(_("决策日期"))
    body = models.CharField(_("决策机关/会议"), max_length=120)
    minutes = models.TextField(_("会议纪要"))
    # 实施 on a high level: a collective override with its reason and a mitigation plan.
    override = models.BooleanField(_("集体决策同意实施"), default=False)
    override_reason = models.TextField(_("同意实施的理由"), blank=True)
    mitigation_plan = models.TextField(_("风险防范化解方案"), blank=True)
    recorded_at = models.DateTimeField(_("录入时间"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("录入人"))
    superseded = models.BooleanField(default=False)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("决策")
        verbose_name_plural = _("决策")
        ordering = ["matter", "-recorded_at"]
        constraints = [
            models.UniqueConstraint(fields=["matter"], condition=Q(superseded=False),
                                    name="risk_decision_one_standing"),
            models.CheckConstraint(
                condition=Q(override=False) | (~Q(override_reason="") & ~Q(mitigation_plan="")
                                               & Q(kind="implement")),
                name="risk_decision_override"),
        ]


# --- hearings (听证) ------------------------------------------------------------------------

    def __str__(self) -> str:
        return f"{self.matter_id} {self.get_kind_display()}"


class HearingStatus(models.TextChoices):
    DRAFT = "draft", _("拟定中")
    NOTICED = "noticed", _("已公告,接受报名")
    CLOSED = "closed", _("报名截止")
    DRAWN = "drawn", _("已确定参加人")
    HELD = "held", _("已举行")
    PUBLISHED = "published", _("笔录已公布")


class Hearing(InMatter, models.Model):
    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="hearings",
                               verbose_name=_("重大事项"))
    title = models.CharField(_("听证会名称"), max_length=120)
    starts_at = models.DateTimeField(_("举行时间"))
    place = models.CharField(_("地点"), max_length=200)
    agenda = models.TextField(_("议程"))
    draft_title = models.CharField(_("草案名称"), max_length=120)
    registration_closes_at = models.DateTimeField(_("报名截止时间"))
    comments_close_at = models.DateTimeField(_("意见征集截止时间"))
    status = models.CharField(_("状态"), max_length=10, choices=HearingStatus.choices,
                              default=HearingStatus.DRAFT)
    noticed_at = models.DateTimeField(_("公告时间"), null=True, blank=True)
    # The lot draw: the registrations frozen at the close (their SHA-256 published), the
    # seed published before the draw, the result reproducible from both (docs/risk.md).
    registrations_digest = models.CharField(_("报名名单摘要(SHA-256)"), max_length=64,
                                            blank=True)
    # Where the seed will come from, published with the notice before anyone registers:
    # a public draw held after registration closes (e.g. a lottery's numbers of a named
    # day), so that no one — organisers included — can choose it knowing the list.
    seed_source = models.CharField(_("抽签种子来源"), max_length=120, blank=True)
    seed = models.CharField(_("抽签种子"), max_length=100, blank=True)
    drawn_at = models.DateTimeField(_("抽签时间"), null=True, blank=True)
    chair = models.CharField(_("主持人"), max_length=60, blank=True)
    minutes = models.TextField(_("听证笔录"), blank=True)
    minutes_signed_by = models.CharField(_("笔录签字(主持人)"), max_length=60, blank=True)
    minutes_signed_at = models.DateTimeField(_("签字时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("公布时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("听证会")
        verbose_name_plural = _("听证会")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["status", "starts_at"], name="risk_hearing_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(published_at__isnull=True) | Q(minutes_signed_at__isnull=False),
                name="risk_hearing_signed_before_published"),
        ]

    def __str__(self) -> str:
        return self.title


class ParticipantGroup(models.TextChoices):
    RESIDENT = "resident", _("居民代表")
    STAKEHOLDER = "stakeholder", _("利害关系人")
    EXPERT = "expert", _("专家学者")
    DEPUTY = "deputy", _("人大代表、政协委员")


class HearingQuota(models.Model):
    hearing = models.ForeignKey(Hearing, on_delete=models.CASCADE, related_name="quotas")
    group = models.CharField(_("类别"), max_length=12, choices=ParticipantGroup.choices)
    seats = models.PositiveSmallIntegerField(_("名额"))

    class Meta:
        ordering = ["hearing", "group"]
        constraints = [models.UniqueConstraint(fields=["hearing", "group"],
                                               name="risk_quota_unique")]

    def __str__(self) -> str:
        return f"{self.get_group_display()} × {self.seats}"


class Position(models.TextChoices):
    SUPPORT = "support", _("支持")
    OPPOSE = "oppose", _("反对")
    NEUTRAL = "neutral", _("其他意见")


class RegistrationStatus(models.TextChoices):
    REGISTERED = "registered", _("已报名")
    SELECTED = "selected", _("入选")
    WAITLISTED = "waitlisted", _("候补")
    WITHDRAWN = "withdrawn", _("已撤回")


class Registration(models.Model):
    """A person's registration to take part in a hearing. The name is shown masked in
    public; the phone is sealed (encrypted, keyed hash, mask) like every phone."""

    hearing = models.ForeignKey(Hearing, on_delete=models.CASCADE,
                                related_name="registrations")
    number = models.PositiveIntegerField(_("报名序号"))
    group = models.CharField(_("类别"), max_length=12, choices=ParticipantGroup.choices)
    name = models.CharField(_("姓名"), max_length=60)
    phone_encrypted = models.TextField(blank=True)
    phone_hash = models.CharField(max_length=64, blank=True)
    phone_masked = models.CharField(_("联系电话"), max_length=24, blank=True)
    affiliation = models.CharField(_("单位/住址(小区)"), max_length=120, blank=True)
    position = models.CharField(_("基本观点"), max_length=10, choices=Position.choices)
    wants_to_speak = models.BooleanField(_("申请发言"), default=True)
    statement = models.TextField(_("发言要点"), blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=RegistrationStatus.choices,
                              default=RegistrationStatus.REGISTERED)
    draw_key = models.CharField(max_length=64, blank=True)  # SHA-256(seed:number)
    draw_rank = models.PositiveSmallIntegerField(_("抽签顺位"), null=True, blank=True)
    speaking_order = models.PositiveSmallIntegerField(_("发言顺序"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=8, default="online",
                              choices=[("online", _("网上报名")), ("desk", _("现场/电话报名"))])
    created_at = models.DateTimeField(_("报名时间"))

    class Meta:
        verbose_name = _("听证报名")
        verbose_name_plural = _("听证报名")
        ordering = ["hearing", "number"]
        constraints = [
            models.UniqueConstraint(fields=["hearing", "number"], name="risk_reg_number"),
            # One registration per phone and hearing (a person registers once).
            models.UniqueConstraint(fields=["hearing", "phone_hash"],
                                    condition=~Q(phone_hash="") & ~Q(status="withdrawn"),
                                    name="risk_reg_one_per_phone"),
        ]

    def __str__(self) -> str:
        return f"{self.hearing_id}-{self.number}"


class Passage(models.Model):
    """One passage (条/段) of the draft put to consultation, commented on by itself."""

    hearing = models.ForeignKey(Hearing, on_delete=models.CASCADE, related_name="passages")
    number = models.PositiveSmallIntegerField(_("序号"))
    heading = models.CharField(_("标题"), max_length=120, blank=True)
    text = models.TextField(_("内容"))

    class Meta:
        ordering = ["hearing", "number"]
        constraints = [models.UniqueConstraint(fields=["hearing", "number"],
                                               name="risk_passage_number")]

    def __str__(self) -> str:
        return f"{self.number} {self.heading}"


class Disposition(models.TextChoices):
    ADOPTED = "adopted", _("采纳")
    PARTLY = "partly", _("部分采纳")
    NOT_ADOPTED = "not_adopted", _("未采纳")


class CommentSource(models.TextChoices):
    ONLINE = "online", _("网上提交")
    PAPER = "paper", _("书面意见录入")


class Comment(models.Model):
    """A comment on a passage. Never deleted. `text` is what is published: personal data
    found in what was written is masked under the published rule (docs/risk.md) and
    `masked` says so; what was written is kept sealed in `original_encrypted`."""

    passage = models.ForeignKey(Passage, on_delete=models.PROTECT, related_name="comments")
    hearing = models.ForeignKey(Hearing, on_delete=models.PROTECT, related_name="comments")
    number = models.PositiveIntegerField(_("意见编号"))
    source = models.CharField(_("来源"), max_length=8, choices=CommentSource.choices)
    author = models.CharField(_("署名"), max_length=60, blank=True)  # published masked
    text = models.TextField(_("意见内容"))
    original_encrypted = models.TextField(blank=True)
    masked = models.BooleanField(_("已遮蔽个人信息"), default=False)
    created_at = models.DateTimeField(_("提交时间"))
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("录入人"))
    disposition = models.CharField(_("处理结果"), max_length=12, blank=True,
                                   choices=Disposition.choices)
    disposition_reason = models.TextField(_("理由"), blank=True)
    disposed_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    disposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("处理人"))

    class Meta:
        verbose_name = _("草案意见")
        verbose_name_plural = _("草案意见")
        ordering = ["hearing", "number"]
        constraints = [
            models.UniqueConstraint(fields=["hearing", "number"], name="risk_comment_number"),
            # 部分采纳 and 未采纳 give their reason.
            models.CheckConstraint(
                condition=Q(disposition="") | Q(disposition="adopted")
                | ~Q(disposition_reason=""),
                name="risk_comment_disposition_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.hearing_id}-{self.number}"

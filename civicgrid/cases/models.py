"""The case pipeline's data: categories, cases, parties, timeline, hand-offs, supervision.

Invariants live in the database where they can (unique numbers, one rollup row per key,
checks on bands and levels); the workflow's allowed transitions live in
civicgrid/cases/workflow.py and every change goes through civicgrid/cases/services.py.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.core.bands import PeopleBand
from civicgrid.core.localized import localized, localized_values
from civicgrid.core.scope import RestrictedManager, Scope


class CaseKind(models.TextChoices):
    DISPUTE = "dispute", _("矛盾纠纷")
    PETITION = "petition", _("信访")
    SERVICE = "service", _("民生服务")
    HAZARD = "hazard", _("安全隐患")
    EMERGENCY = "emergency", _("突发事件")


class HandlingLevel(models.TextChoices):
    """Where a case is handled: 小事不出村、一般事不出镇、大事不出区."""

    COMMUNITY = "community", _("村(社区)")
    STREET = "street", _("镇(街道)")
    COUNTY = "county", _("区县")


# The area code length of each handling level, and the order of escalation.
LEVEL_CODE_LENGTH = {HandlingLevel.COMMUNITY: 12, HandlingLevel.STREET: 9,
                     HandlingLevel.COUNTY: 6}
LEVEL_ORDER = [HandlingLevel.COMMUNITY, HandlingLevel.STREET, HandlingLevel.COUNTY]


class Channel(models.TextChoices):
    PATROL = "patrol", _("网格巡查")
    WINDOW = "window", _("窗口来访")
    HOTLINE = "hotline", _("热线电话")
    PORTAL = "portal", _("群众网上反映")
    DEPARTMENT = "department", _("部门移交")
    PETITION_LETTER = "petition_letter", _("信访来信")
    PETITION_VISIT = "petition_visit", _("信访来访")
    API = "api", _("接口(Open311)")
    LEADER_RECEPTION = "leader_reception", _("领导接访")


class Status(models.TextChoices):
    REGISTERED = "registered", _("待受理")
    ACCEPTED = "accepted", _("待派遣")
    HANDLING = "handling", _("办理中")
    HANDED_OFF = "handed_off", _("对接中")
    RESOLVED = "resolved", _("待核查")
    VERIFIED = "verified", _("待回访")
    FOLLOWED_UP = "followed_up", _("待结案")
    SUSPENDED = "suspended", _("缓办")
    CLOSED = "closed", _("已结案")
    REJECTED = "rejected", _("不予受理")
    MERGED = "merged", _("已合并")


STATUS_LABELS = dict(Status.choices)  # lazy labels: translated when shown

OPEN_STATUSES = frozenset({
    Status.REGISTERED, Status.ACCEPTED, Status.HANDLING, Status.HANDED_OFF, Status.RESOLVED,
    Status.VERIFIED, Status.FOLLOWED_UP, Status.SUSPENDED,
})
# Statuses whose stage clock runs (a suspended case leaves the due counts).
CLOCKED_STATUSES = OPEN_STATUSES - {Status.SUSPENDED}


class Outcome(models.TextChoices):
    MEDIATED = "mediated", _("调解成功")
    MEDIATION_FAILED = "mediation_failed", _("调解不成")
    LEGAL_CHANNEL = "legal_channel", _("转法定途径")
    ANSWERED = "answered", _("已答复")
    DISPOSED = "disposed", _("已处置")
    WITHDRAWN = "withdrawn", _("当事人撤回")


class SupervisionLevel(models.TextChoices):
    NONE = "", _("无")
    NORMAL = "normal", _("普通督办")
    YELLOW = "yellow", _("黄牌督办")
    RED = "red", _("红牌督办(挂牌督办)")


class AttributeType(models.TextChoices):
    STRING = "string", _("文本")
    NUMBER = "number", _("数字")
    DATETIME = "datetime", _("日期时间")
    TEXT = "text", _("长文本")
    SINGLE = "singlevaluelist", _("单选")
    MULTI = "multivaluelist", _("多选")


class Category(models.Model):
    code = models.CharField(_("分类代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    name_en = models.CharField(_("英文名称"), max_length=60, blank=True,
                               help_text=_("英文界面显示;空 = 显示中文名称。"))
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="children", verbose_name=_("上级分类"))
    kind = models.CharField(_("类别"), max_length=12, choices=CaseKind.choices)
    default_level = models.CharField(_("默认处置层级"), max_length=10,
                                     choices=HandlingLevel.choices)
    specialty = models.ForeignKey("units.Specialty", on_delete=models.PROTECT, null=True,
                                  blank=True, related_name="categories",
                                  verbose_name=_("专业领域"))
    # {"accept": {"days": 3, "unit": "working"}, "handle": {...}, ...}
    sla = models.JSONField(_("各阶段时限"), default=dict)
    max_extensions = models.PositiveSmallIntegerField(_("最多延期次数"), default=1)
    max_extension_days = models.PositiveSmallIntegerField(_("最多延期天数"), default=30)
    description = models.TextField(_("说明"), blank=True)
    keywords = models.CharField(_("关键词"), max_length=200, blank=True)
    active = models.BooleanField(_("在用"), default=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("事件分类")
        verbose_name_plural = _("事件分类")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.display_name()}"

    def display_name(self) -> str:
        """The name in the reader's language (English when filled in; ADR 0009)."""
        return localized(self)

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return Q()


class CategoryAttribute(models.Model):
    """An Open311 GeoReport v2 attribute the category asks for at intake."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="attributes")
    code = models.SlugField(_("代码"), max_length=40)
    description = models.CharField(_("问题"), max_length=200)
    description_en = models.CharField(_("英文问题"), max_length=200, blank=True,
                                      help_text=_("英文界面显示;空 = 显示中文。"))
    datatype = models.CharField(_("类型"), max_length=20, choices=AttributeType.choices)
    required = models.BooleanField(_("必填"), default=False)
    values = models.JSONField(_("可选值"), default=list, blank=True)  # [[key, name], ...]
    values_en = models.JSONField(_("可选值英文名称"), default=dict, blank=True,
                                 help_text=_('{"代码": "English name", ...};缺的显示中文。'))
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("分类属性")
        verbose_name_plural = _("分类属性")
        ordering = ["category", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="cases_attr_unique")
        ]

    def __str__(self) -> str:
        return f"{self.category.code}.{self.code}"

    def display_description(self) -> str:
        """The question in the reader's language (ADR 0009)."""
        return localized(self, "description")

    def display_values(self) -> list[tuple[str, str]]:
        """The (key, name) answers in the reader's language (ADR 0009)."""
        return localized_values(self.values, self.values_en)


class RoutingRule(models.Model):
    """(category, area subtree, level) → unit. The most specific matching rule wins."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="routing_rules", verbose_name=_("分类"),
                                 help_text=_("空 = 任意分类;上级分类的规则适用于下级分类。"))
    area = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("区域(含下级)"))
    level = models.CharField(_("处置层级"), max_length=10, choices=HandlingLevel.choices)
    unit = models.ForeignKey("units.Unit", on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("承办单位"))
    priority = models.SmallIntegerField(_("优先级"), default=0)
    active = models.BooleanField(_("在用"), default=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("分流规则")
        verbose_name_plural = _("分流规则")
        ordering = ["level", "area__code", "-priority"]
        indexes = [models.Index(fields=["level", "active"], name="cases_rule_level")]

    def __str__(self) -> str:
        category = self.category.display_name() if self.category is not None else _("任意分类")
        return f"{category} · {self.area.name} · {self.get_level_display()} → {self.unit}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return scope.overlap_q("area__code")


class CaseNumberSequence(models.Model):
    """The last number a shard of a county's day has handed out (ADR 0011): intakes of one
    county on different shards never wait for each other. The shard is the number's first
    digit after the date, so numbers never repeat whatever CASE_NUMBER_SHARDS is."""

    county_code = models.CharField(max_length=6)
    day = models.DateField()
    shard = models.PositiveSmallIntegerField(default=0)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["county_code", "day", "shard"],
                                    name="cases_number_seq_unique"),
            models.CheckConstraint(condition=Q(shard__lte=9), name="cases_number_seq_shard"),
        ]

    def __str__(self) -> str:
        return f"{self.county_code}-{self.day:%Y%m%d}/{self.shard}: {self.last}"


class Case(models.Model):
    number = models.CharField(_("编号"), max_length=24, unique=True)
    # The resident's random tracking code (civicgrid/core/tracking.py), separate from the
    # sequential number: the portal finds a case by it and nothing else.
    tracking_code = models.CharField(_("查询码"), max_length=9, unique=True, editable=False)
    channel = models.CharField(_("来源渠道"), max_length=20, choices=Channel.choices)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="cases",
                                 verbose_name=_("分类"))
    attributes = models.JSONField(_("分类属性"), default=dict, blank=True)
    description = models.TextField(_("情况描述"))
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="cases",
                             verbose_name=_("发生地"))
    area_code = models.CharField(max_length=15)  # copy of area.code for prefix scans
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    happened_at = models.DateTimeField(_("发生时间"), null=True, blank=True)
    people_band = models.CharField(_("涉及人数"), max_length=8, choices=PeopleBand.choices,
                                   default=PeopleBand.UNDER_50)
    # The major matter (civicgrid/risk) the case is about, tagged at intake or later: counted
    # on the matter's page and by the follow-up warning on disputes about a matter.
    matter = models.ForeignKey("risk.Matter", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="cases", verbose_name=_("涉及重大事项"))
    is_major = models.BooleanField(_("重大矛盾纠纷"), default=False)
    is_group = models.BooleanField(_("群体性"), default=False)
    # A petition from someone who petitioned before (not 初信初访), found at intake by the
    # applicant's phone or ID number.
    is_repeat = models.BooleanField(_("重复信访"), default=False)

    level = models.CharField(_("处置层级"), max_length=10, choices=HandlingLevel.choices)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices,
                              default=Status.REGISTERED)
    # (No single-column index on these two: cases_case_queue and cases_case_unit below
    # lead with them, and every intake would write the copy for nothing.)
    queue_area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("受理调度中心所在区域"), db_index=False)
    assigned_unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, null=True,
                                      blank=True, related_name="assigned_cases",
                                      verbose_name=_("承办单位"), db_index=False)
    suggested_unit = models.ForeignKey("units.Unit", on_delete=models.SET_NULL, null=True,
                                       blank=True, related_name="+",
                                       verbose_name=_("建议承办单位"))
    routing_rule = models.ForeignKey(RoutingRule, on_delete=models.SET_NULL, null=True,
                                     blank=True, related_name="+", verbose_name=_("分流规则"))
    routing_note = models.CharField(_("分流说明"), max_length=200, blank=True)

    outcome = models.CharField(_("办理结果"), max_length=20, choices=Outcome.choices,
                               blank=True)
    outcome_note = models.TextField(_("办理情况"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)

    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="reported_cases",
                                    verbose_name=_("登记人"))
    registered_at = models.DateTimeField(_("登记时间"))
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("交办时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)

    stage_started_at = models.DateTimeField(_("本阶段开始"))
    stage_due_at = models.DateTimeField(_("本阶段时限"), null=True, blank=True)
    handle_due_at = models.DateTimeField(_("办理时限"), null=True, blank=True)
    # Years counted with the weekends-only fallback for the current deadlines (shown as a
    # warning wherever they appear).
    due_fallback_years = models.CharField(max_length=40, blank=True)
    closed_on_time = models.BooleanField(null=True, blank=True)
    closed_level = models.CharField(max_length=10, choices=HandlingLevel.choices, blank=True)

    supervision = models.CharField(_("督办"), max_length=8, choices=SupervisionLevel.choices,
                                   blank=True, default="")
    supervision_reason = models.CharField(_("督办事由"), max_length=200, blank=True)
    suspended_from = models.CharField(max_length=12, choices=Status.choices, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    extensions_used = models.PositiveSmallIntegerField(default=0)
    extension_days_used = models.PositiveSmallIntegerField(default=0)
    merged_into = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="duplicates", verbose_name=_("合并至"))
    escalations = models.PositiveSmallIntegerField(default=0)

    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("事件")
        verbose_name_plural = _("事件")
        ordering = ["-registered_at", "-id"]
        indexes = [
            models.Index(fields=["area_code", "registered_at"], name="cases_case_area_time"),
            models.Index(fields=["queue_area", "status", "id"], name="cases_case_queue"),
            models.Index(fields=["assigned_unit", "status", "id"], name="cases_case_unit"),
            models.Index(fields=["status", "stage_due_at"], name="cases_case_due"),
            models.Index(fields=["registered_at", "id"], name="cases_case_registered"),
            models.Index(fields=["supervision", "status"], name="cases_case_supervised"),
            # The cases of some statuses in an area subtree: the open cases behind inboxes,
            # their counts and overdue lists, read without the closed history. Pattern ops
            # so that `area_code LIKE '3206%'` uses it whatever the database collation. (A
            # partial index on the open statuses reads the same rows, but proving its
            # condition against the inboxes' OR-ed status lists costs PostgreSQL's planner
            # more than the query itself: docs/benchmarks.md.) The deadline last: "the open
            # cases of this subtree longest past their deadline" (the dashboard) checks it in
            # the index instead of reading every overdue case of the city.
            models.Index(fields=["status", "area_code", "stage_due_at"],
                         name="cases_case_status_area_due",
                         opclasses=["varchar_pattern_ops", "varchar_pattern_ops",
                                    "timestamptz_ops"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(satisfaction__isnull=True)
                                   | Q(satisfaction__gte=1, satisfaction__lte=5),
                                   name="cases_case_satisfaction_1_5"),
            models.CheckConstraint(condition=~Q(status="handling")
                                   | Q(assigned_unit__isnull=False),
                                   name="cases_case_handling_has_unit"),
            models.CheckConstraint(condition=~Q(status="merged") | Q(merged_into__isnull=False),
                                   name="cases_case_merged_has_master"),
        ]

    def __str__(self) -> str:
        return self.number

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        """Cases in the user's areas, cases of the user's units (assigned or handed off to
        them), and cases the user reported.

        The hand-off part is added only when one of the user's units has received a
        hand-off (one indexed query): inside OR, a sub-select cannot use an index, so
        PostgreSQL would have to read every case of the deployment that the other
        conditions leave (a sequential scan, or every open case of the city for an
        inbox), instead of combining the index ranges of the other parts
        (docs/benchmarks.md)."""
        q = (scope.subtree_q("area_code") | Q(assigned_unit_id__in=scope.unit_ids)
             | Q(reported_by_id=scope.user_id))
        handed = HandOff.objects.filter(to_unit_id__in=scope.unit_ids)
        if scope.unit_ids and handed.exists():
            q |= Q(pk__in=handed.values("case_id"))
        return q

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def short_description(self) -> str:
        text = " ".join(self.description.split())
        return text if len(text) <= 40 else text[:39] + "…"

    def get_status_display(self) -> str:  # type: ignore[no-redef]  # (django-stubs adds one)
        """As Django's own, which builds a dict of every translated label on each call (a
        list page shows the status twice per row)."""
        return str(STATUS_LABELS.get(self.status, self.status))


class PartyRole(models.TextChoices):
    APPLICANT = "applicant", _("申请人")
    RESPONDENT = "respondent", _("被申请人")
    OTHER = "other", _("其他当事人")


class Sex(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class Party(models.Model):
    """A party to a case. The citizen ID and phone are sensitive: stored encrypted, with a
    keyed hash for exact search and a mask for display (PIPL Art. 28)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(_("身份"), max_length=12, choices=PartyRole.choices)
    name = models.CharField(_("姓名"), max_length=60)
    sex = models.CharField(_("性别"), max_length=6, choices=Sex.choices, blank=True)
    ethnicity = models.CharField(_("民族"), max_length=20, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    age = models.PositiveSmallIntegerField(_("年龄"), null=True, blank=True)
    occupation = models.CharField(_("职业"), max_length=60, blank=True)
    address = models.CharField(_("住址"), max_length=200, blank=True)
    phone_encrypted = models.TextField(blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True)
    phone_masked = models.CharField(_("联系电话"), max_length=24, blank=True)
    phone_last4 = models.CharField(max_length=4, blank=True)
    id_number_encrypted = models.TextField(blank=True)
    id_number_hash = models.CharField(max_length=64, blank=True, db_index=True)
    id_number_masked = models.CharField(_("身份证号"), max_length=18, blank=True)

    class Meta:
        verbose_name = _("当事人")
        verbose_name_plural = _("当事人")
        ordering = ["case", "role", "id"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.name}"


class Attachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="cases/%Y/%m/")
    thumbnail = models.FileField(upload_to="cases/thumbs/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["case", "id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class EventType(models.TextChoices):
    REGISTERED = "registered", _("登记")
    ACCEPTED = "accepted", _("受理")
    REJECTED = "rejected", _("不予受理")
    DISPATCHED = "dispatched", _("交办")
    RETURNED = "returned", _("退回")
    TRANSFERRED = "transferred", _("转办")
    ESCALATED = "escalated", _("上报升级")
    HANDED_OFF = "handed_off", _("对接移交")
    HANDOFF_ACKNOWLEDGED = "handoff_acknowledged", _("对接签收")
    HANDOFF_OUTCOME = "handoff_outcome", _("对接结果反馈")
    SESSION = "session", _("调解记录")
    RESOLVED = "resolved", _("办结")
    VERIFIED = "verified", _("核查通过")
    REWORK = "rework", _("核查不通过返工")
    FOLLOWED_UP = "followed_up", _("回访")
    CLOSED = "closed", _("结案")
    REOPENED = "reopened", _("重新办理")
    SUSPENDED = "suspended", _("缓办")
    RESUMED = "resumed", _("恢复办理")
    EXTENSION_REQUESTED = "extension_requested", _("申请延期")
    EXTENSION_DECIDED = "extension_decided", _("延期审批")
    SUPERVISED = "supervised", _("督办")
    REMINDED = "reminded", _("催办")
    MERGED = "merged", _("合并")
    DUPLICATE_MERGED = "duplicate_merged", _("合并重复件")
    ATTACHMENT_ADDED = "attachment_added", _("添加附件")
    AGREEMENT = "agreement", _("调解协议")
    RESIDENT_RATING = "resident_rating", _("群众评价")
    PARTY_ADDED = "party_added", _("补录当事人")
    PARTY_UPDATED = "party_updated", _("更正当事人")
    PARTY_REMOVED = "party_removed", _("移除当事人")
    FACTS_CORRECTED = "facts_corrected", _("更正事件信息")
    MATTER_TAGGED = "matter_tagged", _("关联重大事项")


class CaseEvent(models.Model):
    """The case timeline (Saleor's OrderEvent): one typed entry per thing that happened."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=24, choices=EventType.choices)
    time = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    unit = models.ForeignKey("units.Unit", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["case", "time", "id"]
        indexes = [models.Index(fields=["case", "id"], name="cases_event_case")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.type}"


class HandOffKind(models.TextChoices):
    POLICE = "police", _("公调对接(公安)")
    PROCURATORATE = "procuratorate", _("检调对接(检察院)")
    COURT = "court", _("诉调对接(法院)")
    PETITION = "petition", _("访调对接(信访)")
    LEGAL_AID = "legal_aid", _("援调对接(法律援助)")


class HandOff(models.Model):
    """对接: the case goes to another institution, which acknowledges receipt within its
    SLA and reports an outcome that flows back into the case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="handoffs")
    kind = models.CharField(_("对接类型"), max_length=16, choices=HandOffKind.choices)
    from_unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT,
                                related_name="received_handoffs", verbose_name=_("接收单位"))
    note = models.TextField(_("移交说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    created_at = models.DateTimeField()
    receipt_due_at = models.DateTimeField(_("签收时限"))
    acknowledged_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                        null=True, blank=True, related_name="+")
    outcome = models.CharField(_("对接结果"), max_length=200, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("对接")
        verbose_name_plural = _("对接")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["to_unit", "acknowledged_at"], name="cases_handoff_inbox")]

    def __str__(self) -> str:
        return f"{self.case} → {self.to_unit}"


class MediationSession(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sessions")
    held_at = models.DateTimeField(_("调解时间"))
    place = models.CharField(_("地点"), max_length=100, blank=True)
    mediator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("调解员"))
    attendees = models.CharField(_("参加人员"), max_length=300)
    notes = models.TextField(_("调解情况"))
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("调解记录")
        verbose_name_plural = _("调解记录")
        ordering = ["case", "held_at"]

    def __str__(self) -> str:
        return f"{self.case} {self.held_at:%Y-%m-%d}"


class Agreement(models.Model):
    """人民调解协议书 (人民调解法 Art. 29); judicial confirmation possible within 30 days
    of taking effect (Art. 33)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="agreement")
    number = models.CharField(_("协议编号"), max_length=40, unique=True)
    facts = models.TextField(_("纠纷主要事实"))
    disputed_matters = models.TextField(_("争议事项"))
    responsibilities = models.TextField(_("各方责任"), blank=True)
    terms = models.JSONField(_("协议内容"), default=list)
    performance = models.TextField(_("履行方式、期限"))
    signed_on = models.DateField(_("生效日期"))
    copies = models.PositiveSmallIntegerField(_("份数"))
    confirmation_deadline = models.DateField(_("司法确认申请截止"))
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("调解协议")
        verbose_name_plural = _("调解协议")
        constraints = [models.CheckConstraint(condition=Q(copies__gte=3),
                                              name="cases_agreement_copies")]

    def __str__(self) -> str:
        return self.number


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    DENIED = "denied", _("未批准")


class ExtensionRequest(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extensions")
    days = models.PositiveSmallIntegerField(_("延期天数"))
    reason = models.TextField(_("理由"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=ExtensionStatus.choices,
                              default=ExtensionStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["case", "requested_at"]
        constraints = [models.UniqueConstraint(
            fields=["case"], condition=Q(status="pending"), name="cases_one_pending_extension")]

    def __str__(self) -> str:
        return f"{self.case} +{self.days}"

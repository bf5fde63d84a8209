"""The public safety-perception survey (群众安全感调查): rounds, frames, samples, fieldwork.

A round (two a year) surveys one area — a district, or a city's districts — by stratified
systematic sampling (分层随机等距抽样): the frame (the registry's dwellings, or an imported
list of phone numbers and addresses) is frozen and its digest recorded; the design fixes the
strata, the allocation and the sample size; the sample is drawn systematically within each
stratum from a recorded seed, with reserves drawn the same way. Interviewers work their
call sheets (telephone, face to face, or a web link), recording every attempt with an AAPOR
disposition code; completed questionnaires become responses. When the round closes, the
estimates are computed and kept, the contact details and the frame are deleted, and the
responses lose every link to the sample: only answers and aggregates remain.
docs/surveys.md explains the design, the formulas and the privacy rules.

Scope: a round is read by staff whose jurisdiction lies under or above its area; a sampled
unit by the staff of its area and by the interviewer it is assigned to.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.core.scope import RestrictedManager, Scope

MAX_ATTEMPTS_LIMIT = 15


class RoundStatus(models.TextChoices):
    DESIGN = "design", _("方案设计")
    DRAWN = "drawn", _("已抽样")
    FIELDWORK = "fieldwork", _("调查实施")
    CLOSED = "closed", _("已结束")
    CANCELLED = "cancelled", _("已撤销")


class FrameSource(models.TextChoices):
    REGISTRY = "registry", _("一标三实房屋(入户)")
    IMPORTED = "imported", _("导入名单(电话/地址)")


class Stratification(models.TextChoices):
    CHILD = "child", _("按下级区域")
    CHILD_URBAN_RURAL = "child_urban_rural", _("按下级区域 × 城乡分类")


class Allocation(models.TextChoices):
    PROPORTIONAL = "proportional", _("按比例分配")
    EQUAL = "equal", _("等量分配")
    NEYMAN = "neyman", _("奈曼最优分配")


class Mode(models.TextChoices):
    CATI = "cati", _("电话访问")
    FACE = "face", _("入户访问")
    WEB = "web", _("网络填答")


class Half(models.IntegerChoices):
    FIRST = 1, _("上半年")
    SECOND = 2, _("下半年")


class RoundQuerySetMixin:
    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return scope.overlap_q("area_code")


class Round(RoundQuerySetMixin, models.Model):
    number = models.CharField(_("编号"), max_length=20, unique=True)
    title = models.CharField(_("调查名称"), max_length=120)
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("调查区域"))
    area_code = models.CharField(max_length=15)
    year = models.PositiveSmallIntegerField(_("年度"))
    half = models.PositiveSmallIntegerField(_("半年"), choices=Half.choices)
    status = models.CharField(_("状态"), max_length=10, choices=RoundStatus.choices,
                              default=RoundStatus.DESIGN)
    previous = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("沿用方案"))
    # design
    frame_source = models.CharField(_("抽样框"), max_length=10, choices=FrameSource.choices,
                                    default=FrameSource.REGISTRY)
    stratification = models.CharField(_("分层方式"), max_length=20,
                                      choices=Stratification.choices,
                                      default=Stratification.CHILD)
    allocation = models.CharField(_("样本分配"), max_length=12, choices=Allocation.choices,
                                  default=Allocation.PROPORTIONAL)
    expected_p = models.DecimalField(_("预期比例"), max_digits=4, decimal_places=3,
                                     default=Decimal("0.900"))
    margin = models.DecimalField(_("允许误差"), max_digits=4, decimal_places=3,
                                 default=Decimal("0.030"))
    confidence = models.DecimalField(_("置信水平"), max_digits=4, decimal_places=3,
                                     default=Decimal("0.950"))
    deff = models.DecimalField(_("设计效应"), max_digits=4, decimal_places=2,
                               default=Decimal("1.50"))
    response_rate = models.DecimalField(_("预期应答率"), max_digits=4, decimal_places=3,
                                        default=Decimal("0.600"))
    reserve_ratio = models.DecimalField(_("备用样本比例"), max_digits=4, decimal_places=2,
                                        default=Decimal("0.50"))
    max_attempts = models.PositiveSmallIntegerField(
        _("每个样本最多拨打/走访次数"), default=5,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_ATTEMPTS_LIMIT)])
    modes = models.JSONField(_("调查方式"), default=list)
    index_target = models.DecimalField(_("安全感指数目标"), max_digits=4, decimal_places=3,
                                       default=Decimal("0.900"))
    # Post-stratification totals by age × sex cell ({"f|60+": 12345, …}); empty: none.
    poststrat_totals = models.JSONField(_("事后分层总体数"), default=dict, blank=True)
    n_complete = models.PositiveIntegerField(_("目标完成样本量"), default=0)
    n_issued = models.PositiveIntegerField(_("抽取样本量"), default=0)
    # the frame, frozen
    frame_size = models.PositiveIntegerField(_("抽样框单位数"), default=0)
    frame_digest = models.CharField(_("抽样框摘要"), max_length=64, blank=True)
    frame_frozen_at = models.DateTimeField(_("抽样框冻结时间"), null=True, blank=True)
    # the draw
    seed = models.CharField(_("随机种子"), max_length=64, blank=True)
    draw_digest = models.CharField(_("样本摘要"), max_length=64, blank=True)
    drawn_at = models.DateTimeField(_("抽样时间"), null=True, blank=True)
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="+",
                                 verbose_name=_("抽样人"))
    opened_at = models.DateTimeField(_("开始调查时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+",
                                  verbose_name=_("结束人"))
    # What the round found, computed when it closed (civicgrid/surveys/results.py); the
    # index is copied out for the KPI page and the release.
    results = models.JSONField(_("调查结果"), default=dict, blank=True)
    index_value = models.DecimalField(_("安全感指数"), max_digits=7, decimal_places=6,
                                      null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("创建人"))

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("安全感调查")
        verbose_name_plural = _("安全感调查")
        ordering = ["-year", "-half", "-id"]
        indexes = [models.Index(fields=["area_code", "status"], name="surveys_round_area"),
                   models.Index(fields=["status", "closed_at"], name="surveys_round_closed")]
        constraints = [
            models.UniqueConstraint(
                fields=["area", "year", "half"],
                condition=~Q(status="cancelled"),
                name="surveys_round_one_per_half"),
            models.CheckConstraint(
                condition=Q(expected_p__gt=0, expected_p__lt=1, margin__gt=0, margin__lt=1,
                            confidence__gt=0, confidence__lt=1, deff__gte=1,
                            response_rate__gt=0, response_rate__lte=1, reserve_ratio__gte=0),
                name="surveys_round_design_bounds"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class Stratum(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="strata")
    key = models.CharField(_("层"), max_length=20)  # area code, or "code:urban class"
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("区域"))
    area_code = models.CharField(max_length=15)
    urban_rural_class = models.CharField(_("城乡分类代码"), max_length=3, blank=True)
    population = models.PositiveIntegerField(_("抽样框单位数"))
    # The proportion expected in this stratum (Neyman allocation: S_h = √(p(1−p))),
    # taken from the previous round's result when there is one.
    expected_p = models.DecimalField(_("预期比例"), max_digits=4, decimal_places=3)
    allocated = models.PositiveIntegerField(_("样本量"), default=0)
    reserves = models.PositiveIntegerField(_("备用样本量"), default=0)
    interval = models.FloatField(_("抽样间距"), null=True, blank=True)
    start = models.FloatField(_("随机起点"), null=True, blank=True)
    # The stratum's frozen frame, in its sorted order: zlib-compressed JSON rows
    # [key, area code, building, room, contact] ("room:<id>" for a registry dwelling,
    # "row:<n>" for a listed one; `contact` is the encrypted contact of a listed unit until
    # the draw, which keeps the drawn units' contacts and blanks the rest). Deleted when
    # the round closes.
    frame = models.BinaryField(null=True, editable=False)

    class Meta:
        verbose_name = _("抽样层")
        verbose_name_plural = _("抽样层")
        ordering = ["round", "key"]
        constraints = [models.UniqueConstraint(fields=["round", "key"],
                                               name="surveys_stratum_unique")]

    def __str__(self) -> str:
        return self.key


class UnitStatus(models.TextChoices):
    PENDING = "pending", _("待联系")
    WORKING = "working", _("联系中")
    DONE = "done", _("已结束")


class SampleUnit(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="units")
    stratum = models.ForeignKey(Stratum, on_delete=models.CASCADE, related_name="units")
    # The unit's key in the frame ("room:<id>" / "row:<n>"); cleared when the round closes.
    frame_key = models.CharField(max_length=40, blank=True)
    area_code = models.CharField(max_length=15)
    position = models.PositiveIntegerField()  # in the stratum's sorted frame (or reserves)
    reserve = models.BooleanField(default=False)
    released = models.BooleanField(default=True)  # reserves: once a unit is exhausted
    # A reserve's place in the release order, drawn from the seed at the draw (0 for the
    # sample itself).
    release_rank = models.BigIntegerField(default=0)
    released_at = models.DateTimeField(null=True, blank=True)
    replaces = models.OneToOneField("self", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="replaced_by")
    interviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("调查员"))
    status = models.CharField(_("状态"), max_length=8, choices=UnitStatus.choices,
                              default=UnitStatus.PENDING)
    disposition = models.CharField(_("最终结果代码"), max_length=5, blank=True)
    attempts = models.PositiveSmallIntegerField(_("联系次数"), default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    callback_at = models.DateTimeField(_("约定时间"), null=True, blank=True)
    web_token_hash = models.CharField(max_length=64, blank=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("样本")
        verbose_name_plural = _("样本")
        ordering = ["round", "stratum", "reserve", "position"]
        indexes = [
            models.Index(fields=["interviewer", "status", "round"],
                         name="surveys_unit_sheet"),
            models.Index(fields=["round", "area_code", "id"], name="surveys_unit_area"),
            models.Index(fields=["web_token_hash"], name="surveys_unit_token"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["stratum", "reserve", "position"],
                                    name="surveys_unit_position"),
            models.CheckConstraint(condition=Q(reserve=True) | Q(released=True),
                                   name="surveys_unit_main_released"),
        ]

    def __str__(self) -> str:
        kind = "R" if self.reserve else "S"
        return f"{self.stratum.key}-{kind}{self.position + 1}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        """The staff of the unit's area, and the interviewer it is assigned to."""
        return scope.subtree_q("area_code") | Q(interviewer_id=scope.user_id)


class Contact(models.Model):
    """How to reach a sampled unit (address, phone, name — encrypted), kept apart from the
    answers and deleted when the round closes (docs/surveys.md, privacy)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")
    unit = models.OneToOneField("SampleUnit", on_delete=models.CASCADE,
                                related_name="contact")
    address_encrypted = models.TextField(blank=True)
    phone_encrypted = models.TextField(blank=True)
    name_encrypted = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"contact {self.pk}"



class CallAttempt(models.Model):
    unit = models.ForeignKey(SampleUnit, on_delete=models.CASCADE, related_name="calls")
    at = models.DateTimeField(_("时间"))
    interviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, related_name="+", verbose_name=_("调查员"))
    mode = models.CharField(_("方式"), max_length=5, choices=Mode.choices)
    code = models.CharField(_("结果代码"), max_length=12)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        ordering = ["unit", "at", "id"]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.code}"



class Question(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(_("题目代码"), max_length=30)
    position = models.PositiveSmallIntegerField(_("顺序"))
    kind = models.CharField(_("题型"), max_length=10, choices=[
        ("single", _("单选")), ("multiple", _("多选")), ("scale", _("量表")),
        ("text", _("文字"))])
    role = models.CharField(_("作用"), max_length=10, default="item", choices=[
        ("screen", _("甄别")), ("stratum", _("分层/配额")), ("index", _("安全感")),
        ("item", _("普通题目"))])
    # which part of the age × sex cell a stratification question gives ("sex" / "age")
    cell_part = models.CharField(max_length=5, blank=True)
    text = models.CharField(_("题目"), max_length=300)
    text_en = models.CharField(_("英文题目"), max_length=300, blank=True)
    # [{"code": "1", "label": "很安全", "label_en": "Very safe", "screen_out": false}, …]
    options = models.JSONField(_("选项"), default=list, blank=True)
    required = models.BooleanField(_("必答"), default=True)

    class Meta:
        ordering = ["round", "position"]
        constraints = [models.UniqueConstraint(fields=["round", "key"],
                                               name="surveys_question_key")]

    def __str__(self) -> str:
        return self.text


class Quota(models.Model):
    """At most `target` completed interviews in an age × sex cell (of a stratum, or of the
    whole round); an interview beyond it ends with the quota exit recorded."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="quotas")
    stratum = models.ForeignKey(Stratum, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="quotas")
    cell = models.CharField(_("配额组"), max_length=20)
    target = models.PositiveIntegerField(_("配额"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "stratum", "cell"],
                                    condition=Q(stratum__isnull=False),
                                    name="surveys_quota_unique"),
            models.UniqueConstraint(fields=["round", "cell"], condition=Q(stratum__isnull=True),
                                    name="surveys_quota_unique_round"),
        ]

    def __str__(self) -> str:
        return self.cell



class ResponseStatus(models.TextChoices):
    COMPLETE = "complete", _("完成")
    PARTIAL = "partial", _("部分完成")
    SCREENED_OUT = "screened_out", _("甄别不符")
    QUOTA_FULL = "quota_full", _("配额已满")


class Response(models.Model):
    """One interview's answers. Until the round closes it points at its sampled unit (the
    interviewer may correct it); at the close the link, the interviewer and the time of
    day are dropped and the respondent id replaced."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="responses")
    stratum = models.ForeignKey(Stratum, on_delete=models.CASCADE, related_name="responses")
    unit = models.OneToOneField(SampleUnit, on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="response")
    respondent = models.UUIDField(_("受访者编号"), unique=True)
    mode = models.CharField(_("方式"), max_length=5, choices=Mode.choices)
    interviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    status = models.CharField(_("状态"), max_length=12, choices=ResponseStatus.choices)
    quota_exit = models.CharField(_("配额退出"), max_length=20, blank=True)
    cell = models.CharField(_("年龄×性别"), max_length=20, blank=True)
    answers = models.JSONField(_("回答"), default=dict)
    completed_on = models.DateField(_("完成日期"))
    completed_at = models.DateTimeField(null=True, blank=True)  # cleared at the close

    class Meta:
        ordering = ["round", "id"]
        indexes = [models.Index(fields=["round", "status", "stratum"],
                                name="surveys_response_round")]

    def __str__(self) -> str:
        return str(self.respondent)


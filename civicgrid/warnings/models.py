"""Weekly checks with zero-reporting (周排查, 零报告) and red/yellow/green area warnings.

Invariants live in the database: one check per area and week, non-negative counts, a zero
report has no counts and a report with counts is not a zero report, `on_time` agrees with
the first submission and the due time, one status per area and day, rule thresholds in
order. Every write goes through civicgrid/warnings/services.py; the administrators edit the
settings, reporter overrides and rules in the admin (audited).
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.models import Level
from civicgrid.core.localized import localized
from civicgrid.core.scope import RestrictedManager, Scope

# --- settings ----------------------------------------------------------------------------


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("星期一")
    TUESDAY = 1, _("星期二")
    WEDNESDAY = 2, _("星期三")
    THURSDAY = 3, _("星期四")
    FRIDAY = 4, _("星期五")
    SATURDAY = 5, _("星期六")
    SUNDAY = 6, _("星期日")


# The area levels that may be expected reporters, with the settings field of each.
REPORTER_LEVEL_FIELDS = {
    Level.COUNTY: "report_county",
    Level.STREET: "report_street",
    Level.COMMUNITY: "report_community",
    Level.GRID: "report_grid",
}


class CheckSettings(models.Model):
    """The one settings row of the weekly check (id 1), edited in the admin.

    A week runs Monday to Sunday (Asia/Shanghai). Its report is due on `due_weekday` of the
    *following* week at `due_hour`:00, by default Monday 12:00.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    report_county = models.BooleanField(_("区县上报"), default=False)
    report_street = models.BooleanField(_("街道(乡镇)上报"), default=True)
    report_community = models.BooleanField(_("社区(村)上报"), default=True)
    report_grid = models.BooleanField(_("网格上报"), default=False)
    due_weekday = models.PositiveSmallIntegerField(
        _("截止:次周星期"), choices=Weekday.choices, default=Weekday.MONDAY,
        help_text=_("本周(周一至周日)的排查在下一周的这一天截止。"))
    due_hour = models.PositiveSmallIntegerField(_("截止时刻(时)"), default=12,
                                                help_text=_("0–23 时,北京时间。"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("周排查设置")
        verbose_name_plural = _("周排查设置")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="warnings_settings_singleton"),
            models.CheckConstraint(condition=Q(due_weekday__gte=0, due_weekday__lte=6),
                                   name="warnings_settings_weekday"),
            models.CheckConstraint(condition=Q(due_hour__gte=0, due_hour__lte=23),
                                   name="warnings_settings_hour"),
        ]

    def __str__(self) -> str:
        return str(_("周排查设置"))

    @property
    def reporter_levels(self) -> list[str]:
        return [level for level, name in REPORTER_LEVEL_FIELDS.items() if getattr(self, name)]


class OverrideMode(models.TextChoices):
    EXCUSED = "excused", _("免报")
    ADDED = "added", _("增报")


class ReporterOverride(models.Model):
    """An area excused from weekly reporting though its level reports, or asked to report
    though its level does not, optionally for a range of weeks (Mondays, inclusive)."""

    area = models.OneToOneField("areas.Area", on_delete=models.CASCADE,
                                related_name="check_override", verbose_name=_("区域"))
    mode = models.CharField(_("调整"), max_length=8, choices=OverrideMode.choices)
    since = models.DateField(_("自(周一)"), null=True, blank=True,
                             help_text=_("空 = 一直;填写的日期按所在周的周一计。"))
    until = models.DateField(_("至(周一)"), null=True, blank=True,
                             help_text=_("空 = 一直;填写的日期按所在周的周一计。"))
    note = models.CharField(_("说明"), max_length=200, blank=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("上报单位调整")
        verbose_name_plural = _("上报单位调整")
        ordering = ["area__code"]
        constraints = [
            models.CheckConstraint(condition=Q(mode__in=OverrideMode.values),
                                   name="warnings_override_mode"),
            models.CheckConstraint(
                condition=Q(since__isnull=True) | Q(until__isnull=True)
                | Q(since__lte=F("until")), name="warnings_override_range"),
        ]

    def __str__(self) -> str:
        return f"{self.area} · {self.get_mode_display()}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return scope.subtree_q("area__code")

    def applies(self, week: date) -> bool:
        return (self.since is None or self.since <= week) and \
            (self.until is None or week <= self.until)


# --- weekly checks -----------------------------------------------------------------------

class WeeklyCheck(models.Model):
    """One area's check (排查) of one week: what was found, or a zero report (零报告).

    A resubmission replaces the values (and bumps `revision`); every submission is kept in
    WeeklyCheckRevision. Whether the report was on time is decided once, by the first
    submission against the due time that applied then (`due_at`).
    """

    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT,
                             related_name="weekly_checks", verbose_name=_("区域"))
    area_code = models.CharField(max_length=15)  # copy of area.code for prefix scans
    week = models.DateField(_("周(周一)"))
    disputes_found = models.IntegerField(_("排查发现矛盾纠纷"), default=0)
    resolved_on_spot = models.IntegerField(_("当场化解"), default=0)
    risk_points = models.IntegerField(_("风险隐患点"), default=0)
    notes = models.TextField(_("情况说明"), blank=True)
    is_zero = models.BooleanField(_("零报告"), default=False)
    due_at = models.DateTimeField(_("截止时间"))
    first_submitted_at = models.DateTimeField(_("首次上报时间"))
    first_submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                           null=True, blank=True, related_name="+")
    submitted_at = models.DateTimeField(_("最近上报时间"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+",
                                     verbose_name=_("上报人"))
    on_time = models.BooleanField(_("按时"))
    revision = models.PositiveIntegerField(_("版本"), default=1)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("周排查")
        verbose_name_plural = _("周排查")
        ordering = ["-week", "area_code"]
        indexes = [models.Index(fields=["week", "area_code"], name="warnings_check_week")]
        constraints = [
            models.UniqueConstraint(fields=["area", "week"], name="warnings_check_area_week"),
            models.CheckConstraint(
                condition=Q(disputes_found__gte=0, resolved_on_spot__gte=0, risk_points__gte=0),
                name="warnings_check_counts_nonneg"),
            models.CheckConstraint(condition=Q(resolved_on_spot__lte=F("disputes_found")),
                                   name="warnings_check_resolved_le_found"),
            models.CheckConstraint(
                condition=Q(is_zero=True, disputes_found=0, resolved_on_spot=0, risk_points=0)
                | Q(Q(disputes_found__gt=0) | Q(risk_points__gt=0), is_zero=False),
                name="warnings_check_zero_report"),
            models.CheckConstraint(
                condition=Q(on_time=True, first_submitted_at__lte=F("due_at"))
                | Q(on_time=False, first_submitted_at__gt=F("due_at")),
                name="warnings_check_on_time"),
            models.CheckConstraint(condition=Q(revision__gte=1), name="warnings_check_revision"),
        ]

    def __str__(self) -> str:
        return f"{self.area_code} {self.week:%Y-%m-%d}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return scope.subtree_q("area_code")


class WeeklyCheckRevision(models.Model):
    """Every submission of a weekly check, in order (append-only; on PostgreSQL a trigger
    refuses UPDATE and DELETE). Revision n holds what was submitted the n-th time."""

    check_row = models.ForeignKey(WeeklyCheck, on_delete=models.PROTECT,
                                  related_name="revisions")
    revision = models.PositiveIntegerField()
    disputes_found = models.IntegerField()
    resolved_on_spot = models.IntegerField()
    risk_points = models.IntegerField()
    notes = models.TextField(blank=True)
    is_zero = models.BooleanField()
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")
    submitted_by_name = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["check_row", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["check_row", "revision"],
                                    name="warnings_revision_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.check_row} r{self.revision}"


class CheckReminder(models.Model):
    """A reminder sent for a missing weekly check. The due jobs send one per area and week
    (`automatic`, enforced by a unique constraint); supervisors may remind by hand."""

    area = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="+")
    week = models.DateField()
    automatic = models.BooleanField(default=True)
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                null=True, blank=True, related_name="+")
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["week", "area"], name="warnings_reminder_week")]
        constraints = [
            models.UniqueConstraint(fields=["area", "week"], condition=Q(automatic=True),
                                    name="warnings_reminder_auto_once"),
        ]

    def __str__(self) -> str:
        return f"{self.area_id} {self.week:%Y-%m-%d}"


# --- area warnings -----------------------------------------------------------------------

class RuleKind(models.TextChoices):
    GROUP_MAJOR = "group_major", _("群体性、重大矛盾纠纷未办结")
    OVERDUE = "overdue", _("超期未办结事件")
    RISE = "rise", _("登记事件数环比上升")
    MISSING_CHECKS = "missing_checks", _("周排查未报")
    RED_FLAGS = "red_flags", _("红牌督办事件")
    YELLOW_FLAGS = "yellow_flags", _("黄牌督办事件")
    # Disputes about one major matter (civicgrid/risk) in the last 30 days: the matter's
    # owning area gets the warning, the matter a re-assessment suggestion.
    MATTER_DISPUTES = "matter_disputes", _("同一重大事项30日内矛盾纠纷")


class Measure(models.TextChoices):
    COUNT = "count", _("数量")
    PERCENT = "percent", _("百分比(%)")


# Which measures each kind of rule can use.
KIND_MEASURES = {
    RuleKind.GROUP_MAJOR: (Measure.COUNT,),
    RuleKind.OVERDUE: (Measure.COUNT, Measure.PERCENT),
    RuleKind.RISE: (Measure.PERCENT,),
    RuleKind.MISSING_CHECKS: (Measure.COUNT, Measure.PERCENT),
    RuleKind.RED_FLAGS: (Measure.COUNT,),
    RuleKind.YELLOW_FLAGS: (Measure.COUNT,),
    RuleKind.MATTER_DISPUTES: (Measure.COUNT,),
}

# The levels that get a daily status.
EVALUATED_LEVELS = (Level.COUNTY, Level.STREET, Level.COMMUNITY)


class WarningRule(models.Model):
    """One warning rule: a measure of an area, and the values from which it makes the area
    yellow or red (value ≥ threshold). A percentage only counts once its numerator reaches
    `min_count`, so two cases out of three do not turn a quiet area red."""

    name = models.CharField(_("名称"), max_length=60)
    name_en = models.CharField(_("英文名称"), max_length=60, blank=True,
                               help_text=_("英文界面显示;空 = 显示中文名称。"))
    kind = models.CharField(_("类型"), max_length=16, choices=RuleKind.choices)
    measure = models.CharField(_("计量"), max_length=8, choices=Measure.choices,
                               default=Measure.COUNT)
    yellow_threshold = models.DecimalField(_("黄色阈值"), max_digits=8, decimal_places=2,
                                           null=True, blank=True,
                                           help_text=_("达到即为黄色;空 = 不判黄色。"))
    red_threshold = models.DecimalField(_("红色阈值"), max_digits=8, decimal_places=2,
                                        null=True, blank=True,
                                        help_text=_("达到即为红色;空 = 不判红色。"))
    min_count = models.PositiveIntegerField(
        _("最少件数"), default=0,
        help_text=_("百分比类规则:分子(或本期件数)少于此数时不预警。"))
    for_county = models.BooleanField(_("适用于区县"), default=True)
    for_street = models.BooleanField(_("适用于街道(乡镇)"), default=True)
    for_community = models.BooleanField(_("适用于社区(村)"), default=True)
    active = models.BooleanField(_("启用"), default=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("预警规则")
        verbose_name_plural = _("预警规则")
        ordering = ["kind", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=RuleKind.values),
                                   name="warnings_rule_kind"),
            models.CheckConstraint(
                condition=Q(*[Q(kind=kind, measure__in=measures)
                              for kind, measures in KIND_MEASURES.items()], _connector=Q.OR),
                name="warnings_rule_measure"),
            models.CheckConstraint(
                condition=Q(yellow_threshold__isnull=False) | Q(red_threshold__isnull=False),
                name="warnings_rule_has_threshold"),
            models.CheckConstraint(
                condition=Q(yellow_threshold__isnull=True) | Q(yellow_threshold__gte=0),
                name="warnings_rule_yellow_nonneg"),
            models.CheckConstraint(
                condition=Q(red_threshold__isnull=True) | Q(red_threshold__gte=0),
                name="warnings_rule_red_nonneg"),
            models.CheckConstraint(
                condition=Q(yellow_threshold__isnull=True) | Q(red_threshold__isnull=True)
                | Q(red_threshold__gte=F("yellow_threshold")),
                name="warnings_rule_red_above_yellow"),
            models.CheckConstraint(
                condition=Q(for_county=True) | Q(for_street=True) | Q(for_community=True),
                name="warnings_rule_has_level"),
        ]

    def __str__(self) -> str:
        return self.display_name()

    def display_name(self) -> str:
        """The name in the reader's language (ADR 0009)."""
        return localized(self)

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return Q()

    def applies_to(self, level: str) -> bool:
        return {Level.COUNTY: self.for_county, Level.STREET: self.for_street,
                Level.COMMUNITY: self.for_community}.get(Level(level), False)


class StatusColour(models.TextChoices):
    GREEN = "green", _("绿色")
    YELLOW = "yellow", _("黄色")
    RED = "red", _("红色")


SEVERITY = {StatusColour.GREEN: 0, StatusColour.YELLOW: 1, StatusColour.RED: 2}


class AreaStatus(models.Model):
    """The red/yellow/green status of an area on one day, with its reasons.

    `reasons` is a list of {"rule", "kind", "measure", "status", "value", "threshold",
    "count", "text"} for each rule that was not green. One row per area and day; the rows
    of earlier days are the history.
    """

    area = models.ForeignKey("areas.Area", on_delete=models.CASCADE,
                             related_name="warning_statuses", verbose_name=_("区域"))
    area_code = models.CharField(max_length=15)
    day = models.DateField(_("日期"))
    status = models.CharField(_("预警状态"), max_length=6, choices=StatusColour.choices)
    reasons = models.JSONField(_("原因"), default=list, blank=True)
    previous_status = models.CharField(_("上次状态"), max_length=6,
                                       choices=StatusColour.choices, blank=True)
    evaluated_at = models.DateTimeField(_("评估时间"))

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("区域预警状态")
        verbose_name_plural = _("区域预警状态")
        ordering = ["-day", "area_code"]
        indexes = [
            models.Index(fields=["day", "area_code"], name="warnings_status_day"),
            models.Index(fields=["area_code", "day"], name="warnings_status_area"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["area", "day"], name="warnings_status_area_day"),
            models.CheckConstraint(condition=Q(status__in=StatusColour.values),
                                   name="warnings_status_colour"),
        ]

    def __str__(self) -> str:
        return f"{self.area_code} {self.day:%Y-%m-%d} {self.status}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return scope.subtree_q("area_code")

    @property
    def changed(self) -> bool:
        return self.previous_status != self.status


class CheckField(models.TextChoices):
    DISPUTES_FOUND = "disputes_found", _("排查发现矛盾纠纷")
    RESOLVED_ON_SPOT = "resolved_on_spot", _("当场化解")
    RISK_POINTS = "risk_points", _("风险隐患点")
    NOTES = "notes", _("情况说明")
    IS_ZERO = "is_zero", _("零报告")


class CheckConflict(models.Model):
    """Two edits of the same field of a weekly check, neither of which saw the other (e.g.
    two phones offline): the value on record is kept, the other is kept here, and the
    check waits for a supervisor to choose (`check_conflict_resolve`). Never deleted."""

    check_row = models.ForeignKey(WeeklyCheck, on_delete=models.PROTECT,
                                  related_name="conflicts")
    field = models.CharField(max_length=20, choices=CheckField.choices)
    base_revision = models.PositiveIntegerField(null=True, blank=True)  # what the edit saw
    kept_value = models.JSONField()  # on record when the edit arrived (stays until chosen)
    offered_value = models.JSONField()  # what the late edit wanted
    offered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    offered_by_name = models.CharField(max_length=150, blank=True)
    device_id = models.CharField(max_length=64, blank=True)
    captured_at = models.DateTimeField(null=True, blank=True)  # on the phone
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    chosen_value = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["check_row", "id"]
        indexes = [models.Index(fields=["check_row", "resolved_at"],
                                name="warnings_conflict_open")]

    def __str__(self) -> str:
        return f"{self.check_row} {self.field}"

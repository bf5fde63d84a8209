"""The case rollup and the KPI targets.

`CaseStat` holds one row per (street, month, category) with one counter per measure of
civicgrid/stats/measures.py. Intake and every transition move a case's counts in the same
transaction (civicgrid/stats/rollups.py), so dashboards, KPIs and releases read a few
thousand rows instead of the cases table; `manage.py check_rollups` recomputes them from
the cases and reports any difference.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.core.scope import RestrictedManager, Scope
from civicgrid.stats.measures import MEASURES


class CaseStat(models.Model):
    area_code = models.CharField(max_length=9)  # the street (街道/乡镇) of the case's place
    month = models.DateField()  # first day of the month (Asia/Shanghai) the measure counts in
    category = models.ForeignKey("cases.Category", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["area_code", "month", "category"],
                                    name="stats_casestat_key"),
            models.CheckConstraint(
                condition=Q(*(Q(**{f"{m.name}__gte": 0}) for m in MEASURES)),
                name="stats_casestat_nonneg"),
        ]
        indexes = [
            models.Index(fields=["month", "area_code"], name="stats_casestat_month"),
            # An area subtree and a range of months (dashboards, KPIs, releases): pattern
            # ops so that `area_code LIKE '320602%'` uses it whatever the collation.
            models.Index(fields=["area_code", "month"], name="stats_casestat_area_month",
                         opclasses=["varchar_pattern_ops", "date_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.area_code} {self.month:%Y-%m} {self.category_id}"


# One non-negative counter per measure (the list is the single definition).
for _measure in MEASURES:
    CaseStat.add_to_class(_measure.name, models.IntegerField(default=0))


class Indicator(models.TextChoices):
    CLOSURE_RATE = "closure_rate", _("结案率")
    ON_TIME_RATE = "on_time_rate", _("按期结案率")
    MEDIATION_SUCCESS = "mediation_success", _("调处成功率")
    FIRST_PETITION_RESOLUTION = "first_petition_resolution", _("初信初访化解率")
    SATISFACTION = "satisfaction", _("回访满意率")
    CLOSED_AT_COMMUNITY = "closed_at_community", _("村(社区)化解占比")
    CLOSED_AT_STREET = "closed_at_street", _("镇(街道)化解占比")
    CLOSED_AT_COUNTY = "closed_at_county", _("区县化解占比")
    CHECK_COMPLETENESS = "check_completeness", _("周排查上报率")
    CHECK_TIMELINESS = "check_timeliness", _("周排查及时率")
    SAFETY_INDEX = "safety_index", _("群众安全感指数")


class KpiTarget(models.Model):
    """目标管理考核: the target of an indicator for an area (and its subtree) in a year.

    The most specific target applies: an area's own before its ancestors', a year's before
    the standing one (year 0); area empty = the whole deployment. The seed targets
    (调处成功率 ≥ 92%, 初信初访化解率 ≥ 85%) are loaded as deployment-wide standing targets.
    """

    indicator = models.CharField(_("指标"), max_length=32, choices=Indicator.choices)
    area_code = models.CharField(_("区域代码"), max_length=15, blank=True,
                                 help_text=_("空 = 全部区域;区域的目标适用于其下级。"))
    year = models.PositiveSmallIntegerField(_("年度"), default=0,
                                            help_text=_("0 = 每年"))
    value = models.DecimalField(_("目标值(%)"), max_digits=5, decimal_places=2,
                                validators=[MinValueValidator(0), MaxValueValidator(100)])
    note = models.CharField(_("依据"), max_length=200, blank=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("考核目标")
        verbose_name_plural = _("考核目标")
        ordering = ["indicator", "area_code", "year"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "area_code", "year"],
                                    name="stats_target_unique"),
            models.CheckConstraint(condition=Q(value__gte=0, value__lte=100),
                                   name="stats_target_percent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_indicator_display()} {self.area_code or '*'} {self.year or '*'}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return Q()

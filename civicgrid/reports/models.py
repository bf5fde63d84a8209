"""The published monthly safety data releases (平安数据发布).

A release is computed from the case rollup whenever it is read; publishing freezes it: the
numbers of the internal version and the suppressed public version are stored as JSON at
the moment of publication (`snapshot`), so corrections made to cases afterwards change the
live numbers but never what was published. When they matter, the district publishes a
correction (更正): a new version of the month with its reason, shown in place of the earlier
one, which is kept. See docs/reports.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.core.scope import RestrictedManager, Scope


class MonthlyRelease(models.Model):
    district = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("区县"))
    month = models.DateField(_("月份"))  # the first day of the month (Asia/Shanghai)
    public = models.BooleanField(_("向社会公开"), default=False,
                                 help_text=_("公开版(小于5的数显示为“<5”)无需登录即可查看。"))
    # {"schema": 1, "internal": {...full numbers...}, "public": {...suppressed...}}
    snapshot = models.JSONField(_("发布时的数据"))
    published_at = models.DateTimeField(_("发布时间"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+",
                                     verbose_name=_("发布人"))
    # 1 for the first publication; each correction adds the next version with its reason.
    version = models.PositiveSmallIntegerField(_("版次"), default=1)
    correction_note = models.TextField(_("更正说明"), blank=True, max_length=500)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("平安数据发布")
        verbose_name_plural = _("平安数据发布")
        ordering = ["-month", "district__code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["district", "month", "version"],
                                    name="reports_release_district_month_version"),
            models.CheckConstraint(condition=Q(version__gte=1), name="reports_release_version"),
            models.CheckConstraint(condition=Q(month__day=1), name="reports_release_month_first"),
        ]

    def __str__(self) -> str:
        text = f"{self.district.name} {self.month:%Y-%m}"
        return text if self.version == 1 else f"{text} (v{self.version})"

    @property
    def month_key(self) -> str:
        return f"{self.month:%Y-%m}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        """Releases of districts in the reader's jurisdiction (a district supervisor, the
        city above it); street staff read the public version."""
        return scope.subtree_q("district__code")

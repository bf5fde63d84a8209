"""Administrator-entered calendar days: holidays and 调休 working days.

They override the official calendar shipped with the `chinesecalendar` package and are the
only source for years the package does not cover. The arithmetic lives in
`civicgrid.workcalendar.calendar`; every write goes through `civicgrid.workcalendar.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.core.scope import RestrictedManager, Scope


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("休息日")
    WORKDAY = "workday", _("调休上班日")


class CalendarDay(models.Model):
    """One day whose status an administrator fixed; it wins over the official calendar."""

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=DayKind.choices)
    name = models.CharField(_("名称"), max_length=50, blank=True, help_text=_("例如:春节"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", editable=False, verbose_name=_("创建人"),
    )

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=DayKind.values), name="workcalendar_day_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        label = self.name or self.get_kind_display()
        return f"{self.date.isoformat()} {label}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        # Reference data for the whole deployment: the role permission alone decides.
        return Q()


class CalendarRevision(models.Model):
    """A one-row counter bumped by every change of CalendarDay; caches reload on change."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    revision = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="workcalendar_revision_singleton")
        ]

    def __str__(self) -> str:
        return f"calendar revision {self.revision}"

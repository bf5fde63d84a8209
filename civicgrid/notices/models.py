"""Notices: what a person, or everyone in a unit, is told — reminders, supervision,
escalations and hand-offs about a case; missing weekly checks and warning status changes
about an area. Every app sends them through `notice_send` (civicgrid/notices/services.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class NoticeKind(models.TextChoices):
    REMINDER = "reminder", _("催办")
    SUPERVISION = "supervision", _("督办")
    ESCALATION = "escalation", _("超时升级")
    HANDOFF = "handoff", _("对接待签收")
    EXTENSION = "extension", _("延期待审批")
    JUDICIAL = "judicial", _("司法确认提醒")
    OVERDUE = "overdue", _("超时")
    # Notices about an area rather than a case (civicgrid/warnings).
    WEEKLY_CHECK = "weekly_check", _("周排查未报")
    AREA_STATUS = "area_status", _("区域预警变化")


class Notice(models.Model):
    """A notice for a person (or everyone in a unit) about a case or an area."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True,
                             blank=True, related_name="inbox_items")
    unit = models.ForeignKey("units.Unit", on_delete=models.CASCADE, null=True, blank=True,
                             related_name="inbox_items")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, null=True, blank=True,
                             related_name="inbox_items")
    area = models.ForeignKey("areas.Area", on_delete=models.CASCADE, null=True, blank=True,
                             related_name="inbox_items")
    kind = models.CharField(max_length=12, choices=NoticeKind.choices)
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        indexes = [models.Index(fields=["user", "read_at", "id"], name="cases_inbox_user"),
                   models.Index(fields=["unit", "read_at", "id"], name="cases_inbox_unit")]
        constraints = [
            models.CheckConstraint(condition=Q(user__isnull=False) | Q(unit__isnull=False),
                                   name="cases_inbox_target"),
            models.CheckConstraint(condition=Q(case__isnull=False) | Q(area__isnull=False),
                                   name="cases_inbox_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.case or self.area}"

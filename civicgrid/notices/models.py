"""Notices: what a person, or everyone in a unit, is told — reminders, supervision,
escalations and hand-offs about a case; missing weekly checks and warning status changes
about an area. Every app sends them through `notice_send` (civicgrid/notices/services.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.notices.texts import render_or


class NoticeKind(models.TextChoices):
    REMINDER = "reminder", _("催办")
    SUPERVISION = "supervision", _("督办")
    ESCALATION = "escalation", _("超时升级")
    HANDOFF = "handoff", _("对接待签收")
    EXTENSION = "extension", _("延期待审批")
    JUDICIAL = "judicial", _("司法确认提醒")
    OVERDUE = "overdue", _("超时")
    # Told by the transitions as they happen (civicgrid/cases/services/).
    DISPATCH = "dispatch", _("新交办")
    TRANSFER = "transfer", _("转办")
    RETURNED = "returned", _("退回")
    ESCALATED = "escalated", _("上报")
    HANDOFF_BACK = "handoff_back", _("对接反馈")
    PROGRESS = "progress", _("事件进展")
    # Notices about an area rather than a case (civicgrid/warnings).
    WEEKLY_CHECK = "weekly_check", _("周排查未报")
    AREA_STATUS = "area_status", _("区域预警变化")
    # A grid worker's registry change reviewed (civicgrid/registry/services/review.py).
    REGISTRY_APPROVED = "reg_approved", _("登记变更已通过")
    REGISTRY_RETURNED = "reg_returned", _("登记变更被退回")


class NoticeCategory(models.TextChoices):
    """The tabs of the notices page: each kind belongs to one (KIND_CATEGORY)."""

    CASES = "cases", _("事件")
    WARNINGS = "warnings", _("预警")
    CHECKS = "checks", _("排查")
    REGISTRY = "registry", _("登记")
    SYSTEM = "system", _("系统")


# Every kind is placed on purpose (a test checks none is left out); a kind missing here
# would land in SYSTEM.
KIND_CATEGORY: dict[str, str] = {
    **dict.fromkeys((
        NoticeKind.REMINDER, NoticeKind.SUPERVISION, NoticeKind.ESCALATION,
        NoticeKind.HANDOFF, NoticeKind.EXTENSION, NoticeKind.JUDICIAL, NoticeKind.OVERDUE,
        NoticeKind.DISPATCH, NoticeKind.TRANSFER, NoticeKind.RETURNED, NoticeKind.ESCALATED,
        NoticeKind.HANDOFF_BACK, NoticeKind.PROGRESS), NoticeCategory.CASES),
    NoticeKind.AREA_STATUS: NoticeCategory.WARNINGS,
    NoticeKind.WEEKLY_CHECK: NoticeCategory.CHECKS,
    NoticeKind.REGISTRY_APPROVED: NoticeCategory.REGISTRY,
    NoticeKind.REGISTRY_RETURNED: NoticeCategory.REGISTRY,
}


def category_of(kind: str) -> str:
    return KIND_CATEGORY.get(kind, NoticeCategory.SYSTEM)


def kinds_of(category: str) -> list[str]:
    """The kinds shown under a tab (SYSTEM: every kind no other tab takes)."""
    if category == NoticeCategory.SYSTEM:
        return [k for k in NoticeKind.values if k not in KIND_CATEGORY]
    return [k for k, c in KIND_CATEGORY.items() if c == category]


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
    # What the notice says: a sentence of civicgrid/notices/texts.py and its parameters,
    # rendered in the reader's language when shown (`text`). `message` is the Chinese
    # rendering made at send time, whole (a reason may be 2000 characters): what the gateway
    # sends, and what a notice sent before text keys existed (text_key "") shows.
    text_key = models.CharField(max_length=40, blank=True, default="")
    params = models.JSONField(default=dict, blank=True)
    message = models.TextField()
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

    @property
    def text(self) -> str:
        """What the notice says, in the active language (the stored Chinese for a notice
        without a known text key). No query: everything is on the row."""
        return render_or(self.text_key, self.params or {}, self.message)


class NoticePreference(models.Model):
    """How a person wants notices delivered outside the system (NOTICE_GATEWAY): one
    message per notice (the default), or one digest a day (每日汇总). Notices are listed on
    the notices page either way."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                primary_key=True, related_name="notice_preference")
    daily_digest = models.BooleanField(_("每日汇总"), default=False)
    # The end of the window the last digest covered; the next one starts there.
    digest_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")

    def __str__(self) -> str:
        return f"{self.user} · {'digest' if self.daily_digest else 'each'}"

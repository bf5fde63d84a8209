"""Periodic jobs of the case pipeline (Celery beat in production, `run_due_jobs` in the
embedded default): escalate long-overdue cases, tell receiving units about overdue hand-off
receipts, remind handlers of judicial confirmation deadlines. Idempotent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.cases.inputs import ReasonInput
from civicgrid.cases.models import (
    Agreement,
    Case,
    HandlingLevel,
    HandOff,
    Status,
)
from civicgrid.cases.services.common import StaleCase, local_date
from civicgrid.cases.services.transitions import case_escalate, dispatch_centre
from civicgrid.notices.models import NoticeKind
from civicgrid.notices.services import notice_send


@dataclass
class DueJobsReport:
    escalated: list[str] = field(default_factory=list)
    handoff_notices: int = 0
    judicial_reminders: int = 0


def due_jobs_run(*, now: datetime | None = None) -> DueJobsReport:
    """Escalate cases overdue by CASE_ESCALATION_MULTIPLE × their stage time, tell
    receiving units about overdue hand-off receipts, and remind handlers that judicial
    confirmation of an agreement is still possible before its deadline. Idempotent."""
    now = now or timezone.now()
    report = DueJobsReport()
    multiple = settings.CASE_ESCALATION_MULTIPLE
    candidates = (Case.objects.filter(status__in=[Status.ACCEPTED, Status.HANDLING],
                                      stage_due_at__lt=now)
                  .exclude(level=HandlingLevel.COUNTY)
                  .select_related("category", "area", "queue_area").order_by("id"))
    for case in candidates.iterator(chunk_size=200):
        if case.stage_due_at is None:
            continue
        allowed = case.stage_due_at - case.stage_started_at
        if now - case.stage_started_at < allowed * multiple:
            continue
        try:
            case_escalate(case=case, actor=None, expected_version=case.version,
                          data=ReasonInput(reason=_("超过时限 %(m)s 倍未办理,自动上报。")
                                           % {"m": multiple}))
        except StaleCase:
            continue
        centre = dispatch_centre(case)
        if centre is not None:
            notice_send(kind=NoticeKind.ESCALATION, case_id=case.pk, unit_ids=[centre.pk],
                        now=now, text_key="auto_escalated", params={"no": case.number})
        report.escalated.append(case.number)
    overdue_handoffs = HandOff.objects.filter(acknowledged_at__isnull=True,
                                              overdue_notified_at__isnull=True,
                                              receipt_due_at__lt=now)
    for handoff in overdue_handoffs.select_related("case"):
        notice_send(kind=NoticeKind.OVERDUE, case_id=handoff.case_id,
                    unit_ids=[handoff.to_unit_id], now=now,
                    text_key="handoff_overdue", params={"no": handoff.case.number})
        handoff.overdue_notified_at = now
        handoff.save(update_fields=["overdue_notified_at"])
        report.handoff_notices += 1
    today = local_date(now)
    due_agreements = Agreement.objects.filter(
        reminder_sent_at__isnull=True, confirmation_deadline__gte=today,
        confirmation_deadline__lte=today + timedelta(days=7)).select_related("case")
    for agreement in due_agreements:
        target = agreement.case.assigned_unit
        if target is not None:
            notice_send(
                kind=NoticeKind.JUDICIAL, case_id=agreement.case_id, unit_ids=[target.pk],
                now=now,
                text_key="judicial_due",
                params={"no": agreement.number,
                        "d": agreement.confirmation_deadline.isoformat()})
        agreement.reminder_sent_at = now
        agreement.save(update_fields=["reminder_sent_at"])
        report.judicial_reminders += 1
    return report

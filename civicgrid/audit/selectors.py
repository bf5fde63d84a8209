"""Reading the audit log (auditors only, through restrict())."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING, TypedDict

from django.db.models import QuerySet
from django.utils import timezone

from civicgrid.audit.models import AuditEntry

if TYPE_CHECKING:
    from civicgrid.accounts.models import User


class AuditFilters(TypedDict, total=False):
    """The audit list's filters (the cleaned data of audit.forms.AuditFilterForm)."""

    event_type: str
    actor: str
    subject: str
    success: str
    source_ip: str | None
    date_from: date | None
    date_to: date | None


def audit_entries(*, actor: User, filters: AuditFilters) -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.restrict(actor, "view")
    if filters.get("event_type"):
        qs = qs.filter(event_type=filters["event_type"])
    if filters.get("actor"):
        qs = qs.filter(actor_username=filters["actor"])
    if filters.get("subject"):
        qs = qs.filter(subject_repr__icontains=filters["subject"])
    if filters.get("success") in ("yes", "no"):
        qs = qs.filter(success=filters["success"] == "yes")
    if filters.get("source_ip"):
        qs = qs.filter(source_ip=filters["source_ip"])
    tz = timezone.get_current_timezone()
    date_from, date_to = filters.get("date_from"), filters.get("date_to")
    if isinstance(date_from, date):
        qs = qs.filter(time__gte=datetime.combine(date_from, time.min, tzinfo=tz))
    if isinstance(date_to, date):
        qs = qs.filter(time__lte=datetime.combine(date_to, time.max, tzinfo=tz))
    return qs


def audit_event_types(*, actor: User) -> list[str]:
    return list(
        AuditEntry.objects.restrict(actor, "view")
        .order_by("event_type").values_list("event_type", flat=True).distinct()
    )

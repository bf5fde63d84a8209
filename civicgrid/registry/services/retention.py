"""Retention (PIPL Art. 19, 47): the personal details of people who left the register —
moved away, died or deregistered — more than REGISTRY_RETENTION_MONTHS ago (default 24) are
removed by a periodic job. What stays is what the figures and the history of places need:
the record's number, sex, kind, status and dates, and where and when they lived (rooms and
dates, without the reasons typed). Counts stay equal: a person who left is in no figure.

The audit log is not rewritten (it is append-only and names people by record number only).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.registry.models import (
    ChangeRequest,
    Person,
    PersonChange,
    PersonIdHistory,
    PersonStatus,
    Residence,
    ResidencePermit,
)

BATCH = 500
_CLEARED = {
    "name": "", "birth_date": None, "ethnicity": "", "id_number_encrypted": "",
    "id_number_hash": "", "id_number_masked": "", "phone_encrypted": "", "phone_hash": "",
    "phone_masked": "", "phone_last4": "", "hukou_code": "", "nationality": "",
    "occupation": "", "employer": None, "status_reason": "",
}


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier (the month's last day when it has fewer days)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


@dataclass(frozen=True)
class RetentionReport:
    cutoff: date
    people: int


def retention_apply(*, today: date | None = None, months: int | None = None) -> RetentionReport:
    """Remove the personal details of everyone who left before the cutoff; batches of
    BATCH people, each batch in its own short transaction. Running it again finds nothing."""
    months = settings.REGISTRY_RETENTION_MONTHS if months is None else months
    cutoff = months_before(today or timezone.localdate(), months)
    due = (Person.objects.filter(scrubbed_at__isnull=True, status_date__lt=cutoff)
           .exclude(status=PersonStatus.ACTIVE))
    total = 0
    while True:
        ids = list(due.order_by("pk").values_list("pk", flat=True)[:BATCH])
        if not ids:
            break
        with transaction.atomic():
            Person.objects.filter(pk__in=ids).update(scrubbed_at=timezone.now(), **_CLEARED)
            PersonIdHistory.objects.filter(person_id__in=ids).delete()
            ResidencePermit.objects.filter(person_id__in=ids).delete()
            Residence.objects.filter(person_id__in=ids).update(end_reason="")
            PersonChange.objects.filter(person_id__in=ids).update(reason="", before={})
            # (the texts typed about them in change requests: a move-out's, a return's)
            ChangeRequest.objects.filter(person_id__in=ids).update(note="", reason="")
        total += len(ids)
    if total:
        audit_record(actor=None, event_type=AuditEventType.REGISTRY_RETENTION_APPLIED,
                     details={"cutoff": cutoff.isoformat(), "months": months, "people": total})
    return RetentionReport(cutoff=cutoff, people=total)

"""Every write to the working-day calendar: administrator-entered holidays and 调休 days."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, TypedDict

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F

from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.core.scope import user_can
from civicgrid.workcalendar.calendar import work_calendar
from civicgrid.workcalendar.models import CalendarDay, CalendarRevision

if TYPE_CHECKING:
    from civicgrid.accounts.models import User


class DaySnapshot(TypedDict):
    """A calendar day as the audit log records it (before and after a change)."""

    date: str  # ISO 8601
    kind: str
    name: str


def calendar_revision_bump() -> None:
    """Tell every process that the calendar changed; this process reloads on next use."""
    updated = CalendarRevision.objects.filter(pk=1).update(revision=F("revision") + 1)
    if not updated:
        CalendarRevision.objects.create(pk=1, revision=1)
    work_calendar.changed()


def _check(actor: User | None, action: str) -> None:
    if actor is None:  # system seeding
        return
    if not user_can(actor, CalendarDay, action):
        raise PermissionDenied


def _snapshot(day: CalendarDay) -> DaySnapshot:
    return {"date": day.date.isoformat(), "kind": day.kind, "name": day.name}


def calendar_day_set(
    *, date: dt.date, kind: str, name: str = "", actor: User | None
) -> CalendarDay:
    """Enter (or change) the status of one day; it overrides the official calendar."""
    _check(actor, "add")
    existing = CalendarDay.objects.filter(date=date).first()
    if existing is not None:
        _check(actor, "change")
    with transaction.atomic():
        day = CalendarDay.objects.select_for_update().filter(date=date).first()
        before = _snapshot(day) if day is not None else None
        if day is None:
            day = CalendarDay(date=date, created_by=actor)
        day.kind = kind
        day.name = name
        day.full_clean()
        day.save()
        audit_record(
            actor=actor, event_type=AuditEventType.CALENDAR_DAY_SET, subject=day,
            username="system" if actor is None else "",
            details={"before": before, "after": _snapshot(day)},
        )
        calendar_revision_bump()
    return day


def calendar_day_delete(*, day: CalendarDay, actor: User | None) -> None:
    """Remove an entered day; the official calendar (or the weekend rule) applies again."""
    _check(actor, "delete")
    with transaction.atomic():
        details = _snapshot(day)
        audit_record(
            actor=actor, event_type=AuditEventType.CALENDAR_DAY_DELETED, subject=day,
            username="system" if actor is None else "", details=details,
        )
        day.delete()
        calendar_revision_bump()

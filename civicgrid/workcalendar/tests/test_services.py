from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civicgrid.accounts.services import user_create
from civicgrid.audit.models import AuditEntry
from civicgrid.workcalendar.calendar import Deadline, add_working_days
from civicgrid.workcalendar.models import CalendarDay, CalendarRevision
from civicgrid.workcalendar.services import calendar_day_delete, calendar_day_set

DAY = date(2026, 10, 12)


def test_set_creates_then_updates_with_audit(administrator, grid_worker):
    day = calendar_day_set(date=DAY, kind="holiday", name="测试", actor=administrator)
    assert (day.date, day.kind, day.name, day.created_by) == (DAY, "holiday", "测试",
                                                             administrator)
    entry = AuditEntry.objects.get(event_type="calendar.day_set")
    assert entry.actor == administrator
    assert entry.subject_type == "workcalendar.calendarday"
    assert entry.subject_id == str(day.pk)
    assert entry.details == {"before": None,
                             "after": {"date": "2026-10-12", "kind": "holiday", "name": "测试"}}

    again = calendar_day_set(date=DAY, kind="workday", actor=administrator)
    assert again.pk == day.pk
    assert CalendarDay.objects.get().kind == "workday"
    assert CalendarDay.objects.get().created_by == administrator
    latest = AuditEntry.objects.filter(event_type="calendar.day_set").latest("id")
    assert latest.details["before"]["kind"] == "holiday"
    assert latest.details["after"] == {"date": "2026-10-12", "kind": "workday", "name": ""}
    assert CalendarRevision.objects.get().revision == 2


def test_delete_restores_the_official_calendar_with_audit(administrator):
    day = calendar_day_set(date=DAY, kind="holiday", actor=administrator)
    assert add_working_days(date(2026, 9, 30), 5) == Deadline(date(2026, 10, 14), ())
    pk = day.pk
    calendar_day_delete(day=day, actor=administrator)
    assert not CalendarDay.objects.exists()
    entry = AuditEntry.objects.get(event_type="calendar.day_deleted")
    assert entry.subject_id == str(pk)
    assert entry.details == {"date": "2026-10-12", "kind": "holiday", "name": ""}
    assert add_working_days(date(2026, 9, 30), 5) == Deadline(date(2026, 10, 13), ())


@pytest.mark.parametrize("role", ["grid_worker", "auditor", "supervisor"])
def test_without_the_role_nothing_changes(administrator, role):
    user = user_create(username=f"no-{role}", password=None, roles=[role], area_codes=[],
                       actor=None)
    existing = calendar_day_set(date=DAY, kind="holiday", name="原值", actor=administrator)
    audit_count = AuditEntry.objects.count()
    revision = CalendarRevision.objects.get().revision

    with pytest.raises(PermissionDenied):
        calendar_day_set(date=date(2026, 10, 13), kind="holiday", actor=user)
    with pytest.raises(PermissionDenied):
        calendar_day_set(date=DAY, kind="workday", name="改", actor=user)
    with pytest.raises(PermissionDenied):
        calendar_day_delete(day=existing, actor=user)

    assert list(CalendarDay.objects.values_list("date", "kind", "name")) == [
        (DAY, "holiday", "原值")
    ]
    assert AuditEntry.objects.count() == audit_count
    assert CalendarRevision.objects.get().revision == revision
    assert add_working_days(date(2026, 9, 30), 5) == Deadline(date(2026, 10, 14), ())


def test_invalid_kind_is_refused_and_nothing_is_written(administrator):
    audit_count = AuditEntry.objects.count()
    with pytest.raises(ValidationError):
        calendar_day_set(date=DAY, kind="weekend", actor=administrator)
    assert not CalendarDay.objects.exists()
    assert AuditEntry.objects.count() == audit_count
    assert not CalendarRevision.objects.exists()

"""The administrator days are cached per process and reloaded when they change."""

from datetime import date

import pytest
from django.db import transaction

from civicgrid.workcalendar.calendar import Deadline, add_working_days, work_calendar
from civicgrid.workcalendar.models import CalendarDay, CalendarRevision
from civicgrid.workcalendar.services import calendar_day_delete, calendar_day_set

START = date(2026, 9, 30)
DUE = Deadline(date(2026, 10, 13), ())


@pytest.fixture
def slow_recheck(settings):
    settings.WORKCALENDAR_RECHECK_SECONDS = 3600


def test_days_are_cached_until_a_service_changes_them(administrator, slow_recheck):
    assert add_working_days(START, 5) == DUE
    # A row written behind the services' back is not seen: the days are cached.
    CalendarDay.objects.create(date=date(2026, 10, 12), kind="holiday")
    assert add_working_days(START, 5) == DUE
    # The service drops the cache, so both days are seen now.
    calendar_day_set(date=date(2026, 10, 13), kind="holiday", actor=administrator)
    assert add_working_days(START, 5) == Deadline(date(2026, 10, 15), ())
    calendar_day_delete(day=CalendarDay.objects.get(date=date(2026, 10, 13)),
                        actor=administrator)
    assert add_working_days(START, 5) == Deadline(date(2026, 10, 14), ())


def test_writes_also_drop_the_cache_on_commit(administrator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        calendar_day_set(date=date(2026, 10, 12), kind="holiday", actor=administrator)
    assert work_calendar._committed in callbacks
    add_working_days(START, 5)
    assert work_calendar._days is not None
    callbacks[callbacks.index(work_calendar._committed)]()
    assert work_calendar._days is None


def test_changes_by_another_process_are_seen_through_the_revision(db, settings):
    settings.WORKCALENDAR_RECHECK_SECONDS = 0
    assert add_working_days(START, 5) == DUE
    # Another process added a day and bumped the revision; nothing was invalidated here.
    CalendarDay.objects.create(date=date(2026, 10, 12), kind="holiday")
    CalendarRevision.objects.update_or_create(pk=1, defaults={"revision": 99})
    assert add_working_days(START, 5) == Deadline(date(2026, 10, 14), ())


def test_a_rolled_back_write_is_forgotten(administrator, slow_recheck):
    assert add_working_days(START, 5) == DUE
    with pytest.raises(RuntimeError), transaction.atomic():
        calendar_day_set(date=date(2026, 10, 12), kind="holiday", actor=administrator)
        assert add_working_days(START, 5) == Deadline(date(2026, 10, 14), ())
        raise RuntimeError("roll back")
    assert not CalendarDay.objects.exists()
    assert add_working_days(START, 5) == DUE

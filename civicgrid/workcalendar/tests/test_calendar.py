"""Deadline arithmetic: official data, administrator days, the weekends-only fallback."""

from datetime import UTC, date, datetime, timedelta

import pytest

from civicgrid.workcalendar.calendar import (
    SHANGHAI,
    Deadline,
    add_calendar_days,
    add_days,
    add_working_days,
    day_source,
    due_datetime,
    is_working_day,
    official_years,
)
from civicgrid.workcalendar.services import calendar_day_set

pytestmark = pytest.mark.django_db


def test_package_covers_2004_to_2026():
    years = official_years()
    assert set(range(2004, 2027)) <= years
    assert 2003 not in years
    assert 2031 not in years


def test_national_day_2026_with_the_saturday_working_day():
    # Oct 1–7 holiday; Saturday Oct 10 is a 调休 working day; Sunday Oct 11 is not.
    assert not is_working_day(date(2026, 10, 7))
    assert date(2026, 10, 10).weekday() == 5
    assert is_working_day(date(2026, 10, 10))
    assert day_source(date(2026, 10, 10)) == "official"
    assert not is_working_day(date(2026, 10, 11))
    # 10-08, 10-09, 10-10 (Sat), 10-12, 10-13
    assert add_working_days(date(2026, 9, 30), 5) == Deadline(date(2026, 10, 13), ())
    assert add_days(date(2026, 9, 30), 5, "working") == Deadline(date(2026, 10, 13), ())


def test_petition_due_sixty_calendar_days_later():
    deadline = add_days(date(2026, 11, 2), 60, "calendar")
    # Calendar days need no holiday data, so 2027 (not in the package) is no fallback.
    assert deadline == Deadline(date(2027, 1, 1), ())
    assert not deadline.uses_fallback
    assert add_calendar_days(date(2026, 11, 2), 60) == deadline


def test_year_without_data_counts_weekends_only_and_says_so():
    start = date(2031, 3, 7)
    assert start.weekday() == 4  # a Friday
    # Mon 10, Tue 11, Wed 12, Thu 13, Fri 14 | Mon 17
    assert add_working_days(start, 5) == Deadline(date(2031, 3, 14), (2031,))
    assert add_working_days(start, 6) == Deadline(date(2031, 3, 17), (2031,))
    assert add_working_days(start, 6).uses_fallback
    # Labour Day 2031 is a Thursday: without data it counts as an ordinary working day.
    assert date(2031, 5, 1).weekday() == 3
    assert add_working_days(date(2031, 4, 30), 1) == Deadline(date(2031, 5, 1), (2031,))
    assert day_source(date(2031, 5, 1)) == "fallback"
    assert not is_working_day(date(2031, 5, 3))  # Saturday


def test_span_from_covered_into_uncovered_year():
    start = date(2026, 12, 30)  # Wednesday; 2026 has official data, 2027 has none
    # Only days after start count: 2026-12-31 is official, so no fallback yet.
    assert add_working_days(start, 1) == Deadline(date(2026, 12, 31), ())
    # 12-31 (official), 2027-01-01 Fri (weekends-only: a working day), 01-04 Mon.
    assert add_working_days(start, 3) == Deadline(date(2027, 1, 4), (2027,))


def test_span_over_two_uncovered_years_lists_both():
    start = date(2027, 12, 30)  # Thursday
    # 12-31 Fri (2027), 2028-01-03 Mon (2028)
    assert add_working_days(start, 2) == Deadline(date(2028, 1, 3), (2027, 2028))


def test_zero_days_returns_start_even_on_a_holiday():
    holiday = date(2026, 10, 3)
    assert not is_working_day(holiday)
    assert add_working_days(holiday, 0) == Deadline(holiday, ())
    assert add_days(holiday, 0, "calendar") == Deadline(holiday, ())
    # Nothing is counted, so nothing was guessed either.
    assert add_working_days(date(2031, 1, 4), 0) == Deadline(date(2031, 1, 4), ())


def test_invalid_input_is_refused():
    with pytest.raises(ValueError):
        add_working_days(date(2026, 1, 5), -1)
    with pytest.raises(ValueError):
        add_calendar_days(date(2026, 1, 5), -1)
    with pytest.raises(ValueError):
        add_days(date(2026, 1, 5), 1, "weeks")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        add_working_days(datetime(2026, 1, 5, tzinfo=UTC), 1)  # type: ignore[arg-type]


def test_due_datetime_uses_the_shanghai_date_and_ends_the_day():
    # 17:00 UTC on 09-29 is 01:00 on 09-30 in Shanghai: counting starts from 09-30.
    start = datetime(2026, 9, 29, 17, 0, tzinfo=UTC)
    due, deadline = due_datetime(start, 5, "working")
    assert deadline == Deadline(date(2026, 10, 13), ())
    assert due == datetime(2026, 10, 13, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    assert due.utcoffset() == timedelta(hours=8)
    due, deadline = due_datetime(datetime(2026, 11, 2, 9, tzinfo=SHANGHAI), 60, "calendar")
    assert due == datetime(2027, 1, 1, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    with pytest.raises(ValueError):
        due_datetime(datetime(2026, 9, 30, 9), 5, "working")  # noqa: DTZ001


def test_administrator_days_override_the_package(administrator):
    start = date(2026, 9, 30)
    # A package working day made a holiday: the deadline moves one day.
    assert is_working_day(date(2026, 10, 12))
    calendar_day_set(date=date(2026, 10, 12), kind="holiday", name="测试", actor=administrator)
    assert day_source(date(2026, 10, 12)) == "admin"
    assert not is_working_day(date(2026, 10, 12))
    assert add_working_days(start, 5) == Deadline(date(2026, 10, 14), ())
    # A package holiday made a working day: it moves back earlier.
    calendar_day_set(date=date(2026, 10, 7), kind="workday", actor=administrator)
    assert is_working_day(date(2026, 10, 7))
    assert add_working_days(start, 5) == Deadline(date(2026, 10, 13), ())
    assert add_working_days(start, 1) == Deadline(date(2026, 10, 7), ())


def test_administrator_days_make_a_year_covered(administrator):
    assert add_working_days(date(2031, 4, 30), 1) == Deadline(date(2031, 5, 1), (2031,))
    calendar_day_set(date=date(2031, 5, 1), kind="holiday", name="劳动节", actor=administrator)
    # Labour Day now rests, and 2031 is no longer a guess, not even for other days.
    assert add_working_days(date(2031, 4, 30), 1) == Deadline(date(2031, 5, 2), ())
    assert add_working_days(date(2031, 3, 7), 5) == Deadline(date(2031, 3, 14), ())
    assert day_source(date(2031, 5, 1)) == "admin"
    assert day_source(date(2031, 3, 10)) == "admin"
    # Another year without data is still flagged.
    assert add_working_days(date(2031, 12, 30), 3) == Deadline(date(2032, 1, 2), (2032,))

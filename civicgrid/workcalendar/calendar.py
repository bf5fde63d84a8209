"""Working-day arithmetic: the one place every deadline (SLA) in civicgrid is computed.

Every SLA calls `add_days(start, n, unit)` (or `due_datetime` for an aware datetime) with
`unit` "calendar" or "working". Dates are Asia/Shanghai dates.

Where a day's status comes from (`day_source`), in order of precedence:

1. **admin**: a `CalendarDay` row entered by an administrator (holiday or 调休 working day).
   It overrides everything else, including the official calendar.
2. **official**: the State Council calendar shipped with the `chinesecalendar` package
   (holidays and 调休 working days), for the years the package supports. The package raises
   `NotImplementedError` for any other year; `official_years()` probes every year once per
   process to find out which it supports (2004–2026 with chinesecalendar 1.11.0).
3. **fallback**: Monday to Friday are working days, Saturday and Sunday are not.

Year coverage rule. A year is *covered* when the package supports it **or** an administrator
has entered at least one `CalendarDay` in it. In a year covered only by administrator data,
the days without an entry follow the weekends-only rule, but `day_source` answers "admin"
and the year is **not** reported as a fallback year: by entering days for that year the
administrator has declared its calendar. To add a year the package does not know yet, an
administrator therefore enters all of that year's holidays and 调休 working days.
A year with neither package nor administrator data is a fallback year: deadlines that count
working days through it carry it in `Deadline.fallback_years`, and pages show the warning
`{% deadline_warning deadline %}` (templatetags/workcalendar.py).

Cache. Administrator-entered days are read from the database once per process and kept.
Every write (the services and the admin) bumps `CalendarRevision` and calls
`work_calendar.changed()`, which drops this process's copy at once and again on commit.
Other processes compare the revision at most every `WORKCALENDAR_RECHECK_SECONDS` seconds
(a setting, default 5) and reload when it changed. A copy loaded inside a transaction that
has uncommitted calendar writes of this process is *tentative*: it is checked against the
revision on every use, so a rolled-back write is forgotten at once. Rows written without
the services (raw ORM, SQL) are not seen until the next revision change.
"""

from __future__ import annotations

import functools
import threading
import time as monotonic_time
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings
from django.db import connection, transaction

from civicgrid.workcalendar.models import CalendarDay, CalendarRevision, DayKind

SHANGHAI = ZoneInfo("Asia/Shanghai")
DayUnit = Literal["working", "calendar"]
DaySource = Literal["admin", "official", "fallback"]

ONE_DAY = timedelta(days=1)
# Years probed for package support. The package's data starts in 2004; the upper bound
# leaves room for every future release.
_PROBE_YEARS = range(1990, 2201)


@dataclass(frozen=True)
class Deadline:
    """A due date and the years whose days were counted weekends-only, without data."""

    due: date
    fallback_years: tuple[int, ...] = ()

    @property
    def uses_fallback(self) -> bool:
        return bool(self.fallback_years)


# -- official data ------------------------------------------------------------------------

@functools.cache
def official_years() -> frozenset[int]:
    """The years `chinesecalendar` has data for, probed once per process."""
    years = set()
    for year in _PROBE_YEARS:
        try:
            chinese_calendar.is_workday(date(year, 7, 1))
        except NotImplementedError:
            continue
        years.add(year)
    return frozenset(years)


# -- administrator data and its cache -----------------------------------------------------

@dataclass
class _AdminDays:
    revision: int
    working: dict[date, bool]  # date -> is a working day
    years: frozenset[int]  # years with at least one entered day
    tentative: bool  # loaded while this process had uncommitted calendar writes
    checked_at: float


class WorkCalendar:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._days: _AdminDays | None = None
        self._uncommitted_writes = False

    # -- freshness --
    def invalidate(self) -> None:
        with self._lock:
            self._days = None

    def reset(self) -> None:
        """Forget the days and any uncommitted write (tests: their transactions are rolled
        back, so the commit that would clear the flag never comes)."""
        with self._lock:
            self._days = None
            self._uncommitted_writes = False

    def changed(self) -> None:
        """Called by every write: forget the days now and again once the write commits."""
        self._uncommitted_writes = True
        self.invalidate()
        transaction.on_commit(self._committed)

    def _committed(self) -> None:
        self._uncommitted_writes = False
        self.invalidate()

    @staticmethod
    def _current_revision() -> int:
        row = CalendarRevision.objects.filter(pk=1).values_list("revision", flat=True).first()
        return row or 0

    def admin_days(self) -> _AdminDays:
        days = self._days
        now = monotonic_time.monotonic()
        recheck = getattr(settings, "WORKCALENDAR_RECHECK_SECONDS", 5)
        if days is not None and not days.tentative and now - days.checked_at < recheck:
            return days
        revision = self._current_revision()
        if days is not None and days.revision == revision:
            days.checked_at = now
            return days
        with self._lock:
            if self._days is None or self._days.revision != revision:
                self._days = self._load(revision)
            return self._days

    def _load(self, revision: int) -> _AdminDays:
        working = {
            day: kind == DayKind.WORKDAY
            for day, kind in CalendarDay.objects.values_list("date", "kind")
        }
        return _AdminDays(
            revision=revision,
            working=working,
            years=frozenset(day.year for day in working),
            tentative=self._uncommitted_writes and connection.in_atomic_block,
            checked_at=monotonic_time.monotonic(),
        )


work_calendar = WorkCalendar()


def _classify(days: _AdminDays, d: date) -> tuple[bool, DaySource]:
    entered = days.working.get(d)
    if entered is not None:
        return entered, "admin"
    if d.year in official_years():
        return bool(chinese_calendar.is_workday(d)), "official"
    return d.weekday() < 5, ("admin" if d.year in days.years else "fallback")


def _check_date(d: date) -> None:
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"expected a date, got {type(d).__name__}")


# -- public API ---------------------------------------------------------------------------

def is_working_day(d: date) -> bool:
    _check_date(d)
    return _classify(work_calendar.admin_days(), d)[0]


def day_source(d: date) -> DaySource:
    """Which data decides `d`: "admin", "official" or "fallback" (see the module doc)."""
    _check_date(d)
    return _classify(work_calendar.admin_days(), d)[1]


def add_working_days(start: date, n: int) -> Deadline:
    """The n-th working day after `start` (`start` itself is not counted; n=0 gives start)."""
    _check_date(start)
    if n < 0:
        raise ValueError("n must be >= 0")
    days = work_calendar.admin_days()
    day, counted, fallback = start, 0, set()
    while counted < n:
        day += ONE_DAY
        working, source = _classify(days, day)
        if source == "fallback":
            fallback.add(day.year)
        if working:
            counted += 1
    return Deadline(due=day, fallback_years=tuple(sorted(fallback)))


def add_calendar_days(start: date, n: int) -> Deadline:
    """`start` plus n days; never a fallback, calendar days need no holiday data."""
    _check_date(start)
    if n < 0:
        raise ValueError("n must be >= 0")
    return Deadline(due=start + timedelta(days=n))


def add_days(start: date, n: int, unit: DayUnit) -> Deadline:
    """The one function every SLA uses: n working or calendar days after `start`."""
    if unit == "working":
        return add_working_days(start, n)
    if unit == "calendar":
        return add_calendar_days(start, n)
    raise ValueError(f"unknown unit {unit!r}")


def due_datetime(start: datetime, n: int, unit: DayUnit) -> tuple[datetime, Deadline]:
    """The deadline for an event at `start` (aware): the end of the due day in Asia/Shanghai."""
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be timezone-aware")
    deadline = add_days(start.astimezone(SHANGHAI).date(), n, unit)
    return datetime.combine(deadline.due, time.max, tzinfo=SHANGHAI), deadline

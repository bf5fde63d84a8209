"""Weeks of the weekly check: Monday to Sunday in Asia/Shanghai, named by their Monday.

A week's report is due on a weekday of the *following* week at a whole hour (the
CheckSettings row; by default Monday 12:00). A period of whole months holds the weeks whose
Monday lies in those months.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from django.utils import timezone

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEK = timedelta(days=7)


class DueRule(Protocol):
    due_weekday: int
    due_hour: int


def local_now(now: datetime | None = None) -> datetime:
    return timezone.localtime(now or timezone.now(), SHANGHAI)


def local_date(now: datetime | None = None) -> date:
    return local_now(now).date()


def week_of(day: date) -> date:
    """The Monday of the week that contains `day`."""
    return day - timedelta(days=day.weekday())


def is_monday(day: date) -> bool:
    return day.weekday() == 0


def week_end(week: date) -> date:
    return week + timedelta(days=6)


def due_at(week: date, rule: DueRule) -> datetime:
    """When the report of `week` is due: the rule's weekday of the next week, at its hour."""
    day = week + WEEK + timedelta(days=rule.due_weekday)
    return datetime.combine(day, time(rule.due_hour), tzinfo=SHANGHAI)


def month_after(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def weeks_in(start: date, end: date) -> list[date]:
    """The Mondays in the months from `start` to `end` (first days of months, inclusive)."""
    stop = month_after(end.replace(day=1))
    first = start.replace(day=1)
    monday = first + timedelta(days=(7 - first.weekday()) % 7)
    out = []
    while monday < stop:
        out.append(monday)
        monday += WEEK
    return out


def last_due_week(now: datetime, rule: DueRule) -> date:
    """The latest week whose report was due at or before `now`."""
    week = week_of(local_date(now)) - WEEK
    while due_at(week, rule) > now:
        week -= WEEK
    return week


def current_week(now: datetime | None = None) -> date:
    return week_of(local_date(now))

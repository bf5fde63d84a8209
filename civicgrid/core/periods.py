"""Periods of whole months (a month, a quarter, a year, a range) for statistics: parsing the
URL value, the one before (环比) and a year before (同比), and their bounds in local time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """Whole months from `start` to `end` (both the first day of a month, inclusive)."""

    start: date
    end: date

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        first = date(year, month, 1)
        return cls(first, first)

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        first = date(year, 3 * (quarter - 1) + 1, 1)
        return cls(first, add_months(first, 2))

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 1))

    @classmethod
    def parse(cls, text: str) -> Period:
        """"2026-11" (a month), "2026-Q3" (a quarter), "2026" (a year), or
        "2026-01..2026-06" (a range of months). Raises ValueError otherwise."""
        text = text.strip()
        if ".." in text:
            first, last = (cls.parse(part) for part in text.split("..", 1))
            if last.end < first.start:
                raise ValueError(text)
            return cls(first.start, last.end)
        if len(text) == 4 and text.isdigit():
            return cls.year(int(text))
        year, _sep, rest = text.partition("-")
        if not year.isdigit() or len(year) != 4:
            raise ValueError(text)
        if rest.upper().startswith("Q") and rest[1:].isdigit() and 1 <= int(rest[1:]) <= 4:
            return cls.quarter(int(year), int(rest[1:]))
        if rest.isdigit() and 1 <= int(rest) <= 12:
            return cls.month(int(year), int(rest))
        raise ValueError(text)

    @property
    def months(self) -> list[date]:
        out, month = [], self.start
        while month <= self.end:
            out.append(month)
            month = add_months(month, 1)
        return out

    @property
    def length(self) -> int:
        return len(self.months)

    def shifted(self, months: int) -> Period:
        return Period(add_months(self.start, months), add_months(self.end, months))

    @property
    def previous(self) -> Period:
        """The period of the same length just before (环比)."""
        return self.shifted(-self.length)

    @property
    def year_before(self) -> Period:
        """The same months a year earlier (同比)."""
        return self.shifted(-12)

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """[first instant, first instant after) in local time."""
        tz = timezone.get_current_timezone()
        after = add_months(self.end, 1)
        return (datetime(self.start.year, self.start.month, 1, tzinfo=tz),
                datetime(after.year, after.month, 1, tzinfo=tz))

    @property
    def key(self) -> str:
        if self.start == self.end:
            return f"{self.start:%Y-%m}"
        if self.start.month == 1 and self.end == date(self.start.year, 12, 1):
            return str(self.start.year)
        if self.length == 3 and self.start.month % 3 == 1:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start:%Y-%m}..{self.end:%Y-%m}"


def current_month(now: datetime | None = None) -> Period:
    today = timezone.localdate(now) if now else timezone.localdate()
    return Period.month(today.year, today.month)


"""Links from a number on a report to the staff case list filtered to the cases behind it.

The case list (/cases/, civicgrid/cases/views.py) reads these query parameters:

    area=<area code prefix>  category=<category code prefix>  channel=<channel>
    stat=<measure name, or "<indicator>:num" / "<indicator>:den">   (civicgrid/stats)
    period=<Period key: 2026-11, 2026-Q3, …>  or  from=YYYY-MM-DD&to=YYYY-MM-DD (inclusive)
    ordering=overdue

The period or the dates apply to `registered_at`, or to `closed_at` for a measure counted
when the case closed (stat=closed_in_month). `inbox=all` makes the list show every case the
filter admits rather than the reader's own inbox. Every link on the report pages is built
here, so the tests can check each number against the list it opens.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.urls import reverse

from civicgrid.core.periods import Period


def case_list_url(*, area: str, stat: str = "", period: Period | None = None,
                  start: date | None = None, end: date | None = None, category: str = "",
                  channel: str = "", inbox: str = "all", ordering: str = "") -> str:
    """The case list filtered to the cases behind one number.

    `period` (whole months) or `start`/`end` (inclusive local dates, for weeks) — not both.
    """
    if period is not None and (start is not None or end is not None):
        raise ValueError("a period or dates, not both")
    query: list[tuple[str, str]] = [("inbox", inbox), ("area", area)]
    if category:
        query.append(("category", category))
    if channel:
        query.append(("channel", channel))
    if stat:
        query.append(("stat", stat))
    if period is not None:
        query.append(("period", period.key))
    if start is not None:
        query.append(("from", start.isoformat()))
    if end is not None:
        query.append(("to", end.isoformat()))
    if ordering:
        query.append(("ordering", ordering))
    return f"{reverse('cases:list')}?{urlencode(query)}"


def overdue_url(*, area: str) -> str:
    """The open cases of the area past their stage deadline, most overdue first."""
    return case_list_url(area=area, inbox="overdue", ordering="overdue")

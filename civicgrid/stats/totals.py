"""Totals of the case rollup for an area code prefix: measures summed over a subtree and a
period, by child area, by month, by category, and the applying KPI targets.

These are the arithmetic under the statistics selectors and take no reader: they trust the
prefix they are given. Pages never call them; they call the selectors of
civicgrid/stats/selectors.py, civicgrid/reports/selectors/ and civicgrid/warnings/selectors.py,
which check the reader's scope on the area first (civicgrid/areas/readers.py). The
benchmark (bench/measure.py) times them directly.

Streets, districts and everything above read the rollup (CaseStat, one row per street,
month and category): a handful of aggregate queries whatever the number of cases.
Communities and grids are finer than the rollup; their totals are counted from the cases
with the same measure filters (an indexed prefix scan of one community's cases).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, DateField, F, Q, QuerySet, Sum
from django.db.models.functions import Substr, TruncMonth
from django.utils import timezone

from civicgrid.areas.models import Area
from civicgrid.cases.models import Case
from civicgrid.core.periods import Period
from civicgrid.stats.measures import MEASURES, NAMES
from civicgrid.stats.models import CaseStat, KpiTarget
from civicgrid.stats.rollups import STREET_CODE_LENGTH


def _zero() -> dict[str, int]:
    return dict.fromkeys(NAMES, 0)


def _rollup(area_code: str, period: Period) -> QuerySet[CaseStat]:
    return CaseStat.objects.filter(area_code__startswith=area_code,
                                   month__gte=period.start, month__lte=period.end)


def _as_dicts(rows) -> list[dict[str, Any]]:
    return [dict(row) for row in rows]


def _fine(area_code: str) -> bool:
    """Finer than the rollup (a community or a grid): count from the cases."""
    return len(area_code) > STREET_CODE_LENGTH


def _case_totals(area_code: str, period: Period, group: Any = None,
                 by_month: bool = False) -> dict[Any, dict[str, int]]:
    """Totals counted from the cases: one aggregate per time field (registration, closing),
    grouped by `group` or, with `by_month`, by the month of that field."""
    first, after = period.bounds
    base = Case.objects.filter(area_code__startswith=area_code)
    out: dict[Any, dict[str, int]] = defaultdict(_zero)
    for by_closing, field in ((False, "registered_at"), (True, "closed_at")):
        measures = [m for m in MEASURES if m.by_closing == by_closing]
        qs = base.filter(**{f"{field}__gte": first, f"{field}__lt": after})
        aggregates = {f"m_{m.name}": Count("pk", filter=m.q) for m in measures}
        if by_month:
            group = TruncMonth(field, output_field=DateField(),
                               tzinfo=timezone.get_current_timezone())
        rows: list[dict[str, Any]]
        if group is None:
            rows = [qs.aggregate(**aggregates)]
        else:
            rows = _as_dicts(qs.annotate(stat_group=group).values("stat_group")
                             .annotate(**aggregates).order_by())
        for row in rows:
            totals = out[row.get("stat_group")]
            for m in measures:
                totals[m.name] += row[f"m_{m.name}"] or 0
    return dict(out)


def measure_totals(*, area_code: str, period: Period) -> dict[str, int]:
    """Every measure summed over the area's subtree and the period's months."""
    if _fine(area_code):
        return _case_totals(area_code, period).get(None, _zero())
    sums = _rollup(area_code, period).aggregate(**{n: Sum(n) for n in NAMES})
    return {n: sums[n] or 0 for n in NAMES}


def window_totals(*, area_code: str, bounds: tuple[datetime, datetime]) -> dict[str, int]:
    """Every measure over the cases registered in `bounds` ([first, after), aware; closed in
    it for the measures counted by closing), counted from the cases with the same filters:
    one aggregate, for windows finer than the rollup's month (a week, the first days of a
    month)."""
    first, after = bounds
    registered = Q(registered_at__gte=first, registered_at__lt=after)
    closed = Q(closed_at__gte=first, closed_at__lt=after)
    sums = Case.objects.filter(area_code__startswith=area_code).filter(
        registered | closed).aggregate(**{
            m.name: Count("pk", filter=m.q & (closed if m.by_closing else registered))
            for m in MEASURES})
    return {name: sums[name] or 0 for name in NAMES}


def totals_by_child(*, area: Area, period: Period) -> dict[str, dict[str, int]]:
    """Totals of each child area (streets of a district, districts of a city, communities
    of a street) in one query, keyed by the child's code."""
    child_length = len(area.code) + (3 if len(area.code) >= 6 else 2)
    if _fine(area.code) or child_length > STREET_CODE_LENGTH:
        return {k: v for k, v in _case_totals(
            area.code, period, group=Substr("area_code", 1, child_length)).items() if k}
    rows = _as_dicts(_rollup(area.code, period)
                     .annotate(child=Substr("area_code", 1, child_length))
                     .values("child").annotate(**{n: Sum(n) for n in NAMES}).order_by())
    return {row["child"]: {n: row[n] or 0 for n in NAMES} for row in rows}


def totals_by_month(*, area_code: str, period: Period) -> dict[date, dict[str, int]]:
    """Totals per month (registration month; closed_in_month by closing month)."""
    if _fine(area_code):
        found = _case_totals(area_code, period, by_month=True)
    else:
        rows = _as_dicts(_rollup(area_code, period).values("month")
                         .annotate(**{n: Sum(n) for n in NAMES}).order_by("month"))
        found = {row["month"]: {n: row[n] or 0 for n in NAMES} for row in rows}
    return {month: found.get(month, _zero()) for month in period.months}


def totals_by_category(*, area_code: str, period: Period) -> dict[int, dict[str, int]]:
    if _fine(area_code):
        return {k: v for k, v in _case_totals(area_code, period, group=F("category_id")).items()
                if k is not None}
    rows = _as_dicts(_rollup(area_code, period).values("category_id")
                     .annotate(**{n: Sum(n) for n in NAMES}).order_by())
    return {row["category_id"]: {n: row[n] or 0 for n in NAMES} for row in rows}


# --- targets and KPIs --------------------------------------------------------------------

def _ancestor_codes(code: str) -> list[str]:
    lengths = [n for n in (2, 4, 6, 9, 12, 15) if n <= len(code)]
    return ["", *(code[:n] for n in lengths)]


def targets_for_areas(area_codes: Sequence[str], year: int) -> dict[str, dict[str, Decimal]]:
    """The applying target of each indicator for each area, in one query: the most specific
    area first, then the year's own before the standing one."""
    wanted = {c for code in area_codes for c in _ancestor_codes(code)}
    rows = list(KpiTarget.objects.filter(area_code__in=wanted, year__in=(0, year))
                .values_list("indicator", "area_code", "year", "value"))
    out: dict[str, dict[str, Decimal]] = {}
    for code in area_codes:
        ancestors = set(_ancestor_codes(code))
        best: dict[str, tuple[int, int, Decimal]] = {}
        for indicator, target_area, target_year, value in rows:
            if target_area not in ancestors:
                continue
            rank = (len(target_area), 1 if target_year else 0)
            if indicator not in best or rank > best[indicator][:2]:
                best[indicator] = (*rank, value)
        out[code] = {indicator: entry[2] for indicator, entry in best.items()}
    return out


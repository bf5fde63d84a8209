"""Reads of statistics: measure totals for an area and period, KPI values against target,
rankings, trends, mixes, and the case filter behind every number (drill-down).

Streets, districts and everything above read the rollup (CaseStat, one row per street,
month and category): a handful of aggregate queries whatever the number of cases.
Communities and grids are finer than the rollup; their totals are counted from the cases
with the same measure filters (an indexed prefix scan of one community's cases).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, DateField, F, Q, QuerySet, Sum
from django.db.models.functions import Substr, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area
from civicgrid.cases.models import CLOCKED_STATUSES, Case, Category
from civicgrid.stats.indicators import INDICATORS, IndicatorDef, KpiValue, Terms, kpi_value
from civicgrid.stats.measures import BY_NAME, MEASURES, NAMES, Measure
from civicgrid.stats.models import CaseStat, Indicator, KpiTarget
from civicgrid.stats.rollups import STREET_CODE_LENGTH

# --- periods -----------------------------------------------------------------------------


def _add_months(month: date, n: int) -> date:
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
        return cls(first, _add_months(first, 2))

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
            month = _add_months(month, 1)
        return out

    @property
    def length(self) -> int:
        return len(self.months)

    def shifted(self, months: int) -> Period:
        return Period(_add_months(self.start, months), _add_months(self.end, months))

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
        after = _add_months(self.end, 1)
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


# --- totals ------------------------------------------------------------------------------

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


def _check_totals(area_code: str, period: Period) -> dict[str, int]:
    from civicgrid.warnings.selectors import check_totals

    return check_totals(area_code=area_code, start=period.start, end=period.end)


def kpis(*, area_code: str, period: Period, totals: dict[str, int] | None = None,
         checks: dict[str, int] | None = None,
         targets: dict[str, Decimal] | None = None) -> list[KpiValue]:
    """Every indicator for the area and period, against its target."""
    totals = measure_totals(area_code=area_code, period=period) if totals is None else totals
    checks = _check_totals(area_code, period) if checks is None else checks
    if targets is None:
        targets = targets_for_areas([area_code], period.end.year)[area_code]
    return [kpi_value(d, checks if d.source == "checks" else totals, targets.get(d.code))
            for d in INDICATORS.values()]


@dataclass(frozen=True)
class RankingRow:
    area: Area
    kpi: KpiValue
    rank: int | None


def ranking(*, area: Area, period: Period, indicator: str) -> list[RankingRow]:
    """The children of `area` (streets of a district, districts of a city) ranked by one
    indicator; areas without a value (0 ÷ 0) come last, unranked."""
    definition = INDICATORS[indicator]
    children = list(area.children.order_by("code"))
    if definition.source == "checks":
        from civicgrid.warnings.selectors import check_totals_by_child

        by_child = check_totals_by_child(area=area, start=period.start, end=period.end)
    else:
        by_child = totals_by_child(area=area, period=period)
    targets = targets_for_areas([c.code for c in children], period.end.year)
    values = [(child, kpi_value(definition, by_child.get(child.code, {}),
                                targets[child.code].get(indicator))) for child in children]
    ranked = sorted(values, key=lambda cv: (cv[1].value is None,
                                            -(cv[1].value or 0), cv[0].code))
    rows, rank = [], 0
    for child, value in ranked:
        if value.value is not None:
            rank += 1
        rows.append(RankingRow(child, value, rank if value.value is not None else None))
    return rows


# --- drill-down --------------------------------------------------------------------------

@dataclass(frozen=True)
class Drill:
    """The cases behind a number: a filter, and which time field the period applies to."""

    q: Q
    by_closing: bool
    label: Any


def _terms_q(terms: Terms) -> Q:
    q = Q()
    for name, sign in terms:
        measure = BY_NAME[name]
        q &= measure.q if sign > 0 else ~measure.q
    return q


def drilldown(stat: str) -> Drill:
    """`stat` is a measure name ("closed", "ch_patrol") or an indicator's part
    ("closure_rate:num", "closure_rate:den"). Raises KeyError for anything else."""
    if ":" in stat:
        code, part = stat.split(":", 1)
        definition: IndicatorDef = INDICATORS[code]
        if definition.source != "cases" or part not in ("num", "den"):
            raise KeyError(stat)
        terms = definition.numerator if part == "num" else definition.denominator
        by_closing = any(BY_NAME[name].by_closing for name, _sign in terms)
        return Drill(_terms_q(terms), by_closing, definition.label)
    measure: Measure = BY_NAME[stat]
    return Drill(measure.q, measure.by_closing, measure.label)


def drilldown_filter(stat: str, period: Period | None) -> Q:
    drill = drilldown(stat)
    q = drill.q
    if period is not None:
        field = "closed_at" if drill.by_closing else "registered_at"
        first, after = period.bounds
        q &= Q(**{f"{field}__gte": first, f"{field}__lt": after})
    return q


def category_tops() -> dict[int, Category]:
    """Each category's top-level category (for mixes by kind of matter), in one query."""
    categories = {c.pk: c for c in Category.objects.only("pk", "code", "name", "parent_id",
                                                         "kind")}
    by_code = {c.code: c for c in categories.values()}
    tops = {}
    for pk, category in categories.items():
        top = category
        for length in range(2, len(category.code) + 1):
            candidate = by_code.get(category.code[:length])
            if candidate is not None:
                top = candidate
                break
        tops[pk] = top
    return tops



# --- the leaders' dashboard ----------------------------------------------------------------

DASHBOARD_KPIS = (
    Indicator.CLOSURE_RATE, Indicator.ON_TIME_RATE, Indicator.MEDIATION_SUCCESS,
    Indicator.FIRST_PETITION_RESOLUTION, Indicator.SATISFACTION, Indicator.CLOSED_AT_COMMUNITY,
    Indicator.CHECK_COMPLETENESS,
)
TREND_MONTHS = 12
MIX_SLICES = 7


@dataclass(frozen=True)
class MixSlice:
    code: str
    name: str
    count: int


def category_mix(by_category: dict[int, dict[str, int]], measure: str = "registered"
                 ) -> list[MixSlice]:
    """Counts by top-level category, largest first; the tail folded into 其他."""
    tops = category_tops()
    grouped: dict[str, MixSlice] = {}
    for category_id, values in by_category.items():
        top = tops.get(category_id)
        if top is None or not values.get(measure):
            continue
        old = grouped.get(top.code)
        grouped[top.code] = MixSlice(top.code, top.name,
                                     (old.count if old else 0) + values[measure])
    ordered = sorted(grouped.values(), key=lambda s: (-s.count, s.code))
    if len(ordered) <= MIX_SLICES:
        return ordered
    head, tail = ordered[:MIX_SLICES - 1], ordered[MIX_SLICES - 1:]
    return [*head, MixSlice("", str(_("其他")), sum(s.count for s in tail))]


@dataclass(frozen=True)
class TrendPoint:
    month: date
    registered: int
    closed_in_month: int
    closure_rate: Decimal | None


def trend(*, area_code: str, end: date, months: int = TREND_MONTHS) -> list[TrendPoint]:
    period = Period(_add_months(end, -(months - 1)), end)
    closure = INDICATORS[Indicator.CLOSURE_RATE]
    return [TrendPoint(month, values["registered"], values["closed_in_month"],
                       kpi_value(closure, values).value)
            for month, values in totals_by_month(area_code=area_code, period=period).items()]


@dataclass(frozen=True)
class OverdueRow:
    case: Case
    multiple: float  # 超时倍数
    late: timedelta  # how long past the stage deadline: the order of the list

    @property
    def days(self) -> int:
        return self.late.days

    @property
    def hours(self) -> int:
        """Whole hours past the deadline, at least 1 (shown when less than a day)."""
        return max(1, int(self.late.total_seconds() // 3600))


def most_overdue(*, actor, area_code: str, limit: int = 8,
                 now: datetime | None = None) -> list[OverdueRow]:
    """The open cases longest past their stage deadline (one indexed query)."""
    from civicgrid.cases.selectors import overdue_multiple

    now = now or timezone.now()
    cases = (Case.objects.restrict(actor, "view")
             .filter(area_code__startswith=area_code, status__in=CLOCKED_STATUSES,
                     stage_due_at__lt=now)
             .select_related("category", "area", "assigned_unit")
             .order_by("stage_due_at", "id")[:limit])
    return [OverdueRow(case, overdue_multiple(case, now), now - (case.stage_due_at or now))
            for case in cases]  # every one has a deadline (filtered above)


def dashboard(*, actor, area: Area, period: Period) -> dict[str, Any]:
    """Everything on the leaders' dashboard for one area and period, in a fixed number of
    queries: rollup totals (this period, the one before), targets, weekly checks, the trend,
    the category mix, the area statuses of the children, and the most overdue cases."""
    from civicgrid.warnings.selectors import area_status_features

    totals = measure_totals(area_code=area.code, period=period)
    previous = measure_totals(area_code=area.code, period=period.previous)
    values = {k.indicator.code: k for k in kpis(area_code=area.code, period=period,
                                                  totals=totals)}
    return {
        "area": area,
        "period": period,
        "totals": totals,
        "previous": previous,
        "kpis": [values[code] for code in DASHBOARD_KPIS],
        # The trend ends with the period, or with this month for a period still running.
        "trend": trend(area_code=area.code, end=min(period.end, current_month().end)),
        "mix": category_mix(totals_by_category(area_code=area.code, period=period)),
        "map": area_status_features(parent=area),
        "overdue": most_overdue(actor=actor, area_code=area.code),
    }

"""Reads of statistics that a user sees: KPI values against target, rankings of child areas,
trends, category mixes, the most overdue cases and the leaders' dashboard; and the case
filter behind every number (drill-down).

Every read of an area takes the reader (`actor`) and checks first that the reader may read
the area (civicgrid/areas/readers.py): outside the reader's scope it raises
`Area.DoesNotExist`, like a missing area (404 in pages). The totals themselves come from
civicgrid/stats/totals.py, a fixed number of aggregate queries whatever the number of cases.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.areas.models import Area, Level
from civicgrid.areas.readers import require_area
from civicgrid.areas.selectors import area_roots
from civicgrid.cases.hooks import Drill
from civicgrid.cases.models import CLOCKED_STATUSES, Case, Category
from civicgrid.cases.selectors import overdue_multiple
from civicgrid.core.periods import Period, add_months, current_month
from civicgrid.stats.indicators import (
    DIRECTION,
    INDICATORS,
    LOWER_IS_BETTER,
    IndicatorDef,
    KpiValue,
    SurveyKpiValue,
    Terms,
    kpi_value,
    survey_kpi,
)
from civicgrid.stats.measures import BY_NAME, Measure
from civicgrid.stats.models import Indicator
from civicgrid.stats.totals import (
    measure_totals,
    targets_for_areas,
    totals_by_category,
    totals_by_child,
    totals_by_month,
    window_totals,
)
from civicgrid.surveys.figures import area_indexes
from civicgrid.warnings.selectors import (
    area_status_features,
    check_totals,
    check_totals_by_child,
)

# --- KPIs --------------------------------------------------------------------------------

def _check_totals(actor: User | None, area: Area, period: Period) -> dict[str, int]:
    return check_totals(actor=actor, area=area, start=period.start, end=period.end)


def survey_cutoff(period: Period) -> datetime:
    """The safety index of a period is the latest survey closed by its end: a past month
    keeps the figure it had (and so does its monthly release), a running one shows the
    latest."""
    return period.bounds[1]


def kpis(*, actor: User | None, area: Area, period: Period,
         totals: dict[str, int] | None = None) -> list[KpiValue]:
    """Every indicator for the area and period, against its target. `totals`: the area's
    measure totals for the period when the caller has them already."""
    require_area(actor, area)
    totals = measure_totals(area_code=area.code, period=period) if totals is None else totals
    checks = _check_totals(actor, area, period)
    targets = targets_for_areas([area.code], period.end.year)[area.code]
    out: list[KpiValue] = []
    for d in INDICATORS.values():
        if d.source == "surveys":
            survey = area_indexes([area.code], closed_before=survey_cutoff(period))[area.code]
            out.append(survey_kpi(d, survey, targets.get(d.code)))
        else:
            out.append(kpi_value(d, checks if d.source == "checks" else totals,
                                 targets.get(d.code)))
    return out


@dataclass(frozen=True)
class RankingRow:
    area: Area
    kpi: KpiValue
    rank: int | None


def _rankable(kpi: KpiValue) -> bool:
    """A value that takes part in a ranking: there is one, and (the safety index) it is not
    suppressed (样本不足: shown for reference, never ranked)."""
    return kpi.value is not None and not (isinstance(kpi, SurveyKpiValue) and kpi.suppressed)


def ranking(*, actor: User | None, area: Area, period: Period,
            indicator: str) -> list[RankingRow]:
    """The children of `area` (streets of a district, districts of a city) ranked by one
    indicator, best first (lowest first where lower is better); equal values share a rank
    and the next rank skips (competition ranking: 1, 2, 2, 4); areas without a value
    (0 ÷ 0) or — the safety index — with a suppressed one come last, unranked, in the
    order of their codes. KeyError for an unknown indicator."""
    definition = INDICATORS[indicator]
    require_area(actor, area)
    children = list(area.children.order_by("code"))
    targets = targets_for_areas([c.code for c in children], period.end.year)
    values: list[tuple[Area, KpiValue]]
    if definition.source == "surveys":
        # A child is ranked only by a figure about that very child: its own round, or its
        # own result in a round above. A figure it inherits from an area above (the round
        # above as a whole, or that round's result for the district the street lies in) is
        # the same for every sibling and says nothing about the child: not shown here.
        surveys = area_indexes([c.code for c in children], closed_before=survey_cutoff(period))
        values = [(child, survey_kpi(definition, found if found and found.is_about(child.code)
                                     else None, targets[child.code].get(indicator)))
                  for child in children for found in [surveys[child.code]]]
    else:
        if definition.source == "checks":
            by_child = check_totals_by_child(actor=actor, area=area, start=period.start,
                                             end=period.end)
        else:
            by_child = totals_by_child(area=area, period=period)
        values = [(child, kpi_value(definition, by_child.get(child.code, {}),
                                    targets[child.code].get(indicator))) for child in children]
    best_first = 1 if DIRECTION.get(indicator) == LOWER_IS_BETTER else -1
    ranked = sorted(values, key=lambda cv: (0, best_first * (cv[1].value or 0), cv[0].code)
                    if _rankable(cv[1]) else (1, 0, cv[0].code))
    rows: list[RankingRow] = []
    rank: int | None = None
    for position, (child, value) in enumerate(ranked, start=1):
        if not _rankable(value):
            rank = None
        elif not rows or rows[-1].kpi.value != value.value:
            rank = position
        rows.append(RankingRow(child, value, rank))
    return rows


# --- drill-down --------------------------------------------------------------------------

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



# --- the periods a dashboard opens on and compares ---------------------------------------

def last_complete_month(today: date | None = None) -> Period:
    """The month before this one: the period the dashboard and the KPI page open on, since
    the current month's numbers are still young (a closure rate on the 5th is not news)."""
    today = today or timezone.localdate()
    return Period.month(today.year, today.month).shifted(-1)


def is_running(period: Period, today: date | None = None) -> bool:
    """Whether the period contains this month (its numbers are "so far")."""
    today = today or timezone.localdate()
    return period.start <= today.replace(day=1) <= period.end


def _same_day(day: date, months: int) -> date:
    """The same day of the month `months` away, the last day of a shorter month."""
    first = add_months(day.replace(day=1), months)
    return first.replace(day=min(day.day, calendar.monthrange(first.year, first.month)[1]))


@dataclass(frozen=True)
class ToDate:
    """A period still running, counted up to and including `through` (today), and the days
    it is compared with: the same days of the period before (`base_first`..`base_last`)."""

    through: date
    base_first: date
    base_last: date

    @property
    def base_bounds(self) -> tuple[datetime, datetime]:
        tz = timezone.get_current_timezone()
        after = self.base_last + timedelta(days=1)
        return (datetime(self.base_first.year, self.base_first.month, self.base_first.day,
                         tzinfo=tz), datetime(after.year, after.month, after.day, tzinfo=tz))


def to_date(period: Period, today: date | None = None) -> ToDate | None:
    """For a running period, what it is compared with: the same days of the period just
    before (May 1–5 with April 1–5; March 1–31 with February 1–28; the second quarter to
    May 5 with January 1 – February 5). None for a period that has ended."""
    today = today or timezone.localdate()
    if not is_running(period, today):
        return None
    return ToDate(today, period.previous.start, _same_day(today, -period.length))


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


def trend(*, actor: User | None, area: Area, end: date,
          months: int = TREND_MONTHS) -> list[TrendPoint]:
    """Registered, closed and the closure rate of each of the `months` months up to `end`."""
    require_area(actor, area)
    period = Period(add_months(end, -(months - 1)), end)
    closure = INDICATORS[Indicator.CLOSURE_RATE]
    return [TrendPoint(month, values["registered"], values["closed_in_month"],
                       kpi_value(closure, values).value)
            for month, values in totals_by_month(area_code=area.code, period=period).items()]


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


def most_overdue(*, actor: User | None, area: Area, limit: int = 8,
                 now: datetime | None = None) -> list[OverdueRow]:
    """The open cases of the area longest past their stage deadline, of those the reader
    may see (one indexed query)."""

    require_area(actor, area)
    now = now or timezone.now()
    cases = (Case.objects.restrict(actor, "view")
             .filter(area_code__startswith=area.code, status__in=CLOCKED_STATUSES,
                     stage_due_at__lt=now)
             .select_related("category", "area", "assigned_unit")
             .order_by("stage_due_at", "id")[:limit])
    return [OverdueRow(case, overdue_multiple(case, now), now - (case.stage_due_at or now))
            for case in cases]  # every one has a deadline (filtered above)


@dataclass(frozen=True)
class Dashboard:
    area: Area
    period: Period
    totals: dict[str, int]
    # The period before (环比); for a running period the same days of it (`to_date`).
    previous: dict[str, int]
    to_date: ToDate | None
    kpis: list[KpiValue]
    previous_kpis: dict[str, KpiValue]  # the case indicators over `previous`
    trend: list[TrendPoint]
    mix: list[MixSlice]
    map: dict[str, object]  # GeoJSON of the child areas with their status
    overdue: list[OverdueRow]


def dashboard(*, actor: User | None, area: Area, period: Period,
              today: date | None = None) -> Dashboard:
    """Everything on the leaders' dashboard for one area and period, in a fixed number of
    queries: rollup totals (this period, the one before — or, while the period runs, the
    same days of the one before, counted from the cases), targets, weekly checks, the trend,
    the category mix, the area statuses of the children, and the most overdue cases."""

    require_area(actor, area)
    totals = measure_totals(area_code=area.code, period=period)
    running = to_date(period, today)
    previous = (window_totals(area_code=area.code, bounds=running.base_bounds)
                if running is not None
                else measure_totals(area_code=area.code, period=period.previous))
    values = {k.indicator.code: k for k in kpis(actor=actor, area=area, period=period,
                                                  totals=totals)}
    return Dashboard(
        area=area,
        period=period,
        totals=totals,
        previous=previous,
        to_date=running,
        kpis=[values[code] for code in DASHBOARD_KPIS],
        previous_kpis={code: kpi_value(INDICATORS[code], previous) for code in DASHBOARD_KPIS
                       if INDICATORS[code].source == "cases"},
        # The trend ends with the period, or with this month for a period still running.
        trend=trend(actor=actor, area=area, end=min(period.end, current_month().end)),
        mix=category_mix(totals_by_category(area_code=area.code, period=period)),
        map=area_status_features(actor=actor, parent=area),
        overdue=most_overdue(actor=actor, area=area),
    )


# --- the areas a dashboard may be opened for ---------------------------------------------

# Districts and above, and streets (the rollup's grain).
DASHBOARD_LEVELS = (Level.PROVINCE, Level.CITY, Level.COUNTY, Level.STREET)


def default_area(*, actor: User | None) -> Area:
    """The reader's first jurisdiction root (with its parent); `Area.DoesNotExist` when the
    reader has none."""
    root = area_roots(actor=actor).select_related("parent").order_by("code").first()
    if root is None:
        raise Area.DoesNotExist("Area matching query does not exist.")
    return root


def area_choices(*, actor: User | None, area: Area) -> list[Area]:
    """The areas the dashboard offers to switch to: the reader's roots, the area's ancestors
    that the reader may read, and its children of the dashboard levels."""
    require_area(actor, area)
    visible = Area.objects.restrict(actor, "view")
    roots = list(area_roots(actor=actor).order_by("code"))
    children = list(visible.filter(parent=area, level__in=DASHBOARD_LEVELS).order_by("code"))
    ancestors = list(visible.filter(code__in=[area.code[:n] for n in (2, 4, 6, 9)
                                              if n < len(area.code)]).order_by("code"))
    seen: set[int] = set()
    out: list[Area] = []
    for candidate in [*roots, *ancestors, area, *children]:
        if candidate.pk not in seen:
            seen.add(candidate.pk)
            out.append(candidate)
    return out

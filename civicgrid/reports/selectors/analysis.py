"""The analysis reports (周报、月报、季报) of an area. docs/reports.md explains every number.

`report_span(kind, anchor)` names the time (a Monday–Sunday week, a month or a quarter,
Asia/Shanghai) and `analysis_report(actor=, area=, span=)` builds everything the page, the
XLSX and the PDF show. Months and quarters read the case rollup (civicgrid/stats/totals.py);
weeks are finer than the rollup, so they are counted from the cases table with the same
measure filters (grouped aggregates over `registered_at`, and `closed_at` for the cases
closed in the week). Either way the number of queries does not depend on the number of
cases.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypedDict

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.areas.models import Area, Level
from civicgrid.areas.readers import require_area
from civicgrid.areas.selectors import area_roots
from civicgrid.cases.models import (
    CLOCKED_STATUSES,
    Case,
    Channel,
    HandlingLevel,
    Outcome,
)
from civicgrid.cases.selectors import overdue_multiple
from civicgrid.core.numbers import ratio
from civicgrid.core.periods import Period
from civicgrid.reports.links import case_list_url, overdue_url
from civicgrid.reports.selectors.common import YEARS, add_months, category_index, change
from civicgrid.reports.selectors.presentation import Cell, Row, Table
from civicgrid.stats.indicators import INDICATORS, kpi_value
from civicgrid.stats.measures import BY_NAME
from civicgrid.stats.rollups import STREET_CODE_LENGTH
from civicgrid.stats.totals import (
    measure_totals,
    totals_by_category,
    totals_by_month,
    window_totals,
)

REPORT_KINDS = ("weekly", "monthly", "quarterly")
WEEKLY_TREND = 8  # weeks in the weekly report's trend
MONTHLY_TREND = 12  # months in the monthly report's trend
TOP_GRIDS = 10
OVERDUE_LIMIT = 20

# --- spans -------------------------------------------------------------------------------

def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class SpanLink(TypedDict, total=False):
    """The time parameters of a case-list link (links.case_list_url): `period` for whole
    months, or the `start` and `end` dates of a week."""

    period: Period
    start: date
    end: date


@dataclass(frozen=True)
class Span:
    """The days a report covers, [start, end] inclusive, in local time."""

    kind: str  # weekly / monthly / quarterly
    start: date
    end: date

    @property
    def period(self) -> Period | None:
        """The whole months of a monthly or quarterly report (None for a week)."""
        if self.kind == "weekly":
            return None
        return Period(self.start, self.end.replace(day=1))

    @property
    def key(self) -> str:
        """The URL value of the span: the Monday of a week, else the Period key."""
        period = self.period
        return period.key if period is not None else self.start.isoformat()

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return _aware(self.start), _aware(self.end + timedelta(days=1))

    def shifted(self, n: int) -> Span:
        """n spans later (earlier when negative)."""
        if self.kind == "weekly":
            start = self.start + timedelta(days=7 * n)
            return Span(self.kind, start, start + timedelta(days=6))
        months = 3 if self.kind == "quarterly" else 1
        start = add_months(self.start, months * n)
        return Span(self.kind, start, add_months(start, months) - timedelta(days=1))

    @property
    def previous(self) -> Span:
        return self.shifted(-1)

    @property
    def year_before(self) -> Span | None:
        """The same month or quarter a year earlier (no 同比 for weeks)."""
        if self.kind == "weekly":
            return None
        return self.shifted(-12 if self.kind == "monthly" else -4)

    def link(self) -> SpanLink:
        """The drill-down time parameters: `period` for months, dates for a week."""
        period = self.period
        if period is not None:
            return {"period": period}
        return {"start": self.start, "end": self.end}

    @property
    def title(self) -> str:
        if self.kind == "weekly":
            return _("%(start)s—%(end)s") % {"start": self.start.strftime("%Y-%m-%d"),
                                             "end": self.end.strftime("%Y-%m-%d")}
        if self.kind == "monthly":
            return _("%(y)d年%(m)d月") % {"y": self.start.year, "m": self.start.month}
        return _("%(y)d年第%(q)d季度") % {"y": self.start.year,
                                         "q": (self.start.month - 1) // 3 + 1}

    @property
    def short(self) -> str:
        """A label for one point of a trend."""
        if self.kind == "weekly":
            return f"{self.start:%m-%d}"
        if self.kind == "monthly":
            return f"{self.start:%Y-%m}"
        return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"


def report_span(kind: str, anchor: str = "", *, today: date | None = None) -> Span:
    """The span of a `kind` report containing `anchor` ("2026-11-18" for a week — any day
    of it —, "2026-11" for a month, "2026-Q3" for a quarter); today's when empty.
    Raises ValueError for anything else."""
    today = today or timezone.localdate()
    anchor = anchor.strip()
    if kind == "weekly":
        day = date.fromisoformat(anchor) if anchor else today
        monday = day - timedelta(days=day.weekday())
        span = Span(kind, monday, monday + timedelta(days=6))
    elif kind == "monthly":
        period = Period.parse(anchor) if anchor else Period.month(today.year, today.month)
        if period.length != 1:
            raise ValueError(anchor)
        span = Span(kind, period.start, add_months(period.start, 1) - timedelta(days=1))
    elif kind == "quarterly":
        period = (Period.parse(anchor) if anchor
                  else Period.quarter(today.year, (today.month - 1) // 3 + 1))
        if period.length != 3 or period.start.month % 3 != 1:
            raise ValueError(anchor)
        span = Span(kind, period.start, add_months(period.start, 3) - timedelta(days=1))
    else:
        raise ValueError(kind)
    if not YEARS[0] <= span.start.year <= YEARS[1]:
        raise ValueError(anchor)
    return span


# --- the analysis report -----------------------------------------------------------------

COMPARED = ("registered", "due", "closed", "closed_on_time", "open", "suspended",
            "closed_in_month", "major", "group")
CATEGORY_MEASURES = ("registered", "due", "closed", "open")
CASE_INDICATORS = tuple(code for code, d in INDICATORS.items() if d.source == "cases")


@dataclass(frozen=True)
class OverdueLine:
    case: Case
    multiple: float  # 超时倍数
    url: str  # the case page


class ChartSeries(TypedDict):
    """One line of a trend chart: a value and the case-list link of each label."""

    name: str
    data: list[int | Decimal | None]
    links: list[str]


class TrendChart(TypedDict):
    labels: list[str]
    series: list[ChartSeries]


class ChartItem(TypedDict):
    """One bar of a breakdown chart, linking to its cases."""

    name: str
    value: int | Decimal | None
    url: str


class BreakdownChart(TypedDict):
    title: str
    items: list[ChartItem]


class ReportCharts(TypedDict):
    """What the report page draws (json_script "report-charts")."""

    trend: TrendChart
    categories: BreakdownChart
    channels: BreakdownChart


@dataclass(frozen=True)
class AnalysisReport:
    area: Area
    span: Span
    generated_at: datetime
    complete: bool  # the span has ended
    totals: dict[str, int]
    cards: tuple[tuple[str, Cell], ...]  # headline numbers
    tables: tuple[Table, ...]
    overdue: tuple[OverdueLine, ...]
    overdue_total: Cell
    charts: ReportCharts

    @property
    def title(self) -> str:
        kind = {"weekly": _("周报"), "monthly": _("月报"), "quarterly": _("季度分析")}
        return _("%(area)s %(span)s %(kind)s") % {"area": self.area.name,
                                                  "span": self.span.title,
                                                  "kind": kind[self.span.kind]}

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


def _measure_label(name: str, kind: str) -> str:
    if name == "closed_in_month":
        return {"weekly": _("本周结案数"), "monthly": _("当月结案数"),
                "quarterly": _("本季结案数")}[kind]
    return str(BY_NAME[name].label)


def _cases_in(area_code: str) -> QuerySet[Case]:
    return Case.objects.filter(area_code__startswith=area_code)


def _span_totals(area_code: str, span: Span) -> dict[str, int]:
    """Every measure for a span: the rollup for whole months, the cases for a week."""
    period = span.period
    if period is not None:
        return measure_totals(area_code=area_code, period=period)
    return window_totals(area_code=area_code, bounds=span.bounds)


def _span_by_category(area_code: str, span: Span) -> dict[int, dict[str, int]]:
    period = span.period
    if period is not None:
        return totals_by_category(area_code=area_code, period=period)
    first, after = span.bounds
    rows = (_cases_in(area_code).filter(registered_at__gte=first, registered_at__lt=after)
            .values("category_id")
            .annotate(**{name: Count("pk", filter=BY_NAME[name].q)
                         for name in CATEGORY_MEASURES}).order_by())
    out: dict[int, dict[str, int]] = {}
    for row in rows:
        values: dict[str, Any] = dict(row)
        out[values["category_id"]] = {n: values[n] for n in CATEGORY_MEASURES}
    return out


def _trend_from_cases(area_code: str, spans: Sequence[Span]) -> list[dict[str, int]]:
    """Registered and closed per span (weeks; or months of a community or a grid, which
    are finer than the rollup), in one query."""
    first = min(span.bounds[0] for span in spans)
    after = max(span.bounds[1] for span in spans)
    aggregates = {}
    for i, span in enumerate(spans):
        start, end = span.bounds
        aggregates[f"r{i}"] = Count("pk", filter=Q(registered_at__gte=start,
                                                   registered_at__lt=end))
        aggregates[f"c{i}"] = Count("pk", filter=BY_NAME["closed_in_month"].q
                                    & Q(closed_at__gte=start, closed_at__lt=end))
    sums = _cases_in(area_code).filter(
        Q(registered_at__gte=first, registered_at__lt=after)
        | Q(closed_at__gte=first, closed_at__lt=after)).aggregate(**aggregates)
    return [{"registered": sums[f"r{i}"] or 0, "closed_in_month": sums[f"c{i}"] or 0}
            for i in range(len(spans))]


def _months(area_code: str, spans: Sequence[Span]) -> list[dict[str, int]]:
    """Registered and closed in each month of `spans` (consecutive or not): the rollup for
    streets and above (one query), the cases for communities and grids (one query)."""
    if len(area_code) > STREET_CODE_LENGTH:
        return _trend_from_cases(area_code, spans)
    first, last = min(s.start for s in spans), max(s.start for s in spans)
    by_month = totals_by_month(area_code=area_code, period=Period(first, last))
    return [by_month[s.start] for s in spans]


def _top_grids(area_code: str, span: Span) -> list[tuple[str, str, int]]:
    """(code, name, registered) of the grids with the most cases registered in the span."""
    first, after = span.bounds
    rows = (_cases_in(area_code)
            .filter(registered_at__gte=first, registered_at__lt=after, area__level=Level.GRID)
            .values("area_code", "area__name").annotate(n=Count("pk"))
            .order_by("-n", "area_code")[:TOP_GRIDS])
    return [(row["area_code"], row["area__name"], row["n"]) for row in rows]


def _overdue(area_code: str, actor: User | None, now: datetime) -> tuple[list[OverdueLine], int]:
    qs = (Case.objects.restrict(actor, "view")
          .filter(area_code__startswith=area_code, status__in=CLOCKED_STATUSES,
                  stage_due_at__lt=now))
    total = qs.count()
    cases = qs.select_related("category", "area", "assigned_unit").order_by(
        "stage_due_at", "id")[:OVERDUE_LIMIT]
    return ([OverdueLine(c, overdue_multiple(c, now), reverse("cases:detail", args=[c.number]))
             for c in cases], total)


def analysis_report(*, actor: User | None, area: Area, span: Span,
                    now: datetime | None = None) -> AnalysisReport:
    """The weekly, monthly or quarterly report of an area; `Area.DoesNotExist` when the area
    is outside the reader's scope. The overdue cases are those the reader may see."""
    require_area(actor, area)
    now = now or timezone.now()
    code = area.code
    when = span.link()

    def url(stat: str, at: Span | None = None, category: str = "") -> str:
        return case_list_url(area=code, stat=stat, category=category,
                             **(at.link() if at else when))

    totals = _span_totals(code, span)
    previous = _span_totals(code, span.previous)
    year_before_span = span.year_before
    year_before = _span_totals(code, year_before_span) if year_before_span else None

    # -- comparison with the span before (环比) and the same span a year before (同比)
    columns = [_("本期"), _("上期"), _("环比")]
    if year_before is not None:
        columns += [_("去年同期"), _("同比")]
    compared = []
    for name in COMPARED:
        cells = [Cell(totals[name], url(name)),
                 Cell(previous[name], url(name, span.previous)),
                 Cell(change(totals[name], previous[name]), kind="change")]
        if year_before is not None and year_before_span is not None:
            cells += [Cell(year_before[name], url(name, year_before_span)),
                      Cell(change(totals[name], year_before[name]), kind="change")]
        compared.append(Row(name, _measure_label(name, span.kind), tuple(cells)))
    note = (_("环比 = (本周 − 上周) ÷ 上周 × 100%;上周为 0 时不计算。") if span.kind == "weekly"
            else _("环比、同比 = (本期 − 对比期) ÷ 对比期 × 100%;对比期为 0 时不计算。"))
    comparison = Table("comparison", _("总体情况"), _("指标"), tuple(columns), tuple(compared),
                       note=note)

    # -- KPIs
    kpi_rows = []
    for indicator in CASE_INDICATORS:
        value = kpi_value(INDICATORS[indicator], totals)
        kpi_rows.append(Row(indicator, str(INDICATORS[indicator].label), (
            Cell(value.numerator, url(f"{indicator}:num")),
            Cell(value.denominator, url(f"{indicator}:den")),
            Cell(value.value, kind="percent"))))
    kpi_table = Table("kpis", _("考核指标"), _("指标"), (_("分子"), _("分母"), _("比率")),
                      tuple(kpi_rows), note=_("结案率 = 结案数 ÷ (应结案数 − 缓办数) × 100%,"
                                              "其余见统计口径说明。"))

    # -- categories: top groups and leaf categories
    index = category_index()
    by_category = _span_by_category(code, span)
    tops: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(CATEGORY_MEASURES, 0))
    leaves = []
    for category_id, values in by_category.items():
        info = index.by_pk.get(category_id)
        if info is None or not values.get("registered"):
            continue  # only cases closed in the span (closed_in_month) fall in no cohort
        for name in CATEGORY_MEASURES:
            tops[info.top_code][name] += values.get(name, 0)
        leaves.append(Row(info.code, index.label(category_id), tuple(
            Cell(values.get(name, 0), url(name, category=info.code))
            for name in CATEGORY_MEASURES), code=info.code))
    category_columns = tuple(str(BY_NAME[n].label) for n in CATEGORY_MEASURES)
    top_rows = tuple(
        Row(top_code, index.by_code[top_code].display_name if top_code in index.by_code
            else top_code,
            tuple(Cell(values[name], url(name, category=top_code))
                  for name in CATEGORY_MEASURES), code=top_code)
        for top_code, values in sorted(tops.items(), key=lambda kv: (-kv[1]["registered"],
                                                                     kv[0])))
    by_top = Table("categories", _("按事件大类"), _("大类"), category_columns, top_rows)
    by_leaf = Table("leaf_categories", _("按具体分类"), _("分类"), category_columns,
                    tuple(sorted(leaves, key=lambda r: (-(r.cells[0].value or 0), r.key))))

    # -- handling level, channel, outcome
    registered = totals["registered"]

    def share(n: int) -> Cell:
        return Cell(ratio(n, registered), kind="percent")

    by_level = Table("levels", _("按处置层级"), _("层级"), (_("登记数(现处置层级)"),
                                                          _("在该层级结案数")),
                     tuple(Row(level, str(HandlingLevel(level).label), (
                         Cell(totals[f"lvl_{level}"], url(f"lvl_{level}")),
                         Cell(totals[f"closed_{level}"], url(f"closed_{level}"))))
                         for level in HandlingLevel.values))
    by_channel = Table("channels", _("按来源渠道"), _("渠道"), (_("登记数"), _("占比")),
                       tuple(Row(ch, str(Channel(ch).label), (
                           Cell(totals[f"ch_{ch}"], url(f"ch_{ch}")),
                           share(totals[f"ch_{ch}"]))) for ch in Channel.values))
    by_outcome = Table("outcomes", _("按办理结果"), _("办理结果"), (_("件数"),),
                       tuple(Row(out, str(Outcome(out).label), (
                           Cell(totals[f"out_{out}"], url(f"out_{out}")),))
                           for out in Outcome.values),
                       note=_("已办结(含核查、回访、结案)事件的办理结果。"))

    # -- trend
    trend_table, trend_chart = _trend(code, span, url)

    # -- grids with the most cases, overdue cases
    grids = _top_grids(code, span)
    top_grids = Table("grids", _("登记事件最多的网格"), _("网格"), (_("登记数"),),
                      tuple(Row(grid_code, name, (Cell(n, case_list_url(
                          area=grid_code, stat="registered", **when)),), code=grid_code)
                          for grid_code, name, n in grids))
    overdue, overdue_count = _overdue(code, actor, now)

    cards = tuple((_measure_label(name, span.kind), Cell(totals[name], url(name)))
                  for name in ("registered", "due", "closed", "closed_on_time", "open",
                               "suspended"))
    charts: ReportCharts = {
        "trend": trend_chart,
        "categories": {"title": str(_("按事件大类(登记数)")), "items": [
            {"name": row.label, "value": row.cells[0].value, "url": row.cells[0].url}
            for row in top_rows if row.cells[0].value]},
        "channels": {"title": str(_("按来源渠道(登记数)")), "items": [
            {"name": row.label, "value": row.cells[0].value, "url": row.cells[0].url}
            for row in by_channel.rows]},
    }
    return AnalysisReport(
        area=area, span=span, generated_at=now, complete=span.bounds[1] <= now,
        totals=totals, cards=cards,
        tables=(comparison, kpi_table, trend_table, by_top, by_leaf, by_level, by_channel,
                by_outcome, top_grids),
        overdue=tuple(overdue),
        overdue_total=Cell(overdue_count, overdue_url(area=code)),
        charts=charts)


def _trend(
    code: str, span: Span, url: Callable[[str, Span], str]
) -> tuple[Table, TrendChart]:
    registered_label = str(BY_NAME["registered"].label)
    closed_label = _measure_label("closed_in_month", "monthly" if span.kind != "weekly"
                                  else "weekly")
    if span.kind == "weekly":
        spans = [span.shifted(n) for n in range(-(WEEKLY_TREND - 1), 1)]
        values = _trend_from_cases(code, spans)
        points = list(zip(spans, values, strict=True))
        title = _("近%(n)d周趋势") % {"n": WEEKLY_TREND}
    elif span.kind == "monthly":
        period = span.period
        assert period is not None
        spans = [span.shifted(n) for n in range(-(MONTHLY_TREND - 1), 1)]
        points = list(zip(spans, _months(code, spans), strict=True))
        title = _("近%(n)d个月趋势") % {"n": MONTHLY_TREND}
    else:
        period = span.period
        assert period is not None
        months = [Span("monthly", m, add_months(m, 1) - timedelta(days=1))
                  for m in period.months]
        befores = [month.shifted(-12) for month in months]
        values = _months(code, [*months, *befores])
        rows = []
        for i, (month, before) in enumerate(zip(months, befores, strict=True)):
            now_v, old_v = values[i], values[len(months) + i]
            rows.append(Row(month.key, month.short, (
                Cell(now_v["registered"], url("registered", month)),
                Cell(now_v["closed_in_month"], url("closed_in_month", month)),
                Cell(old_v["registered"], url("registered", before)),
                Cell(old_v["closed_in_month"], url("closed_in_month", before)),
                Cell(change(now_v["registered"], old_v["registered"]), kind="change"))))
        table = Table("trend", _("季度内各月及去年同期"), _("月份"), (
            registered_label, closed_label, _("去年同月登记数"), _("去年同月结案数"),
            _("登记数同比")), tuple(rows))
        chart: TrendChart = {
            "labels": [m.short for m in months],
            "series": [
                {"name": registered_label, "data": [r.cells[0].value for r in rows],
                 "links": [r.cells[0].url for r in rows]},
                {"name": str(_("去年同月登记数")), "data": [r.cells[2].value for r in rows],
                 "links": [r.cells[2].url for r in rows]},
                {"name": closed_label, "data": [r.cells[1].value for r in rows],
                 "links": [r.cells[1].url for r in rows]},
            ]}
        return table, chart
    rows = [Row(s.key, s.short, (Cell(v["registered"], url("registered", s)),
                                 Cell(v["closed_in_month"], url("closed_in_month", s))))
            for s, v in points]
    table = Table("trend", title, _("周期"), (registered_label, closed_label), tuple(rows))
    chart = {
        "labels": [r.label for r in rows],
        "series": [
            {"name": registered_label, "data": [r.cells[0].value for r in rows],
             "links": [r.cells[0].url for r in rows]},
            {"name": closed_label, "data": [r.cells[1].value for r in rows],
             "links": [r.cells[1].url for r in rows]},
        ]}
    return table, chart


# --- the index -----------------------------------------------------------------------------

# Areas with report pages listed on the index (the rollup's grain is the street; communities
# are counted from the cases).
BROWSE_LEVELS = (Level.PROVINCE, Level.CITY, Level.COUNTY, Level.STREET, Level.COMMUNITY)


def report_areas(*, actor: User | None, limit: int = 200) -> list[tuple[Area, list[Area]]]:
    """The reader's jurisdiction roots, each with its children that have report pages (two
    queries)."""
    roots = list(area_roots(actor=actor).order_by("code"))
    children = list(Area.objects.restrict(actor, "view")
                    .filter(parent__in=roots, level__in=BROWSE_LEVELS).order_by("code")[:limit])
    by_parent: dict[int, list[Area]] = {}
    for child in children:
        by_parent.setdefault(child.parent_id or 0, []).append(child)
    return [(root, by_parent.get(root.pk, [])) for root in roots]


def report_children(*, actor: User | None, area: Area, limit: int = 80) -> list[Area]:
    """The child areas of `area` the reader may open, by code."""
    require_area(actor, area)
    return list(Area.objects.restrict(actor, "view").filter(parent=area)
                .order_by("code")[:limit])

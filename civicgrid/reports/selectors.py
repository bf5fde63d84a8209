"""Reads of the analysis reports (周报、月报、季报) and the monthly safety data release
(平安数据发布). docs/reports.md explains every number.

Analysis report: `report_span(kind, anchor)` names the time (a Monday–Sunday week, a month
or a quarter, Asia/Shanghai) and `analysis_report(area=, span=, actor=)` builds everything
the page, the XLSX and the PDF show. Months and quarters read the case rollup through the
stats selectors; weeks are finer than the rollup, so they are counted from the cases table
with the same measure filters (grouped aggregates over `registered_at`, and `closed_at` for
the cases closed in the week). Either way the number of queries does not depend on the
number of cases.

Safety release: `release_data(area=, month=)` computes the release of a district (or a city
or street) for a month as plain JSON-able data, from the rollup in one query;
`public_release(data)` applies the small-count suppression; `release_view(data, ...)` turns
either into the lines the page and the exports print. A published release keeps both
versions in `MonthlyRelease.snapshot`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area, Level
from civicgrid.cases.models import (
    CLOCKED_STATUSES,
    Case,
    CaseKind,
    Category,
    Channel,
    HandlingLevel,
    Outcome,
)
from civicgrid.cases.selectors import overdue_multiple
from civicgrid.reports.links import case_list_url, overdue_url
from civicgrid.reports.models import MonthlyRelease
from civicgrid.reports.suppression import (
    COMPLEMENTARY,
    PRIMARY,
    SHOWN,
    SMALL,
    suppress_column,
)
from civicgrid.stats.indicators import INDICATORS, kpi_value
from civicgrid.stats.measures import BY_NAME, MEASURES
from civicgrid.stats.models import CaseStat
from civicgrid.stats.rollups import STREET_CODE_LENGTH
from civicgrid.stats.selectors import (
    Period,
    measure_totals,
    totals_by_category,
    totals_by_month,
)

REPORT_KINDS = ("weekly", "monthly", "quarterly")
WEEKLY_TREND = 8  # weeks in the weekly report's trend
MONTHLY_TREND = 12  # months in the monthly report's trend
TOP_GRIDS = 10
OVERDUE_LIMIT = 20
YEARS = (2000, 2100)  # the years a report or release may be asked for

# --- spans -------------------------------------------------------------------------------


def _add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


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
        start = _add_months(self.start, months * n)
        return Span(self.kind, start, _add_months(start, months) - timedelta(days=1))

    @property
    def previous(self) -> Span:
        return self.shifted(-1)

    @property
    def year_before(self) -> Span | None:
        """The same month or quarter a year earlier (no 同比 for weeks)."""
        if self.kind == "weekly":
            return None
        return self.shifted(-12 if self.kind == "monthly" else -4)

    def link(self) -> dict[str, Any]:
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
        span = Span(kind, period.start, _add_months(period.start, 1) - timedelta(days=1))
    elif kind == "quarterly":
        period = (Period.parse(anchor) if anchor
                  else Period.quarter(today.year, (today.month - 1) // 3 + 1))
        if period.length != 3 or period.start.month % 3 != 1:
            raise ValueError(anchor)
        span = Span(kind, period.start, _add_months(period.start, 3) - timedelta(days=1))
    else:
        raise ValueError(kind)
    if not YEARS[0] <= span.start.year <= YEARS[1]:
        raise ValueError(anchor)
    return span


# --- categories --------------------------------------------------------------------------

@dataclass(frozen=True)
class CategoryInfo:
    pk: int
    code: str
    name: str
    kind: str
    top_code: str  # the shortest existing code that prefixes this one (its top group)
    kind_prefix: str  # the shortest code prefix whose categories are all of this kind


@dataclass(frozen=True)
class CategoryIndex:
    by_pk: dict[int, CategoryInfo]
    by_code: dict[str, CategoryInfo]

    def label(self, pk: int) -> str:
        info = self.by_pk[pk]
        top = self.by_code.get(info.top_code)
        if top is None or top.code == info.code:
            return info.name
        return f"{top.name} · {info.name}"


def category_index() -> CategoryIndex:
    """Every category with its top group and the code prefix that lists exactly the cases of
    its kind (the case list filters categories by code prefix), in one query.

    A prefix P is "pure" when every category whose code starts with P has the same kind;
    a category's kind prefix is its shortest pure prefix. In the built-in taxonomy that is
    the top group (01 矛盾纠纷, 02 民生服务, 03 安全隐患, 04 突发事件, 05 信访).
    """
    rows = list(Category.objects.order_by("code").values_list("pk", "code", "name", "kind"))
    codes = {code for _pk, code, _name, _kind in rows}
    kinds_under: dict[str, set[str]] = defaultdict(set)
    for _pk, code, _name, kind in rows:
        for length in range(1, len(code) + 1):
            if code[:length] in codes:
                kinds_under[code[:length]].add(kind)
    by_pk: dict[int, CategoryInfo] = {}
    for pk, code, name, kind in rows:
        prefixes = [code[:n] for n in range(1, len(code) + 1) if code[:n] in codes]
        top = next((p for p in prefixes if len(p) >= 2), code)
        pure = next((p for p in prefixes if kinds_under[p] == {kind}), "")
        by_pk[pk] = CategoryInfo(pk, code, name, kind, top, pure)
    return CategoryIndex(by_pk, {info.code: info for info in by_pk.values()})


# --- tables ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Part:
    """One piece of a number that no single case-list link covers (see Cell.parts)."""

    label: str
    value: int
    url: str


@dataclass(frozen=True)
class Cell:
    """A number on a report. A count links to the cases behind it (`url`); a rate or a
    change is derived from linked counts and has no link of its own. When a count spans
    several category prefixes (a kind spread over two top groups) it has `parts`."""

    value: int | Decimal | None
    url: str = ""
    kind: str = "count"  # "count", "percent" (a rate) or "change" (a relative change, %)
    parts: tuple[Part, ...] = ()

    @property
    def text(self) -> str:
        if self.value is None:
            return "—"
        if self.kind == "count":
            return f"{self.value:,}"
        if self.kind == "change":
            return f"{self.value:+.1f}%"
        return f"{self.value:.2f}%"


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    cells: tuple[Cell, ...]
    code: str = ""  # a code printed beside the label (area, category)


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    label_header: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    note: str = ""


def change(current: int, base: int) -> Decimal | None:
    """(current − base) ÷ base × 100, one decimal, half up; None when base is 0."""
    if base <= 0:
        return None
    value = Decimal(current - base) * 100 / Decimal(base)
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


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
    charts: dict[str, Any] = field(default_factory=dict)

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
    first, after = span.bounds
    registered = Q(registered_at__gte=first, registered_at__lt=after)
    closed = Q(closed_at__gte=first, closed_at__lt=after)
    sums = _cases_in(area_code).filter(registered | closed).aggregate(**{
        m.name: Count("pk", filter=m.q & (closed if m.by_closing else registered))
        for m in MEASURES})
    return {name: value or 0 for name, value in sums.items()}


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


def _overdue(area_code: str, actor, now: datetime) -> tuple[list[OverdueLine], int]:
    qs = (Case.objects.restrict(actor, "view")
          .filter(area_code__startswith=area_code, status__in=CLOCKED_STATUSES,
                  stage_due_at__lt=now))
    total = qs.count()
    cases = qs.select_related("category", "area", "assigned_unit").order_by(
        "stage_due_at", "id")[:OVERDUE_LIMIT]
    return ([OverdueLine(c, overdue_multiple(c, now), reverse("cases:detail", args=[c.number]))
             for c in cases], total)


def analysis_report(*, area: Area, span: Span, actor,
                    now: datetime | None = None) -> AnalysisReport:
    """The weekly, monthly or quarterly report of an area (which the caller has checked is
    in the reader's scope)."""
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
        Row(top_code, index.by_code[top_code].name if top_code in index.by_code else top_code,
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
        value = ((Decimal(n) * 100 / registered).quantize(Decimal("0.01"), ROUND_HALF_UP)
                 if registered else None)
        return Cell(value, kind="percent")

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
    charts = {
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


def _trend(code: str, span: Span, url) -> tuple[Table, dict[str, Any]]:
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
        months = [Span("monthly", m, _add_months(m, 1) - timedelta(days=1))
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
        chart = {
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


# --- the monthly safety data release -----------------------------------------------------

RELEASE_TOTAL = "total"
RELEASE_PARTS = (CaseKind.DISPUTE.value, CaseKind.PETITION.value, CaseKind.HAZARD.value,
                 CaseKind.EMERGENCY.value, CaseKind.SERVICE.value)
RELEASE_MEASURES = (RELEASE_TOTAL, *RELEASE_PARTS)
RELEASE_LEVELS = (Level.CITY, Level.COUNTY, Level.STREET)
COLUMNS = ("current", "previous", "year_before")
FLAG_TOP = 3  # flag an area ranked in the top three of its siblings …
FLAG_MINIMUM = SMALL  # … with at least this many cases, and above the siblings' mean
SCHEMA = 1


def release_label(measure: str) -> str:
    if measure == RELEASE_TOTAL:
        return _("事件总数")
    return str(CaseKind(measure).label)


def release_month(text: str = "", *, today: date | None = None) -> date:
    """The month of a release ("2026-11"); the last complete month when empty.
    Raises ValueError otherwise."""
    today = today or timezone.localdate()
    if not text.strip():
        return _add_months(today.replace(day=1), -1)
    period = Period.parse(text)
    if period.length != 1 or not YEARS[0] <= period.start.year <= YEARS[1]:
        raise ValueError(text)
    return period.start


def _month_key(month: date) -> str:
    return f"{month:%Y-%m}"


def _summed(qs: QuerySet[CaseStat], length: int) -> list[tuple[str, date, int, int]]:
    """(area code cut to `length`, month, category, registered) rows of the rollup, summed
    over the finer areas in the database."""
    return [(code, month, category_id, registered) for code, month, category_id, registered
            in qs.filter(registered__gt=0)
            .annotate(release_area=Substr("area_code", 1, length))
            .values("release_area", "month", "category_id")
            .annotate(n=Sum("registered")).order_by()
            .values_list("release_area", "month", "category_id", "n")]


def _counts(rows: Iterable[tuple[str, date, int, int]], index: CategoryIndex, *,
            length: int, months: Mapping[date, str], only: str = ""
            ) -> dict[tuple[str, str], dict[str, Any]]:
    """Sum rollup rows into {(area code of `length`, column): {"counts", "parts"}}."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for area_code, month, category_id, registered in rows:
        if only and not area_code.startswith(only):
            continue
        column = months.get(month)
        info = index.by_pk.get(category_id)
        if column is None or info is None or info.kind not in RELEASE_PARTS:
            continue
        key = (area_code[:length], column)
        entry = out.setdefault(key, {"counts": dict.fromkeys(RELEASE_MEASURES, 0),
                                     "parts": {m: {} for m in RELEASE_PARTS}})
        entry["counts"][RELEASE_TOTAL] += registered
        entry["counts"][info.kind] += registered
        parts = entry["parts"][info.kind]
        parts[info.kind_prefix] = parts.get(info.kind_prefix, 0) + registered
    return out


def _empty() -> dict[str, Any]:
    return {"counts": dict.fromkeys(RELEASE_MEASURES, 0),
            "parts": {m: {} for m in RELEASE_PARTS}}


def _flags(values: Mapping[str, Mapping[str, int]], codes: Sequence[str]
           ) -> dict[str, dict[str, dict[str, Any]]]:
    """For each area and measure: rank among `codes` (1 = most; ties share a rank), the
    mean, and whether it is flagged (top FLAG_TOP, at least FLAG_MINIMUM, above the mean)."""
    out: dict[str, dict[str, dict[str, Any]]] = {c: {} for c in codes}
    for measure in RELEASE_MEASURES:
        numbers = [values.get(c, {}).get(measure, 0) for c in codes]
        mean = Decimal(sum(numbers)) / len(numbers) if numbers else Decimal(0)
        for code, mine in zip(codes, numbers, strict=True):
            rank = 1 + sum(1 for n in numbers if n > mine)
            out[code][measure] = {
                "rank": rank, "of": len(codes),
                "mean": str(mean.quantize(Decimal("0.1"), ROUND_HALF_UP)),
                "flagged": mine >= FLAG_MINIMUM and rank <= FLAG_TOP and mine > mean}
    return out


def release_data(*, area: Area, month: date, now: datetime | None = None) -> dict[str, Any]:
    """The live release of an area (a district; also a city or a street) for a month, as
    JSON-able data: the counts of each kind for the month, the month before and the same
    month a year before, with the category prefixes behind each count (for the links), the
    area's rank among its siblings, and its children's counts and ranks.

    Four queries: the categories, the sibling and child areas, and two sums over the
    rollup (a few hundred rows whatever the number of cases).
    """
    if area.level not in RELEASE_LEVELS:
        raise ValueError(area.level)
    now = now or timezone.now()
    month = month.replace(day=1)
    months = {month: "current", _add_months(month, -1): "previous",
              _add_months(month, -12): "year_before"}
    parent = area.parent if area.level != Level.CITY else None
    base = parent.code if parent is not None else area.code
    index = category_index()
    parents = [area.pk] if parent is None else [area.pk, parent.pk]
    related = list(Area.objects.filter(parent_id__in=parents, level__in=RELEASE_LEVELS)
                   .order_by("code").values_list("code", "name", "parent_id"))
    siblings = [(c, n) for c, n, p in related if parent is not None and p == parent.pk]
    children = [(c, n) for c, n, p in related if p == area.pk]
    # Summed in the database: the area's three months by child area and category, and
    # (for the flags) every sibling's current month by category.
    child_length = len(children[0][0]) if children else len(area.code)
    rows = _summed(CaseStat.objects.filter(area_code__startswith=area.code,
                                           month__in=list(months)), child_length)
    sibling_rows = _summed(CaseStat.objects.filter(area_code__startswith=base, month=month),
                           len(area.code)) if siblings else []
    own = _counts(rows, index, length=len(area.code), months=months, only=area.code)
    data: dict[str, Any] = {
        "schema": SCHEMA,
        "area": {"code": area.code, "name": area.name, "level": area.level},
        "parent": ({"code": parent.code, "name": parent.name, "level": parent.level}
                   if parent is not None else None),
        "month": _month_key(month),
        "months": {column: _month_key(m) for m, column in months.items()},
        "computed_at": now.isoformat(),
        "columns": {column: own.get((area.code, column), _empty()) for column in COLUMNS},
        "flags": {},
        "children": [],
        "flag_rule": {"top": FLAG_TOP, "minimum": FLAG_MINIMUM},
    }
    if siblings:
        by_sibling = _counts(sibling_rows, index, length=len(area.code),
                             months={month: "current"})
        counts = {c: by_sibling.get((c, "current"), _empty())["counts"] for c, _n in siblings}
        data["flags"] = _flags(counts, [c for c, _n in siblings]).get(area.code, {})
    if children:
        by_child = _counts(rows, index, length=child_length, months={month: "current"},
                           only=area.code)
        entries = {c: by_child.get((c, "current"), _empty()) for c, _n in children}
        flags = _flags({c: e["counts"] for c, e in entries.items()}, [c for c, _n in children])
        data["children"] = [{"code": c, "name": n, **entries[c], "flags": flags[c]}
                            for c, n in children]
    return data


def public_release(data: Mapping[str, Any]) -> dict[str, Any]:
    """The public version of a release: counts below 5 and the cells that would give them
    away are withheld, changes only between two printed counts, no ranks, no children,
    no links. See civicgrid/reports/suppression.py."""
    cells: dict[str, dict[str, dict[str, Any]]] = {}
    for column in COLUMNS:
        counts = data["columns"][column]["counts"]
        status = suppress_column(counts, total=RELEASE_TOTAL, parts=RELEASE_PARTS)
        cells[column] = {m: ({"value": counts[m]} if status[m] == SHOWN
                             else {"hidden": status[m]}) for m in RELEASE_MEASURES}
    changes: dict[str, dict[str, str | None]] = {}
    for m in RELEASE_MEASURES:
        current = cells["current"][m].get("value")
        entry: dict[str, str | None] = {}
        for column, name in (("previous", "mom"), ("year_before", "yoy")):
            base = cells[column][m].get("value")
            value = (change(current, base) if current is not None and base is not None
                     else None)
            entry[name] = f"{value:+.1f}%" if value is not None else None
        changes[m] = entry
    flags = data.get("flags") or {}
    return {
        "schema": SCHEMA,
        "area": {k: data["area"][k] for k in ("code", "name", "level")},
        "parent": ({"name": data["parent"]["name"], "level": data["parent"]["level"]}
                   if data.get("parent") else None),
        "month": data["month"], "months": dict(data["months"]),
        "cells": cells, "changes": changes,
        "flags": {m: bool(flags.get(m, {}).get("flagged")) for m in RELEASE_MEASURES},
        "flag_rule": dict(data["flag_rule"]),
    }


def release_snapshot(data: Mapping[str, Any]) -> dict[str, Any]:
    """What publishing freezes: both versions as they read at that moment."""
    return {"schema": SCHEMA, "internal": dict(data), "public": public_release(data)}


# -- display ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReleaseCell:
    text: str  # "57", "<5" or "—"
    value: int | None  # None when withheld
    url: str = ""
    parts: tuple[Part, ...] = ()
    hidden: str = ""  # "", "small" or "complementary"


@dataclass(frozen=True)
class ReleaseLine:
    key: str
    label: str
    cells: tuple[ReleaseCell, ...]  # current, previous, year_before
    mom_abs: int | None  # 环比 change in cases (internal version only)
    mom_pct: str  # "+14.0%" or "—"
    yoy_abs: int | None  # 同比
    yoy_pct: str
    flagged: bool
    rank: str  # internal version only: "2/5"

    @property
    def mom(self) -> str:
        return _change_text(self.mom_abs, self.mom_pct)

    @property
    def yoy(self) -> str:
        return _change_text(self.yoy_abs, self.yoy_pct)


def _change_text(absolute: int | None, pct: str) -> str:
    """"+3(+25.0%)" internal, "+25.0%" public; "+3" when the base month had none."""
    if absolute is None:
        return pct
    text = f"{absolute:+,d}" if absolute else "0"
    return text if pct == "—" else f"{text}({pct})"


@dataclass(frozen=True)
class ReleaseChild:
    code: str
    name: str
    cells: tuple[ReleaseCell, ...]  # one per RELEASE_MEASURES
    flags: tuple[bool, ...]

    @property
    def items(self) -> list[tuple[ReleaseCell, bool]]:
        return list(zip(self.cells, self.flags, strict=True))


@dataclass(frozen=True)
class ReleaseView:
    public: bool
    area_code: str
    area_name: str
    area_level: str
    parent_name: str
    month: str
    months: dict[str, str]
    lines: tuple[ReleaseLine, ...]
    children: tuple[ReleaseChild, ...]
    siblings_of: int  # how many areas the flags compare (0: no comparison)
    flag_rule: dict[str, int]

    @property
    def title(self) -> str:
        year, month = self.month.split("-")
        return _("%(area)s %(y)s年%(m)d月平安数据") % {"area": self.area_name, "y": year,
                                                  "m": int(month)}

    @property
    def hidden(self) -> dict[str, int]:
        """How many cells are withheld, by reason (for the page's note)."""
        out = {PRIMARY: 0, COMPLEMENTARY: 0}
        for line in self.lines:
            for cell in line.cells:
                if cell.hidden:
                    out[cell.hidden] += 1
        return out


def _pct_text(value: Decimal | None) -> str:
    return f"{value:+.1f}%" if value is not None else "—"


def _kind_prefixes(index: CategoryIndex) -> dict[str, list[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for info in index.by_pk.values():
        if info.kind_prefix:
            out[info.kind].add(info.kind_prefix)
    return {kind: sorted(prefixes) for kind, prefixes in out.items()}


def _internal_cell(counts: Mapping[str, int], parts: Mapping[str, Mapping[str, int]],
                   measure: str, *, area: str, month: str,
                   index: CategoryIndex | None) -> ReleaseCell:
    """A count of the internal version with its link: the case list of the area, month and
    kind. A kind is listed by its category prefix; a count spread over several prefixes
    (two top groups of one kind) gets one link per piece instead."""
    value = counts[measure]
    text = f"{value:,}"
    if index is None:
        return ReleaseCell(text, value)
    period = Period.parse(month)
    if measure == RELEASE_TOTAL:
        return ReleaseCell(text, value, case_list_url(area=area, stat="registered",
                                                      period=period))
    pieces = {p: n for p, n in parts.get(measure, {}).items() if n}
    if not pieces:  # nothing to list: any prefix of the kind lists the same (no) cases
        prefix = next(iter(_kind_prefixes(index).get(measure, [])), "")
        return ReleaseCell(text, value, case_list_url(
            area=area, category=prefix, stat="registered", period=period) if prefix else "")
    if len(pieces) == 1 and "" not in pieces:
        (prefix,) = pieces
        return ReleaseCell(text, value, case_list_url(area=area, category=prefix,
                                                      stat="registered", period=period))
    return ReleaseCell(text, value, "", tuple(
        Part(index.by_code[p].name if p in index.by_code else _("未归类"), n,
             case_list_url(area=area, category=p, stat="registered", period=period)
             if p else "")
        for p, n in sorted(pieces.items())))


def release_view(data: Mapping[str, Any], *, public: bool,
                 index: CategoryIndex | None = None) -> ReleaseView:
    """The lines to print. `data` is the internal data (release_data, or a snapshot's
    "internal"); with public=True it is turned into the public version first unless it
    already is one (a snapshot's "public"). Counts link to the cases behind them when a
    category index is given: only for internal readers whose scope covers the whole area,
    since the case list shows each reader only their own cases."""
    if public:
        return _public_view(data if "cells" in data else public_release(data))
    area, months = data["area"]["code"], data["months"]
    flags = data.get("flags") or {}
    lines = []
    for m in RELEASE_MEASURES:
        cells = tuple(_internal_cell(data["columns"][c]["counts"], data["columns"][c]["parts"],
                                     m, area=area, month=months[c], index=index)
                      for c in COLUMNS)
        current = data["columns"]["current"]["counts"][m]
        previous = data["columns"]["previous"]["counts"][m]
        year_before = data["columns"]["year_before"]["counts"][m]
        flag = flags.get(m) or {}
        lines.append(ReleaseLine(
            m, release_label(m), cells,
            current - previous, _pct_text(change(current, previous)),
            current - year_before, _pct_text(change(current, year_before)),
            bool(flag.get("flagged")), f"{flag['rank']}/{flag['of']}" if flag else ""))
    children = tuple(
        ReleaseChild(child["code"], child["name"], tuple(
            _internal_cell(child["counts"], child["parts"], m, area=child["code"],
                           month=data["month"], index=index)
            for m in RELEASE_MEASURES),
            tuple(bool(child["flags"][m]["flagged"]) for m in RELEASE_MEASURES))
        for child in data.get("children", []))
    parent = data.get("parent")
    of = next(iter(flags.values()))["of"] if flags else 0
    return ReleaseView(False, area, data["area"]["name"], data["area"]["level"],
                       parent["name"] if parent else "", data["month"], dict(months),
                       tuple(lines), children, of, dict(data["flag_rule"]))


def _public_view(pub: Mapping[str, Any]) -> ReleaseView:
    lines = []
    for m in RELEASE_MEASURES:
        cells = []
        for column in COLUMNS:
            cell = pub["cells"][column][m]
            if "value" in cell:
                cells.append(ReleaseCell(f"{cell['value']:,}", cell["value"]))
            else:
                text = f"<{SMALL}" if cell["hidden"] == PRIMARY else "—"
                cells.append(ReleaseCell(text, None, hidden=cell["hidden"]))
        lines.append(ReleaseLine(m, release_label(m), tuple(cells),
                                 None, pub["changes"][m]["mom"] or "—",
                                 None, pub["changes"][m]["yoy"] or "—",
                                 bool(pub["flags"].get(m)), ""))
    parent = pub.get("parent")
    return ReleaseView(True, pub["area"]["code"], pub["area"]["name"], pub["area"]["level"],
                       parent["name"] if parent else "", pub["month"], dict(pub["months"]),
                       tuple(lines), (), 0, dict(pub["flag_rule"]))


# -- published releases -------------------------------------------------------------------

def _latest(qs: QuerySet[MonthlyRelease]) -> QuerySet[MonthlyRelease]:
    """Only the newest version of each district's month (a correction replaces the earlier)."""
    newer = MonthlyRelease.objects.filter(district=OuterRef("district"), month=OuterRef("month"),
                                          version__gt=OuterRef("version"))
    return qs.exclude(Exists(newer))


def release_published(*, area: Area, month: date) -> MonthlyRelease | None:
    """The release as published last (the newest version), or None."""
    return (MonthlyRelease.objects.filter(district=area, month=month.replace(day=1))
            .select_related("published_by").order_by("-version").first())


def release_versions(*, area: Area, month: date) -> list[MonthlyRelease]:
    """Every published version of the month, newest first (without the frozen numbers)."""
    return list(MonthlyRelease.objects.filter(district=area, month=month.replace(day=1))
                .select_related("published_by").defer("snapshot").order_by("-version"))


def releases_in_scope(*, actor, limit: int = 24) -> list[MonthlyRelease]:
    """The latest published releases of districts in the reader's jurisdiction."""
    return list(_latest(MonthlyRelease.objects.restrict(actor, "view")).select_related("district")
                .order_by("-month", "district__code")[:limit])


def public_releases(*, limit: int = 120) -> list[MonthlyRelease]:
    """Releases published to the public, newest first (no staff data is read)."""
    return list(_latest(MonthlyRelease.objects.filter(public=True)).select_related("district")
                .only("pk", "month", "version", "published_at", "district__code",
                      "district__name")
                .order_by("-month", "district__code")[:limit])


def public_release_for(*, district_code: str, month: date) -> MonthlyRelease | None:
    return (MonthlyRelease.objects.filter(public=True, district__code=district_code,
                                          month=month.replace(day=1))
            .select_related("district").order_by("-version").first())

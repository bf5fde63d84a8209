"""The leaders' dashboard and the KPI page: one area (in the reader's jurisdiction) and one
period, numbers from the rollup, every number a link to the cases behind it."""

from __future__ import annotations

import dataclasses
from datetime import date
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area, Level
from civicgrid.areas.readers import area_for
from civicgrid.core.access import access, has_permission
from civicgrid.registry.figures import area_figures
from civicgrid.risk.figures import assessment_rate, matters_breakdown
from civicgrid.risk.models import DecisionKind, RiskLevel
from civicgrid.stats.indicators import INDICATORS, KpiValue, tone
from civicgrid.stats.models import Indicator
from civicgrid.stats.selectors import (
    Period,
    area_choices,
    current_month,
    dashboard,
    default_area,
    is_running,
    kpis,
    last_complete_month,
    ranking,
)


def _area(request: HttpRequest) -> Area:
    """The area asked for (404 outside the reader's scope, like a missing one), or the
    reader's first jurisdiction root."""
    code = request.GET.get("area", "").strip()
    try:
        return (area_for(actor=request.user, code=code) if code
                else default_area(actor=request.user))
    except Area.DoesNotExist as exc:
        raise Http404 from exc


def _period(request: HttpRequest) -> Period:
    """The period asked for, or the last complete month."""
    text = request.GET.get("period", "").strip()
    if not text:
        return last_complete_month()
    try:
        return Period.parse(text)
    except ValueError as exc:
        raise Http404 from exc


def period_choices(today: date) -> list[tuple[str, str]]:
    """This and the last 11 months, the last 4 quarters, this year and last year; the
    periods still running say so ("本月至今(截至5日)")."""
    month = Period.month(today.year, today.month)
    choices = [(month.key, _("本月至今(截至%(day)d日)") % {"day": today.day})]
    choices += [(month.shifted(-n).key, month.shifted(-n).start.strftime("%Y-%m"))
                for n in range(1, 12)]
    quarter = Period.quarter(today.year, (today.month - 1) // 3 + 1)
    for n in range(4):
        q = quarter.shifted(-3 * n)
        label = _("%(y)d年第%(q)d季度") % {"y": q.start.year, "q": (q.start.month - 1) // 3 + 1}
        choices.append((q.key, _("%(period)s(至今)") % {"period": label} if n == 0 else label))
    for year in (today.year, today.year - 1):
        label = _("%(y)d年") % {"y": year}
        choices.append((str(year), _("%(period)s(至今)") % {"period": label}
                        if year == today.year else label))
    return choices


def _choices(period: Period, today: date) -> list[tuple[str, str]]:
    """The choices, with the period shown among them when a link asked for another one."""
    choices = period_choices(today)
    if period.key not in dict(choices):
        choices.insert(0, (period.key, period.key))
    return choices


def period_label(period: Period, choices: list[tuple[str, str]]) -> str:
    return dict(choices).get(period.key, period.key)


def case_list_url(area: Area, period: Period, stat: str, **extra: str) -> str:
    """The staff case list filtered to the cases behind a number."""
    query = {"inbox": "all", "area": area.code, "stat": stat, "period": period.key, **extra}
    return f"{reverse('cases:list')}?{urlencode(query)}"


def _kpi_change(kpi: KpiValue, before: KpiValue | None) -> dict[str, object]:
    """The change of a rate against the period before, in percentage points, and whether it
    is good news for that rate."""
    if before is None or kpi.value is None or before.value is None:
        return {"change": None, "magnitude": None, "tone": ""}
    change = kpi.value - before.value
    return {"change": change, "magnitude": abs(change),
            "tone": tone(kpi.indicator.code, change)}


def _compared_text(data) -> str:
    """What the changes are measured against, in words."""
    if data.to_date is not None:
        return _("本期截至%(through)s,与上期同期(%(first)s至%(last)s)相比") % {
            "through": f"{data.to_date.through:%m-%d}",
            "first": f"{data.to_date.base_first:%Y-%m-%d}",
            "last": f"{data.to_date.base_last:%Y-%m-%d}"}
    return _("与上期(%(key)s)相比") % {"key": data.period.previous.key}


@access("stats.dashboard.view")
def dashboard_view(request: HttpRequest) -> HttpResponse:
    area, period = _area(request), _period(request)
    today = timezone.localdate()
    data = dashboard(actor=request.user, area=area, period=period, today=today)
    fields = {f.name: getattr(data, f.name) for f in dataclasses.fields(data)}
    choices = _choices(period, today)
    checks_url = reverse("warnings:overview", args=[area.code]) + "?" + urlencode(
        {"month": period.end.strftime("%Y-%m")})
    tiles = [{
        "kpi": kpi,
        "url": case_list_url(area, period, f"{kpi.indicator.code}:num")
        if kpi.indicator.source == "cases" else checks_url,
        "den_url": case_list_url(area, period, f"{kpi.indicator.code}:den")
        if kpi.indicator.source == "cases" else "",
        **_kpi_change(kpi, data.previous_kpis.get(kpi.indicator.code)),
    } for kpi in data.kpis]
    chart = {
        "trend": {
            "months": [p.month.strftime("%Y-%m") for p in data.trend],
            "registered": [p.registered for p in data.trend],
            "closed": [p.closed_in_month for p in data.trend],
            "rate": [float(p.closure_rate) if p.closure_rate is not None else None
                     for p in data.trend],
            "labels": {"registered": _("登记"), "closed": _("当月结案"),
                       "rate": _("结案率(%)")},
            "links": [case_list_url(area, Period(p.month, p.month), "registered")
                      for p in data.trend],
            # The last month still running: drawn lighter, marked "*".
            "partial": bool(data.trend) and data.trend[-1].month == current_month().start,
        },
        "mix": [{"name": s.name, "value": s.count,
                 "url": case_list_url(area, period, "registered", category=s.code)
                 if s.code else ""} for s in data.mix],
        "map": data.map,
    }
    totals, previous = data.totals, data.previous
    counts = [
        (_("登记"), "registered"), (_("结案"), "closed"), (_("在办"), "open"),
        (_("重大矛盾纠纷"), "major"), (_("群体性"), "group"),
    ]
    return render(request, "stats/dashboard.html", {
        **fields,
        "tiles": tiles,
        "chart": chart,
        "counts": [{"label": label, "value": totals[stat], "previous": previous[stat],
                    "change": totals[stat] - previous[stat],
                    "magnitude": abs(totals[stat] - previous[stat]),
                    "tone": tone(stat, totals[stat] - previous[stat]),
                    "url": case_list_url(area, period, stat)}
                   for label, stat in counts],
        "compared": _compared_text(data),
        "period_label": period_label(period, choices),
        "area_choices": area_choices(actor=request.user, area=area),
        "period_choices": choices,
        "overdue_url": f"{reverse('cases:list')}?" + urlencode({
            "inbox": "overdue", "area": area.code, "ordering": "overdue"}),
        "kpi_url": f"{reverse('stats:kpis')}?" + urlencode({"area": area.code,
                                                            "period": period.key}),
        # The registry's figures now (not of the period): counts, never a person.
        "registry": area_figures(area.code, unverified=False)
        if has_permission(request.user, "registry.gridfigures.view") else None,
        # Major matters of the period (civicgrid/risk/figures.py): 应评尽评率, by level and
        # by decision; owned in the area's subtree, registered in the period.
        "risk": _risk_panel(area, period)
        if has_permission(request.user, "risk.matter.view") else None,
    })


def _risk_panel(area, period: Period) -> dict:
    rate = assessment_rate(area_code=area.code, month=period.start, end_month=period.end)
    breakdown = matters_breakdown(area_code=area.code, start=period.start, end=period.end)
    return {
        "rate": rate,
        "breakdown": breakdown,
        "levels": [(RiskLevel(k).label, k, breakdown.by_level.get(k, 0))
                   for k in (RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.LOW)],
        "decisions": [(DecisionKind(k).label, k, breakdown.by_decision.get(k, 0))
                      for k in DecisionKind.values],
    }


@access("stats.dashboard.view")
def kpi_view(request: HttpRequest) -> HttpResponse:
    """Every indicator of the area against target, and the ranking of its children by the
    chosen indicator (streets of a district, districts of a city)."""
    area, period = _area(request), _period(request)
    indicator = request.GET.get("indicator", Indicator.CLOSURE_RATE)
    if indicator not in INDICATORS:
        raise Http404
    rows = [{
        "kpi": kpi,
        "num_url": case_list_url(area, period, f"{kpi.indicator.code}:num")
        if kpi.indicator.source == "cases" else "",
        "den_url": case_list_url(area, period, f"{kpi.indicator.code}:den")
        if kpi.indicator.source == "cases" else "",
    } for kpi in kpis(actor=request.user, area=area, period=period)]
    ranked = ranking(actor=request.user, area=area, period=period, indicator=indicator) \
        if area.level != Level.GRID else []
    definition = INDICATORS[indicator]
    choices = _choices(period, timezone.localdate())
    return render(request, "stats/kpis.html", {
        "area": area, "period": period, "rows": rows, "indicator": definition,
        "period_label": period_label(period, choices), "running": is_running(period),
        "ranking": [{
            "row": row,
            "num_url": case_list_url(row.area, period, f"{indicator}:num")
            if definition.source == "cases" else "",
            "den_url": case_list_url(row.area, period, f"{indicator}:den")
            if definition.source == "cases" else "",
        } for row in ranked],
        "indicators": list(INDICATORS.values()),
        "area_choices": area_choices(actor=request.user, area=area),
        "period_choices": choices,
    })

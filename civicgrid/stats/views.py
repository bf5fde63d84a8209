"""The leaders' dashboard and the KPI page: one area (in the reader's jurisdiction) and one
period, numbers from the rollup, every number a link to the cases behind it."""

from __future__ import annotations

import dataclasses
from datetime import date
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area, Level
from civicgrid.areas.readers import area_for
from civicgrid.core.access import access
from civicgrid.stats.indicators import INDICATORS
from civicgrid.stats.models import Indicator
from civicgrid.stats.selectors import (
    Period,
    area_choices,
    current_month,
    dashboard,
    default_area,
    kpis,
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
    text = request.GET.get("period", "").strip()
    if not text:
        return current_month()
    try:
        return Period.parse(text)
    except ValueError as exc:
        raise Http404 from exc


def period_choices(today: date) -> list[tuple[str, str]]:
    """This and the last 11 months, the last 4 quarters, this year and last year."""
    month = current_month()
    choices = [(month.shifted(-n).key, month.shifted(-n).start.strftime("%Y-%m"))
               for n in range(12)]
    quarter = Period.quarter(today.year, (today.month - 1) // 3 + 1)
    for n in range(4):
        q = quarter.shifted(-3 * n)
        choices.append((q.key, _("%(y)d年第%(q)d季度") % {
            "y": q.start.year, "q": (q.start.month - 1) // 3 + 1}))
    for year in (today.year, today.year - 1):
        choices.append((str(year), _("%(y)d年") % {"y": year}))
    return choices


def case_list_url(area: Area, period: Period, stat: str, **extra: str) -> str:
    """The staff case list filtered to the cases behind a number."""
    query = {"inbox": "all", "area": area.code, "stat": stat, "period": period.key, **extra}
    return f"{reverse('cases:list')}?{urlencode(query)}"


@access("stats.dashboard.view")
def dashboard_view(request: HttpRequest) -> HttpResponse:
    area, period = _area(request), _period(request)
    data = dashboard(actor=request.user, area=area, period=period)
    fields = {f.name: getattr(data, f.name) for f in dataclasses.fields(data)}
    checks_url = reverse("warnings:overview", args=[area.code]) + "?" + urlencode(
        {"month": period.end.strftime("%Y-%m")})
    tiles = [{
        "kpi": kpi,
        "url": case_list_url(area, period, f"{kpi.indicator.code}:num")
        if kpi.indicator.source == "cases" else checks_url,
        "den_url": case_list_url(area, period, f"{kpi.indicator.code}:den")
        if kpi.indicator.source == "cases" else "",
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
        },
        "mix": [{"name": s.name, "value": s.count,
                 "url": case_list_url(area, period, "registered", category=s.code)
                 if s.code else ""} for s in data.mix],
        "map": data.map,
    }
    totals, previous = data.totals, data.previous
    counts = [
        (_("登记"), totals["registered"], previous["registered"], "registered"),
        (_("结案"), totals["closed"], previous["closed"], "closed"),
        (_("在办"), totals["open"], previous["open"], "open"),
        (_("重大矛盾纠纷"), totals["major"], previous["major"], "major"),
        (_("群体性"), totals["group"], previous["group"], "group"),
    ]
    return render(request, "stats/dashboard.html", {
        **fields,
        "tiles": tiles,
        "chart": chart,
        "counts": [{"label": label, "value": value, "previous": before,
                    "change": value - before,
                    "url": case_list_url(area, period, stat)}
                   for label, value, before, stat in counts],
        "area_choices": area_choices(actor=request.user, area=area),
        "period_choices": period_choices(period.end),
        "overdue_url": f"{reverse('cases:list')}?" + urlencode({
            "inbox": "overdue", "area": area.code, "ordering": "overdue"}),
        "kpi_url": f"{reverse('stats:kpis')}?" + urlencode({"area": area.code,
                                                            "period": period.key}),
    })


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
    return render(request, "stats/kpis.html", {
        "area": area, "period": period, "rows": rows, "indicator": definition,
        "ranking": [{
            "row": row,
            "num_url": case_list_url(row.area, period, f"{indicator}:num")
            if definition.source == "cases" else "",
            "den_url": case_list_url(row.area, period, f"{indicator}:den")
            if definition.source == "cases" else "",
        } for row in ranked],
        "indicators": list(INDICATORS.values()),
        "area_choices": area_choices(actor=request.user, area=area),
        "period_choices": period_choices(period.end),
    })

"""Numbers that do not mislead (issue 13, point 5): the dashboard opens on the last complete
month; a month still running is compared with the same days of the month before and is not
judged against its target; every change is coloured by whether it is good news for that
figure; rankings share a rank on ties. Every expected value is worked out by hand."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from civicgrid.cases.models import Case, Outcome
from civicgrid.cases.tests.conftest import new_case
from civicgrid.conftest import make_area
from civicgrid.core.periods import Period
from civicgrid.stats import selectors
from civicgrid.stats.indicators import tone
from civicgrid.stats.models import Indicator, KpiTarget
from civicgrid.stats.rollups import stats_rebuild
from civicgrid.stats.selectors import (
    ToDate,
    current_month,
    dashboard,
    last_complete_month,
    ranking,
    to_date,
)
from civicgrid.stats.tests.test_indicators import to_closed

# --- by hand, without the database -------------------------------------------------------


@pytest.mark.parametrize(("figure", "change", "expected"), [
    ("closure_rate", Decimal("1.50"), "good"),    # 结案率 up
    ("closure_rate", Decimal("-0.01"), "bad"),    # 结案率 down
    ("closed", -3, "bad"),                        # fewer closures: the bug was green
    ("closed", 2, "good"),
    ("overdue", 1, "bad"),                        # 超期数 up
    ("open", -2, "good"),                         # a smaller backlog
    ("major", 1, "bad"),
    ("group", -1, "good"),
    ("registered", 5, "neutral"),                 # 登记数: neither good nor bad
    ("registered", -5, "neutral"),
    ("closed_at_county", Decimal("2.00"), "bad"),  # 矛盾不上交
    ("closed_at_community", Decimal("2.00"), "good"),  # 小事不出村
    ("closed", 0, ""),
    ("closure_rate", None, ""),
])
def test_each_change_is_coloured_by_what_is_good_for_that_figure(figure, change, expected):
    assert tone(figure, change) == expected


def test_a_figure_without_a_direction_has_no_colour_decided_for_it():
    with pytest.raises(KeyError):
        tone("ch_patrol", 1)


def test_the_last_complete_month():
    assert last_complete_month(date(2026, 5, 5)) == Period.month(2026, 4)
    assert last_complete_month(date(2026, 1, 1)) == Period.month(2025, 12)
    assert last_complete_month(date(2026, 3, 31)) == Period.month(2026, 2)


def test_a_running_period_is_compared_with_the_same_days_before():
    may = Period.month(2026, 5)
    assert to_date(may, date(2026, 5, 5)) == ToDate(date(2026, 5, 5), date(2026, 4, 1),
                                                    date(2026, 4, 5))
    # February is shorter: March 1–31 against February 1–28.
    assert to_date(Period.month(2026, 3), date(2026, 3, 31)) == ToDate(
        date(2026, 3, 31), date(2026, 2, 1), date(2026, 2, 28))
    # January against the December before.
    assert to_date(Period.month(2026, 1), date(2026, 1, 9)) == ToDate(
        date(2026, 1, 9), date(2025, 12, 1), date(2025, 12, 9))
    # The second quarter to May 5 against January 1 – February 5; a year against the last.
    assert to_date(Period.quarter(2026, 2), date(2026, 5, 5)) == ToDate(
        date(2026, 5, 5), date(2026, 1, 1), date(2026, 2, 5))
    assert to_date(Period.year(2026), date(2026, 5, 5)) == ToDate(
        date(2026, 5, 5), date(2025, 1, 1), date(2025, 5, 5))
    # A month that has ended is compared whole.
    assert to_date(Period.month(2026, 4), date(2026, 5, 5)) is None
    bounds = to_date(may, date(2026, 5, 5)).base_bounds
    assert [timezone.localtime(b).isoformat() for b in bounds] == [
        "2026-04-01T00:00:00+08:00", "2026-04-06T00:00:00+08:00"]


# --- with the district ---------------------------------------------------------------------

def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _place(cases: list[Case], day: date) -> None:
    """Move the cases' registration to 10:00 on `day` (set-up), then recount the rollup."""
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(
        registered_at=_at(day), stage_started_at=_at(day))
    stats_rebuild()


def test_rankings_share_a_rank_on_ties(office, monkeypatch):
    w = office.world
    street_c = make_area("320602003", "C街道", w.county)
    street_d = make_area("320602004", "D街道", w.county)
    street_e = make_area("320602005", "E街道", w.county)
    # 结案率 = closed ÷ (due − suspended): 90.00, 80.00, 80.00, 70.00 and none (0 ÷ 0).
    totals = {
        w.street_a.code: {"closed": 8, "due": 10, "suspended": 0},   # 80.00
        w.street_b.code: {"closed": 9, "due": 10, "suspended": 0},   # 90.00
        street_c.code: {"closed": 7, "due": 10, "suspended": 0},     # 70.00
        street_d.code: {"closed": 4, "due": 6, "suspended": 1},      # 80.00
        street_e.code: {"closed": 0, "due": 0, "suspended": 0},      # —
    }
    monkeypatch.setattr(selectors, "totals_by_child", lambda area, period: totals)
    rows = ranking(actor=office.people["county_dispatcher"], area=w.county,
                   period=Period.month(2026, 4), indicator=Indicator.CLOSURE_RATE)
    assert [(r.area.code, r.kpi.value, r.rank) for r in rows] == [
        (w.street_b.code, Decimal("90.00"), 1),
        (w.street_a.code, Decimal("80.00"), 2),
        (street_d.code, Decimal("80.00"), 2),
        (street_c.code, Decimal("70.00"), 4),
        (street_e.code, None, None),
    ]
    # 区县化解占比: lower is better, so the lowest share ranks first; 25.00 twice.
    county = {
        w.street_a.code: {"closed_county": 1, "closed": 4},   # 25.00
        w.street_b.code: {"closed_county": 1, "closed": 10},  # 10.00
        street_c.code: {"closed_county": 2, "closed": 8},     # 25.00
        street_d.code: {"closed_county": 3, "closed": 6},     # 50.00
    }
    monkeypatch.setattr(selectors, "totals_by_child", lambda area, period: county)
    rows = ranking(actor=office.people["county_dispatcher"], area=w.county,
                   period=Period.month(2026, 4), indicator=Indicator.CLOSED_AT_COUNTY)
    assert [(r.area.code, r.rank) for r in rows] == [
        (w.street_b.code, 1), (w.street_a.code, 2), (street_c.code, 2), (street_d.code, 4),
        (street_e.code, None)]


def test_the_kpi_page_shows_shared_ranks(office, client, monkeypatch):
    w = office.world
    monkeypatch.setattr(selectors, "totals_by_child", lambda area, period: {
        w.street_a.code: {"closed": 1, "due": 2}, w.street_b.code: {"closed": 2, "due": 4}})
    client.force_login(office.people["county_dispatcher"])
    response = client.get(reverse("stats:kpis"), {"area": w.county.code})
    assert response.context["period"] == last_complete_month()
    assert [(e["row"].area.code, e["row"].rank) for e in response.context["ranking"]] == [
        (w.street_a.code, 1), (w.street_b.code, 1)]  # 50.00 and 50.00


def test_the_dashboard_opens_on_the_last_complete_month(office, client):
    """Two cases last month, one closed; three the month before, two closed; one this month.
    Opened without a period: last month, 登记 2 (▲ none: 2 − 3 = −1, neutral), 结案 1
    (2 → 1: a fall in closures, red), 在办 1 (1 → 1: no change)."""
    committee = office.community_committee
    last = last_complete_month()
    before = last.previous
    this_month = [new_case(office)]
    last_cases = [to_closed(office, new_case(office), committee, Outcome.MEDIATED, 5),
                  new_case(office)]
    before_cases = [to_closed(office, new_case(office), committee, Outcome.MEDIATED, 5),
                    to_closed(office, new_case(office), committee, Outcome.MEDIATED, 4),
                    new_case(office)]
    _place(last_cases, last.start + timedelta(days=2))
    _place(before_cases, before.start + timedelta(days=2))
    assert this_month[0].registered_at >= _at(current_month().start, 0)

    client.force_login(office.people["leader"])
    response = client.get(reverse("stats:dashboard"))
    assert response.status_code == 200
    assert response.context["period"] == last
    assert response.context["to_date"] is None
    counts = {c["label"]: (c["value"], c["change"], c["tone"])
              for c in response.context["counts"]}
    assert counts["登记"] == (2, -1, "neutral")
    assert counts["结案"] == (1, -1, "bad")
    assert counts["在办"] == (1, 0, "")
    text = response.content.decode()
    assert f"{office.world.street_a.name} · {last.key}" in text
    assert f'<option value="{last.key}" selected>' in text
    today = timezone.localdate()
    assert (f'<option value="{current_month().key}">本月至今(截至{today.day}日)</option>'
            in text)
    assert 'data-tone="bad"' in text and 'data-testid="to-date-note"' not in text
    # 结案率 1 ÷ 2 = 50.00 last month, 2 ÷ 3 = 66.67 before: down 16.67 points, bad.
    tiles = {t["kpi"].indicator.code: t for t in response.context["tiles"]}
    closure = tiles[Indicator.CLOSURE_RATE]
    assert (closure["kpi"].value, closure["change"], closure["tone"]) == (
        Decimal("50.00"), Decimal("-16.67"), "bad")


def test_month_to_date_is_compared_with_the_same_days_and_not_judged(office, client):
    """The current month asked for: compared with the first days of the month before
    (counted from the cases), and the tiles not coloured against the target."""
    KpiTarget.objects.create(indicator=Indicator.CLOSURE_RATE, area_code="", year=0,
                             value=Decimal("90"))
    month = current_month()
    first_of_before = month.previous.start
    inside = [new_case(office) for _ in range(3)]   # the 1st of last month: within the days
    outside = [new_case(office) for _ in range(4)]  # after the days compared
    _place(inside, first_of_before)
    now = [new_case(office), new_case(office)]
    _place(now, month.start)
    w = office.world
    # Selector, with "today" the 1st: the same days before are the 1st of last month only.
    _place(outside, first_of_before + timedelta(days=1))
    data = dashboard(actor=office.people["leader"], area=w.street_a, period=month,
                     today=month.start)
    assert data.to_date == ToDate(month.start, first_of_before, first_of_before)
    assert (data.totals["registered"], data.previous["registered"]) == (2, 3)
    assert (data.totals["open"], data.previous["open"]) == (2, 3)

    client.force_login(office.people["leader"])
    response = client.get(reverse("stats:dashboard"), {"period": month.key})
    text = response.content.decode()
    assert response.context["to_date"] is not None
    assert 'data-testid="to-date-note"' in text
    # 结案率 0 ÷ 2 = 0.00 misses the target 90, but a running month is not judged.
    tiles = {t["kpi"].indicator.code: t for t in response.context["tiles"]}
    assert (tiles[Indicator.CLOSURE_RATE]["kpi"].value,
            tiles[Indicator.CLOSURE_RATE]["kpi"].met) == (Decimal("0.00"), False)
    assert "cg-kpi-missed" not in text
    assert f"本月至今(截至{timezone.localdate().day}日)" in text

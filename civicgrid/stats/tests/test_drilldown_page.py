"""Every number leads to the cases behind it: the staff case list opened with a statistic
shows exactly that many cases, in the reader's scope."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from civicgrid.cases.models import Case
from civicgrid.stats.indicators import INDICATORS, kpi_value
from civicgrid.stats.models import Indicator
from civicgrid.stats.selectors import current_month
from civicgrid.stats.tests.conftest import history_parts
from civicgrid.stats.totals import measure_totals

# Every test reads the district and its nine-case history: built once for the module,
# rolled back after each test (civicgrid/testing.py).
office, history, world = history_parts()


def _total(response) -> int:
    text = response.content.decode()
    marker = 'data-testid="drill-total">'
    return int(text[text.index(marker) + len(marker):].split("<", 1)[0])


@pytest.mark.parametrize("indicator", [d.code for d in INDICATORS.values()
                                       if d.source == "cases"])
def test_each_kpi_part_lists_its_cases(office, history, client, indicator):  # noqa: F811
    client.force_login(office.people["county_dispatcher"])
    period = current_month()
    county = office.world.county.code
    kpi = kpi_value(INDICATORS[indicator], measure_totals(area_code=county, period=period))
    for part, expected in (("num", kpi.numerator), ("den", kpi.denominator)):
        response = client.get(reverse("cases:list"), {
            "stat": f"{indicator}:{part}", "period": period.key, "area": county})
        assert response.status_code == 200
        assert _total(response) == expected, (indicator, part)
        assert response.content.decode().count('class="cg-case-row"') == expected


def test_list_shows_only_the_numbered_cases(office, history, client):  # noqa: F811
    client.force_login(office.people["county_dispatcher"])
    period = current_month()
    response = client.get(reverse("cases:list"), {
        "stat": f"{Indicator.CLOSURE_RATE}:num", "period": period.key})
    text = response.content.decode()
    closed = {history[k].number for k in ("d1", "d2", "p1", "p2")}
    for number in Case.objects.values_list("number", flat=True):
        assert (number in text) == (number in closed), number


def test_scope_still_applies(office, history, client):  # noqa: F811
    client.force_login(office.people["outsider"])  # a grid worker of street B
    response = client.get(reverse("cases:list"), {"stat": "registered",
                                                  "period": current_month().key})
    assert _total(response) == 0


@pytest.mark.parametrize("params", [{"stat": "nonsense"}, {"period": "2026-13"},
                                    {"stat": "check_completeness:num"},
                                    {"stat": "closed", "from": "2026-11-30",
                                     "to": "2026-11-01"}])
def test_a_damaged_link_lists_nothing_and_says_why(office, history, client, params):  # noqa: F811
    client.force_login(office.people["county_dispatcher"])
    response = client.get(reverse("cases:list"), params)
    assert response.status_code == 200
    text = response.content.decode()
    assert "未列出任何事件" in text
    assert not any(case.number in text for case in history.values())


def test_dates_window_and_overdue_ordering(office, history, client):  # noqa: F811
    client.force_login(office.people["county_dispatcher"])
    today = timezone.localdate(history["d1"].registered_at).isoformat()  # Shanghai date
    response = client.get(reverse("cases:list"), {"stat": "registered", "from": today,
                                                  "to": today})
    assert _total(response) == 9
    response = client.get(reverse("cases:list"), {"stat": "registered", "from": "2001-01-01",
                                                  "to": "2001-01-31"})
    assert _total(response) == 0
    response = client.get(reverse("cases:list"), {"inbox": "all", "ordering": "overdue",
                                                  "stat": "open"})
    assert response.status_code == 200

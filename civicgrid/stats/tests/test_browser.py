"""The leader on the demo district: the dashboard draws its charts and a coloured status
map, and a KPI number opens the list of exactly the cases it counts."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from civicgrid.core.tests.test_browser import DESKTOP, PHONE, open_page, shot
from civicgrid.home.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

# Pixels of a canvas that are not transparent: proof that ECharts drew something.
PAINTED = """(selector) => {
  const canvas = document.querySelector(selector + ' canvas');
  if (!canvas) return 0;
  const ctx = canvas.getContext('2d');
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 16) { if (data[i] > 0) painted++; }
  return painted;
}"""
MAP_FILLS = """() => Array.from(document.querySelectorAll('#status-map path.leaflet-interactive'))
  .map(p => p.getAttribute('fill'))"""
STATUS_FILLS = {"#d63939", "#f59f00", "#2fb344"}


def _sign_in(page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "leader")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_leader_dashboard_charts_map_and_drilldown(transactional_db, live_server, browser,
                                                   screenshot_dir):
    call_command("seed_demo", "--quiet", "--cases", "160", "--residents", "0")
    base = live_server.url
    year = str(timezone.localdate().year)
    with open_page(browser, viewport=DESKTOP) as (_ctx, page, watch):
        _sign_in(page, base)
        page.locator('[data-testid="nav-dashboard"]').click()
        page.wait_for_url(re.compile(r".*/dashboard/$"))
        page.locator('[data-testid="dashboard-filters"] select[name=period]').select_option(year)
        with page.expect_navigation():
            page.locator('[data-testid="dashboard-filters"] button[type=submit]').click()
        page.locator("#trend-chart.cg-chart-ready").wait_for()
        page.locator("#mix-chart.cg-chart-ready").wait_for()
        page.locator("#status-map.cg-map-ready").wait_for()
        page.wait_for_timeout(300)  # let the canvases paint
        watch.assert_clean("dashboard")
        assert page.evaluate(PAINTED, "#trend-chart") > 200
        assert page.evaluate(PAINTED, "#mix-chart") > 200
        fills = page.evaluate(MAP_FILLS)
        assert len(fills) >= 10 and set(fills) <= STATUS_FILLS | {"#adb5bd"}
        assert set(fills) & STATUS_FILLS, fills  # evaluated areas are coloured
        shot(page, screenshot_dir, "dashboard-01-leader-desktop.png")

        tile = page.locator('[data-testid="kpi-closure_rate"]')
        numerator = int(tile.locator("xpath=../div[3]/a[1]").inner_text())
        with page.expect_navigation():
            tile.click()
        assert "/cases/" in page.url and "stat=closure_rate%3Anum" in page.url
        watch.assert_clean("drill-down")
        assert int(page.locator('[data-testid="drill-total"]').inner_text()) == numerator
        assert page.locator("tr.cg-case-row").count() == min(numerator, 50)
        shot(page, screenshot_dir, "dashboard-02-closure-cases.png")

    with open_page(browser, viewport=PHONE, is_mobile=True) as (_ctx, page, watch):
        _sign_in(page, base)
        page.goto(f"{base}/dashboard/?period={year}")
        page.locator("#trend-chart.cg-chart-ready").wait_for()
        page.locator("#status-map.cg-map-ready").wait_for()
        page.wait_for_timeout(300)
        watch.assert_clean("dashboard on a phone")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"] + 1
        shot(page, screenshot_dir, "dashboard-03-leader-phone.png")
        page.goto(f"{base}/dashboard/kpis/?period={year}")
        watch.assert_clean("kpis")
        shot(page, screenshot_dir, "dashboard-04-kpis-phone.png")


LAPTOP = {"width": 1366, "height": 900}


def test_a_leaders_dashboard_opens_on_the_last_complete_month(transactional_db, live_server,
                                                              office, browser, screenshot_dir):
    """Issue 13, point 5: signed in, the leader's dashboard shows last month (not the first
    days of this one); fewer closures than the month before show red, not green; this month
    is still there, labelled 本月至今, and not judged against its target."""
    from datetime import datetime, time, timedelta

    from civicgrid.cases.models import Case, Outcome
    from civicgrid.cases.tests.conftest import new_case
    from civicgrid.conftest import PASSWORD, browser_login
    from civicgrid.stats.rollups import stats_rebuild
    from civicgrid.stats.selectors import current_month, last_complete_month
    from civicgrid.stats.tests.test_indicators import to_closed

    def place(cases, day):
        when = timezone.make_aware(datetime.combine(day, time(10)))
        Case.objects.filter(pk__in=[c.pk for c in cases]).update(
            registered_at=when, stage_started_at=when)

    committee = office.community_committee
    last = last_complete_month()
    place([to_closed(office, new_case(office), committee, Outcome.MEDIATED, 5),
           new_case(office), new_case(office)], last.start + timedelta(days=3))
    place([to_closed(office, new_case(office), committee, Outcome.MEDIATED, 5)
           for _ in range(3)], last.previous.start + timedelta(days=3))
    new_case(office)  # this month
    stats_rebuild()
    leader = office.people["leader"]
    base = live_server.url
    for name, viewport in (("laptop", LAPTOP), ("phone", PHONE)):
        with open_page(browser, viewport=viewport, is_mobile=name == "phone") as (
                _ctx, page, watch):
            browser_login(page, base, leader.username, PASSWORD)
            page.goto(f"{base}/dashboard/")
            page.locator("#trend-chart.cg-chart-ready").wait_for()
            page.wait_for_timeout(300)
            watch.assert_clean(f"dashboard on a {name}")
            title = page.locator('[data-testid="dashboard-title"]').inner_text()
            assert title.endswith(last.key), title
            assert page.locator("select[name=period]").input_value() == last.key
            assert page.locator('[data-testid="to-date-note"]').count() == 0
            closed = page.locator('[data-testid="counts"] .card').nth(1)
            assert closed.locator("a.h2").inner_text() == "1"  # 3 → 1: a fall, red
            assert closed.locator(".cg-change").get_attribute("data-tone") == "bad"
            assert "text-red" in (closed.locator(".cg-change").get_attribute("class") or "")
            assert page.evaluate(
                "() => document.documentElement.scrollWidth <= window.innerWidth + 1")
            shot(page, screenshot_dir, f"dashboard-last-month-{name}.png")
            # This month is one choice away, labelled as the days so far.
            label = f"本月至今(截至{timezone.localdate().day}日)"
            page.locator("select[name=period]").select_option(label=label)
            with page.expect_navigation():
                page.locator('[data-testid="dashboard-filters"] button[type=submit]').click()
            page.locator("#trend-chart.cg-chart-ready").wait_for()
            assert page.locator('[data-testid="to-date-note"]').is_visible()
            assert page.locator(".cg-kpi-missed").count() == 0
            assert current_month().key in page.url
            watch.assert_clean(f"month to date on a {name}")
            shot(page, screenshot_dir, f"dashboard-month-to-date-{name}.png")

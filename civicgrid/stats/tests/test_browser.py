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
    call_command("seed_demo", "--quiet", "--cases", "160")
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

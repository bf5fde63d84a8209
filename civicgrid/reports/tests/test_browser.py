"""The district's leader opens last month's report (charts drawn, numbers linked), publishes
the safety data release — after a confirmation of what becomes public — and then a
correction of it, and a resident reads its public version."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.conftest import PASSWORD, browser_login
from civicgrid.core.tests.test_browser import PHONE, open_page, shot
from civicgrid.reports.models import MonthlyRelease
from civicgrid.reports.tests.conftest import at, make_cases
from civicgrid.reports.tests.scenario import build

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
NO_HSCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth + 1"
LAPTOP = {"width": 1366, "height": 900}


def test_monthly_report_publish_and_public_release(transactional_db, live_server, office,
                                                   browser, screenshot_dir):
    scenario = build(office)
    base = live_server.url
    county = office.world.county
    month = f"{scenario.month:%Y-%m}"
    reader = user_create(username="c_leader", password=PASSWORD, display_name="区领导",
                         roles=[Role.LEADER], area_codes=[county.code], actor=None)
    with open_page(browser, viewport=LAPTOP) as (_ctx, page, watch):
        browser_login(page, base, reader.username, PASSWORD)
        page.locator('[data-testid="nav-reports"]').click()
        page.wait_for_url(re.compile(r".*/reports/$"))
        with page.expect_navigation():
            page.locator(f'[data-testid="report-area-{county.code}"]').get_by_role(
                "link", name="月报").first.click()
        page.goto(f"{base}/reports/{county.code}/monthly/?period={month}")
        for chart in ("trend", "categories", "channels"):
            page.locator(f'[data-report-chart="{chart}"].cg-chart-ready').wait_for()
        page.wait_for_timeout(300)  # let the canvases paint
        watch.assert_clean("monthly report")
        for chart in ("trend", "categories", "channels"):
            assert page.evaluate(PAINTED, f'[data-report-chart="{chart}"]') > 200, chart
        cards = page.locator('[data-testid="report-cards"] .cg-n').all_inner_texts()
        assert cards[:3] == ["15", "14", "3"]
        shot(page, screenshot_dir, "report-monthly-desktop.png")

        # A number opens the list of exactly its cases.
        with page.expect_navigation():
            page.locator('[data-table="channels"] tr[data-row="window"] a.cg-n').click()
        assert "/cases/" in page.url and "stat=ch_window" in page.url
        assert page.locator('[data-testid="drill-total"]').inner_text() == "3"
        assert page.locator("tr.cg-case-row").count() == 3
        watch.assert_clean("drill-down to the case list")

        # The release: preview the public version, then publish.
        page.goto(f"{base}/reports/{county.code}/release/?month={month}")
        assert page.locator('[data-table="release"] tr[data-row="total"] .cg-n').first \
            .inner_text() == "15"
        shot(page, screenshot_dir, "release-internal-desktop.png")
        page.locator('[data-testid="version-public"]').click()
        page.wait_for_load_state("networkidle")
        assert page.locator('[data-table="release"] tr[data-row="hazard"] .cg-n').first \
            .inner_text() == "<5"
        with page.expect_navigation():
            page.locator('[data-testid="version-internal"]').click()
        # Publishing asks first: the public version is not ticked, and the button leads to
        # a confirmation of exactly what will be frozen and what becomes public.
        assert not page.locator('[data-testid="publish-public"]').is_checked()
        page.locator('[data-testid="publish-public"]').check()
        with page.expect_navigation():
            page.locator('[data-testid="publish"]').click()
        assert "/release/publish/" in page.url
        assert MonthlyRelease.objects.count() == 0  # nothing published yet
        public_table = page.locator('[data-testid="confirm-public"]')
        assert public_table.locator('tr[data-row="total"] .cg-n').first.inner_text() == "15"
        assert public_table.locator('tr[data-row="hazard"] [data-hidden="small"]').first \
            .inner_text() == "<5"
        assert public_table.locator('tr[data-row="dispute"] [data-hidden="complementary"]') \
            .first.inner_text() == "—"
        assert "将向社会公开" in page.locator('[data-testid="confirm-summary"]').inner_text()
        watch.assert_clean("confirmation")
        shot(page, screenshot_dir, "release-confirm-laptop.png")
        with page.expect_navigation():
            page.locator('[data-testid="confirm-publish"]').click()
        assert page.locator('[data-testid="release-status"]').inner_text() == "已发布"
        assert MonthlyRelease.objects.filter(district=county, public=True).count() == 1
        shot(page, screenshot_dir, "release-published-desktop.png")
        watch.assert_clean("publish")

        # Three cases of the month registered late: the page offers a correction.
        make_cases(office, 3, at(scenario.month.replace(day=9)))
        page.reload()
        assert page.locator('[data-testid="correction-changed"]').is_visible()
        page.locator("#correction-note").fill("补录迟报事件 3 件")
        with page.expect_navigation():
            page.locator('[data-testid="correct"]').click()
        assert page.locator('[data-testid="release-version"]').inner_text() == "更正版 第2版"
        assert page.locator('[data-table="release"] tr[data-row="total"] .cg-n').first \
            .inner_text() == "18"
        assert page.locator('[data-testid="release-versions"] li').count() == 2
        shot(page, screenshot_dir, "release-corrected-desktop.png")
        watch.assert_clean("correction")

    # On a phone: the confirmation of the month before (internal only) reads and fits.
    earlier = scenario.month - timedelta(days=1)
    with open_page(browser, viewport=PHONE, is_mobile=True) as (_ctx, page, watch):
        browser_login(page, base, reader.username, PASSWORD)
        page.goto(f"{base}/reports/{county.code}/release/?month={earlier:%Y-%m}")
        with page.expect_navigation():
            page.locator('[data-testid="publish"]').click()
        assert "公开版不会向社会公开" in page.locator(
            '[data-testid="confirm-summary"]').inner_text()
        assert page.evaluate(NO_HSCROLL), "the confirmation scrolls sideways on a phone"
        watch.assert_clean("confirmation on a phone")
        shot(page, screenshot_dir, "release-confirm-phone.png")
        with page.expect_navigation():
            page.locator('[data-testid="confirm-cancel"]').click()
        assert MonthlyRelease.objects.filter(month=earlier.replace(day=1)).count() == 0

    with open_page(browser, viewport=PHONE) as (_ctx, page, watch):
        page.goto(f"{base}/reports/public/")
        with page.expect_navigation():
            page.locator('[data-testid="public-releases"] a').first.click()
        table = page.locator('[data-testid="public-release"]')
        assert "<5" in table.inner_text()
        assert page.locator('[data-table="release"] tr[data-row="total"] .cg-n').first \
            .inner_text() == "18"
        assert "补录迟报事件 3 件" in page.locator("main").inner_text()
        shot(page, screenshot_dir, "release-public-phone.png")
        watch.assert_clean("public release")

    with open_page(browser, viewport=PHONE) as (_ctx, page, watch):
        browser_login(page, base, reader.username, PASSWORD)
        page.goto(f"{base}/reports/{county.code}/weekly/?week={scenario.day:%Y-%m-%d}")
        page.locator('[data-report-chart="trend"].cg-chart-ready').wait_for()
        page.wait_for_timeout(300)
        assert page.evaluate(NO_HSCROLL), "the report scrolls sideways on a phone"
        shot(page, screenshot_dir, "report-weekly-phone.png")
        watch.assert_clean("weekly report on a phone")

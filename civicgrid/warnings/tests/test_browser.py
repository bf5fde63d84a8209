"""A community's grid leader files the weekly check on a phone (zero report, then a
correction, then a refused entry); a supervisor opens the status map. Fails on any
console error, CSP violation or HTTP error; screenshots each step."""

from __future__ import annotations

from datetime import timedelta

import pytest

from civicgrid.accounts.roles import Role
from civicgrid.cases.models import Case
from civicgrid.cases.tests.conftest import new_case
from civicgrid.core.tests.test_browser import (
    DESKTOP,
    PHONE,
    open_page,
    shot,
    sign_in,
    wait_for_map,
)
from civicgrid.warnings.models import WeeklyCheck
from civicgrid.warnings.services import area_status_evaluate, rules_ensure_defaults
from civicgrid.warnings.weeks import current_week

pytestmark = pytest.mark.browser

NO_HSCROLL = "() => document.documentElement.scrollWidth"
LAST_WEEK = current_week() - timedelta(days=7)


def test_grid_leader_files_the_weekly_check_on_a_phone(transactional_db, live_server, checks,
                                                       browser, screenshot_dir):
    base = live_server.url
    community = checks.world.community_a
    with open_page(browser, viewport=PHONE, is_mobile=True, has_touch=True) as (_c, page, watch):
        sign_in(page, watch, base, checks.grid_leader.username)
        page.locator(".navbar-toggler").tap()
        link = page.locator("#cg-menu").get_by_role("link", name="周排查")
        link.wait_for(state="visible")
        with page.expect_navigation():
            link.tap()
        assert page.url == f"{base}/warnings/checks/"
        shot(page, screenshot_dir, "checks-00-home-phone.png")
        watch.assert_clean("checks home")

        with page.expect_navigation():
            page.locator(f'[data-report-link="{community.code}"]').nth(1).tap()  # last week
        assert page.locator('[data-testid="week-range"]').inner_text().startswith(
            f"{LAST_WEEK:%Y-%m-%d}")
        assert page.evaluate(NO_HSCROLL) <= PHONE["width"] + 1, "check form scrolls sideways"
        shot(page, screenshot_dir, "checks-01-form-phone.png")

        # Zero report: the counts are locked while it is ticked.
        page.locator("[data-zero-report]").tap()
        assert page.locator("#id_disputes_found").is_disabled()
        shot(page, screenshot_dir, "checks-02-zero-ticked-phone.png")
        with page.expect_navigation():
            page.locator('[data-testid="submit-check"]').tap()
        watch.assert_clean("zero report")
        assert "已报送本周排查。" in page.locator(".alert-success").first.inner_text()
        assert "零报告" in page.locator('[data-testid="check-state"]').inner_text()
        check = WeeklyCheck.objects.get(area=community, week=LAST_WEEK)
        assert check.is_zero and check.submitted_by == checks.grid_leader
        shot(page, screenshot_dir, "checks-03-zero-sent-phone.png")

        # A correction: two disputes found, one resolved on the spot, one risk point.
        page.locator("[data-zero-report]").tap()
        assert not page.locator("#id_disputes_found").is_disabled()
        page.fill("#id_disputes_found", "2")
        page.fill("#id_resolved_on_spot", "1")
        page.fill("#id_risk_points", "1")
        page.fill("#id_notes", "楼道堆物引发邻里争吵,已现场调解一起。")
        with page.expect_navigation():
            page.locator('[data-testid="submit-check"]').tap()
        watch.assert_clean("correction")
        assert "第 2 次报送" in page.locator(".alert-success").first.inner_text()
        check.refresh_from_db()
        assert (check.is_zero, check.disputes_found, check.revision) == (False, 2, 2)
        page.locator('[data-testid="revisions"] summary').tap()
        shot(page, screenshot_dir, "checks-04-corrected-phone.png")

        # Bad input: a clear message and nothing changed.
        page.fill("#id_resolved_on_spot", "5")
        with page.expect_navigation():
            page.locator('[data-testid="submit-check"]').tap()
        assert page.locator('[data-testid="form-error"]').is_visible()
        error = page.locator('[data-error-for="resolved_on_spot"]').inner_text()
        assert "当场化解数不能多于" in error
        check.refresh_from_db()
        assert (check.resolved_on_spot, check.revision) == (1, 2)
        assert page.evaluate(NO_HSCROLL) <= PHONE["width"] + 1
        shot(page, screenshot_dir, "checks-05-refused-phone.png")
        watch.assert_clean("refused entry")


def test_supervisor_opens_the_status_map(transactional_db, live_server, office, checks,
                                         browser, screenshot_dir):
    world = office.world
    rules_ensure_defaults()  # the flush of a transactional test removed the migration's rows
    case = new_case(office)
    Case.objects.filter(pk=case.pk).update(is_group=True)
    area_status_evaluate()
    base = live_server.url
    supervisor = world.users[Role.SUPERVISOR]
    with open_page(browser, viewport=DESKTOP) as (_c, page, watch):
        sign_in(page, watch, base, supervisor.username)
        with page.expect_navigation():
            page.locator("#cg-menu").get_by_role("link", name="预警").click()
        assert page.url == f"{base}/warnings/status/{world.street_a.code}/"
        assert wait_for_map(page) == 2  # community A and community A2
        assert page.locator(f'[data-warning="{world.community_a.code}"]').count() == 1
        assert "未办结的群体性、重大矛盾纠纷 1 件" in page.locator(
            '[data-testid="own-reasons"]').inner_text()
        shot(page, screenshot_dir, "status-00-street-desktop.png")
        watch.assert_clean("status of street A")

        with page.expect_navigation():
            page.locator(f'[data-warning="{world.community_a.code}"] a').click()
        assert page.url == f"{base}/warnings/status/{world.community_a.code}/"
        assert page.locator('[data-testid="own-status"]').inner_text().strip() in ("黄色", "红色")
        shot(page, screenshot_dir, "status-01-community-desktop.png")
        watch.assert_clean("status of community A")

    with open_page(browser, viewport=PHONE, is_mobile=True, has_touch=True) as (_c, page, watch):
        sign_in(page, watch, base, supervisor.username)
        page.goto(f"{base}/warnings/status/{world.street_a.code}/")
        assert wait_for_map(page) == 2
        assert page.evaluate(NO_HSCROLL) <= PHONE["width"] + 1, "status page scrolls sideways"
        shot(page, screenshot_dir, "status-02-street-phone.png")
        page.goto(f"{base}/warnings/checks/{world.street_a.code}/?week={LAST_WEEK:%Y-%m-%d}")
        assert page.locator('[data-testid="remind"]').is_visible()
        assert page.evaluate(NO_HSCROLL) <= PHONE["width"] + 1, "overview scrolls sideways"
        shot(page, screenshot_dir, "status-03-overview-phone.png")
        watch.assert_clean("status and overview on a phone")

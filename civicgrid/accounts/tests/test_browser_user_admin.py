"""Acceptance (issue 13, point 1), in headless Chromium: an administrator creates a grid
worker with a grid and a mediator with a unit from the web, who then sign in and see
their work. Screenshots at phone (375 px) and laptop (1366 px) width."""

from __future__ import annotations

import pytest

from civicgrid.accounts.roles import Role
from civicgrid.cases.tests.conftest import office  # noqa: F401 (a fixture: the case office)
from civicgrid.cases.tests.test_services import to_handling
from civicgrid.conftest import PASSWORD, browser_login
from civicgrid.core.tests.test_browser import PHONE, open_page, shot, sign_in

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 900}
NEW_PASSWORD = "Own-choice-2026!"  # noqa: S105 (a test password)


def change_password(page, current: str, new: str) -> None:
    form = page.locator("[data-testid=password-change-form]")
    form.locator("#id_current_password").fill(current)
    form.locator("#id_new_password").fill(new)
    form.locator("#id_new_password_again").fill(new)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/accounts/security/")
    assert "密码已修改" in page.locator(".alert-success").inner_text()


def test_administrator_sets_up_a_grid_worker_and_a_mediator_who_then_find_their_work(
        transactional_db, live_server, world, office, browser, screenshot_dir):  # noqa: F811
    base = live_server.url
    waiting = to_handling(office)  # a case dispatched to unit A, the mediator's unit-to-be

    # The administrator creates both people from the web (laptop).
    with open_page(browser, viewport=LAPTOP) as (_ctx, page, watch):
        sign_in(page, watch, base, world.users[Role.ADMINISTRATOR].username)
        page.goto(f"{base}/accounts/users/")
        page.click("[data-testid=user-new]")
        page.fill("#id_username", "gw_web")
        page.fill("#id_display_name", "周网格")
        page.fill("#id_password", PASSWORD)
        page.check(f"input[name=roles][value={Role.GRID_WORKER}]")
        page.select_option("#id_grid", world.grid_a2.code)
        shot(page, screenshot_dir, "user_admin_new_grid_worker_1366.png")
        page.click("[data-testid=user-new-submit]")
        page.wait_for_load_state("networkidle")
        assert page.locator("[data-testid=user-posts]").inner_text().count("桃坞第2网格") == 1
        assert page.locator("[data-testid=user-areas]").inner_text() == "桃坞第2网格"
        shot(page, screenshot_dir, "user_admin_grid_worker_detail_1366.png")

        page.goto(f"{base}/accounts/users/new/")
        page.fill("#id_username", "med_web")
        page.fill("#id_display_name", "吴调解")
        page.check(f"input[name=roles][value={Role.HANDLER}]")
        page.select_option("#id_areas", [world.street_a.code])
        page.select_option("#id_units", [str(world.unit_a.pk)])
        page.click("[data-testid=user-new-submit]")
        page.wait_for_load_state("networkidle")
        one_time = page.locator("[data-testid=one-time-password]").inner_text().strip()
        assert len(one_time) >= 12
        shot(page, screenshot_dir, "user_admin_one_time_password_1366.png")
        watch.assert_clean("administrator creates a grid worker and a mediator")

    # The same pages on a phone: the new-user form and the refusal of a privileged role.
    with open_page(browser, viewport=PHONE) as (_ctx, page, watch):
        sign_in(page, watch, base, world.users[Role.ADMINISTRATOR].username)
        page.goto(f"{base}/accounts/users/new/")
        page.fill("#id_username", "aud_web")
        page.fill("#id_display_name", "郑审计")
        page.fill("#id_password", PASSWORD)
        page.check(f"input[name=roles][value={Role.AUDITOR}]")
        page.click("[data-testid=user-new-submit]")
        page.wait_for_load_state("networkidle")
        assert "三员分立" in page.locator("[data-testid=form-error]").inner_text()
        shot(page, screenshot_dir, "user_admin_new_refused_phone.png")
        page.goto(f"{base}/accounts/users/{world.users[Role.AUDITOR].pk}/")
        page.click("[data-testid=password-reset]")
        page.wait_for_load_state("networkidle")
        assert page.locator("[data-testid=approval-link]").count() == 1
        shot(page, screenshot_dir, "user_admin_auditor_refused_phone.png")
        watch.assert_clean("refusals on a phone")

    # The grid worker signs in on a phone with the password the administrator chose: every
    # page asks them to replace it first; then their workspace shows their grid.
    with open_page(browser, viewport=PHONE) as (_ctx, page, watch):
        browser_login(page, base, "gw_web", PASSWORD)
        assert page.url == f"{base}/accounts/security/"
        assert page.locator("[data-testid=password-change-required]").count() == 1
        page.goto(f"{base}/cases/")
        assert page.url == f"{base}/accounts/security/"
        change_password(page, PASSWORD, NEW_PASSWORD)
        shot(page, screenshot_dir, "user_admin_password_changed_phone.png")
        assert page.locator("[data-testid=password-change-required]").count() == 0
        page.goto(f"{base}/")
        assert "桃坞第2网格" in page.get_by_text("我的网格").locator("xpath=../..").inner_text()
        shot(page, screenshot_dir, "user_admin_grid_worker_home_phone.png")
        watch.assert_clean("grid worker's workspace")

    # The mediator signs in with the one-time password: their unit and its queue.
    with open_page(browser, viewport=LAPTOP) as (_ctx, page, watch):
        browser_login(page, base, "med_web", one_time)
        assert page.url == f"{base}/accounts/security/"
        shot(page, screenshot_dir, "user_admin_password_change_required_1366.png")
        change_password(page, one_time, NEW_PASSWORD)
        page.goto(f"{base}/")
        assert world.unit_a.name in page.get_by_text("我的单位").locator(
            "xpath=../..").inner_text()
        assert page.locator("[data-inbox=unit] [data-count]").get_attribute("data-count") == "1"
        shot(page, screenshot_dir, "user_admin_mediator_home_1366.png")
        page.click("[data-inbox=unit]")
        page.wait_for_load_state("networkidle")
        assert "inbox=unit" in page.url
        assert page.get_by_text(waiting.number).count() >= 1
        shot(page, screenshot_dir, "user_admin_mediator_queue_1366.png")
        watch.assert_clean("mediator's workspace")

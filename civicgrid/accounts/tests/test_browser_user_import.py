"""Acceptance (issue 13, point 1, bulk creation), in headless Chromium: an administrator
uploads a CSV of two people (a grid worker with a grid, a mediator with a unit), sees the
preview, applies it and sees each one-time password once; a new person then signs in with
theirs. Screenshots at phone (390 px) and laptop (1366 px) width."""

from __future__ import annotations

import pytest

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Role
from civicgrid.accounts.tests.test_browser_user_admin import NEW_PASSWORD, change_password
from civicgrid.conftest import browser_login
from civicgrid.core.tests.test_browser import open_page, shot, sign_in

pytestmark = pytest.mark.browser

PHONE_390 = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}
CSV = ("用户名,姓名,角色,管辖区域,单位,网格,岗位\n"
       "gw_csv,周网格,网格员,,,320602001001002,grid_worker\n"
       "med_csv,吴调解,handler,320602001,320602001-tjw,,\n").encode()
BAD_CSV = CSV + "adm_csv,钱管理,administrator,,,,\n".encode()


def _upload(page, data: bytes, name: str = "people.csv") -> None:
    page.set_input_files("#id_file", files=[{"name": name, "mimeType": "text/csv",
                                             "buffer": data}])
    page.click("[data-testid=user-import-preview]")
    page.wait_for_load_state("networkidle")


def test_administrator_imports_two_people_and_hands_over_their_passwords(
        transactional_db, live_server, world, browser, screenshot_dir):
    base = live_server.url

    # On a phone: a file with a privileged row is shown with the row in red, no apply.
    with open_page(browser, viewport=PHONE_390) as (_ctx, page, watch):
        sign_in(page, watch, base, world.users[Role.ADMINISTRATOR].username)
        page.goto(f"{base}/accounts/users/")
        shot(page, screenshot_dir, "user_import_user_list_390.png")
        page.click("[data-testid=user-import]")
        assert page.url == f"{base}/accounts/users/import/"
        shot(page, screenshot_dir, "user_import_form_390.png")
        _upload(page, BAD_CSV)
        assert page.locator("[data-testid=user-import-item]").count() == 3
        assert page.locator("[data-item-error]").count() == 1
        assert "三员分立" in page.locator("[data-item-error]").inner_text()
        assert page.locator("[data-testid=user-import-apply]").count() == 0
        shot(page, screenshot_dir, "user_import_preview_refused_390.png")
        watch.assert_clean("a file with a privileged row")
    assert not User.objects.filter(username__in=["gw_csv", "med_csv", "adm_csv"]).exists()

    # On a laptop: the good file, its preview, apply, the passwords.
    with open_page(browser, viewport=LAPTOP) as (_ctx, page, watch):
        sign_in(page, watch, base, world.users[Role.ADMINISTRATOR].username)
        page.goto(f"{base}/accounts/users/")
        shot(page, screenshot_dir, "user_import_user_list_1366.png")
        page.click("[data-testid=user-import]")
        _upload(page, CSV)
        rows = page.locator("[data-testid=user-import-row]")
        assert rows.count() == 2
        assert page.locator("[data-row-error]").count() == 0
        assert "桃坞第2网格" in rows.nth(0).inner_text()
        assert "城东街道人民调解委员会" in rows.nth(1).inner_text()
        shot(page, screenshot_dir, "user_import_preview_1366.png")
        page.click("[data-testid=user-import-apply]")
        page.wait_for_load_state("networkidle")
        passwords = page.locator("[data-testid=user-import-password-row]")
        assert passwords.count() == 2
        assert "gw_csv" in passwords.nth(0).inner_text()
        one_time = page.locator("[data-testid=one-time-password]").nth(1).inner_text().strip()
        assert len(one_time) >= 12
        shot(page, screenshot_dir, "user_import_passwords_1366.png")
        watch.assert_clean("import two people")

    # The same list of passwords as it looks on a phone (a fresh import of one more person).
    with open_page(browser, viewport=PHONE_390) as (_ctx, page, watch):
        sign_in(page, watch, base, world.users[Role.ADMINISTRATOR].username)
        page.goto(f"{base}/accounts/users/import/")
        _upload(page, "用户名,姓名,角色,网格\ngw_csv2,冯网格,网格员,320602001001001\n"
                .encode())
        shot(page, screenshot_dir, "user_import_preview_390.png")
        page.click("[data-testid=user-import-apply]")
        page.wait_for_load_state("networkidle")
        assert page.locator("[data-testid=user-import-password-row]").count() == 1
        shot(page, screenshot_dir, "user_import_passwords_390.png")
        watch.assert_clean("import on a phone")

    # The mediator signs in with the one-time password, replaces it, and sees their unit.
    with open_page(browser, viewport=LAPTOP) as (_ctx, page, watch):
        browser_login(page, base, "med_csv", one_time)
        assert page.url == f"{base}/accounts/security/"
        change_password(page, one_time, NEW_PASSWORD)
        page.goto(f"{base}/")
        assert world.unit_a.name in page.get_by_text("我的单位").locator(
            "xpath=../..").inner_text()
        watch.assert_clean("the mediator signs in")

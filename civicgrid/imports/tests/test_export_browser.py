"""The export form and the data-quality report in headless Chromium at a phone's width
(390 px) and a desktop's (1280 px): no console error, nothing wider than the screen but
the tables' own scrolling boxes, the script of the form choosing a profile of the kind
picked. Screenshots in test-output/screenshots/ (and SHOTS_DIR when set)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from civicgrid.accounts.roles import Role
from civicgrid.core.tests.test_browser import open_page, shot, sign_in
from civicgrid.imports.tests.test_quality import _street

pytestmark = pytest.mark.browser

SIZES = {"390": {"width": 390, "height": 844}, "1280": {"width": 1280, "height": 900}}


def _dirs(screenshot_dir: Path) -> list[Path]:
    dirs = [screenshot_dir]
    extra = os.environ.get("SHOTS_DIR")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        dirs.append(Path(extra))
    return dirs


def _no_page_overflow(page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"


@pytest.mark.parametrize("size", list(SIZES))
def test_export_and_quality_pages(transactional_db, live_server, world, browser,
                                  screenshot_dir, size):
    _street(world)
    base = live_server.url
    user = world.users[Role.SUPERVISOR]
    phone = size == "390"
    options = {"viewport": SIZES[size]}
    if phone:
        options.update(is_mobile=True, has_touch=True)
    with open_page(browser, **options) as (_ctx, page, watch):
        sign_in(page, watch, base, user.username)

        page.goto(f"{base}/imports/quality/{world.street_a.code}/")
        recollect = page.locator(".cg-recollect:visible")
        assert recollect.count() == 1 and "需重新采集" in recollect.inner_text()
        _no_page_overflow(page)
        for folder in _dirs(screenshot_dir):
            shot(page, folder, f"quality-{size}.png")
        watch.assert_clean("quality report")

        with page.expect_navigation():
            page.get_by_test_id("export-link").click()
        assert page.locator("select[name=area]").input_value() == world.street_a.code
        page.locator("input[name=kind][value=organisations]").check()
        assert page.locator("select[name=profile]").input_value() == "civicgrid-organisations"
        page.locator("input[name=kind][value=people]").check()
        assert page.locator("select[name=profile]").input_value() == "civicgrid-people"
        _no_page_overflow(page)
        for folder in _dirs(screenshot_dir):
            shot(page, folder, f"export-{size}.png")
        with page.expect_download() as download:
            page.get_by_test_id("export").click()
        assert download.value.suggested_filename.startswith("registry-people-320602001-")
        watch.assert_clean("export form")

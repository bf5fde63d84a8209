"""A grid worker finds, on a phone, the case they just reported: the list opens on
"我上报的" when they have no other work, and the tabs never push the page sideways."""

from __future__ import annotations

import pytest

from civicgrid.cases.tests.conftest import new_case
from civicgrid.core.tests.test_browser import DESKTOP, PHONE, open_page, shot, sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("kind", "options"), [
    ("phone", {"viewport": PHONE, "is_mobile": True, "has_touch": True}),
    ("laptop", {"viewport": {**DESKTOP, "width": 1366}}),
])
def test_a_grid_worker_finds_the_case_they_reported(transactional_db, live_server, office,
                                                    browser, screenshot_dir, kind, options):
    grid = office.people["grid"]
    case = new_case(office, actor=grid, description="小区东门路灯不亮已有一周")
    with open_page(browser, **options) as (_ctx, page, watch):
        sign_in(page, watch, live_server.url, grid.username)
        page.goto(f"{live_server.url}/cases/")
        tab = page.locator('[data-inbox="reported"]')
        assert tab.get_attribute("aria-current") == "page"
        row = page.locator(f'[data-number="{case.number}"]')
        row.first.wait_for()
        assert page.evaluate("() => document.documentElement.scrollWidth") \
            <= page.viewport_size["width"] + 1
        shot(page, screenshot_dir, f"cases-reported-by-me-{kind}.png")
        if kind == "phone":  # the filters fold away on a phone
            page.locator('[aria-controls="case-filters"]').tap()
        page.fill('input[name="q"]', case.number[-5:])
        page.locator('input[name="q"]').press("Enter")
        page.locator(f'[data-number="{case.number}"]').first.wait_for()
        watch.assert_clean("list and search")

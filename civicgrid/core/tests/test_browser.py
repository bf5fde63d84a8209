"""End-to-end checks of the real pages in headless Chromium (Playwright, sync API).

Every test runs against pytest-django's ``live_server`` with ``transactional_db`` (requested
before ``world`` so the server thread sees the data), watches the browser console and fails
on any error (a missing static file, a CSP violation, a script exception), and saves a
full-page screenshot of each step into ``screenshot_dir``.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from civicgrid.accounts.roles import Role
from civicgrid.conftest import PASSWORD, browser_login

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
TIMEOUT_MS = 15_000


class PageWatch:
    """Collects console errors, uncaught exceptions and failed HTTP responses of a page."""

    def __init__(self, page):
        self.page = page
        self.errors: list[str] = []
        # URLs whose 4xx answer is the point of the step (the 404 page); Chromium logs
        # "Failed to load resource" for them, which is expected there and nowhere else.
        self.expected_error_urls: set[str] = set()
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("response", self._on_response)

    def _on_console(self, msg) -> None:
        if msg.type != "error":
            return
        url = (msg.location or {}).get("url", "")
        if url in self.expected_error_urls and msg.text.startswith("Failed to load resource"):
            return
        self.errors.append(f"console.error: {msg.text} (at {url or '?'})")

    def _on_response(self, response) -> None:
        if response.status >= 400 and response.url not in self.expected_error_urls:
            self.errors.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    def assert_clean(self, step: str) -> None:
        assert self.errors == [], f"browser errors during step {step!r}:\n" + "\n".join(self.errors)


@contextmanager
def open_page(browser, **context_options):
    ctx = browser.new_context(locale="zh-CN", **context_options)
    try:
        ctx.set_default_timeout(TIMEOUT_MS)
        page = ctx.new_page()
        yield ctx, page, PageWatch(page)
    finally:
        ctx.close()


def shot(page, screenshot_dir: Path, name: str) -> Path:
    path = screenshot_dir / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 1000, f"screenshot {path} is empty"
    return path


def sign_in(page, watch: PageWatch, base_url: str, username: str) -> None:
    browser_login(page, base_url, username, PASSWORD)
    assert page.url == f"{base_url}/", f"{username} did not land on the workspace: {page.url}"
    watch.assert_clean(f"sign in as {username}")


def wait_for_map(page) -> int:
    """Wait until area_map.js drew the map (or gave up); returns data-features."""
    page.wait_for_selector("#area-map.cg-map-ready, #area-map .text-danger")
    area_map = page.locator("#area-map")
    classes = area_map.get_attribute("class") or ""
    assert "cg-map-ready" in classes, f"map failed: {area_map.inner_text()!r}"
    drawn = page.locator("#area-map .leaflet-pane canvas, #area-map .leaflet-pane path")
    assert drawn.count() > 0, "no canvas/path inside .leaflet-pane: polygons not drawn"
    features = area_map.get_attribute("data-features")
    assert features is not None and features.isdigit(), f"data-features={features!r}"
    return int(features)


def page_heading(page) -> str:
    return page.locator(".page-header .page-title").first.inner_text().strip()


def test_supervisor_area_map_desktop(transactional_db, live_server, world, browser, screenshot_dir):
    base = live_server.url
    user = world.users[Role.SUPERVISOR]
    with open_page(browser, viewport=DESKTOP) as (_ctx, page, watch):
        sign_in(page, watch, base, user.username)
        assert page_heading(page) == "工作台"
        assert page.locator("html").get_attribute("lang") == "zh-hans"
        navbar_name = page.locator("header.cg-navbar").get_by_text(str(user), exact=True)
        assert navbar_name.is_visible(), f"user name {user} not shown in the navbar"
        # The workspace lists the jurisdiction (street A) as a button.
        assert page.locator(".card-body a.btn", has_text=world.street_a.name).count() == 1
        shot(page, screenshot_dir, "workspace-supervisor-desktop.png")
        watch.assert_clean("workspace")

        # /areas/ with a single jurisdiction root shows street A's detail directly.
        with page.expect_navigation():
            page.locator("#cg-menu").get_by_role("link", name="区域网格").click()
        assert page.url == f"{base}/areas/"
        title = page.locator("h2.page-title")
        assert title.inner_text().startswith(world.street_a.name), title.inner_text()
        assert world.street_a.code in page.locator(".page-header .cg-code").inner_text()
        assert wait_for_map(page) == 1  # street A has one community
        assert page.locator("table a", has_text=world.community_a.name).count() == 1
        shot(page, screenshot_dir, "area-map-desktop.png")
        watch.assert_clean("area detail of street A")

        # "全部网格" draws every grid below the street.
        with page.expect_navigation():
            page.get_by_role("link", name="全部网格").click()
        assert page.url == f"{base}/areas/?depth=grid"
        assert page.locator("h2.page-title").inner_text().startswith(world.street_a.name)
        assert wait_for_map(page) == 2  # grids a1 and a2
        grid_button = page.get_by_role("link", name="全部网格")
        assert "btn-primary" in (grid_button.get_attribute("class") or "")
        shot(page, screenshot_dir, "area-map-grids-desktop.png")
        watch.assert_clean("area detail of street A, depth=grid")


def test_grid_worker_area_map_phone(transactional_db, live_server, world, browser, screenshot_dir):
    base = live_server.url
    user = world.users[Role.GRID_WORKER]
    width = PHONE["width"]
    no_hscroll = "() => document.documentElement.scrollWidth"
    with open_page(browser, viewport=PHONE, is_mobile=True, has_touch=True) as (_ctx, page, watch):
        sign_in(page, watch, base, user.username)
        assert page_heading(page) == "工作台"
        assert page.evaluate(no_hscroll) <= width + 1, "workspace scrolls sideways"
        shot(page, screenshot_dir, "workspace-grid-worker-phone.png")

        # The collapsed menu opens with the toggler.
        areas_link = page.locator("#cg-menu").get_by_role("link", name="区域网格")
        assert not areas_link.is_visible(), "menu should be collapsed on a phone"
        page.locator(".navbar-toggler").click()
        areas_link.wait_for(state="visible")
        assert page.locator(".navbar-toggler").get_attribute("aria-expanded") == "true"
        shot(page, screenshot_dir, "menu-open-phone.png")
        watch.assert_clean("workspace with menu open")

        with page.expect_navigation():
            areas_link.click()
        assert page.url == f"{base}/areas/"
        assert page.locator("h2.page-title").inner_text().startswith(world.grid_a1.name)
        assert wait_for_map(page) == 1  # the grid itself
        assert page.evaluate(no_hscroll) <= width + 1, "area page scrolls sideways"
        shot(page, screenshot_dir, "area-map-phone.png")
        watch.assert_clean("area detail of grid a1 on a phone")


def test_language_switch(transactional_db, live_server, world, browser, screenshot_dir):
    with translation.override("en"):
        english_workspace = translation.gettext("工作台")
    assert english_workspace != "工作台", (
        "no English translation of 工作台: the message catalog (locale/en/LC_MESSAGES/"
        "django.mo) is missing or incomplete"
    )
    base = live_server.url
    user = world.users[Role.HANDLER]
    with open_page(browser, viewport=DESKTOP) as (_ctx, page, watch):
        sign_in(page, watch, base, user.username)
        home_link = page.locator("#cg-menu a.nav-link").first
        assert home_link.inner_text().strip() == "工作台"

        with page.expect_navigation():
            page.locator("header.cg-navbar").get_by_role("button", name="English").click()
        assert page.url == f"{base}/"
        assert page.locator("html").get_attribute("lang") == "en"
        assert home_link.inner_text().strip() == english_workspace
        assert page_heading(page) == english_workspace
        shot(page, screenshot_dir, "workspace-english.png")
        watch.assert_clean("English workspace")

        with page.expect_navigation():
            page.locator("header.cg-navbar").get_by_role("button", name="中文").click()
        assert page.url == f"{base}/"
        assert page.locator("html").get_attribute("lang") == "zh-hans"
        assert home_link.inner_text().strip() == "工作台"
        watch.assert_clean("back to Chinese")


def test_lockout_through_login_form(transactional_db, live_server, world, browser, screenshot_dir):
    assert settings.LOGIN_FAILURE_LIMIT == 5
    base = live_server.url
    user = world.users[Role.HANDLER]
    error = "[data-testid=form-error]"
    with open_page(browser, viewport=DESKTOP) as (_ctx, page, watch):
        for attempt in range(1, 6):
            browser_login(page, base, user.username, f"wrong-{attempt}-{PASSWORD}")
            assert page.url.startswith(f"{base}/accounts/login/"), page.url
            message = page.locator(error).inner_text()
            if attempt < 5:
                assert "锁定" not in message, f"locked already at attempt {attempt}: {message}"
                assert "不正确" in message, message
            else:
                assert "锁定" in message, f"no lockout message at attempt 5: {message!r}"
            watch.assert_clean(f"wrong password #{attempt}")
        shot(page, screenshot_dir, "login-locked-after-5.png")

        # The right password is refused while the lock lasts.
        browser_login(page, base, user.username, PASSWORD)
        assert page.url.startswith(f"{base}/accounts/login/"), page.url
        assert "锁定" in page.locator(error).inner_text()
        assert page.locator("header.cg-navbar").count() == 0, "signed in despite the lock"
        shot(page, screenshot_dir, "login-locked-right-password.png")
        watch.assert_clean("right password while locked")


def test_out_of_scope_area_is_404(transactional_db, live_server, world, browser, screenshot_dir):
    base = live_server.url
    user = world.users[Role.GRID_WORKER]
    with open_page(browser, viewport=DESKTOP) as (ctx, page, watch):
        sign_in(page, watch, base, user.username)

        # Control: the worker's own grid opens.
        response = page.goto(f"{base}/areas/{world.grid_a1.code}/")
        assert response is not None and response.status == 200
        watch.assert_clean("own grid")

        url = f"{base}/areas/{world.street_b.code}/"
        watch.expected_error_urls.add(url)
        response = page.goto(url)
        assert response is not None and response.status == 404
        assert "没有找到" in page.locator(".empty-title").inner_text()
        assert world.street_b.name not in page.content()
        shot(page, screenshot_dir, "area-out-of-scope-404.png")
        watch.assert_clean("street B (out of scope)")

        geojson = ctx.request.get(f"{base}/areas/{world.street_b.code}/map.geojson")
        assert geojson.status == 404

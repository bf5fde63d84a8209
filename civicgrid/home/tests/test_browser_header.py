"""The header stays on one line at 1366 px, in Chinese and in English, for the roles with the
widest menus (issue 13, point 8). Screenshots of the top of the page in each language."""

from __future__ import annotations

import pytest
from django.conf import settings

from civicgrid.accounts.roles import Role
from civicgrid.core.tests.test_browser import open_page, shot, sign_in

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 800}
# The roles whose menus are longest: the leader and the auditor (figures, reports, cases,
# checks, warnings, areas, units, people; the auditor adds the audit log), the supervisor
# (the same with notices) and the administrator (the admin entry).
WIDEST = (Role.LEADER, Role.AUDITOR, Role.SUPERVISOR, Role.ADMINISTRATOR)

# The top of every entry of the menu (one line when they are all equal), the header's height.
ROWS = """() => {
  const items = [...document.querySelectorAll(
      'header.cg-navbar #cg-menu > .navbar-nav > .nav-item')];
  return {tops: [...new Set(items.filter(e => e.offsetParent !== null)
                 .map(e => Math.round(e.getBoundingClientRect().top)))],
          height: Math.round(document.querySelector("header.cg-navbar")
                           .getBoundingClientRect().height),
          names: items.map(e => e.innerText.trim().replace(/\\s+/g, ' ')),
          // the right-hand group (notices, language, user) ends inside the header's container
          overflow: Math.round(document.querySelector('header.cg-navbar .order-md-last')
                      .getBoundingClientRect().right - document.querySelector(
                      'header.cg-navbar .container-xl').getBoundingClientRect().right),
          scroll: document.documentElement.scrollWidth - window.innerWidth};
}"""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_header_is_one_line_at_1366(transactional_db, live_server, world, browser,
                                        screenshot_dir, language):
    base = live_server.url
    for role in WIDEST:
        user = world.users[role]
        with open_page(browser, viewport=LAPTOP) as (ctx, page, watch):
            ctx.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language,
                              "url": base}])
            sign_in(page, watch, base, user.username)
            assert page.locator("html").get_attribute("lang") == language
            rows = page.evaluate(ROWS)
            page.screenshot(path=str(screenshot_dir / f"header-1366-{language}-{role.value}.png"),
                            clip={"x": 0, "y": 0, "width": 1366, "height": 160})
            assert len(rows["tops"]) == 1, f"{role} {language}: wraps into {rows}"
            assert rows["height"] <= 64, f"{role} {language}: header {rows['height']} px high"
            assert rows["overflow"] <= 0, f"{role} {language}: user menu overflows: {rows}"
            assert rows["scroll"] <= 0, f"{role} {language}: the page scrolls sideways"
            watch.assert_clean(f"{role} {language}")
    with open_page(browser, viewport=LAPTOP) as (ctx, page, watch):
        ctx.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language,
                          "url": base}])
        sign_in(page, watch, base, world.users[Role.AUDITOR].username)
        shot(page, screenshot_dir, f"workspace-1366-{language}-auditor.png")

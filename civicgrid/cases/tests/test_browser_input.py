"""Issue 13 point 7 in the browser, on a phone and a 1,366 px laptop: the portal's report
form counts the description's characters live and says when it is too long (nothing is
cut), and the merge dialog offers the detected duplicate to pick. Screenshots each."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from civicgrid.cases.inputs import PartyInput
from civicgrid.cases.models import Status
from civicgrid.cases.tests.conftest import new_case
from civicgrid.cases.tests.test_browser import Person, modal_shot
from civicgrid.core.tests.test_browser import PHONE, open_page, shot

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 900}
VIEWPORTS = {
    "phone": {"viewport": PHONE, "is_mobile": True, "has_touch": True},
    "1366": {"viewport": LAPTOP},
}
NO_HSCROLL = "() => document.documentElement.scrollWidth"


@pytest.mark.parametrize("kind", list(VIEWPORTS))
def test_portal_description_counter(transactional_db, live_server, office, browser,
                                    screenshot_dir, kind):
    options = VIEWPORTS[kind]
    with open_page(browser, **options) as (_ctx, page, watch):
        page.goto(f"{live_server.url}/portal/report/")
        area = page.locator("#id_description")
        counter = page.locator("#report-form [data-counter]").first
        assert counter.inner_text() == "0 / 4000"
        area.fill("楼道灯坏了一个月")
        assert counter.inner_text() == "8 / 4000"
        page.fill("#id_phone", "139 0000 4321")
        assert page.locator("#id_phone").get_attribute("inputmode") == "tel"
        assert page.locator("#id_phone").get_attribute("type") == "tel"
        area.scroll_into_view_if_needed()
        shot(page, screenshot_dir, f"input-portal-counter-{kind}.png")
        # A pasted text longer than the limit is kept whole and the counter says so.
        area.fill("灯" * 4003)
        assert area.input_value() == "灯" * 4003
        assert counter.inner_text() == "4003 / 4000 · 超出3个字,请删减"
        assert "text-danger" in (counter.get_attribute("class") or "")
        assert page.evaluate(NO_HSCROLL) <= options["viewport"]["width"] + 1
        area.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot_dir / f"input-portal-counter-over-{kind}.png"))
        watch.assert_clean("portal counter")


@pytest.mark.parametrize("kind", list(VIEWPORTS))
def test_merge_dialog_offers_the_duplicate(transactional_db, live_server, office, browser,
                                           screenshot_dir, kind):
    people = office.people
    master = new_case(office, description="桃坞路12号楼上住户每天深夜装修,噪音很大",
                      parties=[PartyInput(role="applicant", name="王芳",
                                          phone="13912345678")])
    dup = new_case(office, description="桃坞路12号楼上深夜装修噪音扰民,影响休息",
                   parties=[PartyInput(role="applicant", name="王芳", phone="139 1234 5678")])
    with ExitStack() as stack:
        dispatcher = Person(stack, browser, live_server.url, people["dispatcher"],
                            VIEWPORTS[kind], kind)
        page = dispatcher.page
        dispatcher.open_case(dup.number)

        def pick(form):
            options = form.locator("[data-candidate]")
            assert options.first.get_attribute("data-candidate") == master.number
            assert "同一当事人" in options.first.inner_text()
            assert "桃坞路12号楼上住户每天深夜装修" in options.first.inner_text()
            assert form.locator("#id_master").is_visible()  # a number may still be typed
            dispatcher.tap(options.first)
            assert options.first.locator("input").is_checked()
            width = page.viewport_size["width"]
            assert page.evaluate(NO_HSCROLL) <= width + 1
            modal_shot(page, screenshot_dir, f"input-merge-dialog-{kind}.png")

        dispatcher.act("merge", fill=pick)
    dup.refresh_from_db()
    assert (dup.status, dup.merged_into_id) == (Status.MERGED, master.pk)

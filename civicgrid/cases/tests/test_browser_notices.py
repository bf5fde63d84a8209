"""Acceptance (issue 13 point 3), in the browser: a dispatch produces a notice for the
receiving unit's handler, who sees it on the notices page, on a phone and on a laptop."""

from __future__ import annotations

from contextlib import ExitStack

import pytest
from django.conf import settings
from django.urls import reverse

from civicgrid.cases import services as svc
from civicgrid.cases.tests.conftest import new_case
from civicgrid.cases.tests.test_browser import NO_HSCROLL, PHONE, Person
from civicgrid.core.tests.test_browser import shot
from civicgrid.notices.models import Notice, NoticeKind
from civicgrid.notices.services import notice_send
from civicgrid.notices.texts import each_language
from civicgrid.warnings.models import StatusColour

pytestmark = pytest.mark.browser

VIEWPORTS = {
    "phone": {"viewport": PHONE, "is_mobile": True, "has_touch": True},
    "laptop": {"viewport": {"width": 1366, "height": 800}},
}


@pytest.mark.parametrize("kind", list(VIEWPORTS))
def test_a_dispatch_reaches_the_receiving_units_handler(transactional_db, live_server,
                                                        office, browser, screenshot_dir,
                                                        kind):
    base, options = live_server.url, VIEWPORTS[kind]
    people, unit = office.people, office.world.unit_a
    case = new_case(office)
    svc.case_act("accept", case=case, actor=people["dispatcher"],
                 expected_version=case.version)
    for name in ["桃坞第1网格", "桃坞第2网格"]:  # other notices: warnings
        notice_send(kind=NoticeKind.AREA_STATUS, text_key="area_status_changed",
                    params={"area": name, "before": each_language(StatusColour.GREEN.label),
                            "after": each_language(StatusColour.YELLOW.label)},
                    area_id=office.world.community_a.pk, user_ids=[people["mediator"].pk])

    with ExitStack() as stack:
        dispatcher = Person(stack, browser, base, people["dispatcher"], options, kind)
        dispatcher.open_case(case.number)
        dispatcher.act("dispatch",
                       lambda form: form.locator("#id_unit").select_option(str(unit.pk)))
        notice = Notice.objects.get(kind=NoticeKind.DISPATCH, case=case)
        assert notice.unit_id == unit.pk and notice.read_at is None

        mediator = Person(stack, browser, base, people["mediator"], options, kind)
        page = mediator.page
        assert page.locator('[data-testid="notice-count"]').inner_text() == "3"
        with page.expect_navigation():
            mediator.tap(page.locator('[data-testid="notices-link"]').first)
        mediator.watch.assert_clean("notices page")
        item = page.locator(f'[data-notice="{notice.pk}"]')
        assert case.number in item.inner_text() and "已交办至本单位" in item.inner_text()
        assert page.locator('[data-tab="cases"] [data-count]').inner_text() == "1"
        assert page.locator('[data-tab="warnings"] [data-count]').inner_text() == "2"
        assert page.evaluate(NO_HSCROLL) <= page.viewport_size["width"] + 1
        shot(page, screenshot_dir, f"notices-01-dispatched-{kind}.png")

        with page.expect_navigation():
            mediator.tap(page.locator('[data-tab="cases"]'))
        assert page.locator("[data-notice]").count() == 1
        with page.expect_navigation():
            mediator.tap(item.locator("button", has_text="标为已读"))
        mediator.watch.assert_clean("marked read")
        assert page.url.endswith("?tab=cases")
        assert page.locator('[data-testid="unread-count"]').inner_text() == "0"
        shot(page, screenshot_dir, f"notices-02-read-{kind}.png")

        # The same notices in English: rendered from their keys in the reader's language.
        page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en",
                                   "url": base}])
        page.goto(f"{base}{reverse('cases:notices')}")
        mediator.watch.assert_clean("notices in English")
        english = page.locator("body").inner_text()
        assert "has been dispatched to your unit" in english
        assert "warning status changed from Green to Yellow" in english
        assert "已交办至本单位" not in english and "由绿色" not in english
        assert page.evaluate(NO_HSCROLL) <= page.viewport_size["width"] + 1
        shot(page, screenshot_dir, f"notices-03-english-{kind}.png")
    notice.refresh_from_db()
    assert notice.read_at is not None

"""Acceptance (issue 13 point 3), in the browser: a dispatch produces a notice for the
receiving unit's handler, who sees it on the notices page, on a phone and on a laptop."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from civicgrid.cases import services as svc
from civicgrid.cases.tests.conftest import new_case
from civicgrid.cases.tests.test_browser import NO_HSCROLL, PHONE, Person
from civicgrid.core.tests.test_browser import shot
from civicgrid.notices.models import Notice, NoticeKind
from civicgrid.notices.services import notice_send
from civicgrid.notices.tests import says

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
    for i, name in enumerate(["桃坞第1网格", "桃坞第2网格"]):  # other notices: warnings
        notice_send(kind=NoticeKind.AREA_STATUS,
                    **says(f"{name} 由绿色转为黄色({i + 1}项指标超限)"),
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
    notice.refresh_from_db()
    assert notice.read_at is not None

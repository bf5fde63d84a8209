"""A resident on a phone: reports with a photo and a tap on the map, checks the status with
the tracking code and the last four digits, and after the staff have handled it rates the
result (confirming with the full phone number), which becomes the case's follow-up. Fails on
any console error; screenshots each step."""

from __future__ import annotations

import re

import pytest

from civicgrid.cases import services as svc
from civicgrid.cases.models import Case, Outcome, Status
from civicgrid.cases.tests.test_browser import photo
from civicgrid.cases.workflow import DISPATCHER, actor_kinds
from civicgrid.core.tests.test_browser import PHONE, open_page, shot

pytestmark = pytest.mark.browser

NO_HSCROLL = "() => document.documentElement.scrollWidth"


def test_resident_reports_tracks_and_rates_on_a_phone(transactional_db, live_server, office,
                                                      browser, screenshot_dir, tmp_path):
    base = live_server.url
    with open_page(browser, viewport=PHONE, is_mobile=True, has_touch=True) as (_c, page, watch):
        page.goto(f"{base}/portal/")
        assert page.locator(".cg-portal-brand").inner_text().strip() == "群众诉求服务平台"
        assert page.locator(".cg-navbar").count() == 0  # no staff navigation
        shot(page, screenshot_dir, "portal-00-home-phone.png")
        page.locator('[data-testid="portal-report"]').tap()
        page.wait_for_url(f"{base}/portal/report/")
        page.locator("#report-map.cg-map-ready").wait_for()
        assert page.evaluate(NO_HSCROLL) <= PHONE["width"] + 1
        assert page.locator('[data-testid="emergency-note"]').is_visible()
        shot(page, screenshot_dir, "portal-01-report-phone.png")

        page.locator("#id_category").select_option(str(office.labour.pk))
        page.locator("#id_attribute_amount").wait_for()  # the category's questions
        page.fill("#id_attribute_amount", "8000")
        page.fill("#id_description", "工地老板拖欠三个月工资共8000元,多次讨要未果")
        page.locator("#id_photos").set_input_files(str(photo(tmp_path)))
        page.locator(".cg-preview img").wait_for()
        box = page.locator("#report-map").bounding_box()
        # The three grids side by side (west → east); the first one is on the left.
        page.locator("#report-map").tap(position={"x": box["width"] * 0.15,
                                                  "y": box["height"] * 0.5})
        page.wait_for_function("document.getElementById('id_lng').value !== ''")
        assert office.world.grid_a1.name in page.locator("[data-location-status]").inner_text()
        page.fill("#id_name", "王女士")
        page.fill("#id_phone", "139 0000 4321")
        assert not page.locator("#id_website").is_visible() or \
            page.locator("#id_website").bounding_box()["x"] < 0  # the honeypot is off-screen
        shot(page, screenshot_dir, "portal-02-report-filled-phone.png")
        with page.expect_navigation():
            page.locator('[data-testid="submit-report"]').tap()
        watch.assert_clean("report")
        number = page.locator('[data-testid="tracking-number"]').inner_text().strip()
        code = page.locator('[data-testid="tracking-code"]').inner_text().strip()
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]", code)
        case = Case.objects.get(number=number, tracking_code=code.replace("-", ""))
        assert case.channel == "portal" and case.attachments.count() == 1
        assert case.attributes == {"amount": 8000.0}
        assert "请截图保存" in page.content()
        shot(page, screenshot_dir, "portal-03-tracking-number-phone.png")

        # Checking the status by the tracking code (typed as read aloud: lower case, spaces)
        # and the phone's last four digits.
        page.goto(f"{base}/portal/track/")
        page.fill("#id_code", code.lower().replace("-", " "))
        page.fill("#id_last4", "0000")
        with page.expect_navigation():
            page.locator('[data-testid="track-submit"]').tap()
        assert page.locator('[data-testid="track-error"]').inner_text() == \
            "未找到,请核对查询码和手机号后四位"
        shot(page, screenshot_dir, "portal-04-track-wrong-phone.png")
        page.fill("#id_last4", "4321")
        with page.expect_navigation():
            page.locator('[data-testid="track-submit"]').tap()
        assert page.locator('[data-testid="status-number"]').inner_text() == number
        assert page.locator('[data-testid="public-status"]').inner_text() == "已收到,等待受理"
        assert page.locator('[data-testid="rating-form"]').count() == 0
        status_url = page.url
        watch.assert_clean("track")
        shot(page, screenshot_dir, "portal-05-status-registered-phone.png")

        # The staff handle it (through the services).
        people = office.people
        case = Case.objects.get(pk=case.pk)
        disp = next(people[k] for k in ("dispatcher", "county_dispatcher")
                    if DISPATCHER in actor_kinds(case, people[k]))
        svc.case_act("accept", case=case, actor=disp, expected_version=case.version)
        unit = case.suggested_unit or office.world.unit_a
        handler = {office.county_labour.pk: people["labour"],
                   office.community_committee.pk: people["community_mediator"]}.get(
            unit.pk, people["mediator"])
        svc.case_act("dispatch", case=case, actor=disp, expected_version=case.version, unit=unit)
        svc.case_act("resolve", case=case, actor=handler, expected_version=case.version,
                         outcome=Outcome.MEDIATED, note="老板当场结清工资")
        svc.case_act("verify", case=case, actor=people["grid"], expected_version=case.version)
        assert case.status == Status.VERIFIED

        page.goto(status_url)
        timeline = page.locator('[data-testid="public-timeline"]').inner_text()
        assert f"已交由 {unit.name} 办理" in timeline and "已办结:调解成功" in timeline
        for secret in ("王女士", "4321", handler.username, disp.username):
            assert secret not in page.content(), secret
        # The written answer, read before the rating form (issue 13 point 7).
        answer = page.locator('[data-testid="public-answer"]')
        assert answer.inner_text().strip().endswith("老板当场结清工资")
        assert answer.bounding_box()["y"] < page.locator(
            '[data-testid="rating-form"]').bounding_box()["y"]
        shot(page, screenshot_dir, "portal-06-status-verified-phone.png")
        page.locator('label[for="rating-5"]').tap()
        page.fill("#id_comment", "很快就解决了,谢谢")
        page.fill("#id_phone", "13900004321")  # the full number: the status link is not enough
        shot(page, screenshot_dir, "portal-07-rating-phone.png")
        with page.expect_navigation():
            page.locator('[data-testid="rating-submit"]').tap()
        assert page.locator('[data-testid="rating-thanks"]').is_visible()
        assert page.locator('[data-testid="my-rating"]').get_attribute("aria-label") == "5"
        assert page.evaluate(NO_HSCROLL) <= PHONE["width"] + 1
        watch.assert_clean("rating")
        shot(page, screenshot_dir, "portal-08-rated-phone.png")
    case.refresh_from_db()
    assert case.status == Status.FOLLOWED_UP and case.satisfaction == 5

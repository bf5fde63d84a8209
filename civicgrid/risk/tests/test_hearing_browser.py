"""A resident, on a phone (390 px), reads a draft put to consultation, comments on a passage
and registers for the hearing; a staff member closes registration, draws the lots, records
the minutes and the dispositions (htmx) and publishes them; the resident then reads the
result. Fails on any console error; screenshots each step (test-output/screenshots/)."""

from __future__ import annotations

import pytest

from civicgrid.accounts.roles import Role
from civicgrid.core.tests.test_browser import DESKTOP, open_page, shot, sign_in
from civicgrid.risk.models import Comment, Hearing, HearingStatus, Registration
from civicgrid.risk.tests.test_hearings import (
    hearing_day,
    noticed_hearing,
    pass_deadline,
    register,
)

pytestmark = pytest.mark.browser

PHONE_390 = {"width": 390, "height": 844}
NO_HSCROLL = "() => document.documentElement.scrollWidth"


def test_consultation_from_a_phone_and_the_hearing_from_the_desk(
        transactional_db, live_server, world, browser, screenshot_dir):
    base = live_server.url
    hearing = noticed_hearing(world)
    # Others registered before: 4 residents for 3 seats, so there is a lot to draw.
    for i in range(1, 4):
        register(hearing, i, name=f"王{i}明", position=("oppose", "support", "neutral")[i % 3])
    with open_page(browser, viewport=PHONE_390, is_mobile=True, has_touch=True) as (
            _c, page, watch):
        page.goto(f"{base}/consult/")
        assert page.evaluate(NO_HSCROLL) <= PHONE_390["width"] + 1
        shot(page, screenshot_dir, "consult-00-home-phone.png")
        with page.expect_navigation():
            page.locator('[data-testid="consult-hearing"]').first.tap()
        assert page.locator("h1").inner_text() == hearing.title
        assert page.evaluate(NO_HSCROLL) <= PHONE_390["width"] + 1
        shot(page, screenshot_dir, "consult-01-hearing-phone.png")

        # A comment on the second passage, with a phone number in it.
        passage = page.locator("#passage-2")
        passage.locator('[data-testid="comment-open"]').tap()
        passage.locator("textarea[name=text]").fill(
            "一层住户不使用电梯,不应分摊费用。如需核实请打13812345678。")
        passage.locator("input[name=author]").fill("周晓梅")
        assert passage.locator("input[name=website]").bounding_box()["x"] < 0  # honeypot
        shot(page, screenshot_dir, "consult-02-comment-filled-phone.png")
        with page.expect_navigation():
            passage.locator('[data-testid="comment-submit"]').tap()
        watch.assert_clean("comment")
        assert "意见已提交" in page.locator('[data-testid="commented"]').inner_text()
        comment_text = page.locator('[data-testid="public-comment"]').first.inner_text()
        assert "138****5678" in comment_text and "周**" in comment_text
        assert "13812345678" not in page.content()
        assert "其中 1 条按公布的规则遮蔽了个人信息" in page.locator(
            '[data-testid="masking-rule"]').inner_text()
        shot(page, screenshot_dir, "consult-03-commented-phone.png")

        # Registration.
        form = page.locator('[data-testid="register-form"]')
        form.scroll_into_view_if_needed()
        form.locator("select[name=group]").select_option("resident")
        form.locator("input[name=name]").fill("周晓梅")
        form.locator("input[name=phone]").fill("139 0000 8888")
        form.locator("input[name=position][value=oppose]").check()
        form.locator("textarea[name=statement]").fill("一层不应分摊")
        shot(page, screenshot_dir, "consult-04-register-filled-phone.png")
        with page.expect_navigation():
            form.locator('[data-testid="register-submit"]').tap()
        watch.assert_clean("register")
        assert "您的报名序号是 4 号" in page.locator('[data-testid="registered"]').inner_text()
        assert page.evaluate(NO_HSCROLL) <= PHONE_390["width"] + 1
        shot(page, screenshot_dir, "consult-05-registered-phone.png")
    registration = Registration.objects.get(hearing=hearing, number=4)
    assert (registration.name, registration.phone_masked) == ("周晓梅", "139****8888")

    pass_deadline(hearing)  # the registration deadline has passed
    supervisor = world.users[Role.SUPERVISOR]
    with open_page(browser, viewport=DESKTOP) as (_c, page, watch):
        sign_in(page, watch, base, supervisor.username)
        page.goto(f"{base}/risk/hearings/")
        with page.expect_navigation():
            page.locator('[data-testid="hearing-row"]').first.click()
        shot(page, screenshot_dir, "hearing-10-staff-page.png")
        with page.expect_navigation():
            page.locator('[data-testid="close-registration"]').click()
        digest = page.locator('[data-testid="digest"]').inner_text().strip()
        assert len(digest) == 64
        page.fill("#id_seed", "2026-12-05 福彩3D 517")
        with page.expect_navigation():
            page.locator('[data-testid="draw"]').click()
        watch.assert_clean("draw")
        assert page.locator('[data-testid="seed"]').inner_text() == "2026-12-05 福彩3D 517"
        residents = page.locator('table[data-group="resident"] tbody tr')
        assert residents.count() == 4
        assert page.locator('table[data-group="resident"] [data-status="selected"]').count() == 3
        page.locator("#draw").scroll_into_view_if_needed()
        shot(page, screenshot_dir, "hearing-11-drawn.png")

        # The disposition, with htmx (the page stays where it is).
        card = page.locator('[data-testid="staff-comment"]').first
        card.locator("input[name=disposition][value=partly]").check()
        card.locator("textarea[name=reason]").fill("一层分摊系数调整为0.3")
        card.locator('[data-testid="dispose-save"]').click()
        page.locator('[data-testid="staff-comment"] [data-testid="disposition"]').wait_for()
        assert page.locator('[data-testid="pending-count"]').inner_text() == "0"
        assert "部分采纳" in page.locator('[data-testid="staff-comment"]').first.inner_text()
        watch.assert_clean("dispose")
        shot(page, screenshot_dir, "hearing-12-disposed.png")

        hearing_day(hearing)  # the day has come: the minutes may be recorded
        page.fill("#id_chair", "陈建国")
        page.fill("#id_minutes", "听证会于上午九时在社区会议室举行,主持人陈建国。"
                                 "入选参加人依次发言,反对意见主要集中在一层分摊。")
        with page.expect_navigation():
            page.locator('[data-testid="held-save"]').click()
        page.fill("#id_signed_by", "陈建国")
        with page.expect_navigation():
            page.locator('[data-testid="sign"]').click()
        with page.expect_navigation():
            page.locator('[data-testid="publish"]').click()
        watch.assert_clean("publish")
        assert page.locator('[data-testid="published"]').count() == 1
        page.locator("#minutes").scroll_into_view_if_needed()
        shot(page, screenshot_dir, "hearing-13-published.png")
        page.set_viewport_size(PHONE_390)  # an organiser on a phone
        page.reload()
        assert page.evaluate(NO_HSCROLL) <= PHONE_390["width"] + 1
        shot(page, screenshot_dir, "hearing-14-published-staff-phone.png")
    hearing.refresh_from_db()
    assert hearing.status == HearingStatus.PUBLISHED
    assert Comment.objects.get(hearing=hearing).disposition == "partly"

    with open_page(browser, viewport=PHONE_390, is_mobile=True, has_touch=True) as (
            _c, page, watch):
        page.goto(f"{base}/consult/{hearing.pk}/")
        assert "陈建国" in page.locator("#minutes").inner_text()
        assert "部分采纳" in page.locator('[data-testid="public-disposition"]').inner_text()
        assert page.locator('[data-testid="draw-result"]').count() == 1
        assert page.evaluate(NO_HSCROLL) <= PHONE_390["width"] + 1
        watch.assert_clean("published page")
        shot(page, screenshot_dir, "consult-06-published-phone.png")
    assert Hearing.objects.get(pk=hearing.pk).published_at is not None

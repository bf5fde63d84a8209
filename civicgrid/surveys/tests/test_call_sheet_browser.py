"""An interviewer works the call sheet on a phone (390 × 844): a no-answer, a callback
appointment, a refusal (a reserve is released onto the sheet) and a completed interview;
then the sheet at laptop width (1366). Fails on any console error or sideways scrolling;
screenshots each step (test-output/screenshots/)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from civicgrid.audit.models import AuditEntry
from civicgrid.core.tests.test_browser import open_page, shot, sign_in
from civicgrid.surveys.models import CallAttempt, Response, SampleUnit, UnitStatus
from civicgrid.surveys.tests.test_fieldwork import calling_round, my_units

pytestmark = pytest.mark.browser

PHONE_390 = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}
NO_HSCROLL = "() => document.documentElement.scrollWidth"


def _fits(page, width: int) -> None:
    assert page.evaluate(NO_HSCROLL) <= width + 1, "the page scrolls sideways"


def _record(page, outcome: str) -> None:
    page.locator("label.cg-option", has_text=outcome).first.tap()


def test_an_interviewer_works_the_call_sheet_on_a_phone(
        transactional_db, live_server, survey, browser, screenshot_dir):
    base = live_server.url
    round_ = calling_round(survey)
    a, b, c, d = my_units(survey, round_)
    # the reserve that replaces a unit of the worker's grid: the first of that grid in the
    # release order drawn from the seed
    reserve = SampleUnit.objects.filter(stratum=a.stratum, reserve=True,
                                        area_code=a.area_code).order_by(
        "release_rank", "position").first()
    assert reserve is not None
    width = PHONE_390["width"]
    with open_page(browser, viewport=PHONE_390, is_mobile=True, has_touch=True) as (
            _c, page, watch):
        sign_in(page, watch, base, survey.interviewer.username)
        page.goto(f"{base}/surveys/calls/")
        assert page.locator('[data-testid="unit-card"]').count() == 4
        _fits(page, width)
        shot(page, screenshot_dir, "calls-00-sheet-phone.png")
        watch.assert_clean("sheet")

        # 1. No answer: call, see the number, record it.
        with page.expect_navigation():
            page.locator(f'[data-unit="{a.pk}"] [data-testid="call"]').tap()
        assert "1390000" not in page.content()
        page.locator('[data-testid="reveal"]').tap()
        tel = page.locator('[data-testid="tel-link"]')
        tel.wait_for()
        assert tel.get_attribute("href").startswith("tel:1390000")
        assert AuditEntry.objects.filter(event_type="survey.contact_revealed").count() == 1
        assert not page.locator("#callback-field").is_visible()  # only for an appointment
        _fits(page, width)
        shot(page, screenshot_dir, "calls-01-unit-phone.png")
        page.locator("#contact").screenshot(
            path=str(screenshot_dir / "calls-01b-contact-phone.png"))
        _record(page, "无人接听")
        with page.expect_navigation():
            page.locator('[data-testid="record"]').tap()
        watch.assert_clean("no answer")
        assert "已记录:无人接听(第 1 次,最多 5 次)" in page.locator(".alert-success").inner_text()

        # 2. A callback appointment: the time field appears with the outcome.
        with page.expect_navigation():
            page.locator(f'[data-unit="{b.pk}"] [data-testid="call"]').tap()
        _record(page, "约定再联系")
        assert page.locator("#callback-field").is_visible()
        when = timezone.localtime() + timedelta(days=1)
        page.fill("input[name=callback_at]", when.strftime("%Y-%m-%dT19:30"))
        page.fill("textarea[name=note]", "请晚上七点半后打,找户主")
        shot(page, screenshot_dir, "calls-02-callback-phone.png")
        with page.expect_navigation():
            page.locator('[data-testid="record"]').tap()
        watch.assert_clean("callback")
        assert "约定" in page.locator(".alert-success").inner_text()
        assert page.locator(f'[data-unit="{b.pk}"] [data-testid="callback"]').is_visible()

        # 3. A refusal: the unit ends and a reserve joins the sheet.
        with page.expect_navigation():
            page.locator(f'[data-unit="{c.pk}"] [data-testid="call"]').tap()
        _record(page, "拒绝访问")
        with page.expect_navigation():
            page.locator('[data-testid="record"]').tap()
        watch.assert_clean("refusal")
        message = page.locator(".alert-success").inner_text()
        assert "拒绝访问" in message and "已启用备用样本" in message
        card = page.locator(f'[data-unit="{reserve.pk}"]')
        assert card.locator('[data-testid="reserve-badge"]').is_visible()
        assert page.locator(f'[data-unit="{c.pk}"]').count() == 0
        _fits(page, width)
        shot(page, screenshot_dir, "calls-03-reserve-released-phone.png")

        # 4. A completed interview.
        with page.expect_navigation():
            page.locator(f'[data-unit="{d.pk}"] [data-testid="interview"]').tap()
        form = page.locator('[data-testid="interview-form"]')
        form.locator('label[for="id_mode_0"]').tap()  # 电话访问
        # a screen-out hides what follows; changing the answer brings it back
        form.locator("#question-resident label.cg-option", has_text="否").tap()
        assert page.locator('[data-testid="screened-note"]').is_visible()
        assert not page.locator("#question-safety").is_visible()
        form.locator("#question-resident label.cg-option", has_text="是").tap()
        assert page.locator("#question-safety").is_visible()
        form.locator("#question-age label.cg-option", has_text="30—44岁").tap()
        form.locator("#question-sex label.cg-option", has_text="女").tap()
        form.locator('label[for="id_q_safety_1"]').tap()  # 安全
        _fits(page, width)
        shot(page, screenshot_dir, "calls-04-interview-phone.png")
        page.locator("#question-safety").screenshot(
            path=str(screenshot_dir / "calls-04b-scale-phone.png"))
        # submitting without the rest: refused, nothing lost
        with page.expect_navigation():
            form.locator('[data-testid="submit"]').tap()
        assert page.locator('[data-testid="form-errors"]').is_visible()
        assert page.locator("#id_q_safety_1").is_checked()
        assert page.locator('input[name="q_age"][value="2"]').is_checked()
        # night, trend, worries, satisfaction (the suggestion is optional)
        assert page.locator('[data-testid="question-error"]').count() == 4
        form = page.locator('[data-testid="interview-form"]')
        form.locator('label[for="id_q_night_2"]').tap()  # 基本安全
        form.locator("#question-trend label.cg-option", has_text="变好了").tap()
        form.locator("#question-worries label.cg-option", has_text="电信网络诈骗").tap()
        form.locator("#question-worries label.cg-option", has_text="交通安全").tap()
        form.locator('label[for="id_q_satisfaction_0"]').tap()  # 很满意
        form.locator("textarea[name=q_suggestion]").fill("希望夜间多巡逻")
        shot(page, screenshot_dir, "calls-05-interview-filled-phone.png")
        with page.expect_navigation():
            form.locator('[data-testid="submit"]').tap()
        watch.assert_clean("interview")
        assert page.locator('[data-testid="result-code"]').inner_text() == "1.1"
        assert "访问完成" in page.locator('[data-testid="result-text"]').inner_text()
        assert page.locator('[data-testid="reserve-released"]').count() == 0
        _fits(page, width)
        shot(page, screenshot_dir, "calls-06-interview-done-phone.png")

    response = Response.objects.get(unit=d)
    assert response.answers == {"resident": "1", "age": "2", "sex": "2", "safety": "2",
                                "night": "3", "trend": "1", "worries": ["2", "4"],
                                "satisfaction": "1", "suggestion": "希望夜间多巡逻"}
    assert list(CallAttempt.objects.filter(unit__in=[a, b, c, d]).order_by("id")
                .values_list("unit_id", "code")) == [
        (a.pk, "no_answer"), (b.pk, "callback"), (c.pk, "2.11"), (d.pk, "1.1")]
    reserve.refresh_from_db()
    assert (reserve.released, reserve.interviewer_id, reserve.replaces_id) == (
        True, survey.interviewer.pk, c.pk)
    assert SampleUnit.objects.get(pk=c.pk).status == UnitStatus.DONE

    # The same sheet at a laptop's width, with the finished units shown.
    with open_page(browser, viewport=LAPTOP) as (_c, page, watch):
        sign_in(page, watch, base, survey.interviewer.username)
        page.goto(f"{base}/surveys/calls/")
        with page.expect_navigation():
            page.locator('[data-testid="show-done"]').click()
        assert page.locator('[data-testid="done-unit"]').count() == 2
        _fits(page, LAPTOP["width"])
        shot(page, screenshot_dir, "calls-07-sheet-laptop.png")
        with page.expect_navigation():
            page.locator(f'[data-unit="{a.pk}"] [data-testid="unit-link"]').click()
        _fits(page, LAPTOP["width"])
        shot(page, screenshot_dir, "calls-08-unit-laptop.png")
        watch.assert_clean("laptop")


def test_a_full_quota_is_known_once_sex_and_age_are_answered(
        transactional_db, live_server, survey, browser, screenshot_dir):
    """The interview form asks the server about the quota as soon as the sex and age are
    known: a full cell says so and hides what would not be asked; the interview submitted
    there ends as 4.8 with the quota exit. Also the resident's web questionnaire on a
    phone."""
    from civicgrid.surveys.services import fieldwork
    from civicgrid.surveys.services.rounds import quota_set

    base = live_server.url
    round_ = calling_round(survey)
    first, second, third = my_units(survey, round_)[:3]
    quota_set(round_=round_, cell="2|2", target=1, actor=survey.organiser)
    fieldwork.interview_record(unit=first, answers={
        "sex": "2", "age": "2", "resident": "1", "safety": "1", "night": "1", "trend": "1",
        "worries": ["1"], "satisfaction": "1"}, mode="cati", actor=survey.interviewer)
    with open_page(browser, viewport=PHONE_390, is_mobile=True, has_touch=True) as (
            _c, page, watch):
        sign_in(page, watch, base, survey.interviewer.username)
        page.goto(f"{base}/surveys/calls/{second.pk}/interview/")
        form = page.locator('[data-testid="interview-form"]')
        form.locator('label[for="id_mode_0"]').tap()
        form.locator("#question-sex label.cg-option", has_text="女").tap()
        form.locator("#question-age label.cg-option", has_text="30—44岁").tap()
        page.locator('[data-testid="quota-full"]').wait_for()
        assert not page.locator("#question-safety").is_visible()
        assert page.locator("#question-resident").is_visible()
        _fits(page, PHONE_390["width"])
        shot(page, screenshot_dir, "calls-09-quota-full-phone.png")
        # another answer for sex: the cell has room, the questions come back
        form.locator("#question-sex label.cg-option", has_text="男").tap()
        page.locator('[data-testid="quota-full"]').wait_for(state="detached")
        assert page.locator("#question-safety").is_visible()
        form.locator("#question-sex label.cg-option", has_text="女").tap()
        page.locator('[data-testid="quota-full"]').wait_for()
        form.locator("#question-resident label.cg-option", has_text="是").tap()
        with page.expect_navigation():
            form.locator('[data-testid="submit"]').tap()
        assert page.locator('[data-testid="result-code"]').inner_text() == "4.8"
        watch.assert_clean("quota")
    response = Response.objects.get(unit=second)
    assert (response.status, response.quota_exit) == ("quota_full", "2|2")
    assert response.answers == {"sex": "2", "age": "2", "resident": "1"}

    # the resident's web questionnaire (a link issued by the organiser)
    [(_unit, token)] = fieldwork.web_links_issue(round_=round_, units=[third],
                                                 actor=survey.organiser)
    with open_page(browser, viewport=PHONE_390) as (_c, page, watch):
        page.goto(f"{base}/s/{token}/")
        assert page.locator('[data-testid="question"]').count() == 9
        _fits(page, PHONE_390["width"])
        shot(page, screenshot_dir, "survey-web-phone.png")
        watch.assert_clean("web questionnaire")

"""A round in the browser: the district's organiser, at a laptop, creates the round, sets
the design (the sample size shown with its formula), adds a question, freezes the registry
frame, draws the sample from a public seed, assigns it and opens the fieldwork; a street
leader reads a closed round's results on a phone and at a laptop. Fails on any console
error, CSP violation or HTTP error and on a page that scrolls sideways; screenshots in the
screenshot directory (surveys-*.png)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from civicgrid.accounts.roles import Role
from civicgrid.core.tests.test_browser import open_page, shot, sign_in
from civicgrid.registry.models import Building, BuildingUse, Room, RoomUse
from civicgrid.surveys.models import Round, RoundStatus, SampleUnit
from civicgrid.surveys.services import fieldwork
from civicgrid.surveys.services.rounds import (
    RoundInput,
    fieldwork_open,
    frame_freeze_registry,
    round_close,
    round_create,
    round_design_set,
    sample_draw,
    units_assign,
)
from civicgrid.surveys.tests.conftest import design

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
LAPTOP = {"viewport": {"width": 1366, "height": 900}}
ANSWERS = {"resident": "1", "age": "2", "sex": "1", "safety": "2", "night": "3",
           "trend": "1", "worries": ["1", "2"], "satisfaction": "2",
           "suggestion": "希望晚上多巡逻"}


def _no_sideways_scroll(page, step: str) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width + 1, (
        f"{step}: the page scrolls sideways")


def _more_rooms(grid, count: int) -> None:
    building = Building.objects.create(
        code=f"{grid.code}00002", grid=grid, grid_code=grid.code, name="2号楼",
        address=f"{grid.name}2号楼", use=BuildingUse.RESIDENTIAL, floors_above=count // 6 + 1)
    Room.objects.bulk_create([
        Room(building=building, grid_code=grid.code, unit=1, floor=i // 6 + 1,
             number=f"{i // 6 + 1}{i % 6 + 1:02d}", use=RoomUse.OWNER,
             address=f"{grid.name}2号楼{i // 6 + 1}{i % 6 + 1:02d}室") for i in range(count)])


def _closed_round(survey) -> Round:
    """The county's round of the second half of 2025, every drawn dwelling interviewed:
    street A feels safe (one in twelve 不太安全), street B less so (three in ten)."""
    organiser, world = survey.organiser, survey.world
    round_ = round_create(data=RoundInput(area=world.county, year=2025, half=2),
                          actor=organiser)
    round_ = round_design_set(round_=round_, actor=organiser, data=design(
        round_, deff=Decimal("1.00"), response_rate=Decimal("1.000"),
        index_target=Decimal("0.850")))
    frame_freeze_registry(round_=round_, actor=organiser)
    round_ = sample_draw(round_=round_, seed="2025下半年", actor=organiser)
    units_assign(round_=round_, interviewer=organiser, actor=organiser,
                 units=list(SampleUnit.objects.filter(round=round_, released=True)))
    round_ = fieldwork_open(round_=round_, actor=organiser)
    units = list(SampleUnit.objects.filter(round=round_, released=True).order_by("id"))
    for i, unit in enumerate(units):
        street_b = unit.area_code.startswith(world.street_b.code)
        unsafe = i % 10 < 3 if street_b else i % 12 == 0
        answers = dict(ANSWERS, safety="4" if unsafe else str(1 + i % 3),
                       sex=str(1 + i % 2), age=str(1 + i % 4), trend=str(1 + i % 4),
                       night=str(1 + i % 5))
        fieldwork.interview_record(unit=unit, answers=answers, mode="face", actor=organiser)
    return round_close(round_=round_, actor=organiser)


def test_a_round_designed_drawn_and_opened_and_a_closed_one_read(
        transactional_db, live_server, survey, browser, screenshot_dir):
    world = survey.world
    for grid, count in ((world.grid_a1, 120), (world.grid_a2, 80), (world.grid_b1, 200)):
        _more_rooms(grid, count)
    earlier = round_create(data=RoundInput(area=world.county, year=2025, half=1),
                           actor=survey.organiser)
    Round.objects.filter(pk=earlier.pk).update(
        status=RoundStatus.CLOSED, index_value=Decimal("0.884"),
        results={"index": {"value": 0.884, "ci_low": 0.853, "ci_high": 0.915, "n": 380}})
    closed = _closed_round(survey)
    assert closed.results["domains"][0]["index"]["suppressed"] is False
    assert closed.results["domains"][1]["index"]["suppressed"] is True
    base = live_server.url

    with open_page(browser, **LAPTOP) as (_ctx, page, watch):
        page.on("dialog", lambda dialog: dialog.accept())
        sign_in(page, watch, base, survey.organiser.username)
        page.get_by_test_id("home-surveys").click()
        page.wait_for_selector("[data-testid=round-row]")
        shot(page, screenshot_dir, "surveys-list-laptop.png")
        page.get_by_test_id("round-new").click()
        page.select_option("#id_area", str(world.county.pk))
        page.fill("#id_year", "2026")
        page.select_option("#id_half", "1")
        shot(page, screenshot_dir, "surveys-new-laptop.png")
        page.get_by_test_id("round-save").click()
        page.wait_for_selector("[data-testid=next-action]")
        round_ = Round.objects.get(year=2026)
        assert page.get_by_test_id("n-issued").inner_text() == "964"
        shot(page, screenshot_dir, "surveys-round-design-laptop.png")

        page.get_by_test_id("design-edit").click()
        page.fill("#id_margin", "0.05")
        page.fill("#id_deff", "1.2")
        page.fill("#id_response_rate", "0.8")
        for sex in "12":
            for age, total in zip("1234", ("52000", "61000", "58000", "47000"), strict=True):
                page.fill(f"#id_ps_{sex}_{age}", total)
        shot(page, screenshot_dir, "surveys-design-form-laptop.png")
        page.get_by_test_id("design-save").click()
        page.wait_for_selector("[data-testid=poststrat]")
        # 3.8415 × .09 / .0025 = 138.3 → 139; × 1.2 = 166.8 → 167; ÷ .8 = 208.75 → 209
        assert page.get_by_test_id("n-issued").inner_text() == "209"

        page.get_by_test_id("question-add").click()
        page.fill("#id_key", "police")
        page.select_option("#id_kind", "single")
        page.select_option("#id_role", "item")
        page.fill("#id_text", "您在小区里见过社区民警吗?")
        page.fill("#id_options", "经常见到|Often\n偶尔见到|Sometimes\n没见过|Never")
        page.get_by_test_id("question-save").click()
        page.wait_for_selector("[data-testid=question-row][data-key=police]")

        page.get_by_test_id("frame-freeze").click()
        page.wait_for_selector("[data-testid=frame-facts]")
        assert page.get_by_test_id("frame-size").inner_text() == "580"
        page.fill("#id_seed", "双色球2026025")
        page.get_by_test_id("draw").click()
        page.wait_for_selector("[data-testid=draw-facts]")
        assert page.get_by_test_id("seed").inner_text() == "双色球2026025"
        page.locator("#id_interviewer").select_option(str(survey.interviewer.pk))
        page.fill("#id_area_prefix", world.grid_a1.code)
        page.get_by_test_id("assign").click()
        page.wait_for_selector("[data-testid=holder-row]")
        page.locator("#id_interviewer").select_option(str(survey.organiser.pk))
        page.get_by_test_id("assign").click()
        page.wait_for_selector("[data-testid=holder-row] >> nth=1")
        assert "未分派的样本:0 个" in page.get_by_test_id("unassigned").inner_text()
        shot(page, screenshot_dir, "surveys-round-assigned-laptop.png")
        page.get_by_test_id("open").click()
        page.wait_for_selector("[data-testid=round-status][data-status=fieldwork]")
        _no_sideways_scroll(page, "round in fieldwork")
        shot(page, screenshot_dir, "surveys-round-fieldwork-laptop.png")
        watch.assert_clean("organiser runs a round")
    round_.refresh_from_db()
    assert round_.status == RoundStatus.FIELDWORK
    assert not SampleUnit.objects.filter(round=round_, released=True,
                                         interviewer__isnull=True).exists()

    with open_page(browser, **PHONE) as (_ctx, page, watch):
        sign_in(page, watch, base, survey.organiser.username)
        page.goto(f"{base}/surveys/{round_.pk}/")
        _no_sideways_scroll(page, "organiser's round on a phone")
        shot(page, screenshot_dir, "surveys-round-fieldwork-phone.png")
        watch.assert_clean("organiser on a phone")

    leader = world.users[Role.LEADER]
    for options, size in ((PHONE, "phone"), (LAPTOP, "laptop")):
        with open_page(browser, **options) as (_ctx, page, watch):
            sign_in(page, watch, base, leader.username)
            page.goto(f"{base}/surveys/")
            page.wait_for_selector("[data-testid=round-index]")
            _no_sideways_scroll(page, f"list, {size}")
            shot(page, screenshot_dir, f"surveys-list-leader-{size}.png")
            page.goto(f"{base}/surveys/{closed.pk}/")
            page.wait_for_selector("[data-testid=results]")
            value = closed.results["index"]["value"]
            assert page.get_by_test_id("index-value").inner_text() == f"{value * 100:.1f}%"
            assert page.get_by_test_id("suppressed").inner_text() == "样本不足,不予公布"
            assert page.get_by_test_id("trend-row").count() == 2
            assert page.get_by_test_id("design-edit").count() == 0
            assert "希望晚上多巡逻" not in page.content()
            _no_sideways_scroll(page, f"results, {size}")
            shot(page, screenshot_dir, f"surveys-results-leader-{size}.png")
            watch.assert_clean(f"leader reads the results, {size}")

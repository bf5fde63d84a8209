"""A matter's procedure in the browser: the street's supervisor registers a land acquisition
at a desk, assesses it (a questionnaire with many against, a risk item) and reports it; the
leader, on a phone, is refused a plain 实施 on the high level and records 暂缓实施. Fails on
any console error, CSP violation or HTTP error and on a page that scrolls sideways;
screenshots in the screenshot directory (risk-*.png)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from civicgrid.accounts.roles import Role
from civicgrid.core.tests.test_browser import open_page, shot, sign_in
from civicgrid.risk.models import Decision, Matter, MatterStatus

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def _no_sideways_scroll(page, step: str) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width + 1, (
        f"{step}: the page scrolls sideways")


def test_a_matter_assessed_and_postponed(transactional_db, live_server, world, browser,
                                         screenshot_dir):
    base = live_server.url
    with open_page(browser, **DESKTOP) as (_ctx, page, watch):
        sign_in(page, watch, base, world.users[Role.SUPERVISOR].username)
        page.get_by_test_id("home-risk").click()  # (the header's entry is for 1400 px on)
        shot(page, screenshot_dir, "risk-list-empty-desktop.png")
        page.get_by_test_id("matter-new").click()
        page.fill("#id_title", "城东地块集体土地征收")
        page.select_option("#id_kind", label="征地拆迁与房屋征收(必须评估)")
        page.fill("#id_summary", "征收城东村集体土地12公顷,用于新建九年一贯制学校。")
        page.select_option("#id_area", str(world.community_a.pk))
        page.select_option("#id_responsible_unit", str(world.unit_a.pk))
        page.fill("#id_deciding_body", "区政府常务会议")
        page.select_option("#id_people_band", "100-500")
        page.fill("#id_people_count", "320")
        shot(page, screenshot_dir, "risk-matter-new-desktop.png")
        page.get_by_test_id("matter-save").click()
        page.wait_for_selector("[data-testid=must-assess]")
        matter = Matter.objects.get()
        page.get_by_test_id("assessment-start").click()
        page.fill("#id_plan", "发放问卷、召开村民座谈会、走访被征收户。")
        page.get_by_test_id("assessment-save").click()
        page.get_by_test_id("activity-add").click()
        page.select_option("#id_kind", "questionnaire")
        page.fill("#id_held_on", "2026-06-01")
        page.fill("#id_participants", "200")
        page.fill("#id_record", "向被征收户发放问卷200份,收回200份。")
        page.fill("#id_answered", "200")
        page.fill("#id_support", "110")
        page.fill("#id_oppose", "80")
        page.fill("#id_neutral", "10")
        page.locator("#activities button[type=submit]", has_text="记录").click()
        page.wait_for_selector("[data-testid=activity-row]")
        page.get_by_test_id("item-add").click()
        page.select_option("#items #id_dimension", "rationality")
        page.fill("#items #id_description", "补偿标准低于相邻街道,被征收户可能集体上访。")
        page.select_option("#items #id_likelihood", "4")
        page.select_option("#items #id_impact", "4")
        page.select_option("#items #id_residual_likelihood", "3")
        page.select_option("#items #id_residual_impact", "3")
        page.fill("#items #id_mitigation", "参照相邻街道标准补偿,设立征收专班。")
        page.locator("#items button[type=submit]", has_text="添加").click()
        page.wait_for_selector("[data-testid=item-row]")
        page.fill("#id_conclusion", "反对比例较高,建议暂缓,先完善补偿方案。")
        page.get_by_test_id("rate").click()
        page.wait_for_selector("[data-testid=level] [data-level=high]")
        reasons = page.get_by_test_id("level-reasons").inner_text()
        assert "问卷中反对80份,占有效问卷200份的40.0%" in reasons
        page.get_by_test_id("report").click()
        page.wait_for_selector("[data-testid=assessment-status]")
        assert page.get_by_test_id("assessment-status").inner_text() == "已报送"
        _no_sideways_scroll(page, "matter")
        shot(page, screenshot_dir, "risk-matter-reported-desktop.png")
        page.goto(f"{base}/risk/")
        page.wait_for_selector("[data-testid=matter-row]")
        shot(page, screenshot_dir, "risk-list-desktop.png")
        page.goto(f"{base}/risk/rules/")
        page.wait_for_selector("[data-testid=rule-row]")
        shot(page, screenshot_dir, "risk-rules-desktop.png")
        page.goto(f"{base}/risk/assessments/{matter.assessments.get().pk}/edit/")
        shot(page, screenshot_dir, "risk-assessment-edit-desktop.png")
        watch.assert_clean("supervisor assesses")

    with open_page(browser, **PHONE) as (_ctx, page, watch):
        sign_in(page, watch, base, world.users[Role.LEADER].username)
        page.goto(f"{base}/risk/")
        _no_sideways_scroll(page, "list on a phone")
        shot(page, screenshot_dir, "risk-list-phone.png")
        page.goto(f"{base}/risk/{matter.pk}/")
        _no_sideways_scroll(page, "matter on a phone")
        shot(page, screenshot_dir, "risk-matter-leader-phone.png")
        page.get_by_test_id("decide").click()
        assert page.get_by_test_id("high-warning").is_visible()
        page.locator("input[name=kind][value=implement]").check()
        page.fill("#id_decided_on", timezone.localdate().isoformat())
        page.fill("#id_minutes", "区政府第12次常务会议研究。")
        page.get_by_test_id("decision-save").click()
        page.wait_for_selector(".invalid-feedback")
        assert "高风险事项只能暂缓实施或不实施" in page.content()
        assert page.input_value("#id_minutes") == "区政府第12次常务会议研究。"
        assert not Decision.objects.exists()
        shot(page, screenshot_dir, "risk-decide-refused-phone.png")
        page.locator("input[name=kind][value=postpone]").check()
        page.get_by_test_id("decision-save").click()
        page.wait_for_selector("[data-testid=decision]")
        _no_sideways_scroll(page, "decided")
        shot(page, screenshot_dir, "risk-matter-postponed-phone.png")
        watch.assert_clean("leader decides")
    matter.refresh_from_db()
    assert matter.status == MatterStatus.DECIDED
    assert Decision.objects.get().kind == "postpone"

"""A dispute from the street to closure in headless Chromium, on a phone and on a desktop.

The grid worker reports it (photo, tap on the map, the two parties), the street dispatcher
accepts it and dispatches it to the street mediation committee, the mediator records a
session, resolves it with an agreement and downloads the agreement PDF, the grid worker
verifies, the dispatcher follows up and closes. Every step is screenshotted and fails on
any console error, CSP violation or HTTP error (see civicgrid/core/tests/test_browser.py).
"""

from __future__ import annotations

import io
import re
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from civicgrid.cases.models import Case, Status
from civicgrid.core.tests.test_browser import DESKTOP, PHONE, open_page, shot, sign_in

pytestmark = pytest.mark.browser

VIEWPORTS = {
    "phone": {"viewport": PHONE, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": DESKTOP},
}
NO_HSCROLL = "() => document.documentElement.scrollWidth"


class Person:
    """One signed-in browser context, counting what the person had to do."""

    def __init__(self, stack: ExitStack, browser, base: str, user, options: dict, kind: str):
        _ctx, self.page, self.watch = stack.enter_context(open_page(browser, **options))
        self.base, self.kind, self.touch = base, kind, bool(options.get("has_touch"))
        self.actions = 0
        sign_in(self.page, self.watch, base, user.username)

    def tap(self, locator) -> None:
        self.actions += 1
        if self.touch:
            locator.tap()
        else:
            locator.click()

    def fill(self, locator, value: str) -> None:
        self.actions += 1
        locator.fill(value)

    def select(self, locator, value: str) -> None:
        self.actions += 1
        locator.select_option(value)

    def no_sideways_scroll(self, step: str) -> None:
        width = self.page.viewport_size["width"]
        assert self.page.evaluate(NO_HSCROLL) <= width + 1, f"{step}: the page scrolls sideways"

    def open_case(self, number: str) -> None:
        self.page.goto(f"{self.base}/cases/{number}/")
        self.watch.assert_clean(f"open {number}")

    def act(self, name: str, fill=None, submit_label: str | None = None) -> None:
        """Open an action's form in the modal, let `fill` complete it, submit, reload."""
        page = self.page
        self.tap(page.locator(f'[data-action="{name}"]'))
        form = page.locator(f'#action-modal [data-action-form="{name}"]')
        form.wait_for(state="visible")
        page.wait_for_function("""() => {
            const modal = document.getElementById("action-modal");
            return modal.classList.contains("show") && getComputedStyle(modal).opacity === "1";
        }""")  # the fade-in is over
        if fill is not None:
            fill(form)
        with page.expect_navigation():
            self.tap(form.locator('[data-testid="action-submit"]'))
        page.wait_for_load_state("networkidle")
        assert page.locator(".alert-success").count() == 1, f"{name}: no success message"
        self.watch.assert_clean(f"action {name}")


def modal_shot(page, screenshot_dir: Path, name: str) -> None:
    """The open action form as the person sees it (a full-page capture of a modal is not)."""
    path = screenshot_dir / name
    page.screenshot(path=str(path), full_page=False)
    assert path.stat().st_size > 1000


def photo(tmp_path: Path) -> Path:
    path = tmp_path / "scene.png"
    image = Image.new("RGB", (640, 480), (90, 120, 160))
    for x in range(200, 440):
        for y in range(180, 300):
            image.putpixel((x, y), (220, 80, 60))
    image.save(path, "PNG")
    return path


@pytest.mark.parametrize("kind", list(VIEWPORTS))
def test_dispute_from_report_to_closure(transactional_db, live_server, office, browser,
                                        screenshot_dir, tmp_path, kind):
    started = time.monotonic()
    base, options = live_server.url, VIEWPORTS[kind]
    people = office.people
    with ExitStack() as stack:
        # 1. The grid worker reports the dispute on the spot.
        grid = Person(stack, browser, base, people["grid"], options, kind)
        page = grid.page
        assert page.locator('[data-testid="home-cases"]').is_visible()
        grid.no_sideways_scroll("home")
        shot(page, screenshot_dir, f"case-00-home-{kind}.png")
        with page.expect_navigation():
            grid.tap(page.locator('[data-testid="home-new-case"]'))
        assert page.url == f"{base}/cases/new/"
        grid.actions = 0
        page.locator("#intake-map.cg-map-ready").wait_for()
        grid.no_sideways_scroll("intake form")
        required = page.locator("#intake-form [required]:visible")
        assert required.count() <= 3, f"{required.count()} required fields before 提交"
        assert not page.locator('[data-testid="more"]').evaluate("d => d.open")
        assert page.locator("#id_channel").input_value() == "patrol"
        for target in ("#id_category", "#id_description", '[data-testid="submit-case"]'):
            box = page.locator(target).bounding_box()
            assert box is not None and box["height"] >= 40, f"{target} too small to tap"

        grid.select(page.locator("#id_category_group"), office.neighbour.code[:2])
        assert page.locator("#id_category option").count() == 3  # 请选择 + this group's 2 leaves
        grid.select(page.locator("#id_category"), str(office.neighbour.pk))
        grid.fill(page.locator("#id_description"),
                  "3号楼楼上住户连续一周深夜装修,噪音扰民,双方多次争吵")
        grid.actions += 1
        page.locator("#id_uploads").set_input_files(str(photo(tmp_path)))
        page.locator(".cg-preview img").wait_for()
        grid.tap(page.locator("#intake-map"))
        page.wait_for_function("document.getElementById('id_lng').value !== ''")
        assert office.world.grid_a1.name in page.locator("[data-location-status]").inner_text()
        quick_path = grid.actions  # group, leaf, description, photo, location
        assert quick_path <= 5, f"the quick report took {quick_path} actions"
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, screenshot_dir, f"case-01-report-{kind}.png")
        grid.watch.assert_clean("intake form filled")

        # The parties (needed for the agreement later) sit in the optional section.
        grid.tap(page.locator('[data-testid="more"] > summary'))
        grid.fill(page.locator("#id_party-0-name"), "王芳")
        grid.fill(page.locator("#id_party-0-phone"), "13912345678")
        grid.fill(page.locator("#id_party-1-name"), "赵强")
        grid.no_sideways_scroll("intake form with parties")
        shot(page, screenshot_dir, f"case-02-report-parties-{kind}.png")
        with page.expect_navigation():
            grid.tap(page.locator('[data-testid="submit-case"]'))
        case = Case.objects.get()
        assert page.url == f"{base}/cases/{case.number}/"
        assert "事件已登记" in page.locator(".alert-success").inner_text()
        assert case.attachments.count() == 1 and case.lng is not None
        assert case.area == office.world.grid_a1
        page.locator("#case-map.cg-map-ready").wait_for()
        page.locator(".cg-thumb img").evaluate("img => img.decode()")
        grid.no_sideways_scroll("case page")
        shot(page, screenshot_dir, f"case-03-reported-{kind}.png")
        grid.watch.assert_clean("reported")

        # 2. The street dispatcher accepts and dispatches to the street committee.
        dispatcher = Person(stack, browser, base, people["dispatcher"], options, kind)
        page = dispatcher.page
        page.goto(f"{base}/cases/?inbox=dispatch")
        row = page.locator(f'tr[data-number="{case.number}"]')
        assert row.count() == 1
        dispatcher.no_sideways_scroll("dispatch inbox")
        shot(page, screenshot_dir, f"case-04-dispatch-inbox-{kind}.png")
        with page.expect_navigation():
            dispatcher.tap(row.locator("a.cg-case-link"))
        dispatcher.act("accept")
        assert page.locator('[data-testid="case-badges"]').inner_text().startswith("待派遣")

        def choose_unit(form):
            form.locator("#id_unit").select_option(str(office.world.unit_a.pk))
            modal_shot(page, screenshot_dir, f"case-05-dispatch-form-{kind}.png")

        dispatcher.act("dispatch", choose_unit)
        assigned = page.locator('[data-testid="assigned-unit"]').inner_text()
        assert office.world.unit_a.name in assigned
        shot(page, screenshot_dir, f"case-06-dispatched-{kind}.png")

        # 3. The mediator records a session, resolves with an agreement, downloads the PDF.
        mediator = Person(stack, browser, base, people["mediator"], options, kind)
        page = mediator.page
        mediator.open_case(case.number)

        def session(form):
            form.locator("#id_place").fill("社区调解室")
            form.locator("#id_notes").fill("双方陈述意见,同意限定施工时间并赔偿")

        mediator.act("record_session", session)

        def resolve(form):
            form.locator("#id_note").fill("经调解双方达成协议")
            form.locator("#id_with_agreement").check()
            form.locator("#id_facts").fill("赵强装修夜间施工,影响王芳休息")
            form.locator("#id_disputed_matters").fill("施工时间与赔偿")
            form.locator("#id_responsibilities").fill("赵强负主要责任")
            form.locator("#id_terms").fill("赵强每日20时后停止施工\n赵强赔偿王芳误工费500元")
            form.locator("#id_performance").fill("协议生效之日起三日内付清")
            modal_shot(page, screenshot_dir, f"case-07-resolve-form-{kind}.png")

        mediator.act("resolve", resolve)
        assert page.locator('[data-testid="agreement"]').is_visible()
        with page.expect_download() as download_info:
            page.locator('[data-testid="agreement-pdf"]').click()
        download = download_info.value
        assert case.number in download.suggested_filename
        reader = PdfReader(io.BytesIO(Path(download.path()).read_bytes()))
        text = re.sub(r"\s+", "", "".join(p.extract_text() for p in reader.pages))
        assert "王芳" in text and "赵强" in text and "13912345678" in text
        mediator.no_sideways_scroll("resolved case")
        shot(page, screenshot_dir, f"case-08-resolved-{kind}.png")
        mediator.watch.assert_clean("agreement downloaded")

        # 4. The grid worker verifies on the spot.
        grid.open_case(case.number)
        grid.act("verify", lambda form: form.locator("#id_note").fill("现场核实,已停止夜间施工"))

        # 5. The dispatcher calls back (satisfaction) and closes.
        dispatcher.open_case(case.number)

        def rate(form):
            form.locator('label[for="id_satisfaction_0"]').click()  # 非常满意 (5)
            modal_shot(page, screenshot_dir, f"case-09-follow-up-form-{kind}.png")

        page = dispatcher.page
        dispatcher.act("follow_up", rate)
        dispatcher.act("close")
        assert page.locator('[data-testid="case-badges"]').inner_text().startswith("已结案")
        page.locator("#case-map.cg-map-ready").wait_for()
        dispatcher.no_sideways_scroll("closed case")
        shot(page, screenshot_dir, f"case-10-closed-{kind}.png")
        for person in (grid, dispatcher, mediator):
            person.watch.assert_clean("end")
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.satisfaction == 5
    assert time.monotonic() - started < 60, "the flow took a minute or more"


@pytest.mark.parametrize("kind", list(VIEWPORTS))
def test_side_paths_from_their_typed_inputs(transactional_db, live_server, office, browser,
                                            screenshot_dir, kind):
    """The forms built from the transitions' typed inputs (civicgrid/cases/inputs.py): the
    mediator asks for an extension, the dispatcher approves it with the radio buttons, the
    mediator hands the case off to the police (the select offers only institutions of the
    chosen kind)."""
    from civicgrid.cases import services as svc
    from civicgrid.cases.tests.conftest import new_case

    base, options = live_server.url, VIEWPORTS[kind]
    people = office.people
    case = new_case(office)
    svc.case_act("accept", case=case, actor=people["dispatcher"], expected_version=case.version)
    svc.case_act("dispatch", case=case, actor=people["dispatcher"],
                 expected_version=case.version, unit=office.world.unit_a)
    with ExitStack() as stack:
        mediator = Person(stack, browser, base, people["mediator"], options, kind)
        page = mediator.page
        mediator.open_case(case.number)

        def extension(form):
            form.locator("#id_days").fill("5")
            form.locator("#id_reason").fill("需等待鉴定结论")
            mediator.no_sideways_scroll("extension form")
            modal_shot(page, screenshot_dir, f"case-11-extension-form-{kind}.png")

        mediator.act("request_extension", extension)

        dispatcher = Person(stack, browser, base, people["dispatcher"], options, kind)
        dispatcher.open_case(case.number)

        def decide(form):
            assert form.locator('input[name="approve"]').count() == 2
            form.locator('input[name="approve"][value="true"]').check()
            modal_shot(dispatcher.page, screenshot_dir, f"case-12-extension-decision-{kind}.png")

        dispatcher.act("decide_extension", decide)

        mediator.open_case(case.number)

        def hand_off(form):
            form.locator("#id_kind").select_option("police")
            visible = form.locator("#id_to_unit option:not([hidden]):not([value=''])")
            assert visible.count() >= 1
            form.locator("#id_to_unit").select_option(str(office.police.pk))
            form.locator("#id_note").fill("涉嫌治安案件,请派出所处理")
            modal_shot(page, screenshot_dir, f"case-13-hand-off-form-{kind}.png")

        mediator.act("hand_off", hand_off)
        for person in (mediator, dispatcher):
            person.watch.assert_clean("end")
    case.refresh_from_db()
    assert case.status == Status.HANDED_OFF and case.extensions_used == 1
    assert case.handoffs.get().to_unit == office.police

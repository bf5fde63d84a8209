"""The issue's acceptance story in headless Chromium, on a phone and on a 1366 px laptop:
a mediator whose case was registered with one party adds the second party from the case
page, corrects the number of people, and produces the mediation agreement, whose PDF then
lists both parties."""

from __future__ import annotations

import io
import re
from contextlib import ExitStack
from pathlib import Path

import pytest
from pypdf import PdfReader

from civicgrid.cases import services as svc
from civicgrid.cases.inputs import PartyInput
from civicgrid.cases.tests.conftest import new_case
from civicgrid.cases.tests.test_browser import Person, modal_shot
from civicgrid.core.tests.test_browser import PHONE, shot

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 800}
VIEWPORTS = {
    "phone": {"viewport": PHONE, "is_mobile": True, "has_touch": True},
    "laptop": {"viewport": LAPTOP},
}


def open_edit(person: Person, selector: str, name: str):
    """Tap an edit button of the case page and wait for its form in the modal."""
    page = person.page
    person.tap(page.locator(selector))
    form = page.locator(f'#action-modal [data-edit-form="{name}"]')
    form.wait_for(state="visible")
    page.wait_for_function("""() => {
        const modal = document.getElementById("action-modal");
        return modal.classList.contains("show") && getComputedStyle(modal).opacity === "1";
    }""")
    return form


def submit(person: Person, form, step: str) -> None:
    page = person.page
    with page.expect_navigation():
        person.tap(form.locator('[data-testid="action-submit"]'))
    page.wait_for_load_state("networkidle")
    assert page.locator(".alert-success").count() == 1, f"{step}: no success message"
    person.watch.assert_clean(step)


@pytest.mark.parametrize("kind", list(VIEWPORTS))
def test_mediator_adds_the_second_party_and_makes_the_agreement(
        transactional_db, live_server, office, browser, screenshot_dir, kind):
    base, options = live_server.url, VIEWPORTS[kind]
    people = office.people
    case = new_case(office, parties=[PartyInput(role="applicant", name="王芳",
                                                phone="13912345678")])
    svc.case_act("accept", case=case, actor=people["dispatcher"], expected_version=case.version)
    svc.case_act("dispatch", case=case, actor=people["dispatcher"],
                 expected_version=case.version, unit=office.world.unit_a)
    with ExitStack() as stack:
        mediator = Person(stack, browser, base, people["mediator"], options, kind)
        page = mediator.page
        mediator.open_case(case.number)
        parties = page.locator('[data-testid="parties"]')
        assert parties.locator("[data-party]").count() == 1

        # 补录当事人: the second party, with a phone (stored encrypted, shown masked).
        form = open_edit(mediator, '[data-edit="party_add"]', "party_add")
        form.locator("#id_role").select_option("respondent")
        mediator.fill(form.locator("#id_name"), "赵强")
        mediator.fill(form.locator("#id_phone"), "13800005555")
        mediator.fill(form.locator("#id_occupation"), "个体户")
        mediator.fill(form.locator("#id_note"), "调解时确认被申请人")
        mediator.no_sideways_scroll("add party form")
        modal_shot(page, screenshot_dir, f"parties-01-add-form-{kind}.png")
        submit(mediator, form, "party added")
        assert parties.locator("[data-party]").count() == 2
        assert "138****5555" in parties.inner_text()
        assert "13800005555" not in page.content()
        timeline = page.locator('[data-testid="timeline"]').inner_text()
        assert "补录当事人" in timeline and "被申请人 赵强" in timeline
        mediator.no_sideways_scroll("case page with two parties")
        parties.scroll_into_view_if_needed()
        shot(page, screenshot_dir, f"parties-02-added-{kind}.png")

        # 更正信息: more people than registered; the timeline shows before → after.
        form = open_edit(mediator, '[data-edit="correct_facts"]', "correct_facts")
        form.locator("#id_people_band").select_option("50-100")
        mediator.fill(form.locator("#id_reason"), "现场核实涉及整栋楼住户")
        modal_shot(page, screenshot_dir, f"parties-03-correct-form-{kind}.png")
        submit(mediator, form, "facts corrected")
        change = page.locator('[data-testid="timeline"] [data-changes]').inner_text()
        assert re.sub(r"\s+", "", change) == "涉及人数:50人以下→50-100人"

        # 办结 with the agreement: both parties are in the PDF.
        def resolve(form):
            form.locator("#id_note").fill("经调解双方达成协议")
            form.locator("#id_with_agreement").check()
            assert form.locator("#id_copies").input_value() == "3"
            form.locator("#id_facts").fill("赵强装修夜间施工,影响王芳休息")
            form.locator("#id_disputed_matters").fill("施工时间")
            form.locator("#id_terms").fill("赵强每日20时后停止施工")
            form.locator("#id_performance").fill("协议生效之日起履行")

        mediator.act("resolve", resolve)
        assert page.locator('[data-testid="agreement"]').is_visible()
        assert page.locator('[data-edit="party_add"]').count() == 0  # frozen now
        with page.expect_download() as download_info:
            page.locator('[data-testid="agreement-pdf"]').click()
        reader = PdfReader(io.BytesIO(Path(download_info.value.path()).read_bytes()))
        text = re.sub(r"\s+", "", "".join(p.extract_text() for p in reader.pages))
        assert "王芳" in text and "赵强" in text and "13800005555" in text
        assert "一式三份" in text
        page.locator('[data-testid="timeline"]').scroll_into_view_if_needed()
        shot(page, screenshot_dir, f"parties-04-agreement-{kind}.png")
        mediator.watch.assert_clean("end")

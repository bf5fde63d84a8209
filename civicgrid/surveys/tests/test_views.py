"""The organiser's survey pages: the procedure through the forms, what each role sees in and
out of scope, refusals that change nothing and keep what was typed, the results of a closed
round (aggregates only), and the list's fixed number of queries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civicgrid.accounts.roles import Role
from civicgrid.surveys.models import (
    FrameSource,
    Question,
    Quota,
    Round,
    RoundStatus,
    SampleUnit,
    UnitStatus,
)
from civicgrid.surveys.services import fieldwork
from civicgrid.surveys.services.rounds import (
    RoundInput,
    fieldwork_open,
    round_close,
    round_create,
    round_design_set,
    sample_draw,
    units_assign,
)
from civicgrid.surveys.tests.conftest import design, framed_round

pytestmark = pytest.mark.django_db

ANSWERS: dict[str, Any] = {"resident": "1", "age": "2", "sex": "1", "safety": "2", "night": "3",
           "trend": "1", "worries": ["1", "2"], "satisfaction": "2",
           "suggestion": "东门路灯坏了三个月没人修"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def design_post(round_: Round, **changes) -> dict:
    data = {"title": round_.title, "frame_source": round_.frame_source,
            "stratification": round_.stratification, "allocation": round_.allocation,
            "expected_p": "0.9", "margin": "0.1", "confidence": "0.95", "deff": "1",
            "response_rate": "1", "reserve_ratio": "0.5", "max_attempts": "5",
            "modes": ["cati", "face"], "index_target": "0.85"}
    data.update(changes)
    return data


def drawn_round(survey, **changes) -> Round:
    return sample_draw(round_=framed_round(survey, **changes), seed="20260301",
                       actor=survey.organiser)


def closed_round(survey, *, refusals: int = 3) -> Round:
    """A county round whose units the organiser interviews himself: a few refuse, the
    others answer (one in eight 不太安全); then closed."""
    round_ = drawn_round(survey)
    units = list(SampleUnit.objects.filter(round=round_, released=True).order_by("id"))
    units_assign(round_=round_, units=units, interviewer=survey.organiser,
                 actor=survey.organiser)
    round_ = fieldwork_open(round_=round_, actor=survey.organiser)
    units = list(SampleUnit.objects.filter(round=round_, released=True).order_by("id"))
    for i, unit in enumerate(units):
        if i < refusals:
            fieldwork.call_record(unit=unit, code="2.11", mode="cati", actor=survey.organiser)
            continue
        answers = dict(ANSWERS, safety="4" if i % 8 == 0 else "2", sex=str(1 + i % 2))
        fieldwork.interview_record(unit=unit, answers=answers, mode="cati",
                                   actor=survey.organiser)
    # the reserves released for the refusals stay open: the close gives them 3.11
    return round_close(round_=round_, actor=survey.organiser)


# --- the procedure ------------------------------------------------------------------------

def test_the_procedure_through_the_pages(survey):
    world = survey.world
    staff = client_for(survey.organiser)
    response = staff.post(reverse("surveys:round_new"), {
        "area": world.county.pk, "year": "2026", "half": "1", "title": ""})
    round_ = Round.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/surveys/{round_.pk}/"
    page = staff.get(response["Location"]).content.decode()
    assert "下一步:确认方案和问卷后,从一标三实冻结抽样框" in page
    # the formula with its numbers: 1.959964² × .09 / .0009 = 384.15 → 385; ×1.5; ÷.6
    assert "⌈3.8415 × 0.9 × 0.1 ÷ 0.0009⌉ = ⌈384.15⌉" in page
    assert 'data-testid="n-issued">964<' in page

    # a margin the service refuses: the page again, the message on the field, what was typed
    url = reverse("surveys:design", args=[round_.pk])
    response = staff.post(url, design_post(round_, margin="0.5", title="改过的名称"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "须大于 0 且不超过 0.2" in body and "改过的名称" in body
    round_.refresh_from_db()
    assert round_.margin == Decimal("0.030")
    # seven of the eight post-stratification cells: refused
    cells = {f"ps_{s}_{a}": "1000" for s in "12" for a in "1234"}
    response = staff.post(url, design_post(round_, **dict(list(cells.items())[:7])))
    assert response.status_code == 200
    assert "事后分层须填写全部 8 个年龄×性别组的总体数" in response.content.decode()
    response = staff.post(url, design_post(round_, **cells))
    assert response.status_code == 302
    round_.refresh_from_db()
    assert round_.margin == Decimal("0.100") and round_.poststrat_totals["2|4"] == 1000
    assert "事后分层总体数" in staff.get(f"/surveys/{round_.pk}/").content.decode()

    # the questionnaire: a second safety question is refused; a new item added, moved,
    # changed and deleted
    new = reverse("surveys:question_new", args=[round_.pk])
    response = staff.post(new, {"key": "safety2", "kind": "scale", "role": "index",
                                "text": "您觉得安全吗?",
                                "options": "很安全\n安全\n基本安全\n不太安全\n不安全",
                                "required": "on"})
    assert response.status_code == 200
    assert "问卷必须有且只有一道安全感题" in response.content.decode()
    assert not Question.objects.filter(key="safety2").exists()
    response = staff.post(new, {"key": "police", "kind": "single", "role": "item",
                                "text": "您是否见过社区民警?", "options": "见过|Yes\n没见过|No",
                                "required": "on"})
    assert response.status_code == 302
    police = Question.objects.get(round=round_, key="police")
    assert police.options[1] == {"code": "2", "label": "没见过", "label_en": "No",
                                 "screen_out": False}
    last = police.position
    staff.post(reverse("surveys:question_move", args=[police.pk]), {"direction": "up"})
    police.refresh_from_db()
    assert police.position == last - 1
    response = staff.post(reverse("surveys:question_edit", args=[police.pk]), {
        "key": "police", "kind": "single", "role": "item", "text": "您见过社区民警吗?",
        "options": "见过\n没见过\n不清楚", "required": "on"})
    assert response.status_code == 302
    police.refresh_from_db()
    assert police.text == "您见过社区民警吗?" and len(police.options) == 3
    # moving the age question below the screening question breaks the order rule (sex and
    # age first, civicgrid/surveys/questionnaire.py): refused, unchanged
    age = Question.objects.get(round=round_, key="age")
    keys = list(Question.objects.filter(round=round_).order_by("position")
                .values_list("key", flat=True))
    response = staff.post(reverse("surveys:question_move", args=[age.pk]),
                          {"direction": "down"}, follow=True)
    assert "分层题(年龄、性别)必须排在甄别题之前" in response.content.decode()
    assert list(Question.objects.filter(round=round_).order_by("position")
                .values_list("key", flat=True)) == keys
    staff.post(reverse("surveys:question_delete", args=[police.pk]))
    assert not Question.objects.filter(pk=police.pk).exists()

    # the frame, the draw
    response = staff.post(reverse("surveys:frame_freeze", args=[round_.pk]), follow=True)
    body = response.content.decode()
    assert "抽样框共 180 个单位,分为 2 层" in body
    round_.refresh_from_db()
    assert round_.frame_size == 180 and round_.frame_digest in body
    response = staff.post(reverse("surveys:draw", args=[round_.pk]), {"seed": "双色球2026025"})
    assert response.status_code == 302
    round_.refresh_from_db()
    assert round_.status == RoundStatus.DRAWN and round_.seed == "双色球2026025"
    page = staff.get(f"/surveys/{round_.pk}/").content.decode()
    assert round_.draw_digest in page and 'data-testid="draw-form"' not in page
    assert 'data-testid="design-edit"' not in page and 'data-testid="question-add"' not in page
    # the design is fixed now
    response = staff.post(url, design_post(round_, margin="0.05"))
    assert response.status_code == 302
    round_.refresh_from_db()
    assert round_.margin == Decimal("0.100")

    # a quota
    response = staff.post(reverse("surveys:quota", args=[round_.pk]),
                          {"sex": "2", "age": "4", "target": "6", "stratum": ""})
    assert response.status_code == 302
    assert Quota.objects.get(round=round_).cell == "2|4"

    # assignment: street A's stratum includes grid A2, outside grid A1's worker's area
    stratum_a = round_.strata.get(key=world.street_a.code)
    assign = reverse("surveys:assign", args=[round_.pk])
    response = staff.post(assign, {"action": "assign", "interviewer": survey.interviewer.pk,
                                   "stratum": stratum_a.pk})
    assert response.status_code == 200
    assert "有样本不在该调查员的辖区内" in response.content.decode()
    assert not SampleUnit.objects.filter(round=round_, interviewer__isnull=False).exists()
    response = staff.post(assign, {"action": "assign", "interviewer": survey.interviewer.pk,
                                   "area_prefix": world.grid_a1.code, "count": "3"})
    assert response.status_code == 302
    assert SampleUnit.objects.filter(round=round_, interviewer=survey.interviewer).count() == 3
    staff.post(assign, {"action": "assign", "interviewer": survey.interviewer.pk,
                        "area_prefix": world.grid_a1.code})
    mine = SampleUnit.objects.filter(round=round_, interviewer=survey.interviewer).count()
    assert mine == SampleUnit.objects.filter(round=round_, released=True,
                                             area_code=world.grid_a1.code).count()
    page = staff.get(f"/surveys/{round_.pk}/").content.decode()
    assert 'data-testid="holder-row"' in page
    # taking back
    staff.post(assign, {"action": "unassign", "interviewer": survey.interviewer.pk,
                        "count": "2"})
    assert SampleUnit.objects.filter(round=round_,
                                     interviewer=survey.interviewer).count() == mine - 2

    # open, interview, close
    response = staff.post(reverse("surveys:open", args=[round_.pk]))
    round_.refresh_from_db()
    assert round_.status == RoundStatus.FIELDWORK
    unit = SampleUnit.objects.filter(round=round_, interviewer=survey.interviewer).first()
    assert unit is not None
    fieldwork.interview_record(unit=unit, answers=ANSWERS, mode="cati",
                               actor=survey.interviewer)
    response = staff.post(reverse("surveys:close", args=[round_.pk]), follow=True)
    round_.refresh_from_db()
    assert round_.status == RoundStatus.CLOSED
    body = response.content.decode()
    assert 'data-testid="results"' in body and "联系方式和抽样框已删除" in body
    assert ANSWERS["suggestion"] not in body


def test_an_imported_list_with_bad_rows_stores_nothing(survey):
    world = survey.world
    round_ = round_create(data=RoundInput(area=world.county, year=2026, half=1),
                          actor=survey.organiser)
    round_design_set(round_=round_, data=design(round_, frame_source=FrameSource.IMPORTED),
                     actor=survey.organiser)
    staff = client_for(survey.organiser)
    page = staff.get(f"/surveys/{round_.pk}/").content.decode()
    assert 'data-testid="frame-import-form"' in page and 'data-testid="frame-freeze"' not in page
    bad = "\n".join(["区域代码,电话", f"{world.grid_a1.code},13900000001",
                     "999999999,13900000002", f"{world.grid_b1.code},12345"])
    url = reverse("surveys:frame_import", args=[round_.pk])
    response = staff.post(url, {"file": SimpleUploadedFile("名单.csv", bad.encode())})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="import-errors"' in body
    assert "第 3 行:区域代码“999999999”不在调查区域内。" in body
    assert "第 4 行:电话号码无效。" in body
    round_.refresh_from_db()
    assert round_.frame_frozen_at is None and not round_.strata.exists()
    response = staff.post(url, {})  # no file: the form says so
    assert response.status_code == 200 and 'data-error-for="file"' in response.content.decode()
    good = "\n".join(["区域代码,电话"] + [f"{world.grid_a1.code},139000000{i:02d}"
                                          for i in range(12)])
    response = staff.post(url, {"file": SimpleUploadedFile("名单.csv", good.encode())},
                          follow=True)
    assert "名单共 12 个单位" in response.content.decode()
    round_.refresh_from_db()
    assert round_.frame_size == 12


def test_a_new_round_and_the_next_one(survey):
    world = survey.world
    staff = client_for(survey.organiser)
    form = staff.get(reverse("surveys:round_new")).content.decode()
    assert world.county.name in form and world.street_a.name in form
    first = framed_round(survey)
    other = round_create(data=RoundInput(area=world.street_a, year=2026, half=1),
                         actor=survey.organiser)
    # the design of another area's round: refused on the form, nothing created
    response = staff.post(reverse("surveys:round_new"), {
        "area": world.county.pk, "year": "2026", "half": "2", "previous": other.pk})
    assert response.status_code == 200
    assert "只能沿用同一区域的调查方案" in response.content.decode()
    # the same half twice
    response = staff.post(reverse("surveys:round_new"), {
        "area": world.county.pk, "year": "2026", "half": "1"})
    assert response.status_code == 200 and "该区域本半年度已有调查" in response.content.decode()
    assert Round.objects.count() == 2
    # scheduling the next: the county's second half, from the first's design
    response = staff.post(reverse("surveys:round_schedule"), {"area": world.county.pk})
    nxt = Round.objects.get(area=world.county, half=2)
    assert response.status_code == 302 and response["Location"] == f"/surveys/{nxt.pk}/"
    assert nxt.previous == first and nxt.margin == first.margin
    # a street-A supervisor may only create rounds of street A
    street = client_for(world.users[Role.SUPERVISOR])
    form = street.get(reverse("surveys:round_new")).content.decode()
    assert world.street_a.name in form and f'value="{world.county.pk}"' not in form
    response = street.post(reverse("surveys:round_new"), {
        "area": world.county.pk, "year": "2027", "half": "1"})
    assert response.status_code == 200 and 'data-error-for="area"' in response.content.decode()
    response = street.post(reverse("surveys:round_schedule"), {"area": world.county.pk})
    assert response.status_code == 302
    assert Round.objects.count() == 3


def test_cancelling_needs_a_reason(survey):
    round_ = drawn_round(survey)
    staff = client_for(survey.organiser)
    url = reverse("surveys:cancel", args=[round_.pk])
    response = staff.post(url, {"reason": ""})
    assert response.status_code == 200 and 'data-error-for="reason"' in response.content.decode()
    round_.refresh_from_db()
    assert round_.status == RoundStatus.DRAWN
    response = staff.post(url, {"reason": "区划调整,重新设计"})
    assert response.status_code == 302
    round_.refresh_from_db()
    assert round_.status == RoundStatus.CANCELLED
    page = staff.get(f"/surveys/{round_.pk}/").content.decode()
    assert 'data-testid="cancelled"' in page and 'data-testid="open"' not in page


# --- roles and scope ----------------------------------------------------------------------

def test_what_each_role_sees_on_a_round(survey):
    world = survey.world
    round_ = drawn_round(survey)  # the county's
    url = f"/surveys/{round_.pk}/"
    organiser = client_for(survey.organiser).get(url).content.decode()
    for testid in ("assign-form", "open", "cancel-form", "quota-form", "next-action"):
        assert f'data-testid="{testid}"' in organiser, testid
    for role in (Role.LEADER, Role.AUDITOR, Role.SUPERVISOR):
        # read-only: the leader and the auditor; street A's supervisor under the county
        page = client_for(world.users[role]).get(url)
        assert page.status_code == 200, role
        body = page.content.decode()
        assert round_.draw_digest in body
        for testid in ("assign-form", "open", "cancel-form", "quota-form", "next-action"):
            assert f'data-testid="{testid}"' not in body, (role, testid)
    for role in (Role.GRID_WORKER, Role.HANDLER, Role.UNIT_LEADER, Role.ADMINISTRATOR):
        assert client_for(world.users[role]).get(url).status_code == 403, role
        assert client_for(world.users[role]).get("/surveys/").status_code == 403, role


def test_a_county_round_is_not_a_street_supervisors_to_run(survey):
    world = survey.world
    round_ = drawn_round(survey)
    street = client_for(world.users[Role.SUPERVISOR])
    for name, data in (("open", {}), ("cancel", {"reason": "不该由街道撤销"}),
                       ("quota", {"sex": "1", "age": "1", "target": "5"}),
                       ("assign", {"action": "assign",
                                   "interviewer": survey.interviewer.pk})):
        response = street.post(reverse(f"surveys:{name}", args=[round_.pk]), data)
        assert response.status_code == 403, name
    question = round_.questions.get(key="night")
    assert street.post(reverse("surveys:question_delete", args=[question.pk])).status_code \
        == 403
    round_.refresh_from_db()
    assert round_.status == RoundStatus.DRAWN
    assert not Quota.objects.exists()
    assert not SampleUnit.objects.filter(round=round_, interviewer__isnull=False).exists()
    assert Question.objects.filter(pk=question.pk).exists()


def test_a_round_of_street_b_is_invisible_to_street_a(survey):
    world = survey.world
    organiser_b = survey.organiser  # the county's supervisor runs street B's round
    round_b = round_create(data=RoundInput(area=world.street_b, year=2026, half=1),
                           actor=organiser_b)
    question = round_b.questions.get(key="night")
    for role in (Role.SUPERVISOR, Role.LEADER):
        client = client_for(world.users[role])
        assert client.get(f"/surveys/{round_b.pk}/").status_code == 404, role
        assert round_b.number not in client.get("/surveys/").content.decode(), role
    street = client_for(world.users[Role.SUPERVISOR])
    assert street.post(reverse("surveys:cancel", args=[round_b.pk]),
                       {"reason": "x"}).status_code == 404
    assert street.get(reverse("surveys:question_edit", args=[question.pk])).status_code == 404
    assert street.post(reverse("surveys:question_delete", args=[question.pk])).status_code \
        == 404
    round_b.refresh_from_db()
    assert round_b.status == RoundStatus.DESIGN
    assert Question.objects.filter(pk=question.pk).exists()
    # the auditor reads every round
    assert client_for(world.users[Role.AUDITOR]).get(f"/surveys/{round_b.pk}/").status_code \
        == 200


# --- results ------------------------------------------------------------------------------

def test_the_results_of_a_closed_round(survey):
    world = survey.world
    round_ = closed_round(survey)
    results = round_.results
    assert results["responses"] == 27 and results["index"]["n"] == 27
    body = client_for(world.users[Role.LEADER]).get(f"/surveys/{round_.pk}/").content.decode()
    index = results["index"]
    assert f"{index['value'] * 100:.1f}%" in body
    assert f"95%置信区间 {index['ci_low'] * 100:.1f}%–{index['ci_high'] * 100:.1f}%" in body
    assert 'data-met="no"' in body or 'data-met="yes"' in body
    # both streets have fewer than 100 respondents: not published
    assert body.count('data-testid="suppressed"') == 2
    assert body.count("样本不足,不予公布") == 2
    assert body.count('data-testid="item"') == len(results["items"])
    assert "文字题:回答不在此列出。" in body and ANSWERS["suggestion"] not in body
    rates = results["rates"]
    assert f"{rates['rr1'] * 100:.1f}%" in body and "2.11" in body
    assert 'data-testid="trend-row"' in body
    # the list shows the index with its interval
    listed = client_for(world.users[Role.LEADER]).get("/surveys/?status=closed").content.decode()
    assert f"{index['value'] * 100:.1f}%" in listed and round_.number in listed


def test_a_published_domain_shows_its_bar(survey):
    round_ = closed_round(survey)
    results = dict(round_.results)
    domain = dict(results["domains"][0])
    domain["index"] = dict(results["index"], n=150, value=0.931, ci_low=0.89, ci_high=0.96,
                           suppressed=False)
    results["domains"] = [domain, results["domains"][1]]
    Round.objects.filter(pk=round_.pk).update(results=results)
    body = client_for(survey.organiser).get(f"/surveys/{round_.pk}/").content.decode()
    assert "93.1%" in body and "89.0%–96.0%" in body and "n=150" in body
    assert body.count("样本不足,不予公布") == 1


def test_questions_and_results_in_english(survey, settings):
    round_ = closed_round(survey)
    Question.objects.filter(round=round_, key="trend").update(text_en="")
    client = client_for(survey.organiser)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get(f"/surveys/{round_.pk}/").content.decode()
    questions = body[body.index('id="questions"'):body.index('id="frame"')]
    assert "Overall, how safe do you feel in the area where you live?" in questions
    assert "1 Very safe" in questions and "很安全" not in questions
    assert "与一年前相比" in questions  # no English text: the Chinese one
    items = body[body.index('id="items"'):body.index('id="rates"')]
    assert "Overall, how safe do you feel in the area where you live?" in items
    assert "Very safe" in items and "很安全" not in items
    assert "、" not in body[body.index('data-testid="design-facts"'):body.index('id="questions"')]
    # in Chinese, the Chinese
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    body = client.get(f"/surveys/{round_.pk}/").content.decode()
    assert "总体来说,您觉得您所在地区的社会治安状况安全吗?" in body and "1 很安全" in body
    assert "Very safe" not in body


# --- the list -----------------------------------------------------------------------------

def _closed(survey, year: int, half: int) -> Round:
    """A closed round made quickly (its figures written as the close writes them)."""
    round_ = round_create(data=RoundInput(area=survey.world.county, year=year, half=half),
                          actor=survey.organiser)
    Round.objects.filter(pk=round_.pk).update(
        status=RoundStatus.CLOSED, index_value=Decimal("0.912"),
        results={"index": {"value": 0.912, "ci_low": 0.88, "ci_high": 0.94, "n": 400}})
    return round_


def test_the_list_reads_a_page_in_a_fixed_number_of_queries(survey):
    client = client_for(survey.organiser)
    for year in (2020, 2021):
        _closed(survey, year, 1)
    client.get("/surveys/")
    with CaptureQueriesContext(connection) as few:
        client.get("/surveys/")
    for year in range(2022, 2030):
        _closed(survey, year, 1)
        round_create(data=RoundInput(area=survey.world.street_a, year=year, half=2),
                     actor=survey.organiser)
    with CaptureQueriesContext(connection) as many:
        body = client.get("/surveys/").content.decode()
    assert body.count('data-testid="round-row"') == 18
    assert "91.2%" in body and "88.0%–94.0%" in body
    assert len(many) == len(few)
    assert client.get("/surveys/?status=design").content.decode().count(
        'data-testid="round-row"') == 8


def test_the_list_pages_by_cursor(survey):
    for year in range(2000, 2032):
        _closed(survey, year, 1)
    client = client_for(survey.organiser)
    first = client.get("/surveys/").content.decode()
    assert first.count('data-testid="round-row"') == 30 and 'data-testid="next-page"' in first
    cursor = first.split('cursor=')[1].split('"')[0]
    second = client.get(f"/surveys/?cursor={cursor}").content.decode()
    assert second.count('data-testid="round-row"') == 2 and "2001年" in second


def test_the_workspace_and_the_header_lead_to_the_rounds(survey):
    world = survey.world
    for role in (Role.SUPERVISOR, Role.LEADER, Role.AUDITOR):
        home = client_for(world.users[role]).get("/").content.decode()
        assert 'data-testid="home-surveys"' in home and 'data-testid="nav-surveys"' in home
    home = client_for(world.users[Role.GRID_WORKER]).get("/").content.decode()
    assert 'data-testid="home-surveys"' not in home


@pytest.mark.parametrize("name", ["surveys:list", "surveys:round_new"])
def test_pages_answer(survey, name):
    assert client_for(survey.organiser).get(reverse(name)).status_code == 200


def test_units_done_are_not_assigned_again(survey):
    round_ = drawn_round(survey)
    units = list(SampleUnit.objects.filter(round=round_, released=True,
                                           area_code=survey.world.grid_a1.code))
    units_assign(round_=round_, units=units, interviewer=survey.interviewer,
                 actor=survey.organiser)
    fieldwork_open(round_=round_, actor=survey.organiser)
    units[0].refresh_from_db()
    fieldwork.call_record(unit=units[0], code="4.32", mode="cati", actor=survey.interviewer)
    assert SampleUnit.objects.get(pk=units[0].pk).status == UnitStatus.DONE
    staff = client_for(survey.organiser)
    response = staff.post(reverse("surveys:assign", args=[round_.pk]), {
        "action": "unassign", "interviewer": survey.interviewer.pk})
    assert response.status_code == 302
    assert SampleUnit.objects.get(pk=units[0].pk).interviewer == survey.interviewer

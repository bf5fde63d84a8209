"""The report of a closed safety survey round (PDF and XLSX), read back and checked against
the figures of civicgrid/surveys/tests/closing.py, stated by hand there:

    index 120/180 = 66.67%; streets of 10 respondents each: withheld (样本不足,不予公布);
    dispositions 1.1 ×20, 2.11 ×1, 3.11 ×10; RR1 20/31 = 64.52%, COOP1 20/21 = 95.24%;
    很安全 48/180 = 26.67%; the design: 180 dwellings, margin 10 points, p 0.9, deff 1,
    response rate 1 → n0 = ⌈3.8415 × 0.09 ÷ 0.01⌉ = 35, with the finite population
    35 ÷ (1 + 34/180) = 29.4 → 30 drawn, 17 and 13.
"""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from civicgrid.accounts.roles import Role
from civicgrid.cases.documents import unsupported_characters
from civicgrid.reports.survey_report import survey_report
from civicgrid.surveys.tests.closing import INDEX, SUGGESTION, closed_round, fieldwork_round
from civicgrid.surveys.tests.conftest import survey  # noqa: F401

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) >= 2
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def test_the_pdf_prints_the_method_the_response_and_the_figures(survey):  # noqa: F811
    round_ = closed_round(survey)
    response = client_for(survey.world.users[Role.LEADER]).get(
        reverse("reports:survey_pdf", args=[round_.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "崇川区2026年上半年群众安全感调查报告" in text
    # the method: frame, digest, the sample size worked through, seed and draw digest
    assert "共180个单位" in text and round_.frame_digest in text
    assert "向上取整为35" in text and "向上取整为30" in text
    assert "report-2026" in text and round_.draw_digest in text
    # the sample and the response
    assert "抽取样本30个" in text
    assert "RR164.52%" in text and "COOP195.24%" in text and "REF13.23%" in text
    # the index, its interval, n and target; the streets withheld
    assert "群众安全感指数为66.67%" in text and "n=20" in text
    assert "目标90.00%,未达到目标" in text
    assert text.count("样本不足,不予公布") >= 2
    # the items; a text question's answers never printed
    assert "很安全26.67%" in text
    assert SUGGESTION not in text and "原文不列入报告" in text
    # the trend over the area's closed rounds
    assert "历次调查" in text and round_.number in text


def test_the_report_text_has_every_glyph_in_the_embedded_fonts(survey):  # noqa: F811
    round_ = closed_round(survey)
    report = survey_report(round_, reader=survey.organiser)
    for line in report.method_lines():
        assert unsupported_characters(line) == "", line


def test_the_xlsx_holds_the_figures(survey):  # noqa: F811
    first = closed_round(survey, half=1)
    second = closed_round(survey, half=2)
    response = client_for(survey.world.users[Role.LEADER]).get(
        reverse("reports:survey_xlsx", args=[second.pk]))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["概况与方法", "抽样层", "样本与应答", "安全感指数", "各题结果",
                               "历次调查"]
    info = {row[0]: row[1] for row in book["概况与方法"].iter_rows(min_row=3, values_only=True)
            if row and row[0]}
    assert info["安全感指数"] == pytest.approx(INDEX)
    assert info["回答安全感题人数"] == 20
    assert info["目标"] == pytest.approx(0.9) and info["是否达到目标"] == "未达到目标"
    assert (info["抽样框单位数"], info["n0"], info["抽取样本量"]) == (180, 35, 30)
    assert info["随机种子"] == "report-2026" and info["样本摘要"] == second.draw_digest
    strata = list(book["抽样层"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[2], r[3], r[9]) for r in strata] == [
        ("320602001", 100, 17, 10), ("320602002", 80, 13, 10)]
    response_rows = {r[0]: r for r in book["样本与应答"].iter_rows(min_row=2, values_only=True)
                     if r and r[0]}
    assert (response_rows["1.1"][3], response_rows["2.11"][3], response_rows["3.11"][3]) == (
        20, 1, 10)
    assert response_rows["RR1"][1] == pytest.approx(20 / 31)
    assert response_rows["启用备用样本"][1] == 1
    index = list(book["安全感指数"].iter_rows(min_row=2, values_only=True))
    assert index[0][:4] == ("全部", "320602", 20, pytest.approx(INDEX))
    assert [(r[0], r[2], r[3], r[6]) for r in index[1:]] == [
        ("城东街道", 10, None, "样本不足,不予公布"), ("和平桥街道", 10, None, "样本不足,不予公布")]
    items = list(book["各题结果"].iter_rows(min_row=2, values_only=True))
    very_safe = next(r for r in items if r[0] == "safety" and r[2] == "很安全")
    assert very_safe[3] == pytest.approx(48 / 180) and very_safe[6] == 20
    assert all(SUGGESTION not in str(v) for r in items for v in r)
    trend = list(book["历次调查"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in trend] == [first.number, second.number]
    assert [r[1] for r in trend] == ["2026年上半年", "2026年下半年"]


def test_who_may_read_the_report(survey):  # noqa: F811
    world = survey.world
    closed = closed_round(survey)
    for name in ("reports:survey_pdf", "reports:survey_xlsx"):
        url = reverse(name, args=[closed.pk])
        for user in (world.users[Role.LEADER], world.users[Role.AUDITOR], survey.organiser):
            assert client_for(user).get(url).status_code == 200, (name, user)
        # grid workers do not read rounds at all; a missing round is 404 too
        assert client_for(survey.interviewer).get(url).status_code == 403
        assert client_for(world.users[Role.LEADER]).get(
            reverse(name, args=[999999])).status_code == 404
        assert Client().get(url).status_code == 302  # to sign in


def test_a_round_not_closed_or_out_of_scope_answers_404(survey):  # noqa: F811
    from civicgrid.surveys.services.rounds import RoundInput, round_create

    open_round = fieldwork_round(survey, half=2)
    other = round_create(data=RoundInput(area=survey.world.street_b, year=2026, half=1),
                         actor=survey.organiser)
    leader = client_for(survey.world.users[Role.LEADER])
    organiser = client_for(survey.organiser)
    for name in ("reports:survey_pdf", "reports:survey_xlsx"):
        assert organiser.get(reverse(name, args=[open_round.pk])).status_code == 404
        assert leader.get(reverse(name, args=[open_round.pk])).status_code == 404
        # street B's round: outside street A's leader's scope
        assert leader.get(reverse(name, args=[other.pk])).status_code == 404

"""The matter pages: the whole procedure through the forms, what each role sees, the
report PDF, the level rule's page, and refusals shown without losing what was typed."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from civicgrid.accounts.roles import Role
from civicgrid.risk.models import (
    Assessment,
    Decision,
    LevelRule,
    Matter,
    MatterKind,
    MatterStatus,
)
from civicgrid.risk.services.matters import MatterInput, matter_register
from civicgrid.risk.tests.samples import sample_matter


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def make_matter(world, title="城东地块征收", kind="land_acquisition") -> Matter:
    return matter_register(actor=world.users[Role.SUPERVISOR], data=MatterInput(
        title=title, summary="征收城东地块建设学校", deciding_body="区政府常务会议",
        kind=MatterKind.objects.get(code=kind), area=world.community_a,
        responsible_unit=world.unit_a))


def test_the_procedure_through_the_pages(world):
    staff = client_for(world.users[Role.SUPERVISOR])
    leader = client_for(world.users[Role.LEADER])
    kind = MatterKind.objects.get(code="land_acquisition")
    response = staff.post(reverse("risk:matter_new"), {
        "title": "城东地块征收", "kind": kind.pk, "summary": "征收城东地块建设学校",
        "area": world.community_a.pk, "responsible_unit": world.unit_a.pk,
        "deciding_body": "区政府常务会议", "people_band": "100-500", "people_count": "320",
        "projects": "城东学校\n"})
    matter = Matter.objects.get()
    assert response.status_code == 302 and response.url == f"/risk/{matter.pk}/"
    page = staff.get(f"/risk/{matter.pk}/").content.decode()
    assert "该事项须在决策前完成社会稳定风险评估" in page
    response = staff.post(reverse("risk:assessment_new", args=[matter.pk]), {
        "procedure": "ordinary", "assessor_kind": "unit", "assessor_unit": world.unit_a.pk,
        "plan": "问卷调查、座谈会"})
    assessment = Assessment.objects.get()
    # rating before hearing anyone: refused on the page, the conclusion kept
    response = staff.post(reverse("risk:rate", args=[assessment.pk]),
                          {"conclusion": "总体可控"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "普通程序须先开展至少一项征求意见活动" in body and "总体可控" in body
    staff.post(reverse("risk:activity_add", args=[assessment.pk]), {
        "kind": "questionnaire", "held_on": "2026-06-01", "record": "发放问卷200份",
        "participants": "200", "answered": "200", "support": "120", "oppose": "70",
        "neutral": "10"})
    staff.post(reverse("risk:item_add", args=[assessment.pk]), {
        "dimension": "rationality", "description": "补偿标准低于周边", "likelihood": "4",
        "impact": "4", "people_affected": "120", "mitigation": "参照周边标准补偿",
        "owner": "征收办", "residual_likelihood": "3", "residual_impact": "3"})
    response = staff.post(reverse("risk:rate", args=[assessment.pk]),
                          {"conclusion": "反对比例高"})
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.level == "high"  # 70/200 = 35 % against
    page = staff.get(f"/risk/{matter.pk}/").content.decode()
    assert "问卷中反对70份,占有效问卷200份的35.0%,达到30%,为高风险。" in page
    staff.post(reverse("risk:report", args=[assessment.pk]))
    # the leader's plain 实施 is refused on the form, what was typed stays
    response = leader.post(reverse("risk:decide", args=[matter.pk]), {
        "kind": "implement", "decided_on": timezone.localdate().isoformat(),
        "body": "区政府常务会议",
        "minutes": "第12次常务会议纪要"})
    assert response.status_code == 200
    assert "高风险事项只能暂缓实施或不实施" in response.content.decode()
    assert "第12次常务会议纪要" in response.content.decode()
    assert not Decision.objects.exists()
    response = leader.post(reverse("risk:decide", args=[matter.pk]), {
        "kind": "postpone", "decided_on": timezone.localdate().isoformat(),
        "body": "区政府常务会议",
        "minutes": "第12次常务会议纪要"})
    assert response.status_code == 302
    response = staff.post(reverse("risk:implement", args=[matter.pk]), follow=True)
    assert "不能标记实施" in response.content.decode()
    matter.refresh_from_db()
    assert matter.status == MatterStatus.DECIDED


def test_what_each_role_sees_on_a_matter(world):
    matter = sample_matter(world, world.community_a, world.unit_a)  # rated low, decided
    url = f"/risk/{matter.pk}/"
    grid = client_for(world.users[Role.GRID_WORKER]).get(url).content.decode()
    assert matter.title in grid and 'id="assessment"' not in grid
    assert "data-level=" not in grid and "同意实施" not in grid
    listed = client_for(world.users[Role.GRID_WORKER]).get("/risk/").content.decode()
    assert matter.title in listed and "data-level=" not in listed and "决策:" not in listed
    assert 'data-level="low"' in client_for(world.users[Role.LEADER]).get(url).content.decode()
    matter = make_matter(world)
    url = f"/risk/{matter.pk}/"
    assert 'data-testid="assessment-start"' not in grid
    staff = client_for(world.users[Role.SUPERVISOR]).get(url).content.decode()
    assert 'data-testid="assessment-start"' in staff
    assert client_for(world.outsider).get(url).status_code == 404
    assert client_for(world.users[Role.ADMINISTRATOR]).get(url).status_code == 403


def test_the_list_reads_a_page_in_a_fixed_number_of_queries(world):
    for n in range(3):
        make_matter(world, title=f"事项{n}")
    client = client_for(world.users[Role.SUPERVISOR])
    client.get("/risk/")  # (session and caches warmed)
    with CaptureQueriesContext(connection) as few:
        client.get("/risk/")
    for n in range(3, 12):
        make_matter(world, title=f"事项{n}")
    with CaptureQueriesContext(connection) as many:
        body = client.get("/risk/").content.decode()
    assert body.count('data-testid="matter-row"') == 12
    assert len(many) == len(few)


def test_the_report_pdf(world):
    matter = sample_matter(world, world.community_a, world.unit_a)
    assessment = matter.assessments.get()
    assessment.conclusion = "风险可控,建议实施"
    assessment.level_rule = LevelRule.objects.get(version=1)
    assessment.level_reasons = [{"clause": "none", "level": "low",
                                 "params": {"items": 0, "below": 8}}]
    assessment.rated_at = timezone.now()
    assessment.save()
    response = client_for(world.users[Role.LEADER]).get(
        reverse("reports:assessment_pdf", args=[assessment.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "社会稳定风险评估报告" in text
    assert matter.number in text and "低风险" in text
    outside = sample_matter(world, world.community_b, world.unit_b).assessments.get()
    assert client_for(world.users[Role.LEADER]).get(
        reverse("reports:assessment_pdf", args=[outside.pk])).status_code == 404


def test_only_the_administrator_publishes_a_rule(world):
    staff = client_for(world.users[Role.SUPERVISOR])
    page = staff.get("/risk/rules/").content.decode()
    assert 'data-testid="rule-form"' not in page and "v1" in page
    assert staff.post("/risk/rules/", {"note": "x"}).status_code == 403
    admin = client_for(world.users[Role.ADMINISTRATOR])
    response = admin.post("/risk/rules/", {
        "high_item_score": "16", "medium_item_score": "9", "high_medium_items": "3",
        "high_oppose_percent": "30", "medium_oppose_percent": "10",
        "people_floor_medium": "500", "note": "提高分值标准"})
    assert response.status_code == 302
    assert list(LevelRule.objects.values_list("version", "high_item_score")) == [(2, 16), (1, 15)]


def test_an_exemption_through_the_pages(world):
    matter = make_matter(world)
    staff = client_for(world.users[Role.SUPERVISOR])
    staff.post(reverse("risk:exemption_request", args=[matter.pk]),
               {"reason": "属于上级已评估项目"})
    leader = client_for(world.users[Role.LEADER])
    page = leader.get(f"/risk/{matter.pk}/").content.decode()
    assert 'data-testid="exemption-decide"' in page
    leader.post(reverse("risk:exemption_decide", args=[matter.pk]),
                {"approve": "yes", "note": "同意"})
    matter.refresh_from_db()
    assert matter.exempted
    response = leader.post(reverse("risk:decide", args=[matter.pk]), {
        "kind": "implement", "decided_on": timezone.localdate().isoformat(), "body": "会议",
        "minutes": "纪要"})
    assert response.status_code == 302
    assert Decision.objects.get().assessment is None


@pytest.mark.parametrize("url", ["/risk/", "/risk/new/", "/risk/rules/"])
def test_pages_answer_phone_and_laptop(world, url):
    response = client_for(world.users[Role.SUPERVISOR]).get(url)
    assert response.status_code == 200

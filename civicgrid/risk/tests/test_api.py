"""The risk API: the procedure through JSON, what each role reads, refusals by status."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from civicgrid.accounts.roles import Role
from civicgrid.risk.models import Decision, Matter

TODAY = timezone.localdate().isoformat()  # (a decision is not dated before its report)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client, url, body):
    return client.post(f"/api/v1/risk{url}", data=body, content_type="application/json")


@pytest.fixture
def matter_number(world):
    staff = client_for(world.users[Role.SUPERVISOR])
    response = post(staff, "/matters", {
        "title": "城东地块征收", "summary": "征收城东地块建设学校", "kind": "land_acquisition",
        "area": world.community_a.code, "areas": [world.grid_a1.code],
        "responsible_unit": world.unit_a.pk, "deciding_body": "区政府常务会议",
        "people_band": "100-500", "projects": ["城东学校"]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["area"], body["areas"], body["projects"]) == (
        "land_acquisition", world.community_a.code, [world.grid_a1.code], ["城东学校"])
    assert body["assessment_required"] is True
    return body["number"]


def test_the_procedure_through_the_api(world, matter_number):
    staff = client_for(world.users[Role.SUPERVISOR])
    leader = client_for(world.users[Role.LEADER])
    refused = post(leader, f"/matters/{matter_number}/decision", {
        "kind": "implement", "decided_on": TODAY, "body": "会议", "minutes": "纪要"})
    assert refused.status_code == 409 and refused.json()["code"] == "rule_violation"
    a = post(staff, f"/matters/{matter_number}/assessments",
             {"plan": "问卷", "assessor_unit": world.unit_a.pk}).json()
    assert post(staff, f"/assessments/{a['id']}/activities", {
        "kind": "questionnaire", "held_on": "2026-06-01", "record": "问卷", "answered": 50,
        "support": 45, "oppose": 5}).status_code == 201
    assert post(staff, f"/assessments/{a['id']}/items", {
        "dimension": "controllability", "description": "施工期间交通拥堵", "likelihood": 5,
        "impact": 4, "residual_likelihood": 4, "residual_impact": 4,
        "mitigation": "错峰施工"}).status_code == 201
    rated = post(staff, f"/assessments/{a['id']}/rate", {"conclusion": "高风险"}).json()
    assert rated["level"] == "high"
    assert [r["clause"] for r in rated["reasons"]] == ["high_item", "oppose_medium"]  # 5/50
    assert post(staff, f"/assessments/{a['id']}/report", {}).status_code == 200
    plain = post(leader, f"/matters/{matter_number}/decision", {
        "kind": "implement", "decided_on": TODAY, "body": "会议", "minutes": "纪要"})
    assert plain.status_code == 409
    assert not Decision.objects.exists()
    override = post(leader, f"/matters/{matter_number}/decision", {
        "kind": "implement", "decided_on": TODAY, "body": "会议", "minutes": "纪要",
        "override": True, "override_reason": "民生工程急需", "mitigation_plan": "专班负责"})
    assert override.status_code == 201 and override.json()["assessment_round"] == 1
    done = post(staff, f"/matters/{matter_number}/implement", {})
    assert done.status_code == 200 and done.json()["status"] == "implemented"


def test_reads_follow_the_roles(world, matter_number):
    grid = client_for(world.users[Role.GRID_WORKER]).get(
        f"/api/v1/risk/matters/{matter_number}").json()
    assert "assessment" not in grid or grid["assessment"] is None
    leader = client_for(world.users[Role.LEADER]).get(
        f"/api/v1/risk/matters/{matter_number}").json()
    assert leader["assessment"] is None and leader["decision"] is None
    outsider = client_for(world.outsider).get(f"/api/v1/risk/matters/{matter_number}")
    assert outsider.status_code == 404
    listed = client_for(world.users[Role.HANDLER]).get("/api/v1/risk/matters").json()
    assert [m["number"] for m in listed["items"]] == [matter_number]
    assert client_for(world.outsider).get("/api/v1/risk/matters").json()["items"] == []


def test_bad_input_changes_nothing(world):
    staff = client_for(world.users[Role.SUPERVISOR])
    for body in ({"title": "x"}, {"title": "x", "summary": "y", "kind": "nope", "area": "32",
                                  "responsible_unit": world.unit_a.pk, "deciding_body": "z"}):
        assert post(staff, "/matters", body).status_code in (400, 422)
    assert not Matter.objects.exists()


def test_the_rule_in_force(world):
    rule = client_for(world.users[Role.HANDLER]).get("/api/v1/risk/rule").json()
    assert (rule["version"], rule["high_item_score"], rule["medium_item_score"]) == (1, 15, 8)


def test_a_retried_post_with_its_idempotency_key_adds_nothing_more(world, matter_number):
    staff = client_for(world.users[Role.SUPERVISOR])
    a = post(staff, f"/matters/{matter_number}/assessments",
             {"plan": "问卷", "assessor_unit": world.unit_a.pk}).json()
    body = {"dimension": "legality", "description": "程序瑕疵", "likelihood": 2, "impact": 2,
            "residual_likelihood": 2, "residual_impact": 2}
    answers = [staff.post(f"/api/v1/risk/assessments/{a['id']}/items", data=body,
                          content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
               for _ in range(2)]
    assert [r.status_code for r in answers] == [201, 201]
    assert answers[0].json() == answers[1].json()
    assert Matter.objects.get(number=matter_number).assessments.get().items.count() == 1

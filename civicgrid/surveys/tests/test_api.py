"""The survey API (/api/v1/surveys/…): every endpoint for the organiser (the county's
supervisor), a leader and the auditor, the grid worker who interviews and an outsider (the
grid worker of street B); out of scope answers 404 like missing; a refused write changes
nothing; the lists cost the same number of queries whatever their length.

Figures of the closed round: civicgrid/surveys/tests/closing.py (stated by hand there)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from civicgrid.accounts.roles import Role
from civicgrid.surveys.models import (
    CallAttempt,
    Response,
    RoundStatus,
    SampleUnit,
    UnitStatus,
)
from civicgrid.surveys.services.rounds import RoundInput, round_close, round_create
from civicgrid.surveys.tests.closing import (
    INDEX,
    SUGGESTION,
    answers,
    closed_round,
    fieldwork_round,
)

pytestmark = pytest.mark.django_db
API = "/api/v1/surveys"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def street_b_round(survey):
    return round_create(data=RoundInput(area=survey.world.street_b, year=2026, half=1),
                        actor=survey.organiser)


# --- rounds -------------------------------------------------------------------------------

def test_the_list_shows_the_rounds_in_scope_with_the_index_once_closed(survey):
    world = survey.world
    closed = closed_round(survey)
    other = street_b_round(survey)
    body = client_for(survey.organiser).get(f"{API}/rounds").json()
    assert [r["number"] for r in body["items"]] == [other.number, closed.number]
    row = body["items"][1]
    assert (row["area"], row["area_name"], row["year"], row["half"], row["status"]) == (
        world.county.code, "崇川区", 2026, 1, "closed")
    assert row["index"]["value"] == pytest.approx(INDEX, abs=1e-9)  # 120/180
    assert row["index"]["n"] == 20 and row["index"]["target"] == 0.9
    assert row["index"]["met"] is False
    assert row["index"]["ci_low"] < INDEX < row["index"]["ci_high"]
    assert body["items"][0]["index"] is None  # in design
    # a leader of street A sees the county's round (above), not street B's
    leader = client_for(world.users[Role.LEADER]).get(f"{API}/rounds").json()
    assert [r["number"] for r in leader["items"]] == [closed.number]
    auditor = client_for(world.users[Role.AUDITOR]).get(f"{API}/rounds?status=closed").json()
    assert [r["number"] for r in auditor["items"]] == [closed.number]


def test_the_list_is_keyset_paginated(survey):
    made = [round_create(data=RoundInput(area=survey.world.county, year=year, half=half),
                         actor=survey.organiser)
            for year, half in ((2025, 1), (2025, 2), (2026, 1))]
    client = client_for(survey.organiser)
    first = client.get(f"{API}/rounds?limit=2").json()
    assert [r["number"] for r in first["items"]] == [made[2].number, made[1].number]
    second = client.get(f"{API}/rounds?limit=2&cursor={first['next_cursor']}").json()
    assert [r["number"] for r in second["items"]] == [made[0].number]
    assert second["next_cursor"] is None
    assert client.get(f"{API}/rounds?cursor=broken").status_code == 400


def test_the_list_costs_the_same_queries_for_more_rows(survey):
    client = client_for(survey.organiser)
    closed_round(survey)
    client.get(f"{API}/rounds")  # (session, scope: warm)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"{API}/rounds").status_code == 200
        return len(queries)

    few = count()
    for year, half in ((2024, 1), (2024, 2), (2025, 1), (2025, 2)):
        round_create(data=RoundInput(area=survey.world.county, year=year, half=half),
                     actor=survey.organiser)
    street_b_round(survey)
    assert count() == few


def test_grid_workers_and_anonymous_callers_do_not_read_rounds(survey):
    closed = closed_round(survey)
    grid = client_for(survey.interviewer)
    assert grid.get(f"{API}/rounds").status_code == 403
    assert grid.get(f"{API}/rounds/{closed.pk}").status_code == 403
    anonymous = Client().get(f"{API}/rounds")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthenticated"


def test_the_detail_gives_the_design_the_digests_and_the_strata(survey):
    round_ = fieldwork_round(survey)
    body = client_for(survey.organiser).get(f"{API}/rounds/{round_.pk}").json()
    assert body["status"] == "fieldwork" and body["results"] is None
    assert body["frame"]["size"] == 180 and body["frame"]["digest"] == round_.frame_digest
    assert body["draw"] == {"seed": "report-2026", "digest": round_.draw_digest,
                            "drawn_at": body["draw"]["drawn_at"]}
    assert body["design"]["n_complete"] == 30 and body["design"]["margin"] == "0.100"
    strata = {s["key"]: s for s in body["strata"]}
    # proportional allocation of 30: 17 of 100, 13 of 80; k = N_h / n_h
    assert {k: (s["population"], s["allocated"]) for k, s in strata.items()} == {
        "320602001": (100, 17), "320602002": (80, 13)}
    assert strata["320602001"]["interval"] == pytest.approx(100 / 17)
    assert 0 <= strata["320602001"]["start"] < 100 / 17
    assert strata["320602001"]["progress"]["released"] == 17
    assert strata["320602001"]["progress"]["assigned"] == 17


def test_the_results_are_aggregates_only(survey):
    closed = closed_round(survey)
    for user in (survey.organiser, survey.world.users[Role.LEADER],
                 survey.world.users[Role.AUDITOR]):
        response = client_for(user).get(f"{API}/rounds/{closed.pk}/results")
        assert response.status_code == 200
        text = response.content.decode()
        assert SUGGESTION not in text  # a respondent's words never leave the round
        body = response.json()
    assert body["responses"] == 20
    assert body["index"]["value"] == pytest.approx(INDEX, abs=1e-9)
    # per street: 10 respondents each, below 100: withheld, only n given
    assert body["domains"] == [
        {"code": "320602001", "name": "城东街道", "index": {
            "value": None, "ci_low": None, "ci_high": None, "half_width": None, "se": None,
            "n": 10, "deff": None, "method": "wald", "suppressed": True}},
        {"code": "320602002", "name": "和平桥街道", "index": {
            "value": None, "ci_low": None, "ci_high": None, "half_width": None, "se": None,
            "n": 10, "deff": None, "method": "wald", "suppressed": True}}]
    items = {i["key"]: i for i in body["items"]}
    assert items["suggestion"]["options"] == [] and items["suggestion"]["n"] == 2
    very_safe = items["safety"]["options"][0]
    # 很安全: 4 in street A (weight 10), 1 in street B (weight 8): 48 / 180
    assert (very_safe["label"], very_safe["value"]) == ("很安全", pytest.approx(48 / 180))
    # sex: half of each street answered 男 → (50 + 40) / 180
    assert items["sex"]["options"][0]["value"] == pytest.approx(0.5)
    rates = body["rates"]
    assert rates["by_code"] == {"1.1": 20, "2.11": 1, "3.11": 10}
    assert (rates["rr1"], rates["coop1"], rates["ref1"], rates["con1"]) == (
        pytest.approx(20 / 31), pytest.approx(20 / 21), pytest.approx(1 / 31),
        pytest.approx(21 / 31))
    detail = client_for(survey.organiser).get(f"{API}/rounds/{closed.pk}").json()
    assert detail["results"]["index"] == body["index"]
    assert {s["key"]: s["respondents"] for s in detail["strata"]} == {
        "320602001": 10, "320602002": 10}
    assert "index" not in json.dumps(detail["strata"])  # no per-stratum estimate


def test_a_round_out_of_scope_answers_like_a_missing_one(survey):
    other = street_b_round(survey)
    leader = client_for(survey.world.users[Role.LEADER])
    for path in (f"/rounds/{other.pk}", f"/rounds/{other.pk}/results",
                 "/rounds/999999", "/rounds/999999/results"):
        response = leader.get(API + path)
        assert response.status_code == 404, path
        assert response.json() == {"code": "not_found", "message": "Not found.",
                                   "details": None}
    assert client_for(survey.organiser).get(f"{API}/rounds/{other.pk}").status_code == 200


def test_results_before_the_close_answer_404(survey):
    round_ = fieldwork_round(survey)
    assert client_for(survey.organiser).get(
        f"{API}/rounds/{round_.pk}/results").status_code == 404


# --- the call sheet -----------------------------------------------------------------------

@pytest.fixture
def sheet(survey):
    """A round in fieldwork whose grid A1 units are the grid worker's."""
    round_ = fieldwork_round(survey, to_grid_worker=True)
    units = list(SampleUnit.objects.filter(round=round_, interviewer=survey.interviewer)
                 .order_by("id"))
    assert units
    return round_, units


def test_the_call_sheet_lists_the_interviewers_units_without_contacts(survey, sheet):
    round_, units = sheet
    body = client_for(survey.interviewer).get(f"{API}/calls").json()
    assert [c["id"] for c in body["items"]] == [u.pk for u in units]
    first = body["items"][0]
    assert set(first) == {"id", "round", "round_number", "stratum", "area", "reserve",
                          "attempts", "max_attempts", "status", "disposition",
                          "last_attempt_at", "callback_at"}
    assert (first["round_number"], first["area"], first["status"]) == (
        round_.number, survey.world.grid_a1.code, "pending")
    # the outsider (street B's grid worker) has none
    assert client_for(survey.interviewer_b).get(f"{API}/calls").json()["items"] == []
    # leaders do not interview
    assert client_for(survey.world.users[Role.LEADER]).get(f"{API}/calls").status_code == 403


def test_the_call_sheet_costs_the_same_queries_for_more_units(survey, sheet):
    round_, units = sheet
    client = client_for(survey.interviewer)
    client.get(f"{API}/calls")

    def count(limit: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert len(client.get(f"{API}/calls?limit={limit}").json()["items"]) == limit
        return len(queries)

    assert count(1) == count(len(units))


def test_an_attempt_on_the_own_sheet(survey, sheet):
    _round, units = sheet
    unit = units[0]
    response = client_for(survey.interviewer).post(
        f"{API}/calls/{unit.pk}/attempts", {"code": "no_answer", "mode": "cati"},
        content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["unit"]["attempts"], body["unit"]["status"], body["released"]) == (
        1, "working", None)
    # a refusal ends the unit and releases the stratum's next reserve to the interviewer
    response = client_for(survey.interviewer).post(
        f"{API}/calls/{unit.pk}/attempts", {"code": "2.11", "mode": "cati"},
        content_type="application/json")
    body = response.json()
    assert (body["unit"]["status"], body["unit"]["disposition"]) == ("done", "2.11")
    assert body["released"]["reserve"] is True
    # (to the same interviewer when it lies in their grid; else it waits for the organiser)
    reserve = SampleUnit.objects.get(pk=body["released"]["id"])
    mine = reserve.area_code == survey.world.grid_a1.code
    assert reserve.interviewer == (survey.interviewer if mine else None)


def _unchanged(unit):
    unit.refresh_from_db()
    assert (unit.attempts, unit.status) == (0, UnitStatus.PENDING)
    assert not CallAttempt.objects.filter(unit=unit).exists()
    assert not Response.objects.filter(round=unit.round).exists()


def test_refused_writes_change_nothing(survey, sheet):
    _round, units = sheet
    unit = units[0]
    attempt = f"{API}/calls/{unit.pk}/attempts"
    interview = f"{API}/calls/{unit.pk}/interview"
    good = {"code": "no_answer", "mode": "cati"}
    # the outsider: not in their area, not on their sheet → like a missing unit
    outsider = client_for(survey.interviewer_b)
    for url, body in ((attempt, good), (interview, {"mode": "cati", "answers": answers("1")})):
        response = outsider.post(url, body, content_type="application/json")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    missing = outsider.post(f"{API}/calls/999999/attempts", good,
                            content_type="application/json")
    assert missing.status_code == 404
    # the organiser: the unit lies in their county but is on someone else's sheet
    response = client_for(survey.organiser).post(attempt, good,
                                                 content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    # a leader may not interview at all
    response = client_for(survey.world.users[Role.LEADER]).post(
        attempt, good, content_type="application/json")
    assert response.status_code == 403
    # the interviewer, with bad input
    mine = client_for(survey.interviewer)
    response = mine.post(attempt, {"code": "1.1", "mode": "cati"},
                         content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert "code" in response.json()["details"]
    response = mine.post(attempt, {"code": "callback", "mode": "cati"},
                         content_type="application/json")
    assert response.status_code == 400 and "callback_at" in response.json()["details"]
    incomplete = {k: v for k, v in answers("1").items() if k != "safety"}
    response = mine.post(interview, {"mode": "cati", "answers": incomplete},
                         content_type="application/json")
    assert response.status_code == 400 and "safety" in response.json()["details"]
    response = mine.post(interview, {"mode": "web", "answers": answers("1")},
                         content_type="application/json")
    assert response.status_code == 400
    _unchanged(unit)


def test_an_interview_through_the_api(survey, sheet):
    _round, units = sheet
    response = client_for(survey.interviewer).post(
        f"{API}/calls/{units[0].pk}/interview",
        {"mode": "face", "answers": answers("2")}, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["code"], body["counted"], body["unit"]["status"]) == ("1.1", True, "done")
    assert Response.objects.get(unit=units[0]).answers["safety"] == "2"
    assert "answers" not in response.content.decode()
    # the unit has ended: a rule of the procedure, not bad input
    again = client_for(survey.interviewer).post(
        f"{API}/calls/{units[0].pk}/attempts", {"code": "no_answer", "mode": "cati"},
        content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "rule_violation"


def test_after_the_close_the_sheet_is_empty_and_writes_are_refused(survey):
    round_ = fieldwork_round(survey, to_grid_worker=True)
    unit = SampleUnit.objects.filter(round=round_, interviewer=survey.interviewer).first()

    round_close(round_=round_, actor=survey.organiser)
    assert round_.__class__.objects.get(pk=round_.pk).status == RoundStatus.CLOSED
    client = client_for(survey.interviewer)
    assert client.get(f"{API}/calls").json()["items"] == []
    response = client.post(f"{API}/calls/{unit.pk}/attempts",
                           {"code": "no_answer", "mode": "cati"},
                           content_type="application/json")
    # the close took the unit off every sheet (no interviewer is kept): it is no longer
    # theirs to work — refused, and nothing written
    assert response.status_code == 403
    assert CallAttempt.objects.filter(unit=unit).count() == 0


def test_the_schema_documents_the_endpoints(survey):
    schema = Client().get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path in ("/api/v1/surveys/rounds", "/api/v1/surveys/rounds/{round_id}",
                 "/api/v1/surveys/rounds/{round_id}/results", "/api/v1/surveys/calls",
                 "/api/v1/surveys/calls/{unit_id}/attempts",
                 "/api/v1/surveys/calls/{unit_id}/interview"):
        assert path in paths, path
        for operation in paths[path].values():
            assert operation.get("description") or operation.get("summary"), path
    assert "phone" not in json.dumps(schema["components"]["schemas"]["CallOut"])

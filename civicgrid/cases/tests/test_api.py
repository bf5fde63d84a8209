"""The case endpoints of the JSON API, called with tokens."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from civicgrid.api.services import api_token_create
from civicgrid.cases.api import ACTION_ENDPOINTS
from civicgrid.cases.tests.conftest import new_case, snapshot
from civicgrid.cases.workflow import TRANSITIONS
from civicgrid.testing import build_office, shared

# The district (civicgrid/cases/tests/conftest.py), built once for this module and rolled
# back after each test (civicgrid/testing.py).
office_once, office = shared(build_office, name="office")

ALL = ["cases:read", "cases:create", "cases:act"]


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def _token_client(unit, actions=ALL) -> Client:
    _token, plain = api_token_create(name="t", unit=unit, actions=actions, actor=None,
                                     rate_limit_per_minute=10_000)
    return Client(HTTP_AUTHORIZATION=f"Bearer {plain}")


def _post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_accept_dispatch_resolve_through_the_api(office):
    case = new_case(office)
    centre = _token_client(office.centre_a)
    detail = centre.get(f"/api/v1/cases/{case.number}").json()
    assert "accept" in detail["allowed_actions"]
    accepted = _post(centre, f"/api/v1/cases/{case.number}/actions/accept",
                     {"version": detail["version"]})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    stale = _post(centre, f"/api/v1/cases/{case.number}/actions/dispatch",
                  {"version": detail["version"], "unit": office.world.unit_a.code})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    dispatched = _post(centre, f"/api/v1/cases/{case.number}/actions/dispatch",
                       {"version": accepted.json()["version"],
                        "unit": office.world.unit_a.code})
    assert dispatched.status_code == 200, dispatched.content
    assert dispatched.json()["assigned_unit_code"] == office.world.unit_a.code
    again = _post(centre, f"/api/v1/cases/{case.number}/actions/accept",
                  {"version": dispatched.json()["version"]})
    assert again.status_code == 409 and again.json()["code"] == "transition_not_allowed"
    committee = _token_client(office.world.unit_a)
    bad = _post(committee, f"/api/v1/cases/{case.number}/actions/resolve",
                {"version": dispatched.json()["version"], "outcome": "answered", "note": " "})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    resolved = _post(committee, f"/api/v1/cases/{case.number}/actions/resolve",
                     {"version": dispatched.json()["version"], "outcome": "answered",
                      "note": "已答复当事人"})
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    timeline = committee.get(f"/api/v1/cases/{case.number}/timeline").json()["items"]
    assert [e["type"] for e in timeline][-3:] == ["accepted", "dispatched", "resolved"]


def test_out_of_scope_case_answers_404_everywhere_and_stays_unchanged(office):
    """Tokens of street A's centre (supervisor) and committee (handler): every endpoint
    their role may use answers 404 for a street-B case, byte-for-byte like a missing one;
    endpoints the role may not use answer 403 whatever the case. Nothing changes."""
    from civicgrid.home.tests.test_permission_matrix import ALL_ENDPOINTS

    outside = new_case(office, area=office.world.grid_b1, actor=office.people["outsider"])
    clients = [_token_client(office.centre_a), _token_client(office.world.unit_a)]
    before = snapshot(outside)
    missing = clients[0].get("/api/v1/cases/320602-20000101-99999")
    calls = [("get", f"/api/v1/cases/{outside.number}", None),
             ("get", f"/api/v1/cases/{outside.number}/timeline", None),
             ("multipart", f"/api/v1/cases/{outside.number}/attachments",
              {"version": outside.version})]
    for name in ACTION_ENDPOINTS:
        if name != "attach":
            spec = next(e.spec for e in ALL_ENDPOINTS if e.name == f"api:case_action_{name}")
            calls.append(("post", f"/api/v1/cases/{outside.number}/actions/{name}",
                          {**(spec.body or {}), "version": outside.version}))
    for method, url, body in calls:
        codes = []
        for client in clients:
            if method == "get":
                response = client.get(url)
            elif method == "multipart":
                response = client.post(url, body)
            else:
                response = _post(client, url, body)
            codes.append(response.status_code)
            assert response.status_code in (403, 404), (url, response.content)
            if response.status_code == 404:
                assert response.content == missing.content
        assert 404 in codes, url
    assert snapshot(outside) == before
    for client in clients:
        listed = client.get("/api/v1/cases").json()["items"]
        assert outside.number not in [c["number"] for c in listed]


def test_list_keyset_walk_and_constant_queries(office):
    numbers = {new_case(office).number for _i in range(7)}
    client = _token_client(office.centre_a, ["cases:read"])
    client.get("/api/v1/cases", {"limit": 1})  # warm the token's last_used_at
    seen, cursor = [], None
    while True:
        body = client.get("/api/v1/cases", {"limit": 3, **({"cursor": cursor} if cursor
                                                            else {})}).json()
        seen += [c["number"] for c in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert set(seen) == numbers and len(seen) == len(numbers)
    assert seen == sorted(seen, reverse=True)

    def count(limit):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/cases", {"limit": limit}).status_code == 200
        return len(ctx.captured_queries)

    assert count(1) == count(7)
    filtered = client.get("/api/v1/cases", {"status": "registered", "category": "91"})
    assert filtered.status_code == 200 and len(filtered.json()["items"]) == 7
    assert client.get("/api/v1/cases", {"limit": 201}).status_code == 422


def test_intake_by_point_in_scope_and_refused_outside(office):
    client = _token_client(office.centre_a, ["cases:create", "cases:read"])
    ok = _post(client, "/api/v1/cases", {"category": "9102", "description": "路口积水严重影响通行",
                                         "lng": 120.81, "lat": 31.91})
    assert ok.status_code == 201 and ok.json()["area_code"] == office.world.grid_a1.code
    assert ok.json()["channel"] == "api"
    outside = _post(client, "/api/v1/cases", {"category": "9102", "description": "路口积水严重",
                                              "area": office.world.grid_b1.code})
    assert outside.status_code == 409 and "area" in outside.json()["details"]
    assert outside.json()["code"] == "rule_violation"


def test_openapi_lists_every_operation(db):
    doc = Client().get("/api/v1/openapi.json").json()
    paths = doc["paths"]
    for name in TRANSITIONS:
        path = "/api/v1" + ACTION_ENDPOINTS[name]
        assert "post" in paths[path], name
    assert {"get", "post"} <= set(paths["/api/v1/cases"])
    assert "get" in paths["/api/v1/cases/{number}"]
    assert "get" in paths["/api/v1/cases/{number}/timeline"]
    schemes = doc["components"]["securitySchemes"]
    assert {"TokenBearer", "TokenHeader"} <= set(schemes)


def test_intake_answers_what_a_read_of_the_new_case_answers(office):
    """The intake's answer is built from what was written (no read-back): it must be the
    same, field for field, as GET /cases/{number} right after."""
    client = _token_client(office.centre_a, ["cases:create", "cases:read"])
    created = _post(client, "/api/v1/cases", {
        "category": "9102", "description": "路口积水严重影响通行", "lng": 120.81, "lat": 31.91,
        "address": "桃坞路12号", "happened_at": "2026-12-01T08:30:00+08:00",
        "parties": [{"role": "respondent", "name": "李四"},
                    {"role": "applicant", "name": "王芳", "phone": "13912345678"},
                    {"role": "applicant", "name": "张三", "id_number": "11010519491231002X"}]})
    assert created.status_code == 201
    read = client.get(f"/api/v1/cases/{created.json()['number']}")
    assert read.status_code == 200
    assert created.json() == read.json()
    assert [p["name"] for p in created.json()["parties"]] == ["王芳", "张三", "李四"]

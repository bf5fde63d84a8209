"""U+0000 (or a lone surrogate) anywhere in a request — a path, a query argument, a JSON or
form body — is refused with 400 in each interface's own error format and changes nothing.
PostgreSQL cannot store NUL in any text column: before, each of these reached it and
answered 500 (found by the schemathesis run with more examples, on PostgreSQL)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from civicgrid.api.services import api_token_create
from civicgrid.cases.models import Case, CaseEvent
from civicgrid.cases.tests.conftest import new_case
from civicgrid.testing import build_office, shared

office_once, office = shared(build_office, name="office")

PAGES = ["/cases/%00/", "/areas/%00/", "/cases/?q=%00", "/cases/?status=open%00",
         "/portal/track/%00/"]
API = ["/api/v1/cases/%00", "/api/v1/areas/%00", "/api/v1/cases?q=%00", "/api/v1/cases?x%00=1"]
OPEN311 = ["/open311/v2/requests.json?service_code=%00", "/open311/v2/requests/%00.json",
           "/open311/v2/services/%00.json"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_answer_400(office, path):
    client = Client()
    client.force_login(office.people["dispatcher"])
    assert client.get(path).status_code == 400


@pytest.mark.parametrize("path", API)
def test_the_api_answers_its_json_400(office, path):
    _t, plain = api_token_create(name="t", unit=office.centre_a, actions=["cases:read"],
                                 actor=None)
    response = Client(HTTP_AUTHORIZATION=f"Bearer {plain}").get(path)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "NUL" in response.json()["message"]


@pytest.mark.parametrize("path", OPEN311)
def test_open311_answers_the_spec_error_array(db, path):
    response = Client().get(path)
    assert response.status_code == 400
    assert json.loads(response.content)[0]["code"] == 400


def test_a_nul_in_an_api_body_is_refused_and_changes_nothing(office):
    case = new_case(office)
    _t, plain = api_token_create(name="t", unit=office.centre_a,
                                 actions=["cases:read", "cases:act"], actor=None)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
    before = (Case.objects.values().get(pk=case.pk), CaseEvent.objects.count())
    response = client.post(f"/api/v1/cases/{case.number}/actions/accept",
                           {"version": case.version, "note": "好\x00"},
                           content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "message": "Text may not contain the NUL "
                               "character (U+0000) or a lone surrogate.", "details": ["body"]}
    assert (Case.objects.values().get(pk=case.pk), CaseEvent.objects.count()) == before
    # A lone surrogate cannot be stored either (UTF-8 cannot encode it).
    response = client.post(f"/api/v1/cases/{case.number}/actions/transfer",
                           '{"version": 1, "unit": "x", "reason": "\\ud800"}',
                           content_type="application/json")
    assert response.status_code == 400 and response.json()["details"] == ["body"]
    assert (Case.objects.values().get(pk=case.pk), CaseEvent.objects.count()) == before


def test_the_screen_by_hand():
    from civicgrid.core.text import unstorable_in

    for value in ("a\x00b", ["ok", "\x00"], {"\x00": 1}, {"k": ["\ud800"]}, "\udfff"):
        assert unstorable_in(value), value
    for value in ("灯不亮", "tab\tnew\nline", "😀", {"a": [1, None, "b"]}, 3):
        assert not unstorable_in(value), value

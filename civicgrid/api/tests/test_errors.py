"""Every answer under /api/v1/ is the API's JSON error format, also when no operation runs:
an unknown path, a wrong method, a multipart body Django cannot parse."""

import pytest
from django.test import Client

from civicgrid.api.models import IdempotencyRecord
from civicgrid.api.services import api_token_create
from civicgrid.cases.models import Attachment, Case
from civicgrid.cases.tests.conftest import new_case
from civicgrid.testing import build_office, shared

office_once, office = shared(build_office, name="office")

NOT_FOUND = {"code": "not_found", "message": "Not found.", "details": None}


def _token_client(office) -> Client:
    _t, plain = api_token_create(name="x", unit=office.centre_a,
                                 actions=["cases:read", "cases:create", "cases:act"], actor=None)
    return Client(HTTP_AUTHORIZATION=f"Bearer {plain}")


def _invalid_body(response) -> None:
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "invalid_body"
    assert body["message"] == "The request body cannot be parsed."


def test_an_action_with_a_multipart_type_without_boundary_and_a_key_is_a_json_400(office):
    """The JSON body is readable, but the Idempotency-Key hashes a multipart body by its
    fields: a multipart type without a boundary cannot be read that way."""
    case = new_case(office)
    before = Case.objects.filter(pk=case.pk).values("status", "version").get()
    response = _token_client(office).generic(
        "POST", f"/api/v1/cases/{case.number}/actions/accept", b'{"version": 1}',
        content_type="multipart/form-data", HTTP_IDEMPOTENCY_KEY="k-1")
    _invalid_body(response)
    assert response.json()["details"] == ["Invalid boundary in multipart: None"]
    assert Case.objects.filter(pk=case.pk).values("status", "version").get() == before
    assert IdempotencyRecord.objects.count() == 0


@pytest.mark.parametrize("key", [None, "k-2"])
def test_attachments_with_a_multipart_body_without_boundary_is_a_json_400(office, key):
    case = new_case(office)
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    response = _token_client(office).generic(
        "POST", f"/api/v1/cases/{case.number}/attachments", b"--x\r\nversion=1",
        content_type="multipart/form-data", **extra)
    _invalid_body(response)
    assert Attachment.objects.filter(case=case).count() == 0
    assert IdempotencyRecord.objects.count() == 0


def test_broken_json_is_a_400_with_a_documented_code(office):
    response = _token_client(office).post("/api/v1/cases", b"{not json",
                                          content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"code": "invalid_body", "message": "Cannot parse request body",
                               "details": None}


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v1/cases/X/nothing",
                                  "/api/v1/cases/", "/api/v1/me/", "/api/v1/areas/a/b/c"])
@pytest.mark.parametrize("signed_in", [False, True])
def test_unknown_api_paths_answer_the_json_404(office, path, signed_in):
    client = _token_client(office) if signed_in else Client()
    for method in ("get", "post", "delete"):
        response = getattr(client, method)(path)
        assert response.status_code == 404, (method, path)
        assert response["Content-Type"].startswith("application/json")
        assert response.json() == NOT_FOUND


def test_a_wrong_method_on_a_known_path_is_a_json_405(office):
    client = _token_client(office)
    for method, path, allow in [("delete", "/api/v1/me", {"GET"}),
                                ("put", "/api/v1/cases", {"GET", "POST"}),
                                ("get", "/api/v1/cases/X/attachments", {"POST"})]:
        response = getattr(client, method)(path)
        assert response.status_code == 405, (method, path)
        assert set(response["Allow"].split(", ")) == allow  # ninja lists them in any order
        assert response.json() == {
            "code": "method_not_allowed",
            "message": "This method is not allowed here; see the Allow header.",
            "details": None}


def test_pages_outside_the_api_keep_their_html_404(db):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")

"""CORS for the configured origins on both machine interfaces (civicgrid/core/cors.py)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from civicgrid.core.cors import CorsMiddleware

H5 = "https://h5.example.cn"
ELSEWHERE = "https://evil.example.com"


@pytest.fixture(autouse=True)
def _origins(settings):
    settings.CORS_ALLOWED_ORIGINS = [H5, "https://m.example.cn:8443/"]


def cors_headers(response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower().startswith("access-control")}


def preflight(path: str, origin: str, method: str = "POST"):
    return Client().options(path, headers={
        "Origin": origin, "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization,content-type,idempotency-key"})


@pytest.mark.parametrize("path", ["/api/v1/cases", "/open311/v2/requests.json"])
def test_preflight_from_a_listed_origin_is_answered(path):
    response = preflight(path, H5)
    assert response.status_code == 204
    assert cors_headers(response) == {
        "Access-Control-Allow-Origin": H5,
        "Access-Control-Allow-Methods": "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
        "Access-Control-Allow-Headers": ("Accept, Accept-Language, Authorization, "
                                         "Content-Type, Idempotency-Key, X-Api-Key"),
        "Access-Control-Max-Age": "3600",
    }  # and never Access-Control-Allow-Credentials: tokens, not cookies
    assert "Origin" in response["Vary"]


@pytest.mark.django_db
@pytest.mark.parametrize("path,status", [
    ("/api/v1/ping", 200),
    ("/api/v1/areas", 401),  # errors are readable by the page too
    ("/open311/v2/discovery.json", 200),
    ("/open311/v2/services/0000.xml", 404),
])
def test_answers_to_a_listed_origin_name_it(path, status):
    response = Client().get(path, headers={"Origin": "https://m.example.cn:8443"})
    assert response.status_code == status
    assert cors_headers(response) == {
        "Access-Control-Allow-Origin": "https://m.example.cn:8443",
        "Access-Control-Expose-Headers": ("Content-Language, Idempotent-Replayed, Link, "
                                          "Retry-After"),
    }
    assert "Origin" in response["Vary"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/ping", "/open311/v2/discovery.json"])
def test_an_origin_not_listed_gets_no_cors_header(path):
    assert cors_headers(preflight(path, ELSEWHERE)) == {}
    assert cors_headers(preflight(path, "null")) == {}
    response = Client().get(path, headers={"Origin": ELSEWHERE})
    assert response.status_code == 200
    assert cors_headers(response) == {}
    assert "Origin" in response["Vary"]  # a shared cache must not serve it to a listed one


@pytest.mark.django_db
def test_pages_never_answer_cross_origin():
    response = Client().get("/accounts/login/", headers={"Origin": H5})
    assert response.status_code == 200
    assert cors_headers(response) == {}
    assert cors_headers(preflight("/accounts/login/", H5)) == {}


@pytest.mark.django_db
def test_nothing_configured_means_no_cors(settings):
    settings.CORS_ALLOWED_ORIGINS = []
    assert cors_headers(preflight("/api/v1/cases", H5)) == {}
    response = Client().get("/api/v1/ping", headers={"Origin": H5})
    assert cors_headers(response) == {}
    assert "Origin" not in response.get("Vary", "")


@pytest.mark.parametrize("origin", ["*", "https://h5.example.cn/app", "h5.example.cn",
                                    "https://*.example.cn"])
def test_a_setting_that_is_not_an_exact_origin_stops_start_up(settings, origin):
    settings.CORS_ALLOWED_ORIGINS = [origin]
    with pytest.raises(ImproperlyConfigured, match="CORS_ALLOWED_ORIGINS"):
        CorsMiddleware(lambda request: None)

"""The baseline every response and every signed-in write carries (docs/security.md):
security headers on pages, API and errors; CSRF on staff forms; the session cookie."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from civicgrid.accounts.roles import Role
from civicgrid.areas.models import Area
from civicgrid.conftest import PASSWORD

HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
CSP_PARTS = ("default-src 'self'", "script-src 'self'", "frame-ancestors 'none'",
             "object-src 'none'", "form-action 'self'")


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/portal/", "/portal/track/",
                                  "/api/v1/ping", "/open311/v2/services.json",
                                  "/no-such-page/"])
def test_every_response_carries_the_security_headers(db, path):
    response = Client().get(path)
    for name, value in HEADERS.items():
        assert response[name] == value, (path, name)
    policy = response["Content-Security-Policy"]
    for part in CSP_PARTS:
        assert part in policy, (path, part)
    assert "unsafe-eval" not in policy and "script-src 'self' 'unsafe-inline'" not in policy


def test_a_staff_form_without_the_csrf_token_is_refused_and_changes_nothing(world):
    client = Client(enforce_csrf_checks=True)
    assert client.login(username=world.users[Role.GRID_WORKER].username, password=PASSWORD)
    before = Area.objects.count()
    response = client.post("/accounts/logout/")
    assert response.status_code == 403
    assert client.get("/").status_code == 200  # still signed in: the forged logout failed
    assert Area.objects.count() == before


def test_the_session_cookie_is_http_only_same_site_and_ends_with_the_browser(world):
    client = Client()
    response = client.post("/accounts/login/", {
        "username": world.users[Role.GRID_WORKER].username, "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == "" and cookie["expires"] == ""  # gone with the browser
    assert client.session.get_expiry_age() == 30 * 60  # and idle for 30 minutes on the server


@pytest.mark.parametrize(("password", "ok"), [
    ("Qz7!Qz7!", False),        # 8 characters: too short (10 at least)
    ("qzxvbnmlkp", False),      # one class
    ("qzxvbnmlk7", False),      # two classes
    ("1234567890", False),      # numeric
    ("Password123", False),     # a common password
    ("Qzxvbnmlk7", True),       # lower, upper, digit
    ("qzx-vbn-mlk7", True),     # lower, symbol, digit
])
def test_passwords_are_long_and_mix_three_character_classes(db, password, ok):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    try:
        validate_password(password)
    except ValidationError:
        assert not ok, password
    else:
        assert ok, password

from datetime import timedelta

import pyotp
import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from civicgrid.accounts.models import Lockout, LoginFailure, TOTPDevice
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import (
    LoginOutcome,
    login_check_password,
    totp_begin_enrollment,
    totp_confirm,
)
from civicgrid.audit.models import AuditEntry
from civicgrid.conftest import PASSWORD
from civicgrid.core.crypto import decrypt_text
from civicgrid.testing import build_world, shared

# The two-street world (civicgrid/conftest.py), built once for this module and rolled back
# after each test (civicgrid/testing.py).
world_once, world = shared(build_world, name="world")


def _post_login(client, username, password, ip="10.1.2.3"):
    return client.post(reverse("accounts:login"), {"username": username, "password": password},
                       REMOTE_ADDR=ip)


def test_successful_sign_in_is_audited(world, client):
    user = world.users[Role.SUPERVISOR]
    response = _post_login(client, user.username, PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("core:home")
    entry = AuditEntry.objects.filter(event_type="auth.login").latest("id")
    assert entry.actor_id == user.pk and entry.success and entry.source_ip == "10.1.2.3"


def test_five_wrong_passwords_lock_the_account(world, client):
    user = world.users[Role.HANDLER]
    for attempt in range(1, 6):
        response = _post_login(client, user.username, "wrong-password")
        assert response.status_code == 200
        text = response.content.decode()
        assert ("已锁定至" in text) is (attempt == 5), attempt
    failures = AuditEntry.objects.filter(event_type="auth.login_failed",
                                         actor_username=user.username)
    assert failures.count() == 5 and not any(failures.values_list("success", flat=True))
    assert AuditEntry.objects.filter(event_type="auth.lockout",
                                     subject_repr=user.username).count() == 1
    # The right password during the lockout is refused, and that refusal is audited too.
    response = _post_login(client, user.username, PASSWORD)
    assert response.status_code == 200 and "已锁定至" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(event_type="auth.login_refused_locked").count() == 1


def test_lockout_applies_from_another_address_and_expires(world):
    user = world.users[Role.HANDLER]
    for _ in range(5):
        login_check_password(username=user.username, password="x", source_ip="10.0.0.1")
    result = login_check_password(username=user.username, password=PASSWORD,
                                  source_ip="10.9.9.9")
    assert result.outcome is LoginOutcome.LOCKED
    # Move the lockout and failures into the past: the account opens again.
    past = timezone.now() - timedelta(minutes=16)
    Lockout.objects.update(locked_at=past - timedelta(minutes=15), until=past)
    LoginFailure.objects.update(time=past - timedelta(minutes=1))
    result = login_check_password(username=user.username, password=PASSWORD,
                                  source_ip="10.9.9.9")
    assert result.outcome is LoginOutcome.OK and result.user == user


def test_failures_outside_the_window_do_not_count(world):
    user = world.users[Role.HANDLER]
    for _ in range(4):
        login_check_password(username=user.username, password="x", source_ip="10.0.0.1")
    LoginFailure.objects.update(time=timezone.now() - timedelta(minutes=16))
    login_check_password(username=user.username, password="x", source_ip="10.0.0.1")
    assert not Lockout.objects.exists()


@override_settings(LOGIN_ADDRESS_FAILURE_LIMIT=3)
def test_an_address_guessing_many_accounts_is_locked(world):
    for name in ("a1", "a2", "a3"):
        login_check_password(username=name, password="x", source_ip="10.6.6.6")
    assert Lockout.objects.filter(kind=Lockout.Kind.ADDRESS, key="10.6.6.6").exists()
    user = world.users[Role.SUPERVISOR]
    result = login_check_password(username=user.username, password=PASSWORD,
                                  source_ip="10.6.6.6")
    assert result.outcome is LoginOutcome.LOCKED


def test_unknown_usernames_behave_like_wrong_passwords(world, client):
    response = _post_login(client, "nobody", "whatever")
    assert response.status_code == 200
    assert "账号或密码不正确" in response.content.decode()


def test_session_idle_timeout_is_thirty_minutes_and_renewed(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


# --- second factor ----------------------------------------------------------------------

def _enrol(user) -> pyotp.TOTP:
    uri = totp_begin_enrollment(user=user)
    secret = pyotp.parse_uri(uri).secret
    totp = pyotp.TOTP(secret)
    totp_confirm(user=user, code=totp.now())
    return totp


def test_totp_secret_is_encrypted_at_rest(world):
    user = world.users[Role.AUDITOR]
    totp = _enrol(user)
    device = TOTPDevice.objects.get(user=user)
    assert totp.secret not in device.secret_encrypted
    assert decrypt_text(device.secret_encrypted) == totp.secret


def test_enrolled_user_needs_the_code(world):
    user = world.users[Role.SUPERVISOR]
    totp = _enrol(user)
    client = Client()
    response = _post_login(client, user.username, PASSWORD)
    assert response["Location"] == reverse("accounts:login_verify")
    assert "_auth_user_id" not in client.session
    wrong = client.post(reverse("accounts:login_verify"), {"code": "000000"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    assert LoginFailure.objects.filter(username=user.username).count() == 1
    # The code used at enrolment cannot be replayed; the next step's code works.
    at = timezone.now() + timedelta(seconds=30)
    ok = client.post(reverse("accounts:login_verify"), {"code": totp.at(at)})
    assert ok.status_code == 302 and client.session["_auth_user_id"] == str(user.pk)
    assert client.session["second_factor"] is True


@override_settings(TOTP_REQUIRED_FOR_PRIVILEGED=True)
@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.AUDITOR])
def test_privileged_roles_must_enrol_when_enforced(world, role):
    user = world.users[role]
    client = Client()
    response = _post_login(client, user.username, PASSWORD)
    assert response["Location"] == reverse("accounts:login_enroll")
    assert "_auth_user_id" not in client.session
    page = client.get(reverse("accounts:login_enroll"))
    secret = page.context["secret"]
    done = client.post(reverse("accounts:login_enroll"),
                       {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 302 and client.session["_auth_user_id"] == str(user.pk)
    assert TOTPDevice.objects.get(user=user).confirmed


@override_settings(TOTP_REQUIRED_FOR_PRIVILEGED=True)
def test_enforcement_leaves_other_roles_alone(world):
    user = world.users[Role.GRID_WORKER]
    client = Client()
    response = _post_login(client, user.username, PASSWORD)
    assert response["Location"] == reverse("core:home")


@override_settings(TOTP_REQUIRED_FOR_PRIVILEGED=True)
def test_privileged_session_without_second_factor_is_sent_to_enrol(world):
    client = Client()
    client.force_login(world.users[Role.ADMINISTRATOR])
    response = client.get(reverse("core:home"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:security")

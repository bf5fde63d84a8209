"""The second sign-in step under the lockout (issue 12, point 2): codes count into the same
per-account and per-address failures as passwords, a lockout is checked before any code,
a lockout that starts ends the pending sign-in, and a locked account never gets a session."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone

from civicgrid.accounts.models import Lockout, LoginFailure, TOTPDevice
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import (
    AccountLocked,
    LoginOutcome,
    login_check_password,
    login_check_second_factor,
    login_complete,
    totp_begin_enrollment,
    totp_confirm,
)
from civicgrid.accounts.views import PENDING_KEY
from civicgrid.audit.models import AuditEntry
from civicgrid.conftest import PASSWORD
from civicgrid.testing import build_world, shared

world_once, world = shared(build_world, name="world")

IP = "10.1.2.3"
WRONG = "000000"


def _enrol(user) -> pyotp.TOTP:
    totp = pyotp.TOTP(pyotp.parse_uri(totp_begin_enrollment(user=user)).secret)
    totp_confirm(user=user, code=totp.now())
    return totp


def _next_code(totp: pyotp.TOTP) -> str:
    """A valid code the device has not used yet (the enrolment used the current step)."""
    return totp.at(timezone.now() + timedelta(seconds=30))


def _at_second_step(user, ip: str = IP) -> Client:
    client = Client(REMOTE_ADDR=ip)
    response = client.post(reverse("accounts:login"),
                           {"username": user.username, "password": PASSWORD})
    assert response["Location"] == reverse("accounts:login_verify")
    return client


def _types(since: int) -> list[str]:
    return list(AuditEntry.objects.filter(id__gt=since).order_by("id")
                .values_list("event_type", flat=True))


def _mark() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_five_wrong_codes_lock_the_account_like_five_wrong_passwords(world):
    user = world.users[Role.SUPERVISOR]
    totp = _enrol(user)
    attacker, owner = _at_second_step(user), _at_second_step(user, ip="10.7.7.7")
    mark = _mark()
    verify = reverse("accounts:login_verify")
    for attempt in range(1, 5):
        response = attacker.post(verify, {"code": WRONG})
        assert response.status_code == 200, attempt
        assert "验证码不正确或已使用" in response.content.decode()
        assert not Lockout.objects.exists()
    fifth = attacker.post(verify, {"code": WRONG}, follow=True)
    [lock] = Lockout.objects.all()
    assert (lock.kind, lock.key) == ("account", user.username)
    until = timezone.localtime(lock.until).strftime("%H:%M")
    assert fifth.redirect_chain == [(reverse("accounts:login"), 302)]
    assert f"账号已锁定至 {until}" in fifth.content.decode()
    assert PENDING_KEY not in attacker.session and "_auth_user_id" not in attacker.session
    assert LoginFailure.objects.filter(username=user.username, source_ip=IP).count() == 5
    # The sixth try, with the RIGHT code from a session still at the second step, is
    # refused before the code is looked at: no session, the code is not used up.
    step = TOTPDevice.objects.get(user=user).last_used_step
    sixth = owner.post(verify, {"code": _next_code(totp)})
    assert sixth.status_code == 302 and sixth["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in owner.session and PENDING_KEY not in owner.session
    assert TOTPDevice.objects.get(user=user).last_used_step == step
    assert _types(mark) == ["auth.login_failed"] * 4 + [
        "auth.login_failed", "auth.lockout", "auth.login_refused_locked"]
    failed = AuditEntry.objects.filter(id__gt=mark, event_type="auth.login_failed")
    assert list(failed.values_list("details", flat=True)) == [{"reason": "bad_totp"}] * 5
    refused = AuditEntry.objects.get(id__gt=mark, event_type="auth.login_refused_locked")
    assert refused.details == {"kind": "account", "until": lock.until.isoformat(),
                               "step": "second_factor"}
    assert refused.success is False and refused.source_ip == "10.7.7.7"


def test_the_service_refuses_the_right_code_while_locked(world):
    user = world.users[Role.SUPERVISOR]
    totp = _enrol(user)
    for _ in range(5):
        result = login_check_second_factor(user=user, code=WRONG, source_ip=IP)
    assert result.outcome is LoginOutcome.LOCKED
    assert result.locked_until == Lockout.objects.get().until
    again = login_check_second_factor(user=user, code=_next_code(totp), source_ip="10.8.8.8")
    assert again.outcome is LoginOutcome.LOCKED and again.user is None


def test_a_lock_from_wrong_passwords_elsewhere_blocks_the_second_step(world):
    user = world.users[Role.SUPERVISOR]
    totp = _enrol(user)
    client = _at_second_step(user)
    for _ in range(5):
        login_check_password(username=user.username, password="wrong", source_ip="10.9.9.9")
    lock = Lockout.objects.get(kind="account", key=user.username)
    mark = _mark()
    response = client.post(reverse("accounts:login_verify"), {"code": _next_code(totp)},
                           follow=True)
    until = timezone.localtime(lock.until).strftime("%H:%M")
    assert f"账号已锁定至 {until}" in response.content.decode()
    assert "_auth_user_id" not in client.session and PENDING_KEY not in client.session
    assert _types(mark) == ["auth.login_refused_locked"]


@override_settings(LOGIN_ADDRESS_FAILURE_LIMIT=3)
def test_wrong_codes_count_per_address_too(world):
    user = world.users[Role.SUPERVISOR]
    other = world.users[Role.HANDLER]
    _enrol(user)
    client = _at_second_step(user)
    for _ in range(3):
        client.post(reverse("accounts:login_verify"), {"code": WRONG})
    assert list(Lockout.objects.values_list("kind", "key")) == [("address", IP)]
    assert PENDING_KEY not in client.session
    # The address is locked for everyone's password too.
    result = login_check_password(username=other.username, password=PASSWORD, source_ip=IP)
    assert result.outcome is LoginOutcome.LOCKED


@override_settings(TOTP_REQUIRED_FOR_PRIVILEGED=True)
def test_wrong_codes_at_enrolment_during_sign_in_lock_too(world):
    user = world.users[Role.ADMINISTRATOR]
    client = Client(REMOTE_ADDR=IP)
    response = client.post(reverse("accounts:login"),
                           {"username": user.username, "password": PASSWORD})
    assert response["Location"] == reverse("accounts:login_enroll")
    secret = client.get(reverse("accounts:login_enroll")).context["secret"]
    for _ in range(4):
        wrong = client.post(reverse("accounts:login_enroll"), {"code": WRONG})
        assert wrong.status_code == 200 and wrong.context["secret"] == secret
    fifth = client.post(reverse("accounts:login_enroll"), {"code": WRONG})
    assert fifth["Location"] == reverse("accounts:login")
    assert Lockout.objects.filter(kind="account", key=user.username).exists()
    assert LoginFailure.objects.filter(username=user.username).count() == 5
    # Even with the right code and a pending state restored, the enrolment is refused.
    session = client.session
    session[PENDING_KEY] = {"user_id": user.pk, "at": timezone.now().isoformat(), "next": "/"}
    session.save()
    refused = client.post(reverse("accounts:login_enroll"), {"code": pyotp.TOTP(secret).now()})
    assert refused["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client.session
    assert not TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def test_login_complete_refuses_a_locked_account(world):
    user = world.users[Role.HANDLER]
    for _ in range(5):
        login_check_password(username=user.username, password="wrong", source_ip="10.9.9.9")
    request = RequestFactory().post("/accounts/login/verify/", REMOTE_ADDR=IP)
    SessionMiddleware(lambda r: None).process_request(request)
    mark = _mark()
    with pytest.raises(AccountLocked) as refused:
        login_complete(request=request, user=user, second_factor=True, source_ip=IP)
    assert refused.value.until == Lockout.objects.get().until
    assert "_auth_user_id" not in request.session
    assert _types(mark) == ["auth.login_refused_locked"]

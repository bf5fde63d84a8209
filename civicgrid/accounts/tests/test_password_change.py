"""A person replaces the password someone else chose for them (issue 13, point 1): an
administrator's password (new account, reset, one-time password) must be changed before
anything else; the owner's change checks the current password like a sign-in (lockout
included), refuses a weak or unchanged one, keeps the session and ends the others."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse

from civicgrid.accounts.models import LoginFailure, User
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import (
    AccountLocked,
    password_change_own,
    user_create,
    user_onboard,
    user_set_password,
)
from civicgrid.audit.models import AuditEntry
from civicgrid.conftest import PASSWORD
from civicgrid.testing import build_world, shared

world_once, world = shared(build_world, name="world")

NEW = "Kept-to-myself-77"  # noqa: S105 (a test password)


def _mark() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _events(mark: int) -> list[str]:
    return list(AuditEntry.objects.filter(id__gt=mark).order_by("id")
                .values_list("event_type", flat=True))


def _state(user: User) -> tuple[str, bool]:
    return tuple(User.objects.filter(pk=user.pk).values_list(  # type: ignore[return-value]
        "password", "password_change_required").get())


def _required_user(world) -> User:
    """A grid worker whose password the administrator has just reset."""
    user = User.objects.get(pk=world.users[Role.GRID_WORKER].pk)
    user_set_password(user=user, password=PASSWORD, actor=world.users[Role.ADMINISTRATOR])
    return User.objects.get(pk=user.pk)


# --- who must change their password --------------------------------------------------------

def test_a_password_someone_else_chose_must_be_changed(world):
    admin = world.users[Role.ADMINISTRATOR]
    chosen = user_onboard(username="chosen", display_name="甲", password=PASSWORD,
                          roles=[Role.GRID_WORKER], area_codes=[], grid=world.grid_a1,
                          actor=admin)
    generated = user_onboard(username="generated", display_name="乙", password=None,
                             roles=[Role.HANDLER], area_codes=[world.street_a.code],
                             actor=admin)
    user_create(username="seeded", password=PASSWORD, actor=None)
    no_password = user_create(username="nopass", password=None, roles=[Role.LEADER],
                              area_codes=[world.street_a.code], actor=admin)
    assert [(u.username, u.password_change_required) for u in User.objects.filter(
        username__in=["chosen", "generated", "seeded", "nopass"]).order_by("username")] == [
        ("chosen", True), ("generated", True), ("nopass", False), ("seeded", False)]
    assert generated.one_time_password and chosen.one_time_password is None
    assert not no_password.has_usable_password()


def test_an_administrator_reset_requires_a_change(world):
    user = world.users[Role.GRID_WORKER]
    assert not User.objects.get(pk=user.pk).password_change_required
    mark = _mark()
    _required_user(world)
    assert User.objects.get(pk=user.pk).password_change_required
    assert _events(mark) == ["user.password_set"]


# --- the owner's change --------------------------------------------------------------------

def test_the_owner_changes_their_password_audited_once(world):
    user = _required_user(world)
    mark = _mark()
    password_change_own(user=user, current_password=PASSWORD, new_password=NEW,
                        source_ip="10.0.0.9")
    fresh = User.objects.get(pk=user.pk)
    assert fresh.check_password(NEW) and not fresh.check_password(PASSWORD)
    assert fresh.password_change_required is False
    [entry] = AuditEntry.objects.filter(id__gt=mark)
    assert (entry.event_type, entry.actor_id, entry.subject_id, entry.details) == (
        "user.password_changed", user.pk, str(user.pk), {"was_required": True})


@pytest.mark.parametrize(("current", "new", "field", "message"), [
    ("wrong-password", NEW, "current_password", "当前密码不正确。"),
    (PASSWORD, PASSWORD, "new_password", "新密码不能与当前密码相同。"),
    (PASSWORD, "12345678", "new_password", "这个密码太常见了。"),
    (PASSWORD, "short", "new_password", "密码太短:至少 10 个字符。"),
])
def test_a_refused_change_changes_nothing(world, current, new, field, message):
    user = _required_user(world)
    before = _state(user)
    failures = LoginFailure.objects.count()
    mark = _mark()
    with pytest.raises(ValidationError) as refused:
        password_change_own(user=user, current_password=current, new_password=new,
                            source_ip="10.0.0.9")
    assert message in refused.value.message_dict[field]
    assert _state(user) == before
    # Only a wrong current password counts, as a failed sign-in would.
    wrong = field == "current_password"
    assert LoginFailure.objects.count() == failures + wrong
    assert _events(mark) == (["auth.login_failed"] if wrong else [])


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_guessing_the_current_password_locks_the_account(world):
    user = _required_user(world)
    before = _state(user)
    for _ in range(2):
        with pytest.raises(ValidationError):
            password_change_own(user=user, current_password="guess", new_password=NEW,
                                source_ip="10.0.0.9")
    with pytest.raises(AccountLocked):
        password_change_own(user=user, current_password="guess", new_password=NEW,
                            source_ip="10.0.0.9")
    # Locked: even the right password changes nothing now.
    with pytest.raises(AccountLocked):
        password_change_own(user=user, current_password=PASSWORD, new_password=NEW,
                            source_ip="10.0.0.9")
    assert _state(user) == before


# --- the pages ------------------------------------------------------------------------------

def test_every_page_sends_a_required_change_to_the_security_page(world):
    user = _required_user(world)
    client = Client()
    client.force_login(user)
    for path in [reverse("core:home"), "/cases/", "/notices/", "/accounts/users/"]:
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (302, "/accounts/security/"), path
    page = client.get(reverse("accounts:security"))
    assert page.status_code == 200
    assert 'data-testid="password-change-required"' in page.content.decode()
    # Token clients and signing out are not held back.
    assert client.get("/api/v1/ping").status_code == 200
    assert client.post(reverse("accounts:logout")).status_code == 302


@override_settings(TOTP_REQUIRED_FOR_PRIVILEGED=True)
def test_a_privileged_account_must_change_and_enrol_without_a_loop(world):
    admin = User.objects.get(pk=world.users[Role.ADMINISTRATOR].pk)
    User.objects.filter(pk=admin.pk).update(password_change_required=True)
    client = Client()
    client.force_login(admin)
    assert client.get(reverse("core:home"))["Location"] == reverse("accounts:security")
    page = client.get(reverse("accounts:security"))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="password-change-form"' in body
    assert "<svg" in body  # and the second factor's enrolment QR code
    # Changing the password works from there (the change is under the enrolment's prefix).
    response = client.post(reverse("accounts:password_change"), {
        "current_password": PASSWORD, "new_password": NEW, "new_password_again": NEW})
    assert response["Location"] == reverse("accounts:security")
    assert not User.objects.get(pk=admin.pk).password_change_required


def test_the_change_page_keeps_this_session_and_ends_the_others(world):
    user = _required_user(world)
    here, elsewhere = Client(), Client()
    here.force_login(user)
    elsewhere.force_login(user)
    response = here.post(reverse("accounts:password_change"), {
        "current_password": PASSWORD, "new_password": NEW, "new_password_again": NEW})
    assert (response.status_code, response["Location"]) == (302, "/accounts/security/")
    assert here.get(reverse("core:home")).status_code == 200
    assert elsewhere.get(reverse("core:home"))["Location"].startswith("/accounts/login/")
    assert User.objects.get(pk=user.pk).check_password(NEW)


def test_the_change_page_refuses_with_the_message_and_changes_nothing(world):
    user = _required_user(world)
    before = _state(user)
    client = Client()
    client.force_login(user)
    mismatch = client.post(reverse("accounts:password_change"), {
        "current_password": PASSWORD, "new_password": NEW, "new_password_again": NEW + "x"})
    assert mismatch.status_code == 200  # the page again, with the message
    assert "两次输入的新密码不一致。" in mismatch.content.decode()
    wrong = client.post(reverse("accounts:password_change"), {
        "current_password": "nope", "new_password": NEW, "new_password_again": NEW})
    assert wrong.status_code == 200 and "当前密码不正确。" in wrong.content.decode()
    assert _state(user) == before


def test_the_change_page_needs_a_signed_in_post(world):
    url = reverse("accounts:password_change")
    anonymous = Client().post(url, {"current_password": PASSWORD})
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    client = Client()
    client.force_login(world.users[Role.GRID_WORKER])
    assert client.get(url).status_code == 405

"""Separation of duties (等保 2.0 三员分立; issue 12, point 5).

One administrator alone cannot take over a privileged account (an administrator's or the
auditor's password, second factor, active flag or roles), grant a privileged role, or
change their own roles: a second administrator approves a request, or the break-glass
command does it on the server. Every path is audited; every refusal changes nothing."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from civicgrid.accounts.models import (
    CredentialAction,
    CredentialChangeRequest,
    TOTPDevice,
    User,
    UserRole,
)
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import (
    ApprovalRequired,
    credential_change_approve,
    credential_change_reject,
    credential_change_request,
    totp_begin_enrollment,
    totp_reset,
    user_create,
    user_set_active,
    user_set_password,
    user_set_roles,
)
from civicgrid.accounts.tests.test_audit_events import _admin_user_form
from civicgrid.audit.models import AuditEntry
from civicgrid.conftest import PASSWORD
from civicgrid.testing import build_world, shared

world_once, world = shared(build_world, name="world")

NEW_PASSWORD = "Another-Passw0rd-77"  # noqa: S105


@pytest.fixture
def admin2(world) -> User:
    return user_create(username="t_admin2", password=PASSWORD, display_name="t_admin2",
                       roles=[Role.ADMINISTRATOR], actor=None)


def _enrolled(user: User) -> None:
    totp_begin_enrollment(user=user)
    TOTPDevice.objects.filter(user=user).update(confirmed_at=timezone.now())


def _mark() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _new(mark: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(id__gt=mark).order_by("id"))


def _roles(user: User) -> list[str]:
    return sorted(UserRole.objects.filter(user=user).values_list("role", flat=True))


def _state(user: User) -> tuple:
    """Everything a credential change could touch on `user`."""
    row = User.objects.get(pk=user.pk)
    device = TOTPDevice.objects.filter(user=user).values_list("pk", "secret_encrypted").first()
    return row.password, row.is_active, _roles(user), device


def _do(action: str, *, actor: User, user: User, roles: list[str] | None = None) -> None:
    if action == "set_password":
        user_set_password(user=user, password=NEW_PASSWORD, actor=actor)
    elif action == "reset_totp":
        totp_reset(user=user, actor=actor)
    elif action == "set_active":
        user_set_active(user=user, active=False, actor=actor)
    else:
        user_set_roles(user=user, roles=roles or [], actor=actor)


# --- the table: (actor, target, action, roles) → allowed or refused -----------------------

ADMIN, AUDITOR, OTHER_ADMIN, SELF, SUPERVISOR = (
    "administrator", "auditor", "another administrator", "self", "supervisor")
TABLE = [
    # actor   target       action          roles set                 allowed
    (ADMIN, AUDITOR,     "set_password", None,                       False),
    (ADMIN, AUDITOR,     "reset_totp",   None,                       False),
    (ADMIN, AUDITOR,     "set_active",   None,                       False),
    (ADMIN, AUDITOR,     "set_roles",    [Role.LEADER],              False),
    (ADMIN, AUDITOR,     "set_roles",    [],                         False),
    (ADMIN, OTHER_ADMIN, "set_password", None,                       False),
    (ADMIN, OTHER_ADMIN, "reset_totp",   None,                       False),
    (ADMIN, OTHER_ADMIN, "set_active",   None,                       False),
    (ADMIN, OTHER_ADMIN, "set_roles",    [],                         False),
    (ADMIN, SELF,        "set_roles",    [Role.ADMINISTRATOR, Role.SUPERVISOR], False),
    (ADMIN, SELF,        "set_roles",    [],                         False),
    (ADMIN, SELF,        "set_active",   None,                       False),
    (ADMIN, SELF,        "set_password", None,                       False),
    (ADMIN, SELF,        "reset_totp",   None,                       False),
    (ADMIN, SUPERVISOR,  "set_roles",    [Role.AUDITOR],             False),
    (ADMIN, SUPERVISOR,  "set_roles",    [Role.ADMINISTRATOR],       False),
    (ADMIN, SUPERVISOR,  "set_password", None,                       True),
    (ADMIN, SUPERVISOR,  "reset_totp",   None,                       True),
    (ADMIN, SUPERVISOR,  "set_active",   None,                       True),
    (ADMIN, SUPERVISOR,  "set_roles",    [Role.HANDLER],             True),
]


@pytest.mark.parametrize(("actor_name", "target_name", "action", "roles", "allowed"), TABLE)
def test_what_one_administrator_may_do(world, admin2, actor_name, target_name, action, roles,
                                       allowed):
    actor = world.users[Role.ADMINISTRATOR]
    target = {AUDITOR: world.users[Role.AUDITOR], OTHER_ADMIN: admin2, SELF: actor,
              SUPERVISOR: world.users[Role.SUPERVISOR]}[target_name]
    _enrolled(target)
    before, mark = _state(target), _mark()
    if not allowed:
        with pytest.raises(ApprovalRequired):
            _do(action, actor=actor, user=target, roles=roles)
        assert _state(target) == before
        assert _new(mark) == []
        return
    _do(action, actor=actor, user=target, roles=roles)
    password, active, held, device = _state(target)
    expected_type = {"set_password": "user.password_set", "reset_totp": "auth.totp_reset",
                     "set_active": "user.active_set", "set_roles": "user.roles_changed"}
    assert [(e.event_type, e.actor_id) for e in _new(mark)] == [(expected_type[action],
                                                                 actor.pk)]
    if action == "set_password":
        assert password != before[0] and authenticate(username=target.username,
                                                      password=NEW_PASSWORD) == target
    elif action == "reset_totp":
        assert device is None
    elif action == "set_active":
        assert active is False
    else:
        assert held == ["handler"]


@pytest.mark.parametrize("action", ["set_password", "reset_totp", "set_active", "set_roles"])
def test_non_administrators_are_refused_outright(world, action):
    target = world.users[Role.HANDLER]
    before, mark = _state(target), _mark()
    with pytest.raises(PermissionDenied):
        _do(action, actor=world.users[Role.AUDITOR], user=target, roles=[Role.SUPERVISOR])
    assert _state(target) == before and _new(mark) == []


def test_an_administrator_cannot_create_a_privileged_account_alone(world):
    count, mark = User.objects.count(), _mark()
    with pytest.raises(ApprovalRequired):
        user_create(username="puppet", password=PASSWORD, roles=[Role.ADMINISTRATOR],
                    actor=world.users[Role.ADMINISTRATOR])
    assert User.objects.count() == count and _new(mark) == []


# --- administrator and auditor are never one person ---------------------------------------

def test_administrator_and_auditor_roles_are_exclusive_everywhere(world, admin2):
    supervisor = world.users[Role.SUPERVISOR]
    both = [Role.ADMINISTRATOR, Role.AUDITOR]
    mark = _mark()
    with pytest.raises(ValidationError, match="不能由同一人兼任"):
        user_set_roles(user=supervisor, roles=both, actor=world.users[Role.ADMINISTRATOR])
    with pytest.raises(ValidationError, match="不能由同一人兼任"):
        user_create(username="both", password=None, roles=both, actor=None)
    with pytest.raises(ValidationError, match="不能由同一人兼任"):
        credential_change_request(user=supervisor, action=CredentialAction.SET_ROLES,
                                  roles=both, reason="合并岗位", actor=admin2)
    with pytest.raises(CommandError, match="不能由同一人兼任"):
        call_command("break_glass", supervisor.username, "--action", "set-roles",
                     "--role", "administrator", "--role", "auditor", "--reason", "x", "--yes",
                     stdout=io.StringIO(), stderr=io.StringIO())
    assert _roles(supervisor) == ["supervisor"]
    assert not User.objects.filter(username="both").exists()
    assert not CredentialChangeRequest.objects.exists() and _new(mark) == []


# --- the two-person rule ------------------------------------------------------------------

def test_a_second_administrator_approves_an_auditor_password_reset(world, admin2):
    admin, auditor = world.users[Role.ADMINISTRATOR], world.users[Role.AUDITOR]
    before = _state(auditor)
    mark = _mark()
    request = credential_change_request(user=auditor, action=CredentialAction.SET_PASSWORD,
                                        reason="审计员忘记密码,工单 2026-031", actor=admin)
    assert _state(auditor) == before  # asking changes nothing
    with pytest.raises(ApprovalRequired, match="申请人不能批准自己的申请"):
        credential_change_approve(request=request, actor=admin)
    assert _state(auditor) == before
    password = credential_change_approve(request=request, actor=admin2)
    assert password and authenticate(username=auditor.username, password=password) == auditor
    assert authenticate(username=auditor.username, password=PASSWORD) is None
    request.refresh_from_db()
    assert (request.status, request.decided_by) == ("applied", admin2)
    entries = _new(mark)
    assert [(e.event_type, e.actor_id) for e in entries] == [
        ("credential_change.requested", admin.pk), ("credential_change.approved", admin2.pk),
        ("user.password_set", admin2.pk)]
    assert entries[0].details == {"request": request.pk, "action": "set_password",
                                  "roles": [], "active": None,
                                  "reason": "审计员忘记密码,工单 2026-031"}
    assert entries[2].details == {"request": request.pk, "requested_by": "t_admin"}
    assert password not in str([e.details for e in entries])
    # Applied once: approving again is refused.
    with pytest.raises(ValidationError, match="已处理"):
        credential_change_approve(request=request, actor=admin2)


def test_own_roles_change_through_a_second_administrator(world, admin2):
    admin = world.users[Role.ADMINISTRATOR]
    request = credential_change_request(
        user=admin, action=CredentialAction.SET_ROLES, actor=admin,
        roles=[Role.ADMINISTRATOR, Role.SUPERVISOR], reason="兼任区综治中心调度")
    assert _roles(admin) == ["administrator"]
    credential_change_approve(request=request, actor=admin2)
    assert _roles(admin) == ["administrator", "supervisor"]
    roles_entry = AuditEntry.objects.filter(event_type="user.roles_changed").latest("id")
    assert roles_entry.actor_id == admin2.pk and roles_entry.details == {
        "before": ["administrator"], "after": ["administrator", "supervisor"],
        "granted": ["supervisor"], "revoked": [], "request": request.pk,
        "requested_by": "t_admin"}


def test_nobody_approves_a_change_to_their_own_account(world, admin2):
    admin = world.users[Role.ADMINISTRATOR]
    request = credential_change_request(user=admin, action=CredentialAction.RESET_TOTP,
                                        actor=admin2, reason="换手机")
    _enrolled(admin)
    before = _state(admin)
    with pytest.raises(ApprovalRequired, match="不能批准对本人账号的变更"):
        credential_change_approve(request=request, actor=admin)
    assert _state(admin) == before
    assert CredentialChangeRequest.objects.get().status == "pending"


def test_expired_and_rejected_requests_change_nothing(world, admin2):
    admin, auditor = world.users[Role.ADMINISTRATOR], world.users[Role.AUDITOR]
    before = _state(auditor)
    old = credential_change_request(user=auditor, action=CredentialAction.SET_ACTIVE,
                                    active=False, reason="离职", actor=admin)
    CredentialChangeRequest.objects.filter(pk=old.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1),
        requested_at=timezone.now() - timedelta(days=1))
    with pytest.raises(ValidationError, match="已过期"):
        credential_change_approve(request=old, actor=admin2)
    rejected = credential_change_request(user=auditor, action=CredentialAction.SET_ACTIVE,
                                         active=False, reason="离职", actor=admin)
    credential_change_reject(request=rejected, actor=admin2)
    with pytest.raises(ValidationError, match="已处理"):
        credential_change_approve(request=rejected, actor=admin2)
    assert _state(auditor) == before
    assert AuditEntry.objects.filter(event_type="credential_change.rejected").count() == 1


def test_the_database_refuses_a_request_applied_by_its_requester(world, admin2):
    request = credential_change_request(user=world.users[Role.AUDITOR], reason="x",
                                        action=CredentialAction.RESET_TOTP, actor=admin2)
    with pytest.raises(IntegrityError), transaction.atomic():
        CredentialChangeRequest.objects.filter(pk=request.pk).update(
            status="applied", decided_by=admin2, decided_at=timezone.now())


# --- break-glass --------------------------------------------------------------------------

def _break_glass(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("break_glass", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_break_glass_resets_the_auditors_second_factor_and_audits_it(world):
    auditor = world.users[Role.AUDITOR]
    _enrolled(auditor)
    mark = _mark()
    out, err = _break_glass(auditor.username, "--action", "reset-totp",
                            "--reason", "唯一管理员手机丢失,工单 7", "--yes")
    assert "BREAK-GLASS" in err and "Done: reset-totp on t_auditor." in out
    assert not TOTPDevice.objects.filter(user=auditor).exists()
    glass, reset = _new(mark)
    assert (glass.event_type, glass.actor_id, glass.actor_username, glass.source_ip) == (
        "auth.break_glass", None, "break_glass", "127.0.0.1")
    assert glass.subject_id == str(auditor.pk)
    assert glass.details["severity"] == "high"
    assert glass.details["reason"] == "唯一管理员手机丢失,工单 7"
    assert glass.details["action"] == "reset_totp" and glass.details["operator"]
    assert (reset.event_type, reset.actor_username, reset.details) == (
        "auth.totp_reset", "break_glass", {"had": True, "break_glass": glass.pk})


def test_break_glass_password_reset_prints_a_one_time_password(world):
    admin = world.users[Role.ADMINISTRATOR]
    out, _err = _break_glass(admin.username, "--action", "set-password", "--reason", "锁死",
                             "--yes")
    password = out.split("One-time password (hand it over in person): ")[1].strip()
    assert authenticate(username=admin.username, password=password) == admin


def test_break_glass_refuses_without_a_terminal_or_a_reason(world, monkeypatch):
    auditor = world.users[Role.AUDITOR]
    _enrolled(auditor)
    before, mark = _state(auditor), _mark()
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(CommandError, match="without a terminal"):
        _break_glass(auditor.username, "--action", "reset-totp", "--reason", "x")
    with pytest.raises(CommandError, match="--reason must say why"):
        _break_glass(auditor.username, "--action", "reset-totp", "--reason", "  ", "--yes")
    with pytest.raises(CommandError, match="No account"):
        _break_glass("nobody", "--action", "reset-totp", "--reason", "x", "--yes")
    assert _state(auditor) == before and _new(mark) == []


# --- the admin site goes through the same rule --------------------------------------------

@pytest.fixture
def admin_client(world) -> Client:
    client = Client()
    client.force_login(world.users[Role.ADMINISTRATOR])
    return client


def test_admin_site_password_form_refuses_the_auditor(world, admin_client):
    auditor = world.users[Role.AUDITOR]
    before, mark = _state(auditor), _mark()
    url = reverse("admin:auth_user_password_change", args=[auditor.pk])
    response = admin_client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
                                       "usable_password": "true"}, follow=True)
    assert response.redirect_chain == [
        (reverse("admin:accounts_user_change", args=[auditor.pk]), 302)]
    assert "三员分立" in response.content.decode()
    assert _state(auditor) == before and _new(mark) == []
    assert authenticate(username=auditor.username, password=NEW_PASSWORD) is None


def test_admin_site_change_form_cannot_touch_the_auditors_roles_or_active_flag(
        world, admin_client):
    auditor = world.users[Role.AUDITOR]
    url = reverse("admin:accounts_user_change", args=[auditor.pk])
    page = admin_client.get(url)
    assert "roles" not in page.context["adminform"].form.fields
    assert "is_active" not in page.context["adminform"].form.fields
    before = _state(auditor)
    data = _admin_user_form(auditor, [Role.HANDLER])
    data.pop("is_active")  # unticked: would disable the account
    response = admin_client.post(url, data)
    assert response.status_code == 302
    assert _state(auditor) == before
    assert not AuditEntry.objects.filter(event_type__in=["user.roles_changed",
                                                         "user.active_set"]).exists()


def test_admin_site_refuses_own_roles_and_granting_privileged_roles(world, admin_client):
    admin, supervisor = world.users[Role.ADMINISTRATOR], world.users[Role.SUPERVISOR]
    own = reverse("admin:accounts_user_change", args=[admin.pk])
    assert "roles" not in admin_client.get(own).context["adminform"].form.fields
    admin_client.post(own, _admin_user_form(admin, [Role.ADMINISTRATOR, Role.AUDITOR]))
    assert _roles(admin) == ["administrator"]
    mark = _mark()
    url = reverse("admin:accounts_user_change", args=[supervisor.pk])
    response = admin_client.post(url, _admin_user_form(supervisor, [Role.AUDITOR]))
    assert response.status_code == 200
    assert "三员分立" in str(response.context["adminform"].form.errors["roles"])
    assert _roles(supervisor) == ["supervisor"] and _new(mark) == []


def test_admin_site_totp_reset_action_refuses_the_auditor(world, admin_client):
    auditor, supervisor = world.users[Role.AUDITOR], world.users[Role.SUPERVISOR]
    _enrolled(auditor)
    _enrolled(supervisor)
    response = admin_client.post(reverse("admin:accounts_user_changelist"), {
        "action": "reset_second_factor", "_selected_action": [auditor.pk, supervisor.pk]},
        follow=True)
    text = response.content.decode()
    assert "已重置两步验证:t_supervisor" in text and "未重置:t_auditor" in text
    assert TOTPDevice.objects.filter(user=auditor).exists()
    assert not TOTPDevice.objects.filter(user=supervisor).exists()


def test_admin_site_cannot_delete_the_auditor(world, admin_client):
    auditor = world.users[Role.AUDITOR]
    response = admin_client.post(reverse("admin:accounts_user_delete", args=[auditor.pk]),
                                 {"post": "yes"})
    assert response.status_code == 403
    assert User.objects.filter(pk=auditor.pk).exists()


def test_admin_site_request_and_second_administrator_approval(world, admin2, admin_client):
    auditor = world.users[Role.AUDITOR]
    response = admin_client.post(reverse("admin:accounts_credentialchangerequest_add"), {
        "target": auditor.pk, "action": "set_password", "roles": [], "active": "",
        "reason": "忘记密码"})
    assert response.status_code == 302
    request = CredentialChangeRequest.objects.get()
    assert (request.requested_by, request.status) == (world.users[Role.ADMINISTRATOR],
                                                      "pending")
    changelist = reverse("admin:accounts_credentialchangerequest_changelist")
    # The requester's own approval is refused ...
    admin_client.post(changelist, {"action": "approve_requests",
                                   "_selected_action": [request.pk]})
    request.refresh_from_db()
    assert request.status == "pending"
    # ... the second administrator's applies it and shows the password once, uncached.
    second = Client()
    second.force_login(admin2)
    page = second.post(changelist, {"action": "approve_requests",
                                    "_selected_action": [request.pk]})
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    [(user, password)] = page.context["passwords"]
    assert user == auditor
    assert authenticate(username=auditor.username, password=password) == auditor
    request.refresh_from_db()
    assert (request.status, request.decided_by) == ("applied", admin2)


def test_admin_site_request_form_explains_a_bad_request(world, admin_client):
    response = admin_client.post(reverse("admin:accounts_credentialchangerequest_add"), {
        "target": world.users[Role.SUPERVISOR].pk, "action": "set_roles",
        "roles": [Role.ADMINISTRATOR, Role.AUDITOR], "active": "", "reason": "x"})
    assert response.status_code == 200
    assert "不能由同一人兼任" in response.content.decode()
    assert not CredentialChangeRequest.objects.exists()

"""The security actions of accounts each write exactly one audit entry of their own type,
naming who acted, on whom, and what changed (等保 2.0 安全审计)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from civicgrid.accounts.models import TOTPDevice, User, UserRole
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import totp_begin_enrollment, totp_reset, user_set_roles
from civicgrid.audit.models import AuditEntry
from civicgrid.testing import build_world, shared

# The two-street world (civicgrid/conftest.py), built once for this module and rolled back
# after each test (civicgrid/testing.py).
world_once, world = shared(build_world, name="world")


def new_entries(mark: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(id__gt=mark).order_by("id"))


def last_id() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def roles_of(user: User) -> list[str]:
    return sorted(UserRole.objects.filter(user=user).values_list("role", flat=True))


def assert_entry(entry: AuditEntry, *, event_type: str, actor: User, subject: User,
                 details: dict) -> None:
    assert (entry.event_type, entry.actor_id, entry.actor_username) == (
        event_type, actor.pk, actor.username)
    assert (entry.subject_type, entry.subject_id, entry.subject_repr) == (
        "accounts.user", str(subject.pk), str(subject))
    assert entry.success is True
    assert entry.details == details


# --- logout -------------------------------------------------------------------------------

def test_logout_writes_one_entry_and_ends_the_session(world):
    user = world.users[Role.HANDLER]
    client = Client()
    client.force_login(user)
    mark = last_id()
    response = client.post(reverse("accounts:logout"), REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client.session
    [entry] = new_entries(mark)
    assert_entry(entry, event_type="auth.logout", actor=user, subject=user, details={})
    assert entry.source_ip == "10.1.2.3"


def test_logout_by_get_is_refused_and_writes_nothing(world):
    user = world.users[Role.HANDLER]
    client = Client()
    client.force_login(user)
    mark = last_id()
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.session["_auth_user_id"] == str(user.pk)
    assert new_entries(mark) == []


# --- second factor reset ------------------------------------------------------------------

def _enrolled(user: User) -> TOTPDevice:
    totp_begin_enrollment(user=user)
    TOTPDevice.objects.filter(user=user).update(confirmed_at="2026-01-05T08:00:00+08:00")
    return TOTPDevice.objects.get(user=user)


def test_totp_reset_writes_one_entry(world):
    admin, user = world.users[Role.ADMINISTRATOR], world.users[Role.SUPERVISOR]
    _enrolled(user)
    mark = last_id()
    totp_reset(user=user, actor=admin)
    assert not TOTPDevice.objects.filter(user=user).exists()
    [entry] = new_entries(mark)
    assert_entry(entry, event_type="auth.totp_reset", actor=admin, subject=user,
                 details={"had": True})


def test_totp_reset_of_a_user_without_a_device_says_so(world):
    admin, user = world.users[Role.ADMINISTRATOR], world.users[Role.SUPERVISOR]
    mark = last_id()
    totp_reset(user=user, actor=admin)
    [entry] = new_entries(mark)
    assert_entry(entry, event_type="auth.totp_reset", actor=admin, subject=user,
                 details={"had": False})


def test_totp_reset_from_the_admin_writes_one_reset_entry(world):
    admin, user = world.users[Role.ADMINISTRATOR], world.users[Role.SUPERVISOR]
    _enrolled(user)
    client = Client()
    client.force_login(admin)
    mark = last_id()
    response = client.post(reverse("admin:accounts_user_changelist"), {
        "action": "reset_second_factor", "_selected_action": [user.pk]})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    [entry] = new_entries(mark)
    assert_entry(entry, event_type="auth.totp_reset", actor=admin, subject=user,
                 details={"had": True})


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMINISTRATOR])
def test_totp_reset_refused_changes_nothing(world, role):
    user = world.users[Role.SUPERVISOR]
    device = _enrolled(user)
    mark = last_id()
    with pytest.raises(PermissionDenied):
        totp_reset(user=user, actor=world.users[role])
    assert TOTPDevice.objects.get(user=user) == device
    assert new_entries(mark) == []


# --- roles --------------------------------------------------------------------------------

def test_granting_a_role_writes_one_entry_with_before_and_after(world):
    admin, user = world.users[Role.ADMINISTRATOR], world.users[Role.HANDLER]
    mark = last_id()
    user_set_roles(user=user, roles=[Role.HANDLER, Role.SUPERVISOR], actor=admin)
    assert roles_of(user) == ["handler", "supervisor"]
    [entry] = new_entries(mark)
    assert_entry(entry, event_type="user.roles_changed", actor=admin, subject=user, details={
        "before": ["handler"], "after": ["handler", "supervisor"],
        "granted": ["supervisor"], "revoked": []})


def test_revoking_a_role_writes_one_entry_with_before_and_after(world):
    admin, user = world.users[Role.ADMINISTRATOR], world.users[Role.HANDLER]
    user_set_roles(user=user, roles=[Role.HANDLER, Role.SUPERVISOR], actor=admin)
    mark = last_id()
    user_set_roles(user=user, roles=[Role.SUPERVISOR], actor=admin)
    assert roles_of(user) == ["supervisor"]
    [entry] = new_entries(mark)
    assert_entry(entry, event_type="user.roles_changed", actor=admin, subject=user, details={
        "before": ["handler", "supervisor"], "after": ["supervisor"],
        "granted": [], "revoked": ["handler"]})


def test_setting_the_same_roles_writes_nothing(world):
    admin, user = world.users[Role.ADMINISTRATOR], world.users[Role.HANDLER]
    mark = last_id()
    user_set_roles(user=user, roles=[Role.HANDLER], actor=admin)
    assert roles_of(user) == ["handler"]
    assert new_entries(mark) == []


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMINISTRATOR])
def test_role_change_refused_changes_nothing(world, role):
    user = world.users[Role.HANDLER]
    mark = last_id()
    with pytest.raises(PermissionDenied):
        user_set_roles(user=user, roles=[Role.ADMINISTRATOR], actor=world.users[role])
    assert roles_of(user) == ["handler"]
    assert new_entries(mark) == []


def _admin_user_form(user: User, roles: list[str]) -> dict:
    """The admin's change form of `user` as the page posts it, with these roles ticked."""
    jurisdictions = list(user.jurisdictions.all())
    data = {
        "username": user.username, "display_name": user.display_name, "phone": user.phone,
        "email": user.email, "is_active": "on", "roles": roles,
        "jurisdictions-TOTAL_FORMS": str(len(jurisdictions)),
        "jurisdictions-INITIAL_FORMS": str(len(jurisdictions)),
        "jurisdictions-MIN_NUM_FORMS": "0", "jurisdictions-MAX_NUM_FORMS": "1000",
    }
    for i, j in enumerate(jurisdictions):
        data[f"jurisdictions-{i}-id"] = str(j.pk)
        data[f"jurisdictions-{i}-user"] = str(user.pk)
        data[f"jurisdictions-{i}-area"] = str(j.area_id)
    return data


def test_role_change_in_the_admin_writes_one_roles_changed_entry(world):
    admin, user = world.users[Role.ADMINISTRATOR], world.users[Role.HANDLER]
    client = Client()
    client.force_login(admin)
    url = reverse("admin:accounts_user_change", args=[user.pk])
    page = client.get(url)
    assert page.context["adminform"].form["roles"].value() == ["handler"]
    mark = last_id()
    response = client.post(url, _admin_user_form(user, ["supervisor"]))
    assert response.status_code == 302, response.context and response.context["errors"]
    assert roles_of(user) == ["supervisor"]
    entries = new_entries(mark)
    changed = [e for e in entries if e.event_type == "user.roles_changed"]
    assert len(changed) == 1
    assert_entry(changed[0], event_type="user.roles_changed", actor=admin, subject=user,
                 details={"before": ["handler"], "after": ["supervisor"],
                          "granted": ["supervisor"], "revoked": ["handler"]})
    # The admin's own record of the form stays too; nothing else is written.
    assert sorted(e.event_type for e in entries) == ["admin.change", "user.roles_changed"]


def test_saving_the_admin_form_without_role_changes_writes_no_roles_entry(world):
    admin, user = world.users[Role.ADMINISTRATOR], world.users[Role.HANDLER]
    client = Client()
    client.force_login(admin)
    mark = last_id()
    data = _admin_user_form(user, ["handler"])
    data["display_name"] = "新名字"
    response = client.post(reverse("admin:accounts_user_change", args=[user.pk]), data)
    assert response.status_code == 302
    assert roles_of(user) == ["handler"]
    assert [e.event_type for e in new_entries(mark)] == ["admin.change"]

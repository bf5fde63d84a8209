"""Administrators set up people from the web (issue 13, point 1): the services behind the
user pages (jurisdictions, unit memberships, the one-step onboarding) and the pages that
call them. Every allowed change is audited; every refusal changes nothing and writes
nothing; the pages show the service's own message (三员分立 included)."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from civicgrid.accounts.models import TOTPDevice, User, UserJurisdiction, UserRole
from civicgrid.accounts.roles import PERMISSIONS, Role
from civicgrid.accounts.services import (
    ApprovalRequired,
    totp_begin_enrollment,
    user_onboard,
    user_set_jurisdictions,
)
from civicgrid.areas.models import GridAssignment
from civicgrid.audit.models import AuditEntry
from civicgrid.conftest import PASSWORD
from civicgrid.testing import build_world, shared
from civicgrid.units.models import UnitMembership
from civicgrid.units.services import unit_remove_member

world_once, world = shared(build_world, name="world")


def _mark() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _new(mark: int) -> list[tuple[str, str]]:
    return [(e.event_type, e.actor_username)
            for e in AuditEntry.objects.filter(id__gt=mark).order_by("id")]


def _areas(user: User) -> list[str]:
    return sorted(UserJurisdiction.objects.filter(user=user).values_list("area__code", flat=True))


def _people() -> tuple[int, int, int, int]:
    """Rows every onboarding refusal must leave alone."""
    return (User.objects.count(), UserRole.objects.count(), UnitMembership.objects.count(),
            GridAssignment.objects.count())


@pytest.fixture
def user_changing_supervisor(world, monkeypatch):
    """A street-A supervisor who (for this test only) may change users: the scope rule of
    `user_set_jurisdictions` is tested with an actor whose scope is not the whole
    deployment (administrators' is)."""
    monkeypatch.setitem(PERMISSIONS, Role.SUPERVISOR,
                        PERMISSIONS[Role.SUPERVISOR] | {"accounts.user.change"})
    return User.objects.get(pk=world.users[Role.SUPERVISOR].pk)


# --- user_set_jurisdictions ---------------------------------------------------------------

def test_an_administrator_sets_jurisdictions_audited_once(world):
    admin, worker = world.users[Role.ADMINISTRATOR], world.users[Role.GRID_WORKER]
    mark = _mark()
    user_set_jurisdictions(user=worker, areas=[world.grid_a2, world.community_a], actor=admin)
    assert _areas(worker) == ["320602001001", "320602001001002"]
    [entry] = AuditEntry.objects.filter(id__gt=mark)
    assert (entry.event_type, entry.actor_username, entry.subject_id) == (
        "user.jurisdictions_changed", "t_admin", str(worker.pk))
    assert entry.details == {"before": ["320602001001001"],
                             "after": ["320602001001", "320602001001002"],
                             "granted": ["320602001001", "320602001001002"],
                             "revoked": ["320602001001001"]}
    # The same areas again: nothing to change, nothing written.
    mark = _mark()
    user_set_jurisdictions(user=worker, areas=[world.community_a, world.grid_a2], actor=admin)
    assert _new(mark) == []


GRANT_A2, GRANT_B1, TAKE_B1, NO_PERMISSION = (
    "grant grid A2", "grant grid B1", "take away grid B1", "no permission")


@pytest.mark.parametrize(("change", "allowed"), [
    (GRANT_A2, True),        # within the actor's street A
    (GRANT_B1, False),       # street B: outside the actor's scope
    (TAKE_B1, False),        # taking away an area outside the scope is refused too
    (NO_PERMISSION, False),  # a grid worker may not change users at all
])
def test_only_areas_within_the_actors_scope(world, user_changing_supervisor, change, allowed):
    actor = world.users[Role.GRID_WORKER] if change == NO_PERMISSION \
        else user_changing_supervisor
    target = world.outsider if change == TAKE_B1 else world.users[Role.GRID_WORKER]
    wanted = {GRANT_A2: [world.grid_a2], GRANT_B1: [world.grid_b1], TAKE_B1: [],
              NO_PERMISSION: [world.grid_a1, world.grid_a2]}[change]
    before, mark = _areas(target), _mark()
    if allowed:
        user_set_jurisdictions(user=target, areas=wanted, actor=actor)
        assert _areas(target) == ["320602001001002"]
        assert _new(mark) == [("user.jurisdictions_changed", "t_supervisor")]
        return
    with pytest.raises(PermissionDenied) as refused:
        user_set_jurisdictions(user=target, areas=wanted, actor=actor)
    assert _areas(target) == before
    assert _new(mark) == []
    if change != NO_PERMISSION:
        assert "320602002001001" in str(refused.value)


# --- unit_remove_member -------------------------------------------------------------------

def test_removing_a_member_is_audited_and_a_second_removal_writes_nothing(world):
    admin, handler = world.users[Role.ADMINISTRATOR], world.users[Role.HANDLER]
    mark = _mark()
    assert unit_remove_member(unit=world.unit_a, user=handler, actor=admin) is True
    assert not UnitMembership.objects.filter(unit=world.unit_a, user=handler).exists()
    [entry] = AuditEntry.objects.filter(id__gt=mark)
    assert (entry.event_type, entry.actor_username, entry.subject_id) == (
        "unit.member_removed", "t_admin", str(world.unit_a.pk))
    assert entry.details == {"user": "t_handler", "title": "", "is_leader": False}
    mark = _mark()
    assert unit_remove_member(unit=world.unit_a, user=handler, actor=admin) is False
    assert _new(mark) == []


def test_removing_a_member_without_permission_changes_nothing(world):
    handler = world.users[Role.HANDLER]
    mark = _mark()
    with pytest.raises(PermissionDenied):
        unit_remove_member(unit=world.unit_a, user=handler, actor=world.users[Role.SUPERVISOR])
    assert UnitMembership.objects.filter(unit=world.unit_a, user=handler).exists()
    assert _new(mark) == []


# --- user_onboard -------------------------------------------------------------------------

def test_onboard_a_grid_worker_with_a_grid_and_a_generated_password(world):
    admin = world.users[Role.ADMINISTRATOR]
    mark = _mark()
    done = user_onboard(username="gw_new", display_name="王网格", password=None,
                        roles=[Role.GRID_WORKER], area_codes=[], grid=world.grid_a2,
                        actor=admin)
    user = done.user
    assert done.one_time_password is not None
    assert authenticate(username="gw_new", password=done.one_time_password) == user
    assert _areas(user) == ["320602001001002"]  # the grid itself
    assert list(GridAssignment.objects.filter(user=user).values_list(
        "grid__code", "position__code")) == [("320602001001002", "grid_worker")]
    assert _new(mark) == [("user.created", "t_admin"), ("grid.staff_assigned", "t_admin")]


def test_onboard_a_mediator_with_a_unit(world):
    admin = world.users[Role.ADMINISTRATOR]
    mark = _mark()
    done = user_onboard(username="med_new", display_name="李调解", password=PASSWORD,
                        roles=[Role.HANDLER], area_codes=[world.street_a.code],
                        units=[world.unit_a], actor=admin)
    assert done.one_time_password is None
    assert authenticate(username="med_new", password=PASSWORD) == done.user
    assert list(UnitMembership.objects.filter(user=done.user).values_list(
        "unit__code", flat=True)) == ["320602001-tjw"]
    assert _new(mark) == [("user.created", "t_admin"), ("unit.member_added", "t_admin")]


@pytest.mark.parametrize(("case", "error"), [
    ("privileged role", ApprovalRequired),
    ("grid outside the jurisdiction", ValidationError),
    ("a community given as the grid", ValidationError),  # refused after the account exists
    ("taken username", ValidationError),
    ("no permission", PermissionDenied),
])
def test_onboard_refusals_create_nothing(world, case, error):
    kwargs = {"username": "someone", "display_name": "某人", "password": PASSWORD,
              "roles": [Role.GRID_WORKER], "area_codes": [world.street_a.code],
              "actor": world.users[Role.ADMINISTRATOR]}
    if case == "privileged role":
        kwargs["roles"] = [Role.AUDITOR]
    elif case == "grid outside the jurisdiction":
        kwargs |= {"area_codes": [world.street_b.code], "grid": world.grid_a1}
    elif case == "a community given as the grid":
        kwargs |= {"grid": world.community_a}
    elif case == "taken username":
        kwargs |= {"username": "t_grid"}
    else:
        kwargs |= {"actor": world.users[Role.SUPERVISOR]}
    before, mark = _people(), _mark()
    with pytest.raises(error):
        user_onboard(units=[world.unit_a], **kwargs)
    assert _people() == before
    assert _new(mark) == []


# --- the pages ----------------------------------------------------------------------------

def _admin_client(world) -> Client:
    client = Client()
    client.force_login(world.users[Role.ADMINISTRATOR])
    return client


def test_new_user_page_creates_a_grid_worker_and_shows_the_password_once(world):
    client = _admin_client(world)
    page = client.get(reverse("accounts:user_new"))
    assert page.status_code == 200
    assert f'value="{world.grid_a2.code}"'.encode() in page.content
    response = client.post(reverse("accounts:user_new"), {
        "username": "gw_page", "display_name": "赵网格", "password": "",
        "roles": [Role.GRID_WORKER], "grid": world.grid_a2.code, "position": "grid_worker"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    user = User.objects.get(username="gw_page")
    password = response.context["password"]
    assert password.encode() in response.content
    assert authenticate(username="gw_page", password=password) == user
    assert _areas(user) == ["320602001001002"]
    assert GridAssignment.objects.filter(user=user, grid=world.grid_a2).exists()


def test_new_user_page_shows_the_separation_of_duties_refusal(world):
    client = _admin_client(world)
    before = _people()
    response = client.post(reverse("accounts:user_new"), {
        "username": "aud2", "display_name": "审计", "password": PASSWORD,
        "roles": [Role.AUDITOR]})
    assert response.status_code == 200
    assert str(ApprovalRequired().args[0]) in response.content.decode()
    assert _people() == before


def test_user_page_edits_roles_areas_units_grids_and_active(world):
    client = _admin_client(world)
    worker = world.users[Role.GRID_WORKER]
    pk = worker.pk

    def post(name, data):
        response = client.post(reverse(f"accounts:{name}", args=[pk]), data)
        assert response.status_code == 302, name
        assert response["Location"] == reverse("accounts:user_detail", args=[pk])

    post("user_roles", {"roles": [Role.GRID_WORKER, Role.HANDLER]})
    post("user_jurisdictions", {"areas": [world.street_a.code]})
    post("user_unit_add", {"unit": world.unit_a.pk, "title": "调解员"})
    post("user_grid_add", {"grid": world.grid_a2.code, "position": "grid_worker"})
    post("user_active", {"active": "0"})
    worker.refresh_from_db()
    assert sorted(UserRole.objects.filter(user=worker).values_list("role", flat=True)) == [
        "grid_worker", "handler"]
    assert _areas(worker) == ["320602001"]
    assert list(UnitMembership.objects.filter(user=worker).values_list("unit_id", "title")) \
        == [(world.unit_a.pk, "调解员")]
    assert sorted(GridAssignment.objects.filter(user=worker).values_list(
        "grid__code", flat=True)) == ["320602001001002"]
    assert worker.is_active is False
    assignment = GridAssignment.objects.get(user=worker)
    post("user_grid_remove", {"pk": assignment.pk})
    post("user_unit_remove", {"pk": world.unit_a.pk})
    assert not GridAssignment.objects.filter(user=worker).exists()
    assert not UnitMembership.objects.filter(user=worker).exists()


def test_user_page_resets_the_second_factor_of_a_staff_member(world):
    client = _admin_client(world)
    handler = world.users[Role.HANDLER]
    totp_begin_enrollment(user=handler)
    TOTPDevice.objects.filter(user=handler).update(confirmed_at=timezone.now())
    mark = _mark()
    response = client.post(reverse("accounts:user_totp_reset", args=[handler.pk]))
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=handler).exists()
    assert _new(mark) == [("auth.totp_reset", "t_admin")]


def test_user_page_resets_a_password_to_a_one_time_password(world):
    client = _admin_client(world)
    handler = world.users[Role.HANDLER]
    response = client.post(reverse("accounts:user_password", args=[handler.pk]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert authenticate(username="t_handler", password=response.context["password"]) == handler
    assert authenticate(username="t_handler", password=PASSWORD) is None


@pytest.mark.parametrize("name", ["user_password", "user_totp_reset", "user_active",
                                  "user_roles"])
def test_user_page_refuses_the_auditors_account_and_links_to_a_request(world, name):
    client = _admin_client(world)
    auditor = world.users[Role.AUDITOR]
    before = (User.objects.get(pk=auditor.pk).password, auditor.is_active,
              sorted(UserRole.objects.filter(user=auditor).values_list("role", flat=True)))
    mark = _mark()
    data = {"active": "0"} if name == "user_active" else {"roles": [Role.LEADER]}
    response = client.post(reverse(f"accounts:{name}", args=[auditor.pk]), data, follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert str(ApprovalRequired().args[0]) in text
    assert 'data-testid="approval-link"' in text
    assert reverse("admin:accounts_credentialchangerequest_add") + f"?target={auditor.pk}" in text
    after_user = User.objects.get(pk=auditor.pk)
    assert (after_user.password, after_user.is_active, sorted(
        UserRole.objects.filter(user=auditor).values_list("role", flat=True))) == before
    assert _new(mark) == []


def test_only_administrators_see_the_edit_forms(world):
    client = Client()
    client.force_login(world.users[Role.SUPERVISOR])
    page = client.get(reverse("accounts:user_detail", args=[world.users[Role.GRID_WORKER].pk]))
    assert page.status_code == 200
    assert b'data-testid="edit-roles"' not in page.content
    assert b'data-testid="user-new"' not in client.get(reverse("accounts:user_list")).content
    admin_page = _admin_client(world).get(
        reverse("accounts:user_detail", args=[world.users[Role.GRID_WORKER].pk]))
    assert b'data-testid="edit-roles"' in admin_page.content


def test_a_bad_post_changes_nothing_and_says_why(world):
    client = _admin_client(world)
    worker = world.users[Role.GRID_WORKER]
    mark = _mark()
    response = client.post(reverse("accounts:user_grid_add", args=[worker.pk]),
                           {"grid": "999", "position": "grid_worker"}, follow=True)
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] != []
    assert list(GridAssignment.objects.filter(user=worker).values_list("grid__code", flat=True)) \
        == []
    assert _new(mark) == []

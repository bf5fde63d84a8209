"""API tokens: create, revoke, authenticate, action scope, rate limit, idempotency."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from civicgrid.accounts.roles import Role
from civicgrid.api.auth import RateLimited, rate_limit_check
from civicgrid.api.models import ApiToken, IdempotencyRecord
from civicgrid.api.services import api_token_create, api_token_revoke
from civicgrid.audit.models import AuditEntry
from civicgrid.cases.models import Case
from civicgrid.cases.tests.conftest import new_case
from civicgrid.core.scope import get_scope
from civicgrid.testing import build_office, parts, shared

# The district (civicgrid/cases/tests/conftest.py), built once for this module and rolled
# back after each test (civicgrid/testing.py); `world` is the district's own world, so the
# tests that ask for it and those that ask for `office` share one outer transaction.
office_once, office = shared(build_office, name="office")
(world,) = parts("office", world=lambda built: built.world)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def _client(plain: str, header: str = "bearer") -> Client:
    if header == "bearer":
        return Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return Client(HTTP_X_API_KEY=plain)


def test_create_returns_the_plain_token_once_and_stores_only_its_hash(world):
    admin = world.users[Role.ADMINISTRATOR]
    token, plain = api_token_create(name="12345 hotline", unit=world.unit_a,
                                    actions=["cases:read"], actor=admin)
    assert plain.startswith(f"cg_{token.prefix}_") and len(token.prefix) == 8
    assert plain not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    account = token.user
    assert account.username == f"api-{token.prefix}" and not account.has_usable_password()
    scope = get_scope(account)
    assert scope.roles == {Role.LEADER} and scope.unit_ids == {world.unit_a.pk}
    assert scope.area_codes == (world.street_a.code,)
    assert AuditEntry.objects.filter(event_type="api.token_created").exists()


def test_only_administrators_create_and_revoke(world):
    with pytest.raises(PermissionDenied):
        api_token_create(name="x", unit=world.unit_a, actions=["cases:read"],
                         actor=world.users[Role.SUPERVISOR])
    with pytest.raises(ValidationError):
        api_token_create(name="x", unit=world.unit_a, actions=["cases:delete"],
                         actor=world.users[Role.ADMINISTRATOR])
    token, _plain = api_token_create(name="x", unit=world.unit_a, actions=["cases:read"],
                                     actor=None)
    with pytest.raises(PermissionDenied):
        api_token_revoke(token=token, actor=world.users[Role.SUPERVISOR])


def test_revocation_writes_one_entry_naming_the_token_and_its_account(world):
    admin = world.users[Role.ADMINISTRATOR]
    token, _plain = api_token_create(name="12345 hotline", unit=world.unit_a,
                                     actions=["cases:read"], actor=admin)
    mark = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    api_token_revoke(token=token, actor=admin)
    [entry] = AuditEntry.objects.filter(id__gt=mark)
    assert (entry.event_type, entry.actor_id, entry.actor_username, entry.success) == (
        "api.token_revoked", admin.pk, admin.username, True)
    assert (entry.subject_type, entry.subject_id, entry.subject_repr) == (
        "api.apitoken", str(token.pk), str(token))
    assert entry.details == {"prefix": token.prefix, "name": "12345 hotline",
                             "unit": world.unit_a.code,
                             "service_account": f"api-{token.prefix}"}
    token.refresh_from_db()
    assert token.revoked_at is not None and token.user.is_active is False
    # Revoking again changes nothing and writes nothing.
    revoked_at = token.revoked_at
    api_token_revoke(token=token, actor=admin)
    token.refresh_from_db()
    assert token.revoked_at == revoked_at
    assert AuditEntry.objects.filter(id__gt=mark).count() == 1


def test_refused_revocation_changes_nothing(world):
    token, plain = api_token_create(name="x", unit=world.unit_a, actions=["cases:read"],
                                    actor=None)
    mark = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    with pytest.raises(PermissionDenied):
        api_token_revoke(token=token, actor=world.users[Role.SUPERVISOR])
    token.refresh_from_db()
    assert token.revoked_at is None and token.user.is_active is True
    assert not AuditEntry.objects.filter(id__gt=mark).exists()
    assert _client(plain).get("/api/v1/me").status_code == 200


def test_auth_by_bearer_or_header_and_refusals(world):
    token, plain = api_token_create(name="x", unit=world.unit_a, actions=["cases:read"],
                                    actor=None)
    for header in ("bearer", "key"):
        response = _client(plain, header).get("/api/v1/me")
        assert response.status_code == 200, header
        assert response.json()["username"] == token.user.username
    missing = Client().get("/api/v1/me")
    wrong = _client(plain[:-3] + "abc").get("/api/v1/me")
    garbage = _client("nonsense").get("/api/v1/me")
    assert missing.status_code == wrong.status_code == garbage.status_code == 401
    assert missing.content == wrong.content == garbage.content
    token.refresh_from_db()
    assert token.last_used_at is not None
    api_token_revoke(token=token, actor=world.users[Role.ADMINISTRATOR])
    revoked = _client(plain).get("/api/v1/me")
    assert revoked.status_code == 401 and revoked.content == missing.content


def test_token_action_scope(office):
    case = new_case(office)
    _t, reader = api_token_create(name="r", unit=office.centre_a, actions=["cases:read"],
                                  actor=None)
    client = _client(reader)
    assert client.get(f"/api/v1/cases/{case.number}").status_code == 200
    before = Case.objects.count()
    response = client.post("/api/v1/cases", {"category": "9102", "description": "噪音扰民很久了",
                                             "area": office.world.grid_a1.code},
                           content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert Case.objects.count() == before
    response = client.post(f"/api/v1/cases/{case.number}/actions/accept",
                           {"version": case.version}, content_type="application/json")
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == "registered"


def test_rate_limit_answers_429_with_retry_after(world):
    _t, plain = api_token_create(name="x", unit=world.unit_a, actions=["cases:read"],
                                 actor=None, rate_limit_per_minute=3)
    client = _client(plain)
    codes = [client.get("/api/v1/me").status_code for _i in range(4)]
    assert codes[:3] == [200, 200, 200]
    response = client.get("/api/v1/me")
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60


def test_idempotency_replays_and_refuses_a_different_body(office):
    _t, plain = api_token_create(name="x", unit=office.centre_a,
                                 actions=["cases:read", "cases:create"], actor=None)
    client = _client(plain)
    body = {"category": "9102", "description": "楼上深夜噪音扰民", "area":
            office.world.grid_a1.code,
            "parties": [{"role": "applicant", "name": "王五", "phone": "13912345678",
                         "id_number": "11010519491231002X"}]}
    before = Case.objects.count()
    first = client.post("/api/v1/cases", body, content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="key-1")
    second = client.post("/api/v1/cases", body, content_type="application/json",
                         HTTP_IDEMPOTENCY_KEY="key-1")
    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    assert second["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Case.objects.count() == before + 1
    assert b"13912345678" not in first.content and b"11010519491231002X" not in first.content
    party = first.json()["parties"][0]
    assert party["phone_masked"] == "139****5678" and "phone" not in party
    other = client.post("/api/v1/cases", {**body, "description": "另一件事情描述"},
                        content_type="application/json", HTTP_IDEMPOTENCY_KEY="key-1")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert Case.objects.count() == before + 1
    assert IdempotencyRecord.objects.count() == 1


def test_idempotency_keys_belong_to_their_token_or_user(office):
    """Two callers that happen to pick the same Idempotency-Key (and send the same body)
    each get their own case; each replay returns that caller's own first answer."""
    body = {"category": "9102", "description": "楼上深夜噪音扰民", "area":
            office.world.grid_a1.code}
    tokens = [api_token_create(name=name, unit=office.centre_a,
                               actions=["cases:read", "cases:create"], actor=None)
              for name in ("hotline", "app")]
    session = Client()
    session.force_login(office.people["dispatcher"])
    callers = [_client(plain) for _t, plain in tokens] + [session]
    before = Case.objects.count()

    def post(client):
        return client.post("/api/v1/cases", body, content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY="same-key")

    firsts = [post(client) for client in callers]
    assert [r.status_code for r in firsts] == [201, 201, 201]
    assert all("Idempotent-Replayed" not in r for r in firsts)
    numbers = [r.json()["number"] for r in firsts]
    assert len(set(numbers)) == 3
    assert Case.objects.count() == before + 3
    assert sorted(IdempotencyRecord.objects.values_list("principal", flat=True)) == sorted(
        [f"token:{t.pk}" for t, _plain in tokens]
        + [f"user:{office.people['dispatcher'].pk}"])

    replays = [post(client) for client in reversed(callers)][::-1]
    assert [r.status_code for r in replays] == [201, 201, 201]
    assert [r["Idempotent-Replayed"] for r in replays] == ["true"] * 3
    assert [r.content for r in replays] == [r.content for r in firsts]
    assert Case.objects.count() == before + 3
    assert IdempotencyRecord.objects.count() == 3


def test_management_command_prints_a_working_token(world, capsys):
    call_command("create_api_token", "--unit", world.unit_a.code, "--actions",
                 "cases:read,cases:create", "--name", "hotline")
    plain = capsys.readouterr().out.strip()
    assert _client(plain).get("/api/v1/me").status_code == 200


def test_admin_creates_a_token_and_shows_it_once(world):
    client = Client()
    client.force_login(world.users[Role.ADMINISTRATOR])
    response = client.post("/admin/api/apitoken/add/", {
        "name": "hotline", "unit": world.unit_a.pk, "actions": '["cases:read"]',
        "rate_limit_per_minute": 60}, follow=True)
    assert response.status_code == 200
    token = ApiToken.objects.get()
    shown = [str(m) for m in response.context["messages"]]
    assert any(f"cg_{token.prefix}_" in m for m in shown)
    assert token.created_by == world.users[Role.ADMINISTRATOR]


# --- the inboxes of a governance centre's token --------------------------------------------
# A previous attempt saw `GET /api/v1/cases?inbox=dispatch` "return nothing" for such a
# token. The inbox filters are right (the test below); the empty answer was a 429 read as an
# empty list: rate-limit windows were keyed by the token id alone, SQLite hands out the ids
# of rolled-back rows again (every test's first token is id 1), and the cache was not
# cleared between tests, so a token inherited the window an earlier test had spent.

def _numbers(client, **params) -> list[str]:
    response = client.get("/api/v1/cases", params)
    assert response.status_code == 200, response.content
    return [item["number"] for item in response.json()["items"]]


def test_governance_centre_tokens_see_their_dispatch_queues(office):
    w = office.world
    street_case = new_case(office)  # community level: the street A centre dispatches it
    county_case = new_case(office, category=office.petition)  # county level: county queue
    other_street = new_case(office, area=w.grid_b1, actor=office.people["outsider"])
    assert (street_case.queue_area, county_case.queue_area, other_street.queue_area) == (
        w.street_a, w.county, w.street_b)
    actions = ["cases:read", "cases:act"]
    street_token, street_plain = api_token_create(name="a", unit=office.centre_a,
                                                  actions=actions, actor=None)
    county_token, county_plain = api_token_create(name="c", unit=office.centre_county,
                                                  actions=actions, actor=None)
    assert get_scope(street_token.user).roles == {Role.SUPERVISOR}
    assert get_scope(street_token.user).area_codes == (w.street_a.code,)
    assert get_scope(county_token.user).area_codes == (w.county.code,)
    street, county = _client(street_plain), _client(county_plain)

    assert _numbers(street) == [county_case.number, street_case.number]
    assert _numbers(street, inbox="dispatch") == [street_case.number]
    assert _numbers(street, inbox="mine") == [street_case.number]
    assert _numbers(county, inbox="dispatch") == [
        other_street.number, county_case.number, street_case.number]
    for name in ("unit", "verify", "overdue", "supervised", "handoffs"):
        assert _numbers(street, inbox=name) == [], name

    Case.objects.filter(pk=street_case.pk).update(stage_due_at=timezone.now()
                                                  - timedelta(hours=1))
    supervised = street.post(f"/api/v1/cases/{street_case.number}/actions/supervise",
                             {"version": street_case.version, "level": "yellow",
                              "reason": "超期未受理"}, content_type="application/json")
    assert supervised.status_code == 200, supervised.content
    assert _numbers(street, inbox="overdue") == [street_case.number]
    assert _numbers(street, inbox="supervised") == [street_case.number]
    assert _numbers(county, inbox="supervised") == [street_case.number]


def test_a_read_only_centre_token_reads_cases_but_has_no_dispatch_work(office):
    """cases:read alone makes the token a leader (service_account_role): it reads every
    case of the centre's area, and its work inboxes are empty by design."""
    case = new_case(office)
    _t, plain = api_token_create(name="r", unit=office.centre_a, actions=["cases:read"],
                                 actor=None)
    client = _client(plain)
    assert _numbers(client) == [case.number]
    assert _numbers(client, inbox="dispatch") == _numbers(client, inbox="mine") == []


def test_a_new_token_never_inherits_the_rate_window_of_an_old_one_with_the_same_id(
        office, monkeypatch):
    from civicgrid.api import auth

    monkeypatch.setattr(auth, "time", SimpleNamespace(time=lambda: 1_800_000_030.0))
    case = new_case(office)
    old, old_plain = api_token_create(name="old", unit=office.centre_a,
                                      actions=["cases:read"], actor=None)
    assert [_client(old_plain).get("/api/v1/me").status_code for _i in range(2)] == [200, 200]
    old_id = old.pk
    old.delete()  # rolled back, or the database was flushed: the id is free again
    new, new_plain = api_token_create(name="new", unit=office.centre_a,
                                      actions=["cases:read", "cases:act"], actor=None,
                                      rate_limit_per_minute=2)
    ApiToken.objects.filter(pk=new.pk).update(id=old_id)
    client = _client(new_plain)
    assert _numbers(client, inbox="dispatch") == [case.number]
    assert _numbers(client, inbox="mine") == [case.number]
    assert client.get("/api/v1/me").status_code == 429  # its own window, and only its own


def test_rate_windows_are_per_token_even_when_ids_repeat(db):
    now = 1_800_000_030.0
    spent = ApiToken(pk=1, prefix="aaaaaaaa", rate_limit_per_minute=120)
    fresh = ApiToken(pk=1, prefix="bbbbbbbb", rate_limit_per_minute=2)
    for _i in range(5):
        rate_limit_check(spent, now)
    rate_limit_check(fresh, now)
    rate_limit_check(fresh, now)
    with pytest.raises(RateLimited):
        rate_limit_check(fresh, now)

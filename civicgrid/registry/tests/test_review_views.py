"""The change review's pages and API: the grid worker's edits (room page, person page,
organisation form, the API) queued where a rule applies and shown as pending; the
reviewer's queue (scope, filters, keyset pages, a fixed number of queries, bulk approve and
return), one request (approve, return with a reason, withdraw), my requests, the rule's
page; out of scope answers 404 like missing."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.audit.models import AuditEntry
from civicgrid.conftest import PASSWORD
from civicgrid.notices.models import Notice
from civicgrid.registry.models import (
    ChangeRequest,
    HouseholdMember,
    Organisation,
    Person,
    Residence,
    ReviewRule,
    Room,
)
from civicgrid.registry.services import (
    BuildingInput,
    MoveIn,
    PersonInput,
    RoomUseSet,
    building_create,
    change_submit,
    household_create,
    person_create,
    review_rule_set,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(world):
    return user_create(username="t_community", password=PASSWORD, display_name="社区审核员",
                       roles=[Role.SUPERVISOR], area_codes=[world.community_a.code], actor=None)


@pytest.fixture
def place(world, reviewer):
    """Grid A1 under review (its community's rule): four rooms, 王芳 registered and living
    nowhere, 李强 living in 101 and heading a household there."""
    review_rule_set(area=world.community_a, needs_review=True, actor=reviewer)
    worker = world.users[Role.GRID_WORKER]
    building = building_create(grid=world.grid_a1, actor=worker, data=BuildingInput(
        name="桃坞新村3幢", road="桃坞路", house_number="30", floors_above=2, units=1,
        rooms_per_floor=2))
    rooms = list(building.rooms.order_by("floor", "number"))
    newcomer = person_create(grid=world.grid_a1, actor=worker,
                             data=PersonInput(name="王芳", kind="registered"))
    resident = person_create(grid=world.grid_a1, actor=reviewer, room=rooms[0],
                             data=PersonInput(name="李强", kind="floating"))
    household_create(room=rooms[0], head=resident, actor=reviewer)
    return rooms, newcomer, resident


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


QUEUED = "已提交审核,审核通过后生效。"


# --- the grid worker's edits wait where a rule applies -----------------------------------------

def test_the_room_pages_edits_are_queued_and_shown_as_pending(world, place):
    rooms, newcomer, resident = place
    worker = _client(world.users[Role.GRID_WORKER])
    room_url = reverse("registry:room", args=[rooms[1].pk])
    moved = worker.post(reverse("registry:room_move_in", args=[rooms[1].pk]),
                        {"person": newcomer.pk, "residence_kind": "renting", "source": "visit"},
                        follow=True)
    assert QUEUED in _messages(moved)
    used = worker.post(reverse("registry:room_use", args=[rooms[1].pk]),
                       {"use": "owner", "version": rooms[1].version, "area_m2": "70"},
                       follow=True)
    assert QUEUED in _messages(used) and used.redirect_chain[-1][0] == room_url
    html = worker.get(room_url).content.decode()
    assert re.findall(r'data-testid="pending-change" data-kind="(\w+)"', html) == [
        "move_in", "room_use"]
    assert "王芳" in html
    assert not Residence.objects.filter(person=newcomer).exists()
    assert Room.objects.get(pk=rooms[1].pk).use == "unknown"
    # 搬离 of 李强 from 101: the button gives way to the pending badge.
    residence = resident.residences.get()
    left = worker.post(reverse("registry:residence_end", args=[residence.pk]),
                       {"next": "room"}, follow=True)
    assert QUEUED in _messages(left)
    html = worker.get(reverse("registry:room", args=[rooms[0].pk])).content.decode()
    assert 'data-testid="leaving"' in html
    assert reverse("registry:residence_end", args=[residence.pk]) not in html
    residence.refresh_from_db()
    assert residence.until is None
    # The one-tap 空置 of an empty room waits too.
    vacant = worker.post(reverse("registry:room_use", args=[rooms[3].pk]),
                         {"use": "vacant", "version": rooms[3].version}, follow=True)
    assert QUEUED in _messages(vacant)
    assert list(ChangeRequest.objects.order_by("pk").values_list("kind", flat=True)) == [
        "move_in", "room_use", "move_out", "room_use"]


def test_a_refused_submission_says_why_and_queues_nothing(world, place):
    rooms, _newcomer, _resident = place
    worker = _client(world.users[Role.GRID_WORKER])
    response = worker.post(reverse("registry:room_use", args=[rooms[0].pk]),
                           {"use": "vacant", "version": rooms[0].version})
    assert "该房屋登记有居住人员" in response.content.decode()
    stale = worker.post(reverse("registry:room_use", args=[rooms[1].pk]),
                        {"use": "owner", "version": rooms[1].version + 5})
    assert 'data-testid="stale"' in stale.content.decode()
    assert ChangeRequest.objects.count() == 0


def test_the_person_pages_and_the_organisation_form_queue_too(world, place):
    rooms, newcomer, resident = place
    worker = _client(world.users[Role.GRID_WORKER])
    member = worker.post(reverse("registry:household_member", args=[resident.pk]),
                         {"person": newcomer.pk, "relation": "spouse"}, follow=True)
    assert QUEUED in _messages(member)
    assert not HouseholdMember.objects.filter(person=newcomer).exists()
    page = worker.get(reverse("registry:person", args=[newcomer.pk])).content.decode()
    assert 'data-kind="household_member"' in page
    organisation = worker.post(reverse("registry:organisation_new", args=[world.grid_a1.code]),
                               {"name": "桃坞书画社", "kind": "community_group"}, follow=True)
    request = ChangeRequest.objects.get(kind="organisation")
    assert organisation.redirect_chain[-1][0] == reverse("registry:review", args=[request.pk])
    assert QUEUED in organisation.content.decode()
    assert not Organisation.objects.filter(name="桃坞书画社").exists()
    # A new resident registered into a room: registered now, the move-in waits.
    new = worker.post(reverse("registry:person_new", args=[world.grid_a1.code])
                      + f"?room={rooms[2].pk}",
                      {"name": "赵敏", "kind": "registered", "document_type": "id_card",
                       "residence_kind": "living", "source": "visit", "room": rooms[2].pk},
                      follow=True)
    assert "已登记 赵敏;入住已提交审核,审核通过后生效。" in _messages(new)
    zhao = Person.objects.get(name="赵敏")
    assert not zhao.residences.exists()
    assert ChangeRequest.objects.filter(kind="move_in", person=zhao, room=rooms[2]).exists()


def test_without_a_rule_the_pages_apply_at_once(world, reviewer):
    room = building_create(grid=world.grid_a2, actor=reviewer, data=BuildingInput(
        name="1幢", floors_above=1, units=1, rooms_per_floor=1)).rooms.get()
    grid_worker = user_create(username="t_grid_a2", password=PASSWORD,
                              roles=[Role.GRID_WORKER], area_codes=[world.grid_a2.code],
                              actor=None)
    response = _client(grid_worker).post(reverse("registry:room_use", args=[room.pk]),
                                         {"use": "owner", "version": room.version}, follow=True)
    assert "已记录 101 的用途:自住。" in _messages(response)
    assert ChangeRequest.objects.count() == 0  # (A2: no rule)


# --- the reviewer --------------------------------------------------------------------------------

def _queue(world, place, n: int = 1, *, fresh: bool = False):
    """`n` pending room-use requests in grid A1: rooms 102, 201, 202, or (`fresh`) those of
    a new building."""
    rooms, _newcomer, _resident = place
    worker = world.users[Role.GRID_WORKER]
    targets = rooms[1:n + 1]
    if fresh:
        targets = list(building_create(grid=world.grid_a1, actor=worker, data=BuildingInput(
            name=f"{n}幢", floors_above=n, units=1, rooms_per_floor=1)).rooms.all())
    return [change_submit(actor=worker, change=RoomUseSet(room=room, use="owner",
                                                          version=room.version)).request
            for room in targets]


def test_the_queue_lists_what_the_reviewer_may_decide_with_filters(world, place, reviewer):
    rooms, newcomer, _resident = place
    requests = _queue(world, place, 2)
    moved = change_submit(actor=world.users[Role.GRID_WORKER], change=MoveIn(
        person=newcomer, room=rooms[3], kind="living")).request
    # Street B's request: not the community reviewer's.
    review_rule_set(area=world.grid_b1, needs_review=True, actor=user_create(
        username="t_sup_b", password=PASSWORD, roles=[Role.SUPERVISOR],
        area_codes=[world.street_b.code], actor=None))
    far = building_create(grid=world.grid_b1, actor=world.outsider, data=BuildingInput(
        name="1幢", floors_above=1, units=1, rooms_per_floor=1)).rooms.get()
    outside = change_submit(actor=world.outsider, change=RoomUseSet(room=far, use="owner")
                            ).request
    client = _client(reviewer)
    html = client.get(reverse("registry:reviews")).content.decode()
    listed = [int(n) for n in re.findall(r'data-testid="review-row" data-request="(\d+)"', html)]
    assert listed == [requests[0].pk, requests[1].pk, moved.pk]  # oldest first
    assert "王芳" in html and "变更前" in html and "待核实" in html and "自住" in html
    by_kind = client.get(reverse("registry:reviews"), {"kind": "move_in"}).content.decode()
    assert re.findall(r'data-request="(\d+)"', by_kind) == [str(moved.pk)]
    assert f'<option value="{world.grid_a1.code}"' in html
    assert world.grid_b1.code not in html
    # Out of scope: exactly like missing.
    missing = client.get(reverse("registry:review", args=[999999]))
    other = client.get(reverse("registry:review", args=[outside.pk]))
    assert missing.status_code == other.status_code == 404
    assert client.post(reverse("registry:review_approve", args=[outside.pk])).status_code == 404
    assert ChangeRequest.objects.get(pk=outside.pk).status == "pending"


def test_the_queue_pages_by_keyset_in_a_fixed_number_of_queries(world, place, reviewer,
                                                                monkeypatch):
    from civicgrid.registry import review_views

    client = _client(reviewer)
    _queue(world, place, 2)
    client.get(reverse("registry:reviews"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("registry:reviews"))
    _queue(world, place, 8, fresh=True)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("registry:reviews"))
    assert response.status_code == 200
    assert len(re.findall(r'data-testid="review-row"', response.content.decode())) == 10
    assert len(many) == len(few) <= 14
    monkeypatch.setattr(review_views, "REVIEWS_PER_PAGE", 4)
    first = client.get(reverse("registry:reviews")).content.decode()
    cursor = re.search(r'cursor=([\w-]+)', first).group(1)
    second = client.get(reverse("registry:reviews") + f"?cursor={cursor}",
                        HTTP_HX_REQUEST="true").content.decode()
    ids = [re.findall(r'data-request="(\d+)"', page) for page in (first, second)]
    assert len(ids[0]) == len(ids[1]) == 4 and not set(ids[0]) & set(ids[1])
    assert "<html" not in second


def test_bulk_approve_and_return_from_the_queue(world, place, reviewer):
    requests = _queue(world, place, 3)
    client = _client(reviewer)
    response = client.post(reverse("registry:reviews_decide"), {
        "ids": [requests[0].pk, requests[1].pk, 999999], "action": "approve"}, follow=True)
    said = _messages(response)
    assert "已通过 2 项。" in said and "1 项申请不存在或不在您的辖区。" in said
    assert Room.objects.get(pk=requests[0].room_id).use == "owner"
    refused = client.post(reverse("registry:reviews_decide"), {
        "ids": [requests[2].pk], "action": "return", "reason": ""}, follow=True)
    assert any("请填写理由" in m for m in _messages(refused))
    assert ChangeRequest.objects.get(pk=requests[2].pk).status == "pending"
    client.post(reverse("registry:reviews_decide"), {
        "ids": [requests[2].pk], "action": "return", "reason": "请现场核实"})
    assert dict(ChangeRequest.objects.values_list("pk", "status")) == {
        requests[0].pk: "approved", requests[1].pk: "approved", requests[2].pk: "returned"}
    assert Notice.objects.filter(kind="reg_returned").count() == 1
    nothing = client.post(reverse("registry:reviews_decide"), {"action": "approve"},
                          follow=True)
    assert "请先勾选要处理的申请。" in _messages(nothing)


def test_one_request_approve_return_and_withdraw_from_its_page(world, place, reviewer):
    first, second, third = _queue(world, place, 3)
    worker_user = world.users[Role.GRID_WORKER]
    worker, review = _client(worker_user), _client(reviewer)
    page = review.get(reverse("registry:review", args=[first.pk])).content.decode()
    assert 'data-testid="approve"' in page and 'data-testid="withdraw"' not in page
    own = worker.get(reverse("registry:review", args=[first.pk])).content.decode()
    assert 'data-testid="approve"' not in own and 'data-testid="withdraw"' in own
    assert 'data-testid="waiting"' in own
    review.post(reverse("registry:review_approve", args=[first.pk]))
    assert ChangeRequest.objects.get(pk=first.pk).status == "approved"
    entries = AuditEntry.objects.count()
    no_reason = review.post(reverse("registry:review_return", args=[second.pk]),
                            {"reason": ""}, follow=True)
    assert "请填写理由。" in _messages(no_reason)
    assert (ChangeRequest.objects.get(pk=second.pk).status, AuditEntry.objects.count()) == (
        "pending", entries)
    review.post(reverse("registry:review_return", args=[second.pk]), {"reason": "面积有误"})
    returned = worker.get(reverse("registry:review", args=[second.pk])).content.decode()
    assert "面积有误" in returned and "已退回" in returned
    # The grid worker cannot approve (no permission); withdraws their own.
    assert worker.post(reverse("registry:review_approve", args=[third.pk])).status_code == 403
    worker.post(reverse("registry:review_withdraw", args=[third.pk]))
    assert ChangeRequest.objects.get(pk=third.pk).status == "withdrawn"
    # My requests: all three, newest first, with their statuses; one status at a time.
    mine = worker.get(reverse("registry:my_reviews")).content.decode()
    assert re.findall(r'data-request="(\d+)"', mine) == [str(third.pk), str(second.pk),
                                                         str(first.pk)]
    returned_only = worker.get(reverse("registry:my_reviews"), {"status": "returned"})
    assert re.findall(r'data-request="(\d+)"', returned_only.content.decode()) == [
        str(second.pk)]
    # The notices page links each outcome to its request.
    notices = worker.get(reverse("cases:notices")).content.decode()
    assert reverse("registry:review", args=[first.pk]) in notices
    assert reverse("registry:review", args=[second.pk]) in notices


def test_the_registry_home_leads_to_the_review(world, place, reviewer):
    _queue(world, place, 2)
    home = _client(reviewer).get(reverse("registry:home")).content.decode()
    assert 'data-testid="reviews-link"' in home and ">2</span>" in home
    assert reverse("registry:review_rule", args=[world.community_a.code]) in home
    worker_home = _client(world.users[Role.GRID_WORKER]).get(reverse("registry:home"))
    html = worker_home.content.decode()
    assert 'data-testid="my-reviews-link"' in html and 'data-testid="reviews-link"' not in html
    assert 'data-testid="rule-link"' not in html


# --- the rule's page ------------------------------------------------------------------------------

def test_the_rule_page_sets_and_shows_what_applies(world, reviewer):
    client = _client(reviewer)
    url = reverse("registry:review_rule", args=[world.grid_a1.code])
    page = client.get(url).content.decode()
    assert "未设置:变更直接生效" in page
    client.post(reverse("registry:review_rule", args=[world.community_a.code]),
                {"needs_review": "on"})
    page = client.get(url).content.decode()
    assert "沿用桃坞社区:需要审核" in page
    client.post(url, {"needs_review": "off"})
    assert ReviewRule.objects.get(area=world.grid_a1).needs_review is False
    community = client.get(reverse("registry:review_rule", args=[world.community_a.code]))
    assert "桃坞第1网格" in community.content.decode()  # the areas below with their own
    client.post(url, {"needs_review": "inherit"})
    assert not ReviewRule.objects.filter(area=world.grid_a1).exists()
    grid_page = client.get(reverse("registry:grid", args=[world.grid_a1.code])).content.decode()
    assert url in grid_page
    # Above the reviewer's jurisdiction, or another street: as if missing; a grid worker: 403.
    assert client.get(reverse("registry:review_rule",
                              args=[world.street_a.code])).status_code == 404
    assert client.get(reverse("registry:review_rule",
                              args=[world.grid_b1.code])).status_code == 404
    worker = _client(world.users[Role.GRID_WORKER])
    assert worker.post(url, {"needs_review": "on"}).status_code == 403
    assert not ReviewRule.objects.filter(area=world.grid_a1).exists()


# --- the API --------------------------------------------------------------------------------------

def test_the_api_answers_202_with_the_request_and_the_reviewer_decides(world, place, reviewer):
    rooms, newcomer, _resident = place
    worker = _client(world.users[Role.GRID_WORKER])
    queued = worker.post(f"/api/v1/registry/people/{newcomer.pk}/move-in",
                         {"room_id": rooms[1].pk, "kind": "living"},
                         content_type="application/json")
    assert queued.status_code == 202
    body = queued.json()
    assert (body["kind"], body["status"], body["person_id"], body["room_id"],
            body["requested_by"]) == ("move_in", "pending", newcomer.pk, rooms[1].pk, "t_grid")
    assert {"label": "居住人数", "before": "0", "after": "1", "changed": True} in body["facts"]
    use = worker.post(f"/api/v1/registry/rooms/{rooms[2].pk}/use",
                      {"use": "owner", "version": rooms[2].version},
                      content_type="application/json")
    assert use.status_code == 202 and use.json()["kind"] == "room_use"
    organisation = worker.post("/api/v1/registry/organisations", {
        "grid": world.grid_a1.code, "name": "桃坞书画社", "kind": "community_group"},
        content_type="application/json")
    assert organisation.status_code == 202
    mine = worker.get("/api/v1/registry/changes", {"mine": "true"}).json()
    assert [c["kind"] for c in mine["items"]] == ["organisation", "room_use", "move_in"]
    assert worker.get("/api/v1/registry/changes").json()["items"] == []  # none to decide
    review = _client(reviewer)
    queue = review.get("/api/v1/registry/changes").json()
    assert [c["id"] for c in queue["items"]] == [body["id"], use.json()["id"],
                                                 organisation.json()["id"]]
    approved = review.post(f"/api/v1/registry/changes/{body['id']}/approve",
                           content_type="application/json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["reviewer"] == "t_community"
    assert Residence.objects.filter(person=newcomer, room=rooms[1]).exists()
    again = review.post(f"/api/v1/registry/changes/{body['id']}/approve",
                        content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "rule_violation"
    returned = review.post(f"/api/v1/registry/changes/{use.json()['id']}/return",
                           {"reason": "请核实"}, content_type="application/json")
    assert returned.json()["status"] == "returned" and returned.json()["reason"] == "请核实"
    many = review.post("/api/v1/registry/changes/approve",
                       {"ids": [organisation.json()["id"], 999999]},
                       content_type="application/json")
    assert many.json() == {"outcomes": [
        {"request_id": organisation.json()["id"], "ok": True, "message": ""},
        {"request_id": 999999, "ok": False, "message": "该申请不存在。"}]}
    assert Organisation.objects.filter(name="桃坞书画社").exists()
    # Another street's reviewer: 404 like missing.
    far = _client(user_create(username="t_sup_b", password=PASSWORD, roles=[Role.SUPERVISOR],
                              area_codes=[world.street_b.code], actor=None))
    assert far.get(f"/api/v1/registry/changes/{body['id']}").json() == far.get(
        "/api/v1/registry/changes/999999").json() == {
        "code": "not_found", "message": "Not found.", "details": None}


def test_the_api_sets_the_rule_and_documents_the_endpoints(world, reviewer):
    client = _client(reviewer)
    url = f"/api/v1/registry/review-rules/{world.community_a.code}"
    assert client.get(url).json() == {"area_code": world.community_a.code, "own": None,
                                      "needs_review": False, "decided_by": None}
    client.post(url, {"needs_review": True}, content_type="application/json")
    grid = client.get(f"/api/v1/registry/review-rules/{world.grid_a1.code}").json()
    assert grid == {"area_code": world.grid_a1.code, "own": None, "needs_review": True,
                    "decided_by": world.community_a.code}
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert {"/api/v1/registry/changes", "/api/v1/registry/changes/{change_id}/approve",
            "/api/v1/registry/changes/approve",
            "/api/v1/registry/review-rules/{code}"} <= set(paths)
    move_in = paths["/api/v1/registry/people/{person_id}/move-in"]["post"]["responses"]
    assert "202" in move_in


def test_the_api_list_runs_a_fixed_number_of_queries(world, place, reviewer):
    client = _client(reviewer)
    _queue(world, place, 2)
    client.get("/api/v1/registry/changes")
    with CaptureQueriesContext(connection) as few:
        first = client.get("/api/v1/registry/changes")
    _queue(world, place, 6, fresh=True)
    with CaptureQueriesContext(connection) as many:
        more = client.get("/api/v1/registry/changes")
    assert (len(first.json()["items"]), len(more.json()["items"])) == (2, 8)
    assert len(many) == len(few)
    page = client.get("/api/v1/registry/changes", {"limit": 5}).json()
    rest = client.get("/api/v1/registry/changes", {"limit": 5,
                                                   "cursor": page["next_cursor"]}).json()
    assert len(page["items"]) == 5 and len(rest["items"]) == 3
    assert rest["next_cursor"] is None

"""Issue 16's acceptance, in the browser: where the community's registry changes wait for
review, a grid worker moves a registered resident into a room on a phone (390 px) — the
move-in is queued and shown as pending on the room page and in 我的变更申请 —, a community
reviewer (指挥调度员) approves it on a phone from the queue's before/after view, and the
residence exists after; then the reviewer's queue at a desk (1280 px) with two requests
approved together. Fails on any console error, CSP violation or HTTP error and on a page
that scrolls sideways; screenshots /work/tmp/shots/review-*.png (or $REGISTRY_SHOTS)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.conftest import PASSWORD
from civicgrid.core.tests.test_browser import open_page, shot, sign_in
from civicgrid.registry.models import ChangeRequest, Residence, Room
from civicgrid.registry.services import (
    BuildingInput,
    PersonInput,
    RoomUseSet,
    building_create,
    change_submit,
    person_create,
    review_rule_set,
)

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PAGE_WIDTH = "() => document.documentElement.scrollWidth"


@pytest.fixture
def shots() -> Path:
    path = Path(os.environ.get("REGISTRY_SHOTS", "/work/tmp/shots"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _no_sideways_scroll(page, step: str) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate(PAGE_WIDTH) <= width + 1, f"{step}: the page scrolls sideways"


def _community(world):
    """桃坞社区 under review; a building in grid A1 (its rooms still to be seen) and 王芳,
    registered in the grid and living nowhere yet."""
    reviewer = user_create(username="t_community", password=PASSWORD, display_name="陈审核",
                           roles=[Role.SUPERVISOR], area_codes=[world.community_a.code],
                           actor=None)
    review_rule_set(area=world.community_a, needs_review=True, actor=reviewer)
    worker = world.users[Role.GRID_WORKER]
    building = building_create(grid=world.grid_a1, actor=worker, data=BuildingInput(
        name="桃坞新村18幢", road="桃坞路", house_number="128", floors_above=6, units=2,
        rooms_per_floor=2, built_year=2006))
    newcomer = person_create(grid=world.grid_a1, actor=worker, data=PersonInput(
        name="王芳", kind="floating", phone="13912340002", occupation="护士"))
    return reviewer, building, newcomer


def test_a_reviewer_approves_a_grid_workers_move_in_from_the_phone(
        transactional_db, live_server, world, browser, shots):
    base = live_server.url
    reviewer, building, newcomer = _community(world)
    room = building.rooms.get(unit=1, number="302")
    worker = world.users[Role.GRID_WORKER]

    # 1. The grid worker, on a phone: the room → 已登记人员入住 → 王芳 picked → queued.
    with open_page(browser, **PHONE) as (_c, page, watch):
        sign_in(page, watch, base, worker.username)
        page.goto(f"{base}/registry/rooms/{room.pk}/")
        page.locator('[data-testid="move-in-existing"] summary').tap()
        form = page.locator('[data-testid="move-in-existing"] form')
        picker = form.locator("[data-picker]")
        picker.locator("[data-picker-query]").fill("王芳")
        picker.locator("[data-picker-search]").tap()
        picker.locator(f'[data-pick-choice][data-id="{newcomer.pk}"]').tap()
        assert picker.locator("[data-picker-chosen-text]").inner_text() == "王芳"
        form.locator("#id_residence_kind").select_option("renting")
        _no_sideways_scroll(page, "move-in form")
        shot(page, shots, "review-1-worker-move-in-form-390.png")
        with page.expect_navigation():
            form.locator('[data-testid="move-in-submit"]').tap()
        assert "已提交审核,审核通过后生效。" in page.locator(".alert-success").inner_text()
        pending = page.locator('[data-testid="pending-change"]')
        assert pending.count() == 1 and "王芳" in pending.inner_text()
        assert "王芳" not in page.locator('[data-testid="residents"]').inner_text()
        _no_sideways_scroll(page, "room with the pending move-in")
        shot(page, shots, "review-2-worker-queued-390.png")
        page.goto(f"{base}/registry/reviews/mine/")
        assert page.locator('[data-testid="review-row"]').count() == 1
        _no_sideways_scroll(page, "my requests")
        shot(page, shots, "review-3-worker-my-requests-390.png")
        watch.assert_clean("the grid worker's move-in")
    request = ChangeRequest.objects.get()
    assert (request.kind, request.status) == ("move_in", "pending")
    assert not Residence.objects.filter(person=newcomer).exists()

    # 2. The community reviewer, on a phone: the registry → 变更审核 → the request → 通过.
    with open_page(browser, **PHONE) as (_c, page, watch):
        sign_in(page, watch, base, reviewer.username)
        page.goto(f"{base}/registry/")
        link = page.locator('[data-testid="reviews-link"]')
        assert "1" in link.inner_text()
        with page.expect_navigation():
            link.tap()
        row = page.locator(f'[data-request="{request.pk}"]')
        assert "王芳" in row.inner_text() and "待核实" in row.inner_text()
        assert "出租" in row.locator('[data-testid="review-facts"]').inner_text()
        _no_sideways_scroll(page, "the review queue")
        shot(page, shots, "review-4-reviewer-queue-390.png")
        with page.expect_navigation():
            row.locator(f'a[href="/registry/reviews/{request.pk}/"]').first.tap()
        _no_sideways_scroll(page, "the request")
        shot(page, shots, "review-5-reviewer-request-390.png")
        with page.expect_navigation():
            page.locator('[data-testid="approve"]').tap()
        assert f"已通过申请 {request.pk}。" in page.locator(".alert-success").inner_text()
        assert page.locator('[data-testid="review-status"]').inner_text() == "已通过"
        _no_sideways_scroll(page, "the approved request")
        shot(page, shots, "review-6-reviewer-approved-390.png")
        page.goto(f"{base}/registry/rooms/{room.pk}/")
        assert "王芳" in page.locator('[data-testid="residents"]').inner_text()
        assert page.locator('[data-testid="pending-change"]').count() == 0
        shot(page, shots, "review-7-room-after-390.png")
        watch.assert_clean("the reviewer's approval")
    residence = Residence.objects.get(person=newcomer, room=room, until__isnull=True)
    assert residence.kind == "renting"
    assert Room.objects.get(pk=room.pk).use == "rented"
    request.refresh_from_db()
    assert (request.status, request.reviewer_id) == ("approved", reviewer.pk)


def test_the_queue_at_a_desk_approves_two_together(transactional_db, live_server, world,
                                                   browser, shots):
    base = live_server.url
    reviewer, building, newcomer = _community(world)
    worker = world.users[Role.GRID_WORKER]
    rooms = list(building.rooms.filter(unit=2).order_by("floor", "number")[:2])
    for room, use in zip(rooms, ("owner", "vacant"), strict=True):
        change_submit(actor=worker, change=RoomUseSet(room=room, use=use, version=room.version))
    with open_page(browser, **DESKTOP) as (_c, page, watch):
        sign_in(page, watch, base, worker.username)
        page.goto(f"{base}/registry/rooms/{rooms[0].pk}/")
        assert page.locator('[data-testid="pending-change"]').count() == 1
        shot(page, shots, "review-8-worker-room-pending-1280.png")
        watch.assert_clean("the room with its pending use")
    with open_page(browser, **DESKTOP) as (_c, page, watch):
        sign_in(page, watch, base, reviewer.username)
        page.goto(f"{base}/registry/reviews/")
        assert page.locator('[data-testid="review-row"]').count() == 2
        page.locator("[data-review-all]").check()
        assert page.locator("[data-review-tick]:checked").count() == 2
        _no_sideways_scroll(page, "the queue at a desk")
        shot(page, shots, "review-9-reviewer-queue-1280.png")
        with page.expect_navigation():
            page.locator('[data-testid="approve-selected"]').click()
        assert "已通过 2 项。" in page.locator(".alert-success").inner_text()
        assert page.locator('[data-testid="no-reviews"]').is_visible()
        shot(page, shots, "review-10-reviewer-queue-done-1280.png")
        page.goto(f"{base}/registry/review-rules/{world.community_a.code}/")
        shot(page, shots, "review-11-rule-1280.png")
        watch.assert_clean("the bulk approval")
    assert list(Room.objects.filter(pk__in=[r.pk for r in rooms]).order_by("floor", "number")
                .values_list("use", flat=True)) == ["owner", "vacant"]

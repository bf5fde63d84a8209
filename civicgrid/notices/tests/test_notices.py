"""Notices: sent to people and units about a case or an area, read by their addressees."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civicgrid.accounts.roles import Role
from civicgrid.audit.models import AuditEntry
from civicgrid.notices.models import Notice, NoticeKind
from civicgrid.notices.selectors import notices_for
from civicgrid.notices.services import NoticeDraft, notice_mark_read, notice_send, notice_send_batch
from civicgrid.notices.tests import says


def test_one_notice_per_addressee_each_once(world):
    handler, grid = world.users[Role.HANDLER], world.users[Role.GRID_WORKER]
    sent = notice_send(kind=NoticeKind.WEEKLY_CHECK, **says("请提交本周排查"),
                       area_id=world.community_a.pk, user_ids=[grid.pk, grid.pk],
                       unit_ids=[world.unit_a.pk, world.unit_a.pk])
    assert len(sent) == 2
    assert {(n.user_id, n.unit_id) for n in Notice.objects.all()} == {
        (grid.pk, None), (None, world.unit_a.pk)}
    assert Notice.objects.count() == 2
    # The handler is a member of unit A: the unit's notice is theirs to read.
    assert [n.message for n in notices_for(actor=handler)] == ["请提交本周排查"]
    assert [n.message for n in notices_for(actor=grid)] == ["请提交本周排查"]
    assert list(notices_for(actor=world.outsider)) == []


def test_a_batch_is_one_insert(world):
    drafts = [NoticeDraft(NoticeKind.AREA_STATUS, **says(f"第{i}条"), area_id=world.grid_a1.pk,
                          user_ids=[world.users[Role.SUPERVISOR].pk]) for i in range(30)]
    with CaptureQueriesContext(connection) as queries:
        notice_send_batch(drafts)
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    assert Notice.objects.count() == 30


@pytest.mark.parametrize("bad", [
    {"kind": "spam", "area_id": None},  # no such kind
    {"kind": NoticeKind.REMINDER, "area_id": None, "no_subject": True},  # about nothing
])
def test_bad_notices_are_refused_and_nothing_is_written(world, bad):
    area_id = None if bad.get("no_subject") or bad["kind"] == "spam" else world.grid_a1.pk
    with pytest.raises(ValidationError):
        notice_send(kind=bad["kind"], **says("x"), area_id=area_id,
                    user_ids=[world.users[Role.GRID_WORKER].pk])
    assert Notice.objects.count() == 0


def test_only_the_addressee_marks_a_notice_read(world):
    grid = world.users[Role.GRID_WORKER]
    notice = notice_send(kind=NoticeKind.REMINDER, **says("催办"), area_id=world.grid_a1.pk,
                         user_ids=[grid.pk])[0]
    with pytest.raises(PermissionDenied):
        notice_mark_read(notice=notice, actor=world.outsider)
    notice.refresh_from_db()
    assert notice.read_at is None
    notice_mark_read(notice=notice, actor=grid)
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert list(notices_for(actor=grid)) == []
    assert len(notices_for(actor=grid, unread_only=False)) == 1


def test_marking_a_notice_read_is_audited_once(world):
    handler = world.users[Role.HANDLER]  # a member of unit A: reads the unit's notice
    notice = notice_send(kind=NoticeKind.REMINDER, **says("催办"), area_id=world.grid_a1.pk,
                         unit_ids=[world.unit_a.pk])[0]
    with pytest.raises(PermissionDenied):
        notice_mark_read(notice=notice, actor=world.outsider)
    assert not AuditEntry.objects.filter(event_type="notice.read").exists()

    notice_mark_read(notice=notice, actor=handler)
    entry = AuditEntry.objects.get(event_type="notice.read")
    assert entry.actor == handler and entry.success
    assert (entry.subject_type, entry.subject_id) == ("notices.notice", str(notice.pk))
    assert entry.details == {"kind": "reminder", "case": None, "area": world.grid_a1.pk,
                             "unit": world.unit_a.pk}
    notice.refresh_from_db()
    assert notice.read_at is not None

    read_at = notice.read_at
    notice_mark_read(notice=notice, actor=handler)  # already read: nothing new
    notice.refresh_from_db()
    assert notice.read_at == read_at
    assert AuditEntry.objects.filter(event_type="notice.read").count() == 1

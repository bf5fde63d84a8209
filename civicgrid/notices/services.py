"""Sending and reading notices: the one write every app calls (`notice_send`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.core.scope import get_scope
from civicgrid.notices.models import Notice, NoticeKind

BATCH = 1000


@dataclass(frozen=True)
class NoticeDraft:
    """One notice to send: about a case or an area, to users and to units (everyone in
    them)."""

    kind: str
    message: str
    case_id: int | None = None
    area_id: int | None = None
    user_ids: Sequence[int] = ()
    unit_ids: Sequence[int] = ()


def notice_send_batch(drafts: Iterable[NoticeDraft], *,
                      now: datetime | None = None) -> list[Notice]:
    """Send many notices in one insert (weekly-check reminders of every area, status
    changes of a whole district), in the caller's transaction: one notice per addressee of
    each draft, each addressee once per draft."""
    now = now or timezone.now()
    notices: list[Notice] = []
    for draft in drafts:
        if draft.kind not in NoticeKind.values:
            raise ValidationError({"kind": f"unknown notice kind {draft.kind!r}"})
        if draft.case_id is None and draft.area_id is None:
            raise ValidationError("a notice is about a case or an area")
        text = draft.message[:300]
        about = {"case_id": draft.case_id, "area_id": draft.area_id}
        notices += [Notice(user_id=u, kind=draft.kind, message=text, created_at=now, **about)
                    for u in dict.fromkeys(draft.user_ids)]
        notices += [Notice(unit_id=u, kind=draft.kind, message=text, created_at=now, **about)
                    for u in dict.fromkeys(draft.unit_ids)]
    if not notices:
        return []
    with transaction.atomic():
        return Notice.objects.bulk_create(notices, batch_size=BATCH)


def notice_send(*, kind: str, message: str, case_id: int | None = None,
                area_id: int | None = None, user_ids: Sequence[int] = (),
                unit_ids: Sequence[int] = (), now: datetime | None = None) -> list[Notice]:
    """Tell each user and each unit (everyone in it) about a case or an area."""
    return notice_send_batch([NoticeDraft(kind, message, case_id, area_id, user_ids,
                                          unit_ids)], now=now)


def notice_mark_read(*, notice: Notice, actor: User) -> Notice:
    """Only its addressee (the user, or a member of the unit) marks a notice read; marking
    it is audited (`notice.read`: who took note of a reminder or a warning, and when).
    Marking a read notice again changes nothing and records nothing."""
    scope = get_scope(actor)
    if notice.user_id != actor.pk and notice.unit_id not in scope.unit_ids:
        raise PermissionDenied
    if notice.read_at is None:
        with transaction.atomic():
            notice.read_at = timezone.now()
            notice.save(update_fields=["read_at"])
            audit_record(actor=actor, event_type=AuditEventType.NOTICE_READ, subject=notice,
                         details={"kind": notice.kind, "case": notice.case_id,
                                  "area": notice.area_id, "unit": notice.unit_id})
    return notice

"""Sending and reading notices: the one write every app calls (`notice_send`); marking
them read; each person's delivery preference and the daily digest (每日汇总) sent through
the external gateway (civicgrid/notices/gateways.py)."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.core.scope import get_scope
from civicgrid.notices.gateways import notice_gateway
from civicgrid.notices.models import (
    Notice,
    NoticeCategory,
    NoticeKind,
    NoticePreference,
    category_of,
)
from civicgrid.notices.selectors import notices_for
from civicgrid.notices.texts import validated_message
from civicgrid.units.models import UnitMembership

BATCH = 1000
SHANGHAI = ZoneInfo("Asia/Shanghai")
DIGEST_LINES = 3  # the newest notices quoted in a digest; the rest are counted
logger = logging.getLogger("civicgrid.notices")


@dataclass(frozen=True)
class NoticeDraft:
    """One notice to send: about a case or an area, to users and to units (everyone in
    them). What it says is a sentence of civicgrid/notices/texts.py (`text_key`) and its
    parameters, rendered in each reader's language when shown."""

    kind: str
    text_key: str
    params: Mapping[str, Any] = field(default_factory=dict)
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
        # An unknown key or params that do not fit: refused here, not on the page.
        text = validated_message(draft.text_key, draft.params)
        about = {"case_id": draft.case_id, "area_id": draft.area_id, "kind": draft.kind,
                 "text_key": draft.text_key, "params": dict(draft.params), "message": text,
                 "created_at": now}
        notices += [Notice(user_id=u, **about) for u in dict.fromkeys(draft.user_ids)]
        notices += [Notice(unit_id=u, **about) for u in dict.fromkeys(draft.unit_ids)]
    if not notices:
        return []
    with transaction.atomic():
        created = Notice.objects.bulk_create(notices, batch_size=BATCH)
        if settings.NOTICE_GATEWAY:  # external delivery is on: after the commit
            ids = [n.pk for n in created if n.pk is not None]
            transaction.on_commit(lambda: _schedule(ids), robust=True)
    return created


def _schedule(ids: list[int]) -> None:
    """Hand the delivery to Celery (eager in the embedded set-up). Never raises: the write
    that sent the notices has committed, and the notices are on the page anyway."""
    from civicgrid.notices.tasks import deliver

    try:
        deliver.delay(ids)
    except Exception:
        logger.exception("delivery of notices %s could not be scheduled", ids[:10])


def notice_send(*, kind: str, text_key: str, params: Mapping[str, Any] | None = None,
                case_id: int | None = None, area_id: int | None = None,
                user_ids: Sequence[int] = (), unit_ids: Sequence[int] = (),
                now: datetime | None = None) -> list[Notice]:
    """Tell each user and each unit (everyone in it) about a case or an area: the sentence
    `text_key` of civicgrid/notices/texts.py with `params` (translated words given in every
    language, `texts.each_language`)."""
    return notice_send_batch([NoticeDraft(kind, text_key, params or {}, case_id, area_id,
                                          user_ids, unit_ids)], now=now)


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


def notice_mark_all_read(*, actor: User, category: str | None = None,
                         up_to_id: int | None = None) -> int:
    """Mark the reader's unread notices read — those of one tab (`category`), and only
    those they had on screen (`up_to_id`: the newest shown), so one arriving meanwhile
    stays unread. Each is marked by `notice_mark_read` (audited, one entry per notice).
    Answers how many were marked."""
    qs = notices_for(actor=actor, category=category)
    if up_to_id is not None:
        qs = qs.filter(pk__lte=up_to_id)
    marked = 0
    with transaction.atomic():
        for notice in qs.order_by("id"):
            notice_mark_read(notice=notice, actor=actor)
            marked += 1
    return marked


def notice_preference_set(*, actor: User, daily_digest: bool) -> NoticePreference:
    """A person chooses how notices reach them outside the system: one message each, or
    one digest a day (每日汇总). Only for themselves."""
    preference, _created = NoticePreference.objects.update_or_create(
        user=actor, defaults={"daily_digest": daily_digest})
    return preference


def notice_preference(*, actor: User) -> NoticePreference:
    return (NoticePreference.objects.filter(user=actor).first()
            or NoticePreference(user=actor))


# --- external delivery ----------------------------------------------------------------------
# Messages leave in the deployment's language (LANGUAGE_CODE, Chinese): accounts have no
# language preference, and the page a person chose English on is not their phone. Each
# message is formatted under translation.override, whatever the language of the request or
# the worker that runs the delivery.

def _shortened(text: str, limit: int) -> str:
    """`text`, or its first characters and an ellipsis: a quoted line never stops silently."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def notice_digest_text(notices: Sequence[Notice], *, title: str) -> str:
    """Several notices in one message: how many per tab, the newest few quoted.

    `notices` newest first. For example (title "每日汇总 2026-05-06"):

        【每日汇总 2026-05-06】您有 3 条未读通知:事件 2 条、预警 1 条。
        1. 320602-20260506-00001 已交办至城东街道人民调解委员会,请办理。
        …
        请登录系统查看。
    """
    counts = Counter(category_of(n.kind) for n in notices)
    parts = [_("%(category)s %(n)d 条") % {"category": label, "n": counts[value]}
             for value, label in NoticeCategory.choices if counts[value]]
    lines = [f"【{title}】" + _("您有 %(n)d 条未读通知:%(counts)s。")
             % {"n": len(notices), "counts": "、".join(parts)}]
    lines += [f"{i}. {_shortened(n.text, 80)}" for i, n in enumerate(notices[:DIGEST_LINES], 1)]
    if len(notices) > DIGEST_LINES:
        lines.append(_("另有 %(n)d 条。") % {"n": len(notices) - DIGEST_LINES})
    lines.append(_("请登录系统查看。"))
    return "\n".join(lines)


def _notice_text(notice: Notice) -> str:
    return f"【{notice.get_kind_display()}】{notice.text}"


def notice_deliver(notice_ids: Sequence[int]) -> int:
    """Send notices through the gateway (NOTICE_GATEWAY), after the write that created them
    committed: to each addressed user and each member of an addressed unit who is active,
    has a phone and did not ask for the daily digest. Someone concerned by several notices
    of one write gets one message. Answers how many messages were sent; with the gateway
    off, sends nothing and queries nothing."""
    gateway = notice_gateway()
    if gateway is None or not notice_ids:
        return 0
    notices = list(Notice.objects.filter(pk__in=notice_ids).order_by("-id"))
    members: defaultdict[int, set[int]] = defaultdict(set)
    for unit_id, user_id in UnitMembership.objects.filter(
            unit_id__in={n.unit_id for n in notices if n.unit_id}).values_list("unit_id",
                                                                             "user_id"):
        members[unit_id].add(user_id)
    per_user: defaultdict[int, list[Notice]] = defaultdict(list)
    for notice in notices:
        for user_id in ({notice.user_id} if notice.user_id else members[notice.unit_id or 0]):
            per_user[user_id].append(notice)
    recipients = (User.objects.filter(pk__in=per_user, is_active=True).exclude(phone="")
                  .exclude(notice_preference__daily_digest=True).order_by("pk")
                  .values_list("pk", "phone"))
    sent = 0
    for user_id, phone in recipients:
        mine = per_user[user_id]
        with translation.override(settings.LANGUAGE_CODE):
            text = (_notice_text(mine[0]) if len(mine) == 1
                    else notice_digest_text(mine, title=_("新通知")))
        try:
            gateway.deliver(phone, text)
            sent += 1
        except Exception:
            logger.exception("notice delivery to user %s failed", user_id)
    return sent


@dataclass
class DigestReport:
    gateway_off: bool = False
    sent: int = 0
    without_phone: int = 0  # asked for a digest, but their account has no phone
    nothing_new: int = 0


def notice_digests_send(*, now: datetime | None = None) -> DigestReport:
    """The daily digest (每日汇总): once a day, from NOTICE_DIGEST_HOUR (Shanghai time), each
    person who asked for it gets one message about their notices still unread that arrived
    since their previous digest (the first one: the last 24 hours). Idempotent: running it
    again the same day sends nothing (Celery beat or `run_due_jobs` may run it often).
    With the gateway off it does nothing at all."""
    gateway = notice_gateway()
    if gateway is None:
        return DigestReport(gateway_off=True)
    now = now or timezone.now()
    local = timezone.localtime(now, SHANGHAI)
    report = DigestReport()
    if local.hour < settings.NOTICE_DIGEST_HOUR:
        return report
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    due = (NoticePreference.objects.filter(daily_digest=True, user__is_active=True)
           .filter(Q(digest_sent_at__isnull=True) | Q(digest_sent_at__lt=day_start))
           .select_related("user").order_by("user_id"))
    with translation.override(settings.LANGUAGE_CODE):
        title = _("每日汇总") + f" {local.date().isoformat()}"
    for preference in due:
        user = preference.user
        since = preference.digest_sent_at or now - timedelta(days=1)
        unread = list(notices_for(actor=user).filter(created_at__gt=since,
                                                     created_at__lte=now).order_by("-id"))
        if not user.phone:
            report.without_phone += 1
        elif not unread:
            report.nothing_new += 1
        else:
            try:
                with translation.override(settings.LANGUAGE_CODE):
                    text = notice_digest_text(unread, title=title)
                gateway.deliver(user.phone, text)
            except Exception:
                logger.exception("daily digest to user %s failed", user.pk)
                continue  # tried again at the next run
            report.sent += 1
        preference.digest_sent_at = now
        preference.save(update_fields=["digest_sent_at"])
    return report

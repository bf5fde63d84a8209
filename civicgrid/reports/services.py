"""Writes of the reports app: publishing a district's monthly safety data release, and
correcting it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area, Level
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.core.scope import get_scope, user_can
from civicgrid.reports.models import MonthlyRelease
from civicgrid.reports.selectors import ReleaseData, release_data, release_snapshot

if TYPE_CHECKING:
    from civicgrid.accounts.models import User


def release_may_publish(*, district: Area, actor: User | None) -> bool:
    """A publisher (reports.monthlyrelease.publish: a leader, not a dispatcher) whose
    jurisdiction covers the district: the district's own leadership, or the city's above
    it."""
    if actor is None or not user_can(actor, MonthlyRelease, "publish"):
        return False
    return get_scope(actor).covers_code(district.code)


def release_digest(data: ReleaseData, *, public: bool) -> str:
    """A fingerprint of what publishing would freeze and show: both versions' numbers
    (without the moment they were computed) and whether the public version goes out. The
    confirmation page carries it; publishing refuses when it no longer matches."""
    text = json.dumps({"numbers": _numbers(release_snapshot(data)), "public": public},
                      sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def release_publish(*, district: Area, month: date, actor: User, public: bool = False,
                    expected: str | None = None, now: datetime | None = None
                    ) -> MonthlyRelease:
    """Publish the release of a district (区县) for a month that has ended: freeze the
    numbers of the internal and (with `public`, off unless asked for) the public version as
    they are now, and record it. `expected`: the `release_digest` of what the publisher
    confirmed; when given, publishing refuses if the numbers have changed since."""
    if not release_may_publish(district=district, actor=actor):
        raise PermissionDenied
    now = now or timezone.now()
    month = month.replace(day=1)
    if district.level != Level.COUNTY:
        raise ValidationError(_("平安数据按区县发布。"))
    if month >= timezone.localdate(now).replace(day=1):
        raise ValidationError(_("只能发布已经结束的月份。"))
    with transaction.atomic():
        if MonthlyRelease.objects.filter(district=district, month=month).exists():
            raise ValidationError(_("该月的平安数据已经发布。"))
        data = release_data(actor=actor, area=district, month=month, now=now)
        if expected is not None and expected != release_digest(data, public=public):
            raise ValidationError(_("确认之后数据有了变化(或确认已失效),请重新核对后再发布。"))
        try:
            with transaction.atomic():
                release = MonthlyRelease.objects.create(
                    district=district, month=month, public=public,
                    snapshot=release_snapshot(data), published_at=now, published_by=actor)
        except IntegrityError as exc:  # published by someone else a moment ago
            raise ValidationError(_("该月的平安数据已经发布。")) from exc
        counts = data["columns"]["current"]["counts"]
        audit_record(actor=actor, event_type=AuditEventType.RELEASE_PUBLISHED, subject=release,
                     details={"district": district.code, "month": release.month_key,
                              "public": public, "counts": counts})
    return release


CORRECTION_NOTE_MAX = 500


def _numbers(snapshot: Mapping[str, object]) -> dict[str, object]:
    """A snapshot without the moment it was computed at, as JSON gives it back."""
    return {version: {k: v for k, v in part.items() if k != "computed_at"}
            if isinstance(part, dict) else part
            for version, part in json.loads(json.dumps(snapshot)).items()}


def release_differs(release: MonthlyRelease, data: ReleaseData) -> bool:
    """Whether the release's numbers, computed now (`release_data`), differ from what was
    published."""
    return _numbers(release_snapshot(data)) != _numbers(release.snapshot)


def release_correct(*, district: Area, month: date, actor: User, note: str,
                    now: datetime | None = None) -> MonthlyRelease:
    """Publish a correction (更正) of a published month: the numbers as they are now become the
    next version, with the reason, shown in place of the earlier version, which is kept. The
    correction is public exactly when the release was."""
    if not release_may_publish(district=district, actor=actor):
        raise PermissionDenied
    now = now or timezone.now()
    month = month.replace(day=1)
    note = " ".join((note or "").split())
    if not note:
        raise ValidationError(_("请写明更正的原因。"))
    if len(note) > CORRECTION_NOTE_MAX:
        raise ValidationError(_("更正说明最多%(n)s个字。") % {"n": CORRECTION_NOTE_MAX})
    with transaction.atomic():
        current = (MonthlyRelease.objects.filter(district=district, month=month)
                   .order_by("-version").first())
        if current is None:
            raise ValidationError(_("该月的平安数据尚未发布,无需更正。"))
        data = release_data(actor=actor, area=district, month=month, now=now)
        if not release_differs(current, data):
            raise ValidationError(_("数据与已发布的版本相同,无需更正。"))
        try:
            with transaction.atomic():
                release = MonthlyRelease.objects.create(
                    district=district, month=month, public=current.public,
                    snapshot=release_snapshot(data),
                    published_at=now, published_by=actor, version=current.version + 1,
                    correction_note=note)
        except IntegrityError as exc:  # corrected by someone else a moment ago
            raise ValidationError(_("刚有人更正了该月的数据,请刷新页面后再试。")) from exc
        audit_record(actor=actor, event_type=AuditEventType.RELEASE_CORRECTED, subject=release,
                     details={"district": district.code, "month": release.month_key,
                              "version": release.version, "replaces": current.pk,
                              "note": note,
                              "counts_before": current.snapshot["internal"]["columns"][
                                  "current"]["counts"],
                              "counts": data["columns"]["current"]["counts"]})
    return release

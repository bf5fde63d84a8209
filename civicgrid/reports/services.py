"""Writes of the reports app: publishing a district's monthly safety data release."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.scope import get_scope, user_can
from civicgrid.areas.models import Area, Level
from civicgrid.audit.services import audit_record
from civicgrid.reports.models import MonthlyRelease
from civicgrid.reports.selectors import release_data, release_snapshot


def release_may_publish(*, district: Area, actor) -> bool:
    """A supervisor (reports.monthlyrelease.publish) whose jurisdiction covers the district:
    the district's governance centre, or the city's above it."""
    if actor is None or not user_can(actor, MonthlyRelease, "publish"):
        return False
    return get_scope(actor).covers_code(district.code)


def release_publish(*, district: Area, month: date, actor, public: bool = True,
                    now: datetime | None = None) -> MonthlyRelease:
    """Publish the release of a district (区县) for a month that has ended: freeze the
    numbers of the internal and the public version as they are now, and record it."""
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
        data = release_data(area=district, month=month, now=now)
        try:
            with transaction.atomic():
                release = MonthlyRelease.objects.create(
                    district=district, month=month, public=public,
                    snapshot=release_snapshot(data), published_at=now, published_by=actor)
        except IntegrityError as exc:  # published by someone else a moment ago
            raise ValidationError(_("该月的平安数据已经发布。")) from exc
        counts = data["columns"]["current"]["counts"]
        audit_record(actor=actor, event_type="report.release_published", subject=release,
                     details={"district": district.code, "month": release.month_key,
                              "public": public, "counts": counts})
    return release

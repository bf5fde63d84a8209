"""Writes of the stats app: KPI targets (the rollup itself is written only by
civicgrid/stats/rollups.py, from the case services)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.core.scope import user_can
from civicgrid.stats.models import Indicator, KpiTarget

if TYPE_CHECKING:
    from civicgrid.accounts.models import User


@transaction.atomic
def kpi_target_set(*, indicator: str, area_code: str, year: int, value: Decimal,
                   note: str = "", actor: User | None) -> KpiTarget:
    """Set (create or change) the target of an indicator for an area subtree and a year
    (0 = every year; area "" = the whole deployment). `actor=None` only for the demo and
    management commands."""
    if actor is not None and not user_can(actor, KpiTarget, "change"):
        raise PermissionDenied
    if indicator not in Indicator.values:
        raise ValidationError({"indicator": _("未知的考核指标。")})
    if not Decimal(0) <= value <= Decimal(100):
        raise ValidationError({"value": _("目标值须在0至100之间。")})
    if year and not 2000 <= year <= 2100:
        raise ValidationError({"year": _("年度须为 2000–2100,或 0 表示每年。")})
    if area_code and not Area.objects.filter(code=area_code).exists():
        raise ValidationError({"area_code": _("没有这个区域代码。")})
    target, created = KpiTarget.objects.update_or_create(
        indicator=indicator, area_code=area_code, year=year,
        defaults={"value": value, "note": note[:200]})
    audit_record(actor=actor, event_type=AuditEventType.STATS_TARGET_SET, subject=target,
                 username="system" if actor is None else "",
                 details={"indicator": indicator, "area": area_code, "year": year,
                          "value": str(value), "created": created})
    return target

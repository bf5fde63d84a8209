"""Small display helpers of the warnings pages."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

STATE_LABELS = {
    "reported": ("bg-green text-white", _("已报送")),
    "zero": ("bg-teal text-white", _("零报告")),
    "late": ("bg-orange text-white", _("迟报")),
    "missing": ("bg-red text-white", _("未报")),
    "open": ("bg-secondary-lt", _("未到截止")),
    "not_expected": ("bg-secondary-lt", _("无需报送")),
}


@register.filter
def pct(value: Decimal | None) -> str:
    """93.72 → "93.72%"; None (nothing expected) → "—"."""
    if value is None:
        return "—"
    return f"{value.normalize():f}%" if value == value.to_integral() else f"{value}%"


@register.filter
def state_class(state: str) -> str:
    return STATE_LABELS.get(state, ("bg-secondary-lt", ""))[0]


@register.filter
def state_label(state: str) -> str:
    return str(STATE_LABELS.get(state, ("", ""))[1])

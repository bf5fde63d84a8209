"""Figures as people read them: ratios rounded half up (四舍五入), as published."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

TWO_PLACES = Decimal("0.01")


def ratio(numerator: int, denominator: int, factor: int = 100) -> Decimal | None:
    """numerator ÷ denominator × factor, rounded half up to two places; None for 0 ÷ 0.
    ratio(1, 160) is 0.63 (0.625 rounds up), where Decimal's default and round() give 0.62."""
    if denominator <= 0:
        return None
    value = Decimal(numerator) * factor / Decimal(denominator)
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)

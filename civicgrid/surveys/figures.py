"""The safety index of an area for the KPI page and the monthly release (civicgrid/stats,
civicgrid/reports): which closed round speaks for the area, and what it says.

For an area and a moment (the end of the period shown), the candidates are the rounds
closed before that moment, with an index, of the area itself or of an area above it. The
latest half-year among them decides; within it the finest result wins:

    own      the area's own round (its overall index);
    domain   a round above whose result for the area — or, for an area below the round's
             strata, for the nearest area above it that is a stratum's area (a district
             round gives results per street) — was published (not suppressed: at least
             100 respondents and a half-width of at most 5 points);
    whole    the round above as a whole, when nothing finer is available (its nearest
             area first).

An own round whose estimate is suppressed (fewer than 100 respondents or a half-width above
5 points) still speaks for the area, flagged `suppressed`: the internal pages show it marked
样本不足,仅供参考 (never ranked, never judged against the target) and the public release
withholds it. Within the same half, though, a published result about the very same area in
a round above (a district round's result for the street) is preferred to it: it is about the
same area and the same period, and it may be published. Nothing else replaces it — not a
result of an area above (not about this area), not the round above as a whole, and not an
older half (the latest half decides, so an older figure is never passed off as current).

Whose figure it is: `AreaIndex.area_code`. A figure found for an area below the area it is
about (a domain result of an area above, or a round above as a whole) is inherited:
`is_about(code)` is False, and rankings and a release's per-child columns must not use it.

Aggregates only (the round's published figures): the callers check the reader's access to
the area's figures; no reader check is needed here (selectors.latest_index says the same).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from civicgrid.core.scope import ancestor_codes
from civicgrid.surveys.models import Round, RoundStatus

OWN, DOMAIN, WHOLE = "own", "domain", "whole"
TWO_PLACES = Decimal("0.01")


def as_percent(fraction: float | Decimal | None) -> Decimal | None:
    """0.923456 → Decimal("92.35") (half up, as the KPI page prints rates)."""
    if fraction is None:
        return None
    return (Decimal(str(fraction)) * 100).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class AreaIndex:
    """The safety index that speaks for an area, with where it comes from."""

    round: Round
    basis: str  # OWN, DOMAIN or WHOLE
    area_code: str  # whose figure it is: the round's area, or the domain's
    area_name: str
    value: float
    ci_low: float | None
    ci_high: float | None
    n: int
    suppressed: bool  # an own round's (or a round above's whole) figure may be; a domain's never

    def is_about(self, area_code: str) -> bool:
        """Whether this is a figure of that very area (its own round, or its own result in a
        round above) — not one inherited from an area above it."""
        return self.area_code == area_code

    @property
    def percent(self) -> Decimal:
        value = as_percent(self.value)
        assert value is not None
        return value

    @property
    def ci_low_percent(self) -> Decimal | None:
        return as_percent(self.ci_low)

    @property
    def ci_high_percent(self) -> Decimal | None:
        return as_percent(self.ci_high)

    @property
    def target_percent(self) -> Decimal:
        """The round's own target (群众安全感指数保持在90%以上: 0.900 by default)."""
        value = as_percent(self.round.index_target)
        assert value is not None
        return value


def _from(round_: Round, basis: str, code: str, name: str,
          estimate: dict[str, Any]) -> AreaIndex:
    return AreaIndex(round=round_, basis=basis, area_code=code, area_name=name,
                     value=float(estimate["value"]), ci_low=estimate.get("ci_low"),
                     ci_high=estimate.get("ci_high"), n=int(estimate.get("n") or 0),
                     suppressed=bool(estimate.get("suppressed")))


def _domain(round_: Round, area_code: str) -> dict[str, Any] | None:
    """The round's published result for the area, or for its nearest area above that the
    round reports on (never the round's own area: that is WHOLE)."""
    best: dict[str, Any] | None = None
    for entry in (round_.results or {}).get("domains", []):
        code = entry.get("code", "")
        estimate = entry.get("index") or {}
        if (code == round_.area_code or not area_code.startswith(code)
                or estimate.get("value") is None or estimate.get("suppressed")):
            continue
        if best is None or len(code) > len(best["code"]):
            best = entry
    return best


def _grade(choice: AreaIndex, area_code: str) -> int:
    """How well a candidate of one half speaks for the area, best first: its own published
    figure; a published result about it in a round above; its own suppressed figure (see
    the module docstring); a result of an area above it; the round above as a whole."""
    if choice.basis == OWN:
        return 2 if choice.suppressed else 0
    if choice.basis == DOMAIN:
        return 1 if choice.is_about(area_code) else 3
    return 4


def _choose(area_code: str, rounds: Iterable[Round]) -> AreaIndex | None:
    found: list[tuple[tuple[int, int], int, int, AreaIndex]] = []
    for round_ in rounds:
        if round_.area_code != area_code and not area_code.startswith(round_.area_code):
            continue
        estimate = (round_.results or {}).get("index") or {}
        if estimate.get("value") is None:
            continue
        if round_.area_code == area_code:
            choice = _from(round_, OWN, round_.area_code, round_.area.name, estimate)
        elif (entry := _domain(round_, area_code)) is not None:
            choice = _from(round_, DOMAIN, entry["code"], entry["name"], entry["index"])
        else:
            choice = _from(round_, WHOLE, round_.area_code, round_.area.name, estimate)
        # latest half first; then the best grade, the nearest round area, the latest
        found.append(((round_.year, round_.half), -_grade(choice, area_code),
                      len(round_.area_code), choice))
    if not found:
        return None
    found.sort(key=lambda f: (f[0], f[1], f[2], f[3].round.pk))
    return found[-1][3]


def area_indexes(area_codes: Sequence[str], *, closed_before: datetime | None = None
                 ) -> dict[str, AreaIndex | None]:
    """The index that speaks for each area (see the module docstring), as of
    `closed_before` (rounds closed before it; None: all closed rounds). One query."""
    wanted = {c for code in area_codes for c in (code, *ancestor_codes(code))}
    rounds = (Round.objects.filter(area_code__in=wanted, status=RoundStatus.CLOSED,
                                   index_value__isnull=False)
              .select_related("area"))
    if closed_before is not None:
        rounds = rounds.filter(closed_at__lt=closed_before)
    candidates = list(rounds.order_by("-year", "-half", "-id"))
    return {code: _choose(code, candidates) for code in area_codes}


def area_index(area_code: str, *, closed_before: datetime | None = None) -> AreaIndex | None:
    return area_indexes([area_code], closed_before=closed_before)[area_code]

"""Survey design arithmetic: sample size, precision and allocation across strata.

Pure standard library (no Django, no numpy): the survey services call these functions and
translate the ValueError messages for the user.

Notation: p is the expected proportion (the safety index, the share answering the top three
of the five-point scale), e the margin of error (half the width of the confidence interval),
z the two-sided normal quantile of the confidence level, N the population (frame) size,
deff the design effect and n a number of completed interviews.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from statistics import NormalDist

METHODS = ("proportional", "equal", "neyman")


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile: z = Φ⁻¹(1 − (1 − confidence)/2).

    z_value(0.95) = 1.959963984540054.
    """
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def _ceil(value: float) -> int:
    """Ceiling after rounding to 9 decimals, so that float noise such as 384.00000000000006
    does not add a whole interview."""
    return math.ceil(round(value, 9))


@dataclass(frozen=True)
class SampleSize:
    """The steps from the precision target to the number of units to draw.

    z          the normal quantile of `confidence`
    n0         ⌈z²·p(1−p)/e²⌉, completes for simple random sampling from an infinite population
    n_fpc      ⌈n0 / (1 + (n0−1)/N)⌉ with the finite population correction, n0 without N
    n_design   ⌈n_fpc·deff⌉, completes needed under the design effect
    n_issued   ⌈n_design / response_rate⌉, units to draw so that the expected completes reach
               n_design (it may exceed the population: the caller decides what to do then)
    """

    p: float
    margin: float
    confidence: float
    deff: float
    response_rate: float
    population: int | None
    z: float
    n0: int
    n_fpc: int
    n_design: int
    n_issued: int


def sample_size(
    *,
    p: float,
    margin: float,
    confidence: float = 0.95,
    deff: float = 1.0,
    response_rate: float = 1.0,
    population: int | None = None,
) -> SampleSize:
    """Sample size for estimating a proportion p to within ±margin.

    n0 = ⌈z²·p(1−p)/e²⌉; n_fpc = ⌈n0/(1 + (n0−1)/N)⌉ (n0 when N is not given);
    n_design = ⌈n_fpc·deff⌉; n_issued = ⌈n_design/response_rate⌉. Every product is rounded
    to 9 decimals before the ceiling. Example: p = 0.9, e = 0.03, 95 %:
    z² = 3.841459, ×0.09 = 0.345731, ÷0.0009 = 384.15 → n0 = 385.
    """
    if not 0 < p < 1:
        raise ValueError("p must be between 0 and 1")
    if not 0 < margin < 1:
        raise ValueError("margin must be between 0 and 1")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    if not deff >= 1:
        raise ValueError("the design effect must be at least 1")
    if not 0 < response_rate <= 1:
        raise ValueError("the response rate must be above 0 and at most 1")
    if population is not None and population < 1:
        raise ValueError("the population must be at least 1")
    z = z_value(confidence)
    n0 = _ceil(z * z * p * (1 - p) / (margin * margin))
    n_fpc = n0 if population is None else _ceil(n0 / (1 + (n0 - 1) / population))
    n_design = _ceil(n_fpc * deff)
    n_issued = _ceil(n_design / response_rate)
    return SampleSize(
        p=p,
        margin=margin,
        confidence=confidence,
        deff=deff,
        response_rate=response_rate,
        population=population,
        z=z,
        n0=n0,
        n_fpc=n_fpc,
        n_design=n_design,
        n_issued=n_issued,
    )


def half_width(*, p: float, n: int, confidence: float = 0.95, deff: float = 1.0) -> float:
    """Half width of the normal-approximation interval of a proportion:
    z·√(deff·p(1−p)/n). Example: p = 0.9, n = 400 → 1.96·√(0.09/400) = 1.96·0.015 ≈ 0.0294.
    """
    if not 0 <= p <= 1:
        raise ValueError("p must be between 0 and 1")
    if n < 1:
        raise ValueError("n must be at least 1")
    if not deff > 0:
        raise ValueError("the design effect must be positive")
    return z_value(confidence) * math.sqrt(deff * p * (1 - p) / n)


def _continuous(
    *, measures: dict[str, Fraction], floors: dict[str, int], caps: dict[str, int], n: int
) -> dict[str, Fraction]:
    """Exact continuous allocation x_h = min(N_h, max(floor_h, λ·m_h)) with Σx_h = n.

    S(λ) = Σ min(N_h, max(floor_h, λ·m_h)) is continuous, piecewise linear and
    nondecreasing in λ, with breakpoints at floor_h/m_h and N_h/m_h. The breakpoints are
    walked in order until S reaches n, then λ is solved on that linear piece. This is the
    fixed point of "give take-all strata N_h, raise small strata to their minimum and share
    what is left among the others in proportion to m_h", reached without iterating.
    """

    def total(lam: Fraction) -> Fraction:
        return sum(
            (min(Fraction(caps[h]), max(Fraction(floors[h]), lam * measures[h])) for h in caps),
            Fraction(0),
        )

    def at(lam: Fraction) -> dict[str, Fraction]:
        return {h: min(Fraction(caps[h]), max(Fraction(floors[h]), lam * measures[h]))
                for h in caps}

    breaks = sorted(
        {Fraction(floors[h]) / measures[h] for h in caps if measures[h] > 0}
        | {Fraction(caps[h]) / measures[h] for h in caps if measures[h] > 0}
    )
    target = Fraction(n)
    low = Fraction(0)
    if total(low) >= target:
        return at(low)
    for high in breaks:
        if total(high) >= target:
            # On [low, high] S is linear: S(λ) = S(low) + slope·(λ − low).
            slope_strata = [h for h in caps
                            if measures[h] > 0 and floors[h] <= low * measures[h]
                            and high * measures[h] <= caps[h]]
            slope = sum((measures[h] for h in slope_strata), Fraction(0))
            lam = low + (target - total(low)) / slope
            return at(lam)
        low = high
    raise ValueError("n is larger than the strata with a positive standard deviation can take")


def allocate(
    *,
    sizes: Mapping[str, int],
    n: int,
    method: str,
    sds: Mapping[str, float] | None = None,
    minimum: int = 2,
) -> dict[str, int]:
    """Allocate n interviews to strata of sizes N_h.

    Methods (m_h is the measure the allocation is proportional to):
      proportional  n_h ∝ N_h
      equal         n_h = n/H (m_h = 1)
      neyman        n_h ∝ N_h·S_h, S_h the expected standard deviation from `sds`
                    (for a proportion, √(p_h(1−p_h)))

    Bounds: min(minimum, N_h) ≤ n_h ≤ N_h. A stratum whose share exceeds N_h is taken whole
    (take-all) and the excess is shared among the others by the same rule; a stratum whose
    share falls below its minimum is raised to it and the others give up the difference;
    this is repeated until stable (computed exactly with fractions, see `_continuous`).

    Rounding by largest remainder: each stratum gets ⌊x_h⌋ and the n − Σ⌊x_h⌋ interviews
    left go to the largest fractional parts, ties broken by stratum key in sorted order,
    so Σn_h == n exactly. Rounding keeps the bounds (they are integers). The result keeps
    the key order of `sizes`.
    """
    if method not in METHODS:
        raise ValueError("unknown allocation method")
    if not sizes:
        raise ValueError("no strata to allocate to")
    if n < 0:
        raise ValueError("n must not be negative")
    if minimum < 0:
        raise ValueError("the minimum must not be negative")
    if any(size < 0 for size in sizes.values()):
        raise ValueError("a stratum size must not be negative")
    if n > sum(sizes.values()):
        raise ValueError("n is larger than the population")
    floors = {h: min(minimum, size) for h, size in sizes.items()}
    if n < sum(floors.values()):
        raise ValueError("n is smaller than the minimum per stratum")
    measures: dict[str, Fraction]
    if method == "proportional":
        measures = {h: Fraction(size) for h, size in sizes.items()}
    elif method == "equal":
        measures = {h: Fraction(1) for h in sizes}
    else:
        if sds is None:
            raise ValueError("neyman allocation needs the standard deviation of every stratum")
        measures = {}
        for h, size in sizes.items():
            if h not in sds:
                raise ValueError(f"no standard deviation for stratum {h}")
            sd = sds[h]
            if not (math.isfinite(sd) and sd >= 0):
                raise ValueError(f"the standard deviation of stratum {h} must be 0 or more")
            measures[h] = Fraction(size) * Fraction(sd)
    caps = dict(sizes)
    exact = _continuous(measures=measures, floors=floors, caps=caps, n=n)
    result = {h: math.floor(x) for h, x in exact.items()}
    left = n - sum(result.values())
    order = sorted(sorted(sizes), key=lambda h: exact[h] - result[h], reverse=True)
    for h in order[:left]:
        result[h] += 1
    return result

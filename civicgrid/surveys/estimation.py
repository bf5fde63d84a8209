"""Design-based estimation for a stratified sample of individuals.

Each respondent is its own primary sampling unit; the variance of a weighted mean or
proportion is estimated by Taylor linearisation within strata, as samplics' TaylorEstimator
does for a mean or a proportion with `stratum=` and no `psu=` (checked against samplics
0.6.1 to 1e-6 in tests/test_estimation.py).

Weights: base_weights gives w_h = N_h/r_h (the design weight N_h/n_h times the nonresponse
adjustment n_h/r_h within the stratum); poststratify rescales them to known totals.
Response rates follow the AAPOR Standard Definitions (RR1, RR2, COOP1, REF1, CON1).

Pure standard library (no Django, no numpy).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from civicgrid.surveys.design import z_value

WALD = "wald"
LOGIT = "logit"
WILSON = "wilson"

AAPOR_CODES = ("I", "P", "R", "NC", "O", "UH", "UO", "NE")


@dataclass(frozen=True)
class Respondent:
    """One completed interview: its stratum, its final weight and the value of the variable
    (0/1 for an indicator such as "answered the top three of the scale", or any number for a
    mean)."""

    stratum: str
    weight: float
    value: float


@dataclass(frozen=True)
class Answer:
    """One respondent's answer to a categorical question (for estimate_shares)."""

    stratum: str
    weight: float
    category: str


@dataclass(frozen=True)
class Estimate:
    """A weighted estimate with its linearised standard error and confidence interval.

    value          p̂ = Σw·y / Σw
    se             √var, the Taylor-linearised standard error
    n              number of respondents
    weight_total   Σw, the estimated population size
    ci_low, ci_high, method
                   the interval and how it was made ("wald", "logit" or "wilson", see
                   estimate_mean)
    half_width     (ci_high − ci_low)/2
    deff           var / (p̂(1−p̂)/n) for a 0/1 variable (Kish's design effect against
                   simple random sampling of the same n), None otherwise or when p̂ is 0 or 1
    singletons     strata with a single respondent (they add nothing to the variance)
    confidence     the confidence level of the interval
    """

    value: float
    se: float
    n: int
    weight_total: float
    ci_low: float
    ci_high: float
    method: str
    half_width: float
    deff: float | None
    singletons: tuple[str, ...]
    confidence: float


@dataclass(frozen=True)
class Rates:
    """AAPOR outcome rates; None where the denominator is zero."""

    rr1: float | None
    rr2: float | None
    coop1: float | None
    ref1: float | None
    con1: float | None


def base_weights(
    *, population: Mapping[str, int], respondents_per_stratum: Mapping[str, int]
) -> dict[str, float]:
    """Weight per stratum w_h = N_h / r_h, N_h the stratum's population and r_h its
    respondents. This is the design weight N_h/n_h times the nonresponse adjustment
    n_h/r_h within the stratum (n_h cancels)."""
    for name in respondents_per_stratum:
        if name not in population:
            raise ValueError(f"no population for stratum {name}")
    weights: dict[str, float] = {}
    for name, size in population.items():
        if size < 1:
            raise ValueError(f"the population of stratum {name} must be at least 1")
        respondents = respondents_per_stratum.get(name, 0)
        if respondents < 1:
            raise ValueError(f"stratum {name} has no respondents")
        if respondents > size:
            raise ValueError(f"stratum {name} has more respondents than population")
        weights[name] = size / respondents
    return weights


def poststratify(
    *, weights: Sequence[float], cells: Sequence[str], totals: Mapping[str, float]
) -> list[float]:
    """Post-stratification: each weight in cell c is multiplied by T_c / Σ_{i∈c} w_i, so the
    weights of every cell add up to its known total T_c."""
    if len(weights) != len(cells):
        raise ValueError("weights and cells differ in length")
    if any(not (math.isfinite(w) and w > 0) for w in weights):
        raise ValueError("weights must be positive")
    sums: dict[str, list[float]] = {}
    for weight, cell in zip(weights, cells, strict=True):
        if cell not in totals:
            raise ValueError(f"no total for cell {cell}")
        sums.setdefault(cell, []).append(weight)
    for cell, total in totals.items():
        if cell not in sums:
            raise ValueError(f"cell {cell} has no respondents")
        if not (math.isfinite(total) and total > 0):
            raise ValueError(f"the total of cell {cell} must be positive")
    factors = {cell: totals[cell] / math.fsum(values) for cell, values in sums.items()}
    return [weight * factors[cell] for weight, cell in zip(weights, cells, strict=True)]


def _is_binary(values: Sequence[float]) -> bool:
    return all(value in (0.0, 1.0) for value in values)


def _logistic(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def estimate_mean(
    respondents: Sequence[Respondent],
    *,
    confidence: float = 0.95,
    fpc: Mapping[str, float] | None = None,
    critical_value: float | None = None,
) -> Estimate:
    """Weighted mean (a proportion for a 0/1 variable) of a stratified sample, with its
    Taylor-linearised standard error.

    Point:    p̂ = Σ w_i y_i / Σ w_i (ratio estimator).
    Scores:   z_i = w_i (y_i − p̂) / Σw.
    Variance: var = Σ_h (1 − f_h) · n_h/(n_h − 1) · Σ_{i∈h} (z_hi − z̄_h)², z̄_h the mean score
              of stratum h. f_h = n_h/N_h when `fpc` maps every stratum to its population
              N_h, else 0. A stratum with n_h = 1 adds 0 and is listed in `singletons`.
              This is samplics' formula (TaylorEstimator, no PSU: n_h/(n_h−1) times the sum
              of squared deviations of the scores); samplics takes the factor (1 − f_h)
              itself as its `fpc`, here it is computed from N_h.
    se = √var; deff = var / (p̂(1−p̂)/n) for a 0/1 variable with 0 < p̂ < 1, else None.

    Interval, with z the normal quantile of `confidence` (or `critical_value` when given,
    e.g. the Student t quantile with n − H degrees of freedom that samplics uses):
      * values not all 0/1: Wald, p̂ ± z·se;
      * 0/1 and 0.1 ≤ p̂ ≤ 0.9: Wald, p̂ ± z·se, clipped to [0, 1];
      * 0/1 and 0 < p̂ < 0.1 or 0.9 < p̂ < 1: logit, logistic(logit(p̂) ± z·se/(p̂(1−p̂)))
        (samplics' interval for a proportion);
      * 0/1 and p̂ exactly 0 or 1: Wilson with the effective sample size
        n_eff = p̂(1−p̂)/se² (n when se = 0, which it is here since every y is equal):
        (p̂ + z²/2m ± z·√(p̂(1−p̂)/m + z²/4m²)) / (1 + z²/m), m = n_eff; so [0, z²/(m+z²)]
        for p̂ = 0 and [m/(m+z²), 1] for p̂ = 1.
    """
    if not respondents:
        raise ValueError("no respondents")
    for r in respondents:
        if not (math.isfinite(r.weight) and r.weight > 0):
            raise ValueError("weights must be positive")
        if not math.isfinite(r.value):
            raise ValueError("values must be finite numbers")
    z = z_value(confidence) if critical_value is None else critical_value
    if not (math.isfinite(z) and z > 0):
        raise ValueError("the critical value must be positive")

    n = len(respondents)
    total = math.fsum(r.weight for r in respondents)
    p = math.fsum(r.weight * r.value for r in respondents) / total

    scores: dict[str, list[float]] = {}
    for r in respondents:
        scores.setdefault(r.stratum, []).append(r.weight * (r.value - p) / total)
    if fpc is not None:
        for name, stratum_scores in scores.items():
            if name not in fpc:
                raise ValueError(f"no population for stratum {name}")
            if fpc[name] < len(stratum_scores):
                raise ValueError(f"stratum {name} has more respondents than population")

    variance_terms: list[float] = []
    singletons: list[str] = []
    for name in sorted(scores):
        values = scores[name]
        n_h = len(values)
        if n_h == 1:
            singletons.append(name)
            continue
        mean = math.fsum(values) / n_h
        squares = math.fsum((value - mean) ** 2 for value in values)
        factor = 1.0 if fpc is None else 1 - n_h / fpc[name]
        variance_terms.append(factor * n_h / (n_h - 1) * squares)
    variance = math.fsum(variance_terms)
    se = math.sqrt(variance)

    binary = _is_binary([r.value for r in respondents])
    deff = variance / (p * (1 - p) / n) if binary and 0 < p < 1 else None
    if binary and p in (0.0, 1.0):
        method = WILSON
        m = p * (1 - p) / variance if variance > 0 else float(n)
        z2 = z * z
        if p == 0:
            low, high = 0.0, z2 / (m + z2)
        else:
            low, high = m / (m + z2), 1.0
    elif binary and (p < 0.1 or p > 0.9):
        method = LOGIT
        centre = math.log(p / (1 - p))
        spread = z * se / (p * (1 - p))
        low, high = _logistic(centre - spread), _logistic(centre + spread)
    else:
        method = WALD
        low, high = p - z * se, p + z * se
        if binary:
            low, high = max(low, 0.0), min(high, 1.0)
    return Estimate(
        value=p,
        se=se,
        n=n,
        weight_total=total,
        ci_low=low,
        ci_high=high,
        method=method,
        half_width=(high - low) / 2,
        deff=deff,
        singletons=tuple(singletons),
        confidence=confidence,
    )


def estimate_shares(
    answers: Sequence[Answer],
    *,
    categories: Sequence[str],
    confidence: float = 0.95,
    fpc: Mapping[str, float] | None = None,
    critical_value: float | None = None,
) -> dict[str, Estimate]:
    """The share of each category, each estimated by estimate_mean on its 0/1 indicator
    (y_i = 1 when respondent i chose that category). Every answer must be one of
    `categories`; a category nobody chose gets p̂ = 0 with its Wilson interval."""
    if not categories:
        raise ValueError("no categories")
    if len(set(categories)) != len(categories):
        raise ValueError("duplicate category")
    known = set(categories)
    for answer in answers:
        if answer.category not in known:
            raise ValueError(f"answer outside the categories: {answer.category}")
    return {
        category: estimate_mean(
            [
                Respondent(
                    stratum=a.stratum,
                    weight=a.weight,
                    value=1.0 if a.category == category else 0.0,
                )
                for a in answers
            ],
            confidence=confidence,
            fpc=fpc,
            critical_value=critical_value,
        )
        for category in categories
    }


def aapor_rates(counts: Mapping[str, int]) -> Rates:
    """AAPOR outcome rates from final disposition counts (missing codes count 0):

    I complete, P partial, R refusal and break-off, NC non-contact, O other, UH unknown if
    household/eligible, UO unknown other, NE not eligible (in no rate).
    D = (I+P) + (R+NC+O) + (UH+UO)
    RR1 = I/D; RR2 = (I+P)/D; COOP1 = I/((I+P)+R+O); REF1 = R/D; CON1 = ((I+P)+R+O)/D.
    """
    for code, count in counts.items():
        if code not in AAPOR_CODES:
            raise ValueError(f"unknown disposition code: {code}")
        if count < 0:
            raise ValueError("disposition counts must not be negative")
    c = {code: counts.get(code, 0) for code in AAPOR_CODES}
    interviews = c["I"] + c["P"]
    denominator = interviews + (c["R"] + c["NC"] + c["O"]) + (c["UH"] + c["UO"])
    contacted = interviews + c["R"] + c["O"]

    def ratio(numerator: int, base: int) -> float | None:
        return numerator / base if base else None

    return Rates(
        rr1=ratio(c["I"], denominator),
        rr2=ratio(interviews, denominator),
        coop1=ratio(c["I"], contacted),
        ref1=ratio(c["R"], denominator),
        con1=ratio(contacted, denominator),
    )


def suppressed(estimate: Estimate, *, min_n: int = 100, max_half_width: float = 0.05) -> bool:
    """Whether an estimate is too weak to publish: fewer than `min_n` respondents or an
    interval half width above `max_half_width` (5 percentage points by default)."""
    return estimate.n < min_n or estimate.half_width > max_half_width

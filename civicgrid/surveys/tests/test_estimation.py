"""Weights, stratified Taylor-linearised estimates and AAPOR rates.

Reference numbers come from worked examples by hand and from samplics (see the block
"Against samplics" below); nothing here computes its expectation with the code under test.
"""

from __future__ import annotations

import pytest

from civicgrid.surveys.estimation import (
    Answer,
    Estimate,
    Respondent,
    aapor_rates,
    base_weights,
    estimate_mean,
    estimate_shares,
    poststratify,
    suppressed,
)

# --- a textbook example worked by hand ------------------------------------------------------
#
# Two strata of 3 respondents, every weight 1: A answers 1, 1, 0 and B answers 1, 0, 0.
#   Σw = 6, p̂ = 3/6 = 0.5.
#   Scores z_i = w_i (y_i − p̂)/Σw = ±0.5/6 = ±1/12.
#   A: 1/12, 1/12, −1/12; mean 1/36; deviations 2/36, 2/36, −4/36;
#      Σ dev² = (4 + 4 + 16)/1296 = 24/1296 = 1/54; × n/(n−1) = 3/2 → 1/36.
#   B: 1/12, −1/12, −1/12; mean −1/36; deviations 4/36, −2/36, −2/36 → likewise 1/36.
#   var = 1/36 + 1/36 = 1/18 = 0.0555556; se = √(1/18) = 0.2357023.
# Textbook check: V = Σ W_h² s_h²/n_h with W_h = 1/2 and s_h² = 1/3 in both strata
#   (A: mean 2/3, ((1/3)² + (1/3)² + (2/3)²)/2 = (6/9)/2 = 1/3):
#   V = 2 × (1/4)(1/3)/3 = 1/18. ✓
# deff = (1/18) / (0.5 × 0.5 / 6) = (1/18)/(1/24) = 24/18 = 1.3333333.
# Wald (0.1 ≤ 0.5 ≤ 0.9): 0.5 ± 1.959964 × 0.2357023 = 0.5 ± 0.4619679 → [0.0380321, 0.9619679].
# With N_h = 6 in both strata, f_h = 3/6 and var = (1 − 1/2) × 1/18 = 1/36, se = 1/6.
HAND = [
    Respondent(stratum="A", weight=1.0, value=1.0),
    Respondent(stratum="A", weight=1.0, value=1.0),
    Respondent(stratum="A", weight=1.0, value=0.0),
    Respondent(stratum="B", weight=1.0, value=1.0),
    Respondent(stratum="B", weight=1.0, value=0.0),
    Respondent(stratum="B", weight=1.0, value=0.0),
]


def test_hand_worked_stratified_variance():
    e = estimate_mean(HAND)
    assert e.value == 0.5
    assert abs(e.se**2 - 0.0555556) < 1e-7
    assert abs(e.se - 0.2357023) < 1e-7
    assert abs(e.ci_low - 0.0380321) < 1e-7
    assert abs(e.ci_high - 0.9619679) < 1e-7
    assert abs(e.half_width - 0.4619679) < 1e-7
    assert e.method == "wald"
    assert e.deff is not None and abs(e.deff - 1.3333333) < 1e-7
    assert (e.n, e.weight_total, e.singletons) == (6, 6.0, ())
    assert e.confidence == 0.95


def test_hand_worked_finite_population_correction():
    e = estimate_mean(HAND, fpc={"A": 6, "B": 6})
    assert abs(e.se - 1 / 6) < 1e-12  # √((1 − 3/6) × 1/18) = √(1/36)


def test_the_order_of_respondents_does_not_matter():
    e = estimate_mean(list(reversed(HAND)))
    assert abs(e.se - 0.2357023) < 1e-7


def test_singleton_stratum_adds_nothing_and_is_reported():
    # HAND plus one respondent alone in stratum C (weight 1, value 1): Σw = 7, p̂ = 4/7.
    # C contributes 0; A and B now have scores (y − 4/7)/7:
    #   A: 3/49, 3/49, −4/49; mean 2/147; dev² sum = ((9−2)² + (9−2)² + (−12−2)²)/147²
    #      = (49 + 49 + 196)/21609 = 294/21609; × 3/2 = 441/21609 = 1/49.
    #   B: 3/49, −4/49, −4/49; mean −5/147; dev² sum = (14² + 7² + 7²)/21609 = 294/21609 → 1/49.
    #   var = 2/49 = 0.0408163, se = 0.2020305.
    e = estimate_mean([*HAND, Respondent(stratum="C", weight=1.0, value=1.0)])
    assert abs(e.value - 4 / 7) < 1e-12
    assert abs(e.se - 0.2020305) < 1e-7
    assert e.singletons == ("C",)


def test_wald_interval_is_clipped_to_0_1_for_a_proportion():
    # One stratum, y = 1, 0 with weights 1, 1: p̂ = 0.5, z = ±1/4, Σ dev² = 1/8, × 2 = 1/4,
    # se = 0.5; 0.5 ± 1.96 × 0.5 = [−0.48, 1.48] → clipped [0, 1].
    e = estimate_mean([Respondent("A", 1.0, 1.0), Respondent("A", 1.0, 0.0)])
    assert e.se == 0.5
    assert (e.ci_low, e.ci_high, e.half_width) == (0.0, 1.0, 0.5)


def test_wilson_interval_when_nobody_or_everybody_says_yes():
    # 50 respondents, all 0: p̂ = 0, se = 0, so n_eff = n = 50.
    # Wilson upper bound for p̂ = 0: z²/(n + z²) = 3.841459/53.841459 = 0.0713476.
    nobody = [Respondent(stratum="AB"[i % 2], weight=1.0 + i % 3, value=0.0) for i in range(50)]
    e = estimate_mean(nobody)
    assert (e.value, e.se, e.method, e.deff) == (0.0, 0.0, "wilson", None)
    assert e.ci_low == 0.0
    assert abs(e.ci_high - 0.0713476) < 1e-7
    # All 1: lower bound n/(n + z²) = 50/53.841459 = 0.9286524.
    everybody = [Respondent(r.stratum, r.weight, 1.0) for r in nobody]
    e = estimate_mean(everybody)
    assert (e.value, e.method) == (1.0, "wilson")
    assert abs(e.ci_low - 0.9286524) < 1e-7
    assert e.ci_high == 1.0


def test_numeric_mean_uses_wald_and_no_deff():
    # Values 2, 4 in A and 3, 5 in B, weights 1: mean 14/4 = 3.5.
    # Scores (y − 3.5)/4: A −0.375, 0.125 (mean −0.125, dev ±0.25, Σ dev² = 0.125, × 2 = 0.25);
    # B −0.125, 0.375 likewise 0.25. var = 0.5, se = 0.7071068.
    e = estimate_mean(
        [Respondent("A", 1.0, 2.0), Respondent("A", 1.0, 4.0),
         Respondent("B", 1.0, 3.0), Respondent("B", 1.0, 5.0)]
    )
    assert e.value == 3.5
    assert abs(e.se - 0.7071068) < 1e-7
    assert e.method == "wald"
    assert e.deff is None
    # 3.5 ± 1.959964 × 0.7071068 = 3.5 ± 1.3859038, not clipped.
    assert abs(e.ci_low - 2.1140962) < 1e-7
    assert abs(e.ci_high - 4.8859038) < 1e-7


def test_estimate_mean_errors():
    with pytest.raises(ValueError):
        estimate_mean([])
    with pytest.raises(ValueError):
        estimate_mean([Respondent("A", 0.0, 1.0)])
    with pytest.raises(ValueError):
        estimate_mean([Respondent("A", 1.0, float("nan"))])
    with pytest.raises(ValueError):  # no population for B
        estimate_mean(HAND, fpc={"A": 6})
    with pytest.raises(ValueError):  # 3 respondents out of 2
        estimate_mean(HAND, fpc={"A": 2, "B": 6})
    with pytest.raises(ValueError):
        estimate_mean(HAND, confidence=1.0)


# --- against samplics -----------------------------------------------------------------------
#
# Numbers from samplics 0.6.1 (PyPI; its samplics.__version__ says "0.6.0"), script
# /work/tmp/samplics_check.py, run in a throwaway venv outside the repo:
#   est = TaylorEstimator(PopParam.mean)        # or PopParam.prop
#   est.estimate(y=y, samp_weight=weight, stratum=stratum)             # no psu
#   est.estimate(y=y, samp_weight=weight, stratum=stratum, fpc=FACTOR) # FACTOR below
# samplics' intervals use the Student t quantile with n − H = 30 − 3 = 27 degrees of
# freedom, scipy.stats.t.ppf(0.975, 27) = 2.0518305164802846, so it is passed here as
# critical_value. samplics' "mean" gives the Wald interval and its "proportion" the logit
# interval; each is compared where our rule picks the same one.
#
# Rows: (stratum, weight, answer on the five-point scale, aware 0/1); safe = answer ≥ 3.
DATA = [
    ("A", 4.0, 5, 1), ("A", 4.5, 4, 1), ("A", 5.0, 3, 1), ("A", 3.5, 2, 1),
    ("A", 6.0, 4, 1), ("A", 4.0, 1, 0), ("A", 5.5, 3, 1), ("A", 4.5, 5, 1),
    ("B", 7.0, 3, 1), ("B", 8.0, 2, 1), ("B", 6.5, 4, 1), ("B", 9.0, 5, 1),
    ("B", 7.5, 3, 1), ("B", 8.5, 2, 1), ("B", 6.0, 4, 1), ("B", 7.0, 3, 1),
    ("B", 9.5, 4, 1), ("B", 8.0, 2, 1),
    ("C", 12.0, 4, 1), ("C", 10.0, 5, 1), ("C", 11.5, 3, 1), ("C", 9.0, 1, 1),
    ("C", 13.0, 4, 1), ("C", 10.5, 2, 0), ("C", 12.5, 5, 1), ("C", 11.0, 4, 1),
    ("C", 9.5, 3, 1), ("C", 14.0, 4, 1), ("C", 10.0, 5, 1), ("C", 12.0, 3, 1),
]
T27 = 2.0518305164802846
POPULATION = {"A": 40, "B": 50, "C": 120}
# samplics takes the factor 1 − n_h/N_h itself: A 1 − 8/40 = 0.8, B 1 − 10/50 = 0.8,
# C 1 − 12/120 = 0.9 (FACTOR = {"A": 0.8, "B": 0.8, "C": 0.9}).
TOL = 1e-6


def safe():
    return [Respondent(s, w, 1.0 if answer >= 3 else 0.0) for s, w, answer, _ in DATA]


def aware():
    return [Respondent(s, w, float(flag)) for s, w, _, flag in DATA]


def numeric():
    return [Respondent(s, w, float(answer)) for s, w, answer, _ in DATA]


def answers():
    return [Answer(s, w, str(answer)) for s, w, answer, _ in DATA]


def close(estimate, point, se, low, high):
    assert abs(estimate.value - point) < TOL
    assert abs(estimate.se - se) < TOL
    assert abs(estimate.ci_low - low) < TOL
    assert abs(estimate.ci_high - high) < TOL


# (point, stderror, lower_ci, upper_ci) from samplics.
SAMPLICS = {
    "no fpc": {
        # PopParam.mean on safe, Wald.
        "safe": (0.7931726907630522, 0.07688129920720214, 0.6354252949030633,
                 0.9509200866230411),
        # PopParam.prop on aware, category 1.0, logit (p̂ = 0.94 > 0.9).
        "aware": (0.9417670682730924, 0.045389954137540184, 0.7474590319504502,
                  0.9888102897560987),
        # PopParam.mean on the answer as a number, Wald.
        "numeric": (3.4738955823293174, 0.21797545719809686, 3.02664688740652,
                    3.9211442772521146),
        # PopParam.prop on the answer as text: category "1" (p̂ = 0.052 < 0.1) is logit;
        # for "2".."5" (0.1 ≤ p̂ ≤ 0.9) the bounds are PopParam.mean's on the indicator.
        "1": (0.05220883534136546, 0.040106168671772996, 0.010334319851467788,
              0.22515602387798125),
        "2": (0.15461847389558234, 0.06713612711103212, 0.016866519530867263,
              0.2923704282602974),
        "3": (0.26104417670682734, 0.08767595410867059, 0.08114797850513203,
              0.44094037490852267),
        "4": (0.3313253012048193, 0.09779880340900986, 0.13065873189495678,
              0.5319918705146818),
        "5": (0.20080321285140562, 0.08100566837617759, 0.03459331046928249,
              0.36701311523352875),
    },
    "fpc": {
        "safe": (0.7931726907630522, 0.07093453706663518, 0.6476270429373283,
                 0.9387183385887761),
        "aware": (0.9417670682730924, 0.042752572777617924, 0.7656267598969154,
                  0.9876641611938234),
        "numeric": (3.4738955823293174, 0.20283343582215585, 3.0577157489468725,
                    3.8900754157117623),
        "1": (0.05220883534136546, 0.03769997823422871, 0.011406234557737092,
              0.20822772643380846),
        "2": (0.15461847389558234, 0.061554644802454914, 0.028318775258800805,
              0.28091817253236384),
        "3": (0.26104417670682734, 0.08149988971780256, 0.09382021589406228,
              0.42826813751959236),
        "4": (0.3313253012048193, 0.09121285395903987, 0.14417198395640174,
              0.5184786184532368),
        "5": (0.20080321285140562, 0.07569610654267828, 0.045487631468395406,
              0.35611879423441584),
    },
}


@pytest.mark.parametrize("case", ["no fpc", "fpc"])
def test_matches_samplics(case):
    fpc = POPULATION if case == "fpc" else None
    expected = SAMPLICS[case]
    kwargs = {"fpc": fpc, "critical_value": T27}
    safe_e = estimate_mean(safe(), **kwargs)
    assert safe_e.method == "wald"
    close(safe_e, *expected["safe"])
    aware_e = estimate_mean(aware(), **kwargs)
    assert aware_e.method == "logit"
    close(aware_e, *expected["aware"])
    numeric_e = estimate_mean(numeric(), **kwargs)
    assert numeric_e.method == "wald"
    close(numeric_e, *expected["numeric"])
    shares = estimate_shares(answers(), categories=["1", "2", "3", "4", "5"], **kwargs)
    assert [shares[c].method for c in "12345"] == ["logit", "wald", "wald", "wald", "wald"]
    for category in "12345":
        close(shares[category], *expected[category])
    # The top three categories add up to the safety index.
    assert abs(sum(shares[c].value for c in "345") - expected["safe"][0]) < 1e-12


def test_matches_samplics_with_a_singleton_stratum():
    # samplics: rows of A and B plus ("D", 20.0, 4, 1), each respondent its own PSU
    # (psu=0..18, since samplics 0.6.1 detects singletons only with a psu) and
    # single_psu=SinglePSUEst.skip: point 0.7611940298507462, stderror 0.09968613184331013.
    rows = [*DATA[:18], ("D", 20.0, 4, 1)]
    e = estimate_mean([Respondent(s, w, 1.0 if a >= 3 else 0.0) for s, w, a, _ in rows])
    assert abs(e.value - 0.7611940298507462) < TOL
    assert abs(e.se - 0.09968613184331013) < TOL
    assert e.singletons == ("D",)


def test_logit_interval_by_hand_with_z():
    # aware, no fpc: p̂ = 0.9417671, se = 0.0453900, p̂(1−p̂) = 0.0548419.
    # logit(p̂) = ln(0.9417671/0.0582329) = 2.7833069;
    # z·se/(p̂(1−p̂)) = 1.959964 × 0.0453900 / 0.0548419 = 1.6221674;
    # bounds: 1/(1 + e^−(2.7833069 − 1.6221674)) = 1/(1 + e^−1.1611395) = 0.7615397,
    #         1/(1 + e^−4.4054743) = 0.9879370.
    e = estimate_mean(aware())
    assert e.method == "logit"
    assert abs(e.ci_low - 0.7615397) < 1e-7
    assert abs(e.ci_high - 0.9879370) < 1e-7
    # Kish deff: 0.0453900² / (0.0548419/30) = 0.00206025 / 0.00182806 = 1.12701.
    assert e.deff is not None and abs(e.deff - 1.12701) < 1e-5


def test_estimate_shares_category_nobody_chose_and_errors():
    shares = estimate_shares(answers(), categories=["1", "2", "3", "4", "5", "9"])
    assert shares["9"].value == 0.0
    assert shares["9"].method == "wilson"
    with pytest.raises(ValueError):
        estimate_shares(answers(), categories=["1", "2", "3", "4"])  # "5" is not listed
    with pytest.raises(ValueError):
        estimate_shares(answers(), categories=[])
    with pytest.raises(ValueError):
        estimate_shares(answers(), categories=["1", "1"])


# --- weights --------------------------------------------------------------------------------


def test_base_weights():
    # A: 1000 / 80 = 12.5; B: 500 / 25 = 20.
    assert base_weights(population={"A": 1000, "B": 500},
                        respondents_per_stratum={"A": 80, "B": 25}) == {"A": 12.5, "B": 20.0}


def test_base_weights_errors():
    with pytest.raises(ValueError, match="no respondents"):
        base_weights(population={"A": 1000, "B": 500}, respondents_per_stratum={"A": 80})
    with pytest.raises(ValueError, match="no respondents"):
        base_weights(population={"A": 1000}, respondents_per_stratum={"A": 0})
    with pytest.raises(ValueError):
        base_weights(population={"A": 1000}, respondents_per_stratum={"A": 5, "Z": 3})
    with pytest.raises(ValueError):
        base_weights(population={"A": 10}, respondents_per_stratum={"A": 11})


def test_poststratify():
    # m: 1 + 1 = 2, total 30 → ×15 → 15, 15; f: 2 + 2 + 4 = 8, total 40 → ×5 → 10, 10, 20.
    weights = poststratify(weights=[1.0, 2.0, 1.0, 2.0, 4.0], cells=["m", "f", "m", "f", "f"],
                           totals={"m": 30.0, "f": 40.0})
    assert weights == [15.0, 10.0, 15.0, 10.0, 20.0]


def test_poststratify_errors():
    with pytest.raises(ValueError):  # no total for cell "x"
        poststratify(weights=[1.0, 1.0], cells=["m", "x"], totals={"m": 10.0})
    with pytest.raises(ValueError):  # cell "f" has a total but no respondents
        poststratify(weights=[1.0], cells=["m"], totals={"m": 10.0, "f": 5.0})
    with pytest.raises(ValueError):
        poststratify(weights=[1.0], cells=["m", "f"], totals={"m": 10.0, "f": 5.0})
    with pytest.raises(ValueError):
        poststratify(weights=[0.0], cells=["m"], totals={"m": 10.0})


# --- response rates -------------------------------------------------------------------------


def test_aapor_rates_by_hand():
    # I + P = 410; R + NC + O = 340; UH + UO = 50; denominator 800 (NE = 50 left out).
    rates = aapor_rates({"I": 400, "P": 10, "R": 120, "NC": 200, "O": 20, "UH": 40, "UO": 10,
                         "NE": 50})
    assert rates.rr1 == 0.5  # 400 / 800
    assert rates.rr2 == 0.5125  # 410 / 800
    assert rates.coop1 is not None and abs(rates.coop1 - 0.7272727) < 1e-7  # 400 / 550
    assert rates.ref1 == 0.15  # 120 / 800
    assert rates.con1 == 0.6875  # (410 + 120 + 20) / 800 = 550 / 800


def test_aapor_rates_zero_denominators_and_errors():
    rates = aapor_rates({"NE": 7})
    assert (rates.rr1, rates.rr2, rates.coop1, rates.ref1, rates.con1) == (None,) * 5
    # Only non-contacts: RR1 = 0/5, COOP1 has no contacted case.
    rates = aapor_rates({"NC": 5})
    assert (rates.rr1, rates.coop1, rates.con1) == (0.0, None, 0.0)
    with pytest.raises(ValueError):
        aapor_rates({"X": 1})
    with pytest.raises(ValueError):
        aapor_rates({"I": -1})


# --- suppression ----------------------------------------------------------------------------


def make(n, half):
    return Estimate(value=0.8, se=half / 1.96, n=n, weight_total=float(n), ci_low=0.8 - half,
                    ci_high=0.8 + half, method="wald", half_width=half, deff=1.0,
                    singletons=(), confidence=0.95)


def test_suppressed():
    assert suppressed(make(99, 0.01))  # fewer than 100 respondents
    assert not suppressed(make(100, 0.05))  # exactly on both limits
    assert suppressed(make(400, 0.0501))  # interval too wide
    assert not suppressed(make(50, 0.04), min_n=30, max_half_width=0.05)
    assert suppressed(make(50, 0.04), min_n=30, max_half_width=0.03)

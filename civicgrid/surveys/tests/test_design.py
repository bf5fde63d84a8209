"""Sample size, precision and allocation, checked against numbers worked by hand."""

from __future__ import annotations

import pytest

from civicgrid.surveys.design import allocate, half_width, sample_size, z_value

# z for 95 % from the normal table: 1.959964; z² = 3.841459.
Z95 = 1.959964


def test_z_value_matches_the_normal_table():
    assert abs(z_value(0.95) - 1.959964) < 1e-6
    assert abs(z_value(0.90) - 1.644854) < 1e-6
    assert abs(z_value(0.99) - 2.575829) < 1e-6


@pytest.mark.parametrize("confidence", [0.0, 1.0, -0.5, 1.5])
def test_z_value_rejects_a_confidence_outside_0_1(confidence):
    with pytest.raises(ValueError):
        z_value(confidence)


def test_sample_size_for_the_safety_index():
    # p = 0.9, e = 0.03, 95 %: z² = 3.841459, ×0.09 = 0.345731, ÷0.0009 = 384.15 → 385.
    size = sample_size(p=0.9, margin=0.03)
    assert abs(size.z - Z95) < 1e-6
    assert size.n0 == 385
    assert size.n_fpc == 385  # no population: no correction
    assert size.n_design == 385  # deff 1
    assert size.n_issued == 385  # response rate 1
    assert size.population is None


def test_sample_size_with_design_effect_and_response_rate():
    # n0 = 385 as above; ×1.5 = 577.5 → 578 completes; ÷0.6 = 963.33 → 964 units to draw.
    size = sample_size(p=0.9, margin=0.03, deff=1.5, response_rate=0.6)
    assert size.n0 == 385
    assert size.n_fpc == 385
    assert size.n_design == 578
    assert size.n_issued == 964
    assert (size.deff, size.response_rate) == (1.5, 0.6)


def test_sample_size_with_finite_population_correction():
    # N = 1000: 385 / (1 + 384/1000) = 385 / 1.384 = 278.18 → 279.
    size = sample_size(p=0.9, margin=0.03, population=1000)
    assert size.n0 == 385
    assert size.n_fpc == 279
    assert size.n_design == 279
    assert size.n_issued == 279


def test_sample_size_rounds_float_noise_before_the_ceiling():
    # p = 0.5, e = 0.098: 3.841459 × 0.25 / 0.009604 = 99.996 → n0 = 100.
    # 100 × 1.1 is 110.00000000000001 in floating point; it must stay 110, not 111.
    # 110 / 0.7 = 157.14 → 158.
    size = sample_size(p=0.5, margin=0.098, deff=1.1, response_rate=0.7)
    assert size.n0 == 100
    assert size.n_design == 110
    assert size.n_issued == 158


@pytest.mark.parametrize(
    "kwargs",
    [
        {"p": 0.0, "margin": 0.03},
        {"p": 1.0, "margin": 0.03},
        {"p": 0.5, "margin": 0.0},
        {"p": 0.5, "margin": 1.0},
        {"p": 0.5, "margin": 0.03, "confidence": 1.0},
        {"p": 0.5, "margin": 0.03, "deff": 0.9},
        {"p": 0.5, "margin": 0.03, "response_rate": 0.0},
        {"p": 0.5, "margin": 0.03, "response_rate": 1.2},
        {"p": 0.5, "margin": 0.03, "population": 0},
    ],
)
def test_sample_size_validates_its_inputs(kwargs):
    with pytest.raises(ValueError):
        sample_size(**kwargs)


def test_half_width_at_400_completes():
    # 1.959964 × √(0.9 × 0.1 / 400) = 1.959964 × √0.000225 = 1.959964 × 0.015 = 0.029399
    hw = half_width(p=0.9, n=400)
    assert round(hw * 100, 1) == 2.9
    assert abs(hw - 0.029399) < 1e-5


def test_half_width_at_13560_completes():
    # √(0.09 / 13560) = √0.0000066372 = 0.0025763; × 1.959964 = 0.0050494
    hw = half_width(p=0.9, n=13_560)
    assert round(hw * 100, 1) == 0.5
    assert abs(hw - 0.0050494) < 1e-6


def test_half_width_with_design_effect():
    # deff 2: √2 × 0.029399 = 1.414214 × 0.029399 = 0.041577
    assert abs(half_width(p=0.9, n=400, deff=2.0) - 0.041577) < 1e-5


def test_half_width_validates_its_inputs():
    with pytest.raises(ValueError):
        half_width(p=0.5, n=0)
    with pytest.raises(ValueError):
        half_width(p=1.5, n=10)


def test_proportional_allocation_exact():
    # 100 × 500/1000 = 50, 100 × 300/1000 = 30, 100 × 200/1000 = 20.
    assert allocate(sizes={"A": 500, "B": 300, "C": 200}, n=100, method="proportional") == {
        "A": 50, "B": 30, "C": 20,
    }


def test_proportional_allocation_largest_remainder_ties_by_key():
    # 10 × 400/1000 = 4.0, 10 × 350/1000 = 3.5, 10 × 250/1000 = 2.5: floors 4 + 3 + 2 = 9;
    # the one interview left goes to the largest remainder, B and C tie at .5, B comes
    # first in key order → A 4, B 4, C 2. The result keeps the order of `sizes`.
    result = allocate(sizes={"C": 250, "B": 350, "A": 400}, n=10, method="proportional")
    assert result == {"A": 4, "B": 4, "C": 2}
    assert list(result) == ["C", "B", "A"]


def test_equal_allocation():
    # 10 / 4 = 2.5 each: floors 2 × 4 = 8, the 2 left go to A and B (ties, key order).
    sizes = {"D": 100, "C": 100, "B": 100, "A": 100}
    assert allocate(sizes=sizes, n=10, method="equal") == {"A": 3, "B": 3, "C": 2, "D": 2}


def test_equal_allocation_take_all_stratum():
    # 30 / 3 = 10 each, but C has only 5 units: C takes all 5, the other 25 are split
    # 12.5 / 12.5 between A and B; floors 12 + 12 = 24, the one left goes to A (tie, key
    # order) → A 13, B 12, C 5.
    assert allocate(sizes={"A": 1000, "B": 50, "C": 5}, n=30, method="equal") == {
        "A": 13, "B": 12, "C": 5,
    }


def test_neyman_allocation():
    # N_h·S_h: A 1000 × 0.2 = 200, B 500 × 0.5 = 250, C 500 × 0.1 = 50; total 500.
    # 90 × 200/500 = 36, 90 × 250/500 = 45, 90 × 50/500 = 9.
    result = allocate(
        sizes={"A": 1000, "B": 500, "C": 500},
        n=90,
        method="neyman",
        sds={"A": 0.2, "B": 0.5, "C": 0.1},
    )
    assert result == {"A": 36, "B": 45, "C": 9}


def test_neyman_allocation_take_all_stratum():
    # N_h·S_h: A 100 × 10 = 1000, B 900 × 1 = 900. 200 × 1000/1900 = 105.3 > 100, so A is
    # taken whole (100) and B gets the other 100 (≤ 900).
    result = allocate(sizes={"A": 100, "B": 900}, n=200, method="neyman", sds={"A": 10, "B": 1})
    assert result == {"A": 100, "B": 100}


def test_neyman_take_all_and_minimum_together():
    # N_h·S_h: A 10 × 100 = 1000, B 10 × 1 = 10, C 10 × 1 = 10. Unbounded: 13 × 1000/1020
    # = 12.7 for A (over its 10) and 0.13 for B and C (under the minimum 2). B and C are
    # raised to 2 each, leaving 13 − 4 = 9 for A (≤ 10): A 9, B 2, C 2.
    result = allocate(
        sizes={"A": 10, "B": 10, "C": 10},
        n=13,
        method="neyman",
        sds={"A": 100, "B": 1, "C": 1},
    )
    assert result == {"A": 9, "B": 2, "C": 2}


def test_neyman_zero_standard_deviation_gets_the_minimum():
    # S_B = 0: B gets only its minimum 2, A the other 8.
    result = allocate(sizes={"A": 100, "B": 100}, n=10, method="neyman", sds={"A": 0.5, "B": 0})
    assert result == {"A": 8, "B": 2}


def test_neyman_needs_every_standard_deviation():
    with pytest.raises(ValueError):
        allocate(sizes={"A": 100, "B": 100}, n=10, method="neyman", sds={"A": 0.5})
    with pytest.raises(ValueError):
        allocate(sizes={"A": 100, "B": 100}, n=10, method="neyman")
    with pytest.raises(ValueError):
        allocate(sizes={"A": 100}, n=10, method="neyman", sds={"A": -1.0})


def test_neyman_with_every_standard_deviation_zero_cannot_place_more_than_the_minimum():
    with pytest.raises(ValueError):
        allocate(sizes={"A": 10, "B": 10}, n=5, method="neyman", sds={"A": 0.0, "B": 0.0})


def test_minimum_per_stratum():
    # Proportional: 100 × 9900/10000 = 99, 100 × 100/10000 = 1 < 2: B is raised to 2 and
    # A gets the other 98.
    assert allocate(sizes={"A": 9900, "B": 100}, n=100, method="proportional") == {
        "A": 98, "B": 2,
    }


def test_minimum_is_capped_by_a_tiny_stratum():
    # B has a single unit: its minimum is min(2, 1) = 1. 10 × 1/1001 = 0.01 → 1; A gets 9.
    assert allocate(sizes={"A": 1000, "B": 1}, n=10, method="proportional") == {"A": 9, "B": 1}


def test_allocation_of_the_whole_population_and_of_the_minimum_only():
    # n = ΣN_h = 15: every stratum is taken whole.
    assert allocate(sizes={"A": 10, "B": 5}, n=15, method="equal") == {"A": 10, "B": 5}
    # n = Σ min(2, N_h) = 2 + 2 = 4: every stratum gets its minimum.
    assert allocate(sizes={"A": 10, "B": 5}, n=4, method="proportional") == {"A": 2, "B": 2}


def test_allocation_errors():
    with pytest.raises(ValueError):  # 16 > 10 + 5
        allocate(sizes={"A": 10, "B": 5}, n=16, method="proportional")
    with pytest.raises(ValueError):  # 3 < 2 + 2
        allocate(sizes={"A": 10, "B": 5}, n=3, method="proportional")
    with pytest.raises(ValueError):
        allocate(sizes={"A": 10}, n=3, method="optimal")
    with pytest.raises(ValueError):
        allocate(sizes={}, n=0, method="equal")
    with pytest.raises(ValueError):
        allocate(sizes={"A": 10}, n=-1, method="equal", minimum=0)


@pytest.mark.parametrize("method", ["proportional", "equal", "neyman"])
def test_allocation_sums_exactly_and_respects_bounds(method):
    sizes = {"A": 1234, "B": 57, "C": 3, "D": 980, "E": 1, "F": 412}
    sds = {"A": 0.31, "B": 0.5, "C": 0.2, "D": 0.45, "E": 0.4, "F": 0.12}
    floor_sum = 2 + 2 + 2 + 2 + 1 + 2  # min(2, N_h) per stratum = 11
    total = 1234 + 57 + 3 + 980 + 1 + 412  # 2687
    for n in [*range(floor_sum, 200), 1000, 2000, 2600, total]:
        result = allocate(sizes=sizes, n=n, method=method, sds=sds)
        assert sum(result.values()) == n
        for name, size in sizes.items():
            assert min(2, size) <= result[name] <= size

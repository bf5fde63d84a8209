"""The public version's small-count suppression (pure functions, no database)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.reports.suppression import (
    COMPLEMENTARY,
    PRIMARY,
    SHOWN,
    SMALL,
    feasible_values,
    suppress_column,
)

PARTS = ("dispute", "petition", "hazard", "emergency", "service")


def column(**parts: int) -> dict[str, int]:
    values = dict.fromkeys(PARTS, 0) | parts
    return {"total": sum(values.values()), **values}


def suppress(values):
    return suppress_column(values, total="total", parts=PARTS)


def test_nothing_small_nothing_hidden():
    values = column(dispute=30, petition=12, hazard=7, emergency=5, service=9)
    assert set(suppress(values).values()) == {SHOWN}


def test_one_small_part_takes_a_complementary_cell_that_hides_it():
    values = column(dispute=30, petition=12, hazard=3, emergency=6, service=9)
    status = suppress(values)
    assert status["hazard"] == PRIMARY
    hidden = [k for k, v in status.items() if v == COMPLEMENTARY]
    # emergency (6) alone would leave hazard ≤ 3 + 6 − 5 = 4: enough, and the smallest.
    assert hidden == ["emergency"]
    assert status["total"] == SHOWN


def test_a_zero_needs_a_complementary_cell_with_room():
    # hazard 0: hiding service (5) would tell hazard + service = 5, service ≥ 5, hazard = 0.
    values = column(dispute=30, petition=12, hazard=0, emergency=7, service=5)
    status = suppress(values)
    assert status["hazard"] == PRIMARY and status["service"] == SHOWN
    assert status["petition"] == COMPLEMENTARY  # the smallest that leaves room (12 − 5 ≥ 4)
    printed = {k: values[k] for k in status if status[k] == SHOWN}
    assert feasible_values("hazard", printed, status, total="total", parts=PARTS) == set(
        range(SMALL))


def test_two_small_parts_are_not_enough_on_their_own():
    # 4 + 4 = 8 = total − printed parts: both would be recovered exactly.
    values = column(dispute=30, petition=4, hazard=4, emergency=9)
    status = suppress(values)
    assert status["petition"] == status["hazard"] == PRIMARY
    assert COMPLEMENTARY in status.values()


def test_small_total_hides_everything():
    values = column(dispute=2, hazard=1)
    status = suppress(values)
    assert status["total"] == PRIMARY
    assert all(status[k] == PRIMARY for k in PARTS)


def test_all_parts_small_hides_the_total():
    values = column(dispute=4, petition=4, hazard=3, emergency=2, service=1)
    status = suppress(values)
    assert all(status[k] == PRIMARY for k in PARTS)
    assert status["total"] == COMPLEMENTARY


def test_parts_must_add_up():
    import pytest

    with pytest.raises(ValueError):
        suppress_column({"total": 9, **dict.fromkeys(PARTS, 1)}, total="total", parts=PARTS)


counts = st.one_of(st.integers(0, 6), st.integers(0, 60))


@settings(max_examples=400, deadline=None)
@given(st.tuples(*(counts for _ in PARTS)))
def test_no_small_count_can_be_narrowed_down(values_tuple):
    """Whatever the counts: every printed count is at least 5, and for every count below 5
    a reader of the printed numbers can still not rule out any of 0…4."""
    values = column(**dict(zip(PARTS, values_tuple, strict=True)))
    status = suppress(values)
    printed = {k: v for k, v in values.items() if status[k] == SHOWN}
    assert all(v >= SMALL for v in printed.values())
    for key in PARTS:
        if status[key] == PRIMARY:
            assert feasible_values(key, printed, status, total="total", parts=PARTS) == set(
                range(SMALL)), (values, status)
    # A complementary cell is never small (it would be primary), the total hides only
    # when it must.
    assert all(values[k] >= SMALL for k in status if status[k] == COMPLEMENTARY)


@settings(max_examples=200, deadline=None)
@given(st.tuples(*(st.integers(0, 9) for _ in PARTS)))
def test_brute_force_agrees(values_tuple):
    """feasible_values against an exhaustive search of the hidden cells' values."""
    import itertools

    values = column(**dict(zip(PARTS, values_tuple, strict=True)))
    status = suppress(values)
    if status["total"]:
        return
    hidden = [k for k in PARTS if status[k]]
    remainder = values["total"] - sum(values[k] for k in PARTS if not status[k])
    ranges = [range(SMALL) if status[k] == PRIMARY else range(SMALL, remainder + 1)
              for k in hidden]
    seen: dict[str, set[int]] = {k: set() for k in hidden}
    for combo in itertools.product(*ranges):
        if sum(combo) == remainder:
            for k, v in zip(hidden, combo, strict=True):
                seen[k].add(v)
    for k in hidden:
        if status[k] == PRIMARY:
            assert seen[k] == set(range(SMALL)), (values, status, k, seen[k])

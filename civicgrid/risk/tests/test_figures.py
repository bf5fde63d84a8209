"""The risk figures (civicgrid/risk/figures.py) against counts stated by hand, from rows
made across two months and two streets: exempted, withdrawn, not-required, unassessed,
re-assessed matters, and the month boundary in Asia/Shanghai (the table of the rows is in
civicgrid/risk/tests/followup_rows.py::figure_rows). The release and the dashboard, which
show them, are tested next to their own tests (reports/tests/test_release_risk.py,
stats/tests/test_risk_panel.py)."""

from __future__ import annotations

from datetime import UTC, date
from decimal import Decimal

import pytest

from civicgrid.risk.figures import (
    assessment_rate,
    assessment_rates_by_child,
    matters_breakdown,
)
from civicgrid.risk.tests.followup_rows import figure_rows
from civicgrid.workcalendar.calendar import SHANGHAI

MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)


@pytest.fixture
def rows(world):
    return figure_rows(world)


def test_the_month_boundary_is_shanghai(rows):
    assert rows["m7"].registered_at.astimezone(SHANGHAI).month == 3
    assert rows["m8"].registered_at.astimezone(SHANGHAI).month == 4
    assert rows["m8"].registered_at.astimezone(UTC).month == 3  # in UTC still March


def test_assessment_rate_equals_the_counts_stated_by_hand(world, rows):
    w = world
    # street A, March: den m1 m2 m6 m7 = 4, num m1 m6 = 2
    rate = assessment_rate(area_code=w.street_a.code, month=MARCH)
    assert (rate.assessed, rate.required, rate.rate, rate.text) == (2, 4, Decimal("50.00"),
                                                                    "50.00%")
    # street B, March: den m9 m10 m11 = 3, num m9 m11 = 2
    rate = assessment_rate(area_code=w.street_b.code, month=MARCH)
    assert (rate.assessed, rate.required, rate.rate) == (2, 3, Decimal("66.67"))
    # the county, March: 4 of 7
    rate = assessment_rate(area_code=w.county.code, month=MARCH)
    assert (rate.assessed, rate.required, rate.rate) == (4, 7, Decimal("57.14"))
    # street A, April: m8 and m12 (re-assessment under way; its first round was rated)
    rate = assessment_rate(area_code=w.street_a.code, month=APRIL)
    assert (rate.assessed, rate.required, rate.rate) == (2, 2, Decimal("100.00"))
    # street B, April: nothing required: no rate
    rate = assessment_rate(area_code=w.street_b.code, month=APRIL)
    assert (rate.assessed, rate.required, rate.rate, rate.text) == (0, 0, None, "—")
    # two months together
    rate = assessment_rate(area_code=w.county.code, month=MARCH, end_month=APRIL)
    assert (rate.assessed, rate.required) == (6, 9)
    by_child = assessment_rates_by_child(area_code=w.county.code,
                                         child_codes=[w.street_a.code, w.street_b.code],
                                         month=MARCH)
    assert {c: (r.assessed, r.required) for c, r in by_child.items()} == {
        w.street_a.code: (2, 4), w.street_b.code: (2, 3)}


def test_matters_by_level_and_decision(world, rows):
    b = matters_breakdown(area_code=world.county.code, start=MARCH, end=MARCH)
    # March, not withdrawn: m1 m2 m3 m5 m6 m7 m9 m10 m11 = 9; withdrawn m4
    assert (b.registered, b.withdrawn) == (9, 1)
    assert b.by_level == {"high": 1, "medium": 1, "low": 2}  # m9; m6; m1 m11
    assert b.unrated == 5
    # standing decisions: m1 implement, m9 postpone (m6's reject was superseded)
    assert b.by_decision == {"implement": 1, "postpone": 1, "reject": 0}
    assert b.undecided == 7
    april = matters_breakdown(area_code=world.street_a.code, start=APRIL, end=APRIL)
    # m12's latest levelled round (its first, superseded) says high; m8 high
    assert (april.registered, april.by_level["high"], april.unrated) == (2, 2, 0)

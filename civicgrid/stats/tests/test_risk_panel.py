"""The dashboard's panel of major matters (civicgrid/risk/figures.py), from the rows of
civicgrid/risk/tests/followup_rows.py::figure_rows (their table states every count by hand)."""

from __future__ import annotations

import pytest
from django.test import Client

from civicgrid.accounts.roles import Role
from civicgrid.risk.tests.followup_rows import figure_rows


@pytest.fixture
def rows(world):
    return figure_rows(world)


def test_the_dashboard_shows_the_rate_and_the_matters(world, rows):
    client = Client()
    client.force_login(world.users[Role.LEADER])  # street A
    page = client.get(f"/dashboard/?area={world.street_a.code}&period=2026-03").content.decode()
    assert 'data-testid="risk-figures"' in page
    assert 'data-testid="assessment-rate">50.00%<' in page
    # street A, March: m1 low, m6 medium; m1 implemented; m4 withdrawn not counted
    assert 'data-level="low">低风险 <strong>1</strong>' in page
    assert 'data-level="medium">中风险 <strong>1</strong>' in page
    assert 'data-decision="implement">实施 <strong>1</strong>' in page
    other = Client()
    other.force_login(world.users[Role.LEADER])
    assert other.get(f"/dashboard/?area={world.street_b.code}&period=2026-03").status_code == 404

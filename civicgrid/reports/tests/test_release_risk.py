"""应评尽评率 in the monthly safety data release (civicgrid/risk/figures.py), from the rows of
civicgrid/risk/tests/followup_rows.py::figure_rows (their table states every count by hand)."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from civicgrid.accounts.roles import Role
from civicgrid.reports.selectors import public_release, release_data, release_view
from civicgrid.risk.tests.followup_rows import figure_rows

MARCH = date(2026, 3, 1)


@pytest.fixture
def rows(world):
    return figure_rows(world)


def test_the_monthly_release_carries_the_rate(world, rows):
    reader = world.users[Role.AUDITOR]  # reads the whole deployment
    data = release_data(actor=reader, area=world.county, month=MARCH)
    assert data["risk"] == {"current": {"assessed": 4, "required": 7},
                            "previous": {"assessed": 0, "required": 0},
                            "year_before": {"assessed": 0, "required": 0}}
    assert {c["code"]: c["risk"] for c in data["children"]} == {
        world.street_a.code: {"assessed": 2, "required": 4},
        world.street_b.code: {"assessed": 2, "required": 3}}
    view = release_view(data, public=False)
    assert [(r.key, r.cells) for r in view.risk] == [
        ("assessment_rate", ("57.14%", "—", "—")),
        ("assessment_counts", ("4 / 7", "0 / 0", "0 / 0"))]
    assert [c.risk for c in view.children] == ["50.00%", "66.67%"]
    # public: the rate only, and only over at least five required matters
    assert public_release(data)["risk"] == {"current": "57.14%", "previous": None,
                                            "year_before": None}
    street = release_data(actor=reader, area=world.street_a, month=MARCH)
    assert public_release(street)["risk"]["current"] is None  # 4 required: withheld


def test_the_release_page_and_files_show_it(world, rows):
    client = Client()
    client.force_login(world.users[Role.SUPERVISOR])
    url = f"/reports/{world.street_a.code}/release/?month=2026-03"
    page = client.get(url).content.decode()
    assert 'data-row="assessment_rate"' in page and "50.00%" in page
    assert "应评尽评率 =" in page
    assert client.get(f"/reports/{world.street_a.code}/release.xlsx?month=2026-03"
                      ).status_code == 200
    assert client.get(f"/reports/{world.street_a.code}/release.pdf?month=2026-03"
                      ).status_code == 200



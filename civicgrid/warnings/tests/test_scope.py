"""Every read of the warnings app takes the reader and applies the reader's scope itself: an
area outside it answers like a missing one (Area.DoesNotExist; 404 in the pages), an area
inside it gives the hand-computed numbers of the `march` fixture (civicgrid/warnings/tests/
test_checks.py) and of the statuses written here."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from civicgrid.accounts.roles import Role
from civicgrid.areas.models import Area
from civicgrid.testing import parts, shared
from civicgrid.warnings.models import AreaStatus, StatusColour
from civicgrid.warnings.selectors import (
    area_status_features,
    check_overview,
    check_revisions,
    check_totals,
    check_totals_by_child,
    default_report_week,
    recent_weeks,
    reporter_expected,
    status_counts,
    status_history,
    status_of,
    status_warnings,
    weekly_check,
)
from civicgrid.warnings.tests import test_checks
from civicgrid.warnings.tests.conftest import MARCH, W1, W2, build_checks
from civicgrid.warnings.tests.test_checks import NOW


def _build_march():
    return test_checks.march.__wrapped__(build_checks())


# Every test starts from the checks of March: built once for the module, rolled back after
# each test (civicgrid/testing.py).
march_shared_once, march_shared = shared(_build_march, name="march_shared")
march, world = parts("march_shared", march=lambda b: b, world=lambda b: b.world)

DAY = date(2026, 3, 17)

SELECTORS = {
    "check_totals": lambda actor, area: check_totals(actor=actor, area=area, start=MARCH,
                                                     end=MARCH, now=NOW),
    "check_totals_by_child": lambda actor, area: check_totals_by_child(
        actor=actor, area=area, start=MARCH, end=MARCH, now=NOW),
    "check_overview (week)": lambda actor, area: check_overview(actor=actor, area=area,
                                                                week=W1, now=NOW),
    "check_overview (month)": lambda actor, area: check_overview(actor=actor, area=area,
                                                                 month=MARCH, now=NOW),
    "recent_weeks": lambda actor, area: recent_weeks(actor=actor, area=area, now=NOW),
    "default_report_week": lambda actor, area: default_report_week(actor=actor, area=area,
                                                                   now=NOW),
    "weekly_check": lambda actor, area: weekly_check(actor=actor, area=area, week=W1),
    "reporter_expected": lambda actor, area: reporter_expected(actor=actor, area=area,
                                                               week=W1),
    "status_of": lambda actor, area: status_of(actor=actor, area=area, day=DAY),
    "status_warnings": lambda actor, area: status_warnings(actor=actor, area=area, day=DAY),
    "status_history": lambda actor, area: status_history(actor=actor, area=area),
    "status_counts": lambda actor, area: status_counts(actor=actor, area=area, day=DAY),
    "area_status_features": lambda actor, area: area_status_features(actor=actor,
                                                                     parent=area, day=DAY),
}


def _statuses(w, community_a2) -> None:
    """On DAY: community A yellow, community A2 red, street B red (street A green)."""
    for area, colour in ((w.street_a, StatusColour.GREEN), (w.community_a, StatusColour.YELLOW),
                         (community_a2, StatusColour.RED), (w.street_b, StatusColour.RED)):
        AreaStatus.objects.create(area=area, area_code=area.code, day=DAY, status=colour,
                                  reasons=[], evaluated_at=NOW)


@pytest.mark.parametrize("name", SELECTORS)
def test_a_reader_out_of_scope_gets_nothing(march, name):
    """The community A grid leader reads neither street A above nor community A2 beside;
    the street A supervisor reads neither the district nor street B; the outsider (a grid
    worker of street B) does not read street A."""
    w = march.world
    _statuses(w, march.community_a2)
    supervisor = w.users[Role.SUPERVISOR]
    for actor, area in ((march.grid_leader, w.street_a), (march.grid_leader, march.community_a2),
                        (supervisor, w.county), (supervisor, w.street_b),
                        (w.outsider, w.street_a), (None, w.community_a)):
        with pytest.raises(Area.DoesNotExist):
            SELECTORS[name](actor, area)


def test_a_reader_in_scope_gets_the_hand_computed_numbers(march):
    w = march.world
    _statuses(w, march.community_a2)
    supervisor, leader = w.users[Role.SUPERVISOR], march.grid_leader
    assert check_totals(actor=supervisor, area=w.street_a, start=MARCH, end=MARCH,
                        now=NOW) == {"reports": 5, "on_time": 3, "expected": 6}
    assert check_totals(actor=leader, area=w.community_a, start=MARCH, end=MARCH,
                        now=NOW) == {"reports": 2, "on_time": 2, "expected": 2}
    assert check_totals_by_child(actor=supervisor, area=w.street_a, start=MARCH, end=MARCH,
                                 now=NOW) == {
        w.community_a.code: {"reports": 2, "on_time": 2, "expected": 2},
        march.community_a2.code: {"reports": 1, "on_time": 0, "expected": 2}}
    overview = check_overview(actor=supervisor, area=w.street_a, week=W1, now=NOW)
    assert overview.total.totals == {"reports": 2, "on_time": 2, "expected": 3}
    assert [a.code for a, _reminder in overview.missing] == [march.community_a2.code]

    check = weekly_check(actor=leader, area=w.community_a, week=W1)
    assert check is not None and (check.disputes_found, check.revision) == (4, 3)
    assert [r.revision for r in check_revisions(actor=leader, check=check)] == [3, 2, 1]
    assert check_revisions(actor=march.grid_leader_a2, check=check) == []  # not theirs
    assert weekly_check(actor=leader, area=w.community_a, week=date(2026, 2, 23)) is None
    assert reporter_expected(actor=leader, area=w.community_a, week=W1) is True
    grid = march.grid_a2_1  # grids do not report
    assert reporter_expected(actor=march.grid_leader_a2, area=grid, week=W1) is False
    states = recent_weeks(actor=leader, area=w.community_a, weeks=3, now=NOW)
    assert [(s.week, s.state) for s in states] == [
        (date(2026, 3, 16), "open"), (W2, "reported"), (W1, "reported")]
    assert default_report_week(actor=leader, area=w.community_a, now=NOW) == date(2026, 3, 16)

    rows, total = status_warnings(actor=supervisor, area=w.street_a, day=DAY)
    assert ([(r.area.code, r.status.status) for r in rows], total) == (
        [(march.community_a2.code, "red"), (w.community_a.code, "yellow")], 2)
    assert status_counts(actor=supervisor, area=w.street_a, day=DAY) == {
        "green": 0, "yellow": 1, "red": 1}
    assert status_of(actor=leader, area=w.community_a, day=DAY).status == "yellow"
    assert [s.status for s in status_history(actor=leader, area=w.community_a)] == ["yellow"]
    features = area_status_features(actor=supervisor, parent=w.street_a, day=DAY)["features"]
    assert [(f["properties"]["code"], f["properties"]["status"]) for f in features] == [
        (w.community_a.code, "yellow"), (march.community_a2.code, "red")]


def test_pages_answer_404_out_of_scope_and_the_numbers_in_scope(march):
    w = march.world
    _statuses(w, march.community_a2)
    client = Client()
    client.force_login(w.users[Role.SUPERVISOR])
    for code in (w.county.code, w.street_b.code, "320602999"):
        for name in ("warnings:overview", "warnings:report", "warnings:status",
                     "warnings:status_map"):
            assert client.get(reverse(name, args=[code])).status_code == 404, (name, code)
    response = client.get(reverse("warnings:overview", args=[w.street_a.code]),
                          {"week": W1.isoformat()})
    assert response.status_code == 200
    assert response.context["o"].total.totals == {"reports": 2, "on_time": 2, "expected": 3}
    response = client.get(reverse("warnings:status", args=[w.street_a.code]),
                          {"day": DAY.isoformat()})
    assert response.status_code == 200
    assert response.context["counts"] == {"green": 0, "yellow": 1, "red": 1}

"""Every read of the stats app takes the reader and applies the reader's scope itself: an
area outside it answers like a missing one (Area.DoesNotExist; 404 in the pages), an area
inside it gives the hand-computed numbers of the `history` fixture (nine cases in grid A1,
street A: 9 registered, 4 closed of 7 due and not suspended → 57.14%)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from civicgrid.areas.models import Area
from civicgrid.areas.readers import area_breadcrumbs, area_for, require_area
from civicgrid.cases.models import Case
from civicgrid.stats.models import Indicator
from civicgrid.stats.selectors import (
    area_choices,
    current_month,
    dashboard,
    kpis,
    most_overdue,
    ranking,
    trend,
)
from civicgrid.stats.tests.conftest import history_parts

# The district and its nine-case history, built once for the module and rolled back after
# each test (civicgrid/testing.py).
office, history, world = history_parts()

SELECTORS = {
    "kpis": lambda actor, area: kpis(actor=actor, area=area, period=current_month()),
    "ranking": lambda actor, area: ranking(actor=actor, area=area, period=current_month(),
                                           indicator=Indicator.CLOSURE_RATE),
    "trend": lambda actor, area: trend(actor=actor, area=area, end=current_month().end),
    "most_overdue": lambda actor, area: most_overdue(actor=actor, area=area),
    "dashboard": lambda actor, area: dashboard(actor=actor, area=area,
                                               period=current_month()),
    "area_choices": lambda actor, area: area_choices(actor=actor, area=area),
    "breadcrumbs": lambda actor, area: area_breadcrumbs(actor=actor, area=area),
}


@pytest.mark.parametrize("name", SELECTORS)
def test_a_reader_out_of_scope_gets_nothing(office, name):
    """The street A leader reads neither the district above nor street B beside; the
    outsider (a grid worker of street B) does not read street A."""
    w, read = office.world, SELECTORS[name]
    for actor, area in ((office.people["leader"], w.county),
                        (office.people["leader"], w.street_b),
                        (office.people["outsider"], w.street_a),
                        (None, w.street_a)):
        with pytest.raises(Area.DoesNotExist):
            read(actor, area)


def test_a_reader_in_scope_gets_the_hand_computed_numbers(office, history):
    w = office.world
    leader, county_reader = office.people["leader"], office.people["county_dispatcher"]
    values = {k.indicator.code: k for k in kpis(actor=leader, area=w.street_a,
                                                 period=current_month())}
    closure = values[Indicator.CLOSURE_RATE]
    assert (closure.numerator, closure.denominator, closure.value) == (4, 7, Decimal("57.14"))
    mediation = values[Indicator.MEDIATION_SUCCESS]
    assert (mediation.numerator, mediation.denominator) == (1, 3)

    rows = ranking(actor=county_reader, area=w.county, period=current_month(),
                   indicator=Indicator.CLOSURE_RATE)
    assert [(r.area.code, r.rank, r.kpi.value) for r in rows] == [
        (w.street_a.code, 1, Decimal("57.14")), (w.street_b.code, None, None)]

    points = trend(actor=leader, area=w.street_a, end=current_month().end)
    assert len(points) == 12
    assert (points[-1].registered, points[-1].closed_in_month, points[-1].closure_rate) == (
        9, 4, Decimal("57.14"))
    assert sum(p.registered for p in points[:-1]) == 0

    board = dashboard(actor=leader, area=w.street_a, period=current_month())
    # Open: d3 (resolved, not yet verified), d4 (suspended), d6 (registered), p3 (handling);
    # closed d1 d2 p1 p2; d5 rejected.
    assert (board.totals["registered"], board.totals["closed"], board.totals["open"]) == (
        9, 4, 4)
    assert [k.value for k in board.kpis][:1] == [Decimal("57.14")]
    assert [f["properties"]["code"] for f in board.map["features"]] == [w.community_a.code]

    # Street B is empty: its reader sees zeros, not street A's cases.
    empty = kpis(actor=county_reader, area=w.street_b, period=current_month())
    assert all((k.numerator, k.denominator) == (0, 0) for k in empty
               if k.indicator.source == "cases")


def test_the_most_overdue_are_those_of_the_area(office):
    w = office.world
    now = timezone.now()
    inside = new_overdue(office, w.grid_a1, now)
    outside = new_overdue(office, w.grid_b1, now)
    county_reader = office.people["county_dispatcher"]
    assert [r.case.pk for r in most_overdue(actor=county_reader, area=w.street_a,
                                            now=now)] == [inside.pk]
    assert [r.case.pk for r in most_overdue(actor=county_reader, area=w.county,
                                            now=now)] == [inside.pk, outside.pk]
    with pytest.raises(Area.DoesNotExist):
        most_overdue(actor=office.people["leader"], area=w.street_b, now=now)


def new_overdue(office, area, now):
    from civicgrid.cases.tests.conftest import new_case

    case = new_case(office, area=area)
    late = timedelta(days=1 + len(area.code))  # the same depth: the same lateness
    Case.objects.filter(pk=case.pk).update(stage_started_at=now - late * 2,
                                           stage_due_at=now - late)
    return case


def test_area_for_and_require_area_answer_like_a_missing_area(office):
    w, leader = office.world, office.people["leader"]
    assert area_for(actor=leader, code=w.street_a.code) == w.street_a
    assert area_for(actor=leader, code=w.grid_a1.code) == w.grid_a1
    assert require_area(leader, w.community_a) is w.community_a
    for code in (w.county.code, w.street_b.code, "320602999"):  # above, beside, missing
        with pytest.raises(Area.DoesNotExist):
            area_for(actor=leader, code=code)
    with pytest.raises(Area.DoesNotExist):
        require_area(leader, w.street_b)


def test_a_readable_area_is_checked_once_per_reader_and_scope(office,
                                                             django_assert_num_queries):
    w, leader = office.world, office.people["leader"]
    require_area(leader, w.street_a)  # the scope (3 queries) and the area (1)
    with django_assert_num_queries(0):
        require_area(leader, w.street_a)
    with django_assert_num_queries(1):
        require_area(leader, w.community_a)


@pytest.mark.parametrize("page", ["stats:dashboard", "stats:kpis"])
def test_pages_answer_404_out_of_scope_and_the_numbers_in_scope(
        office, history, client, page):
    w = office.world
    client.force_login(office.people["leader"])
    for code in (w.county.code, w.street_b.code, "320602999"):
        assert client.get(reverse(page), {"area": code}).status_code == 404
    response = client.get(reverse(page), {"area": w.street_a.code,
                                          "period": current_month().key})  # the history's
    assert response.status_code == 200
    assert response.context["area"] == w.street_a
    assert "57.14" in response.content.decode()

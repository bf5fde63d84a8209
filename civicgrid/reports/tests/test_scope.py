"""Every read of the reports app takes the reader and applies the reader's scope itself: an
area outside it answers like a missing one (Area.DoesNotExist; 404 in the pages), an area
inside it gives the hand-computed numbers: last month, 3 cases in street A (grid A1) and 2
in street B (grid B1)."""

from __future__ import annotations

import pytest
from django.test import Client

from civicgrid.areas.models import Area
from civicgrid.reports.selectors import (
    analysis_report,
    release_data,
    release_published,
    release_versions,
    releases_in_scope,
    report_children,
    report_span,
)
from civicgrid.reports.services import release_publish
from civicgrid.reports.tests.conftest import at, last_month, make_cases, office_parts

# Every test starts from the bare district: built once for the module, rolled back after
# each test (civicgrid/testing.py).
office, world = office_parts()


@pytest.fixture
def five(office):
    w = office.world
    month = last_month()
    make_cases(office, 3, at(month.replace(day=3)), area=w.grid_a1)
    make_cases(office, 2, at(month.replace(day=4)), area=w.grid_b1)
    return month


def _readers(office):
    """(reader, area) pairs out of scope: the street A leader above and beside, the
    outsider (a grid worker of street B) in street A, and nobody."""
    w = office.world
    return ((office.people["leader"], w.county), (office.people["leader"], w.street_b),
            (office.people["outsider"], w.street_a), (None, w.county))


SELECTORS = {
    "analysis_report": lambda actor, area, month: analysis_report(
        actor=actor, area=area, span=report_span("monthly", f"{month:%Y-%m}")),
    "release_data": lambda actor, area, month: release_data(actor=actor, area=area,
                                                            month=month),
    "release_published": lambda actor, area, month: release_published(
        actor=actor, area=area, month=month),
    "release_versions": lambda actor, area, month: release_versions(actor=actor, area=area,
                                                                    month=month),
    "report_children": lambda actor, area, month: report_children(actor=actor, area=area),
}


@pytest.mark.parametrize("name", SELECTORS)
def test_a_reader_out_of_scope_gets_nothing(office, name):
    for actor, area in _readers(office):
        with pytest.raises(Area.DoesNotExist):
            SELECTORS[name](actor, area, last_month())


def test_a_reader_in_scope_gets_the_hand_computed_numbers(office, five, reader):
    w, leader = office.world, office.people["leader"]
    street = analysis_report(actor=leader, area=w.street_a,
                             span=report_span("monthly", f"{five:%Y-%m}"))
    assert (street.totals["registered"], street.totals["closed"]) == (3, 0)
    assert [(r.code, r.cells[0].value) for r in street.table("grids").rows] == [
        (w.grid_a1.code, 3)]
    county = analysis_report(actor=reader, area=w.county,
                             span=report_span("monthly", f"{five:%Y-%m}"))
    assert county.totals["registered"] == 5
    assert [(r.code, r.cells[0].value) for r in county.table("grids").rows] == [
        (w.grid_a1.code, 3), (w.grid_b1.code, 2)]

    data = release_data(actor=leader, area=w.street_a, month=five)
    assert data["columns"]["current"]["counts"]["total"] == 3
    assert data["flags"]["total"]["rank"] == 1 and data["flags"]["total"]["of"] == 2
    assert release_data(actor=reader, area=w.county, month=five)["columns"]["current"][
        "counts"]["total"] == 5
    assert [a.code for a in report_children(actor=leader, area=w.street_a)] == [
        w.community_a.code]


def test_published_releases_are_read_in_scope_only(office, five, reader, publisher):
    w = office.world
    release = release_publish(district=w.county, month=five, actor=publisher)
    assert release_published(actor=reader, area=w.county, month=five) == release
    assert [r.pk for r in release_versions(actor=reader, area=w.county, month=five)] == [
        release.pk]
    assert releases_in_scope(actor=reader) == [release]
    leader = office.people["leader"]  # street A: the district's release is not theirs
    assert releases_in_scope(actor=leader) == []
    with pytest.raises(Area.DoesNotExist):
        release_published(actor=leader, area=w.county, month=five)
    assert release_published(actor=leader, area=w.street_a, month=five) is None


def test_pages_answer_404_out_of_scope_and_the_numbers_in_scope(office, five):
    w = office.world
    client = Client()
    client.force_login(office.people["leader"])
    month = f"{five:%Y-%m}"
    for code in (w.county.code, w.street_b.code, "320602999"):
        for path in (f"/reports/{code}/monthly/?period={month}",
                     f"/reports/{code}/monthly.xlsx?period={month}",
                     f"/reports/{code}/release/?month={month}",
                     f"/reports/{code}/release.pdf?month={month}"):
            assert client.get(path).status_code == 404, path
    response = client.get(f"/reports/{w.street_a.code}/monthly/?period={month}")
    assert response.status_code == 200
    assert response.context["report"].totals["registered"] == 3
    response = client.get(f"/reports/{w.street_a.code}/release/?month={month}")
    assert response.status_code == 200
    assert [c.value for c in response.context["view"].lines[0].cells][:1] == [3]

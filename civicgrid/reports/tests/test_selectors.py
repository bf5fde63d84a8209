"""Report spans, weekly counting from the cases, category prefixes, and the release's
numbers, ranks and warning flags."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from civicgrid.areas.models import Area
from civicgrid.cases.models import Case, Category, HandlingLevel, Outcome, Status
from civicgrid.conftest import make_area
from civicgrid.reports.selectors import (
    analysis_report,
    category_index,
    public_release,
    release_data,
    release_month,
    release_view,
    report_span,
)
from civicgrid.reports.tests.conftest import at, auditor, last_month, make_cases, office_parts
from civicgrid.stats.measures import MEASURES
from civicgrid.stats.models import CaseStat
from civicgrid.stats.rollups import stats_rebuild

# Every test starts from the bare district: built once for the module, rolled back after
# each test (civicgrid/testing.py).
office, world = office_parts()

# --- spans -------------------------------------------------------------------------------


def test_spans():
    week = report_span("weekly", "2026-11-18")  # a Wednesday
    assert (week.start, week.end, week.key) == (date(2026, 11, 16), date(2026, 11, 22),
                                                "2026-11-16")
    assert week.previous.start == date(2026, 11, 9) and week.year_before is None
    assert week.link() == {"start": date(2026, 11, 16), "end": date(2026, 11, 22)}
    first, after = week.bounds
    assert first == timezone.make_aware(datetime.combine(date(2026, 11, 16), time.min))
    assert after - first == timedelta(days=7)

    month = report_span("monthly", "2026-11")
    assert (month.start, month.end, month.key) == (date(2026, 11, 1), date(2026, 11, 30),
                                                   "2026-11")
    assert month.previous.key == "2026-10" and month.year_before.key == "2025-11"
    assert month.link()["period"].key == "2026-11"
    assert report_span("monthly", "2026-03").previous.end == date(2026, 2, 28)

    quarter = report_span("quarterly", "2026-Q3")
    assert (quarter.start, quarter.end, quarter.key) == (date(2026, 7, 1), date(2026, 9, 30),
                                                         "2026-Q3")
    assert quarter.previous.key == "2026-Q2" and quarter.year_before.key == "2025-Q3"
    assert report_span("quarterly", "2026-Q1").previous.key == "2025-Q4"

    today = date(2026, 5, 20)
    assert report_span("weekly", today=today).start == date(2026, 5, 18)
    assert report_span("monthly", today=today).key == "2026-05"
    assert report_span("quarterly", today=today).key == "2026-Q2"
    assert release_month("", today=today) == date(2026, 4, 1)
    assert release_month("2026-02") == date(2026, 2, 1)


@pytest.mark.parametrize(("kind", "anchor"), [
    ("weekly", "2026-11-31"), ("weekly", "soon"), ("monthly", "2026-13"),
    ("monthly", "2026"), ("monthly", "2026-Q1"), ("quarterly", "2026-Q5"),
    ("quarterly", "2026-11"), ("monthly", "1999-01"), ("yearly", "2026"),
])
def test_bad_spans(kind, anchor):
    with pytest.raises(ValueError):
        report_span(kind, anchor)


# --- weekly reports count from the cases -------------------------------------------------

def local(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def test_a_week_runs_from_monday_to_sunday_local_time(office, reader):
    monday = date(2026, 10, 5)
    inside = [local(monday, 0, 0), local(monday + timedelta(days=6), 23, 59)]
    outside = [local(monday, 0, 0) - timedelta(seconds=1), local(monday + timedelta(days=7), 0)]
    for when in inside + outside:
        make_cases(office, 1, when)
    report = analysis_report(actor=reader, area=office.world.county, span=report_span(
        "weekly", "2026-10-07"))
    assert report.totals["registered"] == 2
    trend = report.table("trend")
    assert [row.cells[0].value for row in trend.rows][-2:] == [1, 2]  # the Sunday before


def test_a_week_inside_a_month_counts_like_the_months_rollup(office, reader):
    """Two ways to the same numbers: the cases (week) and the rollup (month)."""
    month = last_month()
    monday = month + timedelta(days=(7 - month.weekday()) % 7)  # the first Monday
    cases = make_cases(office, 6, at(monday + timedelta(days=1)))
    cases += make_cases(office, 2, at(monday + timedelta(days=2)), category=office.petition)
    closed = at(monday + timedelta(days=3))
    Case.objects.filter(pk__in=[c.pk for c in cases[:2]]).update(
        status=Status.CLOSED, outcome=Outcome.MEDIATED, closed_at=closed, resolved_at=closed,
        closed_on_time=True, closed_level=HandlingLevel.COMMUNITY, satisfaction=5)
    Case.objects.filter(pk=cases[2].pk).update(status=Status.REJECTED)
    Case.objects.filter(pk=cases[3].pk).update(status=Status.SUSPENDED)
    stats_rebuild()
    weekly = analysis_report(actor=reader, area=office.world.county,
                             span=report_span("weekly", monday.isoformat()))
    monthly = analysis_report(actor=reader, area=office.world.county,
                              span=report_span("monthly", f"{month:%Y-%m}"))
    for measure in MEASURES:
        assert weekly.totals[measure.name] == monthly.totals[measure.name], measure.name
    assert weekly.totals["registered"] == 8 and weekly.totals["closed"] == 2
    for key in ("categories", "leaf_categories", "levels", "channels", "outcomes", "kpis"):
        week_rows = [[c.value for c in r.cells] for r in weekly.table(key).rows]
        month_rows = [[c.value for c in r.cells] for r in monthly.table(key).rows]
        assert week_rows == month_rows, key


def test_top_grids_and_overdue(office, reader):
    w = office.world
    when = at(last_month().replace(day=3))
    make_cases(office, 3, when, area=w.grid_a2)
    make_cases(office, 1, when, area=w.grid_b1)
    late = make_cases(office, 2, when)
    now = timezone.now()
    Case.objects.filter(pk=late[0].pk).update(stage_started_at=now - timedelta(days=4),
                                              stage_due_at=now - timedelta(days=2))  # 2.0
    Case.objects.filter(pk=late[1].pk).update(stage_started_at=now - timedelta(days=9),
                                              stage_due_at=now - timedelta(days=1))  # 1.1
    report = analysis_report(actor=reader, area=w.county, span=report_span(
        "monthly", f"{last_month():%Y-%m}"), now=now)
    grids = report.table("grids")
    assert [(r.code, r.cells[0].value) for r in grids.rows] == [
        (w.grid_a2.code, 3), (w.grid_a1.code, 2), (w.grid_b1.code, 1)]
    assert [line.case.pk for line in report.overdue] == [late[0].pk, late[1].pk]
    assert [line.multiple for line in report.overdue] == [2.0, 1.1]
    assert report.overdue_total.value == 2


# --- categories --------------------------------------------------------------------------

def test_category_prefixes(office):
    mixed = Category.objects.create(code="97", name="混合", kind="dispute",
                                    default_level="community")
    Category.objects.create(code="9701", name="隐患", kind="hazard", parent=mixed,
                            default_level="street")
    index = category_index()
    by_code = index.by_code
    assert by_code["9102"].kind_prefix == "91" and by_code["9102"].top_code == "91"
    assert by_code["9501"].kind_prefix == "95"
    builtin = Category.objects.filter(code__startswith="01", children__isnull=True).first()
    assert by_code[builtin.code].kind_prefix == "01"  # the built-in 矛盾纠纷 group
    assert by_code["9701"].kind_prefix == "9701"  # its group mixes kinds
    assert by_code["97"].kind_prefix == ""  # nothing lists exactly the 97 cases
    assert index.label(by_code["9102"].pk) == "矛盾纠纷(测试) · 邻里纠纷"


# --- the release -------------------------------------------------------------------------

@pytest.fixture
def city(office):
    """Four more districts of 南通市, each with one street."""
    w = office.world
    city = w.county.parent
    out = {w.county.code: w.street_a.code}
    for n in (11, 12, 13, 14):
        county = make_area(f"3206{n}", f"区{n}", city)
        street = make_area(f"3206{n}001", f"街道{n}", county)
        out[county.code] = street.code
    return out


def stat(street: str, month: date, category: Category, n: int) -> None:
    CaseStat.objects.create(area_code=street, month=month, category=category, registered=n,
                            due=n)


def test_release_counts_changes_and_flags(office, city):
    month = date(2026, 9, 1)
    w = office.world
    disputes = {"320602": 30, "320611": 20, "320612": 10, "320613": 6, "320614": 2}
    for county, n in disputes.items():
        stat(city[county], month, office.neighbour, n)
    stat(w.street_b.code, month, office.neighbour, 4)  # 崇川区: 34 in all
    stat(w.street_a.code, month, office.petition, 3)
    stat(w.street_a.code, date(2026, 8, 1), office.neighbour, 17)
    stat(w.street_a.code, date(2025, 9, 1), office.neighbour, 40)
    data = release_data(actor=auditor(office), area=w.county, month=month)
    current = data["columns"]["current"]["counts"]
    assert current["total"] == 37 and current["dispute"] == 34 and current["petition"] == 3
    assert data["columns"]["previous"]["counts"]["dispute"] == 17
    assert data["columns"]["year_before"]["counts"]["dispute"] == 40
    # Among the five districts: 34, 20, 10, 6, 2 disputes (mean 14.4): the top two flagged.
    assert data["flags"]["dispute"] == {"rank": 1, "of": 5, "mean": "14.4", "flagged": True}
    assert not data["flags"]["petition"]["flagged"]  # 3: too few to warn about
    flagged = {code: release_data(actor=auditor(office), area=Area.objects.get(code=code),
                                  month=month)["flags"]["dispute"]["flagged"]
               for code in disputes}
    assert flagged == {"320602": True, "320611": True, "320612": False, "320613": False,
                       "320614": False}
    # The district's streets, ranked among themselves.
    children = {c["code"]: c for c in data["children"]}
    assert children[w.street_a.code]["counts"]["dispute"] == 30
    assert children[w.street_a.code]["flags"]["dispute"]["flagged"] is True
    assert children[w.street_b.code]["flags"]["dispute"]["flagged"] is False

    view = release_view(data, public=False, index=category_index())
    dispute = next(line for line in view.lines if line.key == "dispute")
    assert [c.value for c in dispute.cells] == [34, 17, 40]
    assert dispute.mom == "+17(+100.0%)" and dispute.yoy == "-6(-15.0%)"
    assert dispute.flagged and dispute.rank == "1/5"
    assert dispute.cells[0].url.endswith("category=91&stat=registered&period=2026-09")

    # The public version: petitions (3) hidden, and disputes with them (the only other
    # part, 34); the total printed.
    public = release_view(public_release(data), public=True)
    lines = {line.key: line for line in public.lines}
    assert lines["total"].cells[0].text == "37"
    assert lines["petition"].cells[0].text == "<5"
    assert lines["dispute"].cells[0].text == "—"
    assert lines["dispute"].mom == "—" and lines["dispute"].flagged
    assert lines["total"].mom == "+117.6%"  # 37 against 17: both printed
    assert not any(c.url for line in public.lines for c in line.cells)


def test_a_kind_in_two_groups_links_each_piece(office, city):
    month = date(2026, 9, 1)
    builtin = Category.objects.filter(kind="dispute", code__startswith="01",
                                      children__isnull=True).order_by("code").first()
    stat(office.world.street_a.code, month, office.neighbour, 4)
    stat(office.world.street_a.code, month, builtin, 2)
    view = release_view(release_data(actor=auditor(office), area=office.world.county,
                                     month=month), public=False, index=category_index())
    cell = next(line for line in view.lines if line.key == "dispute").cells[0]
    assert cell.value == 6 and cell.url == ""
    assert [(p.value, p.url.split("category=")[1][:2]) for p in cell.parts] == [
        (2, "01"), (4, "91")]
    empty = next(line for line in view.lines if line.key == "emergency").cells[0]
    assert empty.value == 0 and "category=04" in empty.url  # an empty list, but a list


def test_release_of_a_street_and_a_city(office, city):
    month = date(2026, 9, 1)
    stat(office.world.street_a.code, month, office.neighbour, 8)
    stat(office.world.street_b.code, month, office.neighbour, 1)
    street = release_data(actor=auditor(office), area=office.world.street_a, month=month)
    assert street["parent"]["code"] == office.world.county.code
    assert street["flags"]["dispute"] == {"rank": 1, "of": 2, "mean": "4.5", "flagged": True}
    assert street["children"] == []
    town = release_data(actor=auditor(office), area=office.world.county.parent, month=month)
    assert town["parent"] is None and town["flags"] == {}
    assert [c["code"] for c in town["children"]] == ["320602", "320611", "320612", "320613",
                                                     "320614"]
    with pytest.raises(ValueError):
        release_data(actor=auditor(office), area=office.world.grid_a1, month=month)

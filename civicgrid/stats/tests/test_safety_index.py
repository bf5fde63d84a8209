"""群众安全感指数 on the KPI page and in the monthly release, from two closed rounds whose
results are stated by hand (the figures a closed round keeps, civicgrid/surveys/results.py):

    county 320602, 2026 H1, closed 2026-07-10: 92.31% (90.12–94.50, n 1200);
        street A 94.00% (92.00–96.00, n 600); street B 88.00%, n 80: suppressed
    street B 320602002, 2025 H2, closed 2026-01-15: 86.50% (84.00–89.00, n 400)

As of the end of July 2026 the county's own round speaks for the county (92.31%), its street
A result for street A and for the community below it (94.00%), and — street B's result being
suppressed and the county's round the latest — the county's round as a whole for street B.
As of the end of June 2026 the county has no survey yet (暂无调查) and street B its own
(86.50%).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from civicgrid.accounts.roles import Role
from civicgrid.core.periods import Period
from civicgrid.reports.selectors import public_release, release_data, release_view
from civicgrid.stats.indicators import SurveyKpiValue
from civicgrid.stats.models import Indicator, KpiTarget
from civicgrid.stats.selectors import kpis, ranking
from civicgrid.surveys.figures import area_index
from civicgrid.surveys.models import Round, RoundStatus
from civicgrid.workcalendar.calendar import SHANGHAI

pytestmark = pytest.mark.django_db
JULY, JUNE = Period.month(2026, 7), Period.month(2026, 6)


def estimate(value, low, high, n, suppressed=False) -> dict:
    return {"value": value, "ci_low": low, "ci_high": high, "n": n, "se": 0.01,
            "half_width": (high - low) / 2, "method": "wald", "deff": 1.2,
            "suppressed": suppressed}


def closed(area, year, half, closed_at, index, domains=()) -> Round:
    return Round.objects.create(
        number=f"AQ{year}{half}-{area.code}", title=f"{area.name}{year}年安全感调查",
        area=area, area_code=area.code, year=year, half=half, status=RoundStatus.CLOSED,
        closed_at=closed_at, index_value=Decimal(str(index["value"])),
        results={"index": index, "domains": list(domains)})


@pytest.fixture
def rounds(world):
    county = closed(world.county, 2026, 1, datetime(2026, 7, 10, 9, tzinfo=SHANGHAI),
                    estimate(0.9231, 0.9012, 0.9450, 1200), [
                        {"code": world.street_a.code, "name": world.street_a.name,
                         "index": estimate(0.94, 0.92, 0.96, 600)},
                        {"code": world.street_b.code, "name": world.street_b.name,
                         "index": estimate(0.88, 0.80, 0.96, 80, suppressed=True)}])
    street_b = closed(world.street_b, 2025, 2, datetime(2026, 1, 15, 9, tzinfo=SHANGHAI),
                      estimate(0.865, 0.84, 0.89, 400))
    return county, street_b


def _end(period: Period) -> datetime:
    return period.bounds[1]


def test_which_round_speaks_for_an_area(world, rounds):
    county, street_b = rounds
    found = {area.code: area_index(area.code, closed_before=_end(JULY))
             for area in (world.county, world.street_a, world.community_a, world.street_b)}
    assert {code: (f.round.number, f.basis, f.area_name, f.percent)
            for code, f in found.items() if f} == {
        world.county.code: (county.number, "own", "崇川区", Decimal("92.31")),
        world.street_a.code: (county.number, "domain", "城东街道", Decimal("94.00")),
        world.community_a.code: (county.number, "domain", "城东街道", Decimal("94.00")),
        world.street_b.code: (county.number, "whole", "崇川区", Decimal("92.31"))}
    own = found[world.county.code]
    assert own is not None
    assert (own.ci_low_percent, own.ci_high_percent) == (Decimal("90.12"), Decimal("94.50"))
    # the end of June: the county's round was not closed yet
    assert area_index(world.county.code, closed_before=_end(JUNE)) is None
    june_b = area_index(world.street_b.code, closed_before=_end(JUNE))
    assert june_b is not None
    assert (june_b.round.number, june_b.basis, june_b.percent) == (
        street_b.number, "own", Decimal("86.50"))


def _safety_kpi(reader, area, period: Period) -> SurveyKpiValue:
    found = {k.indicator.code: k for k in kpis(actor=reader, area=area,
                                               period=period)}[Indicator.SAFETY_INDEX]
    assert isinstance(found, SurveyKpiValue)
    return found


def test_the_kpi_carries_the_index_its_interval_and_the_target(world, rounds):
    reader = world.users[Role.AUDITOR]
    safety = _safety_kpi(reader, world.county, JULY)
    assert (safety.value, safety.ci_low, safety.ci_high) == (
        Decimal("92.31"), Decimal("90.12"), Decimal("94.50"))
    # no target set by the administrator: the round's own, 90%
    assert (safety.target, safety.target_source, safety.met) == (Decimal("90.00"), "round", True)
    assert safety.basis_text == "本区域调查"
    KpiTarget.objects.create(indicator=Indicator.SAFETY_INDEX, area_code=world.county.code,
                             value=Decimal("95.00"))
    safety = _safety_kpi(reader, world.county, JULY)
    assert (safety.target, safety.target_source, safety.met) == (Decimal("95.00"), "kpi", False)
    assert safety.gap == Decimal("-2.69")
    june = _safety_kpi(reader, world.county, JUNE)
    assert june.value is None
    assert june.basis_text == "暂无调查"


def test_streets_are_ranked_by_their_own_figures(world, rounds):
    rows = ranking(actor=world.users[Role.AUDITOR], area=world.county, period=JULY,
                   indicator=Indicator.SAFETY_INDEX)
    # street B has only the county's figure as a whole: not its own, so unranked
    assert [(r.area.code, r.kpi.value, r.rank) for r in rows] == [
        (world.street_a.code, Decimal("94.00"), 1), (world.street_b.code, None, None)]


def test_the_kpi_page_shows_it(world, rounds):
    client = Client()
    client.force_login(world.users[Role.AUDITOR])
    url = reverse("stats:kpis")
    page = client.get(url, {"area": world.county.code, "period": "2026-07"}).content.decode()
    assert 'data-indicator="safety_index"' in page
    assert "92.31%" in page and "95%置信区间 90.12%–94.50%,n=1200" in page
    assert "本区域调查" in page and "调查方案目标" in page
    street_b = client.get(url, {"area": world.street_b.code, "period": "2026-07"})
    assert "总体结果(本区域无单独结果)" in street_b.content.decode()
    june = client.get(url, {"area": world.county.code, "period": "2026-06"}).content.decode()
    assert "暂无调查" in june
    ranked = client.get(url, {"area": world.county.code, "period": "2026-07",
                              "indicator": "safety_index"})
    assert ranked.status_code == 200 and "94.00%" in ranked.content.decode()


def test_the_monthly_release_carries_the_index(world, rounds):
    county, _street_b = rounds
    reader = world.users[Role.AUDITOR]
    data = release_data(actor=reader, area=world.county, month=date(2026, 7, 1))
    assert data["safety"] == {
        "round": county.number, "title": county.title, "period": "2026年上半年",
        "basis": "own", "area": "崇川区", "value": "92.31", "ci_low": "90.12",
        "ci_high": "94.50", "n": 1200, "target": "90.00", "met": True, "suppressed": False}
    children = {c["code"]: c.get("safety") for c in data["children"]}
    street_a = children[world.street_a.code]
    assert street_a is not None and street_a["value"] == "94.00"
    assert children[world.street_b.code] is None  # only the county's figure as a whole
    view = release_view(data, public=False)
    assert view.safety is not None
    assert view.safety.text == "92.31%(95%置信区间 90.12%–94.50%,n=1200)"
    assert view.safety.target == "目标 90.00%,达标"
    assert view.safety.source.startswith(county.number)
    assert [c.safety for c in view.children] == ["94.00%", "—"]
    assert public_release(data)["safety"] == data["safety"]
    public = release_view(data, public=True).safety
    assert public is not None and public.text == view.safety.text
    june = release_data(actor=reader, area=world.county, month=date(2026, 6, 1))
    assert june["safety"] is None
    june_view = release_view(june, public=False).safety
    assert june_view is not None and june_view.text == "暂无调查"


def test_the_release_page_and_files_show_it(world, rounds):
    client = Client()
    client.force_login(world.users[Role.AUDITOR])
    page = client.get(f"/reports/{world.county.code}/release/?month=2026-07").content.decode()
    assert 'data-row="safety_index"' in page and "92.31%(95%置信区间" in page
    assert "群众安全感指数 =" in page
    june = client.get(f"/reports/{world.county.code}/release/?month=2026-06").content.decode()
    assert 'data-row="safety_index"' in june and "暂无调查" in june
    xlsx = client.get(f"/reports/{world.county.code}/release.xlsx?month=2026-07")
    assert xlsx.status_code == 200
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(xlsx.content)).active
    rows = {r[0]: r for r in sheet.iter_rows(values_only=True) if r and r[0]}
    assert rows["群众安全感指数"][1] == "92.31%(95%置信区间 90.12%–94.50%,n=1200)"
    assert client.get(f"/reports/{world.county.code}/release.pdf?month=2026-07"
                      ).status_code == 200


# --- suppressed estimates and figures inherited from an area above ------------------------
#
#     county 320602, 2026 H1, closed 2026-07-10: 91.00% (86.00–96.00, n 90): suppressed;
#         street A 93.00% (n 50) and street B 89.00% (n 40): suppressed
#     street A 320602001, 2026 H1, closed 2026-07-05: 95.00% (93.00–97.00, n 300)
#     street B 320602002, 2026 H1, closed 2026-07-05: 87.00% (80.00–94.00, n 60): suppressed
#     street B 320602002, 2025 H2, closed 2026-01-15: 86.50% (84.00–89.00, n 400)
#
# and, where a test adds it, the city's round:
#
#     city 3206, 2026 H1, closed 2026-07-08: 91.50% (91.00–92.00, n 3000);
#         county 320602 92.00% (90.50–93.50, n 800)


@pytest.fixture
def weak(world):
    county = closed(world.county, 2026, 1, datetime(2026, 7, 10, 9, tzinfo=SHANGHAI),
                    estimate(0.91, 0.86, 0.96, 90, suppressed=True), [
                        {"code": world.street_a.code, "name": world.street_a.name,
                         "index": estimate(0.93, 0.87, 0.99, 50, suppressed=True)},
                        {"code": world.street_b.code, "name": world.street_b.name,
                         "index": estimate(0.89, 0.80, 0.98, 40, suppressed=True)}])
    street_a = closed(world.street_a, 2026, 1, datetime(2026, 7, 5, 9, tzinfo=SHANGHAI),
                      estimate(0.95, 0.93, 0.97, 300))
    street_b = closed(world.street_b, 2026, 1, datetime(2026, 7, 5, 9, tzinfo=SHANGHAI),
                      estimate(0.87, 0.80, 0.94, 60, suppressed=True))
    closed(world.street_b, 2025, 2, datetime(2026, 1, 15, 9, tzinfo=SHANGHAI),
           estimate(0.865, 0.84, 0.89, 400))
    return county, street_a, street_b


def city_round(world) -> Round:
    return closed(world.county.parent, 2026, 1, datetime(2026, 7, 8, 9, tzinfo=SHANGHAI),
                  estimate(0.915, 0.91, 0.92, 3000), [
                      {"code": world.county.code, "name": world.county.name,
                       "index": estimate(0.92, 0.905, 0.935, 800)}])


def _found(code: str, period: Period = JULY):
    found = area_index(code, closed_before=_end(period))
    assert found is not None
    return (found.round.number, found.basis, found.area_name, found.percent, found.suppressed)


def test_a_suppressed_own_round_still_speaks_for_its_area_flagged(world, weak):
    county, street_a, street_b = weak
    assert _found(world.county.code) == (county.number, "own", "崇川区", Decimal("91.00"), True)
    assert _found(world.street_a.code) == (
        street_a.number, "own", "城东街道", Decimal("95.00"), False)
    # street B's own 2026 round, suppressed: not the county's round as a whole (not about
    # street B), nor its own published round of an older half
    assert _found(world.street_b.code) == (
        street_b.number, "own", "和平桥街道", Decimal("87.00"), True)
    # the community below street B: street B's round as a whole, inherited
    community_b = area_index(world.community_b.code, closed_before=_end(JULY))
    assert community_b is not None
    assert (community_b.round.number, community_b.basis, community_b.area_code,
            community_b.suppressed) == (street_b.number, "whole", world.street_b.code, True)
    assert not community_b.is_about(world.community_b.code)


def test_a_suppressed_own_round_gives_way_to_a_published_result_about_the_area(world, weak):
    city = city_round(world)
    # the city's round of the same half has a published result for the county itself
    assert _found(world.county.code) == (city.number, "domain", "崇川区", Decimal("92.00"),
                                         False)
    # … but nothing about street B: its own suppressed figure stays
    assert _found(world.street_b.code)[1:] == ("own", "和平桥街道", Decimal("87.00"), True)


def test_a_suppressed_index_is_shown_for_reference_never_judged(world, weak):
    reader = world.users[Role.AUDITOR]
    safety = _safety_kpi(reader, world.county, JULY)
    assert (safety.value, safety.suppressed, safety.target, safety.met, safety.gap) == (
        Decimal("91.00"), True, Decimal("90.00"), None, None)
    client = Client()
    client.force_login(reader)
    page = client.get(reverse("stats:kpis"), {"area": world.county.code,
                                              "period": "2026-07"}).content.decode()
    row = page.split('data-indicator="safety_index"')[1].split("</tr>")[0]
    assert "91.00%" in row and "样本不足,仅供参考" in row
    assert "达标" not in row  # neither 达标 nor 未达标


def test_a_suppressed_figure_is_not_ranked(world, weak):
    rows = ranking(actor=world.users[Role.AUDITOR], area=world.county, period=JULY,
                   indicator=Indicator.SAFETY_INDEX)
    # street B's figure is shown (marked) but takes no rank
    assert [(r.area.code, r.kpi.value, r.rank) for r in rows] == [
        (world.street_a.code, Decimal("95.00"), 1), (world.street_b.code, Decimal("87.00"), None)]
    client = Client()
    client.force_login(world.users[Role.AUDITOR])
    page = client.get(reverse("stats:kpis"), {"area": world.county.code, "period": "2026-07",
                                              "indicator": "safety_index"}).content.decode()
    table = page.split('data-testid="ranking"')[1]
    row_b = table.split(f'data-area="{world.street_b.code}"')[1].split("</tr>")[0]
    assert "<td>—</td>" in row_b and "87.00%" in row_b and "样本不足,仅供参考" in row_b


def test_streets_without_their_own_figure_are_not_ranked(world):
    city = city_round(world)
    # both streets inherit the city round's result for the county: not about them
    street_a = area_index(world.street_a.code, closed_before=_end(JULY))
    assert street_a is not None
    assert (street_a.round.number, street_a.basis, street_a.area_code, street_a.percent) == (
        city.number, "domain", world.county.code, Decimal("92.00"))
    assert not street_a.is_about(world.street_a.code)
    rows = ranking(actor=world.users[Role.AUDITOR], area=world.county, period=JULY,
                   indicator=Indicator.SAFETY_INDEX)
    assert [(r.area.code, r.kpi.value, r.rank) for r in rows] == [
        (world.street_a.code, None, None), (world.street_b.code, None, None)]
    client = Client()
    client.force_login(world.users[Role.AUDITOR])
    url = reverse("stats:kpis")
    page = client.get(url, {"area": world.county.code, "period": "2026-07",
                            "indicator": "safety_index"}).content.decode()
    table = page.split('data-testid="ranking"')[1]
    assert "92.00%" not in table and table.count("无本区域结果") == 2
    # a street's own KPI page shows the figure, as the county's
    page = client.get(url, {"area": world.street_a.code, "period": "2026-07"}).content.decode()
    row = page.split('data-indicator="safety_index"')[1].split("</tr>")[0]
    assert "92.00%" in row and "南通市2026年安全感调查中崇川区的结果" in row


def test_the_release_lists_only_the_childrens_own_figures(world):
    city = city_round(world)
    reader = world.users[Role.AUDITOR]
    data = release_data(actor=reader, area=world.county, month=date(2026, 7, 1))
    safety = data["safety"]
    assert safety is not None
    assert (safety["round"], safety["basis"], safety["area"], safety["value"]) == (
        city.number, "domain", "崇川区", "92.00")
    assert [c["safety"] for c in data["children"]] == [None, None]
    assert [c.safety for c in release_view(data, public=False).children] == ["—", "—"]
    # a street's own release shows the inherited figure, labelled as the county's
    street = release_view(release_data(actor=reader, area=world.street_a,
                                       month=date(2026, 7, 1)), public=False).safety
    assert street is not None
    assert (street.text, street.source) == (
        "92.00%(95%置信区间 90.50%–93.50%,n=800)",
        f"{city.number} 南通市2026年安全感调查:上级调查中崇川区的结果")

"""KPI formulas: the published check, hand-computed fixtures played through the real
services, targets, periods, rankings and the drill-down behind every number."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Q

from civicgrid.cases import services as svc
from civicgrid.cases.models import Case, Outcome
from civicgrid.cases.selectors import drill_filter
from civicgrid.cases.services import PartyInput, allowed_transitions
from civicgrid.cases.tests.conftest import new_case
from civicgrid.stats.indicators import INDICATORS, kpi_value, ratio
from civicgrid.stats.models import Indicator, KpiTarget
from civicgrid.stats.selectors import (
    Period,
    current_month,
    drilldown,
    ranking,
)
from civicgrid.stats.tests.conftest import history_parts
from civicgrid.stats.totals import (
    measure_totals,
    targets_for_areas,
    totals_by_category,
    totals_by_child,
    totals_by_month,
)
from civicgrid.warnings.selectors import rate as check_rate

# --- the published check (金华 digital urban management) --------------------------------


def test_published_closure_check():
    totals = {"due": 972, "suspended": 0, "closed": 911, "closed_on_time": 737}
    assert kpi_value(INDICATORS[Indicator.CLOSURE_RATE], totals).value == Decimal("93.72")
    assert kpi_value(INDICATORS[Indicator.ON_TIME_RATE], totals).value == Decimal("75.82")


def test_suspended_cases_leave_the_denominator():
    totals = {"due": 1000, "suspended": 28, "closed": 911, "closed_on_time": 737}
    value = kpi_value(INDICATORS[Indicator.CLOSURE_RATE], totals)
    assert (value.numerator, value.denominator, value.value) == (911, 972, Decimal("93.72"))


def test_ratio_rounds_half_up_and_has_no_value_without_a_denominator():
    assert ratio(1, 8) == Decimal("12.50")
    assert ratio(1, 3) == Decimal("33.33")
    assert ratio(2, 3) == Decimal("66.67")
    assert ratio(0, 0) is None
    assert ratio(7, 0) is None
    value = kpi_value(INDICATORS[Indicator.SATISFACTION], {}, Decimal("90"))
    assert value.value is None and value.met is None


def test_ratio_rounds_ties_half_up():
    # 1 ÷ 160 × 100 = 0.625 exactly: half up gives 0.63, where banker's rounding (the
    # Decimal default) and Python's round() (ties to even) give 0.62.
    assert ratio(1, 160) == Decimal("0.63")
    assert (Decimal(100) / 160).quantize(Decimal("0.01")) == Decimal("0.62")
    assert round(100 / 160, 2) == 0.62
    assert ratio(3, 160) == Decimal("1.88")  # 1.875
    assert ratio(1, 40, factor=1) == Decimal("0.03")  # 0.025
    # Every percentage of the platform is the same rule: weekly-check rates too.
    assert check_rate(1, 160) == Decimal("0.63")


def test_target_met_and_gap():
    value = kpi_value(INDICATORS[Indicator.MEDIATION_SUCCESS],
                      {"mediated": 46, "mediation_total": 50}, Decimal("92.00"))
    assert (value.value, value.met, value.gap) == (Decimal("92.00"), True, Decimal("0.00"))
    value = kpi_value(INDICATORS[Indicator.MEDIATION_SUCCESS],
                      {"mediated": 45, "mediation_total": 50}, Decimal("92.00"))
    assert (value.value, value.met, value.gap) == (Decimal("90.00"), False, Decimal("-2.00"))


# --- hand-computed fixture through the real services -------------------------------------

def play(office, case: Case, steps: list[tuple[str, dict]]) -> Case:
    """Perform each transition with the first person allowed to do it."""
    people = list(office.people.values())
    for name, args in steps:
        case.refresh_from_db()
        actor = next(p for p in people
                     if any(t.name == name for t in allowed_transitions(case, p)))
        svc.case_act(name, case=case, actor=actor, expected_version=case.version, **args)
    case.refresh_from_db()
    return case


def to_closed(office, case, unit, outcome, satisfaction):
    return play(office, case, [
        ("accept", {}), ("dispatch", {"unit": unit}),
        ("resolve", {"outcome": outcome, "note": "办结"}), ("verify", {}),
        ("follow_up", {"satisfaction": satisfaction}), ("close", {})])


def petition(office, phone: str) -> Case:
    return new_case(office, category=office.petition, description="反映征地补偿款未发放到位",
                    parties=[PartyInput(role="applicant", name="来信人", phone=phone)])


def build_history(office) -> dict[str, Case]:
    """Nine cases with hand-known outcomes (see the expectations in the test)."""
    committee = office.community_committee
    d1 = to_closed(office, new_case(office), committee, Outcome.MEDIATED, 5)
    d2 = to_closed(office, new_case(office), committee, Outcome.MEDIATION_FAILED, 2)
    d3 = play(office, new_case(office), [
        ("accept", {}), ("dispatch", {"unit": committee}),
        ("resolve", {"outcome": Outcome.LEGAL_CHANNEL, "note": "引导诉讼"})])
    d4 = play(office, new_case(office), [("suspend", {"reason": "等待鉴定"})])
    d5 = play(office, new_case(office), [("reject", {"reason": "不属于受理范围"})])
    d6 = new_case(office)
    p1 = to_closed(office, petition(office, "13800000001"), office.petition_office,
                   Outcome.ANSWERED, 4)
    p2 = to_closed(office, petition(office, "13800000001"), office.petition_office,
                   Outcome.ANSWERED, 3)
    p3 = play(office, petition(office, "13800000002"), [
        ("accept", {}), ("dispatch", {"unit": office.petition_office})])
    return {"d1": d1, "d2": d2, "d3": d3, "d4": d4, "d5": d5, "d6": d6, "p1": p1, "p2": p2,
            "p3": p3}


# Every test of this module may start from the district and its history: both are built
# once for the module and rolled back after each test (civicgrid/testing.py).
office, history, world = history_parts()


EXPECTED = {  # indicator: (numerator, denominator, value)
    Indicator.CLOSURE_RATE: (4, 7, Decimal("57.14")),  # d1 d2 p1 p2 ÷ (8 due − 1 suspended)
    Indicator.ON_TIME_RATE: (4, 7, Decimal("57.14")),  # all closed well within their limits
    Indicator.MEDIATION_SUCCESS: (1, 3, Decimal("33.33")),  # d1 ÷ d1 d2 d3
    Indicator.FIRST_PETITION_RESOLUTION: (1, 2, Decimal("50.00")),  # p1 ÷ p1 p3 (p2 repeats)
    Indicator.SATISFACTION: (2, 4, Decimal("50.00")),  # 5 and 4 stars of 5, 2, 4, 3
    Indicator.CLOSED_AT_COMMUNITY: (2, 4, Decimal("50.00")),  # d1 d2
    Indicator.CLOSED_AT_STREET: (0, 4, Decimal("0.00")),
    Indicator.CLOSED_AT_COUNTY: (2, 4, Decimal("50.00")),  # p1 p2 (petitions: county)
}


def test_every_case_indicator_hand_computed(office, history):
    assert history["p2"].is_repeat and not history["p1"].is_repeat
    assert not history["p3"].is_repeat
    assert history["d1"].closed_level == "community" and history["p1"].closed_level == "county"
    period = current_month()
    world = office.world
    for area_code in ("", world.county.code, world.street_a.code, world.community_a.code,
                      world.grid_a1.code):
        totals = measure_totals(area_code=area_code, period=period)
        assert (totals["registered"], totals["due"], totals["suspended"],
                totals["rejected"]) == (9, 8, 1, 1), area_code
        for code, (numerator, denominator, value) in EXPECTED.items():
            kpi = kpi_value(INDICATORS[code], totals)
            assert (kpi.numerator, kpi.denominator, kpi.value) == (
                numerator, denominator, value), (area_code, code)
    assert measure_totals(area_code=world.street_b.code, period=period)["registered"] == 0


def test_drilldown_lists_exactly_the_cases_counted(office, history):
    period = current_month()
    totals = measure_totals(area_code=office.world.county.code, period=period)
    for code, definition in INDICATORS.items():
        if definition.source != "cases":
            continue
        kpi = kpi_value(definition, totals)
        for part, expected in (("num", kpi.numerator), ("den", kpi.denominator)):
            listed = Case.objects.filter(drill_filter(f"{code}:{part}", period),
                                         area_code__startswith=office.world.county.code)
            assert listed.count() == expected, (code, part)
    closed = set(Case.objects.filter(drill_filter(f"{Indicator.CLOSURE_RATE}:num", period))
                 .values_list("number", flat=True))
    assert closed == {history[k].number for k in ("d1", "d2", "p1", "p2")}
    assert Case.objects.filter(drill_filter("closed", period.previous)).count() == 0
    with pytest.raises(KeyError):
        drilldown("check_completeness:num")
    with pytest.raises(KeyError):
        drilldown("nonsense")


def test_drilldown_of_a_measure_is_its_filter():
    assert drilldown("ch_patrol").q == Q(channel="patrol")
    assert drilldown("closed_in_month").by_closing is True


def test_totals_by_child_month_and_category(office, history):
    period = current_month()
    world = office.world
    by_child = totals_by_child(area=world.county, period=period)
    assert set(by_child) == {world.street_a.code}
    assert by_child[world.street_a.code]["registered"] == 9
    by_community = totals_by_child(area=world.street_a, period=period)
    assert by_community[world.community_a.code]["closed"] == 4
    months = totals_by_month(area_code=world.county.code, period=Period(
        period.previous.start, period.end))
    assert [m["registered"] for m in months.values()] == [0, 9]
    assert [m["closed_in_month"] for m in months.values()] == [0, 4]
    by_category = totals_by_category(area_code=world.county.code, period=period)
    assert {c: v["registered"] for c, v in by_category.items()} == {
        office.neighbour.pk: 6, office.petition.pk: 3}


# --- targets ----------------------------------------------------------------------------

def test_seed_targets_are_loaded(db):
    seeded = {t.indicator: t.value for t in KpiTarget.objects.filter(area_code="", year=0)}
    assert seeded == {Indicator.MEDIATION_SUCCESS: Decimal("92.00"),
                      Indicator.FIRST_PETITION_RESOLUTION: Decimal("85.00")}


def test_most_specific_target_applies(world):
    KpiTarget.objects.create(indicator=Indicator.CLOSURE_RATE, area_code="", year=0,
                             value=Decimal("90"))
    KpiTarget.objects.create(indicator=Indicator.CLOSURE_RATE, area_code=world.county.code,
                             year=0, value=Decimal("91"))
    KpiTarget.objects.create(indicator=Indicator.CLOSURE_RATE, area_code=world.county.code,
                             year=2026, value=Decimal("93"))
    KpiTarget.objects.create(indicator=Indicator.CLOSURE_RATE, area_code=world.street_b.code,
                             year=0, value=Decimal("95"))
    targets = targets_for_areas([world.street_a.code, world.street_b.code, "32"], 2026)
    assert targets[world.street_a.code][Indicator.CLOSURE_RATE] == Decimal("93")
    assert targets[world.street_b.code][Indicator.CLOSURE_RATE] == Decimal("95")
    assert targets["32"][Indicator.CLOSURE_RATE] == Decimal("90")
    assert targets_for_areas([world.street_a.code], 2025)[world.street_a.code][
        Indicator.CLOSURE_RATE] == Decimal("91")
    assert targets["32"][Indicator.MEDIATION_SUCCESS] == Decimal("92.00")  # seed default


def test_ranking_of_streets(office, history):
    world = office.world
    rows = ranking(actor=office.people["county_dispatcher"], area=world.county,
                   period=current_month(), indicator=Indicator.CLOSURE_RATE)
    assert [(r.area.code, r.rank, r.kpi.value) for r in rows] == [
        (world.street_a.code, 1, Decimal("57.14")), (world.street_b.code, None, None)]


# --- periods ----------------------------------------------------------------------------

@pytest.mark.parametrize("text,start,end,key", [
    ("2026-11", date(2026, 11, 1), date(2026, 11, 1), "2026-11"),
    ("2026-Q3", date(2026, 7, 1), date(2026, 9, 1), "2026-Q3"),
    ("2026", date(2026, 1, 1), date(2026, 12, 1), "2026"),
    ("2025-11..2026-02", date(2025, 11, 1), date(2026, 2, 1), "2025-11..2026-02"),
])
def test_period_parse(text, start, end, key):
    period = Period.parse(text)
    assert (period.start, period.end, period.key) == (start, end, key)


@pytest.mark.parametrize("text", ["", "2026-13", "2026-Q5", "26-01", "2026-03..2026-01",
                                  "abc"])
def test_period_parse_refuses(text):
    with pytest.raises(ValueError):
        Period.parse(text)


def test_previous_and_year_before():
    q1 = Period.parse("2026-Q1")
    assert (q1.previous.start, q1.previous.end) == (date(2025, 10, 1), date(2025, 12, 1))
    assert q1.year_before.key == "2025-Q1"
    jan = Period.parse("2026-01")
    assert jan.previous.key == "2025-12"
    assert len(Period.parse("2026").months) == 12



# --- setting targets ----------------------------------------------------------------------

def test_target_set_creates_changes_and_audits(world):
    from civicgrid.accounts.roles import Role
    from civicgrid.audit.models import AuditEntry
    from civicgrid.stats.services import kpi_target_set

    admin = world.users[Role.ADMINISTRATOR]
    target = kpi_target_set(indicator=Indicator.CLOSURE_RATE, area_code=world.county.code,
                            year=2026, value=Decimal("90"), note="年度目标", actor=admin)
    again = kpi_target_set(indicator=Indicator.CLOSURE_RATE, area_code=world.county.code,
                           year=2026, value=Decimal("92.5"), actor=admin)
    assert again.pk == target.pk and again.value == Decimal("92.5")
    entries = AuditEntry.objects.filter(event_type="stats.target_set").order_by("id")
    assert [e.details["created"] for e in entries] == [True, False]


@pytest.mark.parametrize("change", [
    {"indicator": "nonsense"}, {"value": Decimal("100.01")}, {"value": Decimal("-1")},
    {"year": 1999}, {"area_code": "999999"}])
def test_target_set_refuses_bad_input_and_changes_nothing(world, change):
    from django.core.exceptions import ValidationError

    from civicgrid.accounts.roles import Role
    from civicgrid.stats.services import kpi_target_set

    args = {"indicator": Indicator.CLOSURE_RATE, "area_code": world.county.code, "year": 0,
            "value": Decimal("90"), **change}
    before = list(KpiTarget.objects.values_list("indicator", "area_code", "year", "value"))
    with pytest.raises(ValidationError):
        kpi_target_set(**args, actor=world.users[Role.ADMINISTRATOR])
    assert list(KpiTarget.objects.values_list("indicator", "area_code", "year",
                                              "value")) == before


def test_only_administrators_set_targets(world):
    from django.core.exceptions import PermissionDenied

    from civicgrid.accounts.roles import Role
    from civicgrid.stats.services import kpi_target_set

    with pytest.raises(PermissionDenied):
        kpi_target_set(indicator=Indicator.CLOSURE_RATE, area_code="", year=0,
                       value=Decimal("90"), actor=world.users[Role.LEADER])
    assert not KpiTarget.objects.filter(indicator=Indicator.CLOSURE_RATE).exists()

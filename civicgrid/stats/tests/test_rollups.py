"""The incremental rollup equals the recount: after single changes, after refused changes,
and after a random history of more than 10,000 intakes and transitions through the real
services, spread over fourteen months so that months and closing months vary."""

from __future__ import annotations

import random
import types
from contextlib import contextmanager
from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.utils import timezone as django_timezone

from civicgrid.cases import services as svc
from civicgrid.cases.models import Case, Channel, Outcome, PeopleBand, Status
from civicgrid.cases.services import PartyInput, StaleCase, allowed_transitions
from civicgrid.cases.tests.conftest import new_case
from civicgrid.cases.tests.test_workflow import arguments
from civicgrid.cases.workflow import TransitionNotAllowed
from civicgrid.stats.measures import MEASURES, NAMES
from civicgrid.stats.models import CaseStat
from civicgrid.stats.rollups import (
    case_facts,
    contributions,
    local_month,
    stats_current,
    stats_differences,
    stats_rebuild,
    stats_recompute,
)


def totals() -> dict[str, int]:
    return {n: v or 0 for n, v in CaseStat.objects.aggregate(
        **{n: Sum(n) for n in NAMES}).items()}


def test_intake_counts_once_in_its_street_month_and_category(office):
    case = new_case(office, channel=Channel.HOTLINE, is_group=True,
                    people_band=PeopleBand.FROM_50)
    row = CaseStat.objects.get()
    assert (row.area_code, row.month, row.category_id) == (
        office.world.street_a.code, local_month(case.registered_at), office.neighbour.pk)
    counted = {n for n in NAMES if getattr(row, n)}
    assert counted == {"registered", "due", "open", "ch_hotline", "group",
                       f"lvl_{case.level}"}
    assert all(getattr(row, n) == 1 for n in counted)


def test_python_and_database_definitions_agree_for_every_status(office):
    """Each measure's predicate and filter agree on cases in every status and outcome."""
    from civicgrid.cases.tests.test_workflow import put_in_status

    for status in Status.values:
        case = new_case(office)
        put_in_status(office, case, status, "")
    assert stats_differences() == []
    assert stats_current() == stats_recompute()


def test_closed_in_month_counts_in_the_closing_month(office):
    case = new_case(office)
    facts = case_facts(case)
    later = facts.registered_at + timedelta(days=40)
    closed = facts.__class__(**{**facts.__dict__, "status": Status.CLOSED, "closed_at": later,
                                "closed_on_time": True, "closed_level": "community"})
    keys = contributions(closed)
    by_month = {key[1]: set(counts) for key, counts in keys.items()}
    assert "closed_in_month" in by_month[local_month(later)]
    assert "closed_in_month" not in by_month[local_month(facts.registered_at)]
    assert {"closed", "closed_on_time", "closed_community"} <= by_month[
        local_month(facts.registered_at)]


def test_check_rollups_reports_and_fixes(office):
    new_case(office)
    out = StringIO()
    call_command("check_rollups", stdout=out)
    assert "Rollups match the cases." in out.getvalue()
    CaseStat.objects.update(registered=5)
    with pytest.raises(CommandError, match="1 rollup counters differ"):
        call_command("check_rollups", stdout=(out := StringIO()))
    assert "registered: stored 5, recomputed 1" in out.getvalue()
    call_command("check_rollups", "--fix", stdout=(out := StringIO()))
    assert "Rebuilt: 1 rollup rows" in out.getvalue()
    assert stats_differences() == []


def test_rebuild_equals_incremental(office):
    for _ in range(3):
        new_case(office)
    before = stats_current()
    assert stats_rebuild() == len(before)
    assert stats_current() == before


# --- the random history ------------------------------------------------------------------

class _Clock:
    def __init__(self, start):
        self.now = start
        self.module = types.ModuleType("property_timezone")
        self.module.__dict__.update(vars(django_timezone))
        self.module.now = lambda: self.now  # type: ignore[attr-defined]


@contextmanager
def _moving_clock(clock: _Clock):
    with svc.services_timezone(clock.module):
        yield


SKIP = {"attach"}  # files only; covered by the workflow tests
# The main path is taken more often than the side paths, so that histories reach 结案.
FORWARD = {"accept", "dispatch", "resolve", "verify", "follow_up", "close", "resume",
           "acknowledge_handoff", "handoff_outcome", "decide_extension"}
FORWARD_WEIGHT = 12
PHONES = [f"1391234{n:04d}" for n in range(400)]  # a pool: petitions repeat, first ones go on


def _intake(office, rng: random.Random) -> Case:
    category = rng.choice([office.neighbour, office.neighbour, office.labour, office.petition])
    attributes = {"amount": rng.randint(100, 90000)} if category == office.labour else {}
    return svc.case_intake(
        channel=rng.choice(Channel.values), category=category, actor=office.people["grid"],
        description="随机生成的事件描述,用于核对统计", area=office.world.grid_a1,
        attributes=attributes, is_major=rng.random() < 0.1, is_group=rng.random() < 0.1,
        people_band=rng.choice(PeopleBand.values),
        parties=[PartyInput(role="applicant", name="申请人", phone=rng.choice(PHONES))])


def _transition(office, rng: random.Random, case: Case, actors) -> bool:
    case.refresh_from_db()
    choices = [(t, a) for a in actors for t in allowed_transitions(case, a)
               if t.name not in SKIP]
    if not choices:
        return False
    weights = [FORWARD_WEIGHT if t.name in FORWARD else 1 for t, _a in choices]
    transition, actor = rng.choices(choices, weights)[0]
    args = arguments(office, transition.name, case)
    if transition.name == "resolve":
        args["outcome"] = rng.choice(Outcome.values)
    if transition.name == "follow_up":
        args["satisfaction"] = rng.randint(1, 5)
    if transition.name in ("dispatch", "transfer"):  # a unit that may take the case's level
        staffed = [office.world.unit_a.pk, office.community_committee.pk,
                   office.petition_office.pk, office.county_labour.pk]  # the actors' units
        units = list(svc.case_target_units(case).filter(pk__in=staffed)
                     .exclude(pk=case.assigned_unit_id or 0).order_by("pk"))
        if not units:
            return False
        args["unit"] = rng.choice(units)
    if rng.random() < 0.03:  # a stale version: refused, nothing may move
        svc.case_act(transition.name, case=case, actor=actor,
                     expected_version=case.version - 1, **args)
    svc.case_act(transition.name, case=case, actor=actor, expected_version=case.version, **args)
    return True


def test_random_history_of_ten_thousand_operations(office):
    rng = random.Random(20261130)
    people = office.people
    actors = [people[k] for k in ("dispatcher", "county_dispatcher", "mediator",
                                  "community_mediator", "police", "grid", "petition", "labour")]
    clock = _Clock(django_timezone.now() - timedelta(days=430))
    cases: list[Case] = []
    done = refused = 0
    with _moving_clock(clock):
        while done < 10_000:
            clock.now += timedelta(minutes=rng.randint(10, 90))
            try:
                if not cases or rng.random() < 0.2:
                    cases.append(_intake(office, rng))
                elif not _transition(office, rng, rng.choice(cases[-300:]), actors):
                    continue
                done += 1
            except (ValidationError, PermissionDenied, StaleCase, TransitionNotAllowed):
                refused += 1
    assert refused > 0  # refusals happened and moved nothing
    assert stats_differences() == []
    counted = totals()
    assert counted["registered"] == Case.objects.count()
    months = CaseStat.objects.values_list("month", flat=True).distinct().count()
    assert months >= 12
    for measure in MEASURES:  # the history reached every measure
        assert counted[measure.name] > 0, measure.name

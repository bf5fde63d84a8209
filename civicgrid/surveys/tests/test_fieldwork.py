"""Fieldwork (services/fieldwork.py): attempts and their final codes, reserves, interviews
(screen-out, quota, break-off), who may work a unit, the contact reveal, the web link.

Every expectation is written out by hand from dispositions.py's table (AAPOR Standard
Definitions) and docs/surveys.md, never computed by the code under test."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from civicgrid.accounts.roles import Role
from civicgrid.audit.models import AuditEntry
from civicgrid.core.errors import RuleViolation
from civicgrid.surveys.models import (
    CallAttempt,
    FrameSource,
    Response,
    ResponseStatus,
    Round,
    SampleUnit,
    UnitStatus,
)
from civicgrid.surveys.services import fieldwork
from civicgrid.surveys.services.rounds import (
    RoundInput,
    fieldwork_open,
    frame_import,
    quota_set,
    round_create,
    round_design_set,
    sample_draw,
    units_assign,
)
from civicgrid.surveys.tests.conftest import Survey, design

pytestmark = pytest.mark.django_db

# A complete interview of the national questionnaire: resident, 30–44, male, "safe".
ANSWERS = {"resident": "1", "age": "2", "sex": "1", "safety": "2", "night": "3",
           "trend": "1", "worries": ["1", "2"], "satisfaction": "2",
           "suggestion": "路灯坏了请修"}
FACE_CODES = {"not_home", "2.24", "3.17", "4.6"}


def phone(i: int) -> str:
    return f"1390000{i:04d}"


def calling_round(survey: Survey, *, count: int = 40, max_attempts: int = 5,
                  modes: tuple[str, ...] = ("cati", "face", "web"), half: int = 1) -> Round:
    """A county round in fieldwork whose frame is an imported list of `count` households
    (phone, name and address), alternately in grid A1 (street A) and grid B1 (street B); the
    units of A1 assigned to survey.interviewer, those of B1 to survey.interviewer_b.

    40 listed, margin 20 points, deff 1, response rate 1: n0 = ceil(3.8415 × .09 / .04) = 9;
    with the finite population 9 / (1 + 8/40) = 7.5 → 8 drawn, 4 per street; reserves half
    of that: 2 per street."""
    world: Any = survey.world
    round_ = round_create(data=RoundInput(area=world.county, year=2026, half=half),
                          actor=survey.organiser)
    round_ = round_design_set(round_=round_, data=design(
        round_, frame_source=FrameSource.IMPORTED, margin=Decimal("0.200"),
        deff=Decimal("1.00"), response_rate=Decimal("1.000"), modes=list(modes),
        max_attempts=max_attempts), actor=survey.organiser)
    lines = ["区域代码,电话,姓名,地址"]
    for i in range(count):
        grid = world.grid_a1 if i % 2 == 0 else world.grid_b1
        lines.append(f"{grid.code},{phone(i)},住户{i},{grid.name}{i + 1}号楼{i + 101}室")
    frame_import(round_=round_, data="\n".join(lines).encode(), filename="名单.csv",
                 actor=survey.organiser)
    round_ = sample_draw(round_=round_, seed="fieldwork-test", actor=survey.organiser)
    for grid, who in ((world.grid_a1, survey.interviewer),
                      (world.grid_b1, survey.interviewer_b)):
        units_assign(round_=round_, units=list(SampleUnit.objects.filter(
            round=round_, released=True, area_code=grid.code)), interviewer=who,
            actor=survey.organiser)
    return fieldwork_open(round_=round_, actor=survey.organiser)


def my_units(survey: Survey, round_: Round) -> list[SampleUnit]:
    return list(SampleUnit.objects.filter(round=round_, interviewer=survey.interviewer,
                                          released=True).order_by("reserve", "position"))


def reserves(round_: Round, unit: SampleUnit) -> list[SampleUnit]:
    """The unit's stratum's reserves in the order they are released: those in the unit's
    grid (the interviewer's) first, each group in the rank drawn from the seed."""
    waiting = list(SampleUnit.objects.filter(stratum=unit.stratum, reserve=True)
                   .order_by("release_rank", "position"))
    return ([r for r in waiting if r.area_code == unit.area_code]
            + [r for r in waiting if r.area_code != unit.area_code])


def record(survey: Survey, unit: SampleUnit, code: str, **kw) -> fieldwork.CallResult:
    mode = "face" if code in FACE_CODES else "cati"
    if code == "callback":
        kw.setdefault("callback_at", timezone.now() + timedelta(days=1))
    return fieldwork.call_record(unit=unit, code=code, mode=mode, actor=survey.interviewer,
                                 **kw)


def test_the_round_is_as_described(survey):
    round_ = calling_round(survey)
    assert (round_.frame_size, round_.n_issued) == (40, 8)
    mine = my_units(survey, round_)
    assert len(mine) == 4
    assert {u.stratum.key for u in mine} == {survey.world.street_a.code}
    assert len(reserves(round_, mine[0])) == 2
    assert not any(r.released for r in reserves(round_, mine[0]))


# --- attempts and their final codes --------------------------------------------------------

# (outcomes in order, the round's cap) → (status, final code, attempts counted)
SEQUENCES = [
    (["no_answer"] * 5, 5, UnitStatus.DONE, "3.13", 5),
    (["no_answer"] * 4, 5, UnitStatus.WORKING, "", 4),
    (["busy", "busy", "2.11"], 5, UnitStatus.DONE, "2.11", 3),
    (["no_answer", "busy"], 2, UnitStatus.DONE, "3.12", 2),  # the last interim decides
    (["busy", "no_answer"], 2, UnitStatus.DONE, "3.13", 2),
    (["no_answer", "no_answer", "callback"], 3, UnitStatus.DONE, "2.21", 3),
    (["callback", "no_answer"], 5, UnitStatus.WORKING, "", 2),
    (["not_home"] * 3, 3, UnitStatus.DONE, "2.24", 3),
    (["not_home", "3.17"], 5, UnitStatus.DONE, "3.17", 2),
    (["4.32"], 5, UnitStatus.DONE, "4.32", 1),
    (["4.51"], 1, UnitStatus.DONE, "4.51", 1),
    (["no_answer"], 1, UnitStatus.DONE, "3.13", 1),
    (["2.33"], 5, UnitStatus.DONE, "2.33", 1),
]


@pytest.mark.parametrize(("codes", "cap", "status", "final", "attempts"), SEQUENCES,
                         ids=lambda v: "-".join(v) if isinstance(v, list) else str(v))
def test_outcome_sequences_end_as_the_table_says(survey, codes, cap, status, final,
                                                 attempts):
    round_ = calling_round(survey, max_attempts=cap)
    unit = my_units(survey, round_)[0]
    for code in codes:
        record(survey, unit, code)
    unit.refresh_from_db()
    assert (unit.status, unit.disposition, unit.attempts) == (status, final, attempts)
    assert list(CallAttempt.objects.filter(unit=unit).order_by("id")
                .values_list("code", flat=True)) == codes
    if status == UnitStatus.WORKING:
        assert unit.callback_at is not None if codes[-1] == "callback" else \
            unit.callback_at is None


def test_a_callback_needs_a_time_within_sixty_days(survey):
    round_ = calling_round(survey)
    unit = my_units(survey, round_)[0]
    now = timezone.now()
    for when in (None, now - timedelta(minutes=1), now + timedelta(days=62)):
        with pytest.raises(ValidationError) as refused:
            fieldwork.call_record(unit=unit, code="callback", mode="cati", callback_at=when,
                                  actor=survey.interviewer)
        assert "callback_at" in refused.value.message_dict
    unit.refresh_from_db()
    assert (unit.attempts, unit.status, unit.callback_at) == (0, UnitStatus.PENDING, None)
    assert not CallAttempt.objects.filter(unit=unit).exists()
    at = now + timedelta(hours=3)
    record(survey, unit, "callback", callback_at=at, note="晚上七点后打")
    unit.refresh_from_db()
    assert (unit.attempts, unit.status, unit.callback_at) == (1, UnitStatus.WORKING, at)
    # any other outcome clears the appointment
    record(survey, unit, "busy")
    unit.refresh_from_db()
    assert unit.callback_at is None


def test_a_callback_sixty_and_a_half_days_ahead_is_refused(survey):
    round_ = calling_round(survey)
    unit = my_units(survey, round_)[0]
    with pytest.raises(ValidationError):
        record(survey, unit, "callback", callback_at=timezone.now() + timedelta(days=60.5))


def test_outcomes_must_fit_the_mode_and_the_round(survey):
    round_ = calling_round(survey, modes=("cati",))
    unit = my_units(survey, round_)[0]
    refusals = [("not_home", "cati", "code"),  # a visit's outcome on the phone
                ("1.1", "cati", "code"),  # an interview's code is never recorded by hand
                ("4.7", "cati", "code"), ("3.11", "cati", "code"), ("nonsense", "cati", "code"),
                ("no_answer", "face", "mode"),  # the round has no visits
                ("no_answer", "web", "mode")]
    for code, mode, field in refusals:
        with pytest.raises(ValidationError) as refused:
            fieldwork.call_record(unit=unit, code=code, mode=mode, actor=survey.interviewer)
        assert field in refused.value.message_dict, (code, mode)
    with pytest.raises(ValidationError):
        fieldwork.call_record(unit=unit, code="busy", mode="cati", note="长" * 201,
                              actor=survey.interviewer)
    unit.refresh_from_db()
    assert unit.attempts == 0 and not CallAttempt.objects.filter(unit=unit).exists()


def test_a_finished_unit_refuses_further_attempts(survey):
    round_ = calling_round(survey)
    unit = my_units(survey, round_)[0]
    record(survey, unit, "4.32")
    with pytest.raises(RuleViolation):
        record(survey, unit, "no_answer")
    with pytest.raises(RuleViolation):
        fieldwork.interview_record(unit=unit, answers=ANSWERS, mode="cati",
                                   actor=survey.interviewer)
    unit.refresh_from_db()
    assert (unit.attempts, unit.disposition) == (1, "4.32")
    assert CallAttempt.objects.filter(unit=unit).count() == 1
    assert not Response.objects.exists()


# --- reserves ------------------------------------------------------------------------------

def test_a_refusal_releases_the_strata_first_reserve_to_the_same_interviewer(survey):
    round_ = calling_round(survey)
    first, second = my_units(survey, round_)[:2]
    low, high = reserves(round_, first)
    result = record(survey, first, "2.11")
    assert result.released is not None
    assert result.released.pk == low.pk
    low.refresh_from_db()
    assert (low.released, low.interviewer_id, low.replaces_id) == (
        True, survey.interviewer.pk, first.pk)
    assert low.released_at is not None
    high.refresh_from_db()
    assert not high.released
    entry = AuditEntry.objects.get(event_type="survey.reserve_released")
    assert entry.actor_id == survey.interviewer.pk
    assert entry.details["reserve"] == low.pk and entry.details["replaces"] == first.pk
    # the next exhausted unit takes the next reserve; then there are none left
    released = record(survey, second, "4.32").released
    assert released is not None and released.pk == high.pk
    third = my_units(survey, round_)[2]
    assert record(survey, third, "2.11").released is None
    assert SampleUnit.objects.filter(round=round_, reserve=True, released=True).count() == 2


def test_exhausting_the_attempts_releases_a_reserve(survey):
    round_ = calling_round(survey, max_attempts=2)
    unit = my_units(survey, round_)[0]
    assert record(survey, unit, "no_answer").released is None
    released = record(survey, unit, "no_answer").released
    assert released is not None and released.pk == reserves(round_, unit)[0].pk


def test_reserves_are_released_only_for_units_that_ended_without_an_interview(survey):
    round_ = calling_round(survey)
    a, b, c, d = my_units(survey, round_)
    record(survey, a, "no_answer")
    record(survey, a, "callback")
    record(survey, b, "busy")
    complete = fieldwork.interview_record(unit=c, answers=ANSWERS, mode="cati",
                                          actor=survey.interviewer)
    partial = fieldwork.interview_record(
        unit=d, answers={"resident": "1", "age": "2", "sex": "1", "safety": "4"},
        mode="face", breakoff=True, actor=survey.interviewer)
    assert (complete.code, complete.released) == ("1.1", None)
    assert (partial.code, partial.released) == ("1.2", None)
    assert not SampleUnit.objects.filter(round=round_, reserve=True, released=True).exists()
    assert not AuditEntry.objects.filter(event_type="survey.reserve_released").exists()


# --- interviews ----------------------------------------------------------------------------

def test_a_complete_interview(survey):
    round_ = calling_round(survey)
    unit = my_units(survey, round_)[0]
    result = fieldwork.interview_record(unit=unit, answers=ANSWERS, mode="cati",
                                        actor=survey.interviewer)
    unit.refresh_from_db()
    assert (unit.status, unit.disposition, unit.attempts) == (UnitStatus.DONE, "1.1", 1)
    response = Response.objects.get(unit=unit)
    assert result.response == response
    assert (response.status, response.cell, response.mode) == (
        ResponseStatus.COMPLETE, "1|2", "cati")
    assert response.answers == ANSWERS
    assert response.interviewer_id == survey.interviewer.pk
    assert CallAttempt.objects.get(unit=unit).code == "1.1"


def test_a_complete_interview_needs_every_required_answer(survey):
    round_ = calling_round(survey)
    unit = my_units(survey, round_)[0]
    answers = {k: v for k, v in ANSWERS.items() if k not in ("safety", "suggestion")}
    with pytest.raises(ValidationError) as refused:
        fieldwork.interview_record(unit=unit, answers=answers, mode="cati",
                                   actor=survey.interviewer)
    assert set(refused.value.message_dict) == {"safety"}  # the suggestion is optional
    with pytest.raises(ValidationError) as refused:
        fieldwork.interview_record(unit=unit, answers={**ANSWERS, "safety": "9"},
                                   mode="cati", actor=survey.interviewer)
    assert set(refused.value.message_dict) == {"safety"}
    unit.refresh_from_db()
    assert (unit.status, unit.attempts) == (UnitStatus.PENDING, 0)
    assert not Response.objects.exists() and not CallAttempt.objects.exists()


def test_a_screen_out_ends_as_not_eligible_keeping_the_early_answers(survey):
    round_ = calling_round(survey)
    unit, other = my_units(survey, round_)[:2]
    # under 18 (option 5 of the age question screens out): what follows is dropped
    result = fieldwork.interview_record(unit=unit, answers={**ANSWERS, "age": "5"},
                                        mode="face", actor=survey.interviewer)
    assert result.code == "4.7"
    response = Response.objects.get(unit=unit)
    assert response.status == ResponseStatus.SCREENED_OUT
    # (sex is asked first: the answers up to the screen-out are kept)
    assert response.answers == {"sex": ANSWERS["sex"], "age": "5"}
    unit.refresh_from_db()
    assert (unit.status, unit.disposition) == (UnitStatus.DONE, "4.7")
    # not resident: sex and age were asked before (the stratification comes before any
    # screen-out) and are kept with the cell; nothing after is asked or required
    with pytest.raises(ValidationError):
        fieldwork.interview_record(unit=other, answers={"resident": "2"}, mode="cati",
                                   actor=survey.interviewer)
    result = fieldwork.interview_record(unit=other, answers={"sex": "2", "age": "3",
                                                             "resident": "2"},
                                        mode="cati", actor=survey.interviewer)
    assert result.code == "4.7"
    response = Response.objects.get(unit=other)
    assert response.answers == {"sex": "2", "age": "3", "resident": "2"}
    assert response.cell == "2|3"


def test_a_full_quota_ends_as_quota_filled_with_the_exit_recorded(survey):
    round_ = calling_round(survey)
    first, second = my_units(survey, round_)[:2]
    quota_set(round_=round_, cell="1|2", target=1, actor=survey.organiser)
    assert fieldwork.interview_record(unit=first, answers=ANSWERS, mode="cati",
                                      actor=survey.interviewer).code == "1.1"
    result = fieldwork.interview_record(unit=second, answers=ANSWERS, mode="cati",
                                        actor=survey.interviewer)
    assert result.code == "4.8"
    response = Response.objects.get(unit=second)
    assert (response.status, response.quota_exit, response.cell) == (
        ResponseStatus.QUOTA_FULL, "1|2", "1|2")
    assert response.answers == {"resident": "1", "age": "2", "sex": "1"}
    second.refresh_from_db()
    assert second.disposition == "4.8"
    # another cell is not affected
    third = my_units(survey, round_)[2]
    assert fieldwork.interview_record(unit=third, answers={**ANSWERS, "sex": "2"},
                                      mode="cati", actor=survey.interviewer).code == "1.1"


def test_an_interview_ended_at_a_full_quota_needs_only_the_early_answers(survey):
    round_ = calling_round(survey)
    first, second, third = my_units(survey, round_)[:3]
    quota_set(round_=round_, cell="1|2", target=1, actor=survey.organiser)
    fieldwork.interview_record(unit=first, answers=ANSWERS, mode="cati",
                               actor=survey.interviewer)
    # the interviewer stopped after sex, age and residence: accepted as 4.8
    result = fieldwork.interview_record(
        unit=second, answers={"sex": "1", "age": "2", "resident": "1"}, mode="cati",
        actor=survey.interviewer)
    assert result.code == "4.8"
    assert Response.objects.get(unit=second).answers == {"sex": "1", "age": "2",
                                                         "resident": "1"}
    # but the early answers themselves are required (the residence is missing here)
    with pytest.raises(ValidationError):
        fieldwork.interview_record(unit=third, answers={"sex": "1", "age": "2"},
                                   mode="cati", actor=survey.interviewer)
    third.refresh_from_db()
    assert (third.status, third.attempts) == (UnitStatus.PENDING, 0)


@pytest.mark.parametrize(("target", "done", "sex", "age", "full"), [
    (None, 0, "1", "2", False),  # no quota for the cell
    (2, 1, "1", "2", False),     # one place left
    (1, 1, "1", "2", True),      # full
    (1, 1, "2", "2", False),     # another cell
    (1, 1, "1", "", False),      # the age not known yet
])
def test_the_interview_form_can_ask_early_whether_a_quota_is_full(survey, target, done,
                                                                   sex, age, full):
    round_ = calling_round(survey)
    units = my_units(survey, round_)
    if target is not None:
        quota_set(round_=round_, cell="1|2", target=target, actor=survey.organiser)
    for unit in units[:done]:
        fieldwork.interview_record(unit=unit, answers=ANSWERS, mode="cati",
                                   actor=survey.interviewer)
    asked = units[done]
    assert fieldwork.quota_full_for(unit=asked, sex=sex, age=age,
                                    actor=survey.interviewer) is full
    # only the unit's interviewer may ask
    with pytest.raises(PermissionDenied):
        fieldwork.quota_full_for(unit=asked, sex=sex, age=age, actor=survey.organiser)


def test_a_break_off_before_the_safety_question_keeps_no_response(survey):
    round_ = calling_round(survey)
    unit = my_units(survey, round_)[0]
    result = fieldwork.interview_record(
        unit=unit, answers={"resident": "1", "age": "3"}, mode="cati", breakoff=True,
        actor=survey.interviewer)
    assert (result.code, result.response) == ("2.12", None)
    assert not Response.objects.exists()
    unit.refresh_from_db()
    assert (unit.status, unit.disposition) == (UnitStatus.DONE, "2.12")
    # a break-off is a refusal: the unit is replaced
    assert result.released is not None


def test_a_break_off_after_the_safety_question_is_a_partial(survey):
    round_ = calling_round(survey)
    unit = my_units(survey, round_)[0]
    given = {"resident": "1", "age": "4", "sex": "2", "safety": "1", "night": "2"}
    result = fieldwork.interview_record(unit=unit, answers=given, mode="face",
                                        breakoff=True, actor=survey.interviewer)
    assert result.code == "1.2"
    response = Response.objects.get(unit=unit)
    assert (response.status, response.answers, response.cell) == (
        ResponseStatus.PARTIAL, given, "2|4")


# --- who may work a unit -------------------------------------------------------------------

def test_only_the_units_interviewer_may_work_it(survey):
    round_ = calling_round(survey)
    unit = my_units(survey, round_)[0]
    world = survey.world
    others = [survey.interviewer_b,  # another grid worker
              survey.organiser,  # the county's centre, which assigned it
              world.users[Role.SUPERVISOR],  # street A's centre: the unit lies in its area
              world.users[Role.LEADER], world.users[Role.AUDITOR]]
    audit_before = AuditEntry.objects.count()
    for other in others:
        with pytest.raises(PermissionDenied):
            fieldwork.call_record(unit=unit, code="no_answer", mode="cati", actor=other)
        with pytest.raises(PermissionDenied):
            fieldwork.interview_record(unit=unit, answers=ANSWERS, mode="cati", actor=other)
        with pytest.raises(PermissionDenied):
            fieldwork.contact_for(unit=unit, actor=other)
        with pytest.raises(PermissionDenied):
            fieldwork.contact_for(unit=unit, actor=other, reveal=True)
    unit.refresh_from_db()
    assert (unit.status, unit.attempts, unit.last_attempt_at) == (UnitStatus.PENDING, 0, None)
    assert not CallAttempt.objects.exists() and not Response.objects.exists()
    assert AuditEntry.objects.count() == audit_before


def test_an_unreleased_reserve_cannot_be_worked(survey):
    round_ = calling_round(survey)
    reserve = reserves(round_, my_units(survey, round_)[0])[0]
    SampleUnit.objects.filter(pk=reserve.pk).update(interviewer=survey.interviewer)
    reserve.refresh_from_db()
    with pytest.raises(PermissionDenied):
        fieldwork.call_record(unit=reserve, code="no_answer", mode="cati",
                              actor=survey.interviewer)
    assert not CallAttempt.objects.exists()


# --- the contact ---------------------------------------------------------------------------

def test_the_address_is_in_clear_and_the_phone_revealed_with_an_audit(survey):
    round_ = calling_round(survey)
    unit = my_units(survey, round_)[0]
    row = int(unit.frame_key.split(":")[1])  # the list's row (2 = the first household)
    i = row - 2
    plain = fieldwork.contact_for(unit=unit, actor=survey.interviewer)
    assert plain.address == f"{survey.world.grid_a1.name}{i + 1}号楼{i + 101}室"
    assert (plain.phone, plain.name) == ("", "")
    assert not AuditEntry.objects.filter(event_type="survey.contact_revealed").exists()
    shown = fieldwork.contact_for(unit=unit, actor=survey.interviewer, reveal=True)
    assert (shown.phone, shown.name) == (phone(i), f"住户{i}")
    entry = AuditEntry.objects.get(event_type="survey.contact_revealed")
    assert entry.actor_id == survey.interviewer.pk
    assert entry.details == {"round": round_.number, "unit": unit.pk,
                             "reason": "survey interview"}
    fieldwork.contact_for(unit=unit, actor=survey.interviewer, reveal=True)
    assert AuditEntry.objects.filter(event_type="survey.contact_revealed").count() == 2
    assert fieldwork.has_phone([unit]) == {unit.pk}
    # a finished unit's phone is not shown any more
    record(survey, unit, "2.11")
    unit.refresh_from_db()
    with pytest.raises(RuleViolation):
        fieldwork.contact_for(unit=unit, actor=survey.interviewer, reveal=True)
    assert AuditEntry.objects.filter(event_type="survey.contact_revealed").count() == 2


# --- the web link --------------------------------------------------------------------------

def test_the_web_link_works_once(survey):
    round_ = calling_round(survey)
    unit = my_units(survey, round_)[0]
    [(issued, token)] = fieldwork.web_links_issue(round_=round_, units=[unit],
                                                   actor=survey.organiser)
    assert issued.pk == unit.pk
    opened = fieldwork.unit_for_token(token)
    assert opened is not None and opened.pk == unit.pk
    assert fieldwork.unit_for_token(token + "x") is None
    assert fieldwork.unit_for_token("") is None
    result = fieldwork.web_response_submit(token=token, answers=ANSWERS)
    assert result.code == "1.1"
    response = Response.objects.get(unit=unit)
    assert (response.mode, response.interviewer_id, response.status) == (
        "web", None, ResponseStatus.COMPLETE)
    assert fieldwork.unit_for_token(token) is None
    with pytest.raises(PermissionDenied):
        fieldwork.web_response_submit(token=token, answers=ANSWERS)
    assert Response.objects.count() == 1


def test_a_refused_web_answer_leaves_the_link_open(survey):
    round_ = calling_round(survey)
    unit = my_units(survey, round_)[0]
    [(_unit, token)] = fieldwork.web_links_issue(round_=round_, units=[unit],
                                                  actor=survey.organiser)
    with pytest.raises(ValidationError):
        fieldwork.web_response_submit(token=token, answers={"resident": "1"})
    opened = fieldwork.unit_for_token(token)
    assert opened is not None and opened.pk == unit.pk
    assert not Response.objects.exists()


def test_a_grid_worker_cannot_issue_links(survey):
    round_ = calling_round(survey)
    unit = my_units(survey, round_)[0]
    with pytest.raises(PermissionDenied):
        fieldwork.web_links_issue(round_=round_, units=[unit], actor=survey.interviewer)
    unit.refresh_from_db()
    assert unit.web_token_hash == ""

"""Rounds: design, frame, draw, assignment, close (services)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from civicgrid.audit.models import AuditEntry
from civicgrid.core.errors import RuleViolation
from civicgrid.surveys.models import (
    Contact,
    Round,
    RoundStatus,
    SampleUnit,
    Stratum,
)
from civicgrid.surveys.sampling import is_systematic
from civicgrid.surveys.services.rounds import (
    RoundInput,
    round_cancel,
    round_create,
    sample_draw,
    units_assign,
)
from civicgrid.surveys.tests.conftest import framed_round

pytestmark = pytest.mark.django_db


def test_a_new_round_has_the_national_questionnaire(survey):
    round_ = round_create(data=RoundInput(area=survey.world.county, year=2026, half=1),
                          actor=survey.organiser)
    assert round_.number == f"AQ20261-{round_.pk:06d}"
    assert round_.title == "崇川区2026年上半年群众安全感调查"
    keys = list(round_.questions.values_list("key", "role"))
    # stratification first (sex, age), then the screen, then the safety question
    assert keys[:4] == [("sex", "stratum"), ("age", "stratum"), ("resident", "screen"),
                        ("safety", "index")]
    # default design: p .9, margin 3 points, 95%, deff 1.5, response 60%:
    # n0 = ceil(1.959964² × .09 / .0009) = ceil(384.15) = 385; ×1.5 = 577.5 → 578;
    # ÷ .6 = 963.3 → 964 to draw
    assert (round_.n_complete, round_.n_issued) == (578, 964)
    assert AuditEntry.objects.filter(event_type="survey.round_created",
                                     subject_id=str(round_.pk)).count() == 1


def test_a_grid_worker_or_another_street_cannot_create_a_round(survey):
    world = survey.world
    with pytest.raises(PermissionDenied):
        round_create(data=RoundInput(area=world.county, year=2026, half=1),
                     actor=world.users["supervisor"])  # street A's supervisor
    with pytest.raises(PermissionDenied):
        round_create(data=RoundInput(area=world.street_a, year=2026, half=1),
                     actor=survey.interviewer)
    assert Round.objects.count() == 0


def test_the_frame_is_frozen_by_stratum_with_its_digest(survey):
    round_ = framed_round(survey)
    assert round_.frame_size == 180
    assert len(round_.frame_digest) == 64
    strata = dict(Stratum.objects.filter(round=round_).values_list("key", "population"))
    assert strata == {"320602001": 100, "320602002": 80}
    # the dwellings' addresses are not copied: the draw reads the drawn ones' only
    assert not Contact.objects.filter(round=round_).exists()
    # 180 dwellings, margin 10 points: n0 = ceil(3.8415 × .09 / .01) = 35;
    # with the finite population: 35 / (1 + 34/180) = 29.4 → 30
    assert (round_.n_complete, round_.n_issued) == (30, 30)


def test_the_same_frame_and_seed_give_the_same_sample(survey):
    first = sample_draw(round_=framed_round(survey, half=1), seed="20260101",
                        actor=survey.organiser)
    second = sample_draw(round_=framed_round(survey, half=2), seed="20260101",
                         actor=survey.organiser)
    assert first.frame_digest == second.frame_digest
    assert first.draw_digest == second.draw_digest
    assert _positions(first) == _positions(second)
    round_cancel(round_=first, reason="换种子重抽的对照", actor=survey.organiser)
    third = sample_draw(round_=framed_round(survey, half=1), seed="another",
                        actor=survey.organiser)
    assert third.frame_digest == first.frame_digest
    assert third.draw_digest != first.draw_digest


def _positions(round_):
    return list(SampleUnit.objects.filter(round=round_).order_by(
        "stratum__key", "reserve", "position").values_list("stratum__key", "reserve", "position"))


def test_each_stratum_is_drawn_systematically_with_reserves(survey):
    round_ = sample_draw(round_=framed_round(survey), seed="s1", actor=survey.organiser)
    assert round_.status == RoundStatus.DRAWN
    strata = {s.key: s for s in round_.strata.all()}
    # proportional: 30 × 100/180 = 16.7 → 17; 30 × 80/180 = 13.3 → 13
    assert {k: s.allocated for k, s in strata.items()} == {"320602001": 17, "320602002": 13}
    # reserves: half of each (rounded up): 9 and 7
    assert {k: s.reserves for k, s in strata.items()} == {"320602001": 9, "320602002": 7}
    for stratum in strata.values():
        main = list(SampleUnit.objects.filter(stratum=stratum, reserve=False)
                    .order_by("position").values_list("position", flat=True))
        assert len(main) == stratum.allocated
        assert is_systematic(main, stratum.population)
        assert stratum.interval == pytest.approx(stratum.population / stratum.allocated)
        assert not SampleUnit.objects.filter(stratum=stratum, reserve=True,
                                             released=True).exists()
    # a contact (the dwelling's address) for each drawn unit, reserves included: 17+13+9+7
    assert Contact.objects.filter(round=round_).count() == 46


def test_a_drawn_round_cannot_be_drawn_again(survey):
    round_ = sample_draw(round_=framed_round(survey), seed="s1", actor=survey.organiser)
    digest = round_.draw_digest
    with pytest.raises(RuleViolation):
        sample_draw(round_=round_, seed="s2", actor=survey.organiser)
    round_.refresh_from_db()
    assert round_.draw_digest == digest and round_.seed == "s1"


def test_units_go_only_to_interviewers_whose_area_covers_them(survey):
    round_ = sample_draw(round_=framed_round(survey), seed="s1", actor=survey.organiser)
    a1 = list(SampleUnit.objects.filter(round=round_, released=True,
                                        area_code=survey.world.grid_a1.code))
    b1 = list(SampleUnit.objects.filter(round=round_, released=True,
                                        area_code=survey.world.grid_b1.code))
    assert units_assign(round_=round_, units=a1, interviewer=survey.interviewer,
                        actor=survey.organiser) == len(a1)
    with pytest.raises(RuleViolation):
        units_assign(round_=round_, units=b1, interviewer=survey.interviewer,
                     actor=survey.organiser)
    assert not SampleUnit.objects.filter(pk__in=[u.pk for u in b1],
                                         interviewer__isnull=False).exists()


def test_cancelling_deletes_the_contacts(survey):
    round_ = sample_draw(round_=framed_round(survey), seed="s1", actor=survey.organiser)
    round_cancel(round_=round_, reason="重新设计", actor=survey.organiser)
    assert not Contact.objects.filter(round=round_).exists()
    assert not Stratum.objects.filter(round=round_, frame__isnull=False).exists()


def test_reserves_are_released_in_the_seeded_order_recorded_at_the_draw(survey):
    from civicgrid.surveys.sampling import release_rank

    round_ = sample_draw(round_=framed_round(survey), seed="s1", actor=survey.organiser)
    for unit in SampleUnit.objects.filter(round=round_, reserve=True).select_related(
            "stratum"):
        assert unit.release_rank == release_rank(seed="s1", stratum=unit.stratum.key,
                                                 position=unit.position)
    ranks = list(SampleUnit.objects.filter(round=round_, reserve=True,
                                           stratum__key="320602001")
                 .order_by("release_rank").values_list("position", flat=True))
    assert ranks != sorted(ranks)  # not the frame's order (9 reserves: 1 in 362880)


@pytest.mark.parametrize(("role", "cell_part", "labels", "ok"), [
    ("index", "", ["很安全", "安全", "基本安全", "不太安全", "不安全"], True),
    ("index", "", ["不安全", "不太安全", "基本安全", "安全", "很安全"], False),  # reversed
    ("index", "", ["安全", "不安全", "说不清", "很安全", "基本安全"], False),
    ("stratum", "sex", ["男", "女"], True),
    ("stratum", "sex", ["男", "女", "其他"], False),
    ("stratum", "age", ["18-29", "30-44", "45-59", "60+"], True),
    ("stratum", "age", ["18-29", "30-44", "45-59", "60-69", "70+"], False),
])
def test_the_options_that_estimates_read_by_position_are_fixed(survey, role, cell_part,
                                                                labels, ok):
    from civicgrid.surveys.services.rounds import QuestionInput, question_save

    round_ = round_create(data=RoundInput(area=survey.world.county, year=2026, half=1),
                          actor=survey.organiser)
    question = round_.questions.get(key={"index": "safety", "sex": "sex",
                                         "age": "age"}[cell_part or role])
    data = QuestionInput(key=question.key, kind=question.kind, role=role, text=question.text,
                         options=[{"label": label} for label in labels],
                         cell_part=cell_part)
    if ok:
        question_save(round_=round_, data=data, actor=survey.organiser, question=question)
    else:
        before = list(question.options)
        with pytest.raises(RuleViolation):
            question_save(round_=round_, data=data, actor=survey.organiser,
                          question=question)
        question.refresh_from_db()
        assert question.options == before


def test_stratification_questions_cannot_follow_the_screen(survey):
    from civicgrid.surveys.services.rounds import question_move

    round_ = round_create(data=RoundInput(area=survey.world.county, year=2026, half=1),
                          actor=survey.organiser)
    screen = round_.questions.get(key="resident")
    with pytest.raises(RuleViolation):
        question_move(round_=round_, question=screen, up=True, actor=survey.organiser)
    assert list(round_.questions.values_list("key", flat=True))[:3] == ["sex", "age",
                                                                       "resident"]

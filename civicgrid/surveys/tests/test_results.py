"""A closed round's results, against figures worked by hand."""

from __future__ import annotations

import pytest

from civicgrid.surveys.models import SampleUnit
from civicgrid.surveys.services import fieldwork
from civicgrid.surveys.services.rounds import (
    fieldwork_open,
    round_close,
    sample_draw,
    units_assign,
)
from civicgrid.surveys.tests.conftest import framed_round

pytestmark = pytest.mark.django_db


def answers(safety: str) -> dict:
    return {"resident": "1", "age": "3", "sex": "2", "safety": safety, "night": safety,
            "trend": "2", "worries": ["2"], "satisfaction": "1"}


def closed_round(survey, plan: dict[str, list[str]]):
    """A county round (street A N=100, street B N=80) whose interviews answer the safety
    question as `plan` says per stratum; every other released unit is never reached."""
    round_ = sample_draw(round_=framed_round(survey), seed="results", actor=survey.organiser)
    units_assign(round_=round_, units=list(SampleUnit.objects.filter(round=round_,
                                                                     released=True)),
                 interviewer=survey.organiser, actor=survey.organiser)
    fieldwork_open(round_=round_, actor=survey.organiser)
    for key, safeties in plan.items():
        units = SampleUnit.objects.filter(round=round_, stratum__key=key, released=True
                                          ).order_by("position")
        for unit, safety in zip(units, safeties, strict=False):
            fieldwork.interview_record(unit=unit, answers=answers(safety), mode="face",
                                       actor=survey.organiser)
    return round_close(round_=round_, actor=survey.organiser)


def test_the_index_and_its_standard_error_by_hand(survey):
    # Street A: 4 respondents answering 很安全, 安全, 不太安全, 不安全 (2 of 4 safe);
    # street B: 2 answering 很安全, 不安全 (1 of 2). Weights N_h / r_h: A 100/4 = 25,
    # B 80/2 = 40. Index = (25·2 + 40·1) / (100 + 80) = 90/180 = 0.5.
    # Linearised scores z = w (y − .5) / 180: A ±12.5/180, B ±20/180 (each mean 0).
    # var_A = 4/3 · 4 · (12.5/180)² · (1 − 4/100) = 0.0246914
    # var_B = 2/1 · 2 · (20/180)² · (1 − 2/80) = 0.0481481
    # se = √0.0728395 = 0.269888; deff = 0.0728395 / (.25/6) = 1.748148
    round_ = closed_round(survey, {"320602001": ["1", "2", "4", "5"],
                                   "320602002": ["1", "5"]})
    index = round_.results["index"]
    assert index["value"] == pytest.approx(0.5, abs=1e-9)
    assert index["se"] == pytest.approx(0.269888, abs=1e-6)
    assert index["deff"] == pytest.approx(1.748148, abs=1e-6)
    assert index["n"] == 6
    assert index["suppressed"] is True  # n < 100
    assert round_.index_value is not None and float(round_.index_value) == 0.5
    domains = {d["code"]: d["index"] for d in round_.results["domains"]}
    assert domains["320602001"]["value"] == pytest.approx(0.5)
    assert domains["320602002"]["value"] == pytest.approx(0.5)
    # response: 30 units issued (17 + 13), 6 complete, 24 never reached (3.11, UH):
    # RR1 = 6 / 30 = 0.2
    rates = round_.results["rates"]
    assert rates["by_code"] == {"1.1": 6, "3.11": 24}
    assert rates["rr1"] == pytest.approx(0.2)
    # item shares: 'trend' everyone answered 2 → share 1 for option 2, 0 for the others
    trend = next(i for i in round_.results["items"] if i["key"] == "trend")
    shares = {o["code"]: o["value"] for o in trend["options"]}
    assert shares == {"1": 0.0, "2": 1.0, "3": 0.0, "4": 0.0}
    # the safety question's own shares: 很安全 = (25 + 40) / 180 = 0.361111
    safety = next(i for i in round_.results["items"] if i["key"] == "safety")
    assert safety["options"][0]["value"] == pytest.approx(65 / 180)
    # only aggregates: no answer text anywhere in the results
    assert "suggestion" not in str([o for i in round_.results["items"]
                                    for o in i["options"]])


def test_a_stratum_without_respondents_is_reported(survey):
    round_ = closed_round(survey, {"320602001": ["1", "1", "2"]})
    assert round_.results["empty_strata"] == ["320602002"]
    assert round_.results["index"]["value"] == pytest.approx(1.0)
    assert round_.results["index"]["method"] == "wilson"

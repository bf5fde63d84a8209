"""Rounds at work and closed, set up through the services, for the tests of the API, the
round report (civicgrid/reports) and the KPI page (civicgrid/stats).

`closed_round` gives figures to check by hand (the county of civicgrid/surveys/tests/
conftest.py: street A 100 dwellings, street B 80; 30 units drawn, 17 and 13):

    street A: 10 interviews, safety answers 1,1,1,1,2,2,3,3,4,5 → 8 of 10 safe;
              one refusal (2.11), which releases a reserve; the rest never attempted
    street B: 10 interviews, safety answers 1,2,3,3,3,4,4,5,5,5 → 5 of 10 safe

    weights   w_A = 100/10 = 10, w_B = 80/10 = 8
    index     (10·8 + 8·5) / (10·10 + 8·10) = 120/180 = 0.666667
    dispositions  1.1 ×20, 2.11 ×1, 3.11 ×(17−11) + 1 reserve + (13−10) = 10
    D = 20 + 1 + 10 = 31: RR1 = RR2 = 20/31 = 64.52%, REF1 = 1/31 = 3.23%,
    COOP1 = 20/21 = 95.24%, CON1 = 21/31 = 67.74%
"""

from __future__ import annotations

from civicgrid.surveys.models import Mode, Round, SampleUnit, UnitStatus
from civicgrid.surveys.services import fieldwork
from civicgrid.surveys.services.rounds import (
    fieldwork_open,
    round_close,
    sample_draw,
    units_assign,
)
from civicgrid.surveys.tests.conftest import Survey, framed_round

STREET_A, STREET_B = "320602001", "320602002"
SAFETY = {STREET_A: ["1", "1", "1", "1", "2", "2", "3", "3", "4", "5"],
          STREET_B: ["1", "2", "3", "3", "3", "4", "4", "5", "5", "5"]}
INDEX = 120 / 180


SUGGESTION = "楼下路灯三个月不亮"  # two respondents' words (the first of each street)


def answers(safety: str, *, sex: str = "1", suggestion: str = "") -> dict:
    return {"resident": "1", "age": "2", "sex": sex, "safety": safety, "night": "2",
            "trend": "1", "worries": ["2"], "satisfaction": "1", "suggestion": suggestion}


def fieldwork_round(survey: Survey, *, half: int = 1, to_grid_worker: bool = False) -> Round:
    """A county round in fieldwork, every released unit given to the organiser — or, with
    `to_grid_worker`, those of grid A1 to its grid worker (survey.interviewer)."""
    round_ = sample_draw(round_=framed_round(survey, half=half), seed="report-2026",
                         actor=survey.organiser)
    released = list(SampleUnit.objects.filter(round=round_, released=True))
    units_assign(round_=round_, units=released, interviewer=survey.organiser,
                 actor=survey.organiser)
    if to_grid_worker:
        grid = survey.world.grid_a1.code
        units_assign(round_=round_, units=[u for u in released if u.area_code == grid],
                     interviewer=survey.interviewer, actor=survey.organiser)
    return fieldwork_open(round_=round_, actor=survey.organiser)


def closed_round(survey: Survey, *, half: int = 1) -> Round:
    """The round of the module docstring, closed with its results."""
    round_ = fieldwork_round(survey, half=half)
    for code, codes in SAFETY.items():
        units = list(SampleUnit.objects.filter(round=round_, released=True, reserve=False,
                                               stratum__key=code).order_by("position"))
        for i, (unit, safety) in enumerate(zip(units, codes, strict=False)):
            fieldwork.interview_record(
                unit=unit, answers=answers(safety, sex=str(i % 2 + 1),
                                           suggestion=SUGGESTION if i == 0 else ""),
                mode=Mode.CATI, actor=survey.organiser)
        if code == STREET_A:
            fieldwork.call_record(unit=units[len(codes)], code="2.11", mode=Mode.CATI,
                                  actor=survey.organiser)
    assert SampleUnit.objects.filter(round=round_, status=UnitStatus.DONE).count() == 21
    return round_close(round_=round_, actor=survey.organiser)

"""The demo district's safety-perception surveys, made through the real services
(civicgrid/surveys, docs/surveys.md):

- the second half of 2025 and the first half of 2026, finished: the registry's dwellings
  frozen as the frame, stratified by street, drawn systematically from a public seed,
  interviewed face to face and by telephone (synthetic answers: most residents feel safe,
  some streets less than others; some refuse, some dwellings turn out vacant and their
  reserves are used), closed — contacts deleted, estimates kept;
- the second half of 2026 (created from the first half's design), in fieldwork now: the
  grid1 worker holds the units of their grid on a call sheet (to visit), the district
  centre the rest (a few already tried).

Idempotent: nothing is added when the district has survey rounds.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.areas.demo_geometry import COUNTY_CODE
from civicgrid.areas.models import Area
from civicgrid.core.scope import get_scope
from civicgrid.surveys.models import Mode, Round, SampleUnit, UnitStatus
from civicgrid.surveys.services import fieldwork
from civicgrid.surveys.services import rounds as services

# The chance that a respondent of each street (by its order) feels safe, and of a response.
SAFE = (0.95, 0.92, 0.88, 0.94, 0.90, 0.93)
RESPONSE = 0.72
REFUSAL_CODES = ("2.11", "2.11", "2.11", "4.6", "2.33")


def _answers(rng: random.Random, safe_chance: float) -> dict[str, object]:
    safe = rng.random() < safe_chance
    safety = rng.choice(["1", "2", "2", "3", "3"]) if safe else rng.choice(["4", "4", "5"])
    return {
        "resident": "1",
        "age": rng.choice(["1", "2", "2", "3", "3", "4"]),
        "sex": rng.choice(["1", "2"]),
        "safety": safety,
        "night": safety if rng.random() < 0.7 else rng.choice(["2", "3", "4"]),
        "trend": rng.choice(["1", "1", "2", "2", "2", "3", "4"]),
        "worries": sorted(rng.sample(["1", "2", "3", "4", "5", "6"], rng.choice([1, 1, 2, 3])),
                          key=int),
        "satisfaction": rng.choice(["1", "2", "2", "3", "3", "4"]),
    }


def _work(round_: Round, interviewer: User, rng: random.Random, streets: list[str]) -> int:
    """Interview every released unit (reserves released on the way) until none is open."""
    done = 0
    while True:
        units = list(SampleUnit.objects.filter(round=round_, released=True,
                                               interviewer=interviewer)
                     .exclude(status=UnitStatus.DONE).select_related("stratum"))
        if not units:
            return done
        for unit in units:
            street = streets.index(unit.stratum.area_code) if unit.stratum.area_code in \
                streets else 0
            if rng.random() < RESPONSE:
                fieldwork.interview_record(
                    unit=unit, answers=_answers(rng, SAFE[street % len(SAFE)]),
                    mode=Mode.FACE, actor=interviewer)
                done += 1
            else:
                fieldwork.call_record(unit=unit, code=rng.choice(REFUSAL_CODES),
                                      mode=Mode.FACE, actor=interviewer)


def _closed_round(area: Area, supervisor: User, year: int, half: int, rng: random.Random,
                  streets: list[str], previous: Round | None) -> Round:
    round_ = services.round_create(data=services.RoundInput(area=area, year=year, half=half),
                                   actor=supervisor, previous=previous)
    if previous is None:
        round_ = services.round_design_set(round_=round_, data=services.DesignInput(
            title=round_.title, frame_source="registry", stratification="child",
            allocation="proportional", expected_p=Decimal("0.900"), margin=Decimal("0.050"),
            confidence=Decimal("0.950"), deff=Decimal("1.50"), response_rate=Decimal("0.700"),
            reserve_ratio=Decimal("0.50"), max_attempts=5, modes=[Mode.CATI, Mode.FACE],
            index_target=Decimal("0.900")), actor=supervisor)
    services.frame_freeze_registry(round_=round_, actor=supervisor)
    round_ = services.sample_draw(round_=round_, seed=f"{year}{half}0815", actor=supervisor)
    services.units_assign(round_=round_, units=list(SampleUnit.objects.filter(
        round=round_, released=True)), interviewer=supervisor, actor=supervisor)
    services.fieldwork_open(round_=round_, actor=supervisor)
    _work(round_, supervisor, rng, streets)
    round_ = services.round_close(round_=round_, actor=supervisor)
    # set the story back in time: the round ran in its own half year
    closed = timezone.make_aware(timezone.datetime(year, 6 if half == 1 else 12, 20, 17))
    Round.objects.filter(pk=round_.pk).update(
        created_at=closed - timedelta(days=60), drawn_at=closed - timedelta(days=45),
        opened_at=closed - timedelta(days=40), closed_at=closed)
    return round_


@transaction.atomic
def demo_survey_seed(*, seed: int = 2026) -> int:
    """The demo's survey rounds; returns how many were made (0 when present)."""
    area = Area.objects.filter(code=COUNTY_CODE).first()
    supervisor = User.objects.filter(username="supervisor").first()
    if area is None or supervisor is None or Round.objects.filter(area=area).exists():
        return 0
    rng = random.Random(seed + 19)  # noqa: S311 (synthetic demo answers)
    streets = list(Area.objects.filter(parent=area).order_by("code")
                   .values_list("code", flat=True))
    first = _closed_round(area, supervisor, 2025, 2, rng, streets, None)
    second = _closed_round(area, supervisor, 2026, 1, rng, streets, first)
    current = services.round_create(data=services.RoundInput(area=area, year=2026, half=2),
                                    actor=supervisor, previous=second)
    services.frame_freeze_registry(round_=current, actor=supervisor)
    current = services.sample_draw(round_=current, seed="20260815", actor=supervisor)
    worker = User.objects.filter(username="grid1").first()
    released = SampleUnit.objects.filter(round=current, released=True)
    if worker is not None:
        theirs = [u for u in released
                  if any(u.area_code.startswith(c) for c in _codes(worker))]
        services.units_assign(round_=current, units=theirs, interviewer=worker,
                              actor=supervisor)
    services.units_assign(round_=current, units=list(released.filter(interviewer__isnull=True)),
                          interviewer=supervisor, actor=supervisor)
    current = services.fieldwork_open(round_=current, actor=supervisor)
    # the centre's visits have begun: nobody at home, a callback agreed, one interview
    sheet = list(SampleUnit.objects.filter(round=current, interviewer=supervisor)
                 .order_by("id")[:3])
    outcomes = [("not_home", None), ("callback", timezone.now() + timedelta(days=1))]
    for unit, (code, when) in zip(sheet, outcomes, strict=False):
        fieldwork.call_record(unit=unit, code=code, mode=Mode.FACE, actor=supervisor,
                              callback_at=when)
    if len(sheet) == 3:
        fieldwork.interview_record(unit=sheet[2], answers=_answers(rng, SAFE[0]),
                                   mode=Mode.FACE, actor=supervisor)
    return 3


def _codes(user: User) -> list[str]:
    return list(get_scope(user).area_codes)

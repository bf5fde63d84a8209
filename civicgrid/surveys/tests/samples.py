"""The survey module's records for the permission-matrix test (civicgrid.testing.SAMPLES):
for street A (in every street-A user's scope) and for street B, two rounds each made through
the services from an imported list of ten phones in the street's first grid, drawn and
given to that grid's worker: the first half of 2026 in fieldwork (its questions, strata and
sampled units are the samples of those models) and the second half of 2025 interviewed and
closed (the round sample: its results are there to read)."""

from __future__ import annotations

from decimal import Decimal

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.areas.models import Area
from civicgrid.conftest import PASSWORD
from civicgrid.surveys.models import (
    FrameSource,
    Mode,
    Question,
    Round,
    RoundStatus,
    SampleUnit,
    Stratum,
)
from civicgrid.surveys.services import fieldwork
from civicgrid.surveys.services.rounds import (
    DesignInput,
    RoundInput,
    fieldwork_open,
    frame_import,
    round_close,
    round_create,
    round_design_set,
    sample_draw,
    units_assign,
)
from civicgrid.testing import register_samples

UNITS = 10


def _organiser(world, street: Area) -> User:
    """The street's survey organiser: street A's supervisor, or one made for street B."""
    if street.pk == world.street_a.pk:
        return world.users[Role.SUPERVISOR]
    found = User.objects.filter(username="t_survey_sup_b").first()
    return found or user_create(username="t_survey_sup_b", password=PASSWORD,
                                display_name="t_survey_sup_b", roles=[Role.SUPERVISOR],
                                area_codes=[street.code], actor=None)


ANSWERS = {"resident": "1", "age": "2", "sex": "1", "safety": "2", "night": "3",
           "trend": "1", "worries": ["1"], "satisfaction": "2"}


def sample_round(world, street: Area, grid: Area, interviewer: User, *, year: int = 2026,
                 half: int = 1) -> Round:
    """A street's round in fieldwork: ten listed phones in `grid`, the sample drawn and
    given to `interviewer`."""
    existing = Round.objects.filter(area=street, year=year, half=half).first()
    if existing is not None:
        return existing
    organiser = _organiser(world, street)
    round_ = round_create(data=RoundInput(area=street, year=year, half=half), actor=organiser)
    round_ = round_design_set(round_=round_, actor=organiser, data=DesignInput(
        title=round_.title, frame_source=FrameSource.IMPORTED,
        stratification=round_.stratification, allocation=round_.allocation,
        expected_p=Decimal("0.900"), margin=Decimal("0.200"), confidence=Decimal("0.950"),
        deff=Decimal("1.00"), response_rate=Decimal("1.000"), reserve_ratio=Decimal("0.50"),
        max_attempts=5, modes=[Mode.CATI, Mode.FACE, Mode.WEB],
        index_target=Decimal("0.900")))
    lines = ["区域代码,电话,姓名,地址"]
    lines += [f"{grid.code},139{street.code[-1]}000{i:04d},住户{i},{grid.name}{i}号"
              for i in range(UNITS)]
    frame_import(round_=round_, data="\n".join(lines).encode(), filename="名单.csv",
                 actor=organiser)
    round_ = sample_draw(round_=round_, seed="matrix", actor=organiser)
    units_assign(round_=round_, interviewer=interviewer, actor=organiser,
                 units=list(SampleUnit.objects.filter(round=round_, released=True)))
    round_ = fieldwork_open(round_=round_, actor=organiser)
    assert round_.status == RoundStatus.FIELDWORK
    return round_


def closed_round(world, street: Area, grid: Area, interviewer: User) -> Round:
    """A street's round of the second half of 2025: every drawn unit interviewed, closed."""
    existing = Round.objects.filter(area=street, year=2025, half=2).first()
    if existing is not None:
        return existing
    round_ = sample_round(world, street, grid, interviewer, year=2025, half=2)
    for unit in SampleUnit.objects.filter(round=round_, released=True):
        fieldwork.interview_record(unit=unit, answers=ANSWERS, mode=Mode.CATI,
                                   actor=interviewer)
    return round_close(round_=round_, actor=_organiser(world, street))


def _inside(world) -> Round:
    return sample_round(world, world.street_a, world.grid_a1, world.users[Role.GRID_WORKER])


def _outside(world) -> Round:
    return sample_round(world, world.street_b, world.grid_b1, world.outsider)


def _closed_inside(world) -> Round:
    return closed_round(world, world.street_a, world.grid_a1, world.users[Role.GRID_WORKER])


def _closed_outside(world) -> Round:
    return closed_round(world, world.street_b, world.grid_b1, world.outsider)


def _unit(round_: Round) -> SampleUnit:
    unit = SampleUnit.objects.filter(round=round_, released=True).order_by("id").first()
    assert unit is not None
    return unit


register_samples(Round, _closed_inside, _closed_outside)
register_samples(Question, lambda w: _inside(w).questions.get(key="night"),
                 lambda w: _outside(w).questions.get(key="night"))
register_samples(Stratum, lambda w: _inside(w).strata.order_by("key").first(),
                 lambda w: _outside(w).strata.order_by("key").first())
register_samples(SampleUnit, lambda w: _unit(_inside(w)), lambda w: _unit(_outside(w)))

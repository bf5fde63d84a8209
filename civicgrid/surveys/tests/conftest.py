"""A county with dwellings in three grids of its two streets, and the county's survey
organiser (a supervisor of the county's social governance centre)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.areas.models import Area
from civicgrid.conftest import PASSWORD
from civicgrid.registry.models import Building, BuildingUse, Room, RoomUse
from civicgrid.surveys.models import Mode, Round
from civicgrid.surveys.services.rounds import (
    DesignInput,
    RoundInput,
    frame_freeze_registry,
    round_create,
    round_design_set,
)

# dwellings per grid: grid_a1 60, grid_a2 40 (street A: 100), grid_b1 80 (street B)
ROOMS = {"grid_a1": 60, "grid_a2": 40, "grid_b1": 80}


@dataclass
class Survey:
    world: object
    organiser: User  # supervisor of the county
    interviewer: User  # grid worker of grid_a1 (world.users["grid_worker"])
    interviewer_b: User  # grid worker of grid_b1 (world.outsider)


def build_rooms(grid: Area, count: int, *, per_floor: int = 4) -> list[Room]:
    building = Building.objects.create(code=f"{grid.code}00001", grid=grid, grid_code=grid.code,
                                       name="1号楼", address=f"{grid.name}1号楼",
                                       use=BuildingUse.RESIDENTIAL,
                                       floors_above=count // per_floor + 1)
    rooms = [Room(building=building, grid_code=grid.code, unit=1, floor=i // per_floor + 1,
                  number=f"{i // per_floor + 1}{i % per_floor + 1:02d}",
                  address=f"{grid.name}1号楼{i // per_floor + 1}{i % per_floor + 1:02d}室",
                  use=RoomUse.OWNER)
             for i in range(count)]
    return Room.objects.bulk_create(rooms)


@pytest.fixture
def survey(world) -> Survey:
    for name, count in ROOMS.items():
        build_rooms(getattr(world, name), count)
    organiser = user_create(username="t_county_sup", password=PASSWORD,
                            display_name="区综治中心", roles=[Role.SUPERVISOR],
                            area_codes=[world.county.code], actor=None)
    return Survey(world, organiser, world.users[Role.GRID_WORKER], world.outsider)


def design(round_: Round, **changes) -> DesignInput:
    values = {
        "title": round_.title, "frame_source": round_.frame_source,
        "stratification": round_.stratification, "allocation": round_.allocation,
        "expected_p": round_.expected_p, "margin": round_.margin,
        "confidence": round_.confidence, "deff": round_.deff,
        "response_rate": round_.response_rate, "reserve_ratio": round_.reserve_ratio,
        "max_attempts": round_.max_attempts, "modes": round_.modes,
        "index_target": round_.index_target, "poststrat_totals": round_.poststrat_totals,
    }
    values.update(changes)
    return DesignInput(**values)


def framed_round(survey: Survey, *, half: int = 1, **changes) -> Round:
    """A county round for 2026, its design set (small: margin 10 points, deff 1, response
    rate 1 unless changed) and the registry frame frozen."""
    round_ = round_create(data=RoundInput(area=survey.world.county, year=2026, half=half),
                          actor=survey.organiser)
    settings = {"margin": Decimal("0.100"), "deff": Decimal("1.00"),
                "response_rate": Decimal("1.000"), "modes": [Mode.CATI, Mode.FACE, Mode.WEB]}
    settings.update(changes)
    round_ = round_design_set(round_=round_, data=design(round_, **settings),
                              actor=survey.organiser)
    frame_freeze_registry(round_=round_, actor=survey.organiser)
    round_.refresh_from_db()
    return round_

"""Fixtures of the weekly checks and warnings tests: the world's two streets plus a second
community in street A, a community grid leader, and fixed moments in March 2026.

Weeks (Asia/Shanghai): W1 = Mon 2026-03-02, due Mon 03-09 12:00; W2 = Mon 03-09, due Mon
03-16 12:00. Expected reporters (streets and communities): street A, community A,
community A2 in street A; street B, community B in street B.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pytest

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.areas.models import Area
from civicgrid.cases.tests.conftest import office  # noqa: F401
from civicgrid.conftest import PASSWORD, make_area, square
from civicgrid.testing import build_office, build_world, parts, shared
from civicgrid.warnings.services import CheckInput
from civicgrid.warnings.weeks import SHANGHAI

W1 = date(2026, 3, 2)
W2 = date(2026, 3, 9)
MARCH = date(2026, 3, 1)


def at(month: int, day: int, hour: int = 9, minute: int = 0, second: int = 0) -> datetime:
    """A moment of 2026 in Asia/Shanghai."""
    return datetime(2026, month, day, hour, minute, second, tzinfo=SHANGHAI)


ZERO = CheckInput(is_zero=True)


def au(world) -> User:
    """A reader of the whole deployment (the auditor): for tests of the numbers, not of
    scope."""
    return world.users[Role.AUDITOR]


def found(n: int = 2, resolved: int = 1, risks: int = 0, notes: str = "") -> CheckInput:
    return CheckInput(disputes_found=n, resolved_on_spot=resolved, risk_points=risks,
                      notes=notes)


@dataclass
class Checks:
    world: object
    community_a2: Area
    grid_a2_1: Area
    grid_leader: User  # grid worker role, jurisdiction community A (the community reports)
    grid_leader_a2: User


@pytest.fixture
def checks(world) -> Checks:
    community_a2 = make_area("320602001002", "北大街社区", world.street_a,
                             square(120.85, 31.95, 0.05))
    grid = make_area("320602001002001", "北大街第1网格", community_a2,
                     square(120.85, 31.95, 0.05))

    def person(username, codes):
        return user_create(username=username, password=PASSWORD, display_name=username,
                           roles=[Role.GRID_WORKER], area_codes=codes, actor=None)

    return Checks(world, community_a2, grid, person("t_gl", [world.community_a.code]),
                  person("t_gl2", [community_a2.code]))


# --- built once per module (civicgrid/testing.py) -----------------------------------

def build_checks(world=None) -> Checks:
    """`checks` (with its world) built outside a test."""
    return checks.__wrapped__(world or build_world())


checks_shared_once, checks_shared = shared(build_checks, name="checks_shared")


def checks_parts() -> list:
    """`checks` and `world`, built once for the module: `checks, world = checks_parts()`."""
    return parts("checks_shared", checks=lambda b: b, world=lambda b: b.world)


def _build_district():
    world = build_world()
    built = build_office(world)  # as `district(office, checks)` asked for them: office first
    return built, build_checks(world)


district_shared_once, district_shared = shared(_build_district, name="district_shared")


def district_parts() -> list:
    """`office`, `checks` and `world` of one district, built once for the module:
    `office, checks, world = district_parts()`."""
    return parts("district_shared", office=lambda b: b[0], checks=lambda b: b[1],
                 world=lambda b: b[0].world)

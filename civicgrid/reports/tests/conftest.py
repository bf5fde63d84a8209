"""Fixtures of the reports tests: the small district at work (civicgrid/cases/tests), cases
placed in given months, and a reader whose jurisdiction is the whole district.

`office_parts()` gives a module the district built once for the module and rolled back
after each test (civicgrid/testing.py), for modules whose every test starts from
the bare district."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Role
from civicgrid.cases.models import Case
from civicgrid.cases.tests.conftest import new_case, office  # noqa: F401
from civicgrid.stats.rollups import stats_rebuild
from civicgrid.testing import build_office, parts, shared


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def place(cases: list[Case], when: datetime) -> None:
    """Move cases' registration to `when` (test set-up), then recount the rollup."""
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(
        registered_at=when, stage_started_at=when)
    stats_rebuild()


def make_cases(office, n: int, when: datetime | None = None, **kwargs) -> list[Case]:  # noqa: F811
    cases = [new_case(office, **kwargs) for _ in range(n)]
    if when is not None:
        place(cases, when)
    return cases


def last_month() -> date:
    first = timezone.localdate().replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


@pytest.fixture
def reader(office):  # noqa: F811
    """A supervisor of the district's governance centre: scope = the whole district."""
    return office.people["county_dispatcher"]


@pytest.fixture
def publisher(office):  # noqa: F811
    """A leader of the district (scope = the whole district): who publishes its release."""
    from civicgrid.accounts.services import user_create
    from civicgrid.conftest import PASSWORD

    return user_create(username="c_leader", password=PASSWORD, display_name="区领导",
                       roles=[Role.LEADER], area_codes=[office.world.county.code], actor=None)


def auditor(office) -> User:  # noqa: F811
    """A reader of the whole deployment (the city's other districts too)."""
    return office.world.users[Role.AUDITOR]


office_shared_once, office_shared = shared(build_office, name="office_shared")


def office_parts() -> list:
    """`office` and `world`, shared: `office, world = office_parts()` in a test module."""
    return parts("office_shared", office=lambda b: b, world=lambda b: b.world)

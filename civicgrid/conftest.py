"""Shared fixtures: a small two-street world, users of every role, a browser."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import translation

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.areas.locator import grid_locator
from civicgrid.areas.models import Area, Level
from civicgrid.areas.services import positions_ensure_builtin
from civicgrid.core.refcache import RefCache
from civicgrid.home.demo import demo_seed
from civicgrid.units.models import Unit, UnitKind
from civicgrid.units.services import specialties_ensure_builtin, unit_add_member, unit_create
from civicgrid.workcalendar.calendar import work_calendar

PASSWORD = "Test-Passw0rd-2026"  # noqa: S105
OUTPUT = Path(__file__).resolve().parent.parent / "test-output"


def square(lng: float, lat: float, size: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[lng, lat], [lng + size, lat], [lng + size, lat + size],
                         [lng, lat + size], [lng, lat]]],
    }


def make_area(code: str, name: str, parent: Area | None = None, boundary=None, **kw) -> Area:
    level = {2: Level.PROVINCE, 4: Level.CITY, 6: Level.COUNTY, 9: Level.STREET,
             12: Level.COMMUNITY, 15: Level.GRID}[len(code)]
    return Area.objects.create(code=code, name=name, level=level, parent=parent,
                               boundary=boundary, **kw)


@dataclass
class World:
    """County 320602 with street A (one community, two grids) and street B (same shape)."""

    county: Area
    street_a: Area
    community_a: Area
    grid_a1: Area
    grid_a2: Area
    street_b: Area
    community_b: Area
    grid_b1: Area
    unit_county: Unit
    unit_a: Unit
    unit_b: Unit
    users: dict[str, User]  # role name -> user scoped to street A (grid worker: grid_a1)
    outsider: User  # a grid worker of street B


@pytest.fixture
def world(db) -> World:
    positions_ensure_builtin()
    specialties_ensure_builtin()
    province = make_area("32", "江苏省")
    city = make_area("3206", "南通市", province)
    county = make_area("320602", "崇川区", city, square(120.80, 31.90, 0.2))
    street_a = make_area("320602001", "城东街道", county, square(120.80, 31.90, 0.1))
    community_a = make_area("320602001001", "桃坞社区", street_a, square(120.80, 31.90, 0.1))
    grid_a1 = make_area("320602001001001", "桃坞第1网格", community_a,
                        square(120.80, 31.90, 0.05), population=1200, households=480)
    grid_a2 = make_area("320602001001002", "桃坞第2网格", community_a,
                        square(120.85, 31.90, 0.05), population=1000, households=400)
    street_b = make_area("320602002", "和平桥街道", county, square(120.90, 31.90, 0.1))
    community_b = make_area("320602002001", "濠西社区", street_b, square(120.90, 31.90, 0.1))
    grid_b1 = make_area("320602002001001", "濠西第1网格", community_b,
                        square(120.90, 31.90, 0.05))
    unit_county = unit_create(code="320602-fy", name="崇川区人民法院", kind=UnitKind.COURT,
                              area=county, actor=None)
    unit_a = unit_create(code="320602001-tjw", name="城东街道人民调解委员会",
                         kind=UnitKind.MEDIATION_COMMITTEE, area=street_a, actor=None)
    unit_b = unit_create(code="320602002-tjw", name="和平桥街道人民调解委员会",
                         kind=UnitKind.MEDIATION_COMMITTEE, area=street_b, actor=None)

    def person(username, role, codes):
        return user_create(username=username, password=PASSWORD, display_name=username,
                           roles=[role], area_codes=codes, actor=None)

    users = {
        Role.GRID_WORKER: person("t_grid", Role.GRID_WORKER, [grid_a1.code]),
        Role.HANDLER: person("t_handler", Role.HANDLER, [street_a.code]),
        Role.UNIT_LEADER: person("t_unitlead", Role.UNIT_LEADER, [street_a.code]),
        Role.SUPERVISOR: person("t_supervisor", Role.SUPERVISOR, [street_a.code]),
        Role.LEADER: person("t_leader", Role.LEADER, [street_a.code]),
        Role.ADMINISTRATOR: person("t_admin", Role.ADMINISTRATOR, []),
        Role.AUDITOR: person("t_auditor", Role.AUDITOR, []),
    }
    unit_add_member(unit=unit_a, user=users[Role.HANDLER], actor=None)
    outsider = person("t_outsider", Role.GRID_WORKER, [grid_b1.code])
    return World(county, street_a, community_a, grid_a1, grid_a2, street_b, community_b,
                 grid_b1, unit_county, unit_a, unit_b, users, outsider)


@pytest.fixture
def demo(db):
    """The full demo district (slower; for tests that need realistic scale)."""
    demo_seed()


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Each test starts with empty process caches (point→grid index, working calendar), an
    empty Django cache (API rate-limit windows) and the default language: rolled-back test
    data must never leak into the next test through them, and neither may the language a
    request in an earlier test activated on this thread (Django leaves it active)."""
    from django.core.cache import cache

    grid_locator.invalidate()
    work_calendar.reset()
    RefCache.clear_all()  # (its counters live in tables the test rolls back)
    cache.clear()
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _flushes(item: pytest.Item) -> bool:
    """Does this test run as a TransactionTestCase, whose end flushes every table?"""
    marker = item.get_closest_marker("django_db")
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ()))
                or (marker is not None and marker.kwargs.get("transaction")))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """After a transactional test has flushed the tables, load the migrations' built-in
    data again (civicgrid/testing.py, `restore_builtin_data`): which tests a worker runs
    after it — here or in bench/ — must not decide whether they pass. A hook, not a fixture:
    the flush is pytest-django's own (autouse) fixture's teardown, which runs after every
    fixture of ours has been torn down (the live server's tests and
    `@pytest.mark.django_db(transaction=True)` left the taxonomy empty that way)."""
    yield
    # (After the last test the test database is gone already, and no test needs the data.)
    if nextitem is not None and _flushes(item):
        from pytest_django.plugin import blocking_manager_key

        from civicgrid.testing import restore_builtin_data

        with item.config.stash[blocking_manager_key].unblock():
            restore_builtin_data()


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


# --- browser ---------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop; Django's ORM is used alongside it in tests.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def screenshot_dir() -> Path:
    path = OUTPUT / "screenshots" / connection.vendor
    path.mkdir(parents=True, exist_ok=True)
    return path


def browser_login(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")

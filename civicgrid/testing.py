"""Test data built once per module (or class) and rolled back after each test — Django's
`TestCase.setUpTestData`, as NetBox uses it, in pytest form. The one helper for it; the
test modules of every app use it.

A module- (or class-) scoped fixture builds the data inside an outer transaction; each
test's own transaction (pytest-django's `db`) is then a savepoint inside it and is rolled
back after the test, and the outer transaction is rolled back when the module (or class)
is done. Each test gets its own `copy.deepcopy` of the built objects (as `setUpTestData`
gives each test a copy of the class attributes), so an instance a test changes in memory
(or a scope cached on a user) never reaches the next test either.

Two ways to write it:

    office_once, office = shared(build_office, name="office")   # fixtures `office_once`
                                                                 # and `office`

    @pytest.fixture(scope="module")                              # by hand
    def _module_office(django_db_setup, django_db_blocker):
        yield from once_per_module(django_db_blocker, build_office)

    @pytest.fixture
    def office(_module_office, db):
        return copy.deepcopy(_module_office)

The once-fixture must be set up before `db` (it is an argument of the per-test fixture, in
front of `db`), so that the test's savepoint opens inside the outer transaction.

Only for tests on the `db` fixture: a `transactional_db` test (`live_server`, the browser
tests, tests on two connections) flushes the database and would commit into, or wait on,
the open transaction, so those keep their own function fixtures. Every test of a module
that has set up a shared fixture runs inside its outer transaction, also the tests that do
not ask for it: share only where each test of the module starts from the same data anyway,
or group the tests that share into a class (`scope="class"`). Process caches are not
rolled back: the root conftest's autouse `_fresh_caches` empties them before each test.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import pytest
from django.db import transaction

if TYPE_CHECKING:
    from civicgrid.cases.tests.conftest import Office
    from civicgrid.conftest import World

T = TypeVar("T")


def once_per_module(django_db_blocker: Any, build: Callable[[], T]) -> Iterator[T]:
    """The body of a module- or class-scoped fixture:
    `yield from once_per_module(django_db_blocker, build)`."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            data = build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield data
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def shared(build: Callable[[], Any], *, name: str,
           scope: Literal["module", "class"] = "module") -> Any:
    """Fixtures `{name}_once` and `name`: the second gives each test a deep copy of what
    `build()` made once per `scope`, the database rows rolled back after each test and
    after the scope. Assign both at module level: `x_once, x = shared(build, name="x")`."""

    @pytest.fixture(scope=scope, name=f"{name}_once")
    def once(django_db_setup: None, django_db_blocker: Any) -> Iterator[Any]:
        yield from once_per_module(django_db_blocker, build)

    def each(**fixtures: Any) -> Any:
        return copy.deepcopy(fixtures[f"{name}_once"])

    # The once-fixture is an argument (not looked up inside), so pytest sets it up before
    # `db`: the test's savepoint then opens inside the outer transaction.
    each.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
        inspect.Parameter(f"{name}_once", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("db", inspect.Parameter.POSITIONAL_OR_KEYWORD)])
    return once, pytest.fixture(name=name)(each)


def parts(bundle: str, **picks: Callable[[Any], Any]) -> list[Any]:
    """Fixtures named after `picks`, each one part of the shared fixture `bundle`:

        office, world = parts("office_bundle", office=lambda b: b["office"],
                              world=lambda b: b["office"].world)
    """
    fixtures = []
    for fixture_name, pick in picks.items():
        def part(pick: Callable[[Any], Any] = pick, **requested: Any) -> Any:
            return pick(requested[bundle])

        part.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
            inspect.Parameter(bundle, inspect.Parameter.POSITIONAL_OR_KEYWORD)])
        fixtures.append(pytest.fixture(name=fixture_name)(part))
    return fixtures


# The shared fixtures' own functions, called once per module instead of once per test
# (`functools.wraps` gives pytest's fixture objects a `__wrapped__`).

def build_world() -> World:
    """The root conftest's `world` (civicgrid/conftest.py), built outside a test."""
    from civicgrid import conftest

    return conftest.world.__wrapped__(None)  # type: ignore[attr-defined]


def build_office(world: World | None = None) -> Office:
    """The cases tests' `office` (a small district at work), built outside a test."""
    from civicgrid.cases.tests import conftest

    return conftest.office.__wrapped__(world or build_world())  # type: ignore[attr-defined]


# The data the migrations load (built-in specialties, positions, categories with their
# English names, seed KPI targets, the weekly-check settings row and the default warning
# rules): a transactional test (live_server, transactional_db) flushes every table when it
# ends, and the tests after it on the same worker would find none of it. Loaded again by
# the migrations' own functions, so it is exactly what a fresh database holds.
BUILTIN_DATA_MIGRATIONS = [
    ("civicgrid.units.migrations.0002_builtin_specialties", "create_specialties"),
    ("civicgrid.units.migrations.0003_specialty_name_en", "forwards"),
    ("civicgrid.areas.migrations.0002_builtin_positions", "create_positions"),
    ("civicgrid.areas.migrations.0003_positiontype_name_en", "forwards"),
    ("civicgrid.cases.migrations.0002_builtin_categories", "forwards"),
    ("civicgrid.cases.migrations.0012_english_names", "forwards"),
    ("civicgrid.stats.migrations.0002_seed_targets", "load"),
    ("civicgrid.risk.migrations.0002_kinds_and_rule", "forwards"),
    ("civicgrid.risk.migrations.0003_kind_name_en", "forwards"),
    ("civicgrid.warnings.migrations.0003_warningrule_name_en", "forwards"),
]


def restore_builtin_data() -> None:
    import importlib

    from django.apps import apps

    from civicgrid.warnings.defaults import load_default_rules
    from civicgrid.warnings.models import CheckSettings, WarningRule

    with transaction.atomic():
        for module, function in BUILTIN_DATA_MIGRATIONS[:-1]:
            getattr(importlib.import_module(module), function)(apps, None)
        CheckSettings.objects.get_or_create(pk=1)  # warnings 0002, without its trigger
        # warnings 0002 and 0005: the default rules, the major-matter rule among them
        # (load_default_rules loads every kind the model knows)
        load_default_rules(WarningRule=WarningRule)
        module, function = BUILTIN_DATA_MIGRATIONS[-1]
        getattr(importlib.import_module(module), function)(apps, None)


# Sample records for the permission-matrix test (civicgrid/home/tests/test_permission_matrix
# .py): model -> (in scope, out of scope), each a function of the world returning a record in
# grid A1 (every street-A user's scope) and one in grid B1. Apps register theirs in their
# own tests/samples.py.
SAMPLES: dict[type, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {}


def register_samples(model: type, inside: Callable[[Any], Any],
                     outside: Callable[[Any], Any]) -> None:
    SAMPLES[model] = (inside, outside)

"""Test data built once per module (or class) and rolled back after each test — Django's
`TestCase.setUpTestData`, as NetBox uses it, for pytest.

`shared(build, scope=...)` returns a fixture that runs `build()` once, inside an outer
transaction that is rolled back when the module (or class) is done; each test then runs in
its own savepoint (pytest-django's `db`), so whatever a test writes is undone before the
next one, and gets its own deep copy of the built objects (as `setUpTestData` gives each
test a copy of the class attributes), so what a test changes in memory does not leak
either. Only for tests on the `db` fixture: a `transactional_db` test (the browser tests)
would commit into the outer transaction, so those keep their own function fixtures.

Every test of a module that uses a shared fixture runs inside the outer transaction, also
the tests that do not ask for it: share only where each test of the module would start
from the same data anyway, or group the tests that share into a class (`scope="class"`).

    bundle_once, bundle = shared(lambda: {"office": build_office()}, name="bundle")
    office, world = parts("bundle", office=lambda b: b["office"],
                          world=lambda b: b["office"].world)
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Iterator
from typing import Any, Literal

import pytest
from django.db import transaction

from civicgrid.cases.tests import conftest as cases_conftest
from civicgrid.conftest import World


def build_world() -> World:
    """The root conftest's `world` (civicgrid/conftest.py), built outside a test."""
    from civicgrid import conftest

    return conftest.world.__wrapped__(None)  # type: ignore[attr-defined]


def build_office(world: World | None = None) -> cases_conftest.Office:
    """The cases tests' `office` (a small district at work), built outside a test."""
    return cases_conftest.office.__wrapped__(world or build_world())  # type: ignore[attr-defined]


def shared(build: Callable[[], Any], *, name: str,
           scope: Literal["module", "class"] = "module") -> Any:
    """A fixture `name` giving each test a deep copy of what `build()` made once per
    `scope`, the database rows rolled back after each test and after the scope."""

    @pytest.fixture(scope=scope, name=f"{name}_once")
    def once(django_db_setup: None, django_db_blocker: Any) -> Iterator[Any]:
        with django_db_blocker.unblock():
            outer = transaction.atomic()
            outer.__enter__()
            try:
                built = build()
            except BaseException:
                transaction.set_rollback(True)
                outer.__exit__(None, None, None)
                raise
        try:
            yield built
        finally:
            with django_db_blocker.unblock():
                transaction.set_rollback(True)
                outer.__exit__(None, None, None)

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

"""Test data built once per module and rolled back per test (NetBox's setUpTestData, in
pytest form).

A module-scoped fixture builds its data inside an outer transaction with
`once_per_module`; each test's own transaction (pytest-django's `db`) is then a savepoint
inside it and is rolled back after the test, and the outer transaction is rolled back when
the module ends. A function-scoped fixture hands each test a `copy.deepcopy` of the model
instances, so an instance a test changes (or a scope cached on a user) never reaches the
next test. Not for transactional tests (`transactional_db`, `live_server`): they flush
the database and would see, or wait on, the open transaction.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import TypeVar

from django.db import transaction

T = TypeVar("T")


def once_per_module(django_db_blocker, build: Callable[[], T]) -> Iterator[T]:
    """The body of a module-scoped fixture: `yield from once_per_module(blocker, build)`."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            data = build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(*sys.exc_info())
            raise
    try:
        yield data
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# The shared fixtures' own functions, called once per module instead of once per test
# (`functools.wraps` gives pytest's fixture objects a `__wrapped__`).

def build_world():
    from civicgrid import conftest

    return conftest.world.__wrapped__(None)


def build_office():
    from civicgrid.cases.tests import conftest

    return conftest.office.__wrapped__(build_world())

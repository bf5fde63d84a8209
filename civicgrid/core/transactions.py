"""Savepoints only where a caller can use them (issue 14).

A service is an atomic block: called on its own it is its transaction; called inside
another transaction, Django makes it a savepoint (SAVEPOINT … RELEASE: two statements each),
so that a caller who catches its refusal can go on (the batch actions, the pages, the tests).

Inside `whole_or_nothing()` no caller goes on after an error: the block is the request's
transaction, and any exception rolls all of it back (the JSON API and Open311 with an
Idempotency-Key, `api/auth.py` `run_idempotent`). There a service's block takes no
savepoint: an API action is two SAVEPOINT/RELEASE pairs shorter. A block that does catch
inside it opens its own `transaction.atomic()`, which still takes one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

from django.db import transaction

P = ParamSpec("P")
R = TypeVar("R")

_whole: ContextVar[bool] = ContextVar("civicgrid_whole_or_nothing", default=False)


@contextmanager
def whole_or_nothing() -> Iterator[None]:
    """A transaction that any exception rolls back whole: the services inside it take no
    savepoints of their own."""
    with transaction.atomic():
        token = _whole.set(True)
        try:
            yield
        finally:
            _whole.reset(token)


def service_atomic(func: Callable[P, R]) -> Callable[P, R]:
    """`transaction.atomic` for a service: a savepoint when nested, except inside
    `whole_or_nothing()`."""
    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with transaction.atomic(savepoint=not _whole.get()):
            return func(*args, **kwargs)
    return wrapper

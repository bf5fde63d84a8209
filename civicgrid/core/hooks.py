"""Ports: where a lower app lets a higher one take part in its writes, without importing it.

The apps are layered (docs/architecture.md, import-linter contracts in pyproject.toml): a
higher app imports a lower one, never the reverse. A few writes of a lower app must still
be accompanied, in the same transaction, by work that belongs to a higher one — a case's
change moves the statistics rollup (stats) and queues webhook deliveries (webhooks). The
lower app declares a `Hook` for it; the higher app connects its receiver once, in its
`AppConfig.ready()`. Unlike Django signals:

- a hook is a typed, named attribute of the lower app's module (`cases.hooks.case_changed`),
  so a reader finds every use with a search;
- each hook lists its receivers in the order they connected, each at most once, and
  `docs/architecture.md` names them all;
- receivers run synchronously inside the caller's transaction; an exception propagates and
  rolls the whole write back (a rollup that cannot be written is a write that did not
  happen).

A `Slot` is the same idea for a single provider: the lower app asks a question only a higher
one can answer (which cases are behind a statistic, for the case list's drill-down).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class Hook(Generic[P]):
    """A point in a write where higher apps' receivers run, in the same transaction."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.receivers: list[Callable[P, object]] = []

    def connect(self, receiver: Callable[P, object]) -> None:
        if receiver not in self.receivers:
            self.receivers.append(receiver)

    def send(self, *args: P.args, **kwargs: P.kwargs) -> None:
        for receiver in self.receivers:
            receiver(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self.receivers)} receivers>"


class SlotEmpty(LookupError):
    """Nobody provided the slot (its app is not installed)."""


class Slot(Generic[T]):
    """One provider, from a higher app, for something a lower app needs."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._provider: T | None = None

    def provide(self, provider: T) -> None:
        self._provider = provider

    def get(self) -> T:
        if self._provider is None:
            raise SlotEmpty(self.name)
        return self._provider

    def __repr__(self) -> str:
        return f"<Slot {self.name}: {'provided' if self._provider is not None else 'empty'}>"

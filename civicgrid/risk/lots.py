"""The hearing's lot draw and speaking order: pure functions, reproducible by anyone.

docs/risk.md ("The lot draw") publishes the same algorithm with a short Python snippet.
At the close of registration the organiser freezes the list of registrations (everything
but the withdrawn ones) as the canonical text below and publishes its SHA-256; the seed is
published when the lots are drawn. From the seed and the list anyone can compute:

1. each registration's draw key, SHA-256 of "<seed>:<number>" in lower-case hex;
2. within each group, the registrations ranked by that key (ascending); a group with more
   registrations than seats selects the first `seats` and waitlists the rest in rank order;
   a group with no more registrations than seats is selected whole (no lot is needed, the
   rank only orders its speakers);
3. the speaking order: the selected who asked to speak, taken in turn from the positions
   反对 (oppose), 支持 (support), 其他意见 (other), each position in draw-key order; when a
   position runs out the others go on alternating.

Nothing here reads the database: the service (services/hearings.py) passes the rows in and
writes the result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

SELECTED = "selected"
WAITLISTED = "waitlisted"
# The order in which positions take turns in the speaking order.
SPEAKING_TURNS = ("oppose", "support", "neutral")


@dataclass(frozen=True)
class Entry:
    """One registration as the canonical list publishes it (no personal data)."""

    number: int
    group: str
    position: str
    wants_to_speak: bool


@dataclass(frozen=True)
class Drawn:
    number: int
    group: str
    key: str  # SHA-256("<seed>:<number>"), hex
    rank: int  # 1-based, within the group
    status: str  # SELECTED or WAITLISTED
    speaking_order: int | None


def canonical_list(entries: Iterable[Entry]) -> str:
    """The frozen list: one line per registration in number order,
    "<number>,<group>,<position>,<1 if asked to speak else 0>", each ending with a line feed
    (the empty list is the empty text)."""
    return "".join(f"{e.number},{e.group},{e.position},{1 if e.wants_to_speak else 0}\n"
                   for e in sorted(entries, key=lambda e: e.number))


def list_digest(entries: Iterable[Entry]) -> str:
    """SHA-256 (hex) of the canonical list's UTF-8 bytes."""
    return hashlib.sha256(canonical_list(entries).encode("utf-8")).hexdigest()


def parse_list(text: str) -> list[Entry]:
    """The entries of a published canonical list (the inverse of `canonical_list`)."""
    entries = []
    for line in text.splitlines():
        if not line.strip():
            continue
        number, group, position, speak = line.split(",")
        entries.append(Entry(int(number), group, position, speak == "1"))
    return entries


def draw_key(seed: str, number: int) -> str:
    return hashlib.sha256(f"{seed}:{number}".encode()).hexdigest()


def draw(seed: str, entries: Iterable[Entry], seats: Mapping[str, int]) -> list[Drawn]:
    """The result of the draw, in number order. Every entry's group must have a quota
    (`seats`); a ValueError says otherwise."""
    if not seed:
        raise ValueError("the draw needs a seed")
    by_group: dict[str, list[tuple[str, Entry]]] = {}
    for entry in entries:
        if entry.group not in seats:
            raise ValueError(f"registration {entry.number}: group {entry.group!r} has no quota")
        by_group.setdefault(entry.group, []).append((draw_key(seed, entry.number), entry))
    ranked: dict[int, tuple[str, int, str]] = {}  # number -> (key, rank, status)
    for group, rows in by_group.items():
        rows.sort(key=lambda row: row[0])
        for index, (key, entry) in enumerate(rows):
            status = SELECTED if index < seats[group] else WAITLISTED
            ranked[entry.number] = (key, index + 1, status)
    entries_by_number = {e.number: e for rows in by_group.values() for _k, e in rows}
    order = speaking_order(
        (entries_by_number[n], key) for n, (key, _rank, status) in ranked.items()
        if status == SELECTED)
    return [Drawn(number=n, group=entries_by_number[n].group, key=key, rank=rank,
                  status=status, speaking_order=order.get(n))
            for n, (key, rank, status) in sorted(ranked.items())]


def speaking_order(selected: Iterable[tuple[Entry, str]]) -> dict[int, int]:
    """Number -> place (1-based) of the selected who asked to speak: positions take turns
    (SPEAKING_TURNS), each in draw-key order."""
    queues: dict[str, list[tuple[str, int]]] = {p: [] for p in SPEAKING_TURNS}
    for entry, key in selected:
        if entry.wants_to_speak:
            queues.setdefault(entry.position, []).append((key, entry.number))
    for queue in queues.values():
        queue.sort()
    order: dict[int, int] = {}
    turn = 0
    while any(queues.values()):
        for position in queues:
            if queues[position]:
                _key, number = queues[position].pop(0)
                turn += 1
                order[number] = turn
    return order

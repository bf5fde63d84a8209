"""The lot draw (civicgrid/risk/lots.py) against the algorithm as docs/risk.md publishes it,
written again here with hashlib alone; a quota table worked out by hand."""

from __future__ import annotations

import hashlib

from civicgrid.risk import lots
from civicgrid.risk.lots import Entry

SEED = "2026-12-05 福彩3D 第2026330期 517"


def published_key(seed: str, number: int) -> str:
    """The docs' snippet, word for word."""
    return hashlib.sha256(f"{seed}:{number}".encode()).hexdigest()


def independent_draw(seed: str, rows: list[tuple[int, str]], seats: dict[str, int]):
    """The published rule, from scratch: per group, rank by key, the first `seats` in."""
    selected, waitlisted = set(), []
    for group, count in seats.items():
        ranked = sorted((n for n, g in rows if g == group), key=lambda n: published_key(seed, n))
        selected |= set(ranked[:count])
        waitlisted += ranked[count:]
    return selected, waitlisted


# A quota table: residents are oversubscribed (7 for 3 seats), experts exactly full (2 for
# 2), deputies undersubscribed (1 for 2), stakeholders have no registration.
SEATS = {"resident": 3, "expert": 2, "deputy": 2, "stakeholder": 4}
ROWS = [(1, "resident"), (2, "expert"), (3, "resident"), (4, "resident"), (5, "deputy"),
        (6, "resident"), (7, "expert"), (8, "resident"), (9, "resident"), (10, "resident")]
POSITIONS = {1: "support", 2: "neutral", 3: "oppose", 4: "oppose", 5: "support",
             6: "support", 7: "oppose", 8: "neutral", 9: "oppose", 10: "support"}


def entries(speak: set[int] | None = None) -> list[Entry]:
    return [Entry(n, g, POSITIONS[n], speak is None or n in speak) for n, g in ROWS]


def test_the_draw_selects_what_the_published_rule_selects():
    result = {d.number: d for d in lots.draw(SEED, entries(), SEATS)}
    selected, waitlisted = independent_draw(SEED, ROWS, SEATS)
    assert {n for n, d in result.items() if d.status == lots.SELECTED} == selected
    assert [n for n, d in sorted(result.items(), key=lambda kv: (kv[1].group, kv[1].rank))
            if d.status == lots.WAITLISTED] == sorted(
        waitlisted, key=lambda n: published_key(SEED, n))
    for number, drawn in result.items():
        assert drawn.key == published_key(SEED, number)


def test_each_quota_is_respected_and_small_groups_are_selected_whole():
    result = lots.draw(SEED, entries(), SEATS)
    by_group: dict[str, list[str]] = {}
    for d in result:
        by_group.setdefault(d.group, []).append(d.status)
    # worked out by hand from the table above
    assert by_group["resident"].count(lots.SELECTED) == 3
    assert by_group["resident"].count(lots.WAITLISTED) == 4
    assert by_group["expert"] == [lots.SELECTED, lots.SELECTED]
    assert by_group["deputy"] == [lots.SELECTED]
    assert "stakeholder" not in by_group
    assert len(result) == 10


def test_ranks_follow_the_keys_within_each_group():
    result = lots.draw(SEED, entries(), SEATS)
    residents = sorted((d for d in result if d.group == "resident"), key=lambda d: d.rank)
    assert [d.rank for d in residents] == [1, 2, 3, 4, 5, 6, 7]
    assert [d.key for d in residents] == sorted(d.key for d in residents)
    assert all(d.status == lots.SELECTED for d in residents[:3])


def test_the_same_seed_and_list_give_the_same_result_in_any_order():
    first = lots.draw(SEED, entries(), SEATS)
    again = lots.draw(SEED, list(reversed(entries())), dict(reversed(SEATS.items())))
    assert first == again


def test_another_seed_gives_another_draw():
    seeds = [f"{SEED}-{i}" for i in range(5)]
    outcomes = {frozenset(d.number for d in lots.draw(s, entries(), SEATS)
                          if d.status == lots.SELECTED) for s in seeds}
    assert len(outcomes) > 1


def test_the_canonical_list_and_its_digest():
    text = lots.canonical_list([Entry(2, "expert", "neutral", False),
                                Entry(1, "resident", "support", True)])
    assert text == "1,resident,support,1\n2,expert,neutral,0\n"
    assert lots.list_digest([Entry(2, "expert", "neutral", False),
                             Entry(1, "resident", "support", True)]) == \
        hashlib.sha256(text.encode()).hexdigest()
    assert lots.parse_list(text) == [Entry(1, "resident", "support", True),
                                     Entry(2, "expert", "neutral", False)]
    assert lots.canonical_list([]) == ""
    assert lots.list_digest([]) == hashlib.sha256(b"").hexdigest()


def test_the_speaking_order_alternates_positions_in_key_order():
    result = {d.number: d for d in lots.draw(SEED, entries(), SEATS)}
    chosen = [n for n, d in result.items() if d.status == lots.SELECTED]
    # the published rule, independently: per position by key, then oppose, support, other
    queues = {p: sorted((n for n in chosen if POSITIONS[n] == p),
                        key=lambda n: published_key(SEED, n))
              for p in ("oppose", "support", "neutral")}
    expected = []
    while any(queues.values()):
        for p in ("oppose", "support", "neutral"):
            if queues[p]:
                expected.append(queues[p].pop(0))
    assert sorted(chosen, key=lambda n: result[n].speaking_order) == expected
    assert sorted(result[n].speaking_order for n in chosen) == list(range(1, len(chosen) + 1))
    assert all(d.speaking_order is None for d in result.values() if d.status == lots.WAITLISTED)


def test_only_those_who_asked_to_speak_get_a_place():
    result = lots.draw(SEED, entries(speak={2, 5}), SEATS)
    order = {d.number: d.speaking_order for d in result if d.speaking_order}
    assert set(order) == {2, 5}
    # 5 (support) before 2 (other): positions take turns support → other when no oppose
    assert order == {5: 1, 2: 2}


def test_a_group_without_quota_is_refused():
    try:
        lots.draw(SEED, [Entry(1, "resident", "support", True)], {"expert": 1})
    except ValueError as exc:
        assert "no quota" in str(exc)
    else:
        raise AssertionError("a registration without a quota must be refused")

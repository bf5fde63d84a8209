"""Small-count suppression of the public safety data release (公开版小数抑制).

Pure functions, no database: they decide which counts of a release column the public
version may print. The rule (docs/reports.md, "The public version"):

1. Primary suppression: every count below `SMALL` (0 included) prints as "<5".
2. Complementary suppression: a column has a total and parts that add up to it (the cases
   of each kind). If a part is hidden and the total is printed, the reader knows the sum of
   the hidden cells (total − printed parts). So whenever a part is hidden, at least one
   more part of at least `SMALL` is hidden as well ("—"), chosen so that the hidden cells
   leave every small cell anywhere in 0…4: with primary cells P and complementary cells C,
   the sum of the hidden cells must satisfy sum(P ∪ C) − SMALL·|C| ≥ SMALL − 1. The
   smallest part that achieves this on its own is taken; failing that, the largest, and
   the check repeats. If no part is left to take, the total is hidden too.
3. A change (环比, 同比) is printed only when both of its counts are printed: it is a
   function of two numbers, and printing it next to one of them would give away the other.

So the public version shows nothing from which a count below `SMALL` can be worked out
more precisely than "below 5" by adding or subtracting printed numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

SMALL = 5
SHOWN, PRIMARY, COMPLEMENTARY = "", "small", "complementary"


def _hidden_sum_is_safe(values: Mapping[str, int], status: Mapping[str, str],
                        parts: Sequence[str]) -> bool:
    primary = [k for k in parts if status[k] == PRIMARY]
    if not primary:
        return True
    complementary = [k for k in parts if status[k] == COMPLEMENTARY]
    if not complementary:
        return False  # the total less the printed parts is the small cells' sum
    hidden = sum(values[k] for k in (*primary, *complementary))
    return hidden - SMALL * len(complementary) >= SMALL - 1


def suppress_column(values: Mapping[str, int], *, total: str,
                    parts: Sequence[str]) -> dict[str, str]:
    """Which cells of one column to hide: {key: SHOWN | PRIMARY | COMPLEMENTARY}.

    `values[total]` must equal the sum of `values[part]` (the caller's invariant).
    """
    if values[total] != sum(values[k] for k in parts):
        raise ValueError("the parts must add up to the total")
    status = {k: (PRIMARY if values[k] < SMALL else SHOWN) for k in (total, *parts)}
    if status[total]:
        return status  # every part is below the total, hence hidden as well
    while not _hidden_sum_is_safe(values, status, parts):
        candidates = sorted((k for k in parts if status[k] == SHOWN),
                            key=lambda k: (values[k], parts.index(k)))
        if not candidates:
            status[total] = COMPLEMENTARY
            break
        for key in candidates:
            status[key] = COMPLEMENTARY
            if _hidden_sum_is_safe(values, status, parts):
                break
            status[key] = SHOWN
        else:
            status[candidates[-1]] = COMPLEMENTARY
    return status


def feasible_values(cell: str, printed: Mapping[str, int], status: Mapping[str, str], *,
                    total: str, parts: Sequence[str]) -> set[int]:
    """What a reader of the public version can conclude about a hidden small cell: the
    values 0…SMALL−1 it may take given every printed number (for the tests and the docs)."""
    if status[total]:
        return set(range(SMALL))
    hidden_sum = printed[total] - sum(printed[k] for k in parts if not status[k])
    others = [k for k in parts if status[k] and k != cell]
    low = sum(SMALL if status[k] == COMPLEMENTARY else 0 for k in others)
    unbounded = any(status[k] == COMPLEMENTARY for k in others)
    high = sum(SMALL - 1 for k in others if status[k] == PRIMARY)
    return {v for v in range(SMALL)
            if low <= hidden_sum - v and (unbounded or hidden_sum - v <= high)}

"""Stratified systematic sampling (分层随机等距抽样) from a frozen frame.

Within each stratum the frame is listed in a fixed order (grid code, building, room…, then
the unit key), a random start is taken in [0, k) with the fractional interval k = N_h/n_h,
and the units at positions ⌊start + i·k⌋, i = 0…n_h−1, are drawn. The random start comes
from SHA-256 of the seed and the stratum, so the draw is portable and reproducible: the same
frame and seed give the same sample, whatever the order the frame was read in, and the
digest of the draw proves it.

Pure standard library (no Django): the survey services store the result.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise
from typing import Any

RESERVE_SUFFIX = "|reserve"


@dataclass(frozen=True)
class FrameUnit:
    """One unit of the sampling frame.

    key       unique id of the unit in the frame
    stratum   the stratum it belongs to
    sort_key  the order in which the frame is listed within its stratum (grid code,
              building, room…); ties are broken by `key`
    """

    key: str
    stratum: str
    sort_key: tuple[str, ...]


@dataclass(frozen=True)
class StratumDraw:
    """The draw in one stratum.

    population         N_h, units of the stratum in the frame
    n                  n_h, units drawn
    interval, start    k = N_h/n_h and the random start in [0, k) (both 0.0 when n_h = 0)
    positions, keys    the drawn positions (0-based, into the stratum's units sorted by
                       (sort_key, key)) and their keys
    reserve_interval, reserve_start
                       k' = (N_h − n_h)/r_h and its own start (0.0 when r_h = 0)
    reserve_positions, reserve_keys
                       the reserve draw: positions into the units NOT in the main sample,
                       in the same order, and their keys
    """

    stratum: str
    population: int
    n: int
    interval: float
    start: float
    positions: tuple[int, ...]
    keys: tuple[str, ...]
    reserve_interval: float
    reserve_start: float
    reserve_positions: tuple[int, ...]
    reserve_keys: tuple[str, ...]


@dataclass(frozen=True)
class Draw:
    """A whole draw: the strata in sorted order, the frame's digest and the draw's digest
    (SHA-256 of canonical JSON of the seed and, per stratum, N, n, start, positions, keys
    and reserve keys)."""

    seed: str
    strata: tuple[StratumDraw, ...]
    frame_digest: str
    digest: str

    @property
    def keys(self) -> tuple[str, ...]:
        """Keys of the main sample, stratum by stratum."""
        return tuple(key for stratum in self.strata for key in stratum.keys)

    @property
    def reserve_keys(self) -> tuple[str, ...]:
        """Keys of the reserves, stratum by stratum."""
        return tuple(key for stratum in self.strata for key in stratum.reserve_keys)

    def stratum(self, name: str) -> StratumDraw:
        """The draw of stratum `name`."""
        for stratum in self.strata:
            if stratum.stratum == name:
                return stratum
        raise ValueError(f"stratum {name} is not in the draw")


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _sha256(value: Any) -> str:
    return hashlib.sha256(_canonical(value).encode("utf-8")).hexdigest()


def _unit_order(unit: FrameUnit) -> tuple[tuple[str, ...], str]:
    return (tuple(unit.sort_key), unit.key)


def _sorted_frame(units: Sequence[FrameUnit]) -> list[FrameUnit]:
    """The frame in its canonical order: by stratum, then sort_key, then key. Keys must be
    unique."""
    seen: set[str] = set()
    for unit in units:
        if unit.key in seen:
            raise ValueError(f"duplicate unit key in the frame: {unit.key}")
        seen.add(unit.key)
    return sorted(units, key=lambda unit: (unit.stratum, *_unit_order(unit)))


def frame_digest(units: Sequence[FrameUnit]) -> str:
    """SHA-256 (hex) of the canonical JSON of [[key, stratum, *sort_key], …] with the frame
    in its sorted order (stratum, sort_key, key): JSON with sort_keys,
    separators=(",", ":") and ensure_ascii=False, encoded as UTF-8. The input order does not
    matter."""
    return _sha256([[unit.key, unit.stratum, *unit.sort_key] for unit in _sorted_frame(units)])


def random_start(*, seed: str, stratum: str, interval: float) -> float:
    """Portable random start in [0, interval):

    u = int.from_bytes(sha256(f"{seed}|{stratum}").digest()[:8], "big") / 2**64, start = u·k.

    The reserve draw of a stratum uses stratum + "|reserve".
    """
    if not interval > 0:
        raise ValueError("the interval must be positive")
    digest = hashlib.sha256(f"{seed}|{stratum}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64
    start = u * interval
    # u < 1, but u·k can round up to k in floating point when u is within 2⁻⁵³ of 1.
    return start if start < interval else math.nextafter(interval, 0.0)


def systematic_positions(*, population: int, n: int, start: float) -> list[int]:
    """Positions ⌊start + i·k⌋ for i = 0…n−1 with the fractional interval k = N/n.

    0-based, strictly increasing, all < N. Computed exactly with fractions
    (⌊(start·n + i·N)/n⌋), so a position that falls on a whole number is never lost to
    float rounding. Example: N = 10, n = 3, start 1.5: k = 3.333…, 1.5, 4.833…, 8.166…
    → [1, 4, 8]. n = 0 gives [].
    """
    if population < 0:
        raise ValueError("the population must not be negative")
    if n < 0:
        raise ValueError("n must not be negative")
    if n > population:
        raise ValueError("n is larger than the population")
    if not math.isfinite(start):
        raise ValueError("the start must be a finite number")
    if n == 0:
        return []
    exact_start = Fraction(start)
    interval = Fraction(population, n)
    if not 0 <= exact_start < interval:
        raise ValueError("the start must be in [0, interval)")
    return [math.floor(exact_start + i * interval) for i in range(n)]


def is_systematic(positions: Sequence[int], population: int) -> bool:
    """Whether drawn positions can come from a systematic draw of len(positions) out of N:
    every gap between consecutive positions is ⌊k⌋ or ⌈k⌉ with k = N/n, the first position
    is in [0, ⌈k⌉) and the last is below N. An empty list is systematic.

    A necessary check from the positions alone: a unit moved without breaking any gap goes
    unseen; redrawing from the recorded frame and seed and comparing the digest is the full
    check."""
    n = len(positions)
    if n == 0:
        return True
    if n > population:
        return False
    low, high = population // n, -(-population // n)
    if not 0 <= positions[0] < high or positions[-1] >= population:
        return False
    return all(b - a in (low, high) for a, b in pairwise(positions))


def _systematic(
    *, units: list[FrameUnit], n: int, seed: str, label: str
) -> tuple[float, float, list[int]]:
    """A systematic draw of n out of `units` (already in order): interval, start,
    positions."""
    if n == 0:
        return 0.0, 0.0, []
    interval = len(units) / n
    start = random_start(seed=seed, stratum=label, interval=interval)
    return interval, start, systematic_positions(population=len(units), n=n, start=start)


def draw(
    *,
    units: Sequence[FrameUnit],
    allocation: Mapping[str, int],
    seed: str,
    reserves: Mapping[str, int] | None = None,
) -> Draw:
    """Draw a stratified systematic sample.

    Per stratum h of `allocation` (in sorted order): the stratum's units sorted by
    (sort_key, key), k = N_h/n_h, start = random_start(seed, h, k), positions
    ⌊start + i·k⌋. Reserves (r_h from `reserves`): the same over the units not in the main
    sample, in the same order, with k' = (N_h − n_h)/r_h and the start from h + "|reserve".
    Frame strata absent from `allocation` are not sampled; n_h = 0 gives an empty stratum.
    """
    frame = _sorted_frame(units)
    by_stratum: dict[str, list[FrameUnit]] = {}
    for unit in frame:
        by_stratum.setdefault(unit.stratum, []).append(unit)
    reserves = reserves or {}
    for name in reserves:
        if name not in allocation:
            raise ValueError(f"reserves for stratum {name} which is not in the allocation")
    strata: list[StratumDraw] = []
    for name in sorted(allocation):
        n = allocation[name]
        if name not in by_stratum:
            raise ValueError(f"stratum {name} is not in the frame")
        members = by_stratum[name]
        population = len(members)
        if n < 0:
            raise ValueError(f"negative sample size for stratum {name}")
        if n > population:
            raise ValueError(f"stratum {name} has fewer units than its sample size")
        interval, start, positions = _systematic(units=members, n=n, seed=seed, label=name)
        chosen = set(positions)
        rest = [unit for i, unit in enumerate(members) if i not in chosen]
        r = reserves.get(name, 0)
        if r < 0:
            raise ValueError(f"negative number of reserves for stratum {name}")
        if r > len(rest):
            raise ValueError(f"stratum {name} has too few units left for its reserves")
        r_interval, r_start, r_positions = _systematic(
            units=rest, n=r, seed=seed, label=name + RESERVE_SUFFIX
        )
        strata.append(
            StratumDraw(
                stratum=name,
                population=population,
                n=n,
                interval=interval,
                start=start,
                positions=tuple(positions),
                keys=tuple(members[i].key for i in positions),
                reserve_interval=r_interval,
                reserve_start=r_start,
                reserve_positions=tuple(r_positions),
                reserve_keys=tuple(rest[i].key for i in r_positions),
            )
        )
    digest = _sha256(
        {
            "seed": seed,
            "strata": [
                {
                    "stratum": s.stratum,
                    "N": s.population,
                    "n": s.n,
                    "start": round(s.start, 12),
                    "positions": list(s.positions),
                    "keys": list(s.keys),
                    "reserve_keys": list(s.reserve_keys),
                }
                for s in strata
            ],
        }
    )
    return Draw(
        seed=seed,
        strata=tuple(strata),
        frame_digest=_sha256([[u.key, u.stratum, *u.sort_key] for u in frame]),
        digest=digest,
    )


def release_rank(*, seed: str, stratum: str, position: int) -> int:
    """A reserve's place in the release order: a portable hash of the seed, the stratum
    and its drawn position (48 bits), so the order is random but reproducible from the
    recorded seed."""
    digest = hashlib.sha256(f"{seed}|{stratum}|release|{position}".encode()).digest()
    return int.from_bytes(digest[:6], "big")

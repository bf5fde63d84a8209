"""Stratified systematic sampling: positions, random starts and whole draws worked by hand."""

from __future__ import annotations

import hashlib
import random

import pytest

from civicgrid.surveys.sampling import (
    FrameUnit,
    draw,
    frame_digest,
    is_systematic,
    random_start,
    systematic_positions,
)

# Stratum A in its listing order (sort_key, then key); the keys deliberately do not follow
# that order, and positions 4 and 5 share a sort_key so the key breaks the tie.
FRAME_A = [
    FrameUnit(key="u07", stratum="A", sort_key=("G01", "1", "101")),  # 0
    FrameUnit(key="u03", stratum="A", sort_key=("G01", "1", "102")),  # 1
    FrameUnit(key="u10", stratum="A", sort_key=("G01", "2", "101")),  # 2
    FrameUnit(key="u01", stratum="A", sort_key=("G01", "2", "102")),  # 3
    FrameUnit(key="u05", stratum="A", sort_key=("G02", "1", "101")),  # 4
    FrameUnit(key="u06", stratum="A", sort_key=("G02", "1", "101")),  # 5
    FrameUnit(key="u02", stratum="A", sort_key=("G02", "1", "102")),  # 6
    FrameUnit(key="u09", stratum="A", sort_key=("G02", "3", "101")),  # 7
    FrameUnit(key="u04", stratum="A", sort_key=("G03", "1", "101")),  # 8
    FrameUnit(key="u08", stratum="A", sort_key=("G03", "1", "201")),  # 9
]
FRAME_B = [
    FrameUnit(key=f"b{room}", stratum="B", sort_key=("G09", "1", f"{room}01"))
    for room in range(1, 6)
]


def shuffled(units, seed):
    out = list(units)
    random.Random(seed).shuffle(out)
    return out


def frame():
    return shuffled(FRAME_A + FRAME_B, 7)


def test_systematic_positions_hand_example():
    # N = 10, n = 3, start 1.5: k = 3.333…; 1.5, 4.833…, 8.166… → [1, 4, 8].
    assert systematic_positions(population=10, n=3, start=1.5) == [1, 4, 8]


def test_systematic_positions_whole_interval():
    # k = 10/5 = 2: 0.5, 2.5, 4.5, 6.5, 8.5 → [0, 2, 4, 6, 8].
    assert systematic_positions(population=10, n=5, start=0.5) == [0, 2, 4, 6, 8]


def test_systematic_positions_do_not_lose_a_whole_number_to_float_noise():
    # N = 30, n = 22, start 0: position 11 is ⌊11 × 30/22⌋ = ⌊330/22⌋ = 15 exactly, while in
    # floating point 11 × (30/22) = 14.999999999999998.
    positions = systematic_positions(population=30, n=22, start=0.0)
    assert positions[11] == 15
    assert positions[:4] == [0, 1, 2, 4]  # 0, 1.36, 2.73, 4.09


def test_systematic_positions_edges():
    assert systematic_positions(population=5, n=0, start=0.0) == []
    assert systematic_positions(population=4, n=4, start=0.99) == [0, 1, 2, 3]  # k = 1
    with pytest.raises(ValueError):
        systematic_positions(population=3, n=4, start=0.0)
    with pytest.raises(ValueError):
        systematic_positions(population=3, n=-1, start=0.0)
    with pytest.raises(ValueError):
        systematic_positions(population=10, n=3, start=3.34)  # k = 3.333…
    with pytest.raises(ValueError):
        systematic_positions(population=10, n=3, start=-0.1)


def test_random_start_is_sha256_of_seed_and_stratum():
    # sha256("2026-Q3|A")[:8] = 2104907cd72b3a35 = 2379185369018743349;
    # / 2**64 = 0.1289758972917924; × k = 10/3 → 0.4299196576393080.
    start = random_start(seed="2026-Q3", stratum="A", interval=1.0)
    assert abs(start - 0.1289758972917924) < 1e-15
    start = random_start(seed="2026-Q3", stratum="A", interval=10 / 3)
    assert abs(start - 0.429919657639308) < 1e-12
    # sha256("2026-Q3|A|reserve")[:8] = 61fea0e6de31ef33 → u = 0.38279157291817234.
    reserve = random_start(seed="2026-Q3", stratum="A|reserve", interval=1.0)
    assert abs(reserve - 0.38279157291817234) < 1e-15
    # A different seed: sha256("2026-Q4|A")[:8] = 1185f0737590b0ca → u = 0.06845000094250754.
    other = random_start(seed="2026-Q4", stratum="A", interval=1.0)
    assert abs(other - 0.06845000094250754) < 1e-15


def test_random_start_stays_below_the_interval():
    for i in range(200):
        start = random_start(seed=f"s{i}", stratum="X", interval=2.5)
        assert 0 <= start < 2.5
    with pytest.raises(ValueError):
        random_start(seed="s", stratum="X", interval=0.0)


def test_frame_digest_is_canonical_json_in_sorted_order():
    units = [
        FrameUnit(key="户2", stratum="S", sort_key=("幸福小区", "1栋", "102")),
        FrameUnit(key="户9", stratum="R", sort_key=("G1",)),
        FrameUnit(key="户1", stratum="S", sort_key=("幸福小区", "1栋", "101")),
    ]
    # Sorted by (stratum, sort_key, key): R before S, then 101 before 102; ensure_ascii off.
    canonical = (
        '[["户9","R","G1"],'
        '["户1","S","幸福小区","1栋","101"],'
        '["户2","S","幸福小区","1栋","102"]]'
    )
    expected = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert frame_digest(units) == expected
    assert frame_digest(list(reversed(units))) == expected


def test_frame_digest_rejects_duplicate_keys():
    with pytest.raises(ValueError):
        frame_digest([FRAME_A[0], FRAME_A[0]])


def test_draw_hand_example_with_reserves():
    result = draw(units=frame(), allocation={"A": 3, "B": 2}, seed="2026-Q3", reserves={"A": 2})
    a = result.stratum("A")
    # A: N = 10, n = 3, k = 10/3; start = 0.1289758972917924 × 10/3 = 0.4299197:
    # 0.4299, 3.7633, 7.0966 → positions [0, 3, 7] → u07, u01, u09.
    assert (a.population, a.n) == (10, 3)
    assert abs(a.interval - 10 / 3) < 1e-15
    assert abs(a.start - 0.429919657639308) < 1e-12
    assert a.positions == (0, 3, 7)
    assert a.keys == ("u07", "u01", "u09")
    # Reserves over the 7 units left, [1, 2, 4, 5, 6, 8, 9]; k' = 7/2 = 3.5;
    # start' = 0.38279157291817234 × 3.5 = 1.3397705: 1.34, 4.84 → [1, 4] of the list left
    # → frame positions 2 and 6 → u10, u02.
    assert abs(a.reserve_interval - 3.5) < 1e-15
    assert abs(a.reserve_start - 1.3397705052136032) < 1e-12
    assert a.reserve_positions == (1, 4)
    assert a.reserve_keys == ("u10", "u02")
    b = result.stratum("B")
    # B: N = 5, n = 2, k = 2.5; sha256("2026-Q3|B")[:8] → u = 0.9358774662011273,
    # start = 2.3396937: 2.34, 4.84 → [2, 4] → b3, b5. No reserves asked.
    assert b.positions == (2, 4)
    assert b.keys == ("b3", "b5")
    assert b.reserve_keys == ()
    assert result.keys == ("u07", "u01", "u09", "b3", "b5")
    assert result.reserve_keys == ("u10", "u02")
    assert result.frame_digest == frame_digest(FRAME_A + FRAME_B)


def test_draw_digest_is_canonical_json_of_the_draw():
    units = [
        FrameUnit(key="h1", stratum="S", sort_key=("幸福小区", "1栋", "101")),
        FrameUnit(key="h2", stratum="S", sort_key=("幸福小区", "1栋", "102")),
        FrameUnit(key="h3", stratum="S", sort_key=("幸福小区", "2栋", "101")),
        FrameUnit(key="h4", stratum="S", sort_key=("幸福小区", "2栋", "102")),
    ]
    result = draw(units=units, allocation={"S": 2}, seed="demo", reserves={"S": 1})
    # k = 4/2 = 2; sha256("demo|S")[:8] → u = 0.29786108574118153, start = 0.5957221714823631
    # → 0.60, 2.60 → [0, 2] → h1, h3. Reserve: [h2, h4], k' = 2,
    # sha256("demo|S|reserve")[:8] → u = 0.4707223456873188, start' = 0.94 → [0] → h2.
    # start rounded to 12 decimals: 0.595722171482.
    canonical = (
        '{"seed":"demo","strata":[{"N":4,"keys":["h1","h3"],"n":2,"positions":[0,2],'
        '"reserve_keys":["h2"],"start":0.595722171482,"stratum":"S"}]}'
    )
    assert result.digest == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_same_frame_and_seed_give_the_same_draw():
    first = draw(units=frame(), allocation={"A": 4, "B": 2}, seed="2026-Q3", reserves={"A": 3})
    second = draw(units=frame(), allocation={"A": 4, "B": 2}, seed="2026-Q3", reserves={"A": 3})
    assert first.digest == second.digest
    assert first.keys == second.keys
    assert first == second


def test_a_different_seed_gives_a_different_draw():
    first = draw(units=frame(), allocation={"A": 4, "B": 2}, seed="2026-Q3")
    other = draw(units=frame(), allocation={"A": 4, "B": 2}, seed="2026-Q4")
    assert first.digest != other.digest
    # In a 10-unit stratum the keys can coincide: k = 2.5, "2026-Q3|A" gives start
    # 0.12898 × 2.5 = 0.32 and "2026-Q4|A" 0.06845 × 2.5 = 0.17, both → [0, 2, 5, 7]; the
    # digest still differs through the start.
    assert first.stratum("A").positions == other.stratum("A").positions == (0, 2, 5, 7)
    assert first.stratum("A").start != other.stratum("A").start
    # In a larger frame the samples themselves differ.
    units = [FrameUnit(key=f"k{i:04d}", stratum="S", sort_key=(f"{i:04d}",)) for i in range(1000)]
    assert draw(units=units, allocation={"S": 50}, seed="2026-Q3").keys != draw(
        units=units, allocation={"S": 50}, seed="2026-Q4"
    ).keys


def test_the_order_of_the_input_does_not_change_the_draw():
    base = draw(units=FRAME_A + FRAME_B, allocation={"A": 3, "B": 2}, seed="x", reserves={"A": 2})
    for seed in range(5):
        again = draw(
            units=shuffled(FRAME_A + FRAME_B, seed),
            allocation={"B": 2, "A": 3},
            seed="x",
            reserves={"A": 2},
        )
        assert again == base


def test_reserves_do_not_overlap_the_main_sample():
    units = [
        FrameUnit(key=f"k{i:04d}", stratum=f"S{i % 3}", sort_key=(f"G{i % 17:02d}", f"{i:04d}"))
        for i in range(600)
    ]
    result = draw(
        units=units,
        allocation={"S0": 37, "S1": 50, "S2": 1},
        seed="overlap",
        reserves={"S0": 20, "S1": 150, "S2": 199},
    )
    for stratum in result.strata:
        assert not set(stratum.keys) & set(stratum.reserve_keys)
        assert len(stratum.reserve_keys) == len(set(stratum.reserve_keys))
        assert is_systematic(stratum.reserve_positions, stratum.population - stratum.n)
    # S2: 200 units, 1 drawn, 199 reserves: every unit is used once.
    s2 = result.stratum("S2")
    assert len(set(s2.keys) | set(s2.reserve_keys)) == 200


def test_positions_of_a_real_draw_are_systematic():
    units = [
        FrameUnit(key=f"{name}{i:05d}", stratum=name, sort_key=(f"{(i * 7919) % 10007:05d}",))
        for name, size in (("big", 1234), ("mid", 500), ("odd", 97))
        for i in range(size)
    ]
    result = draw(units=units, allocation={"big": 37, "mid": 500, "odd": 13}, seed="audit")
    for stratum in result.strata:
        assert is_systematic(stratum.positions, stratum.population)
        assert len(stratum.positions) == stratum.n
        assert all(0 <= p < stratum.population for p in stratum.positions)
        assert list(stratum.positions) == sorted(set(stratum.positions))
    # N = 1234, n = 37: k = 33.35, so every gap is 33 or 34.
    big = result.stratum("big").positions
    assert {b - a for a, b in zip(big, big[1:], strict=False)} <= {33, 34}


def test_is_systematic_accepts_a_hand_draw_and_rejects_tampering():
    # N = 10, n = 3: k = 3.333…, ⌊k⌋ = 3, ⌈k⌉ = 4.
    assert is_systematic([1, 4, 8], 10)  # the hand draw above: gaps 3, 4; first 1 < 4
    assert is_systematic([1, 5, 8], 10)  # gaps 4, 3 (start 1.9: 1.9, 5.23, 8.57)
    assert is_systematic([], 10)
    assert not is_systematic([1, 4, 9], 10)  # gap 5
    assert not is_systematic([1, 3, 6], 10)  # gap 2
    assert not is_systematic([4, 7, 10], 10)  # first 4 ≥ ⌈k⌉ = 4, last outside the frame
    assert not is_systematic([4, 7, 9], 10)  # first 4 ≥ ⌈k⌉ = 4
    assert not is_systematic([0, 1, 2, 3], 3)  # more positions than units
    # A real draw passes: N = 1234, n = 37, k = 33.35, start 12.25 → 12, 45, 78, 112, …
    positions = systematic_positions(population=1234, n=37, start=12.25)
    assert positions[:4] == [12, 45, 78, 112]  # 12.25, 45.6, 78.95, 112.3
    assert is_systematic(positions, 1234)
    # Swapping the 4th unit for the one two places on: gaps 78 → 114 = 36, 114 → 145 = 31.
    tampered = list(positions)
    tampered[3] += 2
    assert not is_systematic(tampered, 1234)
    # Dropping a unit leaves a gap of about 2k.
    assert not is_systematic(positions[:3] + positions[4:], 1234)


def test_empty_stratum_is_allowed():
    result = draw(units=frame(), allocation={"A": 0, "B": 1}, seed="z")
    a = result.stratum("A")
    assert (a.n, a.positions, a.keys, a.interval, a.start) == (0, (), (), 0.0, 0.0)
    assert len(result.stratum("B").keys) == 1


def test_draw_errors():
    with pytest.raises(ValueError):  # C is not in the frame
        draw(units=frame(), allocation={"A": 1, "C": 1}, seed="s")
    with pytest.raises(ValueError):  # B has only 5 units
        draw(units=frame(), allocation={"B": 6}, seed="s")
    with pytest.raises(ValueError):  # 5 − 3 = 2 left for 3 reserves
        draw(units=frame(), allocation={"B": 3}, seed="s", reserves={"B": 3})
    with pytest.raises(ValueError):  # reserves for a stratum that is not allocated
        draw(units=frame(), allocation={"B": 3}, seed="s", reserves={"A": 1})
    with pytest.raises(ValueError):  # duplicate key
        draw(units=[*frame(), FRAME_A[0]], allocation={"A": 1}, seed="s")
    with pytest.raises(ValueError):
        draw(units=frame(), allocation={"A": 1}, seed="s").stratum("B")

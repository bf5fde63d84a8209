"""The level rule against a hand table (docs/risk.md, "The level rule"): the default figures
of version 1 are high item ≥ 15, medium item ≥ 8, three medium items make high, answers
against ≥ 30 % high and ≥ 10 % medium, 500 people at least medium."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from civicgrid.risk.levels import Findings, clause_text, rate


@dataclass
class Figures:
    high_item_score: int = 15
    medium_item_score: int = 8
    high_medium_items: int = 3
    high_oppose_percent: int = 30
    medium_oppose_percent: int = 10
    people_floor_medium: int = 500


# residual scores, answered, against, people -> level, the clauses that fired (in order)
TABLE = [
    ([], 0, 0, 0, "low", ["none"]),
    ([4, 6], 0, 0, 49, "low", ["none"]),
    ([7], 0, 0, 0, "low", ["none"]),
    ([8], 0, 0, 0, "medium", ["medium_item"]),
    ([14, 7], 0, 0, 0, "medium", ["medium_item"]),
    ([8, 12], 0, 0, 0, "medium", ["medium_item"]),
    ([8, 9, 12], 0, 0, 0, "high", ["medium_items"]),
    ([15], 0, 0, 0, "high", ["high_item"]),
    ([25, 1], 0, 0, 0, "high", ["high_item"]),
    ([4], 100, 9, 0, "low", ["none"]),
    ([4], 100, 10, 0, "medium", ["oppose_medium"]),
    ([4], 100, 29, 0, "medium", ["oppose_medium"]),
    ([4], 100, 30, 0, "high", ["oppose_high"]),
    ([4], 3, 1, 0, "high", ["oppose_high"]),  # 33.3 %: a small sample counts as it is
    ([4], 10000, 2999, 0, "medium", ["oppose_medium"]),  # 29.99 %: below 30, not rounded up
    ([4], 10000, 999, 0, "low", ["none"]),  # 9.99 %
    ([4], 0, 0, 499, "low", ["none"]),
    ([4], 0, 0, 500, "medium", ["people"]),
    ([25, 8], 200, 80, 1000, "high", ["high_item", "oppose_high", "medium_item", "people"]),
    ([16, 9, 10, 8], 0, 0, 0, "high", ["high_item", "medium_items"]),
]


@pytest.mark.parametrize(("scores", "answered", "oppose", "people", "level", "clauses"), TABLE)
def test_level_follows_the_published_rule(scores, answered, oppose, people, level, clauses):
    got, fired = rate(Figures(), Findings(scores, answered, oppose, people))
    assert got == level
    assert [c.clause for c in fired] == clauses


def test_the_rule_figures_are_what_decide():
    # the same findings under a stricter version: medium items from 6, two of them high
    stricter = Figures(medium_item_score=6, high_medium_items=2)
    assert rate(Figures(), Findings([6, 7]))[0] == "low"
    assert rate(stricter, Findings([6, 7]))[0] == "high"


def test_clauses_are_explained_in_words():
    _, fired = rate(Figures(), Findings([16], 200, 70, 0))
    texts = [clause_text(c.as_json()) for c in fired]
    assert "1个风险点措施后分值达到15(最高16),为高风险。" in texts
    assert "问卷中反对70份,占有效问卷200份的35.0%,达到30%,为高风险。" in texts

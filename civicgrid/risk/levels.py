"""The level rule: what an assessment's findings give as its risk level (高 / 中 / 低).

Pure: `rate` takes the rule's figures and the findings and returns the level and the
clauses that gave it, so the rule can be published, tested by a table and explained on the
page and in the report (docs/risk.md, "The level rule"):

1. an item whose residual score (likelihood × impact after its mitigation, 1–25) reaches
   `high_item_score` → high;
2. at least `high_medium_items` items at medium (residual score ≥ `medium_item_score`) → high;
3. questionnaire answers against the matter reaching `high_oppose_percent` of those
   answered → high;
4. an item at medium → medium;
5. answers against reaching `medium_oppose_percent` → medium;
6. a matter touching at least `people_floor_medium` people → at least medium;
otherwise low. The level is the highest any clause gives; every clause that fired is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.utils.translation import gettext as _

from civicgrid.risk.models import LEVEL_RANK, RiskLevel


class RuleFigures(Protocol):
    high_item_score: int
    medium_item_score: int
    high_medium_items: int
    high_oppose_percent: int
    medium_oppose_percent: int
    people_floor_medium: int


@dataclass(frozen=True)
class Findings:
    residual_scores: Sequence[int]  # one per risk item
    answered: int = 0  # questionnaire answers, all activities together
    oppose: int = 0
    people: int = 0  # how many people the matter touches (count, or its band's floor)


@dataclass(frozen=True)
class Clause:
    clause: str
    level: str
    params: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"clause": self.clause, "level": self.level, "params": self.params}


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def rate(rule: RuleFigures, findings: Findings) -> tuple[str, list[Clause]]:
    """The level and the clauses that fired (highest first, in the rule's order)."""
    scores = list(findings.residual_scores)
    high_items = [s for s in scores if s >= rule.high_item_score]
    medium_items = [s for s in scores if rule.medium_item_score <= s < rule.high_item_score]
    oppose = _percent(findings.oppose, findings.answered)  # (shown; compared exactly below)

    def reaches(threshold: int) -> bool:
        return findings.answered > 0 and 100 * findings.oppose >= threshold * findings.answered

    fired: list[Clause] = []
    if high_items:
        fired.append(Clause("high_item", RiskLevel.HIGH, {
            "count": len(high_items), "threshold": rule.high_item_score,
            "max": max(high_items)}))
    if len(medium_items) >= rule.high_medium_items:
        fired.append(Clause("medium_items", RiskLevel.HIGH, {
            "count": len(medium_items), "threshold": rule.high_medium_items}))
    if reaches(rule.high_oppose_percent):
        fired.append(Clause("oppose_high", RiskLevel.HIGH, {
            "percent": oppose, "threshold": rule.high_oppose_percent,
            "oppose": findings.oppose, "answered": findings.answered}))
    if medium_items and len(medium_items) < rule.high_medium_items:
        fired.append(Clause("medium_item", RiskLevel.MEDIUM, {
            "count": len(medium_items), "threshold": rule.medium_item_score}))
    if reaches(rule.medium_oppose_percent) and not reaches(rule.high_oppose_percent):
        fired.append(Clause("oppose_medium", RiskLevel.MEDIUM, {
            "percent": oppose, "threshold": rule.medium_oppose_percent,
            "oppose": findings.oppose, "answered": findings.answered}))
    if findings.people >= rule.people_floor_medium:
        fired.append(Clause("people", RiskLevel.MEDIUM, {
            "people": findings.people, "threshold": rule.people_floor_medium}))
    if not fired:
        fired.append(Clause("none", RiskLevel.LOW, {
            "items": len(scores), "below": rule.medium_item_score}))
    level = max((c.level for c in fired), key=lambda lv: LEVEL_RANK[RiskLevel(lv)])
    return str(level), fired


def clause_text(reason: dict[str, Any]) -> str:
    """A stored clause (`Clause.as_json`) said in words, in the reader's language."""
    p = reason.get("params", {})
    texts = {
        "high_item": _("%(count)d个风险点措施后分值达到%(threshold)d(最高%(max)d),为高风险。"),
        "medium_items": _("%(count)d个风险点为中等(达到%(threshold)d个即为高风险)。"),
        "oppose_high": _("问卷中反对%(oppose)d份,占有效问卷%(answered)d份的%(percent)s%%,"
                         "达到%(threshold)d%%,为高风险。"),
        "medium_item": _("%(count)d个风险点措施后分值达到%(threshold)d,为中风险。"),
        "oppose_medium": _("问卷中反对%(oppose)d份,占有效问卷%(answered)d份的%(percent)s%%,"
                           "达到%(threshold)d%%,为中风险。"),
        "people": _("涉及%(people)d人,达到%(threshold)d人,不低于中风险。"),
        "none": _("%(items)d个风险点措施后分值均低于%(below)d,问卷反对比例未达标准,为低风险。"),
    }
    text = texts.get(reason.get("clause", ""))
    return text % p if text else str(reason)

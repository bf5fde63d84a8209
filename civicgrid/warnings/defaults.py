"""The warning rules a new deployment starts with. Plain data, so that the data migration
(0002) loads exactly this list with its historical model; administrators change the rules
afterwards in the admin.

Thresholds: the rule's value ≥ red → red, else ≥ yellow → yellow (None: that colour is
never given). `min_count`: below this numerator a rule stays green (so one overdue case
out of two does not make a quiet community red).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

DEFAULT_RULES: list[dict[str, Any]] = [
    # Any open 群体性 or 重大 case makes the area yellow; three make it red.
    {"name": "群体性、重大矛盾纠纷", "kind": "group_major", "measure": "count",
     "yellow_threshold": "1", "red_threshold": "3", "min_count": 0},
    # Overdue open cases as a share of the open cases whose clock runs.
    {"name": "超期未办结占比", "kind": "overdue", "measure": "percent",
     "yellow_threshold": "10", "red_threshold": "30", "min_count": 2},
    # Cases registered this month so far against the same days of last month.
    {"name": "登记事件数环比上升", "kind": "rise", "measure": "percent",
     "yellow_threshold": "50", "red_threshold": "100", "min_count": 5},
    # A community that has not reported the last due week is yellow.
    {"name": "社区(村)周排查未报", "kind": "missing_checks", "measure": "count",
     "yellow_threshold": "1", "red_threshold": None, "min_count": 0,
     "for_county": False, "for_street": False, "for_community": True},
    # A street or county with any reporter missing is yellow, with 30 % missing red.
    {"name": "街道、区县周排查未报率", "kind": "missing_checks", "measure": "percent",
     "yellow_threshold": "1", "red_threshold": "30", "min_count": 1,
     "for_county": True, "for_street": True, "for_community": False},
    # Red-card (挂牌) supervision of an open case is red; a yellow card is yellow.
    {"name": "红牌督办", "kind": "red_flags", "measure": "count",
     "yellow_threshold": None, "red_threshold": "1", "min_count": 0},
    {"name": "黄牌督办", "kind": "yellow_flags", "measure": "count",
     "yellow_threshold": "1", "red_threshold": None, "min_count": 0},
]

# The English names of the default rules (ADR 0009), by Chinese name: migration 0003 fills
# them in; administrators edit them in the admin.
DEFAULT_RULE_NAMES_EN: dict[str, str] = {
    "群体性、重大矛盾纠纷": "Group or major disputes",
    "超期未办结占比": "Share of overdue open cases",
    "登记事件数环比上升": "Rise in registered cases",
    "社区(村)周排查未报": "Weekly check not reported (community)",
    "街道、区县周排查未报率": "Weekly checks not reported (street, county)",
    "红牌督办": "Red-card supervision",
    "黄牌督办": "Yellow-card supervision",
}


def fill_english_names(*, WarningRule) -> int:  # noqa: N803 (a model class, maybe historical)
    """Give the default rules still named as shipped their English name, where it is empty."""
    changed = 0
    for chinese, english in DEFAULT_RULE_NAMES_EN.items():
        changed += WarningRule.objects.filter(name=chinese, name_en="").update(name_en=english)
    return changed


def load_default_rules(*, WarningRule) -> int:  # noqa: N803 (a model class, maybe historical)
    """Create the default rules when there are none at all; returns how many."""
    if WarningRule.objects.exists():
        return 0

    def dec(value):
        return None if value is None else Decimal(value)

    WarningRule.objects.bulk_create([
        WarningRule(**{**spec, "yellow_threshold": dec(spec["yellow_threshold"]),
                       "red_threshold": dec(spec["red_threshold"])})
        for spec in DEFAULT_RULES])
    if any(f.name == "name_en" for f in WarningRule._meta.fields):
        fill_english_names(WarningRule=WarningRule)
    return len(DEFAULT_RULES)

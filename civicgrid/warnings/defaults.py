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
    # Disputes about one major matter registered in the last 30 days (rejected and merged
    # cases left out): five make the matter's owning area yellow and suggest re-assessing
    # the matter, ten make it red. Added by migration 0005 (load_matter_rule).
    MATTER_RULE := {"name": "重大事项引发矛盾纠纷", "kind": "matter_disputes", "measure": "count",
                    "yellow_threshold": "5", "red_threshold": "10", "min_count": 0},
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
    "重大事项引发矛盾纠纷": "Disputes about a major matter",
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

    # A historical model from before a kind existed (migration 0002 on a new database)
    # leaves that kind's rule to the migration that adds the kind (0005).
    kinds = {value for value, _label in WarningRule._meta.get_field("kind").choices}
    specs = [spec for spec in DEFAULT_RULES if spec["kind"] in kinds]
    WarningRule.objects.bulk_create([
        WarningRule(**{**spec, "yellow_threshold": dec(spec["yellow_threshold"]),
                       "red_threshold": dec(spec["red_threshold"])})
        for spec in specs])
    if any(f.name == "name_en" for f in WarningRule._meta.fields):
        fill_english_names(WarningRule=WarningRule)
    return len(specs)


def load_matter_rule(*, WarningRule) -> int:  # noqa: N803 (a model class, maybe historical)
    """Add the default rule on disputes about a major matter to a deployment that has no
    rule of that kind (migration 0005); returns how many were created (0 or 1)."""
    if WarningRule.objects.filter(kind=MATTER_RULE["kind"]).exists():
        return 0
    spec = {**MATTER_RULE, "yellow_threshold": Decimal(str(MATTER_RULE["yellow_threshold"])),
            "red_threshold": Decimal(str(MATTER_RULE["red_threshold"]))}
    if any(f.name == "name_en" for f in WarningRule._meta.fields):
        spec["name_en"] = DEFAULT_RULE_NAMES_EN[str(MATTER_RULE["name"])]
    WarningRule.objects.create(**spec)
    return 1

"""Call and visit outcomes: AAPOR's final disposition codes and the interim outcomes of an
attempt (AAPOR Standard Definitions, 10th edition, tables for telephone and in-person
household surveys).

Every attempt records one outcome. A final code ends the unit's fieldwork; an interim one
(no answer, busy, a callback agreed, nobody at home) leaves it open until the round's cap on
attempts is reached, when the unit takes the final code its last interim outcome maps to.
The response rates (civicgrid/surveys/estimation.py `aapor_rates`) group the final codes by
their category: I complete, P partial, R refusal and break-off, NC non-contact, O other,
UH / UO unknown eligibility, NE not eligible.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Outcome:
    code: str
    label: Promise
    category: str  # AAPOR category of a final code; "" for an interim outcome
    final: bool
    modes: tuple[str, ...] = ("cati", "face", "web")
    # An interim outcome's final code once the attempts are used up.
    exhausts_to: str = ""


COMPLETE = "1.1"
PARTIAL = "1.2"
BREAK_OFF = "2.12"
NOT_ATTEMPTED = "3.11"
NOT_ELIGIBLE = "4.7"
QUOTA_FILLED = "4.8"

OUTCOMES: tuple[Outcome, ...] = (
    # final
    Outcome(COMPLETE, _("完成访问"), "I", True),
    Outcome(PARTIAL, _("部分完成"), "P", True),
    Outcome("2.11", _("拒绝访问"), "R", True),
    Outcome(BREAK_OFF, _("中途拒绝"), "R", True),
    Outcome("2.21", _("受访者始终无法接受访问"), "NC", True),
    Outcome("2.24", _("多次上门无人在家"), "NC", True, ("face",)),
    Outcome("2.32", _("身体或智力原因无法受访"), "O", True),
    Outcome("2.33", _("语言障碍"), "O", True),
    Outcome(NOT_ATTEMPTED, _("未联系"), "UH", True),
    Outcome("3.12", _("始终占线"), "UH", True, ("cati",)),
    Outcome("3.13", _("始终无人接听"), "UH", True, ("cati",)),
    Outcome("3.17", _("无法找到地址"), "UH", True, ("face",)),
    Outcome("4.32", _("空号或停机"), "NE", True, ("cati",)),
    Outcome("4.51", _("单位或非住宅电话"), "NE", True, ("cati",)),
    Outcome("4.6", _("空置房屋或非住宅"), "NE", True, ("face",)),
    Outcome(NOT_ELIGIBLE, _("无符合条件的受访者"), "NE", True),
    Outcome(QUOTA_FILLED, _("配额已满"), "NE", True),
    # interim
    Outcome("no_answer", _("无人接听"), "", False, ("cati",), exhausts_to="3.13"),
    Outcome("busy", _("占线"), "", False, ("cati",), exhausts_to="3.12"),
    Outcome("callback", _("约定再联系"), "", False, ("cati", "face"), exhausts_to="2.21"),
    Outcome("not_home", _("无人在家"), "", False, ("face",), exhausts_to="2.24"),
)

BY_CODE: dict[str, Outcome] = {o.code: o for o in OUTCOMES}

# What an interviewer records by hand on the call sheet: every outcome but the ones an
# interview itself produces (complete, partial, break-off, screened out, quota full).
INTERVIEW_CODES = frozenset({COMPLETE, PARTIAL, BREAK_OFF, NOT_ELIGIBLE, QUOTA_FILLED,
                             NOT_ATTEMPTED})


def recordable(mode: str) -> list[Outcome]:
    """The outcomes an interviewer may choose for an attempt in `mode`."""
    return [o for o in OUTCOMES if mode in o.modes and o.code not in INTERVIEW_CODES]


def category(code: str) -> str:
    outcome = BY_CODE.get(code)
    return outcome.category if outcome is not None and outcome.final else ""


def label(code: str) -> str:
    outcome = BY_CODE.get(code)
    return str(outcome.label) if outcome is not None else code

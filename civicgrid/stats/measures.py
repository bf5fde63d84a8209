"""The counted measures of the case rollup, each defined twice in one place: as a Python
predicate over a case's facts (what intake and every transition add or remove) and as a
database filter over the cases table (what `check_rollups` recomputes and what the case
list filters on when a leader drills down from a number). The rollup tests and
`check_rollups` prove the two definitions agree.

Most measures count a case in the month it was registered (a cohort: "of the cases
registered in March, how many are closed"). `closed_in_month` counts it in the month it was
closed (a flow: "how many were closed in March").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.models import (
    OPEN_STATUSES,
    CaseKind,
    Channel,
    HandlingLevel,
    Outcome,
    Status,
)

# Outcomes that count as a petition resolved (化解): the matter was settled or answered.
RESOLVING_OUTCOMES = (Outcome.MEDIATED, Outcome.ANSWERED, Outcome.DISPOSED)
# Outcomes of a dispute whose mediation ended (调处): succeeded, failed, or sent to law.
MEDIATION_OUTCOMES = (Outcome.MEDIATED, Outcome.MEDIATION_FAILED, Outcome.LEGAL_CHANNEL)
# Statuses in which the outcome stands (办结 and after).
DONE_STATUSES = (Status.RESOLVED, Status.VERIFIED, Status.FOLLOWED_UP, Status.CLOSED)
NOT_COUNTED = (Status.REJECTED, Status.MERGED)  # 不予受理 and duplicates leave 应结案


@dataclass(frozen=True)
class CaseFacts:
    """What the rollup reads of a case (a snapshot taken before and after each change)."""

    area_code: str
    category_id: int
    kind: str
    registered_at: datetime
    closed_at: datetime | None
    status: str
    outcome: str
    closed_on_time: bool | None
    closed_level: str
    satisfaction: int | None
    level: str
    channel: str
    is_major: bool
    is_group: bool
    is_repeat: bool


@dataclass(frozen=True)
class Measure:
    name: str
    label: Any  # a lazy translation
    test: Callable[[CaseFacts], bool]
    q: Q
    by_closing: bool = False  # counted in the month of closed_at instead of registered_at


def _counted(f: CaseFacts) -> bool:
    return f.status not in NOT_COUNTED


COUNTED_Q = ~Q(status__in=NOT_COUNTED)
DONE_Q = Q(status__in=DONE_STATUSES)


def _channel(channel: str) -> Measure:
    return Measure(f"ch_{channel}", Channel(channel).label,
                   lambda f: f.channel == channel, Q(channel=channel))


def _level(level: str) -> Measure:
    return Measure(f"lvl_{level}", HandlingLevel(level).label,
                   lambda f: f.level == level, Q(level=level))


def _closed_at(level: str) -> Measure:
    return Measure(f"closed_{level}", HandlingLevel(level).label,
                   lambda f: f.status == Status.CLOSED and f.closed_level == level,
                   Q(status=Status.CLOSED, closed_level=level))


def _outcome(outcome: str) -> Measure:
    return Measure(f"out_{outcome}", Outcome(outcome).label,
                   lambda f: f.status in DONE_STATUSES and f.outcome == outcome,
                   DONE_Q & Q(outcome=outcome))


MEASURES: tuple[Measure, ...] = (
    Measure("registered", _("登记数"), lambda f: True, Q()),
    Measure("rejected", _("不予受理数"), lambda f: f.status == Status.REJECTED,
            Q(status=Status.REJECTED)),
    Measure("merged", _("合并数"), lambda f: f.status == Status.MERGED, Q(status=Status.MERGED)),
    Measure("due", _("应结案数"), _counted, COUNTED_Q),
    Measure("open", _("在办数"), lambda f: f.status in OPEN_STATUSES,
            Q(status__in=OPEN_STATUSES)),
    Measure("suspended", _("缓办数"), lambda f: f.status == Status.SUSPENDED,
            Q(status=Status.SUSPENDED)),
    Measure("closed", _("结案数"), lambda f: f.status == Status.CLOSED, Q(status=Status.CLOSED)),
    Measure("closed_on_time", _("按期结案数"),
            lambda f: f.status == Status.CLOSED and f.closed_on_time is True,
            Q(status=Status.CLOSED, closed_on_time=True)),
    *(_closed_at(level) for level in HandlingLevel.values),
    Measure("mediation_total", _("调处数"),
            lambda f: (f.kind == CaseKind.DISPUTE and f.status in DONE_STATUSES
                       and f.outcome in MEDIATION_OUTCOMES),
            Q(category__kind=CaseKind.DISPUTE, outcome__in=MEDIATION_OUTCOMES) & DONE_Q),
    Measure("mediated", _("调解成功数"),
            lambda f: (f.kind == CaseKind.DISPUTE and f.status in DONE_STATUSES
                       and f.outcome == Outcome.MEDIATED),
            Q(category__kind=CaseKind.DISPUTE, outcome=Outcome.MEDIATED) & DONE_Q),
    Measure("first_petitions", _("初信初访数"),
            lambda f: f.kind == CaseKind.PETITION and not f.is_repeat and _counted(f),
            Q(category__kind=CaseKind.PETITION, is_repeat=False) & COUNTED_Q),
    Measure("first_petitions_resolved", _("初信初访化解数"),
            lambda f: (f.kind == CaseKind.PETITION and not f.is_repeat
                       and f.status == Status.CLOSED and f.outcome in RESOLVING_OUTCOMES),
            Q(category__kind=CaseKind.PETITION, is_repeat=False, status=Status.CLOSED,
              outcome__in=RESOLVING_OUTCOMES)),
    Measure("followed_up", _("回访数"), lambda f: f.satisfaction is not None,
            Q(satisfaction__isnull=False)),
    Measure("satisfied", _("回访满意数"),
            lambda f: f.satisfaction is not None and f.satisfaction >= 4,
            Q(satisfaction__gte=4)),
    Measure("major", _("重大矛盾纠纷数"), lambda f: f.is_major, Q(is_major=True)),
    Measure("group", _("群体性事件数"), lambda f: f.is_group, Q(is_group=True)),
    *(_channel(channel) for channel in Channel.values),
    *(_level(level) for level in HandlingLevel.values),
    *(_outcome(outcome) for outcome in Outcome.values),
    Measure("closed_in_month", _("当月结案数"),
            lambda f: f.status == Status.CLOSED and f.closed_at is not None,
            Q(status=Status.CLOSED, closed_at__isnull=False), by_closing=True),
)
BY_NAME = {m.name: m for m in MEASURES}
NAMES = tuple(m.name for m in MEASURES)

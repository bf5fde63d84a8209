"""The risk module's figures (docs/risk.md, "Follow-up and figures"): 应评尽评率 per area and
month, matters by level and by decision, and a matter's follow-up (the cases tagged with
it). Counted from the rows, in the database; the callers (the monthly release, the
dashboard, the matter's page) check the reader's scope of the area first.

应评尽评率 of an area and a month:

    denominator = matters owned in the area's subtree (`area_code` under the area's code),
                  registered in that month (Asia/Shanghai), not withdrawn (已撤销), that
                  required assessment (`assessment_required`) and were not exempted
                  (`exemption_status` = approved);
    numerator   = those of them with an assessment that carries a level (status rated,
                  reported or decided — or superseded by a re-assessment after it was
                  rated: the matter was assessed, and a re-assessment under way must not
                  take it out of the figure);
    rate        = numerator ÷ denominator × 100 %, None when the denominator is 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.apps import apps
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from civicgrid.core.hooks import SlotEmpty
from civicgrid.core.numbers import ratio
from civicgrid.core.periods import add_months
from civicgrid.risk import hooks
from civicgrid.risk.models import (
    Assessment,
    AssessmentStatus,
    Decision,
    DecisionKind,
    ExemptionStatus,
    Matter,
    MatterStatus,
    RiskLevel,
)
from civicgrid.workcalendar.calendar import SHANGHAI

# An assessment that gave the matter a level.
LEVELLED = (AssessmentStatus.RATED, AssessmentStatus.REPORTED, AssessmentStatus.DECIDED)
# The follow-up window: as the warnings module's rule counts it (its selectors define the
# window; the number is repeated here, below that layer, and a test holds them equal).
FOLLOWUP_DAYS = 30


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """[first instant, first instant of the next month) of `month`, in Asia/Shanghai."""
    first = month.replace(day=1)
    after = add_months(first, 1)
    return (datetime(first.year, first.month, 1, tzinfo=SHANGHAI),
            datetime(after.year, after.month, 1, tzinfo=SHANGHAI))


def _period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Whole months from `start`'s month to `end`'s month, inclusive."""
    return month_bounds(start)[0], month_bounds(end)[1]


def required_matters(*, area_code: str, start: datetime, end: datetime) -> QuerySet[Matter]:
    """The denominator's matters: owned in the subtree, registered in [start, end), not
    withdrawn, assessment required and not exempted."""
    return (Matter.objects.filter(area_code__startswith=area_code, registered_at__gte=start,
                                  registered_at__lt=end, assessment_required=True)
            .exclude(status=MatterStatus.WITHDRAWN)
            .exclude(exemption_status=ExemptionStatus.APPROVED))


def _assessed() -> Exists:
    return Exists(Assessment.objects.filter(matter=OuterRef("pk"), level__gt="",
                                            status__in=LEVELLED + (AssessmentStatus.SUPERSEDED,)))


@dataclass(frozen=True)
class AssessmentRate:
    """应评尽评率 of an area and a month (or months)."""

    assessed: int  # numerator
    required: int  # denominator
    rate: Decimal | None  # percent, two places (core.numbers.ratio); None: nothing required

    @property
    def text(self) -> str:
        return "—" if self.rate is None else f"{self.rate}%"


def assessment_rate(*, area_code: str, month: date,
                    end_month: date | None = None) -> AssessmentRate:
    """应评尽评率 of the area's subtree for `month` (to `end_month`, whole months). One
    query."""
    start, end = _period_bounds(month, end_month or month)
    row = (required_matters(area_code=area_code, start=start, end=end)
           .aggregate(required=Count("pk"), assessed=Count("pk", filter=Q(_assessed()))))
    required, assessed = row["required"] or 0, row["assessed"] or 0
    return AssessmentRate(assessed, required, ratio(assessed, required))


def assessment_rates_by_child(*, area_code: str, child_codes: list[str], month: date,
                              end_month: date | None = None) -> dict[str, AssessmentRate]:
    """The rate of each child area (code → rate), in one query."""
    start, end = _period_bounds(month, end_month or month)
    qs = required_matters(area_code=area_code, start=start, end=end)
    rows = qs.annotate(done=_assessed()).values_list("area_code", "done")
    counts: dict[str, list[int]] = {code: [0, 0] for code in child_codes}
    for code, done in rows:
        for child in child_codes:
            if code.startswith(child):
                counts[child][0] += 1 if done else 0
                counts[child][1] += 1
                break
    return {code: AssessmentRate(a, r, ratio(a, r)) for code, (a, r) in counts.items()}


@dataclass(frozen=True)
class MatterBreakdown:
    """Matters of an area and period by their standing level and decision."""

    registered: int  # matters registered in the period, not withdrawn
    by_level: dict[str, int]  # RiskLevel → matters whose latest levelled assessment says so
    unrated: int  # no levelled assessment
    by_decision: dict[str, int]  # DecisionKind → matters with that standing decision
    undecided: int  # no standing decision
    withdrawn: int  # registered in the period and withdrawn since
    reassessment_suggested: int  # a re-assessment suggestion stands


def matters_breakdown(*, area_code: str, start: date, end: date) -> MatterBreakdown:
    """Matters owned in the area's subtree and registered in the months `start` to `end`
    (whole months, Asia/Shanghai), by level (their latest assessment with a level) and by
    decision (their standing decision). Four queries."""
    begin, after = _period_bounds(start, end)
    matters = Matter.objects.filter(area_code__startswith=area_code, registered_at__gte=begin,
                                    registered_at__lt=after)
    live = matters.exclude(status=MatterStatus.WITHDRAWN)
    withdrawn = matters.filter(status=MatterStatus.WITHDRAWN).count()
    levels: dict[int, str] = {}
    for matter_id, level in (Assessment.objects.filter(matter__in=live, level__gt="")
                             .order_by("matter_id", "round").values_list("matter_id", "level")):
        levels[matter_id] = level  # the latest round wins
    ids = list(live.values_list("pk", "reassessment_suggested_at"))
    by_level = dict.fromkeys(RiskLevel.values, 0)
    for level in levels.values():
        by_level[level] = by_level.get(level, 0) + 1
    decisions = (Decision.objects.filter(matter__in=live, superseded=False)
                 .values("kind").annotate(n=Count("pk")))
    by_decision = dict.fromkeys(DecisionKind.values, 0)
    for row in decisions:
        by_decision[row["kind"]] = row["n"]
    decided = sum(by_decision.values())
    return MatterBreakdown(
        registered=len(ids), by_level=by_level, unrated=len(ids) - len(levels),
        by_decision=by_decision, undecided=len(ids) - decided, withdrawn=withdrawn,
        reassessment_suggested=sum(1 for _pk, at in ids if at is not None))


# --- a matter's follow-up ------------------------------------------------------------------

@dataclass(frozen=True)
class KindCount:
    kind: str  # CaseKind value (the cases app's)
    label: str
    total: int
    open: int
    closed: int


@dataclass
class MatterFollowup:
    """The cases tagged with a matter (rejected and merged ones left out: `valid`)."""

    matter: Matter
    total: int = 0  # valid tagged cases
    open: int = 0
    closed: int = 0
    excluded: int = 0  # 不予受理 and 已合并, not counted
    kinds: list[KindCount] = field(default_factory=list)
    disputes_recent: int = 0  # disputes registered in the follow-up window
    window_start: date | None = None  # its first day (local)
    threshold: int | None = None  # the lowest threshold of the active rule, if any
    over: bool = False  # disputes_recent reached the threshold
    suggested_at: datetime | None = None
    suggested_reason: str = ""


def followup_window_start(now: datetime) -> datetime:
    """The first instant of the follow-up window: local midnight 29 days before today."""
    local = timezone.localtime(now, SHANGHAI)
    first = local.date() - timedelta(days=FOLLOWUP_DAYS - 1)
    return datetime(first.year, first.month, first.day, tzinfo=SHANGHAI)


def _threshold() -> int | None:
    try:
        return hooks.followup_threshold.get()()
    except SlotEmpty:
        return None


def matter_followup(matter: Matter, *, threshold: int | None = None,
                    now: datetime | None = None) -> MatterFollowup:
    """The follow-up of `matter`: its tagged cases by kind, open and closed, and the
    disputes of the follow-up window against `threshold` (unless given, the warnings rule's
    lowest threshold, through the port `risk.hooks.followup_threshold`; None without an
    active rule). Two queries
    (the cases by kind and state, and the window's disputes), whatever the number of
    cases. The figures do not depend on the reader: the matter's page shows them to whoever
    may read the matter; the cases behind each number are listed in the reader's scope."""
    now = now or timezone.now()
    if threshold is None:
        threshold = _threshold()
    # The values of the cases app's choices, named here as the rows hold them (risk sits
    # below cases and does not import it).
    open_statuses = ["registered", "accepted", "handling", "handed_off", "resolved",
                     "verified", "followed_up", "suspended"]
    excluded = ["rejected", "merged"]
    rows = (matter.cases.values("category__kind")
            .annotate(total=Count("pk", filter=~Q(status__in=excluded)),
                      open=Count("pk", filter=Q(status__in=open_statuses)),
                      closed=Count("pk", filter=Q(status="closed")),
                      excluded=Count("pk", filter=Q(status__in=excluded)))
            .order_by("category__kind"))
    out = MatterFollowup(matter=matter, threshold=threshold,
                         suggested_at=matter.reassessment_suggested_at,
                         suggested_reason=matter.reassessment_reason)
    labels = _kind_labels()
    for row in rows:
        kind = row["category__kind"]
        out.total += row["total"]
        out.open += row["open"]
        out.closed += row["closed"]
        out.excluded += row["excluded"]
        if row["total"]:
            out.kinds.append(KindCount(kind, labels.get(kind, kind), row["total"],
                                       row["open"], row["closed"]))
    start = followup_window_start(now)
    out.window_start = timezone.localtime(start, SHANGHAI).date()
    out.disputes_recent = (matter.cases.filter(category__kind="dispute",
                                               registered_at__gte=start, registered_at__lt=now)
                           .exclude(status__in=excluded).count())
    out.over = threshold is not None and out.disputes_recent >= threshold
    return out


def _kind_labels() -> dict[str, str]:
    """The case kinds' names, read from the model's field (no import of the cases app)."""
    category = apps.get_model("cases", "Category")
    return {str(k): str(v) for k, v in category._meta.get_field("kind").choices or []}

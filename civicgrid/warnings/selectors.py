"""Reads of weekly checks and area warnings.

Completeness and timeliness (DHIS2/SORMAS reporting rates), for an area's subtree and a
set of weeks:

    expected = Σ over the weeks: expected reporters in the subtree that week
    reports  = Σ over the weeks: checks (zero reports included) of those reporters
    on_time  = Σ over the weeks: those checks whose first submission was on time
    completeness = reports ÷ expected;  timeliness = on_time ÷ expected

Expected reporters of a week are the areas of the reporting levels (CheckSettings), minus
the areas excused that week, plus the areas added that week (ReporterOverride). A check of
an area that was not expected that week is not counted. A resubmission changes the one row
of (area, week), so nothing is counted twice. For a period of months only the weeks whose
Monday lies in those months *and* whose report is already due count: a week still open
cannot be missing or late yet.

Every read of an area that a user sees takes the reader (`actor`) and checks the area
against the reader's scope first (civicgrid/areas/readers.py): outside it, Area.DoesNotExist,
as for a missing area. The helpers that take a code prefix (`expected_reporters`,
`missing_reporters`, `area_measures`) serve the services and these selectors, not pages.

Every function here runs a fixed number of queries whatever the number of areas, cases or
weeks: counts are aggregated in the database (grouped by a prefix of the area code when a
breakdown is wanted) and only the override rows, which are few, are read one by one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any, NotRequired, TypedDict

from django.db.models import Count, F, Max, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.areas.models import CODE_LENGTH, Area, Level
from civicgrid.areas.readers import require_area
from civicgrid.cases.models import (
    CLOCKED_STATUSES,
    OPEN_STATUSES,
    Case,
    CaseKind,
    Status,
    SupervisionLevel,
)
from civicgrid.core.numbers import ratio
from civicgrid.core.scope import get_scope
from civicgrid.risk.models import MatterStatus
from civicgrid.warnings.models import (
    EVALUATED_LEVELS,
    SEVERITY,
    AreaStatus,
    CheckConflict,
    CheckReminder,
    CheckSettings,
    OverrideMode,
    ReporterOverride,
    RuleKind,
    StatusColour,
    WarningRule,
    WeeklyCheck,
    WeeklyCheckRevision,
)
from civicgrid.warnings.weeks import (
    WEEK,
    due_at,
    last_due_week,
    local_date,
    local_now,
    weeks_in,
)

KEYS = ("reports", "on_time", "expected")


def check_settings() -> CheckSettings:
    """The settings row, or the defaults when it is missing (e.g. after a flush)."""
    return CheckSettings.objects.filter(pk=1).first() or CheckSettings()


def _zero() -> dict[str, int]:
    return dict.fromkeys(KEYS, 0)


def rate(numerator: int, denominator: int) -> Decimal | None:
    """numerator ÷ denominator × 100, two places, half up; None for x ÷ 0 (the KPI rule,
    civicgrid/stats/indicators.py, in one place)."""
    return ratio(numerator, denominator)


@dataclass(frozen=True)
class Override:
    code: str
    level: str
    mode: str
    since: date | None
    until: date | None

    def applies(self, week: date) -> bool:
        return (self.since is None or self.since <= week) and \
            (self.until is None or week <= self.until)


def _overrides(prefix: str) -> list[Override]:
    return [Override(*row) for row in ReporterOverride.objects
            .filter(area__code__startswith=prefix)
            .values_list("area__code", "area__level", "mode", "since", "until")]


def is_expected(area: Area, week: date, cfg: CheckSettings | None = None,
                override: ReporterOverride | None | bool = False) -> bool:
    """Whether `area` is an expected reporter in `week` (`override=False`: look it up)."""
    cfg = cfg or check_settings()
    if override is False:
        override = ReporterOverride.objects.filter(area=area).first()
    base = area.level in cfg.reporter_levels
    if isinstance(override, ReporterOverride) and override.applies(week):
        return override.mode == OverrideMode.ADDED
    return base



def reporter_expected(*, actor: User | None, area: Area, week: date) -> bool:
    """Whether the area is an expected reporter in `week`, for a reader of the area."""
    require_area(actor, area)
    return is_expected(area, week)

Totals = dict[tuple[str, date], dict[str, int]]


def _totals(*, prefix: str, weeks: list[date], group_len: int | None,
            cfg: CheckSettings) -> Totals:
    """{(group key, week): {"reports", "on_time", "expected"}} for the subtree `prefix`;
    the key is the first `group_len` characters of the reporter's code ('' when
    `group_len` is None). Four queries: the reporters counted by key, the checks counted by
    key and week, the overrides of the subtree and the checks of the overridden areas."""
    out: Totals = defaultdict(_zero)
    levels = cfg.reporter_levels
    if not weeks:
        return out

    def key_of(code: str) -> str | None:
        if group_len is None:
            return ""
        return code[:group_len] if len(code) >= group_len else None

    if levels:
        areas = Area.objects.filter(code__startswith=prefix, level__in=levels)
        checks = WeeklyCheck.objects.filter(
            area_code__startswith=prefix, week__in=weeks,
            area_code__length__in=[CODE_LENGTH[Level(level)] for level in levels])
        if group_len is None:
            area_rows: list[tuple[str, int]] = [("", areas.count())]
            check_rows = list(checks.values("week").annotate(
                reports=Count("pk"), on_time=Count("pk", filter=Q(on_time=True)))
                .values_list("week", "reports", "on_time").order_by())
            keyed_checks = [("", w, r, t) for w, r, t in check_rows]
        else:
            area_rows = list(areas.annotate(key=Substr("code", 1, group_len))
                             .values("key").annotate(n=Count("pk"))
                             .values_list("key", "n").order_by())
            keyed_checks = list(checks.annotate(key=Substr("area_code", 1, group_len))
                                .values("key", "week")
                                .annotate(reports=Count("pk"),
                                          on_time=Count("pk", filter=Q(on_time=True)))
                                .values_list("key", "week", "reports", "on_time")
                                .order_by())
        for key, n in area_rows:
            if group_len is None or len(key) == group_len:
                for week in weeks:
                    out[(key, week)]["expected"] += n
        for key, week, reports, on_time in keyed_checks:
            if group_len is None or len(key) == group_len:
                out[(key, week)]["reports"] += reports
                out[(key, week)]["on_time"] += on_time

    overrides = _overrides(prefix)
    if overrides:
        reported = {(code, week): on_time for code, week, on_time in WeeklyCheck.objects
                    .filter(area_code__in=[o.code for o in overrides], week__in=weeks)
                    .values_list("area_code", "week", "on_time")}
        for o in overrides:
            okey = key_of(o.code)
            if okey is None:
                continue
            if (o.mode == OverrideMode.EXCUSED) != (o.level in levels):
                continue  # excusing a non-reporter or adding a reporter changes nothing
            sign = -1 if o.mode == OverrideMode.EXCUSED else 1
            for week in weeks:
                if not o.applies(week):
                    continue
                counts = out[(okey, week)]
                counts["expected"] += sign
                if (o.code, week) in reported:
                    counts["reports"] += sign
                    counts["on_time"] += sign * int(reported[(o.code, week)])
    return out


def _by_key(totals: Totals) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = defaultdict(_zero)
    for (key, _week), counts in totals.items():
        for name in KEYS:
            out[key][name] += counts[name]
    return out


def _by_week(totals: Totals) -> dict[date, dict[str, int]]:
    out: dict[date, dict[str, int]] = defaultdict(_zero)
    for (_key, week), counts in totals.items():
        for name in KEYS:
            out[week][name] += counts[name]
    return out


def due_weeks(start: date, end: date, *, now: datetime | None = None,
              cfg: CheckSettings | None = None) -> list[date]:
    """The weeks of the months `start`..`end` whose report is due by `now`."""
    cfg = cfg or check_settings()
    now = now or timezone.now()
    return [w for w in weeks_in(start, end) if due_at(w, cfg) <= now]


def check_totals(*, actor: User | None, area: Area, start: date, end: date,
                 now: datetime | None = None) -> dict[str, int]:
    """Reports, on-time reports and expected reports of the area's subtree in the months
    `start`..`end` (first days of months, inclusive). Five queries at most."""
    require_area(actor, area)
    cfg = check_settings()
    weeks = due_weeks(start, end, now=now, cfg=cfg)
    totals = _by_key(_totals(prefix=area.code, weeks=weeks, group_len=None, cfg=cfg))
    return dict(totals.get("") or _zero())


def check_totals_by_child(*, actor: User | None, area: Area, start: date, end: date,
                          now: datetime | None = None) -> dict[str, dict[str, int]]:
    """`check_totals` for each child area of `area`, keyed by child code (every child is
    present, with zeros if it expects nothing). Six queries at most."""
    require_area(actor, area)
    cfg = check_settings()
    children = list(Area.objects.filter(parent=area).order_by("code")
                    .values_list("code", flat=True))
    if not children:
        return {}
    weeks = due_weeks(start, end, now=now, cfg=cfg)
    totals = _by_key(_totals(prefix=area.code, weeks=weeks, group_len=len(children[0]),
                             cfg=cfg))
    return {code: dict(totals.get(code) or _zero()) for code in children}


# --- one week: who reported, who is missing ----------------------------------------------

def expected_reporters(*, prefix: str, week: date,
                       cfg: CheckSettings | None = None) -> QuerySet[Area]:
    """The areas of the subtree that are expected to report `week` (two queries)."""
    cfg = cfg or check_settings()
    excused: list[str] = []
    added: list[str] = []
    for o in _overrides(prefix):
        if o.applies(week):
            (excused if o.mode == OverrideMode.EXCUSED else added).append(o.code)
    return (Area.objects.filter(code__startswith=prefix)
            .filter(Q(level__in=cfg.reporter_levels) | Q(code__in=added))
            .exclude(code__in=excused))


def missing_reporters(*, prefix: str, week: date,
                      cfg: CheckSettings | None = None) -> QuerySet[Area]:
    """Expected reporters of the subtree without a check for `week`."""
    reported = WeeklyCheck.objects.filter(week=week, area_code__startswith=prefix) \
        .values("area_id")
    return expected_reporters(prefix=prefix, week=week, cfg=cfg).exclude(pk__in=reported)


@dataclass
class ChildRow:
    area: Area
    totals: dict[str, int]

    @property
    def completeness(self) -> Decimal | None:
        return rate(self.totals["reports"], self.totals["expected"])

    @property
    def timeliness(self) -> Decimal | None:
        return rate(self.totals["on_time"], self.totals["expected"])

    @property
    def missing(self) -> int:
        return self.totals["expected"] - self.totals["reports"]


@dataclass
class CheckOverview:
    area: Area
    week: date | None
    month: date | None
    weeks: list[date]
    due: datetime | None
    total: ChildRow
    children: list[ChildRow]
    own: WeeklyCheck | None
    own_expected: bool
    missing: list[tuple[Area, CheckReminder | None]] = field(default_factory=list)
    missing_more: int = 0
    by_week: list[tuple[date, ChildRow]] = field(default_factory=list)

    @property
    def children_report(self) -> bool:
        """Whether any child area has reporters (a community's grids usually do not)."""
        return any(row.totals["expected"] for row in self.children)


MISSING_LIST_LIMIT = 200


def check_overview(*, actor: User | None, area: Area, week: date | None = None,
                   month: date | None = None, now: datetime | None = None) -> CheckOverview:
    """Completeness and timeliness of the area's subtree and of each child, for one week
    (due or not, with the list of missing reporters) or for the due weeks of one month
    (with each week's totals). A fixed number of queries."""
    require_area(actor, area)
    now = now or timezone.now()
    cfg = check_settings()
    children = list(Area.objects.filter(parent=area).order_by("code"))
    if month is not None:
        weeks = due_weeks(month, month, now=now, cfg=cfg)
    else:
        assert week is not None
        weeks = [week]
    whole = _totals(prefix=area.code, weeks=weeks, group_len=None, cfg=cfg)
    by_child = _by_key(_totals(prefix=area.code, weeks=weeks,
                               group_len=len(children[0].code), cfg=cfg)) if children else {}
    total = ChildRow(area, dict(_by_key(whole).get("") or _zero()))
    rows = [ChildRow(c, dict(by_child.get(c.code) or _zero())) for c in children]
    if month is not None:
        per_week = _by_week(whole)
        return CheckOverview(
            area=area, week=None, month=month, weeks=weeks, due=None, total=total,
            children=rows, own=None, own_expected=False,
            by_week=[(w, ChildRow(area, dict(per_week.get(w) or _zero()))) for w in weeks])
    assert week is not None
    missing_areas = list(missing_reporters(prefix=area.code, week=week, cfg=cfg)
                         .order_by("code")[:MISSING_LIST_LIMIT])
    reminders: dict[int, CheckReminder] = {}
    for reminder in CheckReminder.objects.filter(
            week=week, area_id__in=[a.pk for a in missing_areas]).order_by("sent_at"):
        reminders[reminder.area_id] = reminder  # the latest one
    own = WeeklyCheck.objects.filter(area=area, week=week).first()
    return CheckOverview(
        area=area, week=week, month=None, weeks=weeks, due=due_at(week, cfg), total=total,
        children=rows, own=own, own_expected=is_expected(area, week, cfg),
        missing=[(a, reminders.get(a.pk)) for a in missing_areas],
        missing_more=max(total.missing - len(missing_areas), 0))


@dataclass(frozen=True)
class WeekState:
    week: date
    due: datetime
    check: WeeklyCheck | None
    expected: bool
    is_open: bool  # not yet due

    @property
    def state(self) -> str:
        if not self.expected:
            return "not_expected"
        if self.check is not None:
            if not self.check.on_time:
                return "late"
            return "zero" if self.check.is_zero else "reported"
        return "open" if self.is_open else "missing"


def recent_weeks(*, actor: User | None, area: Area, weeks: int = 8,
                 now: datetime | None = None) -> list[WeekState]:
    """The area's last `weeks` weeks, newest first, with their check (three queries)."""
    require_area(actor, area)
    now = now or timezone.now()
    cfg = check_settings()
    override = ReporterOverride.objects.filter(area=area).first()
    this_week = local_date(now) - timedelta(days=local_date(now).weekday())
    span = [this_week - WEEK * i for i in range(weeks)]
    checks = {c.week: c for c in WeeklyCheck.objects.filter(area=area, week__in=span)}
    return [WeekState(w, due_at(w, cfg), checks.get(w), is_expected(area, w, cfg, override),
                      due_at(w, cfg) > now) for w in span]


def default_report_week(*, actor: User | None, area: Area,
                        now: datetime | None = None) -> date:
    """The week the form opens on: last week while it is missing or not yet due, else
    this week."""
    require_area(actor, area)
    now = now or timezone.now()
    cfg = check_settings()
    this_week = local_date(now) - timedelta(days=local_date(now).weekday())
    last = this_week - WEEK
    if due_at(last, cfg) > now or not WeeklyCheck.objects.filter(area=area, week=last).exists():
        return last
    return this_week


def weekly_check(*, actor: User | None, area: Area, week: date) -> WeeklyCheck | None:
    """The area's check of `week` with who submitted it, or None."""
    require_area(actor, area)
    return (WeeklyCheck.objects.restrict(actor, "view").filter(area=area, week=week)
            .select_related("submitted_by", "first_submitted_by").first())


def check_revisions(*, actor: User | None, check: WeeklyCheck) -> list[WeeklyCheckRevision]:
    """Every submission of the check, newest first (none outside the reader's scope)."""
    visible = WeeklyCheck.objects.restrict(actor, "view").filter(pk=check.pk)
    return list(WeeklyCheckRevision.objects.filter(check_row__in=visible).order_by("-revision"))


def check_conflicts(*, actor: User | None, check: WeeklyCheck) -> list[CheckConflict]:
    """The check's conflicts between edits made apart, open ones first, then newest."""
    visible = WeeklyCheck.objects.restrict(actor, "view").filter(pk=check.pk)
    return list(CheckConflict.objects.filter(check_row__in=visible)
                .select_related("resolved_by").order_by(F("resolved_at").desc(nulls_first=True),
                                                        "-id"))


def checks_of_week(*, actor: User | None, areas: list[Area], week: date) -> list[WeeklyCheck]:
    """The checks of `week` on record for `areas` (those the reader may see)."""
    return list(WeeklyCheck.objects.restrict(actor, "view").filter(area__in=areas, week=week))


def reportable_areas(*, actor: User | None) -> list[Area]:
    """The user's own jurisdiction areas that report a weekly check (this week)."""
    scope = get_scope(actor)
    if not scope.area_codes:
        return []
    cfg = check_settings()
    week = local_date() - timedelta(days=local_date().weekday())
    areas = list(Area.objects.filter(code__in=scope.area_codes).order_by("code"))
    overrides = {o.area_id: o for o in ReporterOverride.objects.filter(area__in=areas)}
    return [a for a in areas if is_expected(a, week, cfg, overrides.get(a.pk))]


# --- area warnings: the measures behind the rules ------------------------------------------

@dataclass
class AreaMeasures:
    group_major: int = 0  # open cases flagged 群体性 or 重大
    overdue: int = 0  # open cases past their stage due time (suspended ones excluded)
    clocked: int = 0  # open cases whose clock runs
    red_flags: int = 0  # open cases under red-card supervision
    yellow_flags: int = 0
    registered_current: int = 0  # this month so far
    registered_previous: int = 0  # the same days of last month
    expected_checks: int = 0  # expected reporters of the last due week (subtree)
    missing_checks: int = 0
    # The major matters this area owns with disputes in the follow-up window, most first
    # (not rolled up: a matter's warning is its owning area's).
    matters: list[MatterDisputes] = field(default_factory=list)


@dataclass(frozen=True)
class MatterDisputes:
    """Disputes about one major matter in the follow-up window (`matter_disputes`)."""

    matter_id: int
    number: str
    title: str
    area_code: str  # the owning area's code
    count: int


@dataclass(frozen=True)
class MeasureContext:
    now: datetime
    check_week: date
    current_start: datetime
    previous_start: datetime
    previous_end: datetime


def rise_windows(now: datetime) -> tuple[datetime, datetime, datetime]:
    """Month-on-month windows: this month from its first day to `now`, against last month
    from its first day for the same elapsed time (capped at the end of last month)."""
    local = local_now(now)
    current_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    last_month = (current_start.date() - timedelta(days=1)).replace(day=1)
    previous_start = current_start.replace(year=last_month.year, month=last_month.month)
    previous_end = min(previous_start + (local - current_start), current_start)
    return current_start, previous_start, previous_end


# The follow-up window of the rule on disputes about a major matter: the last 30 days,
# today included, counted in whole local days (from midnight, Asia/Shanghai, 29 days ago),
# so that the case list's date filter from that day shows exactly the cases counted.
MATTER_WINDOW_DAYS = 30


def matter_window_start(now: datetime) -> datetime:
    local = local_now(now)
    first = local.date() - timedelta(days=MATTER_WINDOW_DAYS - 1)
    return local.replace(year=first.year, month=first.month, day=first.day, hour=0,
                         minute=0, second=0, microsecond=0)


def matter_disputes(*, now: datetime | None = None) -> list[MatterDisputes]:
    """Every major matter, not withdrawn, with the disputes (cases whose category is of kind
    dispute) tagged with it and registered in the window (`matter_window_start` to `now`),
    rejected (不予受理) and merged (已合并) cases left out; most disputes first. One query."""
    now = now or timezone.now()
    rows = (Case.objects
            .filter(matter__isnull=False, category__kind=CaseKind.DISPUTE,
                    registered_at__gte=matter_window_start(now), registered_at__lt=now)
            .exclude(status__in=[Status.REJECTED, Status.MERGED])
            .exclude(matter__status=MatterStatus.WITHDRAWN)
            .values("matter_id", "matter__number", "matter__title", "matter__area_code")
            .annotate(n=Count("pk")).order_by("-n", "matter__number"))
    return [MatterDisputes(r["matter_id"], r["matter__number"], r["matter__title"],
                           r["matter__area_code"], r["n"]) for r in rows]


def matter_disputes_since(*, matter_id: int, since: datetime, now: datetime) -> int:
    """The disputes about one matter registered from `since` to `now` (as counted by
    `matter_disputes`): those that came after an assessment began are the ones it did not
    weigh."""
    return (Case.objects.filter(matter_id=matter_id, category__kind=CaseKind.DISPUTE,
                                registered_at__gte=since, registered_at__lt=now)
            .exclude(status__in=[Status.REJECTED, Status.MERGED]).count())


def matter_dispute_threshold() -> int | None:
    """The lowest threshold (yellow, else red) of the active rules on disputes about a
    matter: from this many a matter is warned about and suggested for re-assessment."""
    values = [t for y, r in WarningRule.objects.filter(kind=RuleKind.MATTER_DISPUTES,
                                                        active=True)
              .values_list("yellow_threshold", "red_threshold")
              for t in ((y if y is not None else r),) if t is not None]
    return int(min(values).to_integral_value(rounding=ROUND_CEILING)) if values else None


def matter_status_area(code: str) -> str:
    """The evaluated area that carries a matter's warning: its owning area, or the
    community holding it when it is owned by a grid ("" above the county: no status)."""
    if len(code) < CODE_LENGTH[Level.COUNTY]:
        return ""
    return code[:CODE_LENGTH[Level.COMMUNITY]]


def _rollup_prefixes(code: str) -> list[str]:
    return [code[:n] for n in (CODE_LENGTH[lv] for lv in EVALUATED_LEVELS) if len(code) >= n]


def area_measures(*, now: datetime | None = None,
                  cfg: CheckSettings | None = None) -> tuple[MeasureContext,
                                                             dict[str, AreaMeasures]]:
    """The measures of every county, street and community (code → measures), from one
    aggregate query over the cases grouped by the community prefix of their area code,
    plus the last due week's reporters and checks (three or four queries)."""
    now = now or timezone.now()
    cfg = cfg or check_settings()
    current_start, previous_start, previous_end = rise_windows(now)
    week = last_due_week(now, cfg)
    context = MeasureContext(now, week, current_start, previous_start, previous_end)
    out: dict[str, AreaMeasures] = defaultdict(AreaMeasures)

    open_q = Q(status__in=OPEN_STATUSES)
    rows = (Case.objects
            .filter(open_q | Q(registered_at__gte=previous_start), registered_at__lt=now)
            .annotate(key=Substr("area_code", 1, CODE_LENGTH[Level.COMMUNITY]))
            .values("key")
            .annotate(
                group_major=Count("pk", filter=open_q & (Q(is_group=True) | Q(is_major=True))),
                overdue=Count("pk", filter=Q(status__in=CLOCKED_STATUSES,
                                             stage_due_at__lt=now)),
                clocked=Count("pk", filter=Q(status__in=CLOCKED_STATUSES)),
                red_flags=Count("pk", filter=open_q & Q(supervision=SupervisionLevel.RED)),
                yellow_flags=Count("pk",
                                   filter=open_q & Q(supervision=SupervisionLevel.YELLOW)),
                registered_current=Count("pk", filter=Q(registered_at__gte=current_start)),
                registered_previous=Count("pk", filter=Q(registered_at__gte=previous_start,
                                                         registered_at__lt=previous_end)),
            ).order_by())
    names = ("group_major", "overdue", "clocked", "red_flags", "yellow_flags",
             "registered_current", "registered_previous")
    for row in rows:
        data: dict[str, Any] = dict(row)
        for prefix in _rollup_prefixes(data["key"]):
            m = out[prefix]
            for name in names:
                setattr(m, name, getattr(m, name) + data[name])

    expected = expected_reporters(prefix="", week=week, cfg=cfg).values_list("code", flat=True)
    reported = set(WeeklyCheck.objects.filter(week=week).values_list("area_code", flat=True))
    for code in expected:
        for prefix in _rollup_prefixes(code):
            out[prefix].expected_checks += 1
            if code not in reported:
                out[prefix].missing_checks += 1
    for found in matter_disputes(now=now):
        owner = matter_status_area(found.area_code)
        if owner:
            out[owner].matters.append(found)
    return context, out


# --- area warnings: reading statuses -------------------------------------------------------

def latest_status_day() -> date | None:
    day: date | None = AreaStatus.objects.aggregate(day=Max("day"))["day"]
    return day


class Reason(TypedDict):
    """Why an area is not green: one rule that was not (an item of AreaStatus.reasons)."""

    rule: int  # the WarningRule's pk
    name: str
    kind: str  # RuleKind
    measure: str  # Measure
    status: str  # StatusColour: yellow or red
    value: int | float
    threshold: int | float
    count: int
    detail: dict[str, object]  # the figures the text names beyond value and threshold
    text: NotRequired[str]  # the Chinese text, written once the rest is known


# `reason` is one stored reason (AreaStatus.reasons, written by evaluate_area; a reason of an
# older evaluation may lack a key): read with .get, each value checked where it is used.
def reason_text(reason: Reason) -> str:
    """The human text of one reason, in the current language (the stored `text` is the
    Chinese one written at evaluation)."""
    kind, measure = reason.get("kind"), reason.get("measure")
    value, threshold = reason.get("value"), reason.get("threshold")
    detail = reason.get("detail") or {}
    colour = StatusColour(reason.get("status", StatusColour.YELLOW)).label
    params = {"value": value, "threshold": threshold, "colour": colour,
              "count": reason.get("count"), **detail}
    if kind == RuleKind.GROUP_MAJOR:
        text = _("未办结的群体性、重大矛盾纠纷 %(value)s 件(%(colour)s阈值 %(threshold)s 件)")
    elif kind == RuleKind.OVERDUE and measure == "percent":
        text = _("超期未办结事件占在办事件 %(value)s%%,共 %(count)s 件"
                 "(%(colour)s阈值 %(threshold)s%%)")
    elif kind == RuleKind.OVERDUE:
        text = _("超期未办结事件 %(value)s 件(%(colour)s阈值 %(threshold)s 件)")
    elif kind == RuleKind.RISE:
        text = _("本月至今登记 %(current)s 件,上月同期 %(previous)s 件,环比上升 %(value)s%%"
                 "(%(colour)s阈值 %(threshold)s%%)")
    elif kind == RuleKind.MISSING_CHECKS and measure == "percent":
        text = _("%(week)s 当周排查 %(expected)s 个上报单位中 %(count)s 个未报,"
                 "未报率 %(value)s%%(%(colour)s阈值 %(threshold)s%%)")
    elif kind == RuleKind.MISSING_CHECKS:
        text = _("%(week)s 当周排查 %(expected)s 个上报单位中 %(value)s 个未报"
                 "(%(colour)s阈值 %(threshold)s 个)")
    elif kind == RuleKind.RED_FLAGS:
        text = _("红牌督办中的事件 %(value)s 件(%(colour)s阈值 %(threshold)s 件)")
    elif kind == RuleKind.YELLOW_FLAGS:
        text = _("黄牌督办中的事件 %(value)s 件(%(colour)s阈值 %(threshold)s 件)")
    elif kind == RuleKind.MATTER_DISPUTES and detail.get("others"):
        text = _("重大事项 %(matter)s(%(title)s)近30日引发矛盾纠纷 %(value)s 件(%(colour)s阈值 "
                 "%(threshold)s 件),另有 %(others)s 个重大事项达到阈值,建议重新评估")
    elif kind == RuleKind.MATTER_DISPUTES:
        text = _("重大事项 %(matter)s(%(title)s)近30日引发矛盾纠纷 %(value)s 件(%(colour)s阈值 "
                 "%(threshold)s 件),建议重新评估")
    else:
        return str(reason.get("text", ""))
    try:
        return text % params
    except (KeyError, TypeError, ValueError):
        return str(reason.get("text", ""))


@dataclass(frozen=True)
class StatusRow:
    area: Area
    status: AreaStatus

    @property
    def texts(self) -> list[str]:
        return [reason_text(r) for r in self.status.reasons]


def status_of(*, actor: User | None, area: Area, day: date | None) -> AreaStatus | None:
    require_area(actor, area)
    if day is None:
        return None
    return AreaStatus.objects.restrict(actor, "view").filter(area=area, day=day).first()


def status_warnings(*, actor: User | None, area: Area, day: date | None, only: str = "",
                    limit: int = 200) -> tuple[list[StatusRow], int]:
    """The non-green areas below `area` on `day` (`only`: "red" or "yellow"), red first,
    with their reasons, and how many there are in all."""
    require_area(actor, area)
    if day is None:
        return [], 0
    qs = (AreaStatus.objects.filter(day=day, area_code__startswith=area.code)
          .exclude(area=area).exclude(status=StatusColour.GREEN))
    if only in (StatusColour.RED, StatusColour.YELLOW):
        qs = qs.filter(status=only)
    rows = list(qs.select_related("area").order_by("area_code")[:limit])
    rows.sort(key=lambda s: (-SEVERITY[StatusColour(s.status)], s.area_code))
    return [StatusRow(s.area, s) for s in rows], qs.count()


def status_history(*, actor: User | None, area: Area, days: int = 90) -> list[AreaStatus]:
    """The area's statuses, newest first, at most `days` of them."""
    require_area(actor, area)
    return list(AreaStatus.objects.filter(area=area).order_by("-day")[:days])


def status_counts(*, actor: User | None, area: Area, day: date | None) -> dict[str, int]:
    """How many evaluated areas below `area` are green, yellow, red on `day`."""
    require_area(actor, area)
    counts = dict.fromkeys(StatusColour.values, 0)
    if day is None:
        return counts
    for status, n in (AreaStatus.objects.filter(day=day, area_code__startswith=area.code)
                      .exclude(area=area).values_list("status").annotate(n=Count("pk"))
                      .order_by()):
        counts[status] = n
    return counts


def area_status_features(*, actor: User | None, parent: Area,
                         day: date | None = None) -> dict[str, object]:
    """A GeoJSON FeatureCollection of the parent's child areas (with a boundary), each with
    properties code, name, level, status ("green"/"yellow"/"red", or "" when not
    evaluated) and reasons (the stored reasons, each with `text` in the current language),
    for `day` (default: the latest evaluated day). Three queries.

    Jurisdiction is a subtree, so every child of an area the reader may read is readable
    too: the parent is checked, the children are not one by one.
    """
    require_area(actor, parent)
    if day is None:
        day = latest_status_day()
    children = list(Area.objects.filter(parent=parent, boundary__isnull=False)
                    .order_by("code").values_list("code", "name", "level", "boundary"))
    statuses = {} if day is None else {
        code: (status, reasons) for code, status, reasons in AreaStatus.objects
        .filter(day=day, area_code__in=[c[0] for c in children])
        .values_list("area_code", "status", "reasons")}
    features = []
    for code, name, level, boundary in children:
        status, reasons = statuses.get(code, ("", []))
        features.append({
            "type": "Feature",
            "geometry": boundary,
            "properties": {
                "code": code, "name": name, "level": level, "status": status,
                "reasons": [{**r, "text": reason_text(r)} for r in reasons],
            },
        })
    return {"type": "FeatureCollection", "day": day.isoformat() if day else None,
            "features": features}

"""Every write of the weekly checks and area warnings.

- `weekly_check_submit`: an area's check for a week (first submission or resubmission);
- `check_reminders_send` (due jobs) and `weekly_check_remind` (a supervisor, by hand):
  notices to the people of areas whose check is missing;
- `area_status_evaluate` (daily): every county, street and community gets its
  red/yellow/green status with reasons; supervisors hear of every change;
- `rules_ensure_defaults`: the default warning rules (migration, demo, tests).

Each is one transaction with its audit entry. Inputs are checked before anything is
written: a refused call changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypedDict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User, UserJurisdiction
from civicgrid.accounts.roles import PERMISSIONS, Role
from civicgrid.areas.models import Area
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.core.localized import is_english
from civicgrid.core.scope import get_scope, user_can
from civicgrid.notices.models import NoticeKind
from civicgrid.notices.services import NoticeDraft, notice_send_batch
from civicgrid.notices.texts import each_language
from civicgrid.risk.models import Assessment, Matter, MatterStatus
from civicgrid.risk.services.followup import matter_reassessment_suggest
from civicgrid.units.models import Unit, UnitKind
from civicgrid.warnings.defaults import load_default_rules
from civicgrid.warnings.models import (
    EVALUATED_LEVELS,
    SEVERITY,
    AreaStatus,
    CheckConflict,
    CheckReminder,
    CheckSettings,
    Measure,
    RuleKind,
    StatusColour,
    WarningRule,
    WeeklyCheck,
    WeeklyCheckRevision,
)
from civicgrid.warnings.selectors import (
    AreaMeasures,
    MeasureContext,
    Reason,
    area_measures,
    check_settings,
    is_expected,
    matter_disputes,
    matter_disputes_since,
    matter_window_start,
    missing_reporters,
    reason_text,
)
from civicgrid.warnings.weeks import (
    current_week,
    due_at,
    is_monday,
    last_due_week,
    local_date,
    local_now,
)

MAX_COUNT = 9999
MAX_NOTES = 2000
BATCH = 1000
# A supervisor's reminder by hand skips areas reminded within this time.
MANUAL_REMIND_INTERVAL = timedelta(hours=12)
REPORTER_ROLES = sorted(role for role, perms in PERMISSIONS.items()
                        if "warnings.weeklycheck.add" in perms)
# Units that hear of a missing check when nobody holds the area itself as jurisdiction.
FALLBACK_UNIT_KINDS = (UnitKind.GOVERNANCE_CENTRE, UnitKind.COMMUNITY_COMMITTEE,
                       UnitKind.STREET_OFFICE)


def _actor_name(actor: User | None) -> str:
    if actor is None:
        return "system"
    return getattr(actor, "display_name", "") or actor.get_username()


def _actor_user(actor: User | None) -> User | None:
    return actor if actor is not None and actor.is_authenticated else None


def _lock_settings() -> CheckSettings:
    """Serialise the jobs that must not run twice at once (reminders, evaluation): a row
    lock on the settings row (PostgreSQL); SQLite transactions already hold the write
    lock from their start."""
    cfg = CheckSettings.objects.select_for_update().filter(pk=1).first()
    if cfg is None:  # a flushed database: recreate the defaults
        CheckSettings.objects.get_or_create(pk=1)
        cfg = CheckSettings.objects.select_for_update().get(pk=1)
    return cfg


# --- weekly checks -----------------------------------------------------------------------

@dataclass(frozen=True)
class CheckInput:
    disputes_found: int = 0
    resolved_on_spot: int = 0
    risk_points: int = 0
    notes: str = ""
    is_zero: bool = False


def _validate(data: CheckInput) -> CheckInput:
    errors: dict[str, list[str]] = defaultdict(list)
    counts = {}
    for name in ("disputes_found", "resolved_on_spot", "risk_points"):
        value = getattr(data, name)
        if value is None:
            value = 0
        if isinstance(value, bool) or not isinstance(value, int):
            errors[name].append(_("请填写整数。"))
            continue
        if value < 0:
            errors[name].append(_("不能为负数。"))
        elif value > MAX_COUNT:
            errors[name].append(_("不能超过 %(n)s。") % {"n": MAX_COUNT})
        counts[name] = value
    notes = (data.notes or "").strip()
    if len(notes) > MAX_NOTES:
        errors["notes"].append(_("情况说明不能超过 %(n)s 字。") % {"n": MAX_NOTES})
    if not errors:
        if data.is_zero and any(counts.values()):
            errors["is_zero"].append(
                _("零报告表示本周没有发现任何情况,不能同时填写数量;有情况请取消勾选。"))
        elif not data.is_zero and not any(counts.values()):
            errors["is_zero"].append(
                _("请填写本周排查到的数量;如本周无情况,请勾选“本周无情况(零报告)”。"))
        elif counts["resolved_on_spot"] > counts["disputes_found"]:
            errors["resolved_on_spot"].append(_("当场化解数不能多于排查发现的矛盾纠纷数。"))
    if errors:
        raise ValidationError(dict(errors))
    return CheckInput(notes=notes, is_zero=bool(data.is_zero), **counts)


def _guard_submit(*, area: Area, week: date, actor: User | None, now: datetime,
                  cfg: CheckSettings) -> None:
    if actor is not None:
        if not user_can(actor, WeeklyCheck, "add"):
            raise PermissionDenied
        if not get_scope(actor).covers_code(area.code):
            raise PermissionDenied
    if not is_monday(week):
        raise ValidationError({"week": [_("周排查按周报送,请选择一周的周一。")]})
    if week > current_week(now):
        raise ValidationError({"week": [_("这一周还没有开始,不能报送。")]})
    if not is_expected(area, week, cfg):
        raise ValidationError({"week": [_("%(area)s 这一周不需要报送周排查。")
                                        % {"area": area.name}]})


class CheckValues(TypedDict):
    """The reported columns of a weekly check (WeeklyCheck and each WeeklyCheckRevision)."""

    disputes_found: int
    resolved_on_spot: int
    risk_points: int
    notes: str
    is_zero: bool


def _checked(*, area: Area, week: date, data: CheckInput, actor: User | None,
             now: datetime) -> CheckValues:
    """Every rule of a submission, checked before anything is written; the clean values."""
    _guard_submit(area=area, week=week, actor=actor, now=now, cfg=check_settings())
    clean = _validate(data)
    return {"disputes_found": clean.disputes_found, "resolved_on_spot": clean.resolved_on_spot,
            "risk_points": clean.risk_points, "notes": clean.notes, "is_zero": clean.is_zero}


def _values(check: WeeklyCheck | WeeklyCheckRevision) -> CheckValues:
    return {"disputes_found": check.disputes_found, "resolved_on_spot": check.resolved_on_spot,
            "risk_points": check.risk_points, "notes": check.notes, "is_zero": check.is_zero}


class CheckTakenMeanwhile(Exception):
    """A first submission found the week's check created a moment ago by another one."""


def weekly_check_submit(*, area: Area, week: date, data: CheckInput, actor: User | None,
                        now: datetime | None = None, first_only: bool = False) -> WeeklyCheck:
    """Submit (or resubmit) the area's check for `week`.

    The first submission creates the row and decides `on_time` against the due time of
    that moment; it never changes later. A resubmission replaces the values and bumps
    `revision`; every submission is kept in WeeklyCheckRevision. Resubmitting the same
    values changes nothing. `actor=None` only for system seeding (the demo).
    """
    now = now or timezone.now()
    values = _checked(area=area, week=week, data=data, actor=actor, now=now)
    user = _actor_user(actor)
    with transaction.atomic():
        check = WeeklyCheck.objects.select_for_update().filter(area=area, week=week).first()
        created = False
        if check is None:
            due = due_at(week, check_settings())
            try:
                with transaction.atomic():
                    check = WeeklyCheck.objects.create(
                        area=area, area_code=area.code, week=week, due_at=due,
                        first_submitted_at=now, first_submitted_by=user, submitted_at=now,
                        submitted_by=user, on_time=now <= due, revision=1, **values)
                created = True
            except IntegrityError:  # someone submitted the same week a moment ago
                if first_only:  # (an edit made apart: merged with it instead, by the caller)
                    raise CheckTakenMeanwhile from None
                check = WeeklyCheck.objects.select_for_update().get(area=area, week=week)
        before = None
        if not created:
            before = _values(check)
            if before == values:
                return check  # the same values again (a double tap): nothing to change
            for name, value in values.items():
                setattr(check, name, value)
            check.revision += 1
            check.submitted_at = now
            check.submitted_by = user
            check.save(update_fields=[*values, "revision", "submitted_at", "submitted_by"])
        WeeklyCheckRevision.objects.create(
            check_row=check, revision=check.revision, submitted_at=now, submitted_by=user,
            submitted_by_name=_actor_name(actor), **values)
        audit_record(
            actor=actor, username="system" if actor is None else "",
            event_type=AuditEventType.WEEKLY_CHECK_SUBMITTED if before is None
            else AuditEventType.WEEKLY_CHECK_RESUBMITTED,
            subject=check,
            details={"area": area.code, "week": week.isoformat(), "revision": check.revision,
                     "on_time": check.on_time, "values": values,
                     **({"before": before} if before is not None else {})})
    return check


# --- edits made apart (offline phones): merged field by field ---------------------------

CHECK_FIELDS: tuple[str, ...] = ("disputes_found", "resolved_on_spot", "risk_points", "notes",
                                 "is_zero")
EMPTY_VALUES: CheckValues = {"disputes_found": 0, "resolved_on_spot": 0, "risk_points": 0,
                             "notes": "", "is_zero": False}


@dataclass
class MergeOutcome:
    """What became of an edit sent with the revision it was made on."""

    check: WeeklyCheck
    state: str  # "accepted" (written or already so) or "conflict" (some fields wait)
    merged: list[str] = field(default_factory=list)  # the edit's fields written
    conflicts: list[CheckConflict] = field(default_factory=list)


def three_way(base: CheckValues, mine: CheckValues,
              theirs: CheckValues) -> tuple[CheckValues, list[str]]:
    """Merge an edit made on `base` into the values on record (`theirs`): a field the edit
    did not change keeps the record's value; a field only the edit changed takes the
    edit's; a field both changed to different values keeps the record's and is returned
    as a conflict."""
    merged = dict(theirs)
    conflicts = []
    for name in CHECK_FIELDS:
        if mine[name] == base[name] or mine[name] == theirs[name]:  # type: ignore[literal-required]
            continue
        if theirs[name] == base[name]:  # type: ignore[literal-required]
            merged[name] = mine[name]  # type: ignore[literal-required]
        else:
            conflicts.append(name)
    return merged, conflicts  # type: ignore[return-value]


def weekly_check_merge(*, area: Area, week: date, base_revision: int | None, data: CheckInput,
                       actor: User, device_id: str = "", captured_at: datetime | None = None,
                       now: datetime | None = None) -> MergeOutcome:
    """Submit a check edited apart from the record (on a phone, offline), made on
    `base_revision` (None: the phone saw no check for the week).

    On the current revision this is a plain submission. On an older one the edit is merged
    field by field with what was submitted since (`three_way`); where both changed the same
    field differently, the record keeps its value, the edit's is kept as a CheckConflict and
    a supervisor chooses (`check_conflict_resolve`). When the merged values break a rule of
    the check (e.g. a zero report merged with counts), nothing of the edit is merged: every
    field it changed waits for the supervisor. Nothing the phone sent is lost.
    """
    now = now or timezone.now()
    mine = _checked(area=area, week=week, data=data, actor=actor, now=now)
    clean = CheckInput(**mine)
    if base_revision is not None and base_revision < 1:
        raise ValidationError({"base_revision": [_("版本号无效。")]})
    with transaction.atomic():
        check = WeeklyCheck.objects.select_for_update().filter(area=area, week=week).first()
        current = check.revision if check is not None else None
        if base_revision is not None and (current is None or base_revision > current):
            raise ValidationError({"base_revision": [_("版本号无效。")]})
        if check is None or base_revision == current:
            try:
                written = weekly_check_submit(area=area, week=week, data=clean, actor=actor,
                                              now=now, first_only=check is None)
            except CheckTakenMeanwhile:
                # Another phone's first submission won the race: merge with it (base: none).
                check = WeeklyCheck.objects.select_for_update().get(area=area, week=week)
            else:
                return MergeOutcome(written, "accepted", merged=list(CHECK_FIELDS))
        theirs = _values(check)
        if base_revision is None:
            base = EMPTY_VALUES
        else:
            base = _values(WeeklyCheckRevision.objects.get(check_row=check,
                                                           revision=base_revision))
        merged, conflicting = three_way(base, mine, theirs)
        changed_by_me = [n for n in CHECK_FIELDS
                         if mine[n] != base[n] and mine[n] != theirs[n]]  # type: ignore[literal-required]
        try:
            _validate(CheckInput(**merged))
        except ValidationError:
            merged, conflicting = theirs, changed_by_me
        written_fields = [n for n in CHECK_FIELDS
                          if merged[n] != theirs[n]]  # type: ignore[literal-required]
        if written_fields:
            check = weekly_check_submit(area=area, week=week, data=CheckInput(**merged),
                                        actor=actor, now=now)
        conflicts = [CheckConflict.objects.create(
            check_row=check, field=name, base_revision=base_revision,
            kept_value=theirs[name], offered_value=mine[name],  # type: ignore[literal-required]
            offered_by=_actor_user(actor), offered_by_name=_actor_name(actor),
            device_id=device_id[:64], captured_at=captured_at, created_at=now)
            for name in conflicting]
        if conflicts:
            audit_record(
                actor=actor, event_type=AuditEventType.WEEKLY_CHECK_CONFLICT, subject=check,
                details={"area": area.code, "week": week.isoformat(),
                         "base_revision": base_revision, "revision": check.revision,
                         "fields": conflicting, "merged": written_fields,
                         "device": device_id[:64]})
    return MergeOutcome(check, "conflict" if conflicts else "accepted", merged=written_fields,
                        conflicts=conflicts)


def check_conflict_resolve(*, conflict: CheckConflict, take: str, actor: User,
                           now: datetime | None = None) -> CheckConflict:
    """A supervisor chooses between the value on record (`take="kept"`) and the late edit's
    (`"offered"`). Taking the offered value resubmits the check with it (a new revision,
    the check's rules apply). Resolved once; both values stay on the conflict."""
    if take not in ("kept", "offered"):
        raise ValidationError({"take": [_("请选择保留哪一个值。")]})
    now = now or timezone.now()
    if not user_can(actor, WeeklyCheck, "resolve"):
        raise PermissionDenied
    with transaction.atomic():
        locked = (CheckConflict.objects.select_for_update().select_related("check_row__area")
                  .filter(pk=conflict.pk).first())
        if locked is None or not get_scope(actor).covers_code(locked.check_row.area_code):
            raise PermissionDenied
        if locked.resolved_at is not None:
            raise ValidationError({"take": [_("这个冲突已经裁定过了。")]})
        check = locked.check_row
        value = locked.kept_value if take == "kept" else locked.offered_value
        values = _values(check)
        if take == "kept":
            # The record stays as it is now, including anything submitted since the
            # conflict (the kept value is a snapshot: writing it back could undo that).
            value = values[locked.field]  # type: ignore[literal-required]
        elif values[locked.field] != value:  # type: ignore[literal-required]
            values[locked.field] = value  # type: ignore[literal-required]
            check = weekly_check_submit(area=check.area, week=check.week,
                                        data=CheckInput(**values), actor=actor, now=now)
        locked.resolved_at, locked.resolved_by, locked.chosen_value = now, actor, value
        locked.save(update_fields=["resolved_at", "resolved_by", "chosen_value"])
        audit_record(actor=actor, event_type=AuditEventType.WEEKLY_CHECK_CONFLICT_RESOLVED,
                     subject=check,
                     details={"area": check.area_code, "week": check.week.isoformat(),
                              "field": locked.field, "take": take, "revision": check.revision})
    return locked


# --- reminders ---------------------------------------------------------------------------

@dataclass
class ReminderReport:
    week: date | None = None
    areas: int = 0
    notices: int = 0


def _reminder_params(area: Area, week: date, cfg: CheckSettings) -> dict[str, Any]:
    """The params of the notice "weekly_check_missing" (civicgrid/notices/texts.py)."""
    due = local_now(due_at(week, cfg))
    return {"area": area.name, "week": f"{week:%Y-%m-%d}", "due": f"{due:%Y-%m-%d %H:%M}"}


def _notify_reporters(areas: list[Area], week: date, now: datetime,
                      cfg: CheckSettings) -> dict[int, int]:
    """Notices for the people of each area: the users with the right to submit whose
    jurisdiction is the area itself; for an area without such people, its governance
    centre, street office or community committee. Returns {area id: notices}."""
    if not areas:
        return {}
    by_area: dict[int, set[int]] = defaultdict(set)
    for area_id, user_id in (UserJurisdiction.objects
                             .filter(area__in=areas, user__is_active=True,
                                     user__role_grants__role__in=REPORTER_ROLES)
                             .values_list("area_id", "user_id").distinct()):
        by_area[area_id].add(user_id)
    orphans = [a.pk for a in areas if not by_area.get(a.pk)]
    units: dict[int, list[int]] = defaultdict(list)
    if orphans:
        for area_id, unit_id in (Unit.objects.filter(area_id__in=orphans, active=True,
                                                     kind__in=FALLBACK_UNIT_KINDS)
                                 .values_list("area_id", "pk").order_by("pk")):
            units[area_id].append(unit_id)
    items: list[NoticeDraft] = []
    sent: dict[int, int] = {}
    for area in areas:
        draft = NoticeDraft(NoticeKind.WEEKLY_CHECK, "weekly_check_missing",
                            _reminder_params(area, week, cfg), area_id=area.pk,
                            user_ids=sorted(by_area.get(area.pk, ())),
                            unit_ids=units.get(area.pk, []))
        sent[area.pk] = len(draft.user_ids) + len(draft.unit_ids)
        items.append(draft)
    notice_send_batch(items, now=now)
    return sent


def check_reminders_send(*, now: datetime | None = None) -> ReminderReport:
    """The due jobs' step: after the due time of the last due week, remind the people of
    every expected reporter still missing — once per area and week (a CheckReminder row
    with `automatic`, unique). Safe to run as often as wanted."""
    now = now or timezone.now()
    with transaction.atomic():
        cfg = _lock_settings()
        week = last_due_week(now, cfg)
        report = ReminderReport(week=week)
        reminded = CheckReminder.objects.filter(week=week, automatic=True).values("area_id")
        areas = list(missing_reporters(prefix="", week=week, cfg=cfg)
                     .exclude(pk__in=reminded).order_by("code"))
        if not areas:
            return report
        sent = _notify_reporters(areas, week, now, cfg)
        report.notices = sum(sent.values())
        CheckReminder.objects.bulk_create(
            [CheckReminder(area=a, week=week, automatic=True, sent_at=now,
                           recipients=sent[a.pk]) for a in areas],
            batch_size=BATCH, ignore_conflicts=True)
        report.areas = len(areas)
        audit_record(actor=None, username="system",
                     event_type=AuditEventType.WEEKLY_CHECK_REMINDERS_SENT,
                     subject_type="warnings.weeklycheck", subject_id=week.isoformat(),
                     subject_repr=f"{week:%Y-%m-%d}",
                     details={"week": week.isoformat(), "areas": report.areas,
                              "notices": report.notices,
                              "codes": [a.code for a in areas[:500]]})
    return report


def weekly_check_remind(*, area: Area, week: date, actor: User,
                        now: datetime | None = None) -> ReminderReport:
    """A supervisor reminds the missing reporters of `area`'s subtree for `week` (催报).
    Areas reminded within the last 12 hours are skipped."""
    now = now or timezone.now()
    if not user_can(actor, WeeklyCheck, "remind") or not get_scope(actor).covers_code(area.code):
        raise PermissionDenied
    if not is_monday(week) or week > current_week(now):
        raise ValidationError({"week": [_("请选择已经开始的一周。")]})
    with transaction.atomic():
        cfg = check_settings()
        recent = CheckReminder.objects.filter(week=week, sent_at__gt=now - MANUAL_REMIND_INTERVAL)
        areas = list(missing_reporters(prefix=area.code, week=week, cfg=cfg)
                     .exclude(pk__in=recent.values("area_id")).order_by("code"))
        report = ReminderReport(week=week)
        if not areas:
            return report
        sent = _notify_reporters(areas, week, now, cfg)
        report.notices = sum(sent.values())
        CheckReminder.objects.bulk_create(
            [CheckReminder(area=a, week=week, automatic=False, sent_at=now, sent_by=actor,
                           recipients=sent[a.pk]) for a in areas], batch_size=BATCH)
        report.areas = len(areas)
        audit_record(actor=actor, event_type=AuditEventType.WEEKLY_CHECK_REMINDED, subject=area,
                     details={"week": week.isoformat(), "areas": report.areas,
                              "notices": report.notices,
                              "codes": [a.code for a in areas[:500]]})
    return report


# --- warning rules -------------------------------------------------------------------------

def rules_ensure_defaults() -> int:
    """Create the default rules (civicgrid/warnings/defaults.py) when there are none."""
    return load_default_rules(WarningRule=WarningRule)


# --- area status ---------------------------------------------------------------------------

def _num(value: Decimal | int | float) -> int | float:
    """A JSON number: an integer when whole, else one decimal place."""
    d = Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return int(d) if d == d.to_integral_value() else float(d)


def _percent(numerator: int, denominator: int) -> Decimal | None:
    if denominator <= 0:
        return None
    return Decimal(numerator) * 100 / Decimal(denominator)


def rule_value(
    rule: WarningRule, m: AreaMeasures
) -> tuple[Decimal | None, int, dict[str, object]]:
    """The rule's value for an area, the count that `min_count` applies to, and details
    for the reason text."""
    kind = RuleKind(rule.kind)
    percent = rule.measure == Measure.PERCENT
    if kind == RuleKind.GROUP_MAJOR:
        return Decimal(m.group_major), m.group_major, {}
    if kind == RuleKind.OVERDUE:
        value = _percent(m.overdue, m.clocked) if percent else Decimal(m.overdue)
        return value, m.overdue, {"clocked": m.clocked}
    if kind == RuleKind.RISE:
        previous, current = m.registered_previous, m.registered_current
        value = Decimal(current - previous) * 100 / Decimal(max(previous, 1))
        return value, current, {"current": current, "previous": previous}
    if kind == RuleKind.MISSING_CHECKS:
        if m.expected_checks == 0:
            return None, 0, {}
        value = _percent(m.missing_checks, m.expected_checks) if percent \
            else Decimal(m.missing_checks)
        return value, m.missing_checks, {"expected": m.expected_checks}
    if kind == RuleKind.RED_FLAGS:
        return Decimal(m.red_flags), m.red_flags, {}
    if kind == RuleKind.MATTER_DISPUTES:
        # The area's matter with the most disputes names the reason; the others over the
        # rule's lowest threshold are counted in it.
        if not m.matters:
            return Decimal(0), 0, {}
        top = max(m.matters, key=lambda x: (x.count, x.number))
        others = sum(1 for x in m.matters if x is not top and _matter_fires(rule, x.count))
        return Decimal(top.count), top.count, {"matter": top.number, "title": top.title,
                                                "others": others}
    return Decimal(m.yellow_flags), m.yellow_flags, {}


def _matter_fires(rule: WarningRule, count: int) -> bool:
    found, _threshold = rule_status(rule, Decimal(count), count)
    return found != StatusColour.GREEN


def rule_status(rule: WarningRule, value: Decimal | None, count: int) -> tuple[str, Decimal | None]:
    """green / yellow / red for a value (≥ threshold), and the threshold reached."""
    if value is None or count < rule.min_count:
        return StatusColour.GREEN, None
    if rule.red_threshold is not None and value >= rule.red_threshold:
        return StatusColour.RED, rule.red_threshold
    if rule.yellow_threshold is not None and value >= rule.yellow_threshold:
        return StatusColour.YELLOW, rule.yellow_threshold
    return StatusColour.GREEN, None


def evaluate_area(level: str, measures: AreaMeasures, rules: list[WarningRule],
                  context: MeasureContext) -> tuple[str, list[Reason]]:
    """An area's status (the worst of its rules) and the reasons (each rule not green)."""
    status: str = StatusColour.GREEN
    reasons: list[Reason] = []
    for rule in rules:
        if not rule.applies_to(level):
            continue
        value, count, detail = rule_value(rule, measures)
        found, threshold = rule_status(rule, value, count)
        colour = str(found)
        if colour == StatusColour.GREEN or value is None or threshold is None:
            continue
        if rule.kind == RuleKind.MISSING_CHECKS:
            detail = {**detail, "week": context.check_week.isoformat()}
        reason: Reason = {
            "rule": rule.pk, "name": rule.name, "kind": rule.kind, "measure": rule.measure,
            "status": colour, "value": _num(value), "threshold": _num(threshold),
            "count": count, "detail": detail}
        with translation.override("zh-hans"):
            reason["text"] = reason_text(reason)
        reasons.append(reason)
        if SEVERITY[StatusColour(colour)] > SEVERITY[StatusColour(status)]:
            status = colour
    reasons.sort(key=lambda r: (-SEVERITY[StatusColour(r["status"])], r["rule"]))
    return status, reasons


@dataclass
class EvaluationReport:
    day: date | None = None
    counts: dict[str, int] = field(default_factory=dict)
    changed: list[tuple[str, str, str]] = field(default_factory=list)  # code, from, to
    notices: int = 0
    skipped: bool = False
    reassessments: list[str] = field(default_factory=list)  # matters suggested now


def _status_text(area: Area, before: str, after: str,
                 reasons: list[Reason]) -> tuple[str, dict[str, Any]]:
    """The notice of a status change (civicgrid/notices/texts.py): its key and params, the
    colours and the reasons in every language (formatted now, from the figures)."""
    params: dict[str, Any] = {"area": area.name,
                              "after": each_language(StatusColour(after).label)}
    if before:
        params["before"] = each_language(StatusColour(before).label)
    if reasons:
        params["reasons"] = each_language(
            lambda: ("; " if is_english() else ";").join(reason_text(r) for r in reasons))
    return ("area_status_changed" if before else "area_status_new"), params


def _notify_supervisors(changes: list[tuple[Area, str, str, list[Reason]]],
                        now: datetime) -> int:
    """A notice about an area that changed to the supervisors nearest to it: those whose
    jurisdiction is the area itself, and those of the closest area above it that has
    supervisors (the street centre hears about its communities, the district centre about
    its streets and about communities whose street has no supervisor). A district
    supervisor is not sent every community of the district: those are the streets' to act
    on, and the district sees them on the status map."""
    if not changes:
        return 0
    supervisors = list(UserJurisdiction.objects
                       .filter(user__is_active=True, user__role_grants__role=Role.SUPERVISOR)
                       .values_list("user_id", "area__code").distinct())
    items: list[NoticeDraft] = []
    for area, before, after, reasons in changes:
        covering = [(u, code) for u, code in supervisors if area.code.startswith(code)]
        above = max((len(code) for _u, code in covering if code != area.code), default=-1)
        users = sorted({u for u, code in covering
                        if code == area.code or len(code) == above})
        key, params = _status_text(area, before, after, reasons)
        items.append(NoticeDraft(NoticeKind.AREA_STATUS, key, params, area_id=area.pk,
                                 user_ids=users))
    return len(notice_send_batch(items, now=now))


def _suggest_reassessments(measures: dict[str, AreaMeasures], rules: list[WarningRule],
                           now: datetime) -> list[str]:
    """Every matter over an active `matter_disputes` rule (any colour it gives) is
    suggested for re-assessment (civicgrid/risk/services/followup.py), once: a matter whose
    suggestion stands is left alone. Whatever the levels the rule applies to: they decide
    which area statuses show the warning, not whether the matter is followed up. A matter
    owned above the county has no status but is followed up all the same."""
    matter_rules = [r for r in rules if r.kind == RuleKind.MATTER_DISPUTES]
    if not matter_rules:
        return []
    found = {m.matter_id: m for m in matter_disputes(now=now)}
    pending = {m.matter_id: m for m in found.values()
               if any(_matter_fires(rule, m.count) for rule in matter_rules)}
    if not pending:
        return []
    suggested = []
    matters = (Matter.objects.filter(pk__in=pending, reassessment_suggested_at__isnull=True)
               .exclude(status=MatterStatus.WITHDRAWN).order_by("number"))
    started = dict(Assessment.objects.filter(matter__in=matters).values("matter_id")
                   .annotate(last=Max("started_at")).values_list("matter_id", "last"))
    window = matter_window_start(now)
    for matter in matters:
        count = pending[matter.pk].count
        if started.get(matter.pk) and started[matter.pk] > window:
            # (an assessment began within the window: only the disputes since then are new
            # to it — a re-assessment that weighed them is not suggested again for them)
            count = matter_disputes_since(matter_id=matter.pk, since=started[matter.pk],
                                          now=now)
            if not any(_matter_fires(rule, count) for rule in matter_rules):
                continue
        rule = next(r for r in matter_rules if _matter_fires(r, count))
        threshold = min(t for t in (rule.yellow_threshold, rule.red_threshold) if t is not None)
        with translation.override("zh-hans"):
            reason = _("自 %(since)s 起30日内涉及该事项的矛盾纠纷 %(n)s 件,达到预警规则“%(rule)s”"
                       "的阈值 %(threshold)s 件") % {
                "since": f"{matter_window_start(now):%Y-%m-%d}", "n": count,
                "rule": rule.name, "threshold": _num(threshold)}
        if matter_reassessment_suggest(matter=matter, reason=reason, now=now):
            suggested.append(matter.number)
    return suggested


def area_status_evaluate(*, now: datetime | None = None) -> EvaluationReport:
    """Give every county, street and community its status for today (local date of
    `now`), with reasons, from the active rules. One row per area and day: a second run
    on the same day replaces that day's rows. A status that differs from the previous
    evaluation (today's earlier run, or the latest earlier day; for an area never
    evaluated: anything but green) is a change, and the supervisors covering the area get
    a notice. A fixed number of queries whatever the number of areas and cases (the bulk
    writes go in batches)."""
    now = now or timezone.now()
    day = local_date(now)
    report = EvaluationReport(day=day)
    with transaction.atomic():
        cfg = _lock_settings()
        rules = list(WarningRule.objects.filter(active=True).order_by("id"))
        context, measures = area_measures(now=now, cfg=cfg)
        areas = list(Area.objects.filter(level__in=EVALUATED_LEVELS).order_by("code")
                     .only("pk", "code", "name", "level"))
        today = {s.area_id: s for s in AreaStatus.objects.filter(day=day)}
        previous_day = (AreaStatus.objects.filter(day__lt=day).order_by("-day")
                        .values_list("day", flat=True).first())
        previous = dict(AreaStatus.objects.filter(day=previous_day)
                        .values_list("area_id", "status")) if previous_day else {}
        new_rows, updated, changes = [], [], []
        counts = dict.fromkeys(StatusColour.values, 0)
        for area in areas:
            status, reasons = evaluate_area(area.level, measures.get(area.code) or
                                            AreaMeasures(), rules, context)
            counts[status] += 1
            existing = today.get(area.pk)
            before = existing.status if existing else previous.get(area.pk, "")
            if existing is not None:
                existing.status, existing.reasons, existing.evaluated_at = status, reasons, now
                if status != before:
                    existing.previous_status = before
                updated.append(existing)
            else:
                new_rows.append(AreaStatus(area=area, area_code=area.code, day=day,
                                           status=status, reasons=reasons,
                                           previous_status=before, evaluated_at=now))
            if status != (before or StatusColour.GREEN):
                changes.append((area, before, status, reasons))
        AreaStatus.objects.bulk_create(new_rows, batch_size=BATCH)
        AreaStatus.objects.bulk_update(updated, ["status", "reasons", "previous_status",
                                                 "evaluated_at"], batch_size=BATCH)
        report.counts = counts
        report.changed = [(a.code, b, s) for a, b, s, _r in changes]
        report.notices = _notify_supervisors(changes, now)
        report.reassessments = _suggest_reassessments(measures, rules, now)
        audit_record(actor=None, username="system", event_type=AuditEventType.AREA_STATUS_EVALUATED,
                     subject_type="warnings.areastatus", subject_id=day.isoformat(),
                     subject_repr=f"{day:%Y-%m-%d}",
                     details={"day": day.isoformat(), "counts": counts,
                              "rules": [r.pk for r in rules],
                              "changed": [list(c) for c in report.changed[:500]],
                              "changed_total": len(report.changed),
                              "notices": report.notices,
                              "reassessments": report.reassessments[:500]})
    return report


def area_status_evaluate_due(*, now: datetime | None = None) -> EvaluationReport:
    """The daily job: evaluate unless today has been evaluated already (safe to retry and
    to run from the due jobs every few minutes)."""
    now = now or timezone.now()
    day = local_date(now)
    if AreaStatus.objects.filter(day=day).exists():
        return EvaluationReport(day=day, skipped=True)
    return area_status_evaluate(now=now)

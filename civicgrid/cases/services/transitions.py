"""The workflow transitions of a case (受理 … 结案 and the side paths), one service per row
of the table in civicgrid/cases/workflow.py.

Each is `case_<verb>(*, case, actor, expected_version, data)`: `data` is the row's typed
input (civicgrid/cases/inputs.py). The registry wrapper checks the table, the actor and the
row's further rule first; the body checks the input's own rules, then changes the row only
if nobody changed it since `expected_version` (optimistic locking) and writes the timeline
event, the rollup counters and the audit entry, all in one transaction.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.actors import RESIDENT_ACTOR, Actor, acting_user
from civicgrid.areas.models import Area
from civicgrid.cases import events as E  # noqa: N812
from civicgrid.cases import inputs as I  # noqa: N812
from civicgrid.cases.models import (
    LEVEL_ORDER,
    Case,
    CaseEvent,
    ExtensionRequest,
    ExtensionStatus,
    HandlingLevel,
    MediationSession,
    Outcome,
    Status,
    SupervisionLevel,
)
from civicgrid.cases.services.common import (
    CaseFields,
    apply_transition,
    due_for,
    record_event,
    refuse_longer_than_field,
    require_reason,
    sla_for,
    transition_service,
)
from civicgrid.cases.services.documents import agreement_create
from civicgrid.cases.services.routing import (
    Route,
    case_route,
    check_target_unit,
    queue_area_for,
)
from civicgrid.core.errors import RuleViolation
from civicgrid.core.transactions import service_atomic
from civicgrid.notices.models import Notice, NoticeKind
from civicgrid.notices.services import notice_send
from civicgrid.notices.texts import each_language
from civicgrid.units.models import Unit, UnitKind
from civicgrid.workcalendar.calendar import due_datetime


def dispatch_centre(case: Case) -> Unit | None:
    """The governance centre (综治中心) of the case's dispatch queue."""
    return Unit.objects.filter(kind=UnitKind.GOVERNANCE_CENTRE, area=case.queue_area,
                               active=True).first()


def _tell_reporter(case: Case, actor: Actor, text_key: str, params: dict[str, Any]) -> None:
    """The staff member who reported the case (a grid worker) learns how it ended —
    unless they did it themselves."""
    reporter = case.reported_by
    if reporter is not None and reporter.is_active and reporter != actor:
        notice_send(kind=NoticeKind.PROGRESS, case_id=case.pk, user_ids=[reporter.pk],
                    text_key=text_key, params=params)


@transition_service("accept")
@service_atomic
def case_accept(*, case: Case, actor: Actor, expected_version: int,
                data: I.NoteInput) -> Case:
    now = timezone.now()
    stage_due, fallback = due_for(case.category, "dispatch", now)
    handle_due, handle_fallback = due_for(case.category, "handle", now)
    return apply_transition(case, "accept", actor, expected_version, {
        "accepted_at": now, "stage_started_at": now, "stage_due_at": stage_due,
        "handle_due_at": handle_due,
        "due_fallback_years": ",".join(filter(None, {fallback, handle_fallback})),
    }, E.Accepted(), note=data.note)


@transition_service("reject")
@service_atomic
def case_reject(*, case: Case, actor: Actor, expected_version: int,
                data: I.ReasonInput) -> Case:
    reason = require_reason(data.reason)
    apply_transition(case, "reject", actor, expected_version, {
        "closed_at": timezone.now(), "stage_due_at": None, "outcome_note": reason,
    }, E.Rejected(), note=reason)
    _tell_reporter(case, actor, "rejected", {"no": case.number, "reason": reason})
    return case


@transition_service("dispatch")
@service_atomic
def case_dispatch(*, case: Case, actor: Actor, expected_version: int,
                  data: I.DispatchInput) -> Case:
    unit = data.unit or case.suggested_unit
    if unit is None:
        raise ValidationError({"unit": _("请选择承办单位。")})
    check_target_unit(case, unit)
    now = timezone.now()
    apply_transition(case, "dispatch", actor, expected_version, {
        "assigned_unit": unit, "dispatched_at": now, "stage_started_at": now,
        "stage_due_at": case.handle_due_at,
    }, E.Dispatched(unit=unit.name, unit_id=unit.pk), note=data.note, unit=unit)
    notice_send(kind=NoticeKind.DISPATCH, case_id=case.pk, unit_ids=[unit.pk], now=now,
                text_key="dispatched",
                params={"no": case.number,
                        "category": each_language(case.category.display_name)})
    return case


@transition_service("return")
@service_atomic
def case_return(*, case: Case, actor: Actor, expected_version: int,
                data: I.ReasonInput) -> Case:
    reason = require_reason(data.reason)
    now = timezone.now()
    stage_due, _fb = due_for(case.category, "dispatch", now)
    unit = case.assigned_unit
    apply_transition(case, "return", actor, expected_version, {
        "assigned_unit": None, "stage_started_at": now, "stage_due_at": stage_due,
    }, E.Returned(unit=unit.name if unit else ""), note=reason, unit=unit)
    centre = dispatch_centre(case)
    if centre is not None:  # back in the centre's queue: it dispatches again
        notice_send(kind=NoticeKind.RETURNED, case_id=case.pk, unit_ids=[centre.pk], now=now,
                    text_key="returned",
                    params={"unit": unit.name if unit else "", "no": case.number,
                            "reason": reason})
    return case


@transition_service("transfer")
@service_atomic
def case_transfer(*, case: Case, actor: Actor, expected_version: int,
                  data: I.TransferInput) -> Case:
    reason = require_reason(data.reason)
    unit = data.unit
    if unit.pk == case.assigned_unit_id:
        raise RuleViolation({"unit": _("请选择另一个承办单位。")})
    check_target_unit(case, unit)
    previous = case.assigned_unit
    apply_transition(case, "transfer", actor, expected_version, {
        "assigned_unit": unit, "dispatched_at": timezone.now(),
    }, E.Transferred(from_unit=previous.name if previous else "", to_unit=unit.name,
                     unit_id=unit.pk), note=reason, unit=unit)
    notice_send(kind=NoticeKind.TRANSFER, case_id=case.pk, unit_ids=[unit.pk],
                text_key="transferred_in",
                params={"no": case.number, "from": previous.name if previous else "",
                        "reason": reason})
    if previous is not None:  # the unit that had it learns it is no longer theirs
        notice_send(kind=NoticeKind.TRANSFER, case_id=case.pk, unit_ids=[previous.pk],
                    text_key="transferred_out", params={"no": case.number, "to": unit.name})
    return case


def _escalate_unavailable(case: Case) -> str | None:
    if case.level == HandlingLevel.COUNTY:
        return _("已在区级处置,不能再上报。")
    return None


ROUTING_NOTE_LENGTH = 200  # Case.routing_note


def escalation_note(*, from_level: str, route: Route, queue_area: Area, reason: str) -> str:
    """The routing note after 上报, in the style of routing's own: from which level to which,
    why (the reason, shortened to fit: the timeline keeps it whole), and where the case
    now waits — the unit routing suggests, or the dispatch centre of the new queue."""
    if route.unit is not None:
        where = route.note
    else:
        where = _("无匹配规则,进入%(area)s调度中心待派遣") % {"area": queue_area.name}
    text = _("由%(from)s上报至%(to)s(理由:%(reason)s);%(where)s")

    def note(why: str) -> str:
        return text % {"from": HandlingLevel(from_level).label,
                       "to": HandlingLevel(route.level).label, "reason": why, "where": where}

    full = note(reason)
    if len(full) <= ROUTING_NOTE_LENGTH:
        return full
    room = max(ROUTING_NOTE_LENGTH - len(note("")) - 1, 0)
    return note(reason[:room] + "…")[:ROUTING_NOTE_LENGTH]


@transition_service("escalate", unavailable=_escalate_unavailable)
@service_atomic
def case_escalate(*, case: Case, actor: Actor, expected_version: int,
                  data: I.ReasonInput) -> Case:
    """上报: one level up (村→镇→区). 矛盾不上交: nothing goes above the district."""
    reason = require_reason(data.reason)
    level = LEVEL_ORDER[LEVEL_ORDER.index(HandlingLevel(case.level)) + 1]
    route = case_route(category=case.category, area_code=case.area_code, min_level=level)
    now = timezone.now()
    stage_due, _fb = due_for(case.category, "dispatch", now)
    queue_area = queue_area_for(case.area, route.level)
    fields: CaseFields = {
        "level": route.level, "queue_area": queue_area,
        "assigned_unit": None, "suggested_unit": route.unit, "routing_rule": route.rule,
        "routing_note": escalation_note(from_level=case.level, route=route,
                                        queue_area=queue_area, reason=reason),
        "stage_started_at": now, "stage_due_at": stage_due,
        "escalations": case.escalations + 1,
    }
    if case.accepted_at is None:
        handle_due, _fb = due_for(case.category, "handle", now)
        fields["accepted_at"], fields["handle_due_at"] = now, handle_due
    previous = case.assigned_unit
    apply_transition(case, "escalate", actor, expected_version, fields,
                     E.Escalated(from_level=case.level, to_level=route.level), note=reason)
    if actor is not None:  # escalated by a person (the due jobs send their own notice)
        level_label = each_language(HandlingLevel(case.level).label)
        centre = dispatch_centre(case)
        if centre is not None:
            notice_send(kind=NoticeKind.ESCALATED, case_id=case.pk, unit_ids=[centre.pk],
                        now=now, text_key="escalated_in",
                        params={"no": case.number, "level": level_label, "reason": reason})
        if previous is not None and previous != centre:
            notice_send(kind=NoticeKind.ESCALATED, case_id=case.pk, unit_ids=[previous.pk],
                        now=now, text_key="escalated_out",
                        params={"no": case.number, "level": level_label})
    return case


@transition_service("record_session")
@service_atomic
def case_record_session(*, case: Case, actor: Actor, expected_version: int,
                        data: I.SessionInput) -> MediationSession:
    attendees, notes = data.attendees.strip(), data.notes.strip()
    if not attendees or not notes:
        raise ValidationError(_("请填写参加人员和调解情况。"))
    place = refuse_longer_than_field(MediationSession, "place", data.place.strip())
    refuse_longer_than_field(MediationSession, "attendees", attendees)
    if data.held_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"held_at": _("调解时间不能晚于现在。")})
    apply_transition(case, "record_session", actor, expected_version, {},
                     E.Session(held_at=data.held_at.isoformat()), note=notes[:500])
    return MediationSession.objects.create(
        case=case, held_at=data.held_at, place=place, mediator=acting_user(actor),
        attendees=attendees, notes=notes, created_at=timezone.now())


@transition_service("resolve")
@service_atomic
def case_resolve(*, case: Case, actor: Actor, expected_version: int,
                 data: I.ResolveInput) -> Case:
    if data.outcome not in Outcome.values:
        raise ValidationError({"outcome": _("请选择办理结果。")})
    note = require_reason(data.note, "note", I.ResolveInput)
    if data.agreement is not None and data.outcome != Outcome.MEDIATED:
        raise RuleViolation({"outcome": _("只有调解成功才能制作调解协议书。")})
    now = timezone.now()
    stage_due, _fb = due_for(case.category, "verify", now)
    on_time = case.handle_due_at is None or now <= case.handle_due_at
    apply_transition(case, "resolve", actor, expected_version, {
        "outcome": data.outcome, "outcome_note": note, "resolved_at": now,
        "stage_started_at": now, "stage_due_at": stage_due, "closed_on_time": on_time,
        "closed_level": case.level,
    }, E.Resolved(outcome=data.outcome, on_time=on_time), note=note, unit=case.assigned_unit)
    if data.agreement is not None:
        agreement_create(case=case, data=data.agreement, actor=actor)
    return case


@transition_service("verify")
@service_atomic
def case_verify(*, case: Case, actor: Actor, expected_version: int,
                data: I.NoteInput) -> Case:
    now = timezone.now()
    stage_due, _fb = due_for(case.category, "follow_up", now)
    return apply_transition(case, "verify", actor, expected_version, {
        "stage_started_at": now, "stage_due_at": stage_due,
    }, E.Verified(), note=data.note)


@transition_service("rework")
@service_atomic
def case_rework(*, case: Case, actor: Actor, expected_version: int,
                data: I.ReasonInput) -> Case:
    reason = require_reason(data.reason)
    now = timezone.now()
    return apply_transition(case, "rework", actor, expected_version, {
        "outcome": "", "resolved_at": None, "closed_on_time": None, "closed_level": "",
        "stage_started_at": now, "stage_due_at": case.handle_due_at,
    }, E.Rework(), note=reason)


@transition_service("follow_up")
@service_atomic
def case_follow_up(*, case: Case, actor: Actor, expected_version: int,
                   data: I.FollowUpInput) -> Case:
    if data.satisfaction not in (1, 2, 3, 4, 5):
        raise ValidationError({"satisfaction": _("满意度须为1至5。")})
    return apply_transition(case, "follow_up", actor, expected_version, {
        "satisfaction": data.satisfaction, "stage_started_at": timezone.now(),
        "stage_due_at": None,
    }, E.FollowedUp(satisfaction=data.satisfaction), note=data.note)


@transition_service("close")
@service_atomic
def case_close(*, case: Case, actor: Actor, expected_version: int,
               data: I.NoteInput) -> Case:
    apply_transition(case, "close", actor, expected_version, {
        "closed_at": timezone.now(), "stage_due_at": None,
    }, E.Closed(), note=data.note)
    _tell_reporter(case, actor, "closed", {"no": case.number})
    return case


def _reopen_unavailable(case: Case) -> str | None:
    if case.assigned_unit_id is None:
        return _("该事件没有承办单位,不能重新办理。")
    return None


@transition_service("reopen", unavailable=_reopen_unavailable)
@service_atomic
def case_reopen(*, case: Case, actor: Actor, expected_version: int,
                data: I.ReasonInput) -> Case:
    reason = require_reason(data.reason)
    now = timezone.now()
    handle_due, _fb = due_for(case.category, "handle", now)
    return apply_transition(case, "reopen", actor, expected_version, {
        "closed_at": None, "resolved_at": None, "outcome": "", "satisfaction": None,
        "closed_on_time": None, "closed_level": "", "stage_started_at": now,
        "stage_due_at": handle_due, "handle_due_at": handle_due,
    }, E.Reopened(), note=reason)


@transition_service("suspend")
@service_atomic
def case_suspend(*, case: Case, actor: Actor, expected_version: int,
                 data: I.ReasonInput) -> Case:
    reason = require_reason(data.reason)
    return apply_transition(case, "suspend", actor, expected_version, {
        "suspended_from": case.status, "suspended_at": timezone.now(),
    }, E.Suspended(), note=reason)


@transition_service("resume")
@service_atomic
def case_resume(*, case: Case, actor: Actor, expected_version: int,
                data: I.NoteInput) -> Case:
    """Back to where it was; the time spent suspended does not count against deadlines."""
    paused = timezone.now() - (case.suspended_at or timezone.now())
    fields: CaseFields = {"suspended_from": "", "suspended_at": None}
    if case.stage_due_at:
        fields["stage_due_at"] = case.stage_due_at + paused
    if case.handle_due_at:
        fields["handle_due_at"] = case.handle_due_at + paused
    return apply_transition(case, "resume", actor, expected_version, fields,
                            E.Resumed(paused_hours=round(paused.total_seconds() / 3600, 1)),
                            note=data.note)


# --- extensions -------------------------------------------------------------------------------

def _extension_limits_problem(case: Case, days: int = 1) -> str | None:
    category = case.category
    if days < 1:
        return _("延期天数须大于0。")
    if case.extensions_used >= category.max_extensions:
        return _("该类事件最多延期 %(n)d 次,已用完。") % {"n": category.max_extensions}
    if case.extension_days_used + days > category.max_extension_days:
        return _("该类事件累计延期不得超过 %(n)d 天。") % {"n": category.max_extension_days}
    return None


def _has_pending_extension(case: Case) -> bool:
    return case.extensions.filter(status=ExtensionStatus.PENDING).exists()


def _request_extension_unavailable(case: Case) -> str | None:
    if _has_pending_extension(case):
        return _("已有待审批的延期申请。")
    return _extension_limits_problem(case)


@transition_service("request_extension", unavailable=_request_extension_unavailable)
@service_atomic
def case_request_extension(*, case: Case, actor: Actor, expected_version: int,
                           data: I.ExtensionRequestInput) -> ExtensionRequest:
    reason = require_reason(data.reason)
    problem = _extension_limits_problem(case, data.days)
    if problem:
        raise RuleViolation({"days": problem})
    apply_transition(case, "request_extension", actor, expected_version, {},
                     E.ExtensionRequested(days=data.days), note=reason)
    request = ExtensionRequest.objects.create(case=case, days=data.days, reason=reason,
                                              requested_by=acting_user(actor),
                                              requested_at=timezone.now())
    centre = dispatch_centre(case)
    if centre is not None:
        notice_send(kind=NoticeKind.EXTENSION, case_id=case.pk, unit_ids=[centre.pk],
                    text_key="extension_requested", params={"no": case.number, "d": data.days})
    return request


def _decide_extension_unavailable(case: Case) -> str | None:
    if not _has_pending_extension(case):
        return _("没有待审批的延期申请。")
    return None


@transition_service("decide_extension", unavailable=_decide_extension_unavailable)
@service_atomic
def case_decide_extension(*, case: Case, actor: Actor, expected_version: int,
                          data: I.ExtensionDecisionInput) -> ExtensionRequest:
    request = case.extensions.get(status=ExtensionStatus.PENDING)
    fields: CaseFields = {}
    if data.approve:
        problem = _extension_limits_problem(case, request.days)
        if problem:
            raise RuleViolation({"approve": problem})
        unit = (sla_for(case.category, "handle") or (0, "calendar"))[1]
        base = case.handle_due_at or timezone.now()
        new_due, _deadline = due_datetime(base, request.days, unit)
        fields = {"handle_due_at": new_due, "extensions_used": case.extensions_used + 1,
                  "extension_days_used": case.extension_days_used + request.days}
        if case.status in (Status.HANDLING, Status.HANDED_OFF):
            fields["stage_due_at"] = new_due
    apply_transition(case, "decide_extension", actor, expected_version, fields,
                     E.ExtensionDecided(approved=data.approve, days=request.days),
                     note=data.note)
    request.status = ExtensionStatus.APPROVED if data.approve else ExtensionStatus.DENIED
    request.decided_by, request.decided_at = acting_user(actor), timezone.now()
    request.decision_note = data.note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return request


# --- supervision --------------------------------------------------------------------------------

@transition_service("supervise")
@service_atomic
def case_supervise(*, case: Case, actor: Actor, expected_version: int,
                   data: I.SuperviseInput) -> Case:
    level = data.level
    if level not in SupervisionLevel.values:
        raise ValidationError({"level": _("督办级别无效。")})
    reason = require_reason(data.reason) if level else data.reason.strip()
    apply_transition(case, "supervise", actor, expected_version, {
        "supervision": level, "supervision_reason": reason,  # within its 200 (the spec)
    }, E.Supervised(level=level), note=reason)
    target = case.assigned_unit or dispatch_centre(case)
    if level and target is not None:
        notice_send(kind=NoticeKind.SUPERVISION, case_id=case.pk, unit_ids=[target.pk],
                    text_key="supervised",
                    params={"no": case.number,
                            "level": each_language(SupervisionLevel(level).label),
                            "reason": reason})
    return case


@transition_service("remind")
@service_atomic
def case_remind(*, case: Case, actor: Actor, expected_version: int,
                data: I.RemindInput) -> Notice:
    target = case.assigned_unit or dispatch_centre(case)
    if target is None:
        raise RuleViolation(_("该事件暂无承办单位,无法催办。"))
    words = data.message.strip()
    text = words or _("请尽快办理事件 %(no)s。") % {"no": case.number}
    apply_transition(case, "remind", actor, expected_version, {}, E.Reminded(), note=text,
                     unit=target)
    key, params = (("remind_text", {"text": words}) if words
                   else ("remind_default", {"no": case.number}))
    return notice_send(kind=NoticeKind.REMINDER, case_id=case.pk, unit_ids=[target.pk],
                       text_key=key, params=params)[0]


# --- duplicates ----------------------------------------------------------------------------------

MASTER_NOT_FOUND = _("没有找到该编号的事件(或不在您的管辖范围内)。")


@transition_service("merge")
@service_atomic
def case_merge(*, case: Case, actor: Actor, expected_version: int,
               data: I.MergeInput) -> Case:
    """Close `case` as a duplicate of `master`, carrying its parties and attachments over.
    The master must be a case the actor may see (out of scope answers like missing)."""
    master = data.master
    if not Case.objects.restrict(actor, "view").filter(pk=master.pk).exists():
        raise RuleViolation({"master": MASTER_NOT_FOUND})
    if master.pk == case.pk or not master.is_open or master.merged_into_id:
        raise RuleViolation({"master": _("请选择另一个未办结的事件作为主件。")})
    reason = data.reason.strip() or _("与 %(no)s 为同一事件") % {"no": master.number}
    moved_parties = list(case.parties.all())
    known = {(p.name, p.id_number_hash, p.phone_hash) for p in master.parties.all()}
    for party in moved_parties:
        if (party.name, party.id_number_hash, party.phone_hash) not in known:
            party.pk, party.case = None, master
            party.save()
    attachments = case.attachments.update(case=master)
    apply_transition(case, "merge", actor, expected_version, {
        "merged_into": master, "closed_at": timezone.now(), "stage_due_at": None,
    }, E.Merged(master=master.number), note=reason)
    record_event(master, E.DuplicateMerged(duplicate=case.number, attachments=attachments),
                 actor, note=reason)
    return case


# --- the resident's word -------------------------------------------------------------------------

def case_note_rating(*, case: Case, satisfaction: int, comment: str) -> CaseEvent:
    """A resident's rating of a case already followed up by staff: it goes on the timeline
    beside the staff follow-up, which it does not replace (the portal's `portal_rate`
    decides which of the two applies, and audits)."""
    if satisfaction not in (1, 2, 3, 4, 5):
        raise ValidationError({"rating": _("请选择1至5星。")})
    return record_event(case, E.ResidentRating(satisfaction=satisfaction), RESIDENT_ACTOR,
                        note=comment)

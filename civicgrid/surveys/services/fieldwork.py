"""Fieldwork: what an interviewer records on a call sheet, and the web link's answers.

Each attempt on a unit records an outcome (civicgrid/surveys/dispositions.py). A final one
ends the unit; after the round's cap on attempts an interim one ends it too, as the final
code it comes to. An interview ends the unit as complete (1.1), partial (1.2: broken off
after the safety question), break-off (2.12: before it), screened out (4.7) or turned away
by a full quota (4.8) — the response keeps the screening and stratification answers and
the quota exit. When a unit ends without an interview, the next reserve of its stratum is
released to the same interviewer: reserves are used only for exhausted units.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.core.crypto import decrypt_text, keyed_hash
from civicgrid.core.errors import RuleViolation
from civicgrid.core.scope import get_scope, user_can
from civicgrid.surveys import dispositions
from civicgrid.surveys.dispositions import (
    BREAK_OFF,
    COMPLETE,
    NOT_ELIGIBLE,
    PARTIAL,
    QUOTA_FILLED,
)
from civicgrid.surveys.models import (
    CallAttempt,
    Contact,
    Mode,
    Question,
    Quota,
    Response,
    ResponseStatus,
    Round,
    RoundStatus,
    SampleUnit,
    UnitStatus,
)
from civicgrid.surveys.questionnaire import EARLY_ROLES, check_answers

WEB_TOKEN_PURPOSE = "survey-web-link"  # noqa: S105 (a hash purpose, not a secret)
CALLBACK_HORIZON_DAYS = 60


def _work_on(unit: SampleUnit, actor: User | None) -> SampleUnit:
    """The unit, locked, if `actor` is its interviewer (None: the resident's web link) and
    the round is in fieldwork; otherwise refused like a missing record."""
    if actor is not None and (not user_can(actor, SampleUnit, "change")
                              or unit.interviewer_id != actor.pk):
        raise PermissionDenied
    # Lock the unit only (not the round: interviews of one round go on side by side).
    unit = (SampleUnit.objects.select_for_update(of=("self",))
            .select_related("round", "stratum").get(pk=unit.pk))
    if actor is not None and (unit.interviewer_id != actor.pk
                              or not get_scope(actor).covers_code(unit.area_code)):
        # (an interviewer moved to another place keeps no access to their old units)
        raise PermissionDenied
    if unit.round.status != RoundStatus.FIELDWORK:
        raise RuleViolation(_("调查不在实施阶段。"))
    if not unit.released:
        raise PermissionDenied
    if unit.status == UnitStatus.DONE:
        raise RuleViolation(_("这个样本已经结束(%(code)s %(label)s)。") % {
            "code": unit.disposition, "label": dispositions.label(unit.disposition)})
    return unit


def _release_reserve(unit: SampleUnit, actor: User | None) -> SampleUnit | None:
    """The unit ended without an interview: release the stratum's next reserve (in the
    release order recorded at the draw, the interviewer's own place first)."""
    if dispositions.category(unit.disposition) in ("I", "P"):
        return None
    # In the order recorded at the draw (a seeded random order, so the replacements spread
    # over the stratum rather than walking it from its first grid), the interviewer's own
    # place first (a grid worker replaces a dwelling of their grid by another of it); a
    # reserve another release holds is skipped, so two units exhausted at once take two.
    waiting = (SampleUnit.objects.select_for_update(skip_locked=True)
               .filter(stratum_id=unit.stratum_id, reserve=True, released=False)
               .order_by("release_rank", "position"))
    interviewer = unit.interviewer
    reserve = None
    if interviewer is not None:
        reserve = waiting.filter(get_scope(interviewer).subtree_q("area_code")).first()
    if reserve is None:
        reserve = waiting.first()
    if reserve is None:
        return None
    reserve.released, reserve.released_at = True, timezone.now()
    reserve.replaces = unit
    # To the same interviewer when the reserve lies in their jurisdiction (as assignment
    # requires); otherwise it waits unassigned for the organiser.
    covers = interviewer is not None and get_scope(interviewer).covers_code(reserve.area_code)
    reserve.interviewer_id = unit.interviewer_id if covers else None
    reserve.save(update_fields=["released", "released_at", "replaces", "interviewer"])
    audit_record(actor=actor, event_type=AuditEventType.SURVEY_RESERVE_RELEASED,
                 subject=unit.round, subject_id=str(unit.round_id),
                 details={"round": unit.round.number, "stratum": unit.stratum.key,
                          "replaces": unit.pk, "reserve": reserve.pk})
    return reserve


def _finish(unit: SampleUnit, code: str) -> None:
    unit.disposition = code
    unit.status = UnitStatus.DONE
    unit.callback_at = None


@dataclass(frozen=True)
class CallResult:
    attempt: CallAttempt
    unit: SampleUnit
    released: SampleUnit | None


@transaction.atomic
def call_record(*, unit: SampleUnit, code: str, mode: str, actor: User, note: str = "",
                callback_at: datetime | None = None) -> CallResult:
    """Record one attempt on a unit of the actor's call sheet."""
    unit = _work_on(unit, actor)
    if mode not in unit.round.modes or mode == Mode.WEB:
        raise ValidationError({"mode": _("请选择本调查的电话或入户方式。")})
    allowed = {o.code for o in dispositions.recordable(mode)}
    if code not in allowed:
        raise ValidationError({"code": _("请选择联系结果。")})
    note = (note or "").strip()
    if len(note) > 200:
        raise ValidationError({"note": _("备注不能超过 200 字。")})
    outcome = dispositions.BY_CODE[code]
    now = timezone.now()
    if code == "callback" and (callback_at is None or callback_at <= now
                               or callback_at - now > timedelta(days=CALLBACK_HORIZON_DAYS)):
        raise ValidationError({"callback_at": _("请填写今后 %(n)s 天内的约定时间。") % {
            "n": CALLBACK_HORIZON_DAYS}})
    attempt = CallAttempt.objects.create(unit=unit, at=now, interviewer=actor, mode=mode,
                                         code=code, note=note)
    unit.attempts += 1
    unit.last_attempt_at = now
    unit.callback_at = callback_at if code == "callback" else None
    if outcome.final:
        _finish(unit, code)
    elif unit.attempts >= unit.round.max_attempts:
        _finish(unit, outcome.exhausts_to)
    else:
        unit.status = UnitStatus.WORKING
    unit.save(update_fields=["attempts", "last_attempt_at", "callback_at", "disposition",
                             "status"])
    released = _release_reserve(unit, actor) if unit.status == UnitStatus.DONE else None
    audit_record(actor=actor, event_type=AuditEventType.SURVEY_CALL_RECORDED,
                 subject=unit.round, details={"round": unit.round.number, "unit": unit.pk,
                                              "code": code, "final": unit.disposition})
    return CallResult(attempt=attempt, unit=unit, released=released)


def _quota_full(unit: SampleUnit, cell: str, *, lock: bool = True) -> bool:
    if not cell:
        return False
    # The cell's quotas are locked while counted (when an interview is recorded), so two
    # interviews in a full-but-one cell cannot both pass.
    quotas_qs = Quota.objects.filter(Q(stratum__isnull=True) | Q(stratum_id=unit.stratum_id),
                                     round_id=unit.round_id, cell=cell)
    quotas = list(quotas_qs.select_for_update() if lock else quotas_qs)
    counted = (ResponseStatus.COMPLETE, ResponseStatus.PARTIAL)
    for quota in quotas:
        done = Response.objects.filter(round_id=unit.round_id, cell=cell, status__in=counted)
        if quota.stratum_id is not None:
            done = done.filter(stratum_id=quota.stratum_id)
        if done.count() >= quota.target:
            return True
    return False


def quota_full_for(*, unit: SampleUnit, sex: str, age: str, actor: User) -> bool:
    """Whether the respondent's age × sex cell is already full for this unit — asked by the
    interview form as soon as the sex and age are known, so the interviewer can end the
    interview there (submitted, it is recorded as 4.8 with the quota exit). Only the unit's
    interviewer may ask."""
    if not user_can(actor, SampleUnit, "change") or unit.interviewer_id != actor.pk or \
            not get_scope(actor).covers_code(unit.area_code):
        raise PermissionDenied
    return _quota_full(unit, f"{sex}|{age}" if sex and age else "", lock=False)


@dataclass(frozen=True)
class InterviewResult:
    unit: SampleUnit
    response: Response | None
    code: str
    released: SampleUnit | None


def _interview(unit: SampleUnit, *, answers: Mapping[str, Any], mode: str,
               actor: User | None, breakoff: bool) -> InterviewResult:
    questions = list(Question.objects.filter(round_id=unit.round_id).order_by("position"))
    # The screening and stratification questions first: a full quota ends the interview
    # there (nothing after them is asked, so nothing after them is required).
    early = [q for q in questions if q.role in EARLY_ROLES]
    first = check_answers(early, {k: v for k, v in answers.items()
                                  if k in {q.key for q in early}}, complete=True)
    quota_exit = not first.errors and not first.screened_out and _quota_full(unit, first.cell)
    checked = first if quota_exit else check_answers(questions, answers,
                                                     complete=not breakoff)
    if checked.errors:
        raise ValidationError(checked.errors)
    if quota_exit:
        code, status = QUOTA_FILLED, ResponseStatus.QUOTA_FULL
    elif checked.screened_out:
        code, status = NOT_ELIGIBLE, ResponseStatus.SCREENED_OUT
    elif breakoff and checked.index_answered:
        code, status = PARTIAL, ResponseStatus.PARTIAL
    elif breakoff:
        code, status = BREAK_OFF, None
    else:
        code, status = COMPLETE, ResponseStatus.COMPLETE
    now = timezone.now()
    response = None
    if status is not None:
        response = Response.objects.create(
            round_id=unit.round_id, stratum_id=unit.stratum_id, unit=unit,
            respondent=uuid.uuid4(), mode=mode, interviewer=actor, status=status,
            quota_exit=checked.cell if status == ResponseStatus.QUOTA_FULL else "",
            cell=checked.cell, answers=checked.answers, completed_on=timezone.localdate(now),
            completed_at=now)
    CallAttempt.objects.create(unit=unit, at=now, interviewer=actor, mode=mode, code=code)
    unit.attempts += 1
    unit.last_attempt_at = now
    _finish(unit, code)
    unit.save(update_fields=["attempts", "last_attempt_at", "callback_at", "disposition",
                             "status"])
    released = _release_reserve(unit, actor)
    # (no unit in the details: the audit log is kept for ever, and a unit with the time of
    # its interview would tie the answers back to the dwelling after the close)
    audit_record(actor=actor, event_type=AuditEventType.SURVEY_INTERVIEW_RECORDED,
                 subject=unit.round, details={"round": unit.round.number,
                                              "stratum": unit.stratum.key, "code": code,
                                              "mode": mode})
    return InterviewResult(unit=unit, response=response, code=code, released=released)


@transaction.atomic
def interview_record(*, unit: SampleUnit, answers: Mapping[str, Any], mode: str,
                     actor: User, breakoff: bool = False) -> InterviewResult:
    """Record an interview held by telephone or face to face: the questionnaire's answers
    (`breakoff`: the respondent stopped before the end)."""
    unit = _work_on(unit, actor)
    if mode not in unit.round.modes or mode == Mode.WEB:
        raise ValidationError({"mode": _("请选择本调查的电话或入户方式。")})
    return _interview(unit, answers=answers, mode=mode, actor=actor, breakoff=breakoff)


# --- contacts -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ContactDetails:
    address: str
    phone: str
    name: str


def contact_for(*, unit: SampleUnit, actor: User, reveal: bool = False) -> ContactDetails:
    """How to reach one unit of the actor's call sheet: the address in clear (a sampled
    dwelling's standard address, which the interviewer visits), the phone and the name
    only when revealed, each reveal audited (the reason: this interview)."""
    if unit.interviewer_id != actor.pk or not user_can(actor, SampleUnit, "change") or \
            not get_scope(actor).covers_code(unit.area_code):
        raise PermissionDenied
    contact = Contact.objects.filter(unit_id=unit.pk).first()
    if contact is None:
        return ContactDetails("", "", "")
    address = decrypt_text(contact.address_encrypted) if contact.address_encrypted else ""
    if not reveal:
        return ContactDetails(address, "", "")
    if unit.status == UnitStatus.DONE or unit.round.status != RoundStatus.FIELDWORK:
        raise RuleViolation(_("样本已结束,不能再查看联系方式。"))
    audit_record(actor=actor, event_type=AuditEventType.SURVEY_CONTACT_REVEALED,
                 subject=unit.round, details={"round": unit.round.number, "unit": unit.pk,
                                              "reason": "survey interview"})
    return ContactDetails(
        address,
        decrypt_text(contact.phone_encrypted) if contact.phone_encrypted else "",
        decrypt_text(contact.name_encrypted) if contact.name_encrypted else "")


def contact_addresses(*, units: Sequence[SampleUnit], actor: User) -> dict[int, str]:
    """The addresses of the actor's own units, in one query (the call sheet's cards); the
    phone and the name are not read here."""
    scope = get_scope(actor)
    ids = [u.pk for u in units if u.interviewer_id == actor.pk
           and scope.covers_code(u.area_code)]
    if not ids or not user_can(actor, SampleUnit, "change"):
        return {}
    rows = (Contact.objects.filter(unit_id__in=ids).exclude(address_encrypted="")
            .values_list("unit_id", "address_encrypted"))
    return {unit_id: decrypt_text(value) for unit_id, value in rows}


def has_phone(units: Sequence[SampleUnit]) -> set[int]:
    """The ids of the units whose contact has a phone (for the call sheet's buttons)."""
    return set(Contact.objects.filter(unit_id__in=[u.pk for u in units])
               .exclude(phone_encrypted="").values_list("unit_id", flat=True))


# --- the web link -------------------------------------------------------------------------

@transaction.atomic
def web_links_issue(*, round_: Round, units: Sequence[SampleUnit], actor: User
                    ) -> list[tuple[SampleUnit, str]]:
    """A fresh link token for each unit (released, not finished), shown once: the organiser
    sends it by text message or letter; only its keyed hash is kept."""
    from civicgrid.surveys.services.rounds import _visible

    _visible(actor, round_)
    if not user_can(actor, SampleUnit, "assign"):
        raise PermissionDenied
    if round_.status != RoundStatus.FIELDWORK:
        raise RuleViolation(_("调查不在实施阶段。"))
    if Mode.WEB not in round_.modes:
        raise RuleViolation(_("本调查没有网络填答方式。"))
    scope = get_scope(actor)
    rows = list(SampleUnit.objects.select_for_update().filter(
        pk__in=[u.pk for u in units], round=round_, released=True).exclude(
        status=UnitStatus.DONE))
    if len(rows) != len({u.pk for u in units}) or any(
            not scope.covers_code(u.area_code) for u in rows):
        raise RuleViolation(_("只能为本辖区已启用、未结束的样本生成链接。"))
    issued = []
    for unit in rows:
        token = secrets.token_urlsafe(16)
        unit.web_token_hash = keyed_hash(token, WEB_TOKEN_PURPOSE)
        issued.append((unit, token))
    SampleUnit.objects.bulk_update(rows, ["web_token_hash"])
    audit_record(actor=actor, event_type=AuditEventType.SURVEY_WEB_LINKS_ISSUED,
                 subject=round_, details={"round": round_.number, "units": len(rows)})
    return issued


def unit_for_token(token: str) -> SampleUnit | None:
    """The unit a web link opens, while it may still be answered."""
    if not token or len(token) > 64:
        return None
    unit = (SampleUnit.objects.select_related("round")
            .filter(web_token_hash=keyed_hash(token, WEB_TOKEN_PURPOSE)).first())
    if unit is None or unit.round.status != RoundStatus.FIELDWORK or \
            unit.status == UnitStatus.DONE or not unit.released:
        return None
    return unit


@transaction.atomic
def web_response_submit(*, token: str, answers: Mapping[str, Any]) -> InterviewResult:
    """A resident answers through their link; the link then no longer opens."""
    found = unit_for_token(token)
    if found is None:
        raise PermissionDenied
    unit = _work_on(found, None)
    result = _interview(unit, answers=answers, mode=Mode.WEB, actor=None, breakoff=False)
    SampleUnit.objects.filter(pk=unit.pk).update(web_token_hash="")
    return result

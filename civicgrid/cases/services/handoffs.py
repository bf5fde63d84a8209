"""Hand-offs (对接) to another institution — 公调 police, 检调 procuratorate, 诉调 court,
访调 petition office, 援调 legal aid — with receipt acknowledgement and the outcome tracked
back to the case."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.actors import Actor, acting_user
from civicgrid.accounts.models import User
from civicgrid.cases import events as E  # noqa: N812
from civicgrid.cases import inputs as I  # noqa: N812
from civicgrid.cases.models import Case, HandOff
from civicgrid.cases.services.common import (
    apply_transition,
    due_for,
    require_reason,
    transition_service,
)
from civicgrid.core.errors import RuleViolation
from civicgrid.core.transactions import service_atomic
from civicgrid.notices.models import NoticeKind
from civicgrid.notices.services import notice_send
from civicgrid.units.models import Unit, UnitKind

HANDOFF_UNIT_KINDS = {
    "police": UnitKind.POLICE_STATION, "procuratorate": UnitKind.PROCURATORATE,
    "court": UnitKind.COURT, "petition": UnitKind.PETITION_OFFICE,
    "legal_aid": UnitKind.LEGAL_AID,
}


def handoff_targets(*, case: Case, actor: User) -> QuerySet[Unit]:
    """The institutions a page offers for a hand-off (each option carries its kind)."""
    return (Unit.objects.restrict(actor, "view")
            .filter(active=True, kind__in=set(HANDOFF_UNIT_KINDS.values()))
            .order_by("kind", "area__code", "code"))


def check_handoff_target(kind: str, to_unit: Unit) -> None:
    expected_kind = HANDOFF_UNIT_KINDS.get(kind)
    if expected_kind is None:
        raise ValidationError({"kind": _("对接类型无效。")})
    if not to_unit.active:
        raise RuleViolation({"to_unit": _("该单位已停用。")})
    if to_unit.kind != expected_kind:
        raise RuleViolation({"to_unit": _("接收单位与对接类型不符。")})


def _hand_off_unavailable(case: Case) -> str | None:
    if case.assigned_unit_id is None:
        return _("该事件没有承办单位。")
    return None


@transition_service("hand_off", unavailable=_hand_off_unavailable)
@service_atomic
def case_hand_off(*, case: Case, actor: Actor, expected_version: int,
                  data: I.HandOffInput) -> HandOff:
    to_unit = data.to_unit
    check_handoff_target(data.kind, to_unit)
    from_unit = case.assigned_unit
    assert from_unit is not None  # _hand_off_unavailable
    now = timezone.now()
    receipt_due, _fb = due_for(case.category, "handoff_receipt", now)
    apply_transition(case, "hand_off", actor, expected_version, {},
                     E.HandedOff(kind=data.kind, to_unit=to_unit.name), note=data.note,
                     unit=to_unit)
    handoff = HandOff.objects.create(
        case=case, kind=data.kind, from_unit=from_unit, to_unit=to_unit, note=data.note,
        created_by=acting_user(actor), created_at=now,
        receipt_due_at=receipt_due or now + timedelta(days=3))
    notice_send(kind=NoticeKind.HANDOFF, case_id=case.pk, unit_ids=[to_unit.pk], now=now,
                text_key="handed_off", params={"from": from_unit.name, "no": case.number})
    return handoff


def _open_handoff(case: Case) -> HandOff | None:
    return case.handoffs.filter(outcome_at__isnull=True).order_by("-id").first()


def _acknowledge_unavailable(case: Case) -> str | None:
    handoff = _open_handoff(case)
    if handoff is None:
        return _("没有待办的对接。")
    if handoff.acknowledged_at is not None:
        return _("该对接已签收。")
    return None


@transition_service("acknowledge_handoff", unavailable=_acknowledge_unavailable)
@service_atomic
def case_acknowledge_handoff(*, case: Case, actor: Actor, expected_version: int,
                             data: I.NoInput) -> HandOff:
    handoff = _open_handoff(case)
    assert handoff is not None  # _acknowledge_unavailable
    now = timezone.now()
    apply_transition(case, "acknowledge_handoff", actor, expected_version, {},
                     E.HandoffAcknowledged(on_time=now <= handoff.receipt_due_at),
                     unit=handoff.to_unit)
    handoff.acknowledged_at, handoff.acknowledged_by = now, acting_user(actor)
    handoff.save(update_fields=["acknowledged_at", "acknowledged_by"])
    return handoff


def _outcome_unavailable(case: Case) -> str | None:
    return _("没有待办的对接。") if _open_handoff(case) is None else None


@transition_service("handoff_outcome", unavailable=_outcome_unavailable)
@service_atomic
def case_handoff_outcome(*, case: Case, actor: Actor, expected_version: int,
                         data: I.HandOffOutcomeInput) -> HandOff:
    outcome = require_reason(data.outcome, "outcome", I.HandOffOutcomeInput)
    handoff = _open_handoff(case)
    assert handoff is not None  # _outcome_unavailable
    now = timezone.now()
    apply_transition(case, "handoff_outcome", actor, expected_version, {},
                     E.HandoffOutcome(kind=handoff.kind), note=outcome, unit=handoff.to_unit)
    # Within its 200 characters: the input's length is refused above it, never cut.
    handoff.outcome, handoff.outcome_at = outcome, now
    if handoff.acknowledged_at is None:
        handoff.acknowledged_at, handoff.acknowledged_by = now, acting_user(actor)
    handoff.save(update_fields=["outcome", "outcome_at", "acknowledged_at",
                                "acknowledged_by"])
    # The case is back with the unit that handed it off: it learns the outcome.
    notice_send(kind=NoticeKind.HANDOFF_BACK, case_id=case.pk,
                unit_ids=[handoff.from_unit_id], now=now,
                text_key="handoff_outcome",
                params={"to": handoff.to_unit.name, "no": case.number, "outcome": outcome})
    return handoff

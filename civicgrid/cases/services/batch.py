"""Work on many cases at once: a dispatcher's morning queue. Each case goes through the same
services as one dispatched by hand (every rule, event, notice and audit entry), in its own
transaction, so one refusal (a changed case, a unit that may not take it) leaves the others
done and is reported with the service's own message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.cases.inputs import DispatchInput, NoteInput
from civicgrid.cases.models import Case, Status
from civicgrid.cases.services.common import StaleCase
from civicgrid.cases.services.transitions import case_accept, case_dispatch
from civicgrid.cases.workflow import TransitionNotAllowed
from civicgrid.units.models import Unit

BATCH_LIMIT = 100


@dataclass
class BatchResult:
    done: list[str] = field(default_factory=list)  # case numbers
    refused: list[tuple[str, str]] = field(default_factory=list)  # (number, why)


def _message(exc: Exception) -> str:
    if isinstance(exc, StaleCase):
        return _("该事件已被他人更新,请刷新页面后再操作。")
    if isinstance(exc, TransitionNotAllowed):
        return _("该事件当前状态不能交办。")
    if isinstance(exc, PermissionDenied):
        return _("无权交办该事件。")
    if isinstance(exc, ValidationError):  # a rule of the service (RuleViolation) included
        return ";".join(exc.messages)
    return str(exc)


def cases_dispatch_batch(*, actor: User, versions: Sequence[tuple[str, int]],
                         unit: Unit | None = None, note: str = "") -> BatchResult:
    """Accept (when still 待受理) and dispatch each case — `versions` pairs a case number
    with the version the dispatcher saw — to `unit`, or to each case's suggested unit when
    `unit` is None. Cases outside the actor's scope answer like missing ones."""
    if not versions:
        raise ValidationError(_("请先勾选要交办的事件。"))
    if len(versions) > BATCH_LIMIT:
        raise ValidationError(_("一次最多交办 %(n)d 件。") % {"n": BATCH_LIMIT})
    visible = {case.number: case for case in Case.objects.restrict(actor, "view").filter(
        number__in=[number for number, _version in versions])}
    result = BatchResult()
    for number, version in versions:
        case = visible.get(number)
        if case is None:
            result.refused.append((number, _("未找到该事件。")))
            continue
        try:
            with transaction.atomic():
                if case.status == Status.REGISTERED:
                    case = case_accept(case=case, actor=actor, expected_version=version,
                                       data=NoteInput(note=note))
                    version = case.version
                case_dispatch(case=case, actor=actor, expected_version=version,
                              data=DispatchInput(unit=unit, note=note))
        except (StaleCase, TransitionNotAllowed, PermissionDenied, ValidationError) as exc:
            result.refused.append((number, _message(exc)))
        else:
            result.done.append(number)
    return result

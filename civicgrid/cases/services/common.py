"""What every case write shares: optimistic saving, deadlines, the timeline event, the
common path of a transition (check, save, rollup, timeline, audit) and the registry of the
service that performs each row of the workflow table."""

from __future__ import annotations

import copy
import dataclasses
import functools
from collections.abc import Callable
from datetime import date, datetime
from typing import Protocol, TypedDict, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.actors import Actor, actor_name, actor_user, audit_username
from civicgrid.areas.models import Area
from civicgrid.audit.events import case_transition_event
from civicgrid.audit.services import audit_record
from civicgrid.cases import hooks
from civicgrid.cases.events import EventData
from civicgrid.cases.inputs import field_label, field_spec
from civicgrid.cases.models import Case, CaseEvent, Category, RoutingRule
from civicgrid.cases.workflow import PREVIOUS, TRANSITIONS, Transition, transition_check
from civicgrid.core.errors import RuleViolation
from civicgrid.core.rows import insert_rows
from civicgrid.core.text import refuse_longer_than_field as refuse_longer_than_field
from civicgrid.core.text import refuse_too_long as refuse_too_long
from civicgrid.core.transactions import service_atomic
from civicgrid.units.models import Unit
from civicgrid.workcalendar.calendar import DayUnit, due_datetime

# (refuse_too_long and refuse_longer_than_field are re-exported above: the length refusals
# moved to the kernel, which apps below cases use too.)
SHANGHAI = timezone.get_fixed_timezone(8 * 60)


class StaleCase(Exception):
    """Someone else changed the case since the user loaded it."""

    message = _("该事件已被他人更新,请刷新页面后再操作。")


def local_date(moment: datetime) -> date:
    return timezone.localtime(moment, SHANGHAI).date()


def sla_for(category: Category, stage: str) -> tuple[int, DayUnit] | None:
    rule = (category.sla or {}).get(stage)
    if not rule:
        return None
    unit: DayUnit = "calendar" if rule.get("unit") == "calendar" else "working"
    return int(rule["days"]), unit


def due_for(category: Category, stage: str, start: datetime) -> tuple[datetime | None, str]:
    """Due time of `stage` starting at `start`, and the fallback years used (if any)."""
    sla = sla_for(category, stage)
    if sla is None:
        return None, ""
    due, deadline = due_datetime(start, sla[0], sla[1])
    return due, ",".join(str(y) for y in deadline.fallback_years)


def record_event(case: Case, payload: EventData, actor: Actor, *, from_status: str = "",
                 to_status: str = "", note: str = "", unit: Unit | None = None) -> CaseEvent:
    """Write one timeline event of the payload's type (civicgrid/cases/events.py)."""
    event = CaseEvent(
        case=case, type=payload.type, time=timezone.now(), actor=actor_user(actor),
        actor_name=actor_name(actor), unit=unit, from_status=from_status,
        to_status=to_status, note=note, data=payload.to_json(),
    )
    insert_rows([event])
    hooks.case_event_recorded.send(event)  # webhook rows now, in this transaction
    return event


class CaseFields(TypedDict, total=False):
    """The Case columns a transition writes (QuerySet.update(**fields), then setattr), each
    with the type the column takes. mypy checks every transition's dict against this; the
    django plugin does not check update()'s keyword names against the model, so a key
    added here must be a Case column. `version` and `updated_at` are written by
    save_case itself."""

    status: str
    level: str
    queue_area: Area
    assigned_unit: Unit | None
    suggested_unit: Unit | None
    routing_rule: RoutingRule | None
    routing_note: str
    outcome: str
    outcome_note: str
    satisfaction: int | None
    accepted_at: datetime
    dispatched_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    stage_started_at: datetime
    stage_due_at: datetime | None
    handle_due_at: datetime | None
    due_fallback_years: str
    closed_on_time: bool | None
    closed_level: str
    supervision: str
    supervision_reason: str
    suspended_from: str
    suspended_at: datetime | None
    extensions_used: int
    extension_days_used: int
    merged_into: Case
    escalations: int
    # the facts corrected after intake (services/facts.py)
    category: Category
    attributes: dict[str, object]
    area: Area
    area_code: str
    lng: float | None
    lat: float | None
    address: str
    people_band: str
    is_major: bool
    is_group: bool
    is_repeat: bool


def save_case(case: Case, expected_version: int, fields: CaseFields) -> None:
    """Write `fields` only if the case is still at `expected_version`; bump the version."""
    updated = Case.objects.filter(pk=case.pk, version=expected_version).update(
        **fields, version=F("version") + 1, updated_at=timezone.now())
    if updated != 1:
        raise StaleCase
    for name, value in fields.items():
        setattr(case, name, value)
    case.version = expected_version + 1


def require_reason(reason: str, field: str = "reason", input_type: type | None = None) -> str:
    """The text without surrounding space, or the refusal the page form gives too:
    "请填写理由。" for a reason, "请填写<label>。" for another field of `input_type`."""
    reason = (reason or "").strip()
    if not reason:
        if input_type is None:
            raise ValidationError({field: _("请填写理由。")})
        raise ValidationError({field: _("请填写%(label)s。") % {
            "label": field_label(input_type, field)}})
    return reason


def refuse_inputs_too_long(data: object) -> None:
    """Every text of a transition's input within its declared length (the `max_length` of
    its spec, the same number the page's counter and the API schema show): checked here,
    so a client that skips the form is refused like the form, never cut."""
    for f in dataclasses.fields(data):  # type: ignore[arg-type]
        limit = field_spec(f).max_length
        value = getattr(data, f.name)
        if limit and isinstance(value, str):
            refuse_too_long(value.strip(), limit, f.name, field_spec(f).label)


@service_atomic
def apply_transition(case: Case, name: str, actor: Actor, expected_version: int,
                     fields: CaseFields, payload: EventData, *, note: str = "",
                     unit: Unit | None = None) -> Case:
    """The common path of every transition: check, save, rollup, timeline, audit."""
    transition = transition_check(case, name, actor)
    old_status, before = case.status, copy.copy(case)
    target = transition.target
    if target == PREVIOUS:
        target = case.suspended_from
    if target is not None:
        fields.setdefault("status", target)
    save_case(case, expected_version, fields)
    hooks.case_changed.send(before, case)
    record_event(case, payload, actor, from_status=old_status, to_status=case.status,
                 note=note, unit=unit)
    # The status pair, and the timeline event's own data beside it (a transfer's data has
    # its own "from" and "to": the units, which must not overwrite the statuses).
    details: dict[str, object] = {"from": old_status, "to": case.status}
    data = payload.to_json()
    if data:
        details["data"] = data
    audit_record(actor=actor, event_type=case_transition_event(name), subject=case,
                 username=audit_username(actor), details=details)
    return case


# --- the registry of transition services ----------------------------------------------------

InputT = TypeVar("InputT", contravariant=True)


class TransitionService(Protocol[InputT]):
    """The service that performs one row of the workflow table, taking the row's input
    (`TRANSITIONS[name].input`). Contravariant in the input: a service that takes any
    object is usable where one that takes a `NoteInput` is expected."""

    transition_name: str

    def __call__(self, *, case: Case, actor: Actor, expected_version: int,
                 data: InputT) -> object: ...


Unavailable = Callable[[Case], str | None]
"""Why a transition cannot be performed on the case now (None: it can). Rules beyond the
status and the actor: a pending extension, the extension limits, the county level."""


# Looked up by name (the pages, the API, case_act), so a row's input type is known only at
# run time: each registered wrapper takes any object and checks itself that it is the row's
# input (TypeError otherwise), hence TransitionService[object].
SERVICES: dict[str, TransitionService[object]] = {}
_UNAVAILABLE: dict[str, Unavailable] = {}

F_ = TypeVar("F_", bound=Callable[..., object])


def transition_service(name: str, *, unavailable: Unavailable | None = None
                       ) -> Callable[[F_], F_]:
    """Mark a service as the one that performs transition `name`.

    The wrapper checks, before anything else, that the workflow table allows the actor to
    perform the row in the case's status, that the input is the row's type, and that the
    row's further rule (`unavailable`) does not refuse it now. The same `unavailable` rule
    tells the pages which buttons to show (`allowed_transitions`): one rule, one place."""
    transition: Transition = TRANSITIONS[name]

    def decorator(fn: F_) -> F_:
        @functools.wraps(fn)
        def wrapper(*, case: Case, actor: Actor, expected_version: int,
                    data: object = None) -> object:
            if data is None:
                data = transition.input()
            if not isinstance(data, transition.input):
                raise TypeError(f"{name} takes {transition.input.__name__}, "
                                f"not {type(data).__name__}")
            transition_check(case, name, actor)
            refuse_inputs_too_long(data)
            if unavailable is not None:
                problem = unavailable(case)
                if problem:
                    raise RuleViolation(problem)
            return fn(case=case, actor=actor, expected_version=expected_version, data=data)

        wrapper.transition_name = name  # type: ignore[attr-defined]
        SERVICES[name] = wrapper  # type: ignore[assignment]
        if unavailable is not None:
            _UNAVAILABLE[name] = unavailable
        return wrapper  # type: ignore[return-value]
    return decorator


def unavailable_reason(case: Case, name: str) -> str | None:
    """Why transition `name` cannot be performed on `case` now, by its row's further rule."""
    rule = _UNAVAILABLE.get(name)
    return rule(case) if rule is not None else None

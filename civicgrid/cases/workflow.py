"""The case workflow: every allowed transition in one table.

Pages and the API read TRANSITIONS; the services in civicgrid/cases/services/
call `transition_check()` before any change, so a transition
this table does not allow cannot happen by any path. docs/workflow.md is generated from
this table (`manage.py workflow_diagram`).

Who may act is a set of *actor kinds*, each a role permission plus a relation to the case:
- dispatcher: the dispatch centre (supervisor role) whose jurisdiction holds the case's queue
- supervisor: a supervisor whose jurisdiction holds the case's area
- assignee:   a member (handler or unit leader) of the unit the case is assigned to
- receiver:   a member of the unit an open hand-off was sent to
- verifier:   a supervisor or grid worker whose jurisdiction holds the case's area
- system:     the periodic due-jobs (escalation of long-overdue cases)
- resident:   the resident who reported the case, acting through the public portal (no
              account: the portal proves it with the tracking number and the phone's last
              four digits, then passes RESIDENT_ACTOR as the actor)
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.actors import Actor, ResidentActor, is_resident
from civicgrid.cases import inputs
from civicgrid.cases.models import OPEN_STATUSES, Case, Status
from civicgrid.core.scope import get_scope

DISPATCHER, SUPERVISOR, ASSIGNEE, RECEIVER, VERIFIER, SYSTEM, RESIDENT = (
    "dispatcher", "supervisor", "assignee", "receiver", "verifier", "system", "resident")


ACTOR_PERMISSION = {
    DISPATCHER: "cases.case.dispatch",
    SUPERVISOR: "cases.case.supervise",
    ASSIGNEE: "cases.case.handle",
    RECEIVER: "cases.case.handle",
    VERIFIER: "cases.case.verify",
}

PREVIOUS = "previous"  # resume returns to the status the case was suspended from


class TransitionNotAllowed(Exception):
    """The case is not in a state where this transition applies."""


@dataclass(frozen=True)
class Transition:
    name: str
    label: str | Promise
    sources: frozenset[str]
    target: str | None  # None: the status does not change
    actors: frozenset[str]
    input: type  # the typed input the service takes (civicgrid/cases/inputs.py)
    reason_required: bool = False
    style: str = "secondary"  # button colour in the UI

    @property
    def changes_status(self) -> bool:
        return self.target is not None


def _t(name: str, label: str | Promise, sources: set[str] | frozenset[str], target: str | None,
       actors: set[str], input_type: type, reason: bool = False,
       style: str = "secondary") -> Transition:
    return Transition(name, label, frozenset(sources), target, frozenset(actors), input_type,
                      reason, style)


ACTIVE = OPEN_STATUSES - {Status.SUSPENDED}
I = inputs  # noqa: E741 (keeps the table's rows on one line each)

TRANSITIONS: dict[str, Transition] = {t.name: t for t in [
    _t("accept", _("受理"), {Status.REGISTERED}, Status.ACCEPTED, {DISPATCHER}, I.NoteInput,
       style="primary"),
    _t("reject", _("不予受理"), {Status.REGISTERED}, Status.REJECTED, {DISPATCHER},
       I.ReasonInput, True, "danger"),
    _t("dispatch", _("交办"), {Status.ACCEPTED}, Status.HANDLING, {DISPATCHER},
       I.DispatchInput, style="primary"),
    _t("return", _("退回"), {Status.HANDLING}, Status.ACCEPTED, {ASSIGNEE}, I.ReasonInput,
       True, "warning"),
    _t("transfer", _("转办"), {Status.HANDLING}, Status.HANDLING, {DISPATCHER},
       I.TransferInput, True),
    _t("escalate", _("上报升级"), {Status.REGISTERED, Status.ACCEPTED, Status.HANDLING},
       Status.ACCEPTED, {DISPATCHER, ASSIGNEE, SYSTEM}, I.ReasonInput, True, "warning"),
    _t("hand_off", _("对接移交"), {Status.HANDLING}, Status.HANDED_OFF, {ASSIGNEE},
       I.HandOffInput),
    _t("acknowledge_handoff", _("签收对接"), {Status.HANDED_OFF}, None, {RECEIVER},
       I.NoInput, style="primary"),
    _t("handoff_outcome", _("反馈对接结果"), {Status.HANDED_OFF}, Status.HANDLING,
       {RECEIVER, ASSIGNEE}, I.HandOffOutcomeInput),
    _t("record_session", _("记录调解"), {Status.HANDLING}, None, {ASSIGNEE},
       I.SessionInput),
    _t("resolve", _("办结"), {Status.HANDLING}, Status.RESOLVED, {ASSIGNEE}, I.ResolveInput,
       style="success"),
    _t("verify", _("核查通过"), {Status.RESOLVED}, Status.VERIFIED, {VERIFIER}, I.NoteInput,
       style="success"),
    _t("rework", _("核查不通过(返工)"), {Status.RESOLVED}, Status.HANDLING, {VERIFIER},
       I.ReasonInput, True, "warning"),
    _t("follow_up", _("回访"), {Status.VERIFIED}, Status.FOLLOWED_UP,
       {VERIFIER, SUPERVISOR, RESIDENT}, I.FollowUpInput, style="primary"),
    _t("close", _("结案"), {Status.FOLLOWED_UP}, Status.CLOSED, {SUPERVISOR, DISPATCHER},
       I.NoteInput, style="success"),
    _t("reopen", _("重新办理"), {Status.CLOSED}, Status.HANDLING, {SUPERVISOR},
       I.ReasonInput, True, "warning"),
    _t("suspend", _("缓办"), ACTIVE, Status.SUSPENDED, {SUPERVISOR}, I.ReasonInput, True),
    _t("resume", _("恢复办理"), {Status.SUSPENDED}, PREVIOUS, {SUPERVISOR}, I.NoteInput),
    _t("request_extension", _("申请延期"), {Status.HANDLING, Status.HANDED_OFF}, None,
       {ASSIGNEE}, I.ExtensionRequestInput, True),
    _t("decide_extension", _("审批延期"), {Status.HANDLING, Status.HANDED_OFF}, None,
       {SUPERVISOR}, I.ExtensionDecisionInput),
    _t("supervise", _("督办"), OPEN_STATUSES, None, {SUPERVISOR}, I.SuperviseInput, True,
       "danger"),
    _t("remind", _("催办"), ACTIVE, None, {SUPERVISOR}, I.RemindInput),
    _t("merge", _("合并为重复件"), OPEN_STATUSES, Status.MERGED,
       {DISPATCHER, SUPERVISOR, ASSIGNEE}, I.MergeInput, True),
    _t("attach", _("添加附件"), OPEN_STATUSES, None, {DISPATCHER, ASSIGNEE, VERIFIER},
       I.AttachInput),
]}


def actor_kinds(case: Case, user: Actor) -> frozenset[str]:
    """Which actor kinds `user` is for `case` (None = the system)."""
    if user is None:
        return frozenset({SYSTEM})
    if is_resident(user):
        return frozenset({RESIDENT})
    assert not isinstance(user, ResidentActor)
    scope = get_scope(user)
    kinds = set()

    def allowed(kind: str) -> bool:
        return user.is_superuser or scope.can(ACTOR_PERMISSION[kind])

    if allowed(DISPATCHER) and scope.covers_code(case.queue_area.code):
        kinds.add(DISPATCHER)
    if allowed(SUPERVISOR) and scope.covers_code(case.area_code):
        kinds.add(SUPERVISOR)
    if allowed(ASSIGNEE) and case.assigned_unit_id in scope.unit_ids:
        kinds.add(ASSIGNEE)
    if allowed(RECEIVER) and case.status == Status.HANDED_OFF:
        open_handoff = case.handoffs.filter(outcome_at__isnull=True).order_by("-id").first()
        if open_handoff is not None and open_handoff.to_unit_id in scope.unit_ids:
            kinds.add(RECEIVER)
    if allowed(VERIFIER) and scope.covers_code(case.area_code):
        kinds.add(VERIFIER)
    return frozenset(kinds)


def transition_check(case: Case, name: str, user: Actor) -> Transition:
    """Raise unless `user` may perform transition `name` on `case` in its current status."""
    transition = TRANSITIONS[name]
    if case.status not in transition.sources:
        raise TransitionNotAllowed(name)
    if not (transition.actors & actor_kinds(case, user)):
        raise PermissionDenied
    return transition

"""Every row of the transition table, from every status: allowed where the table says so,
refused everywhere else with nothing changed; and refused for people who are not one of
the row's actors."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from civicgrid.audit.models import AuditEntry
from civicgrid.cases import services as svc
from civicgrid.cases.models import (
    Case,
    ExtensionRequest,
    HandOff,
    Outcome,
    Status,
)
from civicgrid.cases.services import allowed_transitions
from civicgrid.cases.tests.conftest import new_case, snapshot
from civicgrid.cases.workflow import (
    ASSIGNEE,
    DISPATCHER,
    RECEIVER,
    SUPERVISOR,
    TRANSITIONS,
    VERIFIER,
    TransitionNotAllowed,
)
from civicgrid.stats.rollups import case_facts, stat_apply
from civicgrid.testing import build_office, shared

# The district (civicgrid/cases/tests/conftest.py), built once for this module and rolled
# back after each test (civicgrid/testing.py).
office_once, office = shared(build_office, name="office")


def png_bytes(size=(40, 30), color=(200, 60, 60)) -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


PNG = png_bytes()


def put_in_status(office, case: Case, status: str, transition: str) -> Case:
    """Test set-up only: put a case straight into `status` with consistent fields."""
    now = timezone.now()
    fields = {"status": status, "assigned_unit": office.world.unit_a, "accepted_at": now,
              "handle_due_at": now + timezone.timedelta(days=30)}
    if status == Status.SUSPENDED:
        fields.update(suspended_from=Status.HANDLING, suspended_at=now)
    if status in (Status.RESOLVED, Status.VERIFIED, Status.FOLLOWED_UP, Status.CLOSED):
        fields.update(outcome=Outcome.DISPOSED, resolved_at=now)
    if status == Status.MERGED:
        fields["merged_into"] = new_case(office, description="另一件事的主件,情况不同")
    before = case_facts(case)
    Case.objects.filter(pk=case.pk).update(**fields)
    case.refresh_from_db()
    stat_apply(before, case_facts(case))  # keep the counters true to the rows
    if status == Status.HANDED_OFF:
        HandOff.objects.create(case=case, kind="police", from_unit=office.world.unit_a,
                               to_unit=office.police, created_at=now, receipt_due_at=now)
    if transition == "decide_extension":
        ExtensionRequest.objects.create(case=case, days=5, reason="需要补充材料",
                                        requested_by=office.people["mediator"],
                                        requested_at=now)
    return case


ACTOR_FOR = {DISPATCHER: "dispatcher", SUPERVISOR: "dispatcher", ASSIGNEE: "mediator",
             RECEIVER: "police", VERIFIER: "grid"}


def actor_for(office, transition):
    kinds = [k for k in (DISPATCHER, SUPERVISOR, ASSIGNEE, RECEIVER, VERIFIER)
             if k in transition.actors]
    return office.people[ACTOR_FOR[kinds[0]]]


def arguments(office, name: str, case: Case) -> dict:
    now = timezone.now()
    master = None
    if name == "merge":
        master = new_case(office, description="同一纠纷的另一次反映,作为主件")
    return {
        "reject": {"reason": "不属于受理范围"},
        "dispatch": {"unit": office.world.unit_a},
        "return": {"reason": "不属于本单位职责"},
        "transfer": {"unit": office.community_committee, "reason": "属地管理"},
        "escalate": {"reason": "涉及面广"},
        "hand_off": {"kind": "police", "to_unit": office.police},
        "handoff_outcome": {"outcome": "已出警处理"},
        "record_session": {"held_at": now, "attendees": "张三、李四", "notes": "双方各自陈述"},
        "resolve": {"outcome": Outcome.MEDIATED, "note": "双方达成一致"},
        "rework": {"reason": "现场核查问题仍存在"},
        "follow_up": {"satisfaction": 5},
        "reopen": {"reason": "当事人反映未履行"},
        "suspend": {"reason": "等待司法鉴定"},
        "request_extension": {"days": 5, "reason": "需要补充材料"},
        "decide_extension": {"approve": True},
        "supervise": {"level": "yellow", "reason": "群众反映强烈"},
        "merge": {"master": master, "reason": "重复反映"},
        "attach": {"uploads": [SimpleUploadedFile("a.png", PNG, "image/png")]},
    }.get(name, {})


def perform(office, name: str, case: Case, actor, args: dict | None = None):
    args = arguments(office, name, case) if args is None else args
    return svc.case_act(name, case=case, actor=actor, expected_version=case.version, **args)


# --- the table, written out by hand ----------------------------------------------------------
#
# What the brief's pipeline allows, independent of civicgrid/cases/workflow.py: for each
# transition the (from → to) pairs and who may perform it. A transition, a source status or
# an actor added to (or dropped from) the code without changing this table fails
# test_the_code_has_exactly_the_hand_written_table.

R, A, H, HO = "registered", "accepted", "handling", "handed_off"
RS, V, FU, S = "resolved", "verified", "followed_up", "suspended"
CL, RJ, M = "closed", "rejected", "merged"
SAME = None  # the status does not change
BACK = "previous"  # 恢复办理 returns to the status the case was suspended from

EXPECTED: dict[str, tuple[dict[str, str | None], set[str]]] = {
    "accept": ({R: A}, {"dispatcher"}),
    "reject": ({R: RJ}, {"dispatcher"}),
    "dispatch": ({A: H}, {"dispatcher"}),
    "return": ({H: A}, {"assignee"}),
    "transfer": ({H: H}, {"dispatcher"}),
    "escalate": ({R: A, A: A, H: A}, {"dispatcher", "assignee", "system"}),
    "hand_off": ({H: HO}, {"assignee"}),
    "acknowledge_handoff": ({HO: SAME}, {"receiver"}),
    "handoff_outcome": ({HO: H}, {"receiver", "assignee"}),
    "record_session": ({H: SAME}, {"assignee"}),
    "resolve": ({H: RS}, {"assignee"}),
    "verify": ({RS: V}, {"verifier"}),
    "rework": ({RS: H}, {"verifier"}),
    "follow_up": ({V: FU}, {"verifier", "supervisor", "resident"}),
    "close": ({FU: CL}, {"supervisor", "dispatcher"}),
    "reopen": ({CL: H}, {"supervisor"}),
    "suspend": ({R: S, A: S, H: S, HO: S, RS: S, V: S, FU: S}, {"supervisor"}),
    "resume": ({S: BACK}, {"supervisor"}),
    "request_extension": ({H: SAME, HO: SAME}, {"assignee"}),
    "decide_extension": ({H: SAME, HO: SAME}, {"supervisor"}),
    "supervise": ({R: SAME, A: SAME, H: SAME, HO: SAME, RS: SAME, V: SAME, FU: SAME,
                   S: SAME}, {"supervisor"}),
    "remind": ({R: SAME, A: SAME, H: SAME, HO: SAME, RS: SAME, V: SAME, FU: SAME},
               {"supervisor"}),
    "merge": ({R: M, A: M, H: M, HO: M, RS: M, V: M, FU: M, S: M},
              {"dispatcher", "supervisor", "assignee"}),
    "attach": ({R: SAME, A: SAME, H: SAME, HO: SAME, RS: SAME, V: SAME, FU: SAME, S: SAME},
               {"dispatcher", "assignee", "verifier"}),
}
REASON_REQUIRED = {"reject", "return", "transfer", "escalate", "rework", "reopen", "suspend",
                   "request_extension", "supervise", "merge"}
ALL_STATUSES = [R, A, H, HO, RS, V, FU, S, CL, RJ, M]


def test_the_code_has_exactly_the_hand_written_table():
    assert set(TRANSITIONS) == set(EXPECTED)
    assert sorted(map(str, Status)) == sorted(ALL_STATUSES)
    for name, (pairs, actors) in EXPECTED.items():
        transition = TRANSITIONS[name]
        assert set(transition.sources) == set(pairs), name
        targets = {transition.target}
        assert targets == set(pairs.values()) or (
            transition.target is None and set(pairs.values()) == {SAME}), name
        assert set(transition.actors) == actors, name
        assert transition.reason_required == (name in REASON_REQUIRED), name


def test_every_row_has_exactly_one_service():
    assert set(svc.SERVICES) == set(EXPECTED)
    for name, service in svc.SERVICES.items():
        assert service.transition_name == name


@pytest.mark.parametrize("name", list(EXPECTED))
def test_transition_from_every_status(office, name):
    """Allowed exactly from the hand-written sources, to the hand-written target; refused
    from every other status with nothing changed (one world per transition, a fresh case
    per status)."""
    pairs, _actors = EXPECTED[name]
    transition = TRANSITIONS[name]
    actor = actor_for(office, transition)
    for status in ALL_STATUSES:
        case = put_in_status(office, new_case(office), status, name)
        if status not in pairs:
            args = arguments(office, name, case)  # set-up (a merge master) before snapshot
            before = snapshot(case)
            with pytest.raises(TransitionNotAllowed):
                perform(office, name, case, actor, args)
            assert snapshot(case) == before, status
            continue
        args = arguments(office, name, case)  # set-up (a merge master) before counting
        audit_before = AuditEntry.objects.count()
        perform(office, name, case, actor, args)
        case.refresh_from_db()
        expected = pairs[status]
        expected = H if expected == BACK else (expected or status)  # suspended from handling
        assert case.status == expected, status
        assert case.version == 2, status
        event = case.events.order_by("-id").first()
        assert (event.from_status, event.to_status) == (status, expected), status
        # Exactly one audit entry of the transition's own type, with from and to.
        entries = list(AuditEntry.objects.filter(event_type=f"case.{name}",
                                                 subject_id=str(case.pk)))
        assert len(entries) == 1, status
        assert (entries[0].details["from"], entries[0].details["to"]) == (status, expected)
        assert AuditEntry.objects.count() == audit_before + 1, status


@pytest.mark.parametrize("name", [n for n, (_p, a) in EXPECTED.items() if a != {"system"}])
def test_people_who_are_not_actors_are_refused(office, name):
    """A read-only leader of the same street and a grid worker of another street are never
    among a row's actors: refused, nothing changed."""
    status = sorted(EXPECTED[name][0])[0]
    case = put_in_status(office, new_case(office), status, name)
    for who in ("leader", "outsider"):
        args = arguments(office, name, case)
        before = snapshot(case)
        with pytest.raises(PermissionDenied):
            perform(office, name, case, office.people[who], args)
        assert snapshot(case) == before, who


def test_handler_of_another_unit_cannot_resolve(office):
    case = put_in_status(office, new_case(office), Status.HANDLING, "resolve")
    before = snapshot(case)
    with pytest.raises(PermissionDenied):
        perform(office, "resolve", case, office.people["community_mediator"])
    assert snapshot(case) == before


def test_action_buttons_come_from_the_table(office):
    case = put_in_status(office, new_case(office), Status.HANDLING, "")
    mediator = {t.name for t in allowed_transitions(case, office.people["mediator"])}
    # By hand: the assignee's rows that start from 办理中.
    assert mediator == {"return", "escalate", "hand_off", "record_session", "resolve",
                        "request_extension", "merge", "attach"}
    assert allowed_transitions(case, office.people["leader"]) == []

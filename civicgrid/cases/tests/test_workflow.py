"""Every row of the transition table, from every status: allowed where the table says so,
refused everywhere else with nothing changed; and refused for people who are not one of
the row's actors."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from civicgrid.cases import services as svc
from civicgrid.cases.models import (
    Case,
    ExtensionRequest,
    HandOff,
    Outcome,
    Status,
)
from civicgrid.cases.tests.conftest import new_case, snapshot
from civicgrid.cases.workflow import (
    ASSIGNEE,
    DISPATCHER,
    PREVIOUS,
    RECEIVER,
    SUPERVISOR,
    SYSTEM,
    TRANSITIONS,
    VERIFIER,
    TransitionNotAllowed,
    allowed_transitions,
)
from civicgrid.stats.rollups import case_facts, stat_apply


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
    return svc.SERVICES[name](case=case, actor=actor, expected_version=case.version, **args)


def test_every_row_has_exactly_one_service():
    assert set(svc.SERVICES) == set(TRANSITIONS)


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("name", list(TRANSITIONS))
def test_transition_from_status(office, name, status):
    transition = TRANSITIONS[name]
    case = put_in_status(office, new_case(office), status, name)
    actor = actor_for(office, transition)
    if status not in transition.sources:
        args = arguments(office, name, case)  # set-up (a merge master) before the snapshot
        before = snapshot(case)
        with pytest.raises(TransitionNotAllowed):
            perform(office, name, case, actor, args)
        assert snapshot(case) == before
        return
    events_before = case.events.count()
    perform(office, name, case, actor)
    case.refresh_from_db()
    expected = transition.target
    if expected == PREVIOUS:
        expected = Status.HANDLING
    assert case.status == (expected or status)
    assert case.events.count() > events_before
    assert case.version >= 2


@pytest.mark.parametrize("name", [n for n, t in TRANSITIONS.items() if t.actors != {SYSTEM}])
def test_people_who_are_not_actors_are_refused(office, name):
    """A read-only leader of the same street and a grid worker of another street are never
    among a row's actors: refused, nothing changed."""
    transition = TRANSITIONS[name]
    status = sorted(transition.sources)[0]
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
    assert mediator == {n for n, t in TRANSITIONS.items()
                        if Status.HANDLING in t.sources and ASSIGNEE in t.actors}
    assert allowed_transitions(case, office.people["leader"]) == []

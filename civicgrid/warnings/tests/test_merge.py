"""Weekly checks edited apart (two phones offline): merged field by field; a field both
changed differently keeps the value on record, the other value is kept as a conflict, and
a supervisor chooses. Expectations are written out by hand."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from civicgrid.accounts.roles import Role
from civicgrid.audit.models import AuditEntry
from civicgrid.warnings.models import CheckConflict, WeeklyCheck, WeeklyCheckRevision
from civicgrid.warnings.services import (
    CheckInput,
    check_conflict_resolve,
    three_way,
    weekly_check_merge,
    weekly_check_submit,
)
from civicgrid.warnings.tests.conftest import W1, at, checks_parts

checks, world = checks_parts()
LATER = at(3, 6, 10)


def vals(found=0, resolved=0, risks=0, notes="", zero=False) -> dict:
    return {"disputes_found": found, "resolved_on_spot": resolved, "risk_points": risks,
            "notes": notes, "is_zero": zero}


# --- the merge rule, as a table ---------------------------------------------------------

MERGES = [
    # base, mine (the late edit), theirs (on record) → merged, conflicting fields
    (vals(2, 1), vals(2, 1, notes="楼道"), vals(3, 1), vals(3, 1, notes="楼道"), []),
    (vals(2, 1), vals(4, 1), vals(3, 1), vals(3, 1), ["disputes_found"]),
    (vals(2, 1), vals(3, 1), vals(3, 1), vals(3, 1), []),  # the same change twice
    (vals(2, 1), vals(2, 1), vals(5, 2), vals(5, 2), []),  # nothing changed by me
    (vals(2, 1, risks=1), vals(2, 0, risks=4), vals(2, 1, risks=2, notes="x"),
     vals(2, 0, risks=2, notes="x"), ["risk_points"]),
]


@pytest.mark.parametrize(("base", "mine", "theirs", "merged", "conflicts"), MERGES)
def test_three_way_merge_table(base, mine, theirs, merged, conflicts):
    assert three_way(base, mine, theirs) == (merged, conflicts)


# --- the service --------------------------------------------------------------------------

def _state() -> dict:
    return {"checks": list(WeeklyCheck.objects.order_by("pk").values()),
            "revisions": WeeklyCheckRevision.objects.count(),
            "conflicts": list(CheckConflict.objects.values()),
            "audit": AuditEntry.objects.count()}


def test_on_the_current_revision_an_edit_is_a_plain_submission(checks):
    area, worker = checks.world.community_a, checks.grid_leader
    first = weekly_check_merge(area=area, week=W1, base_revision=None, actor=worker,
                               data=CheckInput(disputes_found=2, resolved_on_spot=1),
                               now=at(3, 5))
    assert (first.state, first.check.revision) == ("accepted", 1)
    second = weekly_check_merge(area=area, week=W1, base_revision=1, actor=worker,
                                data=CheckInput(disputes_found=3, resolved_on_spot=1),
                                now=at(3, 5, 11))
    assert (second.state, second.check.revision, second.check.disputes_found) == \
        ("accepted", 2, 3)
    assert CheckConflict.objects.count() == 0


def test_edits_of_different_fields_made_apart_merge(checks):
    area, a, b = checks.world.community_a, checks.grid_leader, checks.world.users[Role.SUPERVISOR]
    weekly_check_submit(area=area, week=W1, data=CheckInput(disputes_found=2, resolved_on_spot=1),
                        actor=a, now=at(3, 5))
    # Phone A (offline, on revision 1) adds a risk point; phone B, online, adds notes.
    weekly_check_merge(area=area, week=W1, base_revision=1, actor=b, now=at(3, 5, 12),
                       data=CheckInput(disputes_found=2, resolved_on_spot=1, notes="已走访"))
    outcome = weekly_check_merge(area=area, week=W1, base_revision=1, actor=a, now=LATER,
                                 data=CheckInput(disputes_found=2, resolved_on_spot=1,
                                                 risk_points=1), device_id="phone-a")
    assert outcome.state == "accepted"
    assert outcome.merged == ["risk_points"]
    check = WeeklyCheck.objects.get(area=area, week=W1)
    assert (check.disputes_found, check.resolved_on_spot, check.risk_points, check.notes,
            check.revision) == (2, 1, 1, "已走访", 3)
    assert CheckConflict.objects.count() == 0


def test_the_same_field_changed_apart_keeps_both_values_for_the_supervisor(checks):
    area, a = checks.world.community_a, checks.grid_leader
    supervisor = checks.world.users[Role.SUPERVISOR]
    weekly_check_submit(area=area, week=W1, data=CheckInput(disputes_found=2, resolved_on_spot=1),
                        actor=a, now=at(3, 5))
    weekly_check_merge(area=area, week=W1, base_revision=1, actor=supervisor, now=at(3, 5, 12),
                       data=CheckInput(disputes_found=3, resolved_on_spot=1))
    outcome = weekly_check_merge(area=area, week=W1, base_revision=1, actor=a, now=LATER,
                                 data=CheckInput(disputes_found=5, resolved_on_spot=1,
                                                 notes="三楼漏水"), device_id="phone-a",
                                 captured_at=at(3, 5, 11))
    assert outcome.state == "conflict"
    assert outcome.merged == ["notes"]  # the other field merged
    check = WeeklyCheck.objects.get(area=area, week=W1)
    assert (check.disputes_found, check.notes, check.revision) == (3, "三楼漏水", 3)
    conflict = CheckConflict.objects.get()
    assert (conflict.field, conflict.kept_value, conflict.offered_value, conflict.base_revision,
            conflict.device_id, conflict.offered_by, conflict.resolved_at) == \
        ("disputes_found", 3, 5, 1, "phone-a", a, None)
    assert AuditEntry.objects.filter(event_type="weekly_check.conflict").count() == 1

    # The supervisor takes the offered value: a new revision with it.
    check_conflict_resolve(conflict=conflict, take="offered", actor=supervisor, now=at(3, 6, 12))
    check.refresh_from_db()
    conflict.refresh_from_db()
    assert (check.disputes_found, check.revision) == (5, 4)
    assert (conflict.chosen_value, conflict.resolved_by) == (5, supervisor)
    # Resolved once: a second choice is refused and changes nothing.
    before = _state()
    with pytest.raises(ValidationError):
        check_conflict_resolve(conflict=conflict, take="kept", actor=supervisor)
    assert _state() == before


def test_a_merge_that_breaks_the_checks_rules_leaves_every_edited_field_waiting(checks):
    area, a = checks.world.community_a, checks.grid_leader
    supervisor = checks.world.users[Role.SUPERVISOR]
    weekly_check_submit(area=area, week=W1, data=CheckInput(is_zero=True), actor=a, now=at(3, 5))
    # Online: 2 disputes found. Offline, on revision 1: still a zero report, with notes.
    weekly_check_merge(area=area, week=W1, base_revision=1, actor=supervisor, now=at(3, 5, 12),
                       data=CheckInput(disputes_found=2, resolved_on_spot=0))
    outcome = weekly_check_merge(area=area, week=W1, base_revision=1, actor=a, now=LATER,
                                 data=CheckInput(is_zero=True, notes="无"))
    # notes alone would merge, and is_zero was not changed by the edit: merged.
    assert outcome.state == "accepted"
    check = WeeklyCheck.objects.get(area=area, week=W1)
    assert (check.is_zero, check.disputes_found, check.notes) == (False, 2, "无")


def test_a_first_submission_made_offline_after_another_keeps_its_differences(checks):
    area, a = checks.world.community_a, checks.grid_leader
    supervisor = checks.world.users[Role.SUPERVISOR]
    weekly_check_submit(area=area, week=W1, data=CheckInput(disputes_found=1), actor=supervisor,
                        now=at(3, 5))
    outcome = weekly_check_merge(area=area, week=W1, base_revision=None, actor=a, now=LATER,
                                 data=CheckInput(disputes_found=1, risk_points=2))
    assert outcome.state == "accepted"  # same disputes; risk points only from this edit
    check = WeeklyCheck.objects.get(area=area, week=W1)
    assert (check.disputes_found, check.risk_points) == (1, 2)


def test_refusals_change_nothing(checks):
    area, a = checks.world.community_a, checks.grid_leader
    weekly_check_submit(area=area, week=W1, data=CheckInput(disputes_found=1), actor=a,
                        now=at(3, 5))
    before = _state()
    with pytest.raises(ValidationError):  # a revision that never was
        weekly_check_merge(area=area, week=W1, base_revision=7, actor=a, now=LATER,
                           data=CheckInput(disputes_found=2))
    with pytest.raises(ValidationError):  # the edit itself breaks a rule
        weekly_check_merge(area=area, week=W1, base_revision=1, actor=a, now=LATER,
                           data=CheckInput(disputes_found=1, resolved_on_spot=3))
    with pytest.raises(PermissionDenied):  # another street's grid worker
        weekly_check_merge(area=area, week=W1, base_revision=1, actor=checks.world.outsider,
                           now=LATER, data=CheckInput(disputes_found=2))
    assert _state() == before


def _conflict(checks):
    area, a = checks.world.community_a, checks.grid_leader
    supervisor = checks.world.users[Role.SUPERVISOR]
    weekly_check_submit(area=area, week=W1, data=CheckInput(disputes_found=2), actor=a,
                        now=at(3, 5))
    weekly_check_merge(area=area, week=W1, base_revision=1, actor=supervisor, now=at(3, 5, 12),
                       data=CheckInput(disputes_found=3))
    weekly_check_merge(area=area, week=W1, base_revision=1, actor=a, now=LATER,
                       data=CheckInput(disputes_found=4))
    return CheckConflict.objects.get()


def test_only_a_supervisor_of_the_area_resolves(checks):
    conflict = _conflict(checks)
    before = _state()
    for user in (checks.grid_leader, checks.world.users[Role.HANDLER],
                 checks.world.users[Role.LEADER]):
        with pytest.raises(PermissionDenied):
            check_conflict_resolve(conflict=conflict, take="offered", actor=user)
    with pytest.raises(ValidationError):
        check_conflict_resolve(conflict=conflict, take="both",
                               actor=checks.world.users[Role.SUPERVISOR])
    assert _state() == before


def test_the_check_page_shows_the_conflict_and_the_supervisor_chooses(checks):
    conflict = _conflict(checks)
    area = checks.world.community_a
    url = reverse("warnings:report", args=[area.code]) + "?week=2026-03-02"
    worker = Client()
    worker.force_login(checks.grid_leader)
    page = worker.get(url).content.decode()
    assert 'data-testid="conflicts"' in page and 'data-testid="take-offered"' not in page
    supervisor = Client()
    supervisor.force_login(checks.world.users[Role.SUPERVISOR])
    page = supervisor.get(url).content.decode()
    assert 'data-testid="take-offered"' in page
    # A grid worker posting the choice is refused and nothing changes.
    before = _state()
    post_url = reverse("warnings:conflict", args=[area.code, conflict.pk])
    assert worker.post(post_url, {"take": "offered"}).status_code == 403
    assert _state() == before
    response = supervisor.post(post_url, {"take": "kept"})
    assert response.status_code == 302
    conflict.refresh_from_db()
    assert conflict.chosen_value == 3
    assert WeeklyCheck.objects.get(area=area, week=W1).disputes_found == 3


def test_the_api_merges_and_replays_with_the_idempotency_key(checks):
    area, a = checks.world.community_a, checks.grid_leader
    client = Client()
    client.force_login(a)
    url = f"/api/v1/checks/{area.code}/2026-03-02"
    weekly_check_submit(area=area, week=W1, data=CheckInput(disputes_found=2), actor=a,
                        now=at(3, 5))
    weekly_check_merge(area=area, week=W1, base_revision=1,
                       actor=checks.world.users[Role.SUPERVISOR],
                       data=CheckInput(disputes_found=3), now=at(3, 5, 12))
    body = {"base_revision": 1, "disputes_found": 6, "notes": "离线填写", "device_id": "p1"}
    first = client.post(url, json.dumps(body), content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 200, first.content
    data = first.json()
    assert (data["state"], data["revision"], data["disputes_found"], data["notes"]) == \
        ("conflict", 3, 3, "离线填写")
    assert data["conflicts"] == [{"field": "disputes_found", "kept": 3, "offered": 6,
                                  "resolved": False}]
    before = _state()
    again = client.post(url, json.dumps(body), content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert _state() == before
    read = client.get(url).json()
    assert (read["revision"], read["conflicts"][0]["offered"]) == (3, 6)


def test_keeping_the_value_on_record_never_undoes_a_later_submission(checks):
    conflict = _conflict(checks)  # kept 3, offered 4
    area, a = checks.world.community_a, checks.grid_leader
    check = WeeklyCheck.objects.get(area=area, week=W1)
    weekly_check_merge(area=area, week=W1, base_revision=check.revision, actor=a,
                       now=at(3, 7), data=CheckInput(disputes_found=6))  # since: 6
    check_conflict_resolve(conflict=conflict, take="kept",
                           actor=checks.world.users[Role.SUPERVISOR], now=at(3, 8))
    check = WeeklyCheck.objects.get(area=area, week=W1)
    conflict.refresh_from_db()
    assert check.disputes_found == 6  # not back to the snapshot's 3
    assert conflict.chosen_value == 6


def test_two_first_submissions_at_once_are_merged_not_written_over(checks, monkeypatch):
    """The other phone's first submission commits between this one's reads (which found no
    check) and its insert (which then meets the other's row)."""
    area, a = checks.world.community_a, checks.grid_leader
    supervisor = checks.world.users[Role.SUPERVISOR]
    weekly_check_submit(area=area, week=W1, data=CheckInput(disputes_found=3),
                        actor=supervisor, now=at(3, 5))
    manager = WeeklyCheck.objects
    real = manager.select_for_update
    blind = {"reads": 2}  # the merge's read and the submission's read saw no row yet

    class NotYet:
        def __init__(self, qs):
            self.qs = qs

        def filter(self, *args, **kwargs):
            return NotYet(self.qs.filter(*args, **kwargs))

        def first(self):
            if blind["reads"]:
                blind["reads"] -= 1
                return None
            return self.qs.first()

        def get(self, *args, **kwargs):
            return self.qs.get(*args, **kwargs)

    monkeypatch.setattr(manager, "select_for_update", lambda *a, **k: NotYet(real(*a, **k)))
    outcome = weekly_check_merge(area=area, week=W1, base_revision=None, actor=a, now=LATER,
                                 data=CheckInput(disputes_found=5, notes="离线"))
    assert blind["reads"] == 0
    assert outcome.state == "conflict"
    check = WeeklyCheck.objects.get(area=area, week=W1)
    assert (check.disputes_found, check.notes, check.revision) == (3, "离线", 2)
    assert {(c.field, c.kept_value, c.offered_value) for c in CheckConflict.objects.all()} == \
        {("disputes_found", 3, 5)}

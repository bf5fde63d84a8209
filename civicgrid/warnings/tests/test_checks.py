"""Weekly checks: submission, resubmission, on-time rules, completeness and timeliness
against hand-computed numbers, reporter overrides, refusals that change nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from civicgrid.accounts.roles import Role
from civicgrid.audit.models import AuditEntry
from civicgrid.conftest import is_postgres, make_area
from civicgrid.warnings.models import (
    CheckSettings,
    OverrideMode,
    ReporterOverride,
    WeeklyCheck,
    WeeklyCheckRevision,
)
from civicgrid.warnings.selectors import (
    check_overview,
    check_totals,
    check_totals_by_child,
    rate,
)
from civicgrid.warnings.services import CheckInput, weekly_check_submit
from civicgrid.warnings.tests.conftest import MARCH, W1, W2, ZERO, at, au, checks_parts, found
from civicgrid.warnings.weeks import due_at, last_due_week, weeks_in

# Every test starts from the same areas and people: built once for the module, rolled back
# after each test (civicgrid/testing.py).
checks, world = checks_parts()


def submit(area, week, data, when, actor=None):
    return weekly_check_submit(area=area, week=week, data=data, actor=actor, now=when)


def snapshot() -> dict:
    return {"checks": list(WeeklyCheck.objects.order_by("pk").values()),
            "revisions": WeeklyCheckRevision.objects.count(),
            "audit": AuditEntry.objects.count()}


# --- weeks ---------------------------------------------------------------------------------

def test_weeks_run_monday_to_sunday_and_are_due_the_next_monday_noon(db):
    cfg = CheckSettings()
    assert due_at(W1, cfg) == at(3, 9, 12)
    assert weeks_in(MARCH, MARCH) == [date(2026, 3, d) for d in (2, 9, 16, 23, 30)]
    # 2026-02-23 (Monday) belongs to February even though its week ends in March.
    assert weeks_in(date(2026, 2, 1), date(2026, 2, 1))[-1] == date(2026, 2, 23)
    assert last_due_week(at(3, 16, 11, 59), cfg) == W1
    assert last_due_week(at(3, 16, 12), cfg) == W2
    cfg.due_weekday, cfg.due_hour = 2, 18  # Wednesday 18:00 of the next week
    assert due_at(W1, cfg) == at(3, 11, 18)


# --- the hand-computed fixture --------------------------------------------------------------

@pytest.fixture
def march(checks):
    """Street A's three reporters over two due weeks of March 2026:

    street A     W1 zero report, on time        W2 report, late (03-16 15:00)
    community A  W1 on time (03-09 11:59),       W2 on time
                 resubmitted twice after due
    community A2 W1 missing                      W2 zero report, late (03-17 08:00)
    Street B and community B report nothing.
    """
    w = checks.world
    submit(w.street_a, W1, ZERO, at(3, 6, 10))
    submit(w.street_a, W2, found(3, 1, 2), at(3, 16, 15))
    submit(w.community_a, W1, found(2, 1), at(3, 9, 11, 59))
    submit(w.community_a, W1, found(2, 2), at(3, 10))
    submit(w.community_a, W1, found(4, 2, 1, "补报两起"), at(3, 12))
    submit(w.community_a, W2, found(1, 1), at(3, 15, 20))
    submit(checks.community_a2, W2, ZERO, at(3, 17, 8))
    return checks


NOW = at(3, 17, 9)  # W1 and W2 are due, W3 (03-16) is not


def test_hand_computed_completeness_and_timeliness(march):
    w = march.world
    street = check_totals(actor=au(w), area=w.street_a, start=MARCH, end=MARCH, now=NOW)
    assert street == {"reports": 5, "on_time": 3, "expected": 6}
    assert rate(street["reports"], street["expected"]) == Decimal("83.33")
    assert rate(street["on_time"], street["expected"]) == Decimal("50.00")
    county = check_totals(actor=au(w), area=w.county, start=MARCH, end=MARCH, now=NOW)
    assert county == {"reports": 5, "on_time": 3, "expected": 10}
    assert check_totals_by_child(actor=au(w), area=w.county, start=MARCH, end=MARCH, now=NOW) == {
        w.street_a.code: {"reports": 5, "on_time": 3, "expected": 6},
        w.street_b.code: {"reports": 0, "on_time": 0, "expected": 4},
    }
    # Below street A: its communities only (the street's own report is not a child's).
    assert check_totals_by_child(actor=au(w), area=w.street_a, start=MARCH, end=MARCH, now=NOW) == {
        w.community_a.code: {"reports": 2, "on_time": 2, "expected": 2},
        march.community_a2.code: {"reports": 1, "on_time": 0, "expected": 2},
    }
    # A community's own subtree: itself.
    assert check_totals(actor=au(w), area=march.community_a2, start=MARCH, end=MARCH,
                        now=NOW) == {"reports": 1, "on_time": 0, "expected": 2}


def test_weeks_not_yet_due_do_not_count(march):
    w = march.world
    before_w2_due = at(3, 16, 11)  # only W1 is due
    assert check_totals(actor=au(w), area=w.street_a, start=MARCH, end=MARCH,
                        now=before_w2_due) == {"reports": 2, "on_time": 2, "expected": 3}
    # A whole quarter, later: all five March weeks are due, three of them empty.
    assert check_totals(actor=au(w), area=w.street_a, start=MARCH, end=date(2026, 5, 1),
                        now=at(6, 30)) == {"reports": 5, "on_time": 3, "expected": 3 * 13}
    assert check_totals(actor=au(w), area=w.street_a, start=date(2026, 2, 1),
                        end=date(2026, 2, 1), now=NOW) == \
        {"reports": 0, "on_time": 0, "expected": 3 * 4}


def test_resubmission_replaces_and_is_never_counted_twice(march):
    w = march.world
    check = WeeklyCheck.objects.get(area=w.community_a, week=W1)
    assert (check.revision, check.disputes_found, check.resolved_on_spot, check.risk_points,
            check.notes) == (3, 4, 2, 1, "补报两起")
    assert check.on_time is True  # decided by the first submission (11:59, due 12:00)
    assert check.first_submitted_at == at(3, 9, 11, 59)
    assert check.submitted_at == at(3, 12)
    assert WeeklyCheck.objects.filter(area=w.community_a, week=W1).count() == 1
    revisions = list(check.revisions.order_by("revision")
                     .values_list("revision", "disputes_found", "resolved_on_spot",
                                  "risk_points", "notes", "submitted_at"))
    assert revisions == [(1, 2, 1, 0, "", at(3, 9, 11, 59)), (2, 2, 2, 0, "", at(3, 10)),
                         (3, 4, 2, 1, "补报两起", at(3, 12))]
    events = list(AuditEntry.objects.filter(subject_type="warnings.weeklycheck",
                                            subject_id=str(check.pk))
                  .order_by("id").values_list("event_type", "details"))
    assert [e for e, _d in events] == ["weekly_check.submitted", "weekly_check.resubmitted",
                                       "weekly_check.resubmitted"]
    assert events[2][1]["before"]["disputes_found"] == 2
    assert events[2][1]["values"]["disputes_found"] == 4


def test_the_same_values_again_change_nothing(march):
    w = march.world
    before = snapshot()
    check = submit(w.community_a, W1, found(4, 2, 1, "补报两起"), at(3, 13))
    assert check.revision == 3
    assert snapshot() == before


def test_a_correction_never_turns_a_late_report_on_time(march):
    w = march.world
    submit(w.street_a, W2, found(5, 1, 2), at(3, 16, 18))
    check = WeeklyCheck.objects.get(area=w.street_a, week=W2)
    assert check.on_time is False and check.revision == 2
    assert check_totals(actor=au(w), area=w.street_a, start=MARCH, end=MARCH, now=NOW) == \
        {"reports": 5, "on_time": 3, "expected": 6}


def test_on_time_boundary_is_the_due_second(checks):
    w = checks.world
    assert submit(w.street_a, W1, ZERO, at(3, 9, 12, 0, 0)).on_time is True
    assert submit(w.community_a, W1, ZERO, at(3, 9, 12, 0, 1)).on_time is False
    # The due time that applied at the first submission is kept with the check.
    assert WeeklyCheck.objects.get(area=w.street_a, week=W1).due_at == at(3, 9, 12)


def test_due_time_follows_the_settings(checks):
    CheckSettings.objects.update_or_create(pk=1, defaults={"due_weekday": 0, "due_hour": 9})
    assert submit(checks.world.street_a, W1, ZERO, at(3, 9, 10)).on_time is False


def test_zero_report_can_become_a_report_and_back(checks):
    w = checks.world
    submit(w.street_a, W1, ZERO, at(3, 5))
    check = submit(w.street_a, W1, found(1, 0), at(3, 6))
    assert (check.is_zero, check.disputes_found, check.revision) == (False, 1, 2)
    check = submit(w.street_a, W1, ZERO, at(3, 7))
    assert (check.is_zero, check.disputes_found, check.revision) == (True, 0, 3)


# --- overrides -----------------------------------------------------------------------------

def test_excused_and_added_reporters(march):
    w = march.world
    # Community A2 excused for W1 only: its missing W1 report no longer counts against it.
    ReporterOverride.objects.create(area=march.community_a2, mode=OverrideMode.EXCUSED,
                                    since=W1, until=W1)
    assert check_totals(actor=au(w), area=w.street_a, start=MARCH, end=MARCH, now=NOW) == \
        {"reports": 5, "on_time": 3, "expected": 5}
    # A grid asked to report from W2 on, which it did on time.
    ReporterOverride.objects.create(area=w.grid_a1, mode=OverrideMode.ADDED, since=W2)
    submit(w.grid_a1, W2, ZERO, at(3, 14))
    assert check_totals(actor=au(w), area=w.street_a, start=MARCH, end=MARCH, now=NOW) == \
        {"reports": 6, "on_time": 4, "expected": 6}
    assert check_totals_by_child(actor=au(w), area=w.street_a, start=MARCH, end=MARCH, now=NOW) == {
        w.community_a.code: {"reports": 3, "on_time": 3, "expected": 3},
        march.community_a2.code: {"reports": 1, "on_time": 0, "expected": 1},
    }


def test_a_report_of_an_excused_week_is_refused_and_not_counted(march):
    w = march.world
    ReporterOverride.objects.create(area=w.street_a, mode=OverrideMode.EXCUSED, since=W2)
    assert check_totals(actor=au(w), area=w.street_a, start=MARCH, end=MARCH, now=NOW) == \
        {"reports": 4, "on_time": 3, "expected": 5}
    with pytest.raises(ValidationError) as error:
        submit(w.street_a, W2, ZERO, at(3, 18))
    assert "week" in error.value.message_dict


def test_reporter_levels_follow_the_settings(march):
    w = march.world
    CheckSettings.objects.update_or_create(pk=1, defaults={"report_street": False})
    assert check_totals(actor=au(w), area=w.street_a, start=MARCH, end=MARCH, now=NOW) == \
        {"reports": 3, "on_time": 2, "expected": 4}


# --- refusals ------------------------------------------------------------------------------

BAD = [
    (CheckInput(disputes_found=-1), "disputes_found"),
    (CheckInput(disputes_found=1, risk_points=10_000), "risk_points"),
    (CheckInput(is_zero=True, disputes_found=1), "is_zero"),
    (CheckInput(), "is_zero"),  # nothing found and no zero report
    (CheckInput(notes="只有说明"), "is_zero"),
    (CheckInput(disputes_found=1, resolved_on_spot=2), "resolved_on_spot"),
    (CheckInput(disputes_found="3"), "disputes_found"),  # type: ignore[arg-type]
    (CheckInput(is_zero=True, notes="x" * 2001), "notes"),
]


@pytest.mark.parametrize("data, field", BAD, ids=[f for _d, f in BAD])
def test_bad_input_changes_nothing(march, data, field):
    w = march.world
    before = snapshot()
    for area, week in ((w.community_a, W1), (march.community_a2, W1)):  # resubmit / first
        with pytest.raises(ValidationError) as error:
            submit(area, week, data, at(3, 18), actor=march.grid_leader
                   if area == w.community_a else march.grid_leader_a2)
        assert field in error.value.message_dict
    assert snapshot() == before


@pytest.mark.parametrize("week, when", [
    (date(2026, 3, 3), at(3, 18)),  # not a Monday
    (date(2026, 3, 23), at(3, 18)),  # has not started
], ids=["not-monday", "future"])
def test_bad_weeks_change_nothing(checks, week, when):
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        submit(checks.world.community_a, week, ZERO, when, actor=checks.grid_leader)
    assert "week" in error.value.message_dict
    assert snapshot() == before


def test_an_area_that_does_not_report_is_refused(checks):
    before = snapshot()
    with pytest.raises(ValidationError):
        submit(checks.world.grid_a1, W1, ZERO, at(3, 5), actor=checks.world.users[Role.SUPERVISOR])
    assert snapshot() == before


@pytest.mark.parametrize("who", ["grid_worker_of_a_grid", "leader", "auditor", "administrator",
                                 "outsider", "other_community"])
def test_who_may_not_submit(checks, who):
    w = checks.world
    actor = {"grid_worker_of_a_grid": w.users[Role.GRID_WORKER],
             "leader": w.users[Role.LEADER], "auditor": w.users[Role.AUDITOR],
             "administrator": w.users[Role.ADMINISTRATOR], "outsider": w.outsider,
             "other_community": checks.grid_leader_a2}[who]
    before = snapshot()
    with pytest.raises(PermissionDenied):
        submit(w.community_a, W1, ZERO, at(3, 5), actor=actor)
    assert snapshot() == before


@pytest.mark.parametrize("role", [Role.HANDLER, Role.UNIT_LEADER, Role.SUPERVISOR])
def test_who_may_submit(checks, role):
    w = checks.world
    check = submit(w.community_a, W1, ZERO, at(3, 5), actor=w.users[role])
    assert check.submitted_by == w.users[role]
    assert submit(w.street_a, W1, ZERO, at(3, 5), actor=w.users[role]).pk
    # The community's grid leader submits for the community.
    assert submit(w.community_a, W2, ZERO, at(3, 12), actor=checks.grid_leader).pk


def test_the_database_refuses_what_the_service_would(checks):
    w = checks.world
    check = submit(w.street_a, W1, found(2, 1), at(3, 5))
    for change in ({"disputes_found": -1, "resolved_on_spot": 0},
                   {"resolved_on_spot": 3}, {"is_zero": True},
                   {"disputes_found": 0, "resolved_on_spot": 0, "risk_points": 0},
                   {"on_time": False}):
        with pytest.raises(IntegrityError), transaction.atomic():
            WeeklyCheck.objects.filter(pk=check.pk).update(**change)
    with pytest.raises(IntegrityError), transaction.atomic():
        WeeklyCheck.objects.create(area=w.street_a, area_code=w.street_a.code, week=W1,
                                   is_zero=True, due_at=check.due_at,
                                   first_submitted_at=at(3, 5), submitted_at=at(3, 5),
                                   on_time=True)


# --- constant queries ------------------------------------------------------------------------

def _grow(checks, start: int, n: int) -> None:
    w = checks.world
    for i in range(start, start + n):
        community = make_area(f"320602001{100 + i:03d}", f"新社区{i}", w.street_a)
        make_area(f"320602001{100 + i:03d}001", f"新社区{i}第1网格", community)
        submit(community, W1, ZERO if i % 2 else found(1, 1), at(3, 8))
        if i % 3 == 0:
            ReporterOverride.objects.create(area=community, mode=OverrideMode.EXCUSED,
                                            since=W2)


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_totals_run_a_constant_number_of_queries(march):
    w = march.world
    calls = [
        lambda: check_totals(actor=au(w), area=w.county, start=MARCH, end=date(2026, 6, 1),
                             now=at(7, 1)),
        lambda: check_totals_by_child(actor=au(w), area=w.county, start=MARCH,
                                      end=date(2026, 6, 1), now=at(7, 1)),
        lambda: check_totals_by_child(actor=au(w), area=w.street_a, start=MARCH, end=MARCH,
                                      now=NOW),
        lambda: check_overview(actor=au(w), area=w.street_a, week=W1, now=NOW),
        lambda: check_overview(actor=au(w), area=w.county, month=MARCH, now=NOW),
    ]
    _grow(march, 0, 3)
    for fn in calls:  # the reader's scope and areas are read once, then remembered
        fn()
    small = [_queries(fn) for fn in calls]
    _grow(march, 3, 30)
    large = [_queries(fn) for fn in calls]
    assert small == large
    assert small[0] <= 5 and small[1] <= 6


@pytest.mark.postgres
def test_postgres_refuses_to_change_or_delete_a_revision(checks):
    if not is_postgres():
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    submit(checks.world.street_a, W1, ZERO, at(3, 5))
    revision = WeeklyCheckRevision.objects.get()
    for action in (lambda: WeeklyCheckRevision.objects.filter(pk=revision.pk)
                   .update(notes="改"),
                   lambda: WeeklyCheckRevision.objects.filter(pk=revision.pk).delete()):
        with pytest.raises(DatabaseError), transaction.atomic():
            action()
    assert WeeklyCheckRevision.objects.get().notes == ""

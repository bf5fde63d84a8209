"""Reminders for missing weekly checks: after the due time, once per area and week, to the
area's own people (or its office when it has none); a supervisor's 催报 by hand."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from civicgrid.accounts.roles import Role
from civicgrid.audit.models import AuditEntry
from civicgrid.notices.models import Notice, NoticeKind
from civicgrid.units.models import UnitKind
from civicgrid.units.services import unit_create
from civicgrid.warnings.models import CheckReminder
from civicgrid.warnings.services import (
    check_reminders_send,
    weekly_check_remind,
    weekly_check_submit,
)
from civicgrid.warnings.tests.conftest import W1, W2, ZERO, at, checks_parts

# Every test starts from the same areas and people: built once for the module, rolled back
# after each test (civicgrid/testing.py).
checks, world = checks_parts()


def notices():
    return sorted((i.area.code, i.user.username if i.user else f"unit:{i.unit.code}")
                  for i in Notice.objects.filter(kind=NoticeKind.WEEKLY_CHECK)
                  .select_related("area", "user", "unit"))


@pytest.fixture
def reporters(checks):
    w = checks.world
    unit_create(code="hx-jwh", name="濠西社区居民委员会", kind=UnitKind.COMMUNITY_COMMITTEE,
                area=w.community_b, actor=None)
    return checks


def test_missing_reporters_are_reminded_once_after_the_due_time(reporters):
    w = reporters.world
    weekly_check_submit(area=w.street_a, week=W1, data=ZERO, actor=None, now=at(3, 8))
    report = check_reminders_send(now=at(3, 9, 12, 1))
    assert report.week == W1
    assert report.areas == 4  # community A, community A2, street B, community B
    assert notices() == sorted([
        (w.community_a.code, "t_gl"),  # the community's own grid leader
        (reporters.community_a2.code, "t_gl2"),
        (w.community_b.code, "unit:hx-jwh"),  # nobody holds it: its committee
        # street B: no person and no office → listed as missing, nobody to tell
    ])
    assert CheckReminder.objects.get(area=w.community_b, week=W1).recipients == 1
    assert CheckReminder.objects.get(area=w.street_b, week=W1).recipients == 0
    message = Notice.objects.get(user__username="t_gl").message
    assert message == ("桃坞社区 2026-03-02 当周排查尚未报送(截止 2026-03-09 12:00),"
                       "请尽快报送;本周无情况也请作零报告。")
    # Again, and again later: nothing new.
    assert check_reminders_send(now=at(3, 9, 13)).areas == 0
    assert check_reminders_send(now=at(3, 14)).areas == 0
    assert len(notices()) == 3
    assert AuditEntry.objects.filter(event_type="weekly_check.reminders_sent").count() == 1


def test_street_people_are_reminded_and_leaders_are_not(reporters):
    w = reporters.world
    check_reminders_send(now=at(3, 9, 12, 1))
    street = {u for code, u in notices() if code == w.street_a.code}
    # Handler, unit leader and supervisor of street A submit; the leader only reads.
    assert street == {"t_handler", "t_unitlead", "t_supervisor"}


def test_nothing_before_the_due_time(reporters):
    report = check_reminders_send(now=at(3, 9, 11, 59))
    assert report.week == W1 - timedelta(days=7)  # W1 is not due yet: the week before is
    before = len(notices())
    assert not CheckReminder.objects.filter(week=W1).exists()
    check_reminders_send(now=at(3, 9, 12))
    assert CheckReminder.objects.filter(week=W1).count() == 5
    assert len(notices()) > before


def test_a_late_report_stops_nothing_already_sent_but_is_not_reminded_again(reporters):
    w = reporters.world
    check_reminders_send(now=at(3, 16, 12, 30))  # W2
    weekly_check_submit(area=w.community_a, week=W2, data=ZERO, actor=None, now=at(3, 16, 13))
    assert check_reminders_send(now=at(3, 16, 14)).areas == 0
    assert CheckReminder.objects.filter(week=W2, area=w.community_a).count() == 1


def test_supervisor_reminds_by_hand(reporters):
    w = reporters.world
    supervisor = w.users[Role.SUPERVISOR]
    report = weekly_check_remind(area=w.street_a, week=W2, actor=supervisor, now=at(3, 13))
    assert report.areas == 3  # street A, community A, community A2 (street B is not his)
    assert {code for code, _u in notices()} == {w.street_a.code, w.community_a.code,
                                                reporters.community_a2.code}
    reminder = CheckReminder.objects.get(area=w.community_a, week=W2)
    assert (reminder.automatic, reminder.sent_by) == (False, supervisor)
    # Within twelve hours: nothing again; the due job after the due time still reminds once.
    assert weekly_check_remind(area=w.street_a, week=W2, actor=supervisor,
                               now=at(3, 13, 20)).areas == 0
    assert check_reminders_send(now=at(3, 16, 12, 5)).areas == 5
    assert check_reminders_send(now=at(3, 16, 12, 10)).areas == 0


@pytest.mark.parametrize("role", [Role.GRID_WORKER, Role.HANDLER, Role.LEADER, Role.AUDITOR,
                                  Role.ADMINISTRATOR])
def test_only_supervisors_remind_by_hand(reporters, role):
    w = reporters.world
    with pytest.raises(PermissionDenied):
        weekly_check_remind(area=w.street_a, week=W2, actor=w.users[role], now=at(3, 13))
    assert not CheckReminder.objects.exists() and notices() == []


def test_a_supervisor_reminds_only_in_his_jurisdiction(reporters):
    w = reporters.world
    with pytest.raises(PermissionDenied):
        weekly_check_remind(area=w.street_b, week=W2, actor=w.users[Role.SUPERVISOR],
                            now=at(3, 13))
    assert not CheckReminder.objects.exists()


def test_run_due_jobs_runs_the_reminders_and_the_evaluation(reporters):
    out = io.StringIO()
    call_command("run_due_jobs", stdout=out)
    lines = dict(line.split(": ", 1) for line in out.getvalue().splitlines())
    assert lines["weekly check reminders"].endswith("notices")
    assert "changed" in lines["area statuses"]
    out = io.StringIO()
    call_command("run_due_jobs", stdout=out)
    assert "already evaluated" in out.getvalue()
    assert "weekly check reminders: 0 areas, 0 notices" in out.getvalue()

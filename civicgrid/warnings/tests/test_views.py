"""The pages: the check form (submit, refuse, prefill), the overview with its reminder
button, the status page and its map, area notices; out of scope = 404 like missing; the
number of queries of every page does not grow with areas, cases, checks or statuses."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civicgrid.accounts.roles import Role
from civicgrid.audit.models import AuditEntry
from civicgrid.cases.tests.conftest import new_case
from civicgrid.conftest import make_area, square
from civicgrid.notices.models import Notice, NoticeKind
from civicgrid.warnings.models import AreaStatus, CheckReminder, WeeklyCheck, WeeklyCheckRevision
from civicgrid.warnings.services import (
    CheckInput,
    area_status_evaluate,
    check_reminders_send,
    rules_ensure_defaults,
    weekly_check_submit,
)
from civicgrid.warnings.tests.conftest import ZERO, checks_parts
from civicgrid.warnings.weeks import current_week

# Every test starts from the same areas and people: built once for the module, rolled back
# after each test (civicgrid/testing.py).
checks, world = checks_parts()

THIS_WEEK = current_week()
LAST_WEEK = THIS_WEEK - timedelta(days=7)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def report_url(area, week=LAST_WEEK) -> str:
    return reverse("warnings:report", args=[area.code]) + f"?week={week:%Y-%m-%d}"


def snapshot() -> dict:
    return {"checks": list(WeeklyCheck.objects.order_by("pk").values()),
            "revisions": WeeklyCheckRevision.objects.count(),
            "audit": AuditEntry.objects.count()}


# --- the check form ------------------------------------------------------------------------

def test_grid_leader_submits_a_zero_report_then_corrects_it(checks):
    w = checks.world
    client = client_for(checks.grid_leader)
    page = client.get(report_url(w.community_a)).content.decode()
    assert "本周无情况(零报告)" in page and 'data-testid="submit-check"' in page
    response = client.post(report_url(w.community_a),
                           {"week": f"{LAST_WEEK:%Y-%m-%d}", "is_zero": "on"})
    assert response.status_code == 302
    assert response["Location"] == report_url(w.community_a)
    check = WeeklyCheck.objects.get(area=w.community_a, week=LAST_WEEK)
    assert check.is_zero and check.submitted_by == checks.grid_leader
    page = client.get(report_url(w.community_a)).content.decode()
    assert "已报送本周排查。" in page and "零报告" in page
    # A correction: prefilled form, counts instead of the zero report.
    response = client.post(report_url(w.community_a), {
        "week": f"{LAST_WEEK:%Y-%m-%d}", "disputes_found": "3", "resolved_on_spot": "2",
        "risk_points": "1", "notes": "邻里噪音两起已调解"})
    assert response.status_code == 302
    check.refresh_from_db()
    assert (check.is_zero, check.disputes_found, check.revision) == (False, 3, 2)
    page = client.get(report_url(w.community_a)).content.decode()
    assert 'value="3"' in page and "邻里噪音两起已调解" in page
    assert 'data-testid="revisions"' in page and "第 2 次报送" in page


@pytest.mark.parametrize("data, message", [
    ({"disputes_found": "-1"}, "不能为负数。"),
    ({"disputes_found": "abc"}, "请填写整数。"),
    ({}, "如本周无情况,请勾选“本周无情况(零报告)”"),
    ({"is_zero": "on", "risk_points": "2"}, "零报告表示本周没有发现任何情况"),
    ({"disputes_found": "1", "resolved_on_spot": "3"}, "当场化解数不能多于排查发现的矛盾纠纷数"),
])
def test_bad_input_shows_a_clear_message_and_changes_nothing(checks, data, message):
    w = checks.world
    weekly_check_submit(area=w.community_a, week=LAST_WEEK, data=CheckInput(disputes_found=1),
                        actor=None)
    before = snapshot()
    client = client_for(checks.grid_leader)
    response = client.post(report_url(w.community_a),
                           {"week": f"{LAST_WEEK:%Y-%m-%d}", **data})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="form-error"' in page and message in page
    assert snapshot() == before


def test_a_future_week_is_refused_with_a_message(checks):
    w = checks.world
    next_week = THIS_WEEK + timedelta(days=7)
    response = client_for(checks.grid_leader).post(
        report_url(w.community_a, THIS_WEEK), {"week": f"{next_week:%Y-%m-%d}", "is_zero": "on"})
    assert response.status_code == 200
    assert "这一周还没有开始,不能报送。" in response.content.decode()
    assert not WeeklyCheck.objects.exists()


@pytest.mark.parametrize("role", [Role.LEADER, Role.AUDITOR])
def test_readers_see_the_check_but_cannot_post(checks, role):
    w = checks.world
    weekly_check_submit(area=w.street_a, week=LAST_WEEK, data=CheckInput(disputes_found=2),
                        actor=None)
    client = client_for(w.users[role])
    page = client.get(report_url(w.street_a)).content.decode()
    assert 'data-testid="check-values"' in page and 'data-testid="submit-check"' not in page
    before = snapshot()
    response = client.post(report_url(w.street_a),
                           {"week": f"{LAST_WEEK:%Y-%m-%d}", "is_zero": "on"})
    assert response.status_code == 403
    assert snapshot() == before


def test_a_grid_is_not_a_reporter(world):
    page = client_for(world.users[Role.GRID_WORKER]).get(report_url(world.grid_a1))
    assert page.status_code == 200
    assert 'data-testid="not-expected"' in page.content.decode()
    assert 'data-testid="submit-check"' not in page.content.decode()


def test_checks_home_lists_what_the_user_reports(checks):
    page = client_for(checks.grid_leader).get(reverse("warnings:checks")).content.decode()
    assert f'data-report-link="{checks.world.community_a.code}"' in page
    page = client_for(checks.world.users[Role.GRID_WORKER]).get(
        reverse("warnings:checks")).content.decode()
    assert "您的管辖区域无需单独报送" in page
    # A leader without anything to report goes to the overview of their street.
    response = client_for(checks.world.users[Role.LEADER]).get(reverse("warnings:checks"))
    assert response.status_code == 302
    assert response["Location"] == reverse("warnings:overview", args=[checks.world.street_a.code])


# --- overview and reminders ------------------------------------------------------------------

def test_overview_shows_rates_children_and_the_missing(checks):
    w = checks.world
    weekly_check_submit(area=w.community_a, week=LAST_WEEK, data=ZERO, actor=None)
    client = client_for(w.users[Role.SUPERVISOR])
    page = client.get(reverse("warnings:overview", args=[w.street_a.code])
                      + f"?week={LAST_WEEK:%Y-%m-%d}").content.decode()
    assert re.search(r'data-testid="completeness">33.33%<', page)
    assert f'data-missing="{w.street_a.code}"' in page
    assert f'data-missing="{checks.community_a2.code}"' in page
    assert f'data-missing="{w.community_a.code}"' not in page
    assert 'data-testid="remind"' in page
    # The month view of the county: one row per street.
    page = client_for(w.users[Role.AUDITOR]).get(
        reverse("warnings:overview", args=[w.county.code])
        + f"?month={LAST_WEEK:%Y-%m}").content.decode()
    assert f'data-child="{w.street_a.code}"' in page and 'data-testid="weeks"' in page
    assert 'data-testid="remind"' not in page  # the auditor only reads


def test_remind_button(checks):
    w = checks.world
    client = client_for(w.users[Role.SUPERVISOR])
    url = reverse("warnings:remind", args=[w.street_a.code])
    assert client.get(url).status_code == 405
    response = client.post(url, {"week": f"{LAST_WEEK:%Y-%m-%d}"})
    assert response.status_code == 302
    assert CheckReminder.objects.filter(week=LAST_WEEK, automatic=False).count() == 3
    page = client.get(response["Location"]).content.decode()
    assert "已提醒 3 个未报单位" in page and "已提醒" in page
    # A leader may not remind: 403, nothing sent.
    before = Notice.objects.count()
    assert client_for(w.users[Role.LEADER]).post(url).status_code == 403
    assert Notice.objects.count() == before


# --- status ---------------------------------------------------------------------------------

@pytest.fixture
def evaluated(office, checks):
    rules_ensure_defaults()
    case = new_case(office)
    case.__class__.objects.filter(pk=case.pk).update(is_group=True)
    area_status_evaluate()
    return office


def test_status_page_and_map(evaluated):
    w = evaluated.world
    client = client_for(w.users[Role.LEADER])
    page = client.get(reverse("warnings:status", args=[w.street_a.code])).content.decode()
    assert f'data-warning="{w.community_a.code}"' in page
    assert "未办结的群体性、重大矛盾纠纷 1 件(黄色阈值 1 件)" in page
    assert 'data-status-map' in page and 'data-testid="history-strip"' in page
    data = client.get(reverse("warnings:status_map", args=[w.street_a.code])).json()
    codes = {f["properties"]["code"]: f["properties"]["status"] for f in data["features"]}
    assert codes[w.community_a.code] == "yellow"
    assert data["area"]["code"] == w.street_a.code
    greens = sum(1 for status in codes.values() if status == "green")
    assert ('data-testid="green-count"' in page) == (greens > 0)
    if greens:
        assert f"另有 {greens} 个区域为绿色" in page
    # The home of the warnings sends a user with one root to it.
    response = client.get(reverse("warnings:index"))
    assert response["Location"] == reverse("warnings:status", args=[w.street_a.code])
    # Navigation.
    home = client.get("/").content.decode()
    assert reverse("warnings:index") in home and reverse("warnings:checks") in home


def test_status_history_lists_the_changes(evaluated):
    w = evaluated.world
    AreaStatus.objects.filter(area=w.community_a).update(day=THIS_WEEK - timedelta(days=1))
    area_status_evaluate()
    page = client_for(w.users[Role.SUPERVISOR]).get(
        reverse("warnings:status", args=[w.community_a.code])).content.decode()
    assert page.count("data-history-day=") == 1  # green → yellow once; unchanged since


def test_area_notices_on_the_notices_page(evaluated, checks):
    w = evaluated.world
    check_reminders_send()
    client = client_for(checks.grid_leader)
    page = client.get(reverse("cases:notices")).content.decode()
    assert f'data-notice-area="{w.community_a.code}"' in page
    assert reverse("warnings:report", args=[w.community_a.code]) in page
    page = client_for(w.users[Role.SUPERVISOR]).get(reverse("cases:notices")).content.decode()
    assert reverse("warnings:status", args=[w.community_a.code]) in page
    assert Notice.objects.filter(kind=NoticeKind.AREA_STATUS, case__isnull=True).exists()


# --- scope ----------------------------------------------------------------------------------

def _without_csrf(content: bytes) -> bytes:
    return re.sub(rb'(name="csrf-token" content|name="csrfmiddlewaretoken" value|'
                  rb'name="next" value)="[^"]+"', rb"\1=''", content)


@pytest.mark.parametrize("name", ["status", "status_map", "overview", "report", "remind"])
def test_out_of_scope_answers_like_missing(world, name):
    client = client_for(world.users[Role.SUPERVISOR])
    missing = reverse(f"warnings:{name}", args=["320602999"])
    outside = reverse(f"warnings:{name}", args=[world.street_b.code])
    call = client.post if name == "remind" else client.get
    a, b = call(missing), call(outside)
    assert a.status_code == b.status_code == 404
    assert _without_csrf(a.content) == _without_csrf(b.content)
    assert not CheckReminder.objects.exists()


def test_posting_a_check_out_of_scope_is_404_and_changes_nothing(checks):
    before = snapshot()
    response = client_for(checks.grid_leader).post(
        report_url(checks.community_a2), {"week": f"{LAST_WEEK:%Y-%m-%d}", "is_zero": "on"})
    assert response.status_code == 404
    assert snapshot() == before


# --- queries ----------------------------------------------------------------------------------

def _grow(office, start: int, n: int) -> None:
    w = office.world
    for i in range(start, start + n):
        community = make_area(f"320602001{100 + i:03d}", f"新社区{i}", w.street_a,
                              square(120.8 + i * 0.001, 31.9, 0.001))
        grid = make_area(f"320602001{100 + i:03d}001", f"新社区{i}第1网格", community)
        case = new_case(office, area=grid)
        case.__class__.objects.filter(pk=case.pk).update(is_group=bool(i % 2))
        if i % 3:
            weekly_check_submit(area=community, week=LAST_WEEK, data=ZERO, actor=None)
    AreaStatus.objects.all().delete()
    area_status_evaluate()
    check_reminders_send()


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def test_pages_run_a_constant_number_of_queries(office, checks):
    w = office.world
    rules_ensure_defaults()
    supervisor = client_for(w.users[Role.SUPERVISOR])
    leader = client_for(checks.grid_leader)
    pages = [
        (supervisor, reverse("warnings:status", args=[w.street_a.code])),
        (supervisor, reverse("warnings:status_map", args=[w.street_a.code])),
        (supervisor, reverse("warnings:checks")),
        (supervisor, reverse("warnings:overview", args=[w.street_a.code])
         + f"?week={LAST_WEEK:%Y-%m-%d}"),
        (supervisor, reverse("warnings:overview", args=[w.street_a.code])
         + f"?month={LAST_WEEK:%Y-%m}"),
        (supervisor, report_url(w.street_a)),
        (leader, report_url(w.community_a)),
        (leader, reverse("cases:notices")),
        (supervisor, reverse("cases:notices")),
    ]
    _grow(office, 0, 3)
    small = [_count(c, url) for c, url in pages]
    _grow(office, 3, 25)
    large = [_count(c, url) for c, url in pages]
    assert small == large, list(zip([u for _c, u in pages], small, large, strict=True))

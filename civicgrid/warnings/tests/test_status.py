"""Area warnings: each rule green/yellow/red with its exact reason, the daily evaluation,
history, notices to supervisors on a change, constant queries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from civicgrid.accounts.roles import Role
from civicgrid.cases.models import Case, Status
from civicgrid.cases.tests.conftest import new_case
from civicgrid.conftest import make_area
from civicgrid.notices.models import Notice, NoticeKind
from civicgrid.warnings.models import AreaStatus, WarningRule
from civicgrid.warnings.selectors import area_status_features, rise_windows
from civicgrid.warnings.services import (
    area_status_evaluate,
    area_status_evaluate_due,
    rules_ensure_defaults,
    weekly_check_submit,
)
from civicgrid.warnings.tests.conftest import W2, ZERO, at, au, district_parts

# Every test starts from the same areas and people: built once for the module, rolled back
# after each test (civicgrid/testing.py).
office, checks, world = district_parts()

NOW = at(3, 17, 9)
DAY = date(2026, 3, 17)


def only_rule(**spec) -> WarningRule:
    WarningRule.objects.all().delete()
    spec.setdefault("name", "测试规则")
    return WarningRule.objects.create(**spec)


def cases(office, n: int, area=None, **fields) -> list[Case]:
    """n cases in `area` (default grid A1), registered 2026-03-10, not overdue, with
    `fields` set on the row."""
    made = [new_case(office, area=area or office.world.grid_a1) for _i in range(n)]
    fields.setdefault("registered_at", at(3, 10))
    fields.setdefault("stage_due_at", at(3, 30))
    Case.objects.filter(pk__in=[c.pk for c in made]).update(**fields)
    return made


def status(area, day: date = DAY) -> AreaStatus:
    return AreaStatus.objects.get(area=area, day=day)


def reason(rule, colour, value, threshold, count, text, detail=None, measure="count"):
    return {"rule": rule.pk, "name": rule.name, "kind": rule.kind, "measure": measure,
            "status": colour, "value": value, "threshold": threshold, "count": count,
            "detail": detail or {}, "text": text}


@pytest.fixture
def district(office, checks):
    return office


# --- each rule ------------------------------------------------------------------------------

def test_group_and_major_disputes(district):
    w = district.world
    rule = only_rule(kind="group_major", yellow_threshold=1, red_threshold=3)
    area_status_evaluate(now=NOW)
    assert status(w.community_a).status == "green" and status(w.community_a).reasons == []

    cases(district, 1, is_group=True)
    area_status_evaluate(now=NOW)
    text = "未办结的群体性、重大矛盾纠纷 1 件(黄色阈值 1 件)"
    for area in (w.community_a, w.street_a, w.county):
        assert status(area).status == "yellow"
        assert status(area).reasons == [reason(rule, "yellow", 1, 1, 1, text)]
    for area in (w.street_b, w.community_b):
        assert status(area).status == "green"

    cases(district, 2, is_major=True)
    cases(district, 1, is_group=True, status=Status.CLOSED)  # closed: not counted
    area_status_evaluate(now=NOW)
    assert status(w.community_a).reasons == [
        reason(rule, "red", 3, 3, 3, "未办结的群体性、重大矛盾纠纷 3 件(红色阈值 3 件)")]


def test_overdue_share_with_minimum_count(district):
    w = district.world
    rule = only_rule(kind="overdue", measure="percent", yellow_threshold=10,
                     red_threshold=30, min_count=2)
    cases(district, 10)
    overdue = cases(district, 1, stage_due_at=at(3, 12))
    cases(district, 1, stage_due_at=at(3, 12), status=Status.SUSPENDED)  # clock stopped
    area_status_evaluate(now=NOW)
    assert status(w.community_a).status == "green"  # 1 of 11: below the minimum count

    overdue += cases(district, 1, stage_due_at=at(3, 12))
    area_status_evaluate(now=NOW)
    text = "超期未办结事件占在办事件 16.7%,共 2 件(黄色阈值 10%)"
    assert status(w.community_a).reasons == [
        reason(rule, "yellow", 16.7, 10, 2, text, {"clocked": 12}, "percent")]

    cases(district, 2, stage_due_at=at(3, 16, 23))
    area_status_evaluate(now=NOW)
    assert status(w.street_a).reasons == [reason(
        rule, "yellow", 28.6, 10, 4, "超期未办结事件占在办事件 28.6%,共 4 件(黄色阈值 10%)",
        {"clocked": 14}, "percent")]
    cases(district, 1, stage_due_at=at(3, 1))
    area_status_evaluate(now=NOW)
    assert status(w.county).reasons == [reason(
        rule, "red", 33.3, 30, 5, "超期未办结事件占在办事件 33.3%,共 5 件(红色阈值 30%)",
        {"clocked": 15}, "percent")]


def test_overdue_count(district):
    w = district.world
    rule = only_rule(kind="overdue", measure="count", yellow_threshold=2, red_threshold=5)
    cases(district, 2, stage_due_at=at(3, 16))
    area_status_evaluate(now=NOW)
    assert status(w.community_a).reasons == [
        reason(rule, "yellow", 2, 2, 2, "超期未办结事件 2 件(黄色阈值 2 件)", {"clocked": 2})]


def test_month_on_month_rise(district):
    w = district.world
    rule = only_rule(kind="rise", measure="percent", yellow_threshold=50, red_threshold=100,
                     min_count=5)
    current_start, previous_start, previous_end = rise_windows(NOW)
    assert (current_start, previous_start, previous_end) == (at(3, 1, 0), at(2, 1, 0),
                                                            at(2, 17, 9))
    cases(district, 4, registered_at=at(2, 10), status=Status.CLOSED)
    cases(district, 3, registered_at=at(2, 20), status=Status.CLOSED)  # after the window
    cases(district, 5)
    area_status_evaluate(now=NOW)
    assert status(w.community_a).status == "green"  # 5 against 4: +25 %

    cases(district, 1)
    area_status_evaluate(now=NOW)
    text = "本月至今登记 6 件,上月同期 4 件,环比上升 50%(黄色阈值 50%)"
    assert status(w.community_a).reasons == [
        reason(rule, "yellow", 50, 50, 6, text, {"current": 6, "previous": 4}, "percent")]

    cases(district, 2)
    area_status_evaluate(now=NOW)
    assert status(w.county).status == "red"
    assert status(w.county).reasons[0]["value"] == 100


def test_rise_from_nothing_needs_the_minimum_count(district):
    w = district.world
    only_rule(kind="rise", measure="percent", yellow_threshold=50, red_threshold=100,
              min_count=5)
    cases(district, 4)
    area_status_evaluate(now=NOW)
    assert status(w.community_a).status == "green"
    cases(district, 1)
    area_status_evaluate(now=NOW)
    assert status(w.community_a).status == "red"
    assert status(w.community_a).reasons[0]["value"] == 500  # (5 − 0) ÷ max(0, 1)


def test_rise_compares_the_same_days_of_a_shorter_month():
    # 31 March 20:00 against February, which has only 28 days: all of February.
    assert rise_windows(at(3, 31, 20)) == (at(3, 1, 0), at(2, 1, 0), at(3, 1, 0))


def test_missing_weekly_checks(district, checks):
    w = district.world
    rules_ensure_defaults()
    WarningRule.objects.exclude(kind="missing_checks").delete()
    community_rule = WarningRule.objects.get(kind="missing_checks", for_community=True)
    area_rule = WarningRule.objects.get(kind="missing_checks", for_street=True)
    weekly_check_submit(area=w.street_a, week=W2, data=ZERO, actor=None, now=at(3, 15))
    weekly_check_submit(area=w.community_a, week=W2, data=ZERO, actor=None, now=at(3, 15))
    area_status_evaluate(now=NOW)  # the last due week is W2 (due 03-16 12:00)
    assert status(w.community_a).status == "green"
    assert status(checks.community_a2).reasons == [reason(
        community_rule, "yellow", 1, 1, 1,
        "2026-03-09 当周排查 1 个上报单位中 1 个未报(黄色阈值 1 个)",
        {"expected": 1, "week": "2026-03-09"})]
    assert status(w.street_a).reasons == [reason(
        area_rule, "red", 33.3, 30, 1,
        "2026-03-09 当周排查 3 个上报单位中 1 个未报,未报率 33.3%(红色阈值 30%)",
        {"expected": 3, "week": "2026-03-09"}, "percent")]
    assert status(w.street_b).reasons[0]["value"] == 100
    assert status(w.county).reasons[0]["value"] == 60  # 3 of 5
    assert status(w.county).reasons[0]["status"] == "red"


def test_supervision_flags(district):
    w = district.world
    only_rule(kind="yellow_flags", yellow_threshold=1)
    red = WarningRule.objects.create(name="红牌", kind="red_flags", red_threshold=1)
    yellow = WarningRule.objects.get(kind="yellow_flags")
    cases(district, 1, supervision="yellow")
    area_status_evaluate(now=NOW)
    assert status(w.street_a).reasons == [
        reason(yellow, "yellow", 1, 1, 1, "黄牌督办中的事件 1 件(黄色阈值 1 件)")]
    cases(district, 1, supervision="red")
    cases(district, 1, supervision="red", status=Status.CLOSED)
    area_status_evaluate(now=NOW)
    # Red first, then the others.
    assert status(w.street_a).status == "red"
    assert status(w.street_a).reasons == [
        reason(red, "red", 1, 1, 1, "红牌督办中的事件 1 件(红色阈值 1 件)"),
        reason(yellow, "yellow", 1, 1, 1, "黄牌督办中的事件 1 件(黄色阈值 1 件)")]


def test_rules_apply_to_their_levels_and_inactive_rules_to_none(district):
    w = district.world
    rule = only_rule(kind="group_major", yellow_threshold=1, for_county=False,
                     for_street=True, for_community=False)
    cases(district, 1, is_group=True)
    area_status_evaluate(now=NOW)
    assert [status(a).status for a in (w.community_a, w.street_a, w.county)] == \
        ["green", "yellow", "green"]
    WarningRule.objects.filter(pk=rule.pk).update(active=False)
    area_status_evaluate(now=NOW)
    assert status(w.street_a).status == "green"


def test_default_rules_are_loaded_and_valid(db):
    WarningRule.objects.all().delete()
    assert rules_ensure_defaults() == 8
    assert rules_ensure_defaults() == 0
    kinds = set(WarningRule.objects.values_list("kind", flat=True))
    assert kinds == {"group_major", "overdue", "rise", "missing_checks", "red_flags",
                     "yellow_flags", "matter_disputes"}
    assert WarningRule.objects.get(kind="group_major").red_threshold == Decimal("3")


# --- changes, notices, history ---------------------------------------------------------------

def _notices():
    return sorted(Notice.objects.filter(kind=NoticeKind.AREA_STATUS)
                  .values_list("user__username", "area__code"))


def test_a_change_notifies_the_covering_supervisors_once_and_history_is_kept(district):
    w = district.world
    only_rule(kind="group_major", yellow_threshold=1, red_threshold=3)
    area_status_evaluate(now=at(3, 16, 6))  # all green: nothing to tell
    assert _notices() == []
    cases(district, 1, is_group=True)
    report = area_status_evaluate(now=NOW)
    assert sorted(report.changed) == sorted([(w.county.code, "green", "yellow"),
                                             (w.street_a.code, "green", "yellow"),
                                             (w.community_a.code, "green", "yellow")])
    # The nearest supervisors hear of a change: the county's of the county and its street,
    # the street's of the street and its community (not the county's of every community).
    assert _notices() == sorted([
        ("c_disp", w.county.code), ("c_disp", w.street_a.code),
        ("t_supervisor", w.street_a.code), ("t_supervisor", w.community_a.code)])
    item = Notice.objects.get(user__username="t_supervisor", area=w.community_a)
    assert item.case is None
    assert item.message == ("桃坞社区 预警状态由绿色变为黄色:"
                            "未办结的群体性、重大矛盾纠纷 1 件(黄色阈值 1 件)")
    # Shown in the reader's language: the colours and the reason were stored in both.
    with translation.override("en"):
        assert item.text == ("桃坞社区: warning status changed from Green to Yellow: "
                             "1 unresolved group or major disputes (Yellow threshold: 1)")
    # Again today, and tomorrow: no change, no notice.
    area_status_evaluate(now=at(3, 17, 18))
    area_status_evaluate(now=at(3, 18, 6))
    assert len(_notices()) == 4
    history = list(AreaStatus.objects.filter(area=w.community_a).order_by("day")
                   .values_list("day", "status", "previous_status"))
    assert history == [(date(2026, 3, 16), "green", ""), (DAY, "yellow", "green"),
                       (date(2026, 3, 18), "yellow", "yellow")]
    # Back to green: another notice for each.
    Case.objects.update(status=Status.CLOSED)
    area_status_evaluate(now=at(3, 19, 6))
    assert len(_notices()) == 8
    assert status(w.community_a, date(2026, 3, 19)).previous_status == "yellow"


def test_first_evaluation_notifies_only_warnings(district):
    w = district.world
    only_rule(kind="group_major", yellow_threshold=1)
    cases(district, 1, is_group=True)
    area_status_evaluate(now=NOW)
    assert ("t_supervisor", w.community_a.code) in _notices()
    assert not Notice.objects.filter(area=w.community_b).exists()
    assert status(w.community_a).previous_status == ""


def test_leaders_handlers_and_inactive_supervisors_are_not_notified(district):
    w = district.world
    only_rule(kind="group_major", yellow_threshold=1)
    w.users[Role.SUPERVISOR].is_active = False
    w.users[Role.SUPERVISOR].save()
    cases(district, 1, is_group=True)
    area_status_evaluate(now=NOW)
    assert {u for u, _c in _notices()} == {"c_disp"}


def test_the_daily_job_runs_once_a_day(district):
    only_rule(kind="group_major", yellow_threshold=1)
    first = area_status_evaluate_due(now=NOW)
    assert not first.skipped and sum(first.counts.values()) == 6
    assert area_status_evaluate_due(now=at(3, 17, 23, 59)).skipped
    assert not area_status_evaluate_due(now=at(3, 18, 0, 1)).skipped
    assert AreaStatus.objects.filter(day=DAY).count() == 6  # county, 2 streets, 3 communities


def test_status_features_for_the_map(district):
    w = district.world
    only_rule(kind="group_major", yellow_threshold=1)
    cases(district, 1, is_group=True)
    area_status_evaluate(now=NOW)
    data = area_status_features(actor=au(w), parent=w.county)
    assert data["type"] == "FeatureCollection" and data["day"] == "2026-03-17"
    props = {f["properties"]["code"]: f["properties"] for f in data["features"]}
    assert props[w.street_a.code]["status"] == "yellow"
    assert props[w.street_a.code]["reasons"][0]["text"] == \
        "未办结的群体性、重大矛盾纠纷 1 件(黄色阈值 1 件)"
    assert props[w.street_b.code] | {"reasons": None} == {
        "code": w.street_b.code, "name": "和平桥街道", "level": "street", "status": "green",
        "reasons": None}
    assert area_status_features(actor=au(w), parent=w.county, day=date(2026, 1, 1))[
        "features"][0]["properties"]["status"] == ""


# --- constant queries ------------------------------------------------------------------------

def _grow(office, start: int, n: int) -> None:
    w = office.world
    for i in range(start, start + n):
        community = make_area(f"320602002{100 + i:03d}", f"新社区{i}", w.street_b)
        grid = make_area(f"320602002{100 + i:03d}001", f"新社区{i}第1网格", community)
        cases(office, 2, area=grid, is_group=bool(i % 2), supervision="red" if i % 5 else "")
        if i % 3:
            weekly_check_submit(area=community, week=W2, data=ZERO, actor=None, now=at(3, 15))


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_evaluation_runs_a_constant_number_of_queries(district):
    """Few areas and cases, then many: the same queries (each run with a previous day and
    some changes, so every write happens in both)."""
    w = district.world
    rules_ensure_defaults()
    _grow(district, 0, 2)
    area_status_evaluate(now=at(3, 16, 6))
    major = cases(district, 3, is_major=True)
    small = _queries(lambda: area_status_evaluate(now=at(3, 17, 6)))
    assert status(w.community_a).status == "red"
    _grow(district, 2, 30)
    area_status_evaluate(now=at(3, 18, 6))
    Case.objects.filter(pk__in=[c.pk for c in major]).update(status=Status.CLOSED)
    large = _queries(lambda: area_status_evaluate(now=at(3, 19, 6)))
    assert status(w.community_a, date(2026, 3, 19)).previous_status == "red"
    assert AreaStatus.objects.filter(day=date(2026, 3, 19)).count() == 6 + 32
    assert small == large

"""The leaders' dashboard and the KPI page: numbers, links, scope and constant queries."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from civicgrid.accounts.roles import Role
from civicgrid.cases.models import Case
from civicgrid.cases.tests.conftest import new_case
from civicgrid.stats.models import Indicator, KpiTarget
from civicgrid.stats.selectors import current_month, most_overdue
from civicgrid.stats.tests.conftest import history_parts
from civicgrid.stats.tests.test_indicators import play

# The district and its nine-case history, built once for the module and rolled back after
# each test (civicgrid/testing.py).
office, history, world = history_parts()


def _queries(client, url: str, params: dict) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries)


def test_dashboard_shows_kpis_against_target_with_links(office, history, client):
    KpiTarget.objects.create(indicator=Indicator.CLOSURE_RATE, area_code="", year=0,
                             value=Decimal("90"))
    client.force_login(office.people["leader"])
    world = office.world
    # The history is this month's (the dashboard opens on the last complete month).
    response = client.get(reverse("stats:dashboard"), {"period": current_month().key})
    assert response.status_code == 200
    context = response.context
    assert context["area"] == world.street_a  # the leader's jurisdiction root
    tiles = {t["kpi"].indicator.code: t for t in context["tiles"]}
    closure = tiles[Indicator.CLOSURE_RATE]
    assert (closure["kpi"].value, closure["kpi"].target, closure["kpi"].met) == (
        Decimal("57.14"), Decimal("90.00"), False)
    query = parse_qs(urlparse(closure["url"]).query)
    assert query == {"inbox": ["all"], "area": [world.street_a.code],
                     "stat": ["closure_rate:num"], "period": [current_month().key]}
    mediation = tiles[Indicator.MEDIATION_SUCCESS]["kpi"]
    assert (mediation.value, mediation.target) == (Decimal("33.33"), Decimal("92.00"))
    text = response.content.decode()
    assert 'data-testid="kpi-closure_rate"' in text and "57.14" in text
    data = json.loads(text.split('id="dashboard-data" type="application/json">', 1)[1]
                      .split("</script>", 1)[0])
    assert data["trend"]["registered"][-1] == 9
    assert data["trend"]["closed"][-1] == 4
    assert {s["name"]: s["value"] for s in data["mix"]} == {"矛盾纠纷(测试)": 6,
                                                           "信访(测试)": 3}
    assert {f["properties"]["code"] for f in data["map"]["features"]} == {
        world.community_a.code}
    counts = {c["label"]: c["value"] for c in context["counts"]}
    assert counts["登记"] == 9 and counts["结案"] == 4


def test_dashboard_queries_do_not_grow_with_cases(office, client):
    client.force_login(office.people["county_dispatcher"])
    params = {"area": office.world.county.code}
    for _ in range(3):
        new_case(office)
    few = _queries(client, reverse("stats:dashboard"), params)
    for n in range(25):
        case = new_case(office, is_group=n % 5 == 0)
        if n % 3 == 0:
            play(office, case, [("reject", {"reason": "重复"})])
    assert _queries(client, reverse("stats:dashboard"), params) == few
    assert _queries(client, reverse("stats:kpis"), params) == _queries(
        client, reverse("stats:kpis"), params)


def test_kpi_page_queries_do_not_grow_with_cases(office, client):
    client.force_login(office.people["county_dispatcher"])
    params = {"area": office.world.county.code, "indicator": Indicator.CLOSURE_RATE}
    new_case(office)
    few = _queries(client, reverse("stats:kpis"), params)
    for _ in range(20):
        new_case(office)
    assert _queries(client, reverse("stats:kpis"), params) == few


def test_kpi_page_ranks_the_children(office, history, client):
    client.force_login(office.people["county_dispatcher"])
    world = office.world
    response = client.get(reverse("stats:kpis"), {
        "area": world.county.code, "indicator": Indicator.MEDIATION_SUCCESS,
        "period": current_month().key})
    ranking = response.context["ranking"]
    assert [(e["row"].area.code, e["row"].rank, e["row"].kpi.value) for e in ranking] == [
        (world.street_a.code, 1, Decimal("33.33")), (world.street_b.code, None, None)]
    rows = {r["kpi"].indicator.code: r for r in response.context["rows"]}
    assert rows[Indicator.MEDIATION_SUCCESS]["kpi"].numerator == 1
    assert "stat=mediation_success%3Aden" in rows[Indicator.MEDIATION_SUCCESS]["den_url"]


@pytest.mark.parametrize("params", [{"area": "320602002"}, {"area": "999999"},
                                    {"period": "2026-13"}, {"indicator": "nonsense"}])
def test_out_of_scope_or_bad_input_is_404(office, client, params):
    client.force_login(office.people["leader"])  # street A
    url = reverse("stats:kpis") if "indicator" in params else reverse("stats:dashboard")
    assert client.get(url, params).status_code == 404


@pytest.mark.parametrize("role", list(Role))
def test_who_may_open_the_dashboard(world, client, role):
    client.force_login(world.users[role])
    response = client.get(reverse("stats:dashboard"))
    allowed = role in (Role.LEADER, Role.SUPERVISOR, Role.AUDITOR)
    assert response.status_code == (200 if allowed else 403)


def test_most_overdue_lists_the_longest_past_due_first_and_says_how_long(office, client):
    now = timezone.now()
    cases = [new_case(office) for _ in range(4)]
    # (started, due) of each case: 30 days late (allowed 10), 2 days late (allowed 1),
    # 5 hours late, and not due yet.
    windows = [(now - timedelta(days=40), now - timedelta(days=30)),
               (now - timedelta(days=3), now - timedelta(days=2)),
               (now - timedelta(days=2), now - timedelta(hours=5)),
               (now - timedelta(days=1), now + timedelta(days=1))]
    for case, (started, due) in zip(cases, windows, strict=True):
        Case.objects.filter(pk=case.pk).update(stage_started_at=started, stage_due_at=due)
    rows = most_overdue(actor=office.people["county_dispatcher"],
                        area=office.world.county, now=now)
    assert [r.case.pk for r in rows] == [c.pk for c in cases[:3]]
    assert [(r.days, r.multiple) for r in rows] == [(30, 4.0), (2, 3.0), (0, 1.1)]
    assert rows[2].hours == 5
    client.force_login(office.people["county_dispatcher"])
    html = client.get(reverse("stats:dashboard"), {"area": office.world.county.code}
                      ).content.decode()
    listed = html.split('data-testid="overdue-list"', 1)[1]
    assert listed.index("超时 30 天 · 4.0 倍") < listed.index("超时 2 天 · 3.0 倍") < \
        listed.index("超时 5 小时 · 1.1 倍")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("stats:dashboard"), {"area": office.world.county.code}
                      ).content.decode()
    assert "30 days overdue · 4.0×" in html and "5 hours overdue · 1.1×" in html

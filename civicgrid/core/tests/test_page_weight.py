"""Page weight (issue 17, point 9): every page a grid worker or a resident opens weighs less
than 120 KB on a first visit (empty cache), compressed as production sends it; measured by
civicgrid/core/weights.py and listed in docs/performance.md ("Page weight").

Re-measure and print the table of the docs:

    env -u DATABASE_URL -u DJANGO_SETTINGS_MODULE .venv/bin/pytest -p no:cacheprovider \
        civicgrid/core/tests/test_page_weight.py -s

The data is the fixtures' small district (civicgrid/conftest.py `world`, the cases tests'
`office`) with what makes each page as heavy as it gets for a grid worker: a full first
page of cases in the worker's grid, a case with its parties, attributes and a timeline,
buildings with their layout tables, notices, twenty major matters to tag a case with.
"""

from __future__ import annotations

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from civicgrid.accounts.roles import Role
from civicgrid.cases.services import PartyInput, case_act, case_tag_matter
from civicgrid.cases.tests.conftest import new_case
from civicgrid.core.weights import (
    PageWeight,
    asset_table,
    measure_page,
    weight_table,
)
from civicgrid.portal.selectors import status_token
from civicgrid.registry.services import BuildingInput, building_create
from civicgrid.risk.tests.followup_rows import matter
from civicgrid.testing import build_office, shared

LIMIT = 120 * 1024  # bytes, compressed, first visit

DESCRIPTIONS = [
    "楼上住户深夜装修噪音扰民,多次协商无果,请求社区出面调解",
    "小区东门外人行道井盖缺失,夜间行人易踏空,存在安全隐患",
    "商铺占道经营,油烟直排居民楼,周边居民反映强烈",
    "邻里之间因楼道堆放杂物发生口角,需要调解",
    "老旧小区电动车楼道内充电,电线私拉乱接",
]


def build_pages():
    office = build_office()
    w = office.world
    worker = w.users[Role.GRID_WORKER]
    # A full first page of the worker's case list (30 rows) and then some.
    cases = [new_case(office, description=DESCRIPTIONS[i % len(DESCRIPTIONS)] + f"({i + 1})",
                      address=f"桃坞路{i + 1}号") for i in range(34)]
    # The case page: three parties, a step on the timeline.
    case = new_case(office, description="某装修公司拖欠十二名工人工资共计二万三千元,工人多次"
                                        "讨要未果,情绪激动,双方在小区门口发生争执。",
                    parties=[PartyInput(role="applicant", name="王五", phone="13812345678"),
                             PartyInput(role="applicant", name="赵六", phone="13912345678"),
                             PartyInput(role="respondent", name="某装修公司")])
    dispatcher = office.people["dispatcher"]
    case = case_act("accept", case=case, actor=dispatcher, expected_version=case.version,
                    note="已受理,转劳资纠纷调解")
    # Major matters the worker may tag a case with (the intake's select and the case
    # page's 涉及重大事项): twenty of the worker's community, the case tagged with one.
    matters = [matter(w.community_a, w.unit_a, registered_at=timezone.now(),
                      title=f"桃坞社区老旧小区改造第{n}期加装电梯工程") for n in range(1, 21)]
    case_tag_matter(case=case, matter=matters[0], actor=worker)
    # Buildings of the worker's grid with their layout tables (楼盘表).
    for n in range(1, 7):
        building_create(grid=w.grid_a1, actor=worker, data=BuildingInput(
            name=f"{n}幢", road="桃坞路", house_number=str(10 + n), floors_above=18, units=2,
            rooms_per_floor=2))
    return {"office": office, "cases": cases, "case": case}


pages_once, pages = shared(build_pages, name="pages")


def grid_worker_urls(data) -> list[tuple[str, str]]:
    w = data["office"].world
    building = w.grid_a1.buildings.order_by("code").first()
    return [
        ("工作台 home", reverse("core:home")),
        ("事件 cases list", reverse("cases:list")),
        ("事件详情 case detail", reverse("cases:detail", args=[data["case"].number])),
        ("登记事件 report a case", reverse("cases:new")),
        ("通知 notices", reverse("cases:notices")),
        ("周排查 weekly checks", reverse("warnings:checks")),
        ("周排查上报 weekly check form", reverse("warnings:report", args=[w.grid_a1.code])),
        ("楼栋房屋 registry home", reverse("registry:home")),
        ("网格楼栋 registry grid", reverse("registry:grid", args=[w.grid_a1.code])),
        ("楼盘表 building", reverse("registry:building", args=[building.code])),
        ("网格通 offline app (shell)", reverse("field:app")),
    ]


def resident_urls(data) -> list[tuple[str, str]]:
    return [
        ("门户首页 portal home", reverse("portal:home")),
        ("我要反映 portal report", reverse("portal:report")),
        ("查询进度 portal track", reverse("portal:track")),
        ("办理进度 portal case status", reverse("portal:status",
                                               args=[status_token(data["case"])])),
    ]


def leader_urls(data) -> list[tuple[str, str]]:
    street = data["office"].world.street_a.code
    return [
        ("驾驶舱 dashboard (leaders)", reverse("stats:dashboard")),
        ("月报 monthly report (leaders)", reverse("reports:monthly", args=[street])),
    ]


def measure(client: Client, urls: list[tuple[str, str]]) -> list[PageWeight]:
    weights = []
    for name, url in urls:
        weight = measure_page(client, url, name)
        assert not weight.external, f"{name} loads files from elsewhere: {weight.external}"
        weights.append(weight)
    return weights


def test_grid_worker_and_resident_pages_weigh_less_than_120_kb(pages):
    w = pages["office"].world
    worker = Client()
    worker.force_login(w.users[Role.GRID_WORKER])
    weights = measure(worker, grid_worker_urls(pages))
    weights += measure(Client(), resident_urls(pages))
    leader = Client()
    leader.force_login(w.users[Role.LEADER])
    heavy = measure(leader, leader_urls(pages))
    print("\n\nPage weight, first visit (KB = 1,024 bytes), as production sends it:\n")
    print(weight_table(weights + heavy))
    print("\nFiles:\n")
    print(asset_table(weights + heavy))
    # Judged by gzip: what a browser that does not take Brotli gets (Brotli is smaller).
    over = [f"{p.name}: {p.total_gzip} bytes" for p in weights if p.total_gzip >= LIMIT]
    assert not over, f"pages over {LIMIT} bytes compressed (gzip): {over}"
    # The chart library only where the charts are.
    assert not [p.name for p in weights if any("echarts" in a.url for a in p.assets)]
    assert all(any("echarts" in a.url for a in p.assets) for p in heavy)
    # The reduced builds, not the full Tabler files.
    for p in weights + heavy:
        if p.name.startswith("网格通"):  # the offline app has its own small stylesheet
            continue
        urls = {a.url for a in p.assets}
        assert "/static/build/tabler.reduced.min.css" in urls, p.name
        assert not {u for u in urls if u.startswith("/static/vendor/tabler/")}, p.name

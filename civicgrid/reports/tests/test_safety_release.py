"""群众安全感指数 in the monthly release when its estimate is suppressed (fewer than 100
respondents or a half-width above 5 points), from the rounds of `weak`
(civicgrid/stats/tests/test_safety_index.py), stated by hand there:

    county 320602, 2026 H1: 91.00% (86.00–96.00, n 90), suppressed
    street A 320602001, 2026 H1: 95.00% (93.00–97.00, n 300)
    street B 320602002, 2026 H1: 87.00% (80.00–94.00, n 60), suppressed

The internal version shows a suppressed figure marked 样本不足,仅供参考 and does not judge it
against the target; the public version withholds it (样本不足,不予公布).
"""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from django.test import Client
from openpyxl import load_workbook

from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.conftest import PASSWORD
from civicgrid.reports.selectors import public_release, release_data, release_view
from civicgrid.reports.services import release_publish
from civicgrid.stats.tests.test_safety_index import weak  # noqa: F401

pytestmark = pytest.mark.django_db
JULY = date(2026, 7, 1)


def test_the_public_release_withholds_a_suppressed_index(world, weak):  # noqa: F811
    county, _street_a, _street_b = weak
    data = release_data(actor=world.users[Role.AUDITOR], area=world.county, month=JULY)
    assert data["safety"] == {
        "round": county.number, "title": county.title, "period": "2026年上半年",
        "basis": "own", "area": "崇川区", "value": "91.00", "ci_low": "86.00",
        "ci_high": "96.00", "n": 90, "target": "90.00", "met": None, "suppressed": True}
    children = {c["code"]: c["safety"] for c in data["children"]}
    assert {code: (e["value"], e["suppressed"], e["met"]) for code, e in children.items()
            if e is not None} == {world.street_a.code: ("95.00", False, True),
                                  world.street_b.code: ("87.00", True, None)}
    # internal: the figure, marked and not judged; the children's column marks street B
    internal = release_view(data, public=False)
    assert internal.safety is not None
    assert (internal.safety.text, internal.safety.target, internal.safety.suppressed) == (
        "91.00%(95%置信区间 86.00%–96.00%,n=90)", "样本不足,仅供参考", True)
    assert [c.safety for c in internal.children] == ["95.00%", "87.00%(样本不足,仅供参考)"]
    # public: which round, nothing of the estimate
    assert public_release(data)["safety"] == {
        "round": county.number, "title": county.title, "period": "2026年上半年",
        "basis": "own", "area": "崇川区", "withheld": True}
    public = release_view(data, public=True)
    assert public.safety is not None
    assert (public.safety.text, public.safety.target) == ("样本不足,不予公布", "")
    assert public.safety.source == f"{county.number} {county.title}:本区域调查"


def test_the_pages_and_files_show_it_so(world, weak):  # noqa: F811
    client = Client()
    client.force_login(world.users[Role.AUDITOR])
    base = f"/reports/{world.county.code}/release"
    page = client.get(f"{base}/?month=2026-07").content.decode()
    assert "91.00%(95%置信区间" in page and "样本不足,仅供参考" in page
    preview = client.get(f"{base}/?month=2026-07&version=public").content.decode()
    table = preview.split('data-row="safety_index"')[1].split("</tr>")[0]
    assert "样本不足,不予公布" in table and "91.00" not in table
    leader = user_create(username="c_leader", password=PASSWORD, display_name="区领导",
                         roles=[Role.LEADER], area_codes=[world.county.code], actor=None)
    release_publish(district=world.county, month=JULY, actor=leader, public=True)
    anyone = Client()
    query = f"?district={world.county.code}&month=2026-07"
    published = anyone.get(f"/reports/public/release/{query}").content.decode()
    assert "样本不足,不予公布" in published
    assert "91.00" not in published and "86.00" not in published and "n=90" not in published
    xlsx = anyone.get(f"/reports/public/release.xlsx{query}")
    assert xlsx.status_code == 200
    cells = [v for row in load_workbook(BytesIO(xlsx.content)).active.iter_rows(values_only=True)
             for v in row if v is not None]
    rows = {r[0]: r for r in load_workbook(BytesIO(xlsx.content)).active.iter_rows(
        values_only=True) if r and r[0]}
    assert rows["群众安全感指数"][1] == "样本不足,不予公布"
    assert not any("91.00" in str(v) for v in cells)
    assert anyone.get(f"/reports/public/release.pdf{query}").status_code == 200

"""The case lists fetch a page's ids first, then those rows with their related rows (issue
14): the same pages and cursors as one joined query, the polygon of no place read."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from civicgrid.cases.selectors import CaseFilters, case_list
from civicgrid.cases.tests.conftest import new_case
from civicgrid.core.pagination import keyset_page
from civicgrid.testing import build_office, shared

office_once, office = shared(build_office, name="office")


def _walk(qs, *, ids_first: bool, limit: int = 4) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = keyset_page(qs, ["-id"], cursor, limit, ids_first=ids_first)
        pages.append([case.number for case in page.items])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


def test_ids_first_walks_the_same_pages_as_one_joined_query(office):
    for _ in range(10):
        new_case(office)
    dispatcher = office.people["dispatcher"]
    for inbox in ("", "dispatch", "mine"):
        qs = case_list(actor=dispatcher, filters=CaseFilters(inbox=inbox))
        joined = _walk(qs, ids_first=False)
        assert _walk(qs, ids_first=True) == joined
        assert sum(len(p) for p in joined) == qs.count()
    assert len(_walk(case_list(actor=dispatcher, filters=CaseFilters()), ids_first=True)) == 3


def test_a_page_reads_its_ids_then_its_rows_without_polygons(office):
    for _ in range(6):
        new_case(office)
    qs = case_list(actor=office.people["dispatcher"], filters=CaseFilters())
    with CaptureQueriesContext(connection) as ctx:
        page = keyset_page(qs, ["-id"], None, 5, ids_first=True)
        names = [(c.category.name, c.area.name) for c in page.items]  # no further query
    assert len(names) == 5
    assert len(ctx.captured_queries) == 2
    ids_sql, rows_sql = (q["sql"] for q in ctx.captured_queries)
    assert ids_sql.startswith('SELECT "cases_case"."id" AS "pk" FROM "cases_case" WHERE')
    assert "JOIN" not in ids_sql  # (a street dispatcher's scope is a code prefix: no join)
    assert '"areas_area"."boundary"' not in rows_sql

"""The report pages run a fixed number of queries whatever the number of cases (in a module
of its own: it counts every case, so it starts from the bare district, not the scenario of
test_views.py)."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from civicgrid.cases.models import Case
from civicgrid.reports.tests.conftest import at, last_month, make_cases
from civicgrid.reports.tests.test_views import KINDS, anchor, client_for

# --- queries do not grow with the cases --------------------------------------------------

def count_queries(client: Client, url: str) -> int:
    client.get(url)  # warm: session, scope, translations
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


def test_queries_do_not_grow_with_the_cases(office, reader):
    w = office.world
    month = last_month()
    day = month.replace(day=10)
    when = at(day)
    code = w.county.code
    client = client_for(reader)
    urls = [f"/reports/{area}/{kind}{suffix}?{anchor(kind, month, day)}" for kind in KINDS
            for area in (code, w.street_a.code, w.grid_a1.code)
            for suffix in ("/", ".xlsx", ".pdf")]
    urls += [f"/reports/{area}/release{suffix}?month={month:%Y-%m}{v}"
             for area in (code, w.street_a.code) for suffix in ("/", ".xlsx", ".pdf")
             for v in ("", "&version=public")]
    urls.append("/reports/")

    def add(n: int) -> None:
        cases = make_cases(office, n // 3, when)
        cases += make_cases(office, n // 3, when, area=w.grid_a2)
        cases += make_cases(office, n - 2 * (n // 3), when, area=w.grid_b1,
                            category=office.petition)
        Case.objects.filter(pk__in=[c.pk for c in cases]).update(
            stage_started_at=at(month.replace(day=1)), stage_due_at=when)

    add(3)
    few = {url: count_queries(client, url) for url in urls}
    add(30)
    many = {url: count_queries(client, url) for url in urls}
    assert many == few
    assert Case.objects.count() == 33

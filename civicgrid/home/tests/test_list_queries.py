"""List pages and list endpoints run a number of queries that does not grow with the rows."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.audit.services import audit_record
from civicgrid.units.models import UnitKind
from civicgrid.units.services import unit_add_member, unit_create

LISTS = [
    ("/accounts/users/", Role.SUPERVISOR),
    ("/units/", Role.SUPERVISOR),
    ("/audit/", Role.AUDITOR),
    ("/api/v1/users", Role.SUPERVISOR),
    ("/api/v1/units", Role.SUPERVISOR),
    ("/api/v1/areas", Role.SUPERVISOR),
    ("/areas/320602001/", Role.SUPERVISOR),
]


def _grow(world, start: int, n: int) -> None:
    for i in range(start, start + n):
        user = user_create(username=f"bulk{i}", password=None, display_name=f"人员{i}",
                           roles=[Role.HANDLER], area_codes=[world.street_a.code], actor=None)
        unit = unit_create(code=f"bulk-{i}", name=f"单位{i}", kind=UnitKind.DEPARTMENT,
                           area=world.street_a, actor=None)
        unit_add_member(unit=unit, user=user, actor=None)
        audit_record(actor=None, username="system", event_type="demo.seeded")


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url, role", LISTS, ids=[u for u, _r in LISTS])
def test_queries_do_not_grow_with_rows(world, url, role):
    client = Client()
    client.force_login(world.users[role])
    _grow(world, 0, 3)
    small = _count(client, url)
    _grow(world, 3, 30)
    large = _count(client, url)
    assert large == small, f"{url}: {small} queries with few rows, {large} with many"

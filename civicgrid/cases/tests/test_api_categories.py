"""The category endpoints of the JSON API: the flattened tree and one category with its
attributes, for sessions and for tokens."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from civicgrid.accounts.roles import Role
from civicgrid.api.services import api_token_create
from civicgrid.cases.models import Category, CategoryAttribute
from civicgrid.cases.tests.conftest import sla
from civicgrid.testing import build_office, shared

# The district (civicgrid/cases/tests/conftest.py), built once for this module and rolled
# back after each test (civicgrid/testing.py).
office_once, office = shared(build_office, name="office")

NOT_FOUND = {"code": "not_found", "message": "Not found.", "details": None}


def _session(office, role=Role.GRID_WORKER) -> Client:
    client = Client()
    client.force_login(office.world.users[role])
    return client


def _token(office, actions) -> Client:
    _t, plain = api_token_create(name="t", unit=office.centre_a, actions=actions, actor=None,
                                 rate_limit_per_minute=10_000)
    return Client(HTTP_AUTHORIZATION=f"Bearer {plain}")


def _codes(client, **params) -> list[str]:
    response = client.get("/api/v1/categories", params)
    assert response.status_code == 200, response.content
    return [item["code"] for item in response.json()["items"]]


LABOUR_ATTRIBUTES = [
    {"code": "amount", "description": "涉及金额", "datatype": "number", "required": True,
     "values": [], "order": 0},
    {"code": "kind", "description": "争议类型", "datatype": "singlevaluelist",
     "required": False, "values": [{"key": "wage", "name": "拖欠工资"},
                                   {"key": "injury", "name": "工伤"}], "order": 0},
]


def test_list_items_carry_the_tree_and_the_attributes(office):
    body = _session(office).get("/api/v1/categories", {"parent": "91"}).json()
    assert body == {"next_cursor": None, "items": [
        {"code": "9102", "name": "邻里纠纷", "parent_code": "91", "kind": "dispute",
         "default_level": "community", "specialty_code": "neighbourhood", "active": True,
         "leaf": True, "attributes": []},
        {"code": "9103", "name": "劳资纠纷", "parent_code": "91", "kind": "dispute",
         "default_level": "street", "specialty_code": "labour", "active": True,
         "leaf": True, "attributes": LABOUR_ATTRIBUTES},
    ]}


def test_filters(office):
    client = _session(office)
    tests = [c for c in _codes(client, limit=500) if c.startswith("9")]
    assert tests == ["91", "9102", "9103", "95", "9501"]  # the tree flattened, by code
    assert [c for c in _codes(client, leaf=False, limit=500) if c.startswith("9")] == [
        "91", "95"]
    assert [c for c in _codes(client, leaf=True, kind="petition", limit=500)
            if c.startswith("9")] == ["9501"]
    assert _codes(client, q="劳资纠纷", parent="91") == ["9103"]
    Category.objects.filter(code="9103").update(active=False)
    assert _codes(client, parent="91") == ["9102"]
    assert _codes(client, parent="91", active=False) == ["9103"]
    assert _codes(client, parent="9999") == []
    assert client.get("/api/v1/categories", {"kind": "nonsense"}).status_code == 422


def test_keyset_pages_walk_the_tree_without_repeats(office):
    client = _session(office)
    seen, cursor = [], None
    while True:
        body = client.get("/api/v1/categories", {"limit": 7, **(
            {"cursor": cursor} if cursor else {})}).json()
        seen += [item["code"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen))
    assert len(seen) == Category.objects.filter(active=True).count()


def test_detail_with_attributes_sla_and_children(office):
    client = _session(office)
    labour = client.get("/api/v1/categories/9103").json()
    assert labour == {
        "code": "9103", "name": "劳资纠纷", "parent_code": "91", "kind": "dispute",
        "default_level": "street", "specialty_code": "labour", "active": True, "leaf": True,
        "attributes": LABOUR_ATTRIBUTES, "description": "", "sla": sla(handle=(15, "working")),
        "max_extensions": 1, "max_extension_days": 30, "children": [],
    }
    parent = client.get("/api/v1/categories/91").json()
    assert (parent["parent_code"], parent["leaf"], parent["children"]) == (
        None, False, ["9102", "9103"])
    missing = client.get("/api/v1/categories/9999")
    assert missing.status_code == 404 and missing.json() == NOT_FOUND


def test_list_queries_do_not_grow_with_categories_or_attributes(office):
    client = _session(office, Role.SUPERVISOR)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/api/v1/categories", {"parent": "91", "limit": 500})
        assert response.status_code == 200
        return len(ctx.captured_queries)

    small = count()
    parent = Category.objects.get(code="91")
    for i in range(20):
        category = Category.objects.create(code=f"91{i + 10}", name=f"测试{i}", parent=parent,
                                           kind="dispute", default_level="community",
                                           sla=sla())
        for j in range(3):
            CategoryAttribute.objects.create(category=category, code=f"a{j}",
                                             description=f"问题{j}", datatype="string",
                                             order=j)
    assert len(_codes(client, parent="91", limit=500)) == 22
    assert count() == small


@pytest.mark.parametrize("actions, status", [
    (["cases:read"], 200),
    (["cases:create"], 200),  # an intake system must learn the codes it registers with
    (["cases:act"], 403),
    (["open311"], 403),
])
def test_token_actions(office, actions, status):
    client = _token(office, actions)
    listed = client.get("/api/v1/categories", {"parent": "91"})
    detail = client.get("/api/v1/categories/9103")
    assert (listed.status_code, detail.status_code) == (status, status)
    if status == 403:
        assert listed.json()["code"] == detail.json()["code"] == "forbidden"
    else:
        assert [c["code"] for c in listed.json()["items"]] == ["9102", "9103"]
        assert detail.json()["attributes"] == LABOUR_ATTRIBUTES


def test_roles_without_case_view_are_refused(office):
    client = _session(office, Role.ADMINISTRATOR)
    for url in ("/api/v1/categories", "/api/v1/categories/9103"):
        response = client.get(url)
        assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert Client().get("/api/v1/categories").status_code == 401

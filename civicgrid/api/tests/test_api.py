from django.test import Client

from civicgrid.accounts.roles import Role
from civicgrid.core.pagination import encode_cursor
from civicgrid.testing import build_world, shared

# The two-street world (civicgrid/conftest.py), built once for this module and rolled back
# after each test (civicgrid/testing.py).
world_once, world = shared(build_world, name="world")


def _client(world, role=Role.SUPERVISOR) -> Client:
    client = Client()
    client.force_login(world.users[role])
    return client


def test_keyset_pages_walk_the_whole_list_without_repeats(world):
    client = _client(world, Role.ADMINISTRATOR)
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/areas", params).json()
        seen += [a["code"] for a in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 10


def test_damaged_cursor_is_a_clear_400_in_the_api_and_page_one_in_pages(world):
    client = _client(world)
    response = client.get("/api/v1/units", {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"
    response = client.get("/api/v1/units", {"cursor": encode_cursor([1, 2, 3])})
    assert response.status_code == 400
    page = client.get("/units/", {"cursor": "not-a-cursor"})
    assert page.status_code == 200 and len(page.context["page"].items) >= 1


def test_locate_answers_the_grid_in_scope_or_null(world):
    from civicgrid.areas.locator import grid_locator

    grid_locator.invalidate()
    client = _client(world, Role.GRID_WORKER)
    own = client.get("/api/v1/areas/locate", {"lng": 120.81, "lat": 31.91}).json()
    assert own["grid"]["code"] == world.grid_a1.code
    # A grid of another street exists at this point, but is out of scope: null, like nothing.
    other = client.get("/api/v1/areas/locate", {"lng": 120.91, "lat": 31.91}).json()
    assert other == {"grid": None}
    bad = client.get("/api/v1/areas/locate", {"lng": 500, "lat": 31.91})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_input"


def test_me_lists_roles_areas_and_permissions(world):
    body = _client(world, Role.GRID_WORKER).get("/api/v1/me").json()
    assert body["roles"] == ["grid_worker"]
    assert body["areas"] == [world.grid_a1.code]
    assert "areas.area.view" in body["permissions"]
    assert "areas.area.change" not in body["permissions"]


def test_openapi_document_is_served(db):
    doc = Client().get("/api/v1/openapi.json").json()
    assert doc["info"]["title"] == "civicgrid API"
    assert "/api/v1/areas/locate" in doc["paths"]


def _node(area, children=()) -> dict:
    return {"code": area.code, "name": area.name, "level": area.level,
            "children": list(children)}


def test_area_tree_defaults_to_the_jurisdiction_roots(world):
    w = world
    client = _client(world, Role.SUPERVISOR)  # street A
    assert client.get("/api/v1/areas/tree").json() == {
        "items": [_node(w.street_a, [_node(w.community_a)])]}
    assert client.get("/api/v1/areas/tree", {"depth": 3}).json() == {
        "items": [_node(w.street_a, [_node(w.community_a, [_node(w.grid_a1),
                                                            _node(w.grid_a2)])])]}
    grid = _client(world, Role.GRID_WORKER).get("/api/v1/areas/tree", {"depth": 3}).json()
    assert grid == {"items": [_node(w.grid_a1)]}
    admin = _client(world, Role.ADMINISTRATOR).get("/api/v1/areas/tree").json()
    assert admin == {"items": [_node(w.county, [_node(w.street_a), _node(w.street_b)])]}


def test_area_tree_of_a_root_and_depth(world):
    w = world
    client = _client(world, Role.AUDITOR)
    body = client.get("/api/v1/areas/tree", {"root": w.county.code, "depth": 2}).json()
    assert body == {"items": [_node(w.county, [
        _node(w.street_a, [_node(w.community_a)]),
        _node(w.street_b, [_node(w.community_b)])])]}
    leaf = client.get("/api/v1/areas/tree", {"root": w.grid_b1.code, "depth": 3}).json()
    assert leaf == {"items": [_node(w.grid_b1)]}
    for depth in (0, 4):
        bad = client.get("/api/v1/areas/tree", {"root": w.county.code, "depth": depth})
        assert bad.status_code == 422 and bad.json()["code"] == "invalid_input"


def test_area_tree_root_outside_the_scope_answers_like_a_missing_one(world):
    client = _client(world, Role.SUPERVISOR)  # street A
    missing = client.get("/api/v1/areas/tree", {"root": "320602999"})
    for code in (world.street_b.code, world.county.code):  # beside it, and above it
        outside = client.get("/api/v1/areas/tree", {"root": code})
        assert outside.status_code == missing.status_code == 404
        assert outside.content == missing.content
    assert missing.json() == {"code": "not_found", "message": "Not found.", "details": None}


def test_area_tree_queries_do_not_grow_with_nodes(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from civicgrid.areas.models import Area

    client = _client(world, Role.ADMINISTRATOR)

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/api/v1/areas/tree", {"root": world.county.code,
                                                         "depth": 3})
        assert response.status_code == 200
        streets = response.json()["items"][0]["children"]
        return len(ctx.captured_queries), sum(
            len(c["children"]) for s in streets for c in s["children"])

    small, grids = count()
    assert grids == 3
    Area.objects.bulk_create([
        Area(code=f"{world.community_b.code}{i:03d}", name=f"濠西第{i}网格", level="grid",
             parent=world.community_b) for i in range(2, 42)])
    large, grids = count()
    assert (large, grids) == (small, 43)


def test_ping_answers_without_sign_in_or_database(client):
    # No `db` fixture: pytest-django refuses any query, so this also proves there is none.
    response = client.get("/api/v1/ping")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers

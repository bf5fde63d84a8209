from django.test import Client

from civicgrid.accounts.roles import Role
from civicgrid.core.pagination import encode_cursor


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

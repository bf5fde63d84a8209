"""A grid worker of another street gets 404 for grid A1's buildings, rooms, people and
organisations — in pages and API, exactly as for records that do not exist."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from civicgrid.accounts.roles import Role
from civicgrid.registry.tests.samples import (
    sample_building,
    sample_organisation,
    sample_person,
    sample_room,
)

pytestmark = pytest.mark.django_db


def _without_csrf(content: bytes) -> bytes:
    return re.sub(rb'(name="csrf-token" content|name="csrfmiddlewaretoken" value|'
                  rb'name="next" value)="[^"]+"', rb"\1=''", content)


def test_out_of_scope_answers_like_missing(world, client):
    building = sample_building(world, world.grid_a1)
    room, person = sample_room(world, world.grid_a1), sample_person(world, world.grid_a1)
    organisation = sample_organisation(world, world.grid_a1)
    residence = person.residences.get()
    client.force_login(world.outsider)  # the grid worker of B1
    pairs = [
        ("registry:building", "32060200100100199999", building.code),
        ("registry:room", 999999, room.pk),
        ("registry:person", 999999, person.pk),
        ("registry:person_reveal", 999999, person.pk),
        ("registry:organisation", 999999, organisation.pk),
    ]
    urls = [(reverse(name, args=[missing]), reverse(name, args=[inside]))
            for name, missing, inside in pairs]
    urls += [(f"/api/v1/registry/{path}/{missing}", f"/api/v1/registry/{path}/{inside}")
             for path, missing, inside in [
                 ("buildings", "32060200100100199999", building.code), ("rooms", 999999, room.pk),
                 ("people", 999999, person.pk), ("organisations", 999999, organisation.pk)]]
    for missing, outside in urls:
        a, b = client.get(missing), client.get(outside)
        assert a.status_code == b.status_code == 404, outside
        assert _without_csrf(a.content) == _without_csrf(b.content), outside
    for missing, outside in [
        (reverse("registry:residence_end", args=[999999]),
         reverse("registry:residence_end", args=[residence.pk])),
        ("/api/v1/registry/people/999999/reveal", f"/api/v1/registry/people/{person.pk}/reveal"),
    ]:
        data = {"field": "phone", "reason": "核对"}
        kw = {"content_type": "application/json"} if missing.startswith("/api") else {}
        a, b = client.post(missing, data, **kw), client.post(outside, data, **kw)
        assert a.status_code == b.status_code == 404, outside
    residence.refresh_from_db()
    assert residence.until is None


def test_the_registry_lists_only_what_is_in_scope(world, client):
    inside, outside = sample_person(world, world.grid_a1), sample_person(world, world.grid_b1)
    client.force_login(world.users[Role.GRID_WORKER])
    ids = [p["id"] for p in client.get("/api/v1/registry/people").json()["items"]]
    assert ids == [inside.pk] and outside.pk not in ids
    page = client.get(reverse("registry:people"), {"q": "赵六"}).content.decode()
    assert f'href="/registry/people/{inside.pk}/"' in page
    assert f'/registry/people/{outside.pk}/' not in page

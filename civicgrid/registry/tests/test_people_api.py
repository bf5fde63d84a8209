"""The registry's people and organisations in the JSON API: masked answers, the duplicate
refusal, Idempotency-Key on writes, the reveal with its record, figures without people."""

from __future__ import annotations

import json

import pytest

from civicgrid.accounts.roles import Role
from civicgrid.audit.models import AuditEntry
from civicgrid.registry.models import Organisation, Person, Residence
from civicgrid.registry.tests.samples import sample_room
from civicgrid.registry.tests.test_people import VALID_ID

pytestmark = pytest.mark.django_db

API = "/api/v1/registry"


def _post(client, path, body, key=None):
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(f"{API}{path}", json.dumps(body), content_type="application/json",
                       **extra)


def test_register_a_person_into_a_room_masked_and_idempotent(client, world):
    room = sample_room(world, world.grid_a1)
    client.force_login(world.users[Role.GRID_WORKER])
    body = {"grid": world.grid_a1.code, "name": "王秀英", "kind": "registered",
            "id_number": VALID_ID, "phone": "13812345678", "room_id": room.pk,
            "residence_kind": "living"}
    first = _post(client, "/people", body, key="visit-1")
    assert first.status_code == 201, first.content
    answer = first.json()
    assert (answer["id_number_masked"], answer["phone_masked"]) == (
        "110*************2X", "138****5678")
    assert VALID_ID not in first.content.decode() and "13812345678" not in first.content.decode()
    assert [r["room_id"] for r in answer["residences"]] == [room.pk]
    again = _post(client, "/people", body, key="visit-1")
    assert again.status_code == 201 and again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert Person.objects.count() == 1 and Residence.objects.count() == 1
    duplicate = _post(client, "/people", {**body, "room_id": None}, key="visit-2")
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "rule_violation"
    assert f"实有人口编号 {answer['id']}" in duplicate.json()["message"]
    assert Person.objects.count() == 1


def test_a_wrong_check_digit_is_a_400_on_its_field(client, world):
    client.force_login(world.users[Role.GRID_WORKER])
    refused = _post(client, "/people", {"grid": world.grid_a1.code, "name": "王秀英",
                                        "kind": "registered", "id_number": "110105194912310021"})
    assert refused.status_code == 400
    text = json.dumps(refused.json(), ensure_ascii=False)
    assert "校验位" in text and "id_number" in text
    assert not Person.objects.exists()


def test_reveal_through_the_api_needs_a_reason_and_is_recorded(client, world):
    room = sample_room(world, world.grid_a1)
    client.force_login(world.users[Role.GRID_WORKER])
    person_id = _post(client, "/people", {"grid": world.grid_a1.code, "name": "王秀英",
                                          "kind": "registered", "id_number": VALID_ID,
                                          "room_id": room.pk}).json()["id"]
    assert _post(client, f"/people/{person_id}/reveal",
                 {"field": "id_number", "reason": ""}).status_code == 400
    shown = _post(client, f"/people/{person_id}/reveal",
                  {"field": "id_number", "reason": "核对身份"})
    assert shown.status_code == 200 and shown.json() == {"field": "id_number", "value": VALID_ID}
    assert "no-store" in shown["Cache-Control"]
    entry = AuditEntry.objects.get(event_type="pii.revealed")
    assert (entry.subject_id, entry.details["reason"]) == (str(person_id), "核对身份")
    client.force_login(world.users[Role.HANDLER])  # reads people, may not reveal
    assert client.get(f"{API}/people/{person_id}").status_code == 200
    viewed = AuditEntry.objects.get(event_type="registry.person_viewed")
    assert (viewed.subject_id, viewed.actor_username) == (str(person_id), "t_handler")
    assert _post(client, f"/people/{person_id}/reveal",
                 {"field": "id_number", "reason": "x"}).status_code == 403
    assert AuditEntry.objects.filter(event_type="pii.revealed").count() == 1  # refused: none


def test_move_out_and_leave(client, world):
    room = sample_room(world, world.grid_a1)
    client.force_login(world.users[Role.GRID_WORKER])
    person = _post(client, "/people", {"grid": world.grid_a1.code, "name": "李雷",
                                       "kind": "floating", "room_id": room.pk}).json()
    residence_id = person["residences"][0]["id"]
    out = _post(client, f"/residences/{residence_id}/move-out", {"reason": "合同到期"})
    assert out.status_code == 200 and out.json()["until"] is not None
    stale = _post(client, f"/people/{person['id']}/leave",
                  {"status": "moved_away", "reason": "回老家", "version": 1})
    assert stale.status_code == 409  # the move-out changed the person's version
    current = client.get(f"{API}/people/{person['id']}").json()["version"]
    left = _post(client, f"/people/{person['id']}/leave",
                 {"status": "moved_away", "reason": "回老家", "version": current})
    assert left.status_code == 200 and left.json()["status"] == "moved_away"


def test_organisations_and_figures(client, world):
    client.force_login(world.users[Role.SUPERVISOR])
    bad = _post(client, "/organisations", {"grid": world.grid_a1.code, "name": "某公司",
                                           "kind": "enterprise",
                                           "credit_code": "91350100M000100Y44"})
    assert bad.status_code == 400 and not Organisation.objects.exists()
    made = _post(client, "/organisations", {"grid": world.grid_a1.code, "name": "某公司",
                                            "kind": "enterprise",
                                            "credit_code": "91350100M000100Y43"}, key="org-1")
    assert made.status_code == 201 and made.json()["credit_code"] == "91350100M000100Y43"
    listed = client.get(f"{API}/organisations").json()["items"]
    assert [o["name"] for o in listed] == ["某公司"]
    client.force_login(world.users[Role.LEADER])
    figures = client.get(f"{API}/figures/{world.street_a.code}").json()
    assert figures["counts"]["organisations"] == 1
    assert figures["counts"]["non_public_economic"] == 1
    assert client.get(f"{API}/people").status_code == 403
    client.force_login(world.outsider)
    assert client.get(f"{API}/figures/{world.street_a.code}").status_code == 404


def test_owner_rental_household_permit_and_dormitory(client, world):
    from civicgrid.registry.models import Dormitory
    from civicgrid.registry.tests.samples import sample_building

    room = sample_room(world, world.grid_a1)
    client.force_login(world.users[Role.SUPERVISOR])
    person = _post(client, "/people", {"grid": world.grid_a1.code, "name": "王秀英",
                                       "kind": "registered", "room_id": room.pk}).json()
    org = _post(client, "/organisations", {"grid": world.grid_a1.code, "name": "南通某物业公司",
                                           "kind": "enterprise",
                                           "credit_code": "91350100M000100Y43"}).json()
    room.refresh_from_db()
    owner = _post(client, f"/rooms/{room.pk}/owner",
                  {"organisation_id": org["id"], "version": room.version})
    assert owner.status_code == 200 and owner.json()["owner_organisation_id"] == org["id"]
    both = _post(client, f"/rooms/{room.pk}/owner", {"organisation_id": org["id"],
                                                     "person_id": person["id"],
                                                     "version": owner.json()["version"]})
    assert both.status_code == 400
    rental = _post(client, f"/rooms/{room.pk}/rental",
                   {"occupant_limit": 1, "lessor_organisation_id": org["id"]}, key="rent-1")
    assert rental.status_code == 200 and rental.json()["occupants"] == 1
    assert rental.json()["hazard_case"] is None
    assert client.get(f"{API}/rooms/{room.pk}/rental").json()["id"] == rental.json()["id"]
    household = _post(client, "/households", {"head_id": person["id"], "room_id": room.pk})
    assert household.status_code == 201
    assert household.json()["members"][0]["relation"] == "head"
    permit = _post(client, f"/people/{person['id']}/permits", {
        "number": "3206020012", "issued_on": "2025-01-01", "expires_on": "2030-01-01",
        "endorsed_until": "2026-01-01"})
    assert permit.status_code == 201 and permit.json()["number_masked"] == "320*****12"
    building = sample_building(world, world.grid_a1)
    dorm = _post(client, f"/buildings/{building.code}/dormitory",
                 {"name": "物业员工宿舍", "operator_id": org["id"], "capacity": 20,
                  "services": ["canteen"]})
    assert dorm.status_code == 201 and Dormitory.objects.get().services == ["canteen"]
    again = _post(client, f"/buildings/{building.code}/dormitory",
                  {"name": "又一个", "operator_id": org["id"], "capacity": 20})
    assert again.status_code == 409 and Dormitory.objects.count() == 1

"""Every Open311 endpoint in JSON and XML, with each error the spec names."""

from __future__ import annotations

import json
from datetime import timedelta
from xml.etree import ElementTree as ET  # noqa: S405 (parsing our own responses)

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from civicgrid.api.models import IdempotencyRecord
from civicgrid.api.services import api_token_create, api_token_revoke
from civicgrid.audit.models import AuditEntry
from civicgrid.cases.models import Attachment, Case, Channel, Party
from civicgrid.cases.tests.conftest import new_case
from civicgrid.cases.tests.test_workflow import png_bytes
from civicgrid.open311.models import Open311Request
from civicgrid.open311.tests import conftest
from civicgrid.open311.tests.conftest import close_case
from civicgrid.testing import build_office, shared

# --- the module's data: built once, rolled back per test (civicgrid/testing.py) ---

o311_once, o311 = shared(lambda: conftest.o311.__wrapped__(build_office()), name="o311")


BASE = "/open311/v2"
INSIDE = {"lat": "31.92", "long": "120.82"}  # grid_a1, street A
OUTSIDE = {"lat": "31.92", "long": "120.92"}  # grid_b1, street B


def parse(response):
    """The body as Python: JSON as is; XML as nested dicts/lists the way the spec nests."""
    if response["Content-Type"].startswith("application/json"):
        assert response["Content-Type"] == "application/json; charset=utf-8"
        return json.loads(response.content)
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    text = response.content.decode("utf-8")
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)  # noqa: S314


def xml_items(root, child: str) -> list[dict]:
    """Repeated children as dicts of their text (lists of lists flattened by name)."""
    return [{el.tag: (el.text or "") for el in item} for item in root.findall(child)]


def post(client, fmt="json", headers=None, **data):
    return client.post(f"{BASE}/requests.{fmt}", data, headers=headers or {})


def lamp_request(world, **extra) -> dict:
    data = {"api_key": world.key, "service_code": "9301", **INSIDE,
            "attribute[state]": "off", "description": "桃坞路北段路灯整晚不亮",
            "first_name": "小明", "last_name": "王", "phone": "13912345678",
            "email": "wang@example.cn"}
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}  # None: leave the field out


def create(client, world, **extra) -> tuple[Open311Request, dict]:
    response = post(client, **lamp_request(world, **extra))
    assert response.status_code == 200, response.content
    body = parse(response)
    record = Open311Request.objects.get(token=body[0]["token"])
    return record, body


def assert_error(response, status: int, *fragments: str) -> None:
    assert response.status_code == status, response.content
    body = parse(response)
    if isinstance(body, list):
        assert all(item["code"] == status for item in body), body
        text = " ".join(item["description"] for item in body)
    else:
        assert body.tag == "errors"
        errors = xml_items(body, "error")
        assert errors and all(e["code"] == str(status) for e in errors), errors
        text = " ".join(e["description"] for e in errors)
    for fragment in fragments:
        assert fragment in text, text


# --- discovery and services --------------------------------------------------------------

def test_discovery_json_and_xml(o311, client):
    body = parse(client.get(f"{BASE}/discovery.json"))
    assert body["changeset"].endswith("+08:00")
    [endpoint] = body["endpoints"]
    assert endpoint == {"specification": "http://wiki.open311.org/GeoReport_v2",
                        "url": "http://testserver/open311/v2", "changeset": body["changeset"],
                        "type": "production", "formats": ["text/xml", "application/json"]}
    root = parse(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert root.findtext("endpoints/endpoint/url") == "http://testserver/open311/v2"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == [
        "text/xml", "application/json"]


def test_services_list_offers_leaf_categories_residents_report(o311, client):
    body = parse(client.get(f"{BASE}/services.json"))
    by_code = {s["service_code"]: s for s in body}
    assert by_code["9301"] == {
        "service_code": "9301", "service_name": "路灯损坏",
        "description": "路灯不亮、闪烁或灯杆损坏",
        "metadata": True, "type": "batch", "keywords": "路灯,照明", "group": "民生服务(测试)"}
    assert by_code["9401"]["metadata"] is False
    assert by_code["9102"]["group"] == "矛盾纠纷(测试)"  # disputes may be reported
    # Not offered: parents, petitions (statutory channel).
    assert not {"91", "93", "95", "9501"} & set(by_code)
    root = parse(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    items = {s["service_code"]: s for s in xml_items(root, "service")}
    assert items["9301"]["metadata"] == "true"
    assert items["9401"]["metadata"] == "false"
    assert items["9301"]["type"] == "batch"
    assert set(items) == set(by_code)


def test_inactive_category_is_not_a_service(o311, client):
    o311.hazard.active = False
    o311.hazard.save()
    codes = {s["service_code"] for s in parse(client.get(f"{BASE}/services.json"))}
    assert "9401" not in codes
    assert_error(client.get(f"{BASE}/services/9401.json"), 404, "9401")


def test_service_definition_json_and_xml(o311, client):
    body = parse(client.get(f"{BASE}/services/9301.json"))
    assert body["service_code"] == "9301"
    state, hours = body["attributes"]
    assert state == {"variable": True, "code": "state", "datatype": "singlevaluelist",
                     "required": True, "datatype_description": "one key: attribute[code]=key",
                     "order": 1, "description": "路灯状况",
                     "values": [{"key": "off", "name": "不亮"},
                                {"key": "flicker", "name": "闪烁"}]}
    assert (hours["code"], hours["datatype"], hours["required"], hours["order"]) == (
        "hours", "multivaluelist", False, 2)
    root = parse(client.get(f"{BASE}/services/9301.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "9301"
    attributes = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in attributes] == ["state", "hours"]
    assert attributes[0].findtext("required") == "true"
    assert [(v.findtext("key"), v.findtext("name")) for v in
            attributes[0].findall("values/value")] == [("off", "不亮"), ("flicker", "闪烁")]
    assert parse(client.get(f"{BASE}/services/9401.json")) == {"service_code": "9401",
                                                                "attributes": []}


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("code", ["0000", "9501", "93"])
def test_service_definition_unknown_is_404(o311, client, fmt, code):
    assert_error(client.get(f"{BASE}/services/{code}.{fmt}"), 404, code)


# --- POST requests -----------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_returns_a_token_and_registers_a_case(o311, client, fmt):
    before_audit = AuditEntry.objects.count()
    response = post(client, fmt, **lamp_request(
        o311, **{"attribute[hours][]": ["night", "day"], "account_id": "u-77",
                 "device_id": "dev-1", "media_url": "https://img.example.cn/1.jpg"}))
    assert response.status_code == 200, response.content
    body = parse(response)
    if fmt == "json":
        [item] = body
    else:
        assert body.tag == "service_requests"
        [item] = xml_items(body, "request")
    assert set(item) == {"token", "service_notice", "account_id"}  # never the id as well
    assert item["account_id"] == "u-77"
    assert item["service_notice"].startswith("已收到,将于 ")
    record = Open311Request.objects.select_related("case").get(token=item["token"])
    case = record.case
    assert (case.channel, case.category.code, case.area_id) == (
        Channel.API, "9301", o311.office.world.grid_a1.pk)
    assert case.reported_by == o311.token.user
    assert case.attributes == {"state": "off", "hours": ["night", "day"]}
    assert case.description == "桃坞路北段路灯整晚不亮"
    assert (case.lng, case.lat) == (120.82, 31.92)
    party = case.parties.get()
    assert (party.role, party.name, party.phone_masked) == ("applicant", "王小明", "139****5678")
    assert (record.account_id, record.device_id, record.media_url) == (
        "u-77", "dev-1", "https://img.example.cn/1.jpg")
    assert record.email_masked == "w***@example.cn"
    assert record.api_token == o311.token
    raw = Open311Request.objects.filter(pk=record.pk).values_list("email_encrypted",
                                                                  flat=True).get()
    assert "wang@example.cn" not in raw
    assert AuditEntry.objects.count() > before_audit


def test_post_by_address_string_and_by_address_id(o311, client):
    world = o311.office.world
    data = lamp_request(o311, address_string=f"{world.community_a.name}桃坞路12号")
    del data["lat"], data["long"]
    record, _body = create(client, o311, lat="", long="",
                           address_string=f"南通市{world.community_a.name}桃坞路12号")
    assert record.case.area == world.community_a
    assert record.case.address == f"南通市{world.community_a.name}桃坞路12号"
    record, _body = create(client, o311, lat="", long="", address_id=world.grid_a2.code)
    assert record.case.area == world.grid_a2
    assert record.address_id == world.grid_a2.code


def test_post_without_description_says_what_and_where(o311, client):
    record, _body = create(client, o311, description="", lat="", long="",
                           address_string="城东街道桃坞路口")
    assert record.case.description == "路灯损坏:城东街道桃坞路口"


def test_post_with_photo(o311, client):
    photo = SimpleUploadedFile("lamp.png", png_bytes(), "image/png")
    record, _body = create(client, o311, media=photo)
    attachment = Attachment.objects.get(case=record.case)
    assert attachment.content_type == "image/png"


REFUSALS = [
    ({"api_key": ""}, 403, "api_key"),
    ({"api_key": "cg_deadbeef_nottherightkeyatall"}, 403, "api_key"),
    ({"service_code": ""}, 400, "service_code"),
    ({"service_code": "0000"}, 404, "0000"),
    ({"service_code": "9501"}, 404, "9501"),  # petitions are not an Open311 service
    ({"lat": "", "long": ""}, 400, "lat"),
    ({"long": ""}, 400, "lat"),
    ({"lat": "north"}, 400, "lat"),
    ({"lat": "91"}, 400, "lat"),
    (OUTSIDE, 400, "long"),  # another street: outside the token's jurisdiction
    ({"lat": "", "long": "", "address_string": "无名路1号"}, 400, "address_string"),
    ({"lat": "", "long": "", "address_id": "320602002001001"}, 400, "address_id"),
    ({"attribute[state]": ""}, 400, "attribute[state]", "路灯状况"),
    ({"attribute[state]": "broken"}, 400, "attribute[state]"),
    ({"attribute[colour]": "red"}, 400, "attribute[colour]"),
    ({"email": "not-an-address"}, 400, "email"),
    ({"phone": "12"}, 400, "phone"),
    ({"media_url": "ftp://x.example/1.jpg"}, 400, "media_url"),
    ({"description": "x" * 4001}, 400, "description"),
    ({"first_name": "明" * 40, "last_name": "王" * 21}, 400, "姓名最多60个字"),  # not cut
    ({"jurisdiction_id": "other.gov.cn"}, 404, "other.gov.cn"),
]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("change", REFUSALS, ids=lambda r: "-".join(map(str, r[0].items())))
def test_post_refusals_change_nothing(o311, client, fmt, change):
    overrides, status, *fragments = change
    before = (Case.objects.count(), Party.objects.count(), Open311Request.objects.count(),
              IdempotencyRecord.objects.count())
    data = lamp_request(o311, **overrides)
    response = post(client, fmt, headers={"Idempotency-Key": "k-1"}, **data)
    assert_error(response, status, *fragments)
    assert (Case.objects.count(), Party.objects.count(), Open311Request.objects.count(),
            IdempotencyRecord.objects.count()) == before
    assert response["Cache-Control"].startswith("max-age=0")


def test_post_non_image_media_is_refused(o311, client):
    pdf = SimpleUploadedFile("a.pdf", b"%PDF-1.4 test", "image/png")  # lies about its type
    response = post(client, **lamp_request(o311, media=pdf))
    assert_error(response, 400, "media")
    assert not Case.objects.exists()


def test_revoked_key_and_key_without_open311_are_refused(o311, client):
    _token, read_only = api_token_create(name="r", unit=o311.office.centre_a,
                                         actions=["cases:read"], actor=None)
    assert_error(post(client, **lamp_request(o311, api_key=read_only)), 403, "api_key")
    api_token_revoke(token=o311.token, actor=None)
    assert_error(post(client, **lamp_request(o311)), 403, "api_key")
    assert not Case.objects.exists()


def test_key_in_header_works_too(o311, client):
    data = lamp_request(o311)
    key = data.pop("api_key")
    assert post(client, headers={"X-Api-Key": key}, **data).status_code == 200
    assert post(client, headers={"Authorization": f"Bearer {key}"}, **data).status_code == 200
    assert Case.objects.count() == 2


def test_jurisdiction_id_of_this_deployment_is_accepted(o311, client, settings):
    settings.OPEN311_JURISDICTION_ID = "chongchuan.gov.cn"
    assert client.get(f"{BASE}/services.json?jurisdiction_id=chongchuan.gov.cn").status_code \
        == 200
    assert_error(client.get(f"{BASE}/services.xml?jurisdiction_id=nantong.gov.cn"), 404,
                 "nantong.gov.cn")
    record, _body = create(client, o311, jurisdiction_id="chongchuan.gov.cn")
    assert record.jurisdiction_id == "chongchuan.gov.cn"


def test_idempotency_key_replays_the_first_answer(o311, client):
    headers = {"Idempotency-Key": "3c7e-retry"}
    first = post(client, "xml", headers=headers, **lamp_request(o311))
    second = post(client, "xml", headers=headers, **lamp_request(o311))
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert second["Content-Type"] == "text/xml; charset=utf-8"
    assert second["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1
    other = post(client, "xml", headers=headers, **lamp_request(o311, description="另一处路灯不亮"))
    assert_error(other, 400, "Idempotency-Key")
    assert Case.objects.count() == 1


def test_token_rate_limit_answers_429(o311, client):
    o311.token.rate_limit_per_minute = 2
    o311.token.save()
    assert post(client, **lamp_request(o311)).status_code == 200
    assert post(client, **lamp_request(o311)).status_code == 200
    response = post(client, "xml", **lamp_request(o311))
    assert_error(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 60
    assert Case.objects.count() == 2


def test_anonymous_read_limit_per_address(o311, client, settings):
    settings.OPEN311_ANONYMOUS_LIMIT_PER_MINUTE = 2
    assert client.get(f"{BASE}/requests.json").status_code == 200
    assert client.get(f"{BASE}/requests.json").status_code == 200
    response = client.get(f"{BASE}/requests.json")
    assert_error(response, 429)
    assert int(response["Retry-After"]) >= 1
    # Services and definitions are not counted (static reference data).
    assert client.get(f"{BASE}/services.json").status_code == 200


# --- tokens ------------------------------------------------------------------------------

def test_token_is_exchanged_for_the_case_number(o311, client):
    record, _body = create(client, o311)
    assert parse(client.get(f"{BASE}/tokens/{record.token}.json")) == [
        {"service_request_id": record.case.number, "token": record.token}]
    root = parse(client.get(f"{BASE}/tokens/{record.token}.xml"))
    assert xml_items(root, "request") == [{"service_request_id": record.case.number,
                                           "token": record.token}]
    assert_error(client.get(f"{BASE}/tokens/not-a-token.json"), 404)
    assert_error(client.get(f"{BASE}/tokens/not-a-token.xml"), 404)


# --- GET requests ------------------------------------------------------------------------

def test_own_request_in_full_and_public_view_for_others(o311, client):
    record, _body = create(client, o311, media_url="https://img.example.cn/2.jpg")
    number = record.case.number
    own = parse(client.get(f"{BASE}/requests/{number}.json?api_key={o311.key}"))
    [item] = own
    assert item["service_request_id"] == number
    assert (item["status"], item["detailed_status"]) == ("open", "OPEN")
    assert item["status_notes"] == "已收到您的反映"
    assert (item["service_code"], item["service_name"]) == ("9301", "路灯损坏")
    assert item["description"] == "桃坞路北段路灯整晚不亮"
    assert (item["lat"], item["long"]) == (31.92, 120.82)
    assert item["media_url"] == "https://img.example.cn/2.jpg"
    assert item["requested_datetime"].endswith("+08:00")
    assert item["address_id"] == o311.office.world.grid_a1.code
    # Anyone else: the request exists, but without what may identify a person.
    public = parse(client.get(f"{BASE}/requests/{number}.json"))[0]
    assert public["description"] is None and public["media_url"] is None
    grid = o311.office.world.grid_a1
    assert public["address"] == f"{grid.name}, {o311.office.world.community_a.name}"
    assert (public["lat"], public["long"]) == (grid.centroid_lat, grid.centroid_lng)
    assert "13912345678" not in json.dumps(public, ensure_ascii=False)
    root = parse(client.get(f"{BASE}/requests/{number}.xml"))
    [xml_item] = xml_items(root, "request")
    assert xml_item["service_request_id"] == number
    assert xml_item["description"] == "" and xml_item["status"] == "open"


def test_disputes_are_never_shown_to_anyone_else(o311, client):
    dispute = new_case(o311.office)  # a staff-registered neighbour dispute in street A
    for url in (f"{BASE}/requests/{dispute.number}.json",
                f"{BASE}/requests/{dispute.number}.json?api_key={o311.key}",
                f"{BASE}/requests/{dispute.number}.xml"):
        assert_error(client.get(url), 404, dispute.number)
    listed = parse(client.get(f"{BASE}/requests.json?api_key={o311.key}"))
    assert dispute.number not in {r["service_request_id"] for r in listed}
    # Sent through Open311 by this key, a dispute is shown to this key only.
    record, _body = create(client, o311, service_code="9102", **{"attribute[state]": None})
    number = record.case.number
    assert parse(client.get(f"{BASE}/requests/{number}.json?api_key={o311.key}"))[0][
        "description"] == "桃坞路北段路灯整晚不亮"
    assert_error(client.get(f"{BASE}/requests/{number}.json"), 404)


def test_status_turns_closed_when_staff_close_the_case(o311, client):
    record, _body = create(client, o311)
    close_case(o311.office, record.case)
    [item] = parse(client.get(f"{BASE}/requests/{record.case.number}.json"))
    assert (item["status"], item["detailed_status"]) == ("closed", "CLOSED")
    assert item["status_notes"] == "已结案"
    assert item["agency_responsible"] == o311.office.world.unit_a.name
    assert item["expected_datetime"] is None
    record.case.refresh_from_db()
    assert item["updated_datetime"] == timezone.localtime(record.case.closed_at).isoformat(
        timespec="seconds")


def test_list_filters(o311, client):
    lamp1, _b = create(client, o311)
    lamp2, _b = create(client, o311)
    hazard, _b = create(client, o311, service_code="9401", **{"attribute[state]": None})
    close_case(o311.office, lamp2.case)

    def numbers(query: str) -> list[str]:
        return [r["service_request_id"] for r in parse(client.get(f"{BASE}/requests.json?"
                                                                  f"{query}"))]

    all_three = [hazard.case.number, lamp2.case.number, lamp1.case.number]  # newest first
    assert numbers("") == all_three
    assert numbers("service_code=9301") == [lamp2.case.number, lamp1.case.number]
    assert numbers("service_code=9301,9401") == all_three
    assert numbers("status=closed") == [lamp2.case.number]
    assert numbers("status=open") == [hazard.case.number, lamp1.case.number]
    assert numbers("status=open,closed") == all_three
    assert numbers(f"service_request_id={lamp1.case.number},{hazard.case.number}"
                   f"&status=closed") == [hazard.case.number, lamp1.case.number]
    # The default window is the most recent 90 days.
    Case.objects.filter(pk=lamp1.case.pk).update(
        registered_at=timezone.now() - timedelta(days=91))
    assert numbers("") == [hazard.case.number, lamp2.case.number]
    start = (timezone.now() - timedelta(days=100)).isoformat()
    end = (timezone.now() - timedelta(days=80)).isoformat()
    assert numbers(f"start_date={start.replace('+', '%2B')}&end_date="
                   f"{end.replace('+', '%2B')}") == [lamp1.case.number]
    root = parse(client.get(f"{BASE}/requests.xml?status=closed"))
    assert [r["service_request_id"] for r in xml_items(root, "request")] == [lamp2.case.number]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("query,fragment", [
    ("start_date=2026-01-01T00:00:00Z&end_date=2026-05-01T00:00:00Z", "90"),
    ("start_date=2026-05-01T00:00:00Z&end_date=2026-01-01T00:00:00Z", "end_date"),
    ("start_date=yesterday", "start_date"),
    ("end_date=2026-13-01", "end_date"),
    ("status=pending", "status"),
    ("jurisdiction_id=elsewhere.gov.cn", "elsewhere.gov.cn"),
    ("api_key=cg_wrong_key_0123456789", "api_key"),
])
def test_list_errors(o311, client, fmt, query, fragment):
    status = 404 if "jurisdiction" in query else 403 if "api_key" in query else 400
    assert_error(client.get(f"{BASE}/requests.{fmt}?{query}"), status, fragment)


def test_list_queries_do_not_grow_with_requests(o311, client):
    create(client, o311)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"{BASE}/requests.json?api_key={o311.key}").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for _ in range(4):
        create(client, o311)
    assert count() == few


# --- servicerequestupdates ----------------------------------------------------------------

def test_updates_list_status_changes_with_public_texts(o311, client):
    record, _body = create(client, o311)
    close_case(o311.office, record.case)
    new_case(o311.office)  # a dispute: its updates are nobody else's business
    updates = parse(client.get(f"{BASE}/servicerequestupdates.json"))
    assert {u["service_request_id"] for u in updates} == {record.case.number}
    assert [u["status"] for u in updates] == ["OPEN", "INVESTIGATING", "IN_PROGRESS", "FIXED",
                                              "FIXED", "FIXED", "CLOSED"]
    assert updates[-1]["description"] == "已结案"
    assert all(u["updated_datetime"].endswith("+08:00") for u in updates)
    assert len({u["update_id"] for u in updates}) == len(updates)
    for secret in ("已更换灯泡", "满意", "王小明", o311.office.people["mediator"].username):
        assert secret not in json.dumps(updates, ensure_ascii=False)
    root = parse(client.get(f"{BASE}/servicerequestupdates.xml"))
    assert root.tag == "service_request_updates"
    assert [u["status"] for u in xml_items(root, "request_update")][-1] == "CLOSED"
    assert_error(client.get(f"{BASE}/servicerequestupdates.xml?start_date=bad"), 400,
                 "start_date")


# --- anything else -----------------------------------------------------------------------

def test_unknown_resources_and_methods(o311, client):
    assert_error(client.get(f"{BASE}/nothing.json"), 404)
    assert_error(client.get(f"{BASE}/nothing"), 404)  # XML when no format is asked for
    assert_error(client.get(f"{BASE}/requests/none-such.xml"), 404, "none-such")
    response = client.post(f"{BASE}/services.json")
    assert_error(response, 405, "POST")
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    response = client.delete(f"{BASE}/requests.xml")
    assert_error(response, 405, "DELETE")
    assert response["Allow"] == "GET, POST, HEAD, OPTIONS"


def test_session_is_not_used_for_open311(o311):
    """A signed-in staff member without an api_key cannot post: the session is ignored."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(o311.office.people["dispatcher"])
    data = lamp_request(o311)
    del data["api_key"]
    assert_error(client.post(f"{BASE}/requests.json", data), 403, "api_key")


@pytest.mark.parametrize("place", [OUTSIDE, {"lat": "", "long": "",
                                             "address_id": "320602002001001"}])
def test_a_place_outside_the_jurisdiction_gets_the_message_of_every_channel(o311, client,
                                                                            place):
    """The same rule and words as the page and the JSON API (case_intake's intake_place):
    nothing is registered."""
    before = Open311Request.objects.count()
    response = post(client, **lamp_request(o311, **place))
    assert_error(response, 400, "该位置不在您的管辖范围内。")
    assert Open311Request.objects.count() == before

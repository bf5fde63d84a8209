"""What the Open311 client libraries of other cities expect (issue 12, point 8): texts every
XML parser reads, optional and short descriptions, list arguments, older clients' POST
query strings, HEAD/OPTIONS and the spec's error document for every error, paging,
media_url, errors in the caller's language, one form of time."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree as ET  # noqa: S405 (parsing our own responses)

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from civicgrid.api.services import api_token_revoke
from civicgrid.cases.models import Attachment, Case, Party
from civicgrid.cases.tests.test_workflow import png_bytes
from civicgrid.open311 import render, selectors
from civicgrid.open311.models import Open311Request
from civicgrid.open311.tests import conftest
from civicgrid.open311.tests.conftest import close_case
from civicgrid.open311.tests.test_open311 import (
    BASE,
    assert_error,
    create,
    lamp_request,
    parse,
    post,
    xml_items,
)
from civicgrid.testing import build_office, shared

# The module's district, categories and api_key: built once, rolled back per test.
o311_once, o311 = shared(lambda: conftest.o311.__wrapped__(build_office()), name="o311")


def counts() -> tuple[int, int, int, int]:
    return (Case.objects.count(), Party.objects.count(), Open311Request.objects.count(),
            Attachment.objects.count())


# --- 1. characters XML 1.0 forbids ----------------------------------------------------------

def test_a_stored_control_character_does_not_break_the_xml_list(o311, client):
    """A description pasted from Word (a soft line break is U+000B) registered through any
    channel: the XML list stays parseable, and both formats carry the same text."""
    record, _body = create(client, o311)
    Case.objects.filter(pk=record.case.pk).update(
        description="路灯\x0b不亮\x01了\ufffe", address="桃坞路\x0c12号")
    o311.lamp.name = "路灯\x08损坏"
    o311.lamp.save()
    response = client.get(f"{BASE}/requests.xml?api_key={o311.key}")
    root = ET.fromstring(response.content)  # noqa: S314 (raised ParseError before the fix)
    [item] = xml_items(root, "request")
    assert (item["description"], item["address"], item["service_name"]) == (
        "路灯\n不亮了", "桃坞路\n12号", "路灯损坏")
    [as_json] = parse(client.get(f"{BASE}/requests.json?api_key={o311.key}"))
    assert (as_json["description"], as_json["address"], as_json["service_name"]) == (
        "路灯\n不亮了", "桃坞路\n12号", "路灯损坏")
    services = ET.fromstring(client.get(f"{BASE}/services.xml").content)  # noqa: S314
    assert "路灯损坏" in [s["service_name"] for s in xml_items(services, "service")]


def test_renderer_drops_lone_surrogates_in_both_formats():
    """A lone surrogate cannot even be encoded as UTF-8 (a 500 before); NUL and the other
    controls are dropped; tab, line feed and everything printable are kept."""
    value = [{"code": 400, "description": "a\ud800b\x00c\td\ne😀"}]
    xml = render.document("xml", "errors", value)
    assert ET.fromstring(xml.content).findtext("error/description") == "abc\td\ne😀"  # noqa: S314
    assert json.loads(render.document("json", "errors", value).content) == [
        {"code": 400, "description": "abc\td\ne😀"}]


def test_posted_texts_are_stored_without_forbidden_characters(o311, client):
    record, _body = create(client, o311, description="桃坞路\x0b路灯\x00整晚不亮\x1f",
                           address_string="桃坞路\x0012号", first_name="小\x07明",
                           account_id="u\x0b1")
    case = record.case
    assert case.description == "桃坞路\n路灯整晚不亮"
    assert case.address == "桃坞路12号"
    assert case.parties.get().name == "王小明"
    assert record.account_id == "u\n1"


# --- 2. description optional, short texts are reports ------------------------------------

def test_without_description_a_point_is_named_by_its_grid(o311, client):
    world = o311.office.world
    record, _body = create(client, o311, description=None)
    assert record.case.description == f"路灯损坏:{world.community_a.name}{world.grid_a1.name}"
    record, _body = create(client, o311, description="", lat="", long="",
                           address_id=world.grid_a2.code)
    assert record.case.description == f"路灯损坏:{world.community_a.name}{world.grid_a2.name}"


def test_a_short_description_is_a_report_but_one_character_is_not(o311, client):
    record, _body = create(client, o311, description="灯不亮")
    assert record.case.description == "灯不亮"
    before = counts()
    assert_error(post(client, **lamp_request(o311, description="灯")), 400, "description",
                 "至少2个字")
    assert counts() == before


# --- 3. keywords and list arguments -----------------------------------------------------

def test_keywords_are_comma_separated_whatever_they_were_typed_with(o311, client):
    o311.lamp.keywords = "路灯、照明 灯杆;夜间,, 闪烁"
    o311.lamp.save()
    by_code = {s["service_code"]: s for s in parse(client.get(f"{BASE}/services.json"))}
    assert by_code["9301"]["keywords"] == "路灯,照明,灯杆,夜间,闪烁"
    assert by_code["9401"]["keywords"] == ""


def test_repeated_arguments_are_a_list(o311, client):
    lamp1, _b = create(client, o311)
    lamp2, _b = create(client, o311)
    hazard, _b = create(client, o311, service_code="9401", **{"attribute[state]": None})
    close_case(o311.office, lamp2.case)

    def numbers(query: str) -> list[str]:
        return [r["service_request_id"] for r in parse(client.get(f"{BASE}/requests.json?"
                                                                  f"{query}"))]

    all_three = [hazard.case.number, lamp2.case.number, lamp1.case.number]
    assert numbers("status=open&status=closed") == all_three
    assert numbers("service_code=9301&service_code=9401") == all_three
    assert numbers("service_code=9401&service_code=9301,9999") == all_three
    assert numbers(f"service_request_id={lamp1.case.number}"
                   f"&service_request_id={hazard.case.number}") == [hazard.case.number,
                                                                     lamp1.case.number]
    assert_error(client.get(f"{BASE}/requests.json?status=open&status=pending"), 400,
                 "status")


# --- 4. api_key and jurisdiction_id in the query string of a POST -------------------------

def test_post_with_api_key_and_jurisdiction_in_the_query_string(o311, client, settings):
    settings.OPEN311_JURISDICTION_ID = "chongchuan.gov.cn"
    data = lamp_request(o311)
    key = data.pop("api_key")
    response = client.post(f"{BASE}/requests.json?api_key={key}"
                           f"&jurisdiction_id=chongchuan.gov.cn", data)
    assert response.status_code == 200, response.content
    record = Open311Request.objects.get(token=parse(response)[0]["token"])
    assert (record.api_token, record.jurisdiction_id) == (o311.token, "chongchuan.gov.cn")
    before = counts()
    response = client.post(f"{BASE}/requests.json?api_key={key}&jurisdiction_id=other.gov.cn",
                           data)
    assert_error(response, 404, "other.gov.cn")
    assert counts() == before


# --- 5. HEAD, OPTIONS, and the spec's error document for every error -----------------------

GETS = ["discovery", "services", "services/9301", "requests", "servicerequestupdates"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("resource", GETS)
def test_head_is_get_without_the_body(o311, client, resource, fmt):
    url = f"{BASE}/{resource}.{fmt}"
    got = client.get(url)
    head = client.head(url)
    assert (head.status_code, head["Content-Type"]) == (200, got["Content-Type"])
    assert head.content == b""
    assert head["Content-Length"] == str(len(got.content))


@pytest.mark.parametrize("resource,allow", [
    ("discovery.json", "GET, HEAD, OPTIONS"), ("services.xml", "GET, HEAD, OPTIONS"),
    ("services/9301.json", "GET, HEAD, OPTIONS"), ("requests.json", "GET, POST, HEAD, OPTIONS"),
    ("requests/320602-20260101-00001.xml", "GET, HEAD, OPTIONS"),
    ("tokens/abc.json", "GET, HEAD, OPTIONS"), ("servicerequestupdates.xml", "GET, HEAD, OPTIONS"),
])
def test_options_answers_the_methods(o311, client, resource, allow):
    response = client.options(f"{BASE}/{resource}")
    assert (response.status_code, response["Allow"], response.content) == (200, allow, b"")


@pytest.mark.parametrize("method", ["get", "head", "options", "post", "put", "delete"])
def test_an_unknown_resource_is_404_whatever_the_method(o311, method):
    response = getattr(Client(enforce_csrf_checks=True), method)(f"{BASE}/nothing.json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json; charset=utf-8"
    if method != "head":
        assert_error(response, 404)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_csrf_never_answers_an_html_page(o311, fmt):
    """A client without cookies or CSRF token (every Open311 client): a wrong method, an
    unknown path and a request all answer as the spec says, never Django's CSRF page."""
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"{BASE}/services/9301.{fmt}", {"x": "1"})
    assert_error(response, 405, "POST")
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert_error(client.post(f"{BASE}/nothing.{fmt}", {"x": "1"}), 404)
    assert_error(client.put(f"{BASE}/requests.{fmt}"), 405, "PUT")
    assert post(client, fmt, **lamp_request(o311)).status_code == 200
    assert Case.objects.count() == 1


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_fault_of_ours_is_the_spec_error_document(o311, monkeypatch, fmt):
    def broken():
        raise RuntimeError("database gone")

    monkeypatch.setattr(selectors, "services", broken)
    response = Client(raise_request_exception=False).get(f"{BASE}/services.{fmt}")
    assert_error(response, 500)
    assert "database gone" not in response.content.decode()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unreadable_and_oversized_bodies_are_spec_errors(o311, client, settings, fmt):
    before = counts()
    response = client.post(f"{BASE}/requests.{fmt}", b"--x\r\n", content_type="multipart/form-data",
                           headers={"Idempotency-Key": "k-1"})  # no boundary
    assert_error(response, 400, "multipart/form-data")
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 200
    response = post(client, fmt, **lamp_request(o311, description="路灯不亮" * 100))
    assert_error(response, 413)
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    flood = "&".join(f"f{i}=1" for i in range(10))
    assert_error(client.get(f"{BASE}/requests.{fmt}?locale=en&{flood}"), 400)
    assert_error(post(client, fmt, **lamp_request(o311)), 400)  # 11 fields
    assert counts() == before


# --- 7. paging ---------------------------------------------------------------------------

def test_lists_are_paged_and_say_when_there_is_more(o311, client):
    made = [create(client, o311)[0].case.number for _ in range(3)]
    newest_first = made[::-1]
    first = client.get(f"{BASE}/requests.json?page_size=2&status=open")
    assert [r["service_request_id"] for r in parse(first)] == newest_first[:2]
    assert first["Link"] == ('<http://testserver/open311/v2/requests.json?page_size=2'
                             '&status=open&page=2>; rel="next"')
    second = client.get(f"{BASE}/requests.xml?page=2&page_size=2")
    assert [r["service_request_id"] for r in xml_items(parse(second), "request")] == \
        newest_first[2:]
    assert second["Link"] == ('<http://testserver/open311/v2/requests.xml?page=1&page_size=2>;'
                              ' rel="prev"')
    assert "Link" not in client.get(f"{BASE}/requests.json")  # all on the default page
    updates = client.get(f"{BASE}/servicerequestupdates.json?page_size=2")
    assert len(parse(updates)) == 2 and 'rel="next"' in updates["Link"]


@pytest.mark.parametrize("query", ["page=0", "page=x", "page_size=0", "page_size=1001",
                                   "page=10001"])
def test_bad_paging_arguments_are_400(o311, client, query):
    assert_error(client.get(f"{BASE}/requests.json?{query}"), 400, query.split("=")[0])


# --- 8. media_url for uploaded media ------------------------------------------------------

def test_an_uploaded_photo_is_the_media_url_of_its_sender(o311, client):
    photo = png_bytes((24, 24), (10, 200, 10))
    record, _body = create(client, o311, media=SimpleUploadedFile("p.png", photo, "image/png"))
    number = record.case.number
    [own] = parse(client.get(f"{BASE}/requests/{number}.json?api_key={o311.key}"))
    url = own["media_url"]
    assert re.fullmatch(r"http://testserver/open311/v2/media/\d+-[0-9a-f]{32}\.png", url), url
    [xml_own] = xml_items(parse(client.get(f"{BASE}/requests/{number}.xml?api_key={o311.key}")),
                          "request")
    assert xml_own["media_url"] == url
    # Anyone holding the URL (an <img> in the client's page, no key) gets the photo.
    served = Client().get(url.removeprefix("http://testserver"))
    assert (served.status_code, served["Content-Type"]) == (200, "image/png")
    stored = Attachment.objects.get(case=record.case)
    with stored.file.open("rb") as handle:
        assert b"".join(served.streaming_content) == handle.read()
    head = Client().head(url.removeprefix("http://testserver"))
    assert (head.status_code, b"".join(head.streaming_content), head["Content-Length"]) == (
        200, b"", str(stored.size))
    # Not listed publicly, and the client's own media_url wins over the upload.
    assert parse(client.get(f"{BASE}/requests/{number}.json"))[0]["media_url"] is None
    other, _body = create(client, o311, media_url="https://img.example.cn/3.jpg",
                          media=SimpleUploadedFile("p.png", photo, "image/png"))
    assert parse(client.get(f"{BASE}/requests/{other.case.number}.json?api_key={o311.key}"))[
        0]["media_url"] == "https://img.example.cn/3.jpg"


def test_media_view_serves_only_photos_posted_through_open311(o311, client):
    record, _body = create(client, o311, media=SimpleUploadedFile("p.png", png_bytes(),
                                                                  "image/png"))
    posted = Attachment.objects.get(case=record.case)
    path = selectors.media_path(posted)
    assert Client().get(path).status_code == 200
    # A wrong signature, a wrong extension: 404 like nothing.
    assert_error(Client().get(path.replace(path[-36:-4], "0" * 32)), 404)
    assert_error(Client().get(path.replace(".png", ".jpg")), 404)
    # A photo the staff added to the same case is not the request's media.
    staff = Attachment(case=record.case, original_name="现场.png", content_type="image/png",
                       size=10, sha256="1" * 64, uploaded_by=o311.office.people["dispatcher"],
                       uploaded_at=timezone.now())
    staff.file.save("staff.png", ContentFile(png_bytes()), save=True)
    assert_error(Client().get(selectors.media_path(staff)), 404)
    # Revoking the api_key withdraws its media URLs.
    api_token_revoke(token=o311.token, actor=None)
    assert_error(Client().get(path), 404)


# --- 9. errors in the caller's language ----------------------------------------------------

@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_errors_in_the_language_asked_for(o311, client, fmt):
    url = f"{BASE}/services/0000.{fmt}"
    english = client.get(url, headers={"Accept-Language": "en-US,en;q=0.8"})
    assert_error(english, 404, "service_code not found: 0000.")
    assert english["Content-Language"] == "en"
    assert_error(client.get(f"{url}?locale=en_US"), 404, "service_code not found: 0000.")
    chinese = client.get(url)
    assert_error(chinese, 404, "未找到 service_code:0000。")
    assert chinese["Content-Language"] == "zh-hans"
    assert_error(client.get(url, headers={"Accept-Language": "zh-CN"}), 404, "未找到 service_code")
    response = client.post(f"{BASE}/services.{fmt}", headers={"Accept-Language": "en"})
    assert_error(response, 405, "Method not supported: POST.")
    # A service's own message too (case_intake's place rule).
    response = post(client, fmt, headers={"Accept-Language": "en"},
                    **lamp_request(o311, lat="31.92", long="120.92"))
    assert_error(response, 400, "This place is outside your jurisdiction.")


# --- 10. one form of time --------------------------------------------------------------------

W3 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")


def test_every_time_is_iso_8601_with_the_offset(o311, client):
    record, _body = create(client, o311)
    close_case(o311.office, record.case)
    [item] = parse(client.get(f"{BASE}/requests/{record.case.number}.json"))
    times = [item["requested_datetime"], item["updated_datetime"]]
    times += [u["updated_datetime"] for u in parse(client.get(
        f"{BASE}/servicerequestupdates.json"))]
    times += [parse(client.get(f"{BASE}/discovery.json"))["changeset"]]
    root = parse(client.get(f"{BASE}/requests.xml"))
    times += [root.findtext("request/requested_datetime"),
              root.findtext("request/updated_datetime")]
    assert times and all(W3.match(t) for t in times), times

"""A client written only from the published GeoReport v2 spec, talking XML over real HTTP
to a live server: discovery, service list, definition, POST with the required attributes,
token → id, and the status turning `closed` after the staff close the case."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from xml.etree import ElementTree as ET  # noqa: S405 (parsing our own server's answers)

from civicgrid.cases.models import Case
from civicgrid.open311.tests.conftest import close_case


class GeoReportClient:
    """Knows the spec and a discovery URL, nothing about civicgrid."""

    def __init__(self, discovery_url: str, api_key: str, jurisdiction_id: str):
        self.api_key = api_key
        self.jurisdiction_id = jurisdiction_id
        discovery = self._fetch(discovery_url)
        endpoint = next(e for e in discovery.iter("endpoint")
                        if e.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
                        and "text/xml" in [f.text for f in e.iter("format")])
        self.base = endpoint.findtext("url").rstrip("/")

    def _fetch(self, url: str, data: dict | None = None) -> ET.Element:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(url, data=body)  # noqa: S310 (http://127.0.0.1 only)
        if body is not None:
            request.add_header("Content-Type",
                               "application/x-www-form-urlencoded; charset=utf-8")
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            assert response.headers["Content-Type"].startswith("text/xml")
            return ET.fromstring(response.read())  # noqa: S314

    def _url(self, resource: str, **params: str) -> str:
        query = urllib.parse.urlencode({"jurisdiction_id": self.jurisdiction_id, **params})
        return f"{self.base}/{resource}.xml?{query}"

    def services(self) -> list[dict[str, str]]:
        return [{child.tag: child.text or "" for child in s}
                for s in self._fetch(self._url("services")).iter("service")]

    def definition(self, service_code: str) -> ET.Element:
        return self._fetch(self._url(f"services/{service_code}"))

    def post_request(self, service_code: str, lat: float, long: float, description: str,
                     attributes: dict[str, str | list[str]]) -> ET.Element:
        data: dict[str, object] = {
            "api_key": self.api_key, "jurisdiction_id": self.jurisdiction_id,
            "service_code": service_code, "lat": lat, "long": long,
            "description": description}
        for code, value in attributes.items():
            data[f"attribute[{code}][]" if isinstance(value, list) else
                 f"attribute[{code}]"] = value
        return self._fetch(f"{self.base}/requests.xml", data)

    def request_id_from_token(self, token: str) -> str:
        return self._fetch(self._url(f"tokens/{token}")).findtext("request/service_request_id")

    def request(self, service_request_id: str) -> ET.Element:
        return self._fetch(self._url(f"requests/{service_request_id}",
                                     api_key=self.api_key)).find("request")


def test_spec_client_round_trip(transactional_db, live_server, o311, settings):
    settings.OPEN311_JURISDICTION_ID = "chongchuan.example.gov.cn"
    client = GeoReportClient(f"{live_server.url}/open311/v2/discovery.xml", o311.key,
                             "chongchuan.example.gov.cn")
    services = client.services()
    lamp = next(s for s in services if s["service_name"] == "路灯损坏")
    assert lamp["metadata"] == "true"
    definition = client.definition(lamp["service_code"])
    answers: dict[str, str | list[str]] = {}
    for attribute in definition.iter("attribute"):
        if attribute.findtext("required") != "true":
            continue
        first_key = attribute.find("values/value/key").text
        answers[attribute.findtext("code")] = (
            [first_key] if attribute.findtext("datatype") == "multivaluelist" else first_key)
    assert answers == {"state": "off"}

    posted = client.post_request(lamp["service_code"], 31.92, 120.82, "路灯整晚不亮", answers)
    request = posted.find("request")
    assert request.find("service_request_id") is None  # a batch service returns a token
    token = request.findtext("token")
    service_request_id = client.request_id_from_token(token)
    assert service_request_id

    status = client.request(service_request_id)
    assert status.findtext("status") == "open"
    assert status.findtext("service_code") == lamp["service_code"]

    close_case(o311.office, Case.objects.get(number=service_request_id))
    assert client.request(service_request_id).findtext("status") == "closed"


def test_spec_client_sees_spec_errors(transactional_db, live_server, o311):
    client = GeoReportClient(f"{live_server.url}/open311/v2/discovery.xml", "cg_bad_key_000000",
                             "civicgrid.local")
    try:
        client.post_request("9301", 31.92, 120.82, "路灯整晚不亮", {"state": "off"})
    except urllib.error.HTTPError as exc:
        assert exc.code == 403
        errors = ET.fromstring(exc.read())  # noqa: S314
        assert errors.tag == "errors"
        assert errors.findtext("error/code") == "403"
    else:
        raise AssertionError("a bad api_key was accepted")
    assert not Case.objects.exists()


def test_older_client_over_http_lists_every_page_of_parseable_xml(transactional_db, live_server,
                                                                   o311, settings):
    """What older GeoReport v2 libraries do: api_key and jurisdiction_id in the query string
    of the POST, a description pasted from Word (U+000B), HEAD before GET, and a list read
    page by page by following `Link: rel="next"` (civicgrid/open311/tests/test_clients.py
    has the details)."""
    settings.OPEN311_JURISDICTION_ID = "chongchuan.example.gov.cn"
    base = f"{live_server.url}/open311/v2"
    query = urllib.parse.urlencode({"api_key": o311.key,
                                    "jurisdiction_id": "chongchuan.example.gov.cn"})
    for description in ("路灯\x0b整晚不亮", "灯不亮", "灯杆\x0c倾斜"):
        body = urllib.parse.urlencode({"service_code": "9301", "lat": 31.92, "long": 120.82,
                                       "attribute[state]": "off",
                                       "description": description}).encode()
        request = urllib.request.Request(f"{base}/requests.xml?{query}", data=body)  # noqa: S310
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            assert ET.fromstring(response.read()).findtext("request/token")  # noqa: S314
    head = urllib.request.Request(f"{base}/requests.xml?{query}", method="HEAD")  # noqa: S310
    with urllib.request.urlopen(head, timeout=30) as response:  # noqa: S310
        assert response.status == 200 and response.read() == b""
    url: str | None = f"{base}/requests.xml?{query}&page_size=2"
    descriptions: list[str] = []
    while url:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310
            root = ET.fromstring(response.read())  # noqa: S314
            link = response.headers.get("Link", "")
        descriptions += [r.findtext("description") for r in root.iter("request")]
        url = link[1:link.index(">")] if 'rel="next"' in link else None
    assert descriptions == ["灯杆\n倾斜", "灯不亮", "路灯\n整晚不亮"]

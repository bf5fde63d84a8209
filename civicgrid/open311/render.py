"""GeoReport v2 documents in XML (required by the spec) and JSON (its Spark-convention
mapping of the same XML): one Python structure, two renderings.

A document is a root name and a value: a list renders as repeated child elements whose
name comes from CHILD (services → service), a dict as child elements in order, None as an
empty element, booleans as true/false and datetimes in the w3 format with an offset.

Every text goes through `xml_text` in both formats: a description stored with a control
character (a Word soft line break, from any channel) would otherwise make the whole XML
list unparseable, and a lone surrogate could not be encoded at all. Both formats carry the
same cleaned text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET  # noqa: S405 (building XML, never parsing it)

from django.http import HttpResponse

from civicgrid.core.text import xml_text
from civicgrid.core.times import api_time

XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
FORMATS = ("xml", "json")

# The element name of one item of each list in the spec.
CHILD = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "errors": "error",
}


def w3(moment: datetime | None) -> str | None:
    """2026-11-30T09:15:00+08:00 (local time of the deployment, offset always given)."""
    return None if moment is None else api_time(moment)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return w3(value)
    return xml_text(str(value))


def _build(parent: ET.Element, name: str, value: Any) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, item in value.items():
            _build(element, key, item)
    elif isinstance(value, list):
        child = CHILD[name]
        for item in value:
            _build(element, child, item)
    else:
        text = _text(value)
        if text is not None:
            element.text = text


def to_xml(root: str, value: Any) -> str:
    holder = ET.Element("holder")
    _build(holder, root, value)
    body = ET.tostring(holder[0], encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return w3(value)
    if isinstance(value, str):
        return xml_text(value)
    return value


def to_json(value: Any) -> str:
    return json.dumps(_jsonable(value), ensure_ascii=False)


def render_body(fmt: str, root: str, value: Any) -> tuple[str, str]:
    """(body, content type) of `value` as the document `root` in format `fmt`."""
    if fmt == "xml":
        return to_xml(root, value), XML_TYPE
    return to_json(value), JSON_TYPE


def document(fmt: str, root: str, value: Any, status: int = 200) -> HttpResponse:
    body, content_type = render_body(fmt, root, value)
    return HttpResponse(body, status=status, content_type=content_type)


def errors(fmt: str, status: int, messages: Sequence[tuple[int | str, str]]) -> HttpResponse:
    """The spec's error document: an array of {code, description}."""
    items = [{"code": code, "description": description} for code, description in messages]
    return document(fmt, "errors", items, status=status)

"""Reads of the Open311 GeoReport v2 interface: services, definitions, requests, updates.

Who sees what (docs/api.md, "Open311"):
- a request sent with an api_key is shown in full (description, address, point, media_url)
  to that same api_key;
- requests about public things (民生服务 and 安全隐患 categories) are listed for everyone,
  but without the description, the address or the exact point, which may carry personal
  data: the place is the grid and its centre;
- disputes and everything else are never shown to anyone else: GET answers 404 exactly as
  for a number that does not exist.
The status notes are the portal's public timeline texts: organisations are named, people
never.

Lists are paged (`page`, `page_size`: Chicago's Open311 extension), at most MAX_RESULTS a
page; the view tells a client there is more with a `Link: <…>; rel="next"` header.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, TypedDict

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from civicgrid.api.models import ApiToken
from civicgrid.cases.models import (
    Attachment,
    AttributeType,
    Case,
    CaseEvent,
    CaseKind,
    Category,
    CategoryAttribute,
    Status,
)
from civicgrid.open311.models import Open311Request
from civicgrid.portal.selectors import public_event_text

# Categories offered as Open311 services: what residents report (emergencies need 110/119/
# 120 now; petitions have their own statutory channel, as on the resident portal).
SERVICE_KINDS = (CaseKind.DISPUTE, CaseKind.SERVICE, CaseKind.HAZARD)
# Requests of these kinds are listed publicly (without personal data).
PUBLIC_KINDS = (CaseKind.SERVICE, CaseKind.HAZARD)

CLOSED_STATUSES = frozenset({Status.CLOSED, Status.REJECTED, Status.MERGED})
# FixMyStreet's extended states (Open311 FMS "additional states") for each case status.
DETAILED_STATUS = {
    Status.REGISTERED: "OPEN",
    Status.ACCEPTED: "INVESTIGATING",
    Status.HANDLING: "IN_PROGRESS",
    Status.HANDED_OFF: "INTERNAL_REFERRAL",
    Status.RESOLVED: "FIXED",
    Status.VERIFIED: "FIXED",
    Status.FOLLOWED_UP: "FIXED",
    Status.SUSPENDED: "ACTION_SCHEDULED",
    Status.CLOSED: "CLOSED",
    Status.REJECTED: "NO_FURTHER_ACTION",
    Status.MERGED: "DUPLICATE",
}
WINDOW = timedelta(days=90)
MAX_RESULTS = 1000  # the spec's usual cap, and the largest page_size
# Photos an Open311 client may be shown again through media_url, and their extensions.
MEDIA_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}
CHANGESET = "2026-11-30T00:00:00+08:00"  # when this interface last changed
SPEC_URL = "http://wiki.open311.org/GeoReport_v2"


class InvalidQuery(ValueError):
    """A query argument the spec's 400 answers (message for the client)."""


# --- the documents (GeoReport v2 names; render.py writes them as JSON or XML) -------------

class Service(TypedDict):
    """One <service> of GET services."""

    service_code: str
    service_name: str
    description: str
    metadata: bool  # whether GET services/{code} has attributes to send
    type: Literal["realtime", "batch", "blackbox"]
    keywords: str
    group: str


class AttributeValueName(TypedDict):
    """One <value> of a list attribute: the key to send and its name."""

    key: str
    name: str


class ServiceAttribute(TypedDict):
    """One <attribute> of a service definition."""

    variable: bool
    code: str
    datatype: str
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: list[AttributeValueName]


class ServiceDefinition(TypedDict):
    """GET services/{service_code}."""

    service_code: str
    attributes: list[ServiceAttribute]


class ServiceRequest(TypedDict):
    """One <request> of GET requests (None: the element is sent empty)."""

    service_request_id: str
    status: Literal["open", "closed"]
    detailed_status: str  # FixMyStreet's extended state (DETAILED_STATUS)
    status_notes: str | None
    service_name: str
    service_code: str
    description: str | None
    agency_responsible: str | None
    service_notice: None
    requested_datetime: datetime
    updated_datetime: datetime
    expected_datetime: datetime | None
    address: str
    address_id: str
    zipcode: None
    lat: float | None
    long: float | None
    media_url: str | None


class ServiceRequestUpdate(TypedDict):
    """One <request_update> of FixMyStreet's servicerequestupdates."""

    update_id: str
    service_request_id: str
    status: str  # a DETAILED_STATUS value
    updated_datetime: datetime
    description: str
    media_url: None


# --- services ----------------------------------------------------------------------------

def services() -> QuerySet[Category]:
    """Leaf categories in use of the kinds offered, with whether they ask for attributes."""
    has_attrs = CategoryAttribute.objects.filter(category=OuterRef("pk"))
    return (Category.objects.filter(active=True, kind__in=SERVICE_KINDS)
            .exclude(Exists(Category.objects.filter(parent=OuterRef("pk"))))
            .annotate(has_attributes=Exists(has_attrs))
            .select_related("parent").order_by("code"))


def service_item(category: Category) -> Service:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description or category.name,
        "metadata": bool(getattr(category, "has_attributes", False)),
        # The request is registered at once, but the client gets a token (exchanged for
        # the case number at tokens/{token}): see docs/api.md for why.
        "type": "batch",
        "keywords": keywords(category.keywords),
        "group": category.parent.name if category.parent is not None else "",
    }


_KEYWORD_SEPARATORS = re.compile(r"[,,、;;\s]+")


def keywords(raw: str) -> str:
    """The spec's comma-separated keywords, whatever separators the category was typed
    with (`路灯、照明 灯杆` → `路灯,照明,灯杆`)."""
    return ",".join(word for word in _KEYWORD_SEPARATORS.split(raw or "") if word)


DATATYPE_HELP = {
    AttributeType.NUMBER: "number",
    AttributeType.DATETIME: "ISO 8601, e.g. 2026-11-30T09:00:00+08:00",
    AttributeType.MULTI: "one or more keys: attribute[code][]=key",
    AttributeType.SINGLE: "one key: attribute[code]=key",
}


def service_definition(category: Category) -> ServiceDefinition:
    attributes: list[ServiceAttribute] = []
    for order, attr in enumerate(category.attributes.order_by("order", "code"), start=1):
        attributes.append({
            "variable": True,
            "code": attr.code,
            "datatype": attr.datatype,
            "required": attr.required,
            "datatype_description": DATATYPE_HELP.get(AttributeType(attr.datatype)),
            "order": order,
            "description": attr.description,
            "values": [{"key": str(key), "name": name} for key, name in attr.values],
        })
    return {"service_code": category.code, "attributes": attributes}


# --- requests ----------------------------------------------------------------------------

def _visible_q(api_token: ApiToken | None) -> Q:
    q = Q(category__kind__in=PUBLIC_KINDS, area_code__startswith=settings.PORTAL_AREA_CODE)
    if api_token is not None:
        q |= Q(open311__api_token=api_token)
    return q


def visible_cases(api_token: ApiToken | None) -> QuerySet[Case]:
    return (Case.objects.filter(_visible_q(api_token))
            .select_related("category", "area", "area__parent", "assigned_unit", "open311"))


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


def _parse_moment(raw: str, name: str) -> datetime:
    from django.utils.dateparse import parse_date, parse_datetime

    raw = raw.strip()
    try:
        moment = parse_datetime(raw)
        if moment is None and (day := parse_date(raw)) is not None:
            moment = datetime(day.year, day.month, day.day)  # noqa: DTZ001 (made aware below)
    except ValueError:
        moment = None
    if moment is None:
        raise InvalidQuery(_("%(name)s 须为 w3 日期时间,例如 2026-11-01T00:00:00+08:00。") % {
            "name": name})
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def date_window(start_raw: str, end_raw: str, now: datetime | None = None) -> Window:
    """The spec's window: at most 90 days; the most recent 90 days when none is given."""
    now = now or timezone.now()
    start = _parse_moment(start_raw, "start_date") if start_raw.strip() else None
    end = _parse_moment(end_raw, "end_date") if end_raw.strip() else None
    if start is None and end is None:
        return Window(now - WINDOW, now)
    if start is None:
        assert end is not None
        return Window(end - WINDOW, end)
    if end is None:
        return Window(start, start + WINDOW)
    if end < start:
        raise InvalidQuery(_("end_date 早于 start_date。"))
    if end - start > WINDOW:
        raise InvalidQuery(_("start_date 与 end_date 相隔不能超过90天。"))
    return Window(start, end)


def split_values(raw: Sequence[str]) -> list[str]:
    """A list argument as clients send it: repeated (`status=open&status=closed`),
    comma-delimited (`status=open,closed`, the spec's form), or both."""
    return [part.strip() for value in raw for part in value.split(",") if part.strip()]


@dataclass(frozen=True)
class Page:
    """One page of a list: `number` from 1, `size` items at most."""

    number: int = 1
    size: int = MAX_RESULTS

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


MAX_PAGE = 10_000  # offset paging over a 90-day window; deeper pages mean a narrower window


def parse_page(page_raw: str, size_raw: str) -> Page:
    """`page` (from 1) and `page_size` (1 to MAX_RESULTS, MAX_RESULTS when absent)."""
    try:
        number = int(page_raw) if page_raw.strip() else 1
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_PAGE:
        raise InvalidQuery(_("page 须为 1 至 %(max)d 的整数。") % {"max": MAX_PAGE})
    try:
        size = int(size_raw) if size_raw.strip() else MAX_RESULTS
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_RESULTS:
        raise InvalidQuery(_("page_size 须为 1 至 %(max)d 的整数。") % {"max": MAX_RESULTS})
    return Page(number, size)


def _paged(qs: QuerySet[Case], page: Page) -> tuple[list[Case], bool]:
    rows = list(qs.order_by("-registered_at", "-id")[page.offset:page.offset + page.size + 1])
    return rows[:page.size], len(rows) > page.size


def find_requests(*, api_token: ApiToken | None, request_ids: Sequence[str] = (),
                  service_codes: Sequence[str] = (), statuses: Sequence[str] = (),
                  start_date: str = "", end_date: str = "", page: Page | None = None,
                  now: datetime | None = None) -> tuple[list[Case], bool]:
    """GET requests, newest first: one page, and whether another follows.
    `service_request_id` overrides the rest. Each list argument is split by
    `split_values`."""
    page = page or Page()
    qs = visible_cases(api_token)
    ids = split_values(request_ids)
    if ids:
        return _paged(qs.filter(number__in=ids), page)
    codes = split_values(service_codes)
    if codes:
        qs = qs.filter(category__code__in=codes)
    wanted = set(split_values(statuses))
    if wanted - {"open", "closed"}:
        raise InvalidQuery(_("status 须为 open、closed 或两者(逗号分隔或重复给出)。"))
    if wanted == {"open"}:
        qs = qs.exclude(status__in=CLOSED_STATUSES)
    elif wanted == {"closed"}:
        qs = qs.filter(status__in=CLOSED_STATUSES)
    window = date_window(start_date, end_date, now)
    qs = qs.filter(registered_at__gte=window.start, registered_at__lte=window.end)
    return _paged(qs, page)


def find_request(*, api_token: ApiToken | None, number: str) -> Case | None:
    return visible_cases(api_token).filter(number=number).first()


def latest_notes(cases: Sequence[Case]) -> dict[int, str]:
    """The latest public timeline text of each case, in one query."""
    notes: dict[int, str] = {}
    events = (CaseEvent.objects.filter(case_id__in=[c.pk for c in cases])
              .only("case_id", "type", "data", "time").order_by("case_id", "time", "id"))
    for event in events:
        text = public_event_text(event)
        if text:
            notes[event.case_id] = text
    return notes


def _record(case: Case) -> Open311Request | None:
    try:
        return case.open311
    except ObjectDoesNotExist:  # not sent through Open311
        return None


def _public_place(case: Case) -> str:
    parent = case.area.parent
    return f"{case.area.name}, {parent.name}" if parent is not None else case.area.name


# --- media: the photos a client posted, shown back to it through media_url ----------------

def media_signature(attachment: Attachment) -> str:
    """The unguessable part of an attachment's media URL (bound to its id and content)."""
    return salted_hmac("civicgrid.open311.media", f"{attachment.pk}:{attachment.sha256}",
                       algorithm="sha256").hexdigest()[:32]


def media_path(attachment: Attachment) -> str:
    return reverse("open311:media", kwargs={
        "attachment_id": attachment.pk, "signature": media_signature(attachment),
        "ext": MEDIA_TYPES[attachment.content_type]})


def _posted_media() -> QuerySet[Attachment]:
    """Photos posted with an Open311 request: images of a case that came through Open311,
    uploaded by the service account of the api_key that sent it (never a photo or document
    the staff added later), while that api_key is not revoked."""
    return Attachment.objects.filter(
        content_type__in=MEDIA_TYPES, case__open311__api_token__revoked_at__isnull=True,
        uploaded_by=F("case__open311__api_token__user"))


def posted_media(attachment_id: int, signature: str) -> Attachment | None:
    """The photo a media URL names, or None (unknown, not such a photo, or a wrong
    signature: all alike)."""
    attachment = _posted_media().filter(pk=attachment_id).select_related("case").first()
    if attachment is None or not constant_time_compare(media_signature(attachment),
                                                       signature):
        return None
    return attachment


def _first_media(cases: Sequence[Case], api_token: ApiToken | None) -> dict[int, Attachment]:
    """The first posted photo of each case `api_token` sent, in one query."""
    if api_token is None:
        return {}
    own = [c.pk for c in cases if (r := _record(c)) is not None
           and r.api_token_id == api_token.pk]
    first: dict[int, Attachment] = {}
    if own:
        for attachment in _posted_media().filter(case_id__in=own).order_by("case_id", "id"):
            first.setdefault(attachment.case_id, attachment)
    return first


def request_item(case: Case, *, api_token: ApiToken | None, notes: str,
                 media: str | None = None) -> ServiceRequest:
    """One request; `media` is the absolute URL of its first posted photo, if any."""
    record = _record(case)
    full = api_token is not None and record is not None and record.api_token_id == api_token.pk
    closed = case.status in CLOSED_STATUSES
    lat: float | None = case.area.centroid_lat
    lng: float | None = case.area.centroid_lng
    if full and case.lat is not None and case.lng is not None:
        lat, lng = case.lat, case.lng
    return {
        "service_request_id": case.number,
        "status": "closed" if closed else "open",
        "detailed_status": DETAILED_STATUS[Status(case.status)],
        "status_notes": notes or None,
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": case.description if full else None,
        "agency_responsible": (case.assigned_unit.name if case.assigned_unit is not None
                               else None),
        "service_notice": None,
        "requested_datetime": case.registered_at,
        "updated_datetime": (case.closed_at or case.updated_at) if closed else case.updated_at,
        "expected_datetime": None if closed else case.handle_due_at,
        "address": (case.address or _public_place(case)) if full else _public_place(case),
        "address_id": case.area_code,
        "zipcode": None,
        "lat": lat,
        "long": lng,
        # The client's own media_url, else the photo it posted (served by media_view).
        "media_url": ((record.media_url or media or None) if full and record is not None
                      else None),
    }


def request_items(cases: Sequence[Case], api_token: ApiToken | None,
                  absolute: Callable[[str], str] = str) -> list[ServiceRequest]:
    """The requests as the spec lists them; `absolute` makes a path a full URL."""
    notes = latest_notes(cases)
    media = {case_id: absolute(media_path(a))
             for case_id, a in _first_media(cases, api_token).items()}
    return [request_item(c, api_token=api_token, notes=notes.get(c.pk, ""),
                         media=media.get(c.pk)) for c in cases]


# --- updates (FixMyStreet's servicerequestupdates) ----------------------------------------

def find_updates(*, api_token: ApiToken | None, start_date: str = "", end_date: str = "",
                 page: Page | None = None,
                 now: datetime | None = None) -> tuple[list[ServiceRequestUpdate], bool]:
    """Status changes of the visible requests in the window, oldest first: one page (of
    status changes; those without a public text are left out of it), and whether another
    follows."""
    page = page or Page()
    window = date_window(start_date, end_date, now)
    visible = Case.objects.filter(_visible_q(api_token))
    rows = list(
        CaseEvent.objects.filter(case__in=visible, time__gte=window.start, time__lte=window.end)
        .exclude(to_status="").select_related("case").only(
            "id", "type", "time", "data", "to_status", "case__number")
        .order_by("time", "id")[page.offset:page.offset + page.size + 1])
    events: Iterable[CaseEvent] = rows[:page.size]
    updates: list[ServiceRequestUpdate] = []
    for event in events:
        text = public_event_text(event)
        if not text or event.to_status not in Status.values:
            continue
        updates.append({
            "update_id": str(event.pk),
            "service_request_id": event.case.number,
            "status": DETAILED_STATUS[Status(event.to_status)],
            "updated_datetime": event.time,
            "description": text,
            "media_url": None,
        })
    return updates, len(rows) > page.size

"""Every write to webhooks: enqueue deliveries for a case event, send one, retry the due.

Deliveries are rows written in the transaction that writes the case event, so a rolled-back
transition sends nothing; sending is scheduled with `transaction.on_commit` (the Celery task
`webhooks.deliver`; without a broker it runs in-process right after the commit). Sending
never raises: a failure is recorded on the row and retried with backoff by
`webhooks.retry_due` (Celery beat) or `manage.py run_due_jobs` (the embedded set-up).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import secrets
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import Message
from typing import IO, TYPE_CHECKING, Any, TypedDict
from urllib.parse import urlsplit

from django.db import connection, transaction
from django.utils import timezone

from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.cases.models import Case, CaseEvent
from civicgrid.core.crypto import decrypt_text, encrypt_text
from civicgrid.core.refcache import REFERENCE, RefCache
from civicgrid.core.rows import flush
from civicgrid.core.times import api_time
from civicgrid.webhooks.addresses import address_allowed
from civicgrid.webhooks.models import URL_SCHEMES, DeliveryStatus, WebhookDelivery, WebhookEndpoint

if TYPE_CHECKING:
    from civicgrid.accounts.models import User

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5
# Wait after the 1st, 2nd, … failed attempt; the attempt after the last wait is the last.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
           timedelta(hours=2), timedelta(hours=12))
MAX_ATTEMPTS = len(BACKOFF) + 1
# A claimed delivery is not picked up by another sender for this long (> TIMEOUT_SECONDS).
CLAIM_LEASE = timedelta(minutes=1)
ERROR_LENGTH = 500
USER_AGENT = "civicgrid-webhooks/1"

# The keys of CaseEvent.data that may leave the system. Anything else (file names, which
# may carry people's names, and any key added later) stays out until it is reviewed and
# listed here. Notes, actors and parties are never sent.
PUBLIC_DATA_KEYS = frozenset({
    "channel", "level", "routing", "unit", "unit_id", "from", "to", "from_level", "to_level",
    "kind", "on_time", "held_at", "outcome", "copies", "confirmation_deadline",
    "satisfaction", "paused_hours", "days", "approved", "master", "duplicate", "attachments",
})


# --- endpoints ---------------------------------------------------------------------------

def webhook_secret_new() -> tuple[str, str]:
    """A new signing secret: (plain, encrypted). The plain value is shown once."""
    plain = secrets.token_urlsafe(32)
    return plain, encrypt_text(plain)


def webhook_endpoint_secret(endpoint: WebhookEndpoint) -> str:
    return decrypt_text(endpoint.secret_encrypted)


# --- enqueue -----------------------------------------------------------------------------

def _category_prefixes(code: str) -> list[str]:
    return [code[:n] for n in range(2, len(code) + 1, 2)]


@dataclass(frozen=True)
class EndpointFilter:
    """What an active endpoint subscribes to (None / empty: everything)."""

    id: int
    unit_id: int | None
    category_code: str | None
    event_types: tuple[str, ...]

    def wants(self, event_type: str, units: set[int], category_prefixes: set[str]) -> bool:
        return ((self.unit_id is None or self.unit_id in units)
                and (self.category_code is None or self.category_code in category_prefixes)
                and (not self.event_types or event_type in self.event_types))


SqlParams = tuple[bool | int | str | None, ...]
_ACTIVE_SQL: tuple[str, SqlParams] | None = None


_endpoints: RefCache[list[EndpointFilter]] = RefCache("webhook-endpoints", REFERENCE,
                                                     max_entries=1)


def active_endpoint_filters() -> list[EndpointFilter]:
    """Every active endpoint's subscription. Every case event asks this: kept per process
    (core/refcache.py; a saved or removed endpoint bumps REFERENCE), and read in one
    statement compiled once per process; the matching is done here, not in SQL."""
    return _endpoints.get("active", _active_endpoint_filters)


def _active_endpoint_filters() -> list[EndpointFilter]:
    global _ACTIVE_SQL
    if _ACTIVE_SQL is None:
        query = (WebhookEndpoint.objects.filter(active=True).order_by("id")
                 .values_list("id", "unit_id", "category__code", "event_types"))
        sql, params = query.query.sql_with_params()
        _ACTIVE_SQL = sql, tuple(params)  # (True,): the `active` filter
    sql, params = _ACTIVE_SQL
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    filters = []
    for pk, unit_id, category_code, event_types in rows:
        if isinstance(event_types, str):  # SQLite hands JSON back as text
            event_types = json.loads(event_types)
        filters.append(EndpointFilter(pk, unit_id, category_code, tuple(event_types or ())))
    return filters


def matching_endpoint_ids(event: CaseEvent) -> list[int]:
    """Active endpoints that want `event`: unit empty or the case's assigned unit or the
    event's unit; category empty or the case's category or one of its ancestors (a code
    prefix); event types empty or containing the event's type."""
    filters = active_endpoint_filters()
    if not filters:
        return []
    case = event.case
    units = {u for u in (case.assigned_unit_id, event.unit_id) if u is not None}
    prefixes = set(_category_prefixes(case.category.code))
    return [f.id for f in filters if f.wants(event.type, units, prefixes)]


class PayloadCase(TypedDict):
    """The case's public facts in a delivery."""

    number: str
    status: str
    category: str  # the category code
    area: str  # the area code
    level: str
    assigned_unit: str | None  # the unit code
    version: int


class WebhookPayload(TypedDict):
    """The body of a delivery, stored on the row; its "id" is added when it is sent."""

    event: str  # the CaseEvent type
    time: str  # ISO 8601
    case: PayloadCase
    data: dict[str, object]  # the event's data, PUBLIC_DATA_KEYS only


def webhook_payload(event: CaseEvent) -> WebhookPayload:
    """The body of a delivery, without its "id": the case's public facts and the event's
    non-personal data. No parties, notes, descriptions, addresses or staff names."""
    case: Case = event.case
    return {
        "event": event.type,
        "time": api_time(event.time),
        "case": {
            "number": case.number,
            "status": case.status,
            "category": case.category.code,
            "area": case.area_code,
            "level": case.level,
            "assigned_unit": case.assigned_unit.code if case.assigned_unit else None,
            "version": case.version,
        },
        "data": {k: v for k, v in (event.data or {}).items() if k in PUBLIC_DATA_KEYS},
    }


def webhook_enqueue_for_event(event: CaseEvent) -> list[WebhookDelivery]:
    """Write a delivery per matching endpoint in the caller's transaction; schedule the
    sending for after the commit."""
    endpoint_ids = matching_endpoint_ids(event)
    if not endpoint_ids:
        return []
    flush()  # the event's row, if it waits to go with the next statement (core/rows.py)
    payload = webhook_payload(event)
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create([
        WebhookDelivery(endpoint_id=pk, case=event.case, event=event, event_type=event.type,
                        payload=payload, created_at=now, next_attempt_at=now)
        for pk in endpoint_ids])
    ids = [d.pk for d in deliveries]
    if None in ids:  # a backend that does not return keys from bulk inserts
        ids = list(WebhookDelivery.objects.filter(event=event).values_list("pk", flat=True))
    transaction.on_commit(lambda: _schedule(ids), robust=True)
    return deliveries


def _schedule(ids: Iterable[int]) -> None:
    """Hand each delivery to Celery. Never raises: the request that caused the event has
    committed, and whatever is not sent now is picked up by the periodic retry."""
    from civicgrid.webhooks.tasks import deliver

    for pk in ids:
        try:
            deliver.delay(pk)
        except Exception:
            logger.exception("webhook delivery %s could not be scheduled", pk)


# --- sending -----------------------------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not an instruction: it could point outside the intranet."""

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: Message, newurl: str) -> urllib.request.Request | None:
        return None


class AddressRefused(OSError):
    """The receiver's host is, or resolves to, an address webhooks may not reach
    (civicgrid/webhooks/addresses.py)."""


def _checked_connection(address: tuple[str, int], timeout: object,
                        source_address: tuple[str, int] | None = None) -> socket.socket:
    """`socket.create_connection` that resolves the host once, refuses it if *any* of its
    addresses is forbidden, and connects to the addresses it checked (by number, so no
    second resolution can swap in another: DNS rebinding)."""
    host, port = address
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    resolved = [str(info[4][0]) for info in infos]
    refused = [ip for ip in resolved if not address_allowed(ip)]
    if refused or not resolved:
        raise AddressRefused(f"address refused: {host} -> {', '.join(refused) or 'nothing'}")
    error: OSError | None = None
    for ip in dict.fromkeys(resolved):
        try:  # `timeout` as http.client passes it (a number or socket's default marker)
            return socket.create_connection((ip, port), timeout,  # type: ignore[arg-type]
                                            source_address)
        except OSError as exc:
            error = exc
    raise error or OSError(f"cannot connect to {host}")


class _CheckedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _checked_connection


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    """TLS still verifies the certificate against the host *name* (server_hostname)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _checked_connection


class _CheckedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_CheckedHTTPConnection, req)


class _CheckedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_CheckedHTTPSConnection, req,
                            context=self._context)  # type: ignore[attr-defined]


# No proxies from the environment, no redirects; only the handlers for http and https, and
# those connect only to addresses that pass the check at the moment of connecting.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect(),
                                      _CheckedHTTPHandler(), _CheckedHTTPSHandler())


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256 over "<timestamp>.<body>" with the endpoint secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


@dataclass(frozen=True)
class Attempt:
    ok: bool
    status_code: int | None
    error: str


def _post(url: str, body: bytes, headers: dict[str, str]) -> Attempt:
    if urlsplit(url).scheme.lower() not in URL_SCHEMES:
        return Attempt(False, None, "URL scheme not allowed")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            response.read(65536)
            code = response.status
    except urllib.error.HTTPError as exc:
        code = exc.code
        exc.close()
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, AddressRefused):
            return Attempt(False, None, str(exc.reason))
        return Attempt(False, None, f"URLError: {exc.reason}")
    except Exception as exc:  # connection refused, timeout, TLS, bad URL …
        return Attempt(False, None, f"{type(exc).__name__}: {exc}")
    if 200 <= code < 300:
        return Attempt(True, code, "")
    return Attempt(False, code, f"HTTP {code}")


def _claim(delivery: WebhookDelivery, now: datetime) -> bool:
    """Take the delivery for one send if it is still due: at most one sender at a time,
    and a delivered or abandoned one is never sent again."""
    return WebhookDelivery.objects.filter(
        pk=delivery.pk, status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED],
        next_attempt_at__lte=now,
    ).update(next_attempt_at=now + CLAIM_LEASE) == 1


def webhook_deliver(*, delivery: WebhookDelivery, now: datetime | None = None) -> bool:
    """Send one delivery if it is due. Records the outcome on the row and returns whether
    it was delivered; never raises for a network or receiver failure."""
    now = now or timezone.now()
    if not _claim(delivery, now):
        delivery.refresh_from_db()
        return delivery.status == DeliveryStatus.SUCCEEDED
    delivery.refresh_from_db()
    endpoint = delivery.endpoint
    body = json.dumps({"id": delivery.pk, **delivery.payload}, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")
    timestamp = str(int(time.time()))
    if not endpoint.active:  # switched off since: send nothing, keep it for "retry now"
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.GIVING_UP, next_attempt_at=None,
            last_error="endpoint inactive")
        return False
    try:
        secret = webhook_endpoint_secret(endpoint)
    except Exception as exc:  # an unreadable secret (lost key) is this row's failure
        attempt = Attempt(False, None, f"secret: {type(exc).__name__}")
    else:
        attempt = _post(endpoint.url, body, {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Civicgrid-Event": delivery.event_type,
            "X-Civicgrid-Delivery": str(delivery.pk),
            "X-Civicgrid-Timestamp": timestamp,
            "X-Civicgrid-Signature": webhook_signature(secret, timestamp, body),
        })
    finished = timezone.now()
    delivery.attempts += 1
    delivery.last_status_code = attempt.status_code
    delivery.last_error = attempt.error[:ERROR_LENGTH]
    if attempt.ok:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = finished
        delivery.next_attempt_at = None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.GIVING_UP
        delivery.next_attempt_at = None
    else:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = finished + BACKOFF[delivery.attempts - 1]
    delivery.save(update_fields=["attempts", "last_status_code", "last_error", "status",
                                 "delivered_at", "next_attempt_at"])
    if not attempt.ok:
        logger.warning("webhook delivery %s to endpoint %s failed (attempt %s): %s",
                       delivery.pk, endpoint.pk, delivery.attempts, delivery.last_error)
    return attempt.ok


def webhook_retry_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Send every delivery whose next attempt is due (oldest first); returns how many were
    delivered. Safe to run concurrently with itself and with the per-delivery tasks."""
    now = now or timezone.now()
    due = list(WebhookDelivery.objects.filter(
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED], next_attempt_at__lte=now,
    ).select_related("endpoint").order_by("next_attempt_at", "id")[:limit])
    return sum(webhook_deliver(delivery=d, now=now) for d in due)


@transaction.atomic
def webhook_retry_now(*, deliveries: Iterable[WebhookDelivery], actor: User) -> list[int]:
    """Make failed or abandoned deliveries due now and schedule them after the commit; an
    abandoned one gets one more attempt. Succeeded deliveries are left alone."""
    rows = list(WebhookDelivery.objects.select_for_update().filter(
        pk__in=[d.pk for d in deliveries]).exclude(status=DeliveryStatus.SUCCEEDED))
    now = timezone.now()
    for row in rows:
        row.status = DeliveryStatus.PENDING if row.attempts == 0 else DeliveryStatus.FAILED
        row.next_attempt_at = now
    WebhookDelivery.objects.bulk_update(rows, ["status", "next_attempt_at"])
    ids = [r.pk for r in rows]
    for row in rows:
        audit_record(actor=actor, event_type=AuditEventType.WEBHOOK_RETRY, subject=row,
                     details={"endpoint": row.endpoint_id, "case": row.case_id})
    transaction.on_commit(lambda: _schedule(ids), robust=True)
    return ids

"""Emission, matching, signing, retries and what never leaves the system."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import socket
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from civicgrid.cases import services as cases
from civicgrid.cases.models import EventType
from civicgrid.cases.services import PartyInput
from civicgrid.testing import build_office, shared
from civicgrid.webhooks import services as svc
from civicgrid.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from civicgrid.webhooks.tests.conftest import make_endpoint, new_case

# --- the module's data: built once, rolled back per test (civicgrid/testing.py) ---

office_once, office = shared(build_office, name="office")

pytestmark = pytest.mark.django_db


def _dispatch(office, case):
    dispatcher = office.people["dispatcher"]
    cases.case_act("accept", case=case, actor=dispatcher, expected_version=case.version)
    return cases.case_act("dispatch", case=case, actor=dispatcher,
                          expected_version=case.version, unit=office.world.unit_a)


def _endpoints_for(event_type: str) -> set[str]:
    return set(WebhookDelivery.objects.filter(event_type=event_type)
               .values_list("endpoint__name", flat=True))


def test_matching_by_unit_category_and_event_type(office):
    url = "http://127.0.0.1:9/unused"
    make_endpoint(url, name="any")
    make_endpoint(url, name="unit a", unit=office.world.unit_a)
    make_endpoint(url, name="unit b", unit=office.world.unit_b)
    make_endpoint(url, name="parent category", category=office.neighbour.parent)
    make_endpoint(url, name="own category", category=office.neighbour)
    make_endpoint(url, name="other category", category=office.labour)
    make_endpoint(url, name="dispatched only", event_types=[EventType.DISPATCHED])
    make_endpoint(url, name="inactive", active=False)

    case = _dispatch(office, new_case(office))

    everything_for_the_category = {"any", "parent category", "own category"}
    assert _endpoints_for(EventType.REGISTERED) == everything_for_the_category
    assert _endpoints_for(EventType.ACCEPTED) == everything_for_the_category
    assert _endpoints_for(EventType.DISPATCHED) == everything_for_the_category | {
        "unit a", "dispatched only"}
    # In the same transaction as the event, one row per endpoint and event.
    assert WebhookDelivery.objects.filter(case=case).count() == 3 + 3 + 5
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"pending"}


def test_a_rolled_back_transition_writes_and_sends_nothing(
        office, receiver, django_capture_on_commit_callbacks):
    make_endpoint(receiver.url)
    case = new_case(office)
    before = WebhookDelivery.objects.count()
    with (django_capture_on_commit_callbacks(execute=True) as callbacks,
          pytest.raises(RuntimeError), transaction.atomic()):
        cases.case_accept(case=case, actor=office.people["dispatcher"],
                          expected_version=case.version)
        assert WebhookDelivery.objects.count() == before + 1
        raise RuntimeError("something later in the request failed")
    assert callbacks == []
    assert WebhookDelivery.objects.count() == before
    assert receiver.requests == []


def test_delivered_after_commit_in_process_and_signed(
        office, receiver, django_capture_on_commit_callbacks, settings):
    assert settings.CELERY_TASK_ALWAYS_EAGER  # no broker: the in-process queue
    endpoint, secret = make_endpoint(receiver.url)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        case = new_case(office)
        assert receiver.requests == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.event == case.events.get(type="registered")

    # The receiving side: recompute the HMAC over "<timestamp>.<body>" with the secret.
    timestamp = request.headers["X-Civicgrid-Timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + request.body,
                                    hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["X-Civicgrid-Signature"], expected)
    assert abs(int(timestamp) - timezone.now().timestamp()) < 60
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Civicgrid-Event"] == "registered"
    assert request.headers["X-Civicgrid-Delivery"] == str(delivery.pk)

    body = json.loads(request.body)
    assert body["id"] == delivery.pk
    assert body["event"] == "registered"
    assert body["case"] == {"number": case.number, "status": "registered",
                            "category": office.neighbour.code, "area": case.area_code,
                            "level": case.level, "assigned_unit": None, "version": 1}
    # Times in the interfaces' one form: to the second, with the deployment's offset.
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", body["time"])
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 1 and delivery.last_status_code == 200
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None

    # Idempotent: a succeeded delivery is never sent again, by any path.
    assert svc.webhook_deliver(delivery=delivery) is True
    svc.webhook_retry_due(now=timezone.now() + timedelta(days=30))
    assert len(receiver.requests) == 1


def test_a_wrong_secret_does_not_verify(office, receiver, django_capture_on_commit_callbacks):
    make_endpoint(receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        new_case(office)
    request = receiver.requests[0]
    forged = svc.webhook_signature("not-the-secret", request.headers["X-Civicgrid-Timestamp"],
                                   request.body)
    assert forged != request.headers["X-Civicgrid-Signature"]


def test_failure_backs_off_then_gives_up(office, receiver, django_capture_on_commit_callbacks):
    receiver.status = 500
    endpoint, _secret = make_endpoint(receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        new_case(office)  # the request that caused the event succeeds regardless
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == DeliveryStatus.FAILED
    assert (delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        1, 500, "HTTP 500")
    waits = []
    previous = timezone.now()
    waits.append(delivery.next_attempt_at - previous)

    # Not due yet: nothing is sent.
    assert svc.webhook_retry_due() == 0
    assert len(receiver.requests) == 1

    while delivery.status == DeliveryStatus.FAILED:
        due = delivery.next_attempt_at
        assert svc.webhook_retry_due(now=due) == 0
        delivery.refresh_from_db()
        if delivery.next_attempt_at:
            waits.append(delivery.next_attempt_at - timezone.now())
    assert delivery.status == DeliveryStatus.GIVING_UP
    assert delivery.attempts == svc.MAX_ATTEMPTS == 6
    assert delivery.next_attempt_at is None
    assert len(receiver.requests) == 6
    expected = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
                timedelta(hours=2), timedelta(hours=12)]
    assert len(waits) == len(expected)
    for got, want in zip(waits, expected, strict=True):
        assert want - timedelta(seconds=10) <= got <= want + timedelta(seconds=1)

    # Given up: no more sending, even far in the future.
    svc.webhook_retry_due(now=timezone.now() + timedelta(days=30))
    assert len(receiver.requests) == 6

    # "Retry now" gives it one more attempt; it succeeds when the receiver is back.
    receiver.status = 204
    with django_capture_on_commit_callbacks(execute=True):
        svc.webhook_retry_now(deliveries=[delivery], actor=office.world.users["administrator"])
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 7 and delivery.last_status_code == 204


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


def test_an_unreachable_receiver_never_breaks_the_request(
        office, django_capture_on_commit_callbacks):
    endpoint, _secret = make_endpoint(_closed_port_url())
    with django_capture_on_commit_callbacks(execute=True):
        case = new_case(office)
    assert case.pk is not None
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 1 and delivery.last_status_code is None
    assert "URLError" in delivery.last_error or "Connection" in delivery.last_error


def test_a_crashing_task_never_breaks_the_request(
        office, receiver, monkeypatch, django_capture_on_commit_callbacks):
    make_endpoint(receiver.url)

    def boom(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("civicgrid.webhooks.tasks.webhook_deliver", boom)
    with django_capture_on_commit_callbacks(execute=True):
        case = new_case(office)
    assert case.pk is not None
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING  # retried later


def test_no_personal_data_in_the_payload(office, receiver, django_capture_on_commit_callbacks):
    make_endpoint(receiver.url)
    parties = [PartyInput(role="applicant", name="王小明", phone="13912345678",
                          id_number="11010519491231002X", address="桃坞路8号"),
               PartyInput(role="respondent", name="赵大海", phone="13587654321")]
    with django_capture_on_commit_callbacks(execute=True):
        case = new_case(office, parties=parties, address="桃坞路8号")
    with django_capture_on_commit_callbacks(execute=True):
        case = _dispatch(office, case)
    with django_capture_on_commit_callbacks(execute=True):
        from django.core.files.uploadedfile import SimpleUploadedFile

        from civicgrid.cases.tests.test_workflow import PNG
        cases.case_act("attach", case=case, actor=office.people["mediator"],
                       expected_version=case.version,
                       uploads=[SimpleUploadedFile("王小明身份证.png", PNG, "image/png")])
    assert len(receiver.requests) == 4
    text = b"\n".join(r.body for r in receiver.requests).decode()
    for secret in ["王小明", "赵大海", "13912345678", "13587654321", "11010519491231002X",
                   "桃坞路8号", case.description, "t_grid", "t_supervisor", "t_handler",
                   "身份证"]:
        assert secret not in text, secret
    attached = json.loads(receiver.requests[-1].body)
    assert attached["event"] == "attachment_added" and attached["data"] == {}


def test_only_http_and_https_urls(office):
    _plain, encrypted = svc.webhook_secret_new()
    for bad in ["file:///etc/passwd", "ftp://10.0.0.1/x", "gopher://10.0.0.1/"]:
        endpoint = WebhookEndpoint(name="x", url=bad, secret_encrypted=encrypted)
        with pytest.raises(ValidationError):
            endpoint.full_clean()
    WebhookEndpoint(name="x", url="https://10.1.2.3/hook", secret_encrypted=encrypted,
                    event_types=[]).full_clean()
    # Sending refuses a scheme that slipped past validation, without opening it.
    assert svc._post("file:///etc/passwd", b"{}", {}).error == "URL scheme not allowed"


def test_run_due_jobs_retries_due_deliveries(office, receiver):
    endpoint, _secret = make_endpoint(receiver.url)
    new_case(office)  # not committed in a test: nothing was sent
    assert receiver.requests == []
    call_command("run_due_jobs", stdout=io.StringIO())
    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.get(endpoint=endpoint).status == DeliveryStatus.SUCCEEDED


def test_a_switched_off_endpoint_is_not_sent_to(office, receiver):
    endpoint, _secret = make_endpoint(receiver.url)
    new_case(office)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False)
    assert svc.webhook_retry_due() == 0
    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.GIVING_UP,
                                                      "endpoint inactive")


def test_an_api_intake_writes_its_delivery_after_its_event(office, receiver):
    # Inside a request the endpoints come from the process's cache without a statement, so
    # the timeline event's row (waiting to go with the next statement, core/rows.py
    # `together`) must be sent before the delivery that refers to it.
    from django.test import Client

    from civicgrid.api.services import api_token_create

    endpoint, _secret = make_endpoint(receiver.url)
    _token, plain = api_token_create(name="t", unit=office.centre_a, actions=["cases:create"],
                                     actor=None, rate_limit_per_minute=10_000)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
    numbers = []
    for key in ("first", "second"):  # the second finds the endpoints cached
        response = client.post(
            "/api/v1/cases", {"category": office.neighbour.code, "description": "楼道堆物堵塞",
                              "lng": 120.81, "lat": 31.91},
            content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)
        assert response.status_code == 201, response.content
        numbers.append(response.json()["number"])
    for number in numbers:
        delivery = WebhookDelivery.objects.get(endpoint=endpoint, case__number=number)
        assert delivery.event is not None
        assert delivery.event == delivery.case.events.get(type="registered")

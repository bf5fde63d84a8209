"""Administrators manage endpoints (secret shown once) and read deliveries; nobody else."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from civicgrid.accounts.roles import Role
from civicgrid.audit.models import AuditEntry
from civicgrid.cases.models import EventType
from civicgrid.testing import build_office, shared
from civicgrid.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from civicgrid.webhooks.services import webhook_endpoint_secret
from civicgrid.webhooks.tests.conftest import make_endpoint, new_case

# --- the module's data: built once, rolled back per test (civicgrid/testing.py) ---

office_once, office = shared(build_office, name="office")

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(office):
    client = Client()
    client.force_login(office.world.users[Role.ADMINISTRATOR])
    return client


def test_create_shows_the_secret_once(office, admin_client):
    response = admin_client.post(reverse("admin:webhooks_webhookendpoint_add"), {
        "name": "区平台", "url": "https://10.20.0.5/civicgrid/hook",
        "category": office.neighbour.parent.pk, "event_types": [EventType.DISPATCHED,
                                                                EventType.CLOSED],
        "active": "on"})
    assert response.status_code == 200, response.content.decode()[:2000]
    assert "no-store" in response["Cache-Control"]
    endpoint = WebhookEndpoint.objects.get()
    shown = re.search(r'id="webhook-secret"[^>]*>([^<]+)<', response.content.decode())
    assert shown and shown.group(1) == webhook_endpoint_secret(endpoint)
    assert shown.group(1) not in endpoint.secret_encrypted  # stored encrypted
    assert endpoint.created_by == office.world.users[Role.ADMINISTRATOR]
    assert endpoint.event_types == ["dispatched", "closed"]
    assert AuditEntry.objects.filter(event_type="admin.add",
                                     subject_id=str(endpoint.pk)).exists()
    # Never again: the change page does not show it.
    page = admin_client.get(reverse("admin:webhooks_webhookendpoint_change",
                                    args=[endpoint.pk]))
    assert page.status_code == 200
    assert shown.group(1) not in page.content.decode()


def test_a_non_http_url_is_refused(admin_client):
    response = admin_client.post(reverse("admin:webhooks_webhookendpoint_add"), {
        "name": "x", "url": "ftp://10.20.0.5/hook", "active": "on"})
    assert response.status_code == 200
    assert not WebhookEndpoint.objects.exists()


def test_delivery_list_is_read_only_with_retry_now(office, admin_client,
                                                  django_capture_on_commit_callbacks):
    endpoint, _secret = make_endpoint("http://127.0.0.1:9/unused")
    new_case(office)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.GIVING_UP, attempts=6, last_status_code=503,
        last_error="HTTP 503", next_attempt_at=None)
    url = reverse("admin:webhooks_webhookdelivery_changelist")
    response = admin_client.get(url)
    assert response.status_code == 200
    content = response.content.decode()
    assert "HTTP 503" in content and case_number(delivery) in content
    assert admin_client.get(reverse("admin:webhooks_webhookdelivery_add")).status_code == 403
    assert admin_client.get(reverse("admin:webhooks_webhookdelivery_delete",
                                    args=[delivery.pk])).status_code == 403
    detail = admin_client.get(reverse("admin:webhooks_webhookdelivery_change",
                                      args=[delivery.pk]))
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(url, {"action": "retry_now",
                                           "_selected_action": [delivery.pk]})
    assert response.status_code == 302
    assert len(callbacks) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.next_attempt_at is not None
    assert AuditEntry.objects.filter(event_type="webhook.retry",
                                     subject_id=str(delivery.pk)).exists()


def case_number(delivery: WebhookDelivery) -> str:
    return delivery.case.number


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMINISTRATOR])
def test_other_roles_are_refused(office, role):
    client = Client()
    client.force_login(office.world.users[role])
    for name in ["webhookendpoint_changelist", "webhookendpoint_add",
                 "webhookdelivery_changelist"]:
        assert client.get(reverse(f"admin:webhooks_{name}")).status_code == 403

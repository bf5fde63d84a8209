"""Webhook URLs may not reach loopback, link-local (cloud metadata), private, multicast …
addresses unless WEBHOOK_ALLOWED_NETWORKS lists them: refused when the endpoint is saved
(address literals) and at each delivery, after resolving the name, without a request."""

from __future__ import annotations

import socket

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from civicgrid.accounts.roles import Role
from civicgrid.testing import build_office, shared
from civicgrid.webhooks import services as svc
from civicgrid.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from civicgrid.webhooks.tests.conftest import make_endpoint, new_case

office_once, office = shared(build_office, name="office")

pytestmark = pytest.mark.django_db

# With the default setting (nothing allowed): URL -> saved (True) or refused (False).
DEFAULT_TABLE = [
    ("https://hooks.example.cn/civicgrid", True),  # a name: checked at delivery
    ("http://8.8.8.8/hook", True),
    ("https://[2400:3200::1]/hook", True),
    ("http://127.0.0.1/hook", False),
    ("http://127.1.2.3:8080/hook", False),
    ("http://[::1]/hook", False),
    ("http://localhost:8000/hook", False),
    ("http://LOCALHOST:8000/hook", False),
    ("http://api.localhost/hook", False),
    ("http://169.254.169.254/latest/meta-data/", False),
    ("http://[fe80::1]/hook", False),
    ("http://10.1.2.3/hook", False),
    ("http://172.16.5.4/hook", False),
    ("http://192.168.1.10/hook", False),
    ("http://[fd00::1]/hook", False),
    ("http://[fc00::5]/hook", False),
    ("http://100.64.0.1/hook", False),
    ("http://0.0.0.0/hook", False),
    ("http://[::]/hook", False),
    ("http://224.0.0.1/hook", False),
    ("http://239.255.255.250/hook", False),
    ("http://[ff02::1]/hook", False),
    ("http://[::ffff:127.0.0.1]/hook", False),
    ("http://[::ffff:169.254.169.254]/hook", False),
]

# With WEBHOOK_ALLOWED_NETWORKS = ["10.20.0.0/16", "fd12:3456::/32"].
ALLOW_LISTED_TABLE = [
    ("http://10.20.0.5/hook", True),
    ("http://10.20.255.255:8443/hook", True),
    ("http://[fd12:3456::7]/hook", True),
    ("http://10.21.0.5/hook", False),
    ("http://127.0.0.1/hook", False),
    ("http://169.254.169.254/latest/meta-data/", False),
    ("http://[fd12:3457::7]/hook", False),
]


def _saved(url: str) -> bool:
    _plain, encrypted = svc.webhook_secret_new()
    endpoint = WebhookEndpoint(name="x", url=url, secret_encrypted=encrypted, event_types=[])
    try:
        endpoint.full_clean()
    except ValidationError as exc:
        assert [e.code for e in exc.error_dict["url"]] == ["forbidden_address"], url
        return False
    return True


@pytest.mark.parametrize(("url", "saved"), DEFAULT_TABLE)
def test_forbidden_addresses_are_refused_by_default(settings, url, saved):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    assert _saved(url) is saved


@pytest.mark.parametrize(("url", "saved"), ALLOW_LISTED_TABLE)
def test_the_allow_list_lets_exactly_its_networks_through(settings, url, saved):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["10.20.0.0/16", "fd12:3456::/32"]
    assert _saved(url) is saved


def test_the_admin_form_refuses_the_metadata_address_with_a_message(office, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    client = Client()
    client.force_login(office.world.users[Role.ADMINISTRATOR])
    response = client.post(reverse("admin:webhooks_webhookendpoint_add"), {
        "name": "x", "url": "http://169.254.169.254/latest/meta-data/", "active": "on"})
    assert response.status_code == 200
    assert "不能作为推送地址" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


@pytest.fixture
def resolver(monkeypatch):
    """getaddrinfo that answers for hooks.example.cn from `answers` (one list per call, the
    last one repeated) and counts the calls for it; numeric hosts resolve as usual."""
    real = socket.getaddrinfo
    state = {"answers": [["127.0.0.1"]], "calls": 0}

    def fake(host, port, *args, **kwargs):
        if host != "hooks.example.cn":
            return real(host, port, *args, **kwargs)
        answers = state["answers"]
        ips = answers[min(state["calls"], len(answers) - 1)]
        state["calls"] += 1
        return [(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (ip, port) if ":" not in ip else (ip, port, 0, 0)) for ip in ips]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return state


def _delivery_to(office, url: str) -> WebhookDelivery:
    endpoint, _secret = make_endpoint(url)
    new_case(office)  # on_commit never runs here: the delivery stays pending
    return WebhookDelivery.objects.get(endpoint=endpoint)


def test_a_name_resolving_to_loopback_is_refused_at_delivery_without_a_request(
        office, receiver, resolver, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    port = receiver.url.split(":")[2].split("/")[0]
    delivery = _delivery_to(office, f"http://hooks.example.cn:{port}/hook")

    assert svc.webhook_deliver(delivery=delivery) is False
    delivery.refresh_from_db()
    assert receiver.requests == []
    assert resolver["calls"] == 1
    assert delivery.last_error == "address refused: hooks.example.cn -> 127.0.0.1"
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 1
    assert delivery.last_status_code is None and delivery.delivered_at is None


def test_one_forbidden_address_among_the_answers_refuses_the_name(
        office, receiver, resolver, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    resolver["answers"] = [["127.0.0.1", "169.254.169.254"]]
    port = receiver.url.split(":")[2].split("/")[0]
    delivery = _delivery_to(office, f"http://hooks.example.cn:{port}/hook")

    assert svc.webhook_deliver(delivery=delivery) is False
    delivery.refresh_from_db()
    assert receiver.requests == []
    assert delivery.last_error == "address refused: hooks.example.cn -> 169.254.169.254"


def test_the_connection_goes_to_the_address_checked_not_to_a_second_lookup(
        office, receiver, resolver, settings):
    """Allowed (the receiver's address is listed): delivered to the address resolved and
    checked once, with the name in the Host header; a later answer (rebinding to the
    metadata address) is never asked for."""
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    resolver["answers"] = [["127.0.0.1"], ["169.254.169.254"]]
    port = receiver.url.split(":")[2].split("/")[0]
    delivery = _delivery_to(office, f"http://hooks.example.cn:{port}/hook")

    assert svc.webhook_deliver(delivery=delivery) is True
    assert resolver["calls"] == 1
    assert len(receiver.requests) == 1
    assert receiver.requests[0].headers["Host"] == f"hooks.example.cn:{port}"


def test_an_endpoint_saved_before_the_check_is_refused_at_delivery(
        office, receiver, settings):
    """A row written past validation (created before this check, or by a script) still
    sends nothing to a forbidden literal address."""
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    delivery = _delivery_to(office, receiver.url)  # http://127.0.0.1:<port>/hook

    assert svc.webhook_deliver(delivery=delivery) is False
    delivery.refresh_from_db()
    assert receiver.requests == []
    assert delivery.last_error == "address refused: 127.0.0.1 -> 127.0.0.1"

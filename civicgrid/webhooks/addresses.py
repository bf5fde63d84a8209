"""Which addresses a webhook may be sent to (server-side request forgery).

A webhook URL is typed by an administrator, and civicgrid then POSTs case events to it from
inside the network: pointed at the machine itself (127.0.0.1, ::1), at a cloud metadata
service (169.254.169.254), at a private or link-local address, it would make civicgrid a
client of services that trust it. So every address that is not globally routable is
refused — loopback, link-local (169.254.0.0/16, fe80::/10), private (RFC 1918, fc00::/7,
100.64.0.0/10), unspecified, multicast, reserved — unless it lies in one of the networks
the operator lists in `WEBHOOK_ALLOWED_NETWORKS` (CIDRs, e.g. the intranet segment of the
receivers: "10.20.0.0/16").

The URL is checked when the endpoint is saved (an address literal, or a name that always
means this machine), and again at every delivery on the addresses the host name resolves to,
connecting only to an address that passed (civicgrid/webhooks/services.py), so a name that
is changed to resolve elsewhere after the check (DNS rebinding) cannot get through.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.translation import gettext_lazy as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Names that mean this machine whatever the resolver says (RFC 6761).
LOOPBACK_NAMES = ("localhost", "localhost.localdomain")


def allowed_networks() -> list[IPNetwork]:
    """The operator's allow-list (settings.WEBHOOK_ALLOWED_NETWORKS)."""
    networks = []
    for text in getattr(settings, "WEBHOOK_ALLOWED_NETWORKS", []):
        try:
            networks.append(ipaddress.ip_network(str(text).strip(), strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"WEBHOOK_ALLOWED_NETWORKS: {text!r} is not a network (CIDR)") from exc
    return networks


def _normalized(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return address


def is_forbidden(address: IPAddress) -> bool:
    """Before the allow-list: not globally routable (loopback, link-local, private,
    shared, unspecified, reserved, documentation …) or multicast."""
    address = _normalized(address)
    return not address.is_global or address.is_multicast


def address_allowed(text: str) -> bool:
    """May a delivery connect to this IP address (a string, as getaddrinfo gives it)?"""
    address = _normalized(ipaddress.ip_address(text.split("%")[0]))
    if not is_forbidden(address):
        return True
    return any(address.version == network.version and address in network
               for network in allowed_networks())


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None


def validate_webhook_url(url: str) -> None:
    """Refuse a URL whose host is a forbidden address literal or a loopback name. Other
    names are resolved and checked at each delivery (names may resolve differently in
    the deployment's network than where the endpoint is saved)."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    literal = _literal(host)
    refused = (host in LOOPBACK_NAMES or host.endswith(".localhost")
               or (literal is not None and not address_allowed(str(literal))))
    if refused:
        raise ValidationError(
            _("该地址指向本机、内网、链路本地或组播地址(%(host)s),不能作为推送地址;"
              "确属政务内网的接收方,请运维人员在 WEBHOOK_ALLOWED_NETWORKS 中放行其网段。"),
            code="forbidden_address", params={"host": host})

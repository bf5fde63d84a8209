"""The client address that lockouts, portal limits and the audit log key on: the proxy's
X-Forwarded-For is believed only as far as TRUSTED_PROXY_COUNT says (docs/security.md)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings

from civicgrid.audit.context import client_ip

FORWARDED = "6.6.6.6, 10.0.0.7, 203.0.113.9"  # spoofed by the client, then two real hops


@pytest.mark.parametrize(("proxies", "forwarded", "expected"), [
    (0, FORWARDED, "192.0.2.1"),        # no proxy trusted: the socket's address, header ignored
    (1, FORWARDED, "203.0.113.9"),      # one proxy: the address it saw
    (2, FORWARDED, "10.0.0.7"),         # two proxies: the address the outer one saw
    (1, "", "192.0.2.1"),               # a proxy that sent nothing: the socket's address
    (3, "203.0.113.9", "192.0.2.1"),    # fewer hops than proxies: not believed
])
def test_forwarded_for_is_believed_only_for_the_trusted_proxies(proxies, forwarded, expected):
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1",
                                   HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        assert client_ip(request) == expected

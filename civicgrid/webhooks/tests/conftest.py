"""A local HTTP receiver on 127.0.0.1 (port 0, own thread), allowed as a webhook address
for these tests, and the cases fixtures."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from civicgrid.cases.tests.conftest import new_case, office  # noqa: F401
from civicgrid.webhooks.models import WebhookEndpoint
from civicgrid.webhooks.services import webhook_secret_new


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    status: int = 200
    requests: list[Received] = field(default_factory=list)


# The test district's "intranet": the local receiver on 127.0.0.1 and the 10.x addresses
# the tests give endpoints. A deployment lists its receivers' segment the same way; the
# default (nothing) and other lists are tested in test_addresses.py.
TEST_ALLOWED_NETWORKS = ["127.0.0.1/32", "10.0.0.0/8"]


@pytest.fixture(autouse=True)
def _receivers_allowed(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = TEST_ALLOWED_NETWORKS


@pytest.fixture
def receiver():
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length", 0))
            state.requests.append(Received(dict(self.headers.items()), self.rfile.read(length)))
            self.send_response(state.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # A short poll interval: shutdown() waits up to one interval (0.5 s by default) for the
    # serving loop to notice, once per test.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                              daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(5)


def make_endpoint(url: str, **kwargs) -> tuple[WebhookEndpoint, str]:
    """An endpoint and its plain secret (as the administrator sees it once)."""
    plain, encrypted = webhook_secret_new()
    endpoint = WebhookEndpoint.objects.create(name=kwargs.pop("name", "receiver"), url=url,
                                              secret_encrypted=encrypted, **kwargs)
    return endpoint, plain

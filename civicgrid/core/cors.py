"""Cross-origin calls to the machine interfaces, for the origins an operator lists.

H5 pages in WeChat web-views and other browser clients call `/api/v1/` and `/open311/`
from their own origin. The browser lets such a page read an answer only if the answer
names the page's origin (CORS). The pages and the admin never answer cross-origin.

- `CORS_ALLOWED_ORIGINS` (settings, env-overridable, empty by default: no CORS at all)
  lists exact origins, `https://h5.example.cn` (scheme, host, port if not the default).
  There is no wildcard: every integrator's origin is named on purpose.
- A preflight (OPTIONS with Origin and Access-Control-Request-Method) from a listed
  origin is answered here, 204, before sessions, CSRF and the views: the origin itself
  in Access-Control-Allow-Origin, the methods, the request headers the interfaces read
  (the token, Idempotency-Key) and how long the browser may keep the answer.
- Any other answer to a listed origin (errors included, so a page can read the error
  document) names the origin and exposes the headers a client needs (Link for the next
  page, Retry-After, Idempotent-Replayed).
- Never Access-Control-Allow-Credentials: the interfaces authenticate with a token in a
  header, so the browser must not send (nor expose answers made with) the site's cookies;
  a staff session can therefore not be used by another origin's script.
- An origin not listed gets no CORS header at all, so the browser keeps the answer from
  its script; `Vary: Origin` on every answer of these paths keeps caches from serving one
  origin's answer to another.

What django-cors-headers does, for two path prefixes, without a new dependency.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

PATHS = ("/api/v1/", "/open311/")
METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
REQUEST_HEADERS = ("Accept, Accept-Language, Authorization, Content-Type, Idempotency-Key, "
                   "X-Api-Key")
EXPOSED_HEADERS = "Content-Language, Idempotent-Replayed, Link, Retry-After"
MAX_AGE = 3600  # seconds a browser may reuse a preflight (Chromium keeps at most 7200)

_ORIGIN = re.compile(r"^https?://[a-z0-9.-]+(:[0-9]{1,5})?$")


def allowed_origins() -> frozenset[str]:
    """CORS_ALLOWED_ORIGINS, checked: an entry that is not an exact origin is a mistake
    that would otherwise silently allow nothing (or, with `*`, everyone)."""
    origins = set()
    for raw in settings.CORS_ALLOWED_ORIGINS:
        origin = raw.strip().rstrip("/").lower()
        if not _ORIGIN.match(origin):
            raise ImproperlyConfigured(
                f"CORS_ALLOWED_ORIGINS: {raw!r} is not an origin such as "
                "https://h5.example.cn (no wildcard, no path)")
        origins.add(origin)
    return frozenset(origins)


class CorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        allowed_origins()  # a wrong setting fails at start-up, not at the first call

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(PATHS):
            return self.get_response(request)
        origins = allowed_origins()
        origin = request.headers.get("Origin", "")
        listed = bool(origin) and origin.lower() in origins
        if (listed and request.method == "OPTIONS"
                and "Access-Control-Request-Method" in request.headers):
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = METHODS
            response["Access-Control-Allow-Headers"] = REQUEST_HEADERS
            response["Access-Control-Max-Age"] = str(MAX_AGE)
        else:
            response = self.get_response(request)
            if listed:
                response["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        if listed:
            response["Access-Control-Allow-Origin"] = origin
        if origins:
            patch_vary_headers(response, ["Origin"])
        return response

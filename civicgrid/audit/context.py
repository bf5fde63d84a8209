"""Who is acting and from where, for the audit log, without threading `request` everywhere.

RequestContextMiddleware sets it for each request; management commands and Celery tasks
set it with `acting_from(...)`. Services still take `actor` explicitly (the convention);
only the source address comes from here.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

_source_ip: ContextVar[str | None] = ContextVar("civicgrid_source_ip", default=None)


def current_source_ip() -> str | None:
    return _source_ip.get()


@contextmanager
def acting_from(source_ip: str | None):
    token = _source_ip.set(source_ip)
    try:
        yield
    finally:
        _source_ip.reset(token)


def client_ip(request) -> str | None:
    """The client's address, trusting X-Forwarded-For only for the configured proxy count."""
    from django.conf import settings

    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None

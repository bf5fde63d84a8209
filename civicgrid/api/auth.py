"""Token authentication, per-token rate limit, token action scope and Idempotency-Key.

A call authenticates with `Authorization: Bearer cg_…` or `X-Api-Key: cg_…`, or with the
browser session. A token acts as its service account: `request.user` is that account and
`request.api_token` the token, so `@access` and `restrict()` apply unchanged.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import hmac
import json
import math
import time
from datetime import timedelta

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpResponse
from django.utils import timezone
from ninja.security import APIKeyHeader, HttpBearer

from civicgrid.api.models import ApiToken, IdempotencyRecord
from civicgrid.api.rendering import ApiJSONEncoder
from civicgrid.api.services import TOKEN_PREFIX, token_hash
from civicgrid.core.refcache import ACCESS, RefCache
from civicgrid.core.scope import get_scope
from civicgrid.core.transactions import whole_or_nothing

LAST_USED_RESOLUTION = timedelta(minutes=1)


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        super().__init__("rate limited")
        self.retry_after = retry_after


class IdempotencyKeyReused(Exception):
    pass


class IdempotencyInProgress(Exception):
    pass


# Active tokens by the sha256 of their text, each with its account and the account's scope
# (roles, jurisdiction, units): four statements a call before, none now. Any change of a
# token, an account, a role, a jurisdiction or a unit membership bumps ACCESS (core/
# refcache.py), so a revocation or a role taken away holds from the next request on.
_tokens: RefCache[ApiToken | None] = RefCache("api-tokens", ACCESS, max_entries=10_000)


def _token_load(prefix: str, digest: str) -> ApiToken | None:
    for token in ApiToken.objects.filter(prefix=prefix).select_related("user"):
        if hmac.compare_digest(token.key_hash, digest):
            if token.revoked_at is not None or not token.user.is_active:
                return None
            get_scope(token.user)  # computed now, kept with the token
            return token
    return None


def token_lookup(plain: str) -> ApiToken | None:
    """The active token `plain` names, or None: a copy for this request (its account and
    scope too), from the process's cache of tokens. The prefix finds the row by index; the
    full token is compared by its sha256 in constant time."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) < len(TOKEN_PREFIX) + 10:
        return None
    prefix = plain[len(TOKEN_PREFIX):len(TOKEN_PREFIX) + 8]
    digest = token_hash(plain)
    cached = _tokens.get(digest, lambda: _token_load(prefix, digest))
    if cached is None:
        return None
    token, token.user = copy.copy(cached), copy.copy(cached.user)
    token.cached = cached  # type: ignore[attr-defined]  (to note last_used_at on)
    return token


def rate_limit_check(token: ApiToken, now: float | None = None) -> None:
    """Fixed one-minute window per token in the cache (shared by every process when CACHES
    points at Redis). Over the limit raises RateLimited with the seconds to the next window.

    The counter is keyed by the token's id *and* its random prefix: an id alone is reused
    (SQLite hands out the ids of rolled-back rows again, `manage.py flush` restarts the
    sequences), and a new token must never inherit the spent window of an old one."""
    now = time.time() if now is None else now
    window = int(now // 60)
    key = f"api-rate:{token.pk}:{token.prefix}:{window}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    if count > token.rate_limit_per_minute:
        raise RateLimited(max(1, math.ceil((window + 1) * 60 - now)))


def _authenticate(request, plain: str):
    token = token_lookup(plain.strip())
    if token is None:
        return None  # the next auth method (session) is tried; then 401
    rate_limit_check(token)
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)  # (no signal: no bump)
        token.last_used_at = token.cached.last_used_at = now
    request.user = token.user
    request.api_token = token
    return token


class TokenBearer(HttpBearer):
    """`Authorization: Bearer cg_…`"""

    def authenticate(self, request, token):
        return _authenticate(request, token)


class TokenHeader(APIKeyHeader):
    """`X-Api-Key: cg_…`"""

    param_name = "X-Api-Key"

    def authenticate(self, request, key):
        return _authenticate(request, key or "")


def token_action(*actions: str):
    """The token action an endpoint needs; with several, any one of them will do (e.g. the
    categories are read by a reading client and by an intake client alike). Session users
    are not affected: their roles and scope decide, as everywhere else."""
    if not actions:
        raise ValueError("token_action needs at least one action")

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            token = getattr(request, "api_token", None)
            if token is not None and not set(actions) & set(token.actions):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.civicgrid_token_actions = actions  # type: ignore[attr-defined]
        return wrapper
    return decorator


IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_OPENAPI = {"parameters": [{
    "in": "header", "name": IDEMPOTENCY_HEADER, "required": False,
    "description": "Any unique string (e.g. a UUID). A retry with the same key and the same "
                   "body returns the first response and changes nothing.",
    "schema": {"type": "string", "maxLength": 200},
}]}


def _principal(request) -> str:
    token = getattr(request, "api_token", None)
    return f"token:{token.pk}" if token is not None else f"user:{request.user.pk}"


def _body_hash(request) -> str:
    digest = hashlib.sha256()
    if request.content_type == "multipart/form-data":
        # The multipart boundary differs between retries: hash the fields and the files.
        for name in sorted(request.POST):
            digest.update(json.dumps([name, request.POST.getlist(name)]).encode())
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                digest.update(f"{name}:{upload.name}:".encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    else:
        digest.update(request.body)
    return digest.hexdigest()


def _stored_response(status: int, body: str, content_type: str,
                     replayed: bool = False) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type=content_type)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


class _AnsweredBefore(Exception):
    """Another request with the same key committed first: undo this one, replay that."""


def _record_answer(*, principal: str, key: str, method_path: str, body_hash: str,
                   status: int, body: str) -> bool:
    """Store the answer under its key, as the last write of the request's transaction; False
    when the key is taken. One statement, no savepoint: on PostgreSQL a concurrent request
    with the same key waits here until the first commits (then finds the key taken) or
    rolls back (then stores its own)."""
    table = connection.ops.quote_name(IdempotencyRecord._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in (
        "principal", "key", "method_path", "body_hash", "response_status", "response_body",
        "created_at"))
    conflict = ", ".join(connection.ops.quote_name(c) for c in ("principal", "key"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s) "  # noqa: S608
            f"ON CONFLICT ({conflict}) DO NOTHING",
            [principal, key, method_path, body_hash, status, body,
             connection.ops.adapt_datetimefield_value(timezone.now())])
        return cursor.rowcount == 1


def run_idempotent(request, produce, content_type: str = "application/json") -> HttpResponse:
    """Run `produce() -> (status, body text)` at most once per Idempotency-Key.

    The work and the stored answer are one transaction, the answer written last (so no
    savepoint, and no second write to fill it in): if the key turns out to be taken, by an
    earlier request or by a concurrent one that committed first, everything this request
    did is rolled back and the stored answer is replayed. Only successful responses are
    stored (`produce` raises on errors), so the client may retry after an error. The body
    is stored as the exact text sent, so a replay is byte-identical. A retry that fails
    when run again (a stale version) while its key holds an answer gets that answer.
    """
    key = (request.headers.get(IDEMPOTENCY_HEADER) or "").strip()[:200]
    if not key:
        status, body = produce()
        return _stored_response(status, body, content_type)
    principal, body_hash = _principal(request), _body_hash(request)
    method_path = f"{request.method} {request.path}"[:300]
    try:
        with whole_or_nothing():  # (any exception rolls it all back: no savepoints inside)
            status, body = produce()
            if not _record_answer(principal=principal, key=key, method_path=method_path,
                                  body_hash=body_hash, status=status, body=body):
                raise _AnsweredBefore
    except _AnsweredBefore:
        existing = IdempotencyRecord.objects.get(principal=principal, key=key)
        return _replay(existing, request, body_hash, content_type)
    except Exception:
        # A retry of a write that was answered already may itself be refused when run
        # again: a versioned write (a case action, a room's use) finds its version stale.
        # The caller asked for the first answer, not for that refusal. Looked up only
        # after a failure, so a successful request costs no statement more.
        answered = IdempotencyRecord.objects.filter(principal=principal, key=key).first()
        if answered is None:
            raise
        return _replay(answered, request, body_hash, content_type)
    return _stored_response(status, body, content_type)


def idempotent(schema, status: int = 200):
    """Render the view's result with `schema` as JSON, and honour an Idempotency-Key
    (see run_idempotent)."""
    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            return run_idempotent(
                request, lambda: (status, _render(schema, view(request, *args, **kwargs))))

        return wrapper
    return decorator


def _replay(record: IdempotencyRecord, request, body_hash: str,
            content_type: str) -> HttpResponse:
    if (record.body_hash != body_hash
            or record.method_path != f"{request.method} {request.path}"[:300]):
        raise IdempotencyKeyReused
    if record.response_status is None:
        raise IdempotencyInProgress
    return _stored_response(record.response_status, record.response_body, content_type,
                            replayed=True)


def _render(schema, result) -> str:
    out = schema.model_validate(result) if not isinstance(result, schema) else result
    # The same encoder as ninja's own responses, so every endpoint formats alike.
    return json.dumps(out.model_dump(), cls=ApiJSONEncoder)

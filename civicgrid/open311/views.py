"""Open311 GeoReport v2 under /open311/v2/: discovery, services, service definitions,
requests (GET and POST), a request, tokens, and FixMyStreet's servicerequestupdates.

Every resource answers in XML (`.xml`, the spec's required format) or JSON (`.json`).
Errors are the spec's array of {code, description}: 404 for what does not exist (or is not
shown to this caller), 403 for a missing or bad api_key, 400 for anything else, and 429
with Retry-After over a rate limit. The session is never used: a POST needs an api_key
(a civicgrid API token with the `open311` action), reads need none.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from civicgrid.api.auth import (
    IdempotencyInProgress,
    IdempotencyKeyReused,
    RateLimited,
    rate_limit_check,
    run_idempotent,
    token_lookup,
)
from civicgrid.api.models import ApiToken, TokenAction
from civicgrid.audit.context import client_ip
from civicgrid.core.access import access
from civicgrid.open311 import render, selectors
from civicgrid.open311.models import Open311Request
from civicgrid.open311.services import RequestInput, open311_request_create
from civicgrid.portal import limits

ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
# Names of service-layer fields in the spec's words (what the client sent).
FIELD_NAMES = {"area": "lat", "parties": "phone", "attachments": "media", "category":
               "service_code", "happened_at": "attribute"}


class Open311Error(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


def _field_name(key: str) -> str:
    if key.startswith("attribute_"):
        return f"attribute[{key.removeprefix('attribute_')}]"
    return FIELD_NAMES.get(key, key)


def _validation_errors(fmt: str, exc: ValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        items = [(400, f"{_field_name(key)}: {message}")
                 for key, messages in exc.message_dict.items() for message in messages]
    else:
        items = [(400, message) for message in exc.messages]
    return render.errors(fmt, 400, items)


def open311(*methods: str):
    """Common frame of every Open311 view: the method, jurisdiction_id, the anonymous rate
    limit, and errors rendered in the spec's format."""
    def decorator(view):
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, format: str, **kwargs: Any):  # noqa: A002
            try:
                if request.method not in methods:
                    raise Open311Error(400, _("不支持的请求方法:%(m)s。") % {"m": request.method})
                _check_jurisdiction(request)
                response = view(request, *args, fmt=format, **kwargs)
            except Open311Error as exc:
                response = render.errors(format, exc.status, [(exc.status, exc.description)])
                if exc.retry_after is not None:
                    response["Retry-After"] = str(exc.retry_after)
            except RateLimited as exc:
                response = render.errors(format, 429, [(429, _(
                    "请求过于频繁,请 %(s)d 秒后再试。") % {"s": exc.retry_after})])
                response["Retry-After"] = str(exc.retry_after)
            except ValidationError as exc:
                response = _validation_errors(format, exc)
            except IdempotencyKeyReused:
                response = render.errors(format, 400, [(400, _(
                    "该 Idempotency-Key 已用于另一个请求。"))])
            except IdempotencyInProgress:
                response = render.errors(format, 400, [(400, _(
                    "使用该 Idempotency-Key 的请求仍在处理中,请稍后重试。"))])
            if response.status_code >= 400 or request.method == "POST":
                add_never_cache_headers(response)
            return response

        return wrapper
    return decorator


def _param(request: HttpRequest, name: str) -> str:
    source = request.POST if request.method == "POST" else request.GET
    return (source.get(name) or "").strip()


def _check_jurisdiction(request: HttpRequest) -> None:
    jurisdiction = _param(request, "jurisdiction_id")
    if jurisdiction and jurisdiction != settings.OPEN311_JURISDICTION_ID:
        raise Open311Error(404, _("未找到 jurisdiction_id:%(j)s。") % {"j": jurisdiction[:100]})


def _api_key(request: HttpRequest) -> str:
    bearer = request.headers.get("Authorization", "")
    return (_param(request, "api_key") or request.headers.get("X-Api-Key", "")
            or (bearer[7:] if bearer.lower().startswith("bearer ") else "")).strip()


def _api_token(request: HttpRequest, *, required: bool) -> ApiToken | None:
    """The api_key's token (rate limited per token), or None for an anonymous read (rate
    limited per address)."""
    plain = _api_key(request)
    if not plain:
        if required:
            raise Open311Error(403, _("缺少 api_key,无法提交请求。"))
        window = limits.hit("open311", client_ip(request),
                            limit=settings.OPEN311_ANONYMOUS_LIMIT_PER_MINUTE, window=60)
        if not window.allowed:
            raise RateLimited(window.retry_after)
        return None
    token = token_lookup(plain)
    if token is None or TokenAction.OPEN311 not in token.actions:
        raise Open311Error(403, _("api_key 无效、已吊销或未开通 Open311。"))
    rate_limit_check(token)
    return token


def _public(response: HttpResponse, seconds: int = 300) -> HttpResponse:
    patch_cache_control(response, public=True, max_age=seconds)
    return response


# --- discovery and services --------------------------------------------------------------

@access(public=True, example={"format": "json"})
@open311("GET")
def discovery_view(request: HttpRequest, fmt: str) -> HttpResponse:
    endpoint = request.build_absolute_uri("/open311/v2/").rstrip("/")
    return _public(render.document(fmt, "discovery", {
        "changeset": selectors.CHANGESET,
        "contact": settings.OPEN311_CONTACT,
        "key_service": settings.OPEN311_KEY_SERVICE,
        "endpoints": [{
            "specification": selectors.SPEC_URL,
            "url": endpoint,
            "changeset": selectors.CHANGESET,
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
    }))


@access(public=True, example={"format": "json"})
@open311("GET")
def services_view(request: HttpRequest, fmt: str) -> HttpResponse:
    items = [selectors.service_item(c) for c in selectors.services()]
    return _public(render.document(fmt, "services", items))


@access(public=True, example={"format": "json"})
@open311("GET")
def service_definition_view(request: HttpRequest, service_code: str, fmt: str) -> HttpResponse:
    category = selectors.services().filter(code=service_code).first()
    if category is None:
        raise Open311Error(404, _("未找到 service_code:%(c)s。") % {"c": service_code[:20]})
    return _public(render.document(fmt, "service_definition",
                                   selectors.service_definition(category)))


# --- requests ----------------------------------------------------------------------------

def _attributes(request: HttpRequest) -> dict[str, str | list[str]]:
    attributes: dict[str, str | list[str]] = {}
    for key in request.POST:
        match = ATTRIBUTE.match(key)
        if not match:
            continue
        values = request.POST.getlist(key)
        code = match[1]
        if match[2] or len(values) > 1 or isinstance(attributes.get(code), list):
            existing = attributes.get(code)
            merged = existing if isinstance(existing, list) else ([] if existing is None
                                                                  else [existing])
            attributes[code] = merged + values
        else:
            attributes[code] = values[0]
    return attributes


def _request_input(request: HttpRequest) -> RequestInput:
    post = request.POST
    return RequestInput(
        lat=post.get("lat", ""), long=post.get("long", ""),
        address_string=post.get("address_string", ""), address_id=post.get("address_id", ""),
        description=post.get("description", ""), attributes=_attributes(request),
        first_name=post.get("first_name", ""), last_name=post.get("last_name", ""),
        phone=post.get("phone", ""), email=post.get("email", ""),
        account_id=post.get("account_id", ""), device_id=post.get("device_id", ""),
        media_url=post.get("media_url", ""), jurisdiction_id=post.get("jurisdiction_id", ""),
        media=request.FILES.getlist("media"))


def _service_notice(record: Open311Request) -> str:
    due = record.case.stage_due_at
    if due is None:
        return _("已收到,将尽快受理。")
    return _("已收到,将于 %(due)s 前受理。") % {
        "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M")}


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    token = _api_token(request, required=True)
    assert token is not None
    code = _param(request, "service_code")
    if not code:
        raise Open311Error(400, _("缺少 service_code。"))
    category = selectors.services().filter(code=code).first()
    if category is None:
        raise Open311Error(404, _("未找到 service_code:%(c)s。") % {"c": code[:20]})
    data = _request_input(request)

    def produce() -> tuple[int, str]:
        record = open311_request_create(api_token=token, category=category, data=data)
        body, _type = render.render_body(fmt, "service_requests", [{
            "token": record.token,
            "service_notice": _service_notice(record),
            "account_id": record.account_id or None,
        }])
        return 200, body

    content_type = render.XML_TYPE if fmt == "xml" else render.JSON_TYPE
    return run_idempotent(request, produce, content_type)


@access(public=True, example={"format": "json"})
@csrf_exempt
@open311("GET", "POST")
def requests_view(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    token = _api_token(request, required=False)
    try:
        cases = selectors.find_requests(
            api_token=token, request_ids=_param(request, "service_request_id"),
            service_codes=_param(request, "service_code"), statuses=_param(request, "status"),
            start_date=_param(request, "start_date"), end_date=_param(request, "end_date"))
    except selectors.InvalidQuery as exc:
        raise Open311Error(400, str(exc)) from exc
    response = render.document(fmt, "service_requests", selectors.request_items(cases, token))
    add_never_cache_headers(response)
    return response


@access(public=True, example={"format": "json"})
@open311("GET")
def request_view(request: HttpRequest, service_request_id: str, fmt: str) -> HttpResponse:
    token = _api_token(request, required=False)
    case = selectors.find_request(api_token=token, number=service_request_id)
    if case is None:
        raise Open311Error(404, _("未找到 service_request_id:%(n)s。") % {
            "n": service_request_id[:40]})
    response = render.document(fmt, "service_requests", selectors.request_items([case], token))
    add_never_cache_headers(response)
    return response


@access(public=True, example={"format": "json"})
@open311("GET")
def token_view(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    """The case number behind a token. The token is an unguessable secret the client got
    from its POST, so it needs no api_key."""
    _api_token(request, required=False)
    record = Open311Request.objects.filter(token=token).select_related("case").first()
    if record is None:
        raise Open311Error(404, _("未找到该 token。"))
    response = render.document(fmt, "service_requests", [
        {"service_request_id": record.case.number, "token": record.token}])
    add_never_cache_headers(response)
    return response


@access(public=True, example={"format": "json"})
@open311("GET")
def updates_view(request: HttpRequest, fmt: str) -> HttpResponse:
    """FixMyStreet's servicerequestupdates: status changes with public texts."""
    token = _api_token(request, required=False)
    try:
        updates = selectors.find_updates(api_token=token,
                                         start_date=_param(request, "start_date"),
                                         end_date=_param(request, "end_date"))
    except selectors.InvalidQuery as exc:
        raise Open311Error(400, str(exc)) from exc
    response = render.document(fmt, "service_request_updates", updates)
    add_never_cache_headers(response)
    return response


def not_found(request: HttpRequest) -> HttpResponse:
    """Any other URL under /open311/: the spec's 404 document (JSON if the path asks for
    it, XML otherwise)."""
    fmt = "json" if request.path.endswith(".json") else "xml"
    return render.errors(fmt, 404, [(404, _("未找到该资源。"))])

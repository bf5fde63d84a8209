"""Open311 GeoReport v2 under /open311/v2/: discovery, services, service definitions,
requests (GET and POST), a request, tokens, and FixMyStreet's servicerequestupdates.

Every resource answers in XML (`.xml`, the spec's required format) or JSON (`.json`).
Every error is the spec's array of {code, description}, in the caller's language (`locale`
argument, else Accept-Language): 404 for what does not exist (or is not shown to this
caller), 403 for a missing or bad api_key, 405 for a method the resource does not take
(with Allow), 413 for a body over the upload limit, 429 with Retry-After over a rate limit,
500 for a fault of ours, 400 for anything else. HEAD and OPTIONS work on every resource.
The session is never used (so there is no CSRF check to fail): a POST needs an api_key (a
civicgrid API token with the `open311` action), reads need none.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core import signals
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    ValidationError,
)
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
    UnreadablePostError,
)
from django.http.multipartparser import MultiPartParserError
from django.http.response import HttpResponseBase
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers
from django.utils.log import log_response
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
from civicgrid.areas.coords import DEFAULT, PARAMETER, CoordinateSystem
from civicgrid.audit.context import client_ip
from civicgrid.core import limits
from civicgrid.core.access import access
from civicgrid.core.middleware import NulCharacter
from civicgrid.core.text import unstorable_in_request
from civicgrid.open311 import render, selectors
from civicgrid.open311.models import Open311Request
from civicgrid.open311.services import RequestInput, open311_request_create

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


View = Callable[..., HttpResponseBase]


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


def _language(request: HttpRequest, readable: bool) -> str:
    """The language of the answer: the `locale` argument (`en`, `en_US`, `zh-CN`…), else
    Accept-Language, else the deployment's. (Pages keep Chinese whatever the browser says,
    DefaultLanguageMiddleware; a machine interface follows its client.) `readable`: the
    arguments parsed without error (_read_body), so reading them again cannot raise."""
    raw = request.GET.get("locale", "") if readable else ""
    if not raw and readable and request.method == "POST":
        raw = request.POST.get("locale", "")
    if raw:
        try:
            return translation.get_supported_language_variant(raw.replace("_", "-").lower())
        except LookupError:
            pass
    return translation.get_language_from_request(request)


def _read_body(request: HttpRequest) -> Exception | None:
    """Parse the query string and the form body now, keeping the error for the answer
    (Django leaves an empty form behind after a parse error, so a later read would see
    no api_key and answer the wrong error)."""
    try:
        request.GET  # noqa: B018 (too many fields raise here)
        if request.method == "POST":
            request.POST  # noqa: B018
    except (SuspiciousOperation, MultiPartParserError, UnreadablePostError) as exc:
        return exc
    if unstorable_in_request(request, body=False):  # a POST body's NUL is dropped (_cleaned)
        return NulCharacter("NUL character in the path or the query string")
    return None


def _body_error(exc: Exception) -> Open311Error:
    if isinstance(exc, NulCharacter):
        return Open311Error(400, _("参数中含有空字符(NUL),无法处理。"))
    if isinstance(exc, RequestDataTooBig):
        return Open311Error(413, _("请求体过大。"))
    if isinstance(exc, SuspiciousOperation):
        logging.getLogger(f"django.security.{exc.__class__.__name__}").error(str(exc))
    return Open311Error(400, _("请求体无法解析,请以 application/x-www-form-urlencoded 或 "
                               "multipart/form-data 发送。"))


def _error(fmt: str, exc: Open311Error) -> HttpResponse:
    response = render.errors(fmt, exc.status, [(exc.status, exc.description)])
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    return response


def _run(request: HttpRequest, fmt: str, allowed: tuple[str, ...], body_error: Exception | None,
         call: Callable[[], HttpResponseBase]) -> HttpResponseBase:
    """`call()` as the spec's resource: its answer, or any error as the spec's document.
    No `allowed` methods: a resource that does not exist (any method gets its 404)."""
    if allowed and request.method == "OPTIONS":
        response = HttpResponse(status=200)
        response["Allow"] = ", ".join(allowed)
        return response
    try:
        if allowed and request.method not in allowed:
            response = _error(fmt, Open311Error(405, _("不支持的请求方法:%(m)s。") % {
                "m": (request.method or "")[:20]}))
            response["Allow"] = ", ".join(allowed)
            return response
        if body_error is not None:
            raise _body_error(body_error)
        _check_jurisdiction(request)
        return call()
    except Open311Error as exc:
        return _error(fmt, exc)
    except RateLimited as exc:
        return _error(fmt, Open311Error(429, _("请求过于频繁,请 %(s)d 秒后再试。") % {
            "s": exc.retry_after}, retry_after=exc.retry_after))
    except ValidationError as exc:
        return _validation_errors(fmt, exc)
    except IdempotencyKeyReused:
        return _error(fmt, Open311Error(400, _("该 Idempotency-Key 已用于另一个请求。")))
    except IdempotencyInProgress:
        return _error(fmt, Open311Error(400, _(
            "使用该 Idempotency-Key 的请求仍在处理中,请稍后重试。")))
    except PermissionDenied:
        return _error(fmt, Open311Error(403, _("api_key 无效、已吊销或未开通 Open311。")))
    except Http404:
        return _error(fmt, Open311Error(404, _("未找到该资源。")))
    except Exception as exc:
        # A fault of ours: signalled and logged as Django does for any view (so error
        # reporting keeps working), answered as the spec's document, not an HTML page.
        signals.got_request_exception.send(sender=None, request=request)
        response = _error(fmt, Open311Error(500, _("服务器内部错误,请稍后重试。")))
        log_response("Internal Server Error: %s", request.path, response=response,
                     request=request, exception=exc)
        return response


def _answer(request: HttpRequest, fmt: str, allowed: tuple[str, ...],
            call: Callable[[], HttpResponseBase]) -> HttpResponseBase:
    """The common frame: the language, the resource or its error, HEAD without a body,
    and no caching of errors and writes."""
    fmt = fmt if fmt in render.FORMATS else "xml"
    body_error = _read_body(request)
    with translation.override(_language(request, readable=body_error is None)):
        response = _run(request, fmt, allowed, body_error, call)
        response["Content-Language"] = translation.get_language()
    patch_vary_headers(response, ["Accept-Language"])
    if response.status_code >= 400 or request.method == "POST":
        add_never_cache_headers(response)
    if request.method == "HEAD":
        _strip_body(response)
    return response


def _strip_body(response: HttpResponseBase) -> None:
    """HEAD: the headers of GET (Content-Length included), no body."""
    if isinstance(response, StreamingHttpResponse):  # a file: Content-Length is set
        response.streaming_content = []
    elif isinstance(response, HttpResponse):
        response["Content-Length"] = str(len(response.content))
        response.content = b""


def open311(*methods: str) -> Callable[[View], View]:
    """Common frame of every Open311 view (`_answer`): methods (HEAD wherever GET, and
    OPTIONS), jurisdiction_id, errors in the spec's format and the caller's language.
    CSRF-exempt: the session is never used, a write needs an api_key."""
    allowed = (*methods, *(["HEAD"] if "GET" in methods else []), "OPTIONS")

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, format: str = "xml",  # noqa: A002
                    **kwargs: Any) -> HttpResponseBase:
            return _answer(request, format, allowed,
                           lambda: view(request, *args, fmt=format, **kwargs))

        return csrf_exempt(wrapper)
    return decorator


def _param(request: HttpRequest, name: str) -> str:
    """A single argument: from the form body of a POST, else the query string (older
    clients send api_key and jurisdiction_id there even when they POST)."""
    value = request.POST.get(name) if request.method == "POST" else None
    return (value or request.GET.get(name) or "").strip()


def _list(request: HttpRequest, name: str) -> list[str]:
    """A list argument, as repeated (`status=open&status=closed`) and/or comma-delimited
    values (selectors.split_values splits them)."""
    return request.GET.getlist(name)


def _page(request: HttpRequest) -> selectors.Page:
    return selectors.parse_page(request.GET.get("page", ""), request.GET.get("page_size", ""))


def _link_pages(request: HttpRequest, response: HttpResponse, page: selectors.Page,
                more: bool) -> HttpResponse:
    """`Link: <…page=3>; rel="next", <…page=1>; rel="prev"` (RFC 8288): a list longer
    than a page is never cut silently."""
    def url(number: int) -> str:
        query = request.GET.copy()
        query["page"] = str(number)
        query["page_size"] = str(page.size)
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    links = []
    if more:
        links.append(f'<{url(page.number + 1)}>; rel="next"')
    if page.number > 1:
        links.append(f'<{url(page.number - 1)}>; rel="prev"')
    if links:
        response["Link"] = ", ".join(links)
    return response


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
        # civicgrid's extension (clients that do not know it ignore it): POST requests
        # takes `coordinate_system`, the system of lat/long; the default is WGS 84, as the
        # spec has it, and every answer gives WGS 84.
        "coordinate_systems": {"parameter": PARAMETER, "default": DEFAULT.value,
                               "values": list(CoordinateSystem.values)},
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
        media_url=post.get("media_url", ""), jurisdiction_id=_param(request, "jurisdiction_id"),
        media=request.FILES.getlist("media"),
        coordinate_system=post.get("coordinate_system", ""))


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
@open311("GET", "POST")
def requests_view(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    token = _api_token(request, required=False)
    try:
        page = _page(request)
        cases, more = selectors.find_requests(
            api_token=token, request_ids=_list(request, "service_request_id"),
            service_codes=_list(request, "service_code"), statuses=_list(request, "status"),
            start_date=_param(request, "start_date"), end_date=_param(request, "end_date"),
            page=page)
    except selectors.InvalidQuery as exc:
        raise Open311Error(400, str(exc)) from exc
    response = render.document(fmt, "service_requests", selectors.request_items(
        cases, token, request.build_absolute_uri))
    add_never_cache_headers(response)
    return _link_pages(request, response, page, more)


@access(public=True, example={"format": "json"})
@open311("GET")
def request_view(request: HttpRequest, service_request_id: str, fmt: str) -> HttpResponse:
    token = _api_token(request, required=False)
    case = selectors.find_request(api_token=token, number=service_request_id)
    if case is None:
        raise Open311Error(404, _("未找到 service_request_id:%(n)s。") % {
            "n": service_request_id[:40]})
    response = render.document(fmt, "service_requests", selectors.request_items(
        [case], token, request.build_absolute_uri))
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
        page = _page(request)
        updates, more = selectors.find_updates(api_token=token,
                                               start_date=_param(request, "start_date"),
                                               end_date=_param(request, "end_date"), page=page)
    except selectors.InvalidQuery as exc:
        raise Open311Error(400, str(exc)) from exc
    response = render.document(fmt, "service_request_updates", updates)
    add_never_cache_headers(response)
    return _link_pages(request, response, page, more)


# --- media --------------------------------------------------------------------------------

@access(public=True)
@open311("GET")
def media_view(request: HttpRequest, attachment_id: int, signature: str, ext: str,
               fmt: str) -> HttpResponseBase:
    """A photo posted with a request, at the media_url shown to the api_key that sent it.
    The URL is the capability (an HMAC of the photo; it works in an <img> without a key);
    only photos posted through Open311 are served, nothing staff added, no party data."""
    attachment = selectors.posted_media(attachment_id, signature)
    if attachment is None or selectors.MEDIA_TYPES[attachment.content_type] != ext:
        raise Open311Error(404, _("未找到该资源。"))
    try:
        handle = attachment.file.open("rb")
    except (OSError, ValueError) as exc:
        raise Open311Error(404, _("未找到该资源。")) from exc
    response = FileResponse(handle, content_type=attachment.content_type,
                            filename=f"{attachment.case.number}-{attachment.pk}.{ext}")
    patch_cache_control(response, private=True, max_age=3600)
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def not_found(request: HttpRequest) -> HttpResponseBase:
    """Any other URL under /open311/ (config/urls.py's handler404): the spec's 404 document
    (JSON if the path asks for it, XML otherwise), in the caller's language, whatever the
    method."""
    fmt = "json" if request.path.endswith(".json") else "xml"

    def missing() -> HttpResponse:
        raise Open311Error(404, _("未找到该资源。"))

    return _answer(request, fmt, (), missing)

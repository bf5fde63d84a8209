"""Every answer under the JSON API's prefix is JSON, errors included.

The operations' own errors already are (civicgrid/api/errors.py). This middleware covers
the answers produced before or around them: an unknown path (Django's 404 page), a wrong
method on a known path (ninja's plain-text 405), a body Django refuses to parse before the
view (its 400 page), a server error (the 500 page). Such a response is replaced by the
API's error format with the same status, keeping the headers that matter (Allow).
A request holding NUL or a lone surrogate (in its path, query or body) is refused here
with 400 `invalid` before anything reads it: no database can store it (core/text.py).
"""

from __future__ import annotations

import json

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError

from civicgrid.api.errors import STATUS_ERRORS, status_error
from civicgrid.core.text import unstorable_in_request

PREFIX = "/api/v1/"
# Headers of the replaced response that still describe the new one.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Vary")


def is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip() == "application/json"


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            where = (unstorable_in_request(request, body=True)
                     if request.path.startswith(PREFIX) else None)
        except (MultiPartParserError, SuspiciousOperation, UnreadablePostError) as exc:
            # A form body Django cannot read (no boundary, cut short, too many fields).
            code, message = STATUS_ERRORS[400]
            return HttpResponse(json.dumps({"code": code, "message": message,
                                            "details": [str(exc)]}),
                                status=400,
                                content_type="application/json; charset=utf-8")
        if where:  # no text column can hold it: refused before auth, idempotency, the view
            return HttpResponse(json.dumps({
                "code": "invalid", "message": "Text may not contain the NUL character (U+0000) "
                "or a lone surrogate.",
                "details": [where]}), status=400, content_type="application/json; charset=utf-8")
        response = self.get_response(request)
        if (response.status_code < 400 or is_json(response)
                or not request.path.startswith(PREFIX)):
            return response
        replaced = HttpResponse(json.dumps(status_error(response.status_code)),
                                status=response.status_code,
                                content_type="application/json; charset=utf-8")
        for header in KEPT_HEADERS:
            if header in response:
                replaced[header] = response[header]
        replaced.cookies = response.cookies
        return replaced

"""One error format for the whole JSON API: {"code", "message", "details"}
(`civicgrid.core.schemas.ErrorOut`).

The handlers here cover the errors of the kernel and of the API itself; an app whose own
exceptions need a code of their own installs handlers for them with `error_response`
(civicgrid/cases/api_errors.py), wired where the API is assembled (civicgrid/home/api.py).

What never reaches an operation (an unknown path, a wrong method, a body Django cannot
parse before the view) is answered in the same format by `ApiJsonErrorsMiddleware`
(civicgrid/api/middleware.py), from the table `STATUS_ERRORS` below."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from civicgrid.api.auth import IdempotencyInProgress, IdempotencyKeyReused, RateLimited
from civicgrid.core.errors import RuleViolation
from civicgrid.core.pagination import InvalidCursor

# The code and message of an error that has no more specific code of its own: the errors
# the framework answers (ninja's HttpError, Django's 404/405/400 outside the operations).
STATUS_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_body", "The request body cannot be parsed."),
    401: ("unauthenticated", "Sign in first."),
    403: ("forbidden", "You may not do this."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "This method is not allowed here; see the Allow header."),
    413: ("too_large", "The request is too large."),
    500: ("server_error", "The server failed to answer; try again later."),
}


def status_error(status: int) -> dict:
    """The error body for a bare HTTP status (see STATUS_ERRORS)."""
    code, message = STATUS_ERRORS.get(status, ("error", "The request failed."))
    return {"code": code, "message": message, "details": None}


def error_response(api: NinjaAPI, request, status: int, code: str, message: str, details=None):
    return api.create_response(
        request, {"code": code, "message": message, "details": details}, status=status
    )


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(Http404)
    def not_found(request, exc):
        return error_response(api, request, 404, "not_found", "Not found.")

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc):
        return error_response(api, request, 403, "forbidden", "You may not do this.")

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return error_response(api, request, 401, "unauthenticated", "Sign in first.")

    @api.exception_handler(NinjaValidationError)
    def invalid_input(request, exc):
        return error_response(api, request, 422, "invalid_input", "The request is not valid.",
                              exc.errors)

    @api.exception_handler(RuleViolation)
    def rule_violation(request, exc):
        details = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return error_response(api, request, 409, "rule_violation", "; ".join(exc.messages), details)

    @api.exception_handler(ValidationError)
    def invalid_state(request, exc):
        details = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return error_response(api, request, 400, "invalid", "; ".join(exc.messages), details)

    @api.exception_handler(InvalidCursor)
    def invalid_cursor(request, exc):
        return error_response(api, request, 400, "invalid_cursor",
                              "The cursor is not valid; start again without it.")

    @api.exception_handler(RateLimited)
    def rate_limited(request, exc):
        response = error_response(
            api, request, 429, "rate_limited",
            "Too many requests for this token; retry after the given seconds.",
            {"retry_after": exc.retry_after})
        response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(IdempotencyKeyReused)
    def idempotency_key_reused(request, exc):
        return error_response(api, request, 422, "idempotency_key_reused",
                              "This Idempotency-Key was used with a different request.")

    @api.exception_handler(IdempotencyInProgress)
    def idempotency_in_progress(request, exc):
        return error_response(api, request, 409, "idempotency_in_progress",
                              "A request with this Idempotency-Key is still being processed.")

    @api.exception_handler(MultiPartParserError)
    def unparseable_multipart(request, exc):
        # A multipart body without a (valid) boundary, or cut short: Django cannot read it.
        code, message = STATUS_ERRORS[400]
        return error_response(api, request, 400, code, message, [str(exc)])

    @api.exception_handler(HttpError)
    def httperror_response(request, exc):
        # Raised by ninja itself, e.g. 400 "Cannot parse request body" for broken JSON.
        code = STATUS_ERRORS.get(exc.status_code, ("error", ""))[0]
        return error_response(api, request, exc.status_code, code, str(exc))

"""One error format for the whole JSON API: {"code", "message", "details"}."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from civicgrid.api.auth import IdempotencyInProgress, IdempotencyKeyReused, RateLimited
from civicgrid.cases.services import StaleCase
from civicgrid.cases.workflow import TransitionNotAllowed
from civicgrid.core.errors import RuleViolation
from civicgrid.core.pagination import InvalidCursor


class ErrorOut(Schema):
    code: str
    message: str
    details: dict | list | None = None


def _error(api: NinjaAPI, request, status: int, code: str, message: str, details=None):
    return api.create_response(
        request, {"code": code, "message": message, "details": details}, status=status
    )


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(Http404)
    def not_found(request, exc):
        return _error(api, request, 404, "not_found", "Not found.")

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc):
        return _error(api, request, 403, "forbidden", "You may not do this.")

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return _error(api, request, 401, "unauthenticated", "Sign in first.")

    @api.exception_handler(NinjaValidationError)
    def invalid_input(request, exc):
        return _error(api, request, 422, "invalid_input", "The request is not valid.",
                      exc.errors)

    @api.exception_handler(RuleViolation)
    def rule_violation(request, exc):
        details = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return _error(api, request, 409, "rule_violation", "; ".join(exc.messages), details)

    @api.exception_handler(ValidationError)
    def invalid_state(request, exc):
        details = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return _error(api, request, 400, "invalid", "; ".join(exc.messages), details)

    @api.exception_handler(InvalidCursor)
    def invalid_cursor(request, exc):
        return _error(api, request, 400, "invalid_cursor",
                      "The cursor is not valid; start again without it.")

    @api.exception_handler(RateLimited)
    def rate_limited(request, exc):
        response = _error(api, request, 429, "rate_limited",
                          "Too many requests for this token; retry after the given seconds.",
                          {"retry_after": exc.retry_after})
        response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(IdempotencyKeyReused)
    def idempotency_key_reused(request, exc):
        return _error(api, request, 422, "idempotency_key_reused",
                      "This Idempotency-Key was used with a different request.")

    @api.exception_handler(IdempotencyInProgress)
    def idempotency_in_progress(request, exc):
        return _error(api, request, 409, "idempotency_in_progress",
                      "A request with this Idempotency-Key is still being processed.")

    @api.exception_handler(StaleCase)
    def stale_case(request, exc):
        return _error(api, request, 409, "stale_version",
                      "The case changed since the given version; read it again.")

    @api.exception_handler(TransitionNotAllowed)
    def transition_not_allowed(request, exc):
        return _error(api, request, 409, "transition_not_allowed",
                      "This action is not allowed in the case's current status.")

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        return _error(api, request, exc.status_code, "error", str(exc))

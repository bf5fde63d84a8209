"""One error format for the whole JSON API: {"code", "message", "details"}."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

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

    @api.exception_handler(ValidationError)
    def invalid_state(request, exc):
        details = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return _error(api, request, 400, "invalid", "; ".join(exc.messages), details)

    @api.exception_handler(InvalidCursor)
    def invalid_cursor(request, exc):
        return _error(api, request, 400, "invalid_cursor",
                      "The cursor is not valid; start again without it.")

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        return _error(api, request, exc.status_code, "error", str(exc))

"""The JSON API's answer to the case workflow's own errors (format: civicgrid.api.errors)."""

from __future__ import annotations

from ninja import NinjaAPI

from civicgrid.api.errors import error_response
from civicgrid.cases.services import StaleCase
from civicgrid.cases.workflow import TransitionNotAllowed


def install_case_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(StaleCase)
    def stale_case(request, exc):
        return error_response(api, request, 409, "stale_version",
                              "The case changed since the given version; read it again.")

    @api.exception_handler(TransitionNotAllowed)
    def transition_not_allowed(request, exc):
        return error_response(api, request, 409, "transition_not_allowed",
                              "This action is not allowed in the case's current status.")

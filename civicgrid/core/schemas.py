"""The JSON API's error body and page envelope, shared by every app's router.

Kernel: the routers of accounts, areas and units use these, and civicgrid.api (tokens,
whose service accounts are users and unit members) sits above those apps, so the shapes
every layer needs live here. The handlers that produce `ErrorOut` are in
civicgrid.api.errors."""

from ninja import Schema


class ErrorOut(Schema):
    code: str
    message: str
    details: dict | list | None = None


class Paged(Schema):
    next_cursor: str | None


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut,
          429: ErrorOut}

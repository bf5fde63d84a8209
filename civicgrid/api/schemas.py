from ninja import Schema

from civicgrid.api.errors import ErrorOut


class Paged(Schema):
    next_cursor: str | None


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut,
          429: ErrorOut}

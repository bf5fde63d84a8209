"""Keyset pagination with opaque cursors: constant cost per page at any depth.

The ordering must end in a unique field and match an index. A cursor encodes the sort
values of the last row shown; the next page is `WHERE (a, b) > (x, y)` written as
`a > x OR (a = x AND b > y)`, which every database plans on the index.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet


class InvalidCursor(ValueError):
    pass


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), ensure_ascii=False, default=str)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor("invalid cursor") from exc
    if not isinstance(values, list) or len(values) != size:
        raise InvalidCursor("invalid cursor")
    return values


@dataclass
class Page:
    items: list
    next_cursor: str | None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None


def _after_q(fields: list[str], values: list[Any]) -> Q:
    q = Q(pk__in=[])
    for i, name in enumerate(fields):
        field = name.lstrip("-")
        op = "lt" if name.startswith("-") else "gt"
        clause = Q(**{f"{field}__{op}": values[i]})
        for prev_name, prev_value in zip(fields[:i], values[:i], strict=True):
            clause &= Q(**{prev_name.lstrip("-"): prev_value})
        q |= clause
    return q


def keyset_page(qs: QuerySet, ordering: list[str], cursor: str | None, limit: int = 50,
                *, ids_first: bool = False) -> Page:
    """One page after `cursor`. With `ids_first`, the page's ids are found first, on the
    table alone (the filters' joins only), and its rows then read with their related rows
    by id: the joins touch one page of rows, never the rows the filters pass over."""
    if cursor:
        values = decode_cursor(cursor, len(ordering))
        qs = qs.filter(_after_q(ordering, values))
    if ids_first and not qs.query.annotations:
        rows = _rows_by_ids(qs, ordering, limit + 1)
    else:
        rows = list(qs.order_by(*ordering)[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(
            [_attr(last, name.lstrip("-")) for name in ordering]
        )
    return Page(rows, next_cursor)


def _rows_by_ids(qs: QuerySet, ordering: list[str], count: int) -> list:
    ids = list(qs.order_by(*ordering).values_list("pk", flat=True)[:count])
    page = qs.model._default_manager.filter(pk__in=ids)
    page.query.select_related = qs.query.select_related
    page.query.deferred_loading = qs.query.deferred_loading
    lookups = getattr(qs, "_prefetch_related_lookups", ())
    if lookups:
        page = page.prefetch_related(*lookups)
    by_pk = {row.pk: row for row in page}
    return [by_pk[pk] for pk in ids if pk in by_pk]


def request_page(request, qs: QuerySet, ordering: list[str], limit: int = 50,
                 *, ids_first: bool = False) -> Page:
    """The page a list view shows; a damaged cursor in the URL shows the first page."""
    try:
        return keyset_page(qs, ordering, request.GET.get("cursor"), limit, ids_first=ids_first)
    except InvalidCursor:
        return keyset_page(qs, ordering, None, limit, ids_first=ids_first)


def _attr(obj, path: str):
    for part in path.split("__"):
        obj = getattr(obj, part)
    return obj

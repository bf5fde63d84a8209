"""Inserting many rows of a model fast: on PostgreSQL the keys are taken from the table's
sequence in one statement and the rows sent with COPY (no model instance, no per-field
preparation); elsewhere `bulk_create`. Rows are given as {attname: value}; fields left out
take their default, `auto_now(_add)` fields the time given."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection, models
from psycopg.types.json import Jsonb


def _columns(model: type[models.Model], now: datetime) -> list[tuple[str, Any, bool]]:
    """(attname, default, is JSON) of every concrete field but the key."""
    out = []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            default: Any = now
        else:  # (the declared default, or what Django saves for a field left empty)
            default = field.get_default()
        out.append((field.attname, default, isinstance(field, models.JSONField)))
    return out


def insert_many(model: type[models.Model], rows: Sequence[dict[str, Any]], *,
                now: datetime) -> list[int]:
    """Insert the rows; their keys, in order."""
    if not rows:
        return []
    columns = _columns(model, now)
    if connection.vendor != "postgresql":
        made = model._default_manager.bulk_create(
            [model(**{name: row.get(name, default) for name, default, _j in columns})
             for row in rows], batch_size=1000)
        return [obj.pk for obj in made]
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                       "FROM generate_series(1, %s)", [table, len(rows)])
        ids = [r[0] for r in cursor.fetchall()]
        names = ", ".join(connection.ops.quote_name(n) for n, _d, _j in columns)
        with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} (id, {names}) "
                                "FROM STDIN") as copy:
            for pk, row in zip(ids, rows, strict=True):
                values: list[Any] = [pk]
                for name, default, is_json in columns:
                    value = row.get(name, default)
                    values.append(Jsonb(value) if is_json and value is not None else value)
                copy.write_row(values)
    return ids

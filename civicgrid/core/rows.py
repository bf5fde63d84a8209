"""Insert new rows with a statement built once per model (issue 14).

`Model.save()` and `bulk_create()` compile their INSERT anew on every call: a query object,
a compiler, every column name quoted, every value run through the compiler's generators.
For a case (fifty-odd columns) with its event, audit entry and parties that was a quarter
of an intake's CPU. `insert_rows()` writes the same row — each field's own `pre_save()` and
`get_db_prep_save()`, so defaults, `auto_now_add`, JSON and encrypted fields come out as
the ORM would write them — with the column list and placeholders built once.

It is the ORM's plain insert, not a different one: no expressions as values (they raise).
Rows go through `save()` one by one instead for a model that has `pre_save`/`post_save`
receivers (reference data watched by core/refcache.py bumps its revision on save: no
receiver is ever skipped), a model with a field that has its own placeholder, and a database
that returns no keys from an insert (SQLite before 3.35).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connections, router
from django.db.models import Field, Model
from django.db.models.signals import post_save, pre_save

M = TypeVar("M", bound=Model)

_plans: dict[tuple[type[Model], str], tuple[list[Field[Any, Any]], str]] = {}


def _plan(model: type[Model], using: str) -> tuple[list[Field[Any, Any]], str] | None:
    key = (model, connections[using].vendor)
    if key in _plans:
        return _plans[key]
    meta = model._meta
    fields = [f for f in meta.concrete_fields
              if not f.primary_key and not getattr(f, "generated", False)]
    if any(hasattr(f, "get_placeholder") for f in fields):
        return None  # (not needed by the models this serves; the ORM handles it)
    quote = connections[using].ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "  # noqa: S608
    _plans[key] = (fields, sql)
    return _plans[key]


def _fast(model: type[Model], using: str) -> tuple[list[Field[Any, Any]], str] | None:
    """The model's plan, or None where rows must go through save()."""
    if (pre_save.has_listeners(model) or post_save.has_listeners(model)
            or not connections[using].features.can_return_rows_from_bulk_insert):
        return None
    return _plan(model, using)


def insert_rows(objs: Sequence[M], *, using: str | None = None) -> Sequence[M]:
    """INSERT the new instances `objs` (all of one model, no primary key set) in one
    statement and set their primary keys, as `bulk_create()` would."""
    if not objs:
        return objs
    model = type(objs[0])
    using = using or router.db_for_write(model)
    plan = _fast(model, using)
    if plan is None:
        for obj in objs:  # every receiver runs; without RETURNING the key is lastrowid
            obj.save(force_insert=True, using=using)
        return objs
    _execute(objs, plan, using)
    return objs


def insert_unless_taken(obj: Model, unique_field: str, *, using: str | None = None) -> bool:
    """INSERT the new instance `obj` unless its value of `unique_field` (a field with a
    unique index of its own) is taken: True and the key set if written, False (nothing
    written, the transaction still usable) if taken. One statement, `INSERT … ON CONFLICT
    (field) DO NOTHING`; a conflict on any other unique index still raises."""
    model = type(obj)
    using = using or router.db_for_write(model)
    field = model._meta.get_field(unique_field)
    assert isinstance(field, Field) and field.unique, unique_field
    plan = _fast(model, using)
    if plan is None:  # asked first, as before ON CONFLICT
        value = getattr(obj, field.attname)
        if model._base_manager.using(using).filter(**{unique_field: value}).exists():
            return False
        obj.save(force_insert=True, using=using)
        return True
    return _execute([obj], plan, using, skip_taken=str(field.column)) == 1


def _execute(objs: Sequence[Model], plan: tuple[list[Field[Any, Any]], str], using: str,
             skip_taken: str = "") -> int:
    """The INSERT itself; the number of rows written."""
    connection = connections[using]
    model = type(objs[0])
    fields, sql = plan
    params: list[Any] = []
    for obj in objs:
        if type(obj) is not model or obj.pk is not None:
            raise ValueError("insert_rows() takes new instances of one model")
        # Django's own step of save() and bulk_create(): a related object saved since it was
        # assigned gives its new key; one never saved is refused.
        obj._prepare_related_fields_for_save(  # type: ignore[attr-defined]
            operation_name="insert_rows")
        for field in fields:
            value = field.pre_save(obj, add=True)
            if hasattr(value, "resolve_expression"):
                raise ValueError(f"insert_rows(): {field.name} is an expression")
            params.append(field.get_db_prep_save(value, connection))
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    pk = model._meta.pk
    assert pk is not None
    quote = connection.ops.quote_name
    conflict = f"ON CONFLICT ({quote(skip_taken)}) DO NOTHING " if skip_taken else ""
    statement = (f"{sql}{', '.join([row] * len(objs))} {conflict}"
                 f"RETURNING {quote(str(pk.column))}")
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        ids = [r[0] for r in cursor.fetchall()]
    if skip_taken and not ids:
        return 0
    for obj, pk_value in zip(objs, ids, strict=True):
        obj.pk = pk_value
        obj._state.adding = False
        obj._state.db = using
    return len(ids)

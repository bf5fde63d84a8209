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

`together()` saves round trips, which cost the application more CPU than the statements
themselves (a system call each way and a wait; ADR 0012): inside it, a statement whose
answer the code does not need at once — `insert_rows()` (the keys are set when it has been
sent), `later()` — waits, and goes to the server in one message with the next statement
executed on the connection, whatever executes it, or at the end of the block. The statements
run in the order they were written, as before; an error in any of them raises from the
statement that carried it, in the same transaction. PostgreSQL with client-side binding
(Django's default) takes several statements in one message; elsewhere (SQLite, server-side
binding) `together()` changes nothing and every statement is sent at once.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models import Field, Model
from django.db.models.signals import post_save, pre_save

M = TypeVar("M", bound=Model)
# Between the statements of one message (bench/ counts statements by it).
SEPARATOR = ";\n"

OnRows = Callable[[list[tuple[Any, ...]]], None]
_Waiting = list[tuple[str, list[Any], OnRows | None]]


class _Queues(threading.local):
    """This thread's waiting statements, per database alias, inside `together()`."""

    def __init__(self) -> None:
        self.by_alias: dict[str, _Waiting] = {}


_queues = _Queues()


def can_combine(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Does this database take several statements in one message? PostgreSQL with
    client-side binding (psycopg's simple query protocol)."""
    connection = connections[using]
    return (connection.vendor == "postgresql"
            and not connection.settings_dict.get("OPTIONS", {}).get("server_side_binding"))


@contextlib.contextmanager
def together(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Send the statements of the block in as few messages as their answers allow (above).
    Inside a `together()` of the same database, the outer one sends. Where the block raises,
    what still waits is dropped: the transaction it belonged to is being rolled back."""
    if using in _queues.by_alias or not can_combine(using):
        yield
        return
    connection = connections[using]
    waiting: _Waiting = []
    _queues.by_alias[using] = waiting
    # The outermost execute wrapper: the others (a benchmark's, a test's) see the message as
    # it is sent, the waiting statements with the one that carries them.
    wrapper = partial(_send_with, waiting)
    connection.execute_wrappers.insert(0, wrapper)
    try:
        yield
        flush(using)
    finally:
        connection.execute_wrappers.remove(wrapper)
        del _queues.by_alias[using]
        waiting.clear()


def flush(using: str = DEFAULT_DB_ALIAS) -> None:
    """Send what waits inside `together()` now, in one message: for code that needs the keys
    of rows written by `insert_rows()` before its next statement (a row that refers to one
    of them). Nothing to do elsewhere."""
    waiting = _queues.by_alias.get(using)
    if not waiting:
        return
    sql, params, on_rows = waiting.pop()  # the last one carries the others
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        if on_rows is not None:
            on_rows(cursor.fetchall())


def later(sql: str, params: Sequence[Any], *, on_rows: OnRows | None = None,
          using: str = DEFAULT_DB_ALIAS) -> None:
    """Execute `sql` now, or inside `together()` with the next statement; `on_rows` is
    given the rows it returned (for a statement with RETURNING) when it has run."""
    waiting = _queues.by_alias.get(using)
    if waiting is not None:
        waiting.append((sql, list(params), on_rows))
        return
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        if on_rows is not None:
            on_rows(cursor.fetchall())


def _send_with(waiting: _Waiting, execute: Callable[..., Any], sql: str, params: Any,
               many: bool, context: dict[str, Any]) -> Any:
    """The execute wrapper of `together()`: the waiting statements go in front of this one,
    in the same message; the cursor is left on this one's result."""
    if not waiting:
        return execute(sql, params, many, context)
    ahead = list(waiting)
    waiting.clear()
    if sql.lstrip()[:8].upper() == "ROLLBACK":  # (to a savepoint: what waits is undone unsent)
        return execute(sql, params, many, context)
    statements = [s for s, _p, _r in ahead]
    values = [v for _s, p, _r in ahead for v in p]
    if many or isinstance(params, Mapping):  # (an executemany, or named parameters: the
        raw = context["cursor"].cursor  # others go just before it, on the driver's cursor)
        raw.execute(SEPARATOR.join(statements), values)
        _deliver(raw, ahead, last=True)
        return execute(sql, params, many, context)
    if params is None:  # (no placeholders were meant: its % signs are literal)
        sql, params = sql.replace("%", "%%"), []
    result = execute(SEPARATOR.join([*statements, sql]), [*values, *params], False, context)
    _deliver(context["cursor"].cursor, ahead, last=False)
    return result


def _deliver(cursor: Any, ahead: _Waiting, *, last: bool) -> None:
    """Hand each waiting statement its rows, moving the (psycopg) cursor on to the next
    result; after the last one, to the carrying statement's result unless `last`."""
    for position, (_sql, _params, on_rows) in enumerate(ahead):
        if on_rows is not None:
            on_rows(cursor.fetchall())
        if not last or position < len(ahead) - 1:
            cursor.nextset()

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
    statement and set their primary keys, as `bulk_create()` would; inside `together()`,
    when the statement has gone to the server."""
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
    """The INSERT itself: the number of rows written; with `skip_taken`, at once, otherwise
    `later()` (the rows' number, their keys set when it has run)."""
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
    written: list[int] = []

    def keys(rows: list[tuple[Any, ...]]) -> None:
        if skip_taken and not rows:
            return
        for obj, (pk_value,) in zip(objs, rows, strict=True):
            obj.pk = pk_value
            obj._state.adding = False
            obj._state.db = using
        written.append(len(rows))

    if skip_taken:  # the caller needs the answer now
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            keys(cursor.fetchall())
        return written[0] if written else 0
    later(statement, params, on_rows=keys, using=using)
    return len(objs)

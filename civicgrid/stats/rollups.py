"""Keeping the case rollup (CaseStat) true to the cases, incrementally and from scratch.

Incremental: a case's contribution is a function of its facts. Intake adds the new case's
contribution; every transition takes the facts before and after the change and applies the
difference, in the same transaction as the change. No code path edits counters by hand.

From scratch: `stats_recompute()` counts the same measures with their database filters;
`stats_differences()` compares (for `manage.py check_rollups`) and `stats_rebuild()`
replaces the table (after a bulk load, or to repair).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, DateField
from django.db.models.functions import Substr, TruncMonth
from django.utils import timezone

from civicgrid.cases.models import Case
from civicgrid.core.rows import later
from civicgrid.stats.measures import MEASURES, NAMES, CaseFacts
from civicgrid.stats.models import CaseStat

Key = tuple[str, date, int]  # (street code, month, category id)
Counts = dict[Key, dict[str, int]]

STREET_CODE_LENGTH = 9


def local_month(moment: datetime) -> date:
    return timezone.localtime(moment).date().replace(day=1)


def case_facts(case: Case) -> CaseFacts:
    return CaseFacts(
        area_code=case.area_code, category_id=case.category_id, kind=case.category.kind,
        registered_at=case.registered_at, closed_at=case.closed_at, status=case.status,
        outcome=case.outcome, closed_on_time=case.closed_on_time,
        closed_level=case.closed_level, satisfaction=case.satisfaction, level=case.level,
        channel=case.channel, is_major=case.is_major, is_group=case.is_group,
        is_repeat=case.is_repeat)


def contributions(facts: CaseFacts | None) -> Counts:
    """What one case adds to the rollup: {key: {measure: 1}}."""
    if facts is None:
        return {}
    street = facts.area_code[:STREET_CODE_LENGTH]
    registered = (street, local_month(facts.registered_at), facts.category_id)
    out: Counts = defaultdict(dict)
    for measure in MEASURES:
        if not measure.test(facts):
            continue
        if measure.by_closing:
            assert facts.closed_at is not None
            key = (street, local_month(facts.closed_at), facts.category_id)
        else:
            key = registered
        out[key][measure.name] = 1
    return dict(out)


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


@functools.cache
def _update_sql(vendor: str, names: tuple[str, ...]) -> str:
    """The UPDATE of these counters, built once per set of names (the SQL is the same for
    every case that moves the same counters)."""
    table = _quoted(CaseStat._meta.db_table)
    sets = ", ".join(f"{_quoted(n)} = {_quoted(n)} + %s" for n in names)
    return (f"UPDATE {table} SET {sets} WHERE area_code = %s AND month = %s "  # noqa: S608
            "AND category_id = %s")


@functools.cache
def _upsert_sql(vendor: str, names: tuple[str, ...]) -> str:
    table = _quoted(CaseStat._meta.db_table)
    columns = ", ".join(_quoted(n) for n in NAMES)
    placeholders = ", ".join(["%s"] * (3 + len(NAMES)))
    sets = ", ".join(f"{_quoted(n)} = {table}.{_quoted(n)} + excluded.{_quoted(n)}"
                     for n in names)
    return (f"INSERT INTO {table} (area_code, month, category_id, {columns}) "  # noqa: S608
            f"VALUES ({placeholders}) ON CONFLICT (area_code, month, category_id) "
            f"DO UPDATE SET {sets}")


def _update(key: Key, deltas: dict[str, int]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_update_sql(connection.vendor, tuple(deltas)), [*deltas.values(), *key])
        if cursor.rowcount != 1:
            raise RuntimeError(f"rollup row missing for {key}")


def _upsert(key: Key, deltas: dict[str, int]) -> None:
    """Insert the row with these counts, or add them to the existing row. Only for
    increments: a CHECK on the proposed row would refuse a negative count before the
    conflict is seen."""
    values = [deltas.get(n, 0) for n in NAMES]
    # Nothing to read back: inside rows.together() (intake), it goes with the next statement.
    later(_upsert_sql(connection.vendor, tuple(deltas)), [*key, *values])


def rollup_case_changed(before: Case | None, after: Case) -> None:
    """The receiver of cases.hooks.case_changed: move the counters by the difference."""
    stat_apply(case_facts(before) if before is not None else None, case_facts(after))


def stat_apply(before: CaseFacts | None, after: CaseFacts | None) -> None:
    """Move one case's counts from its `before` facts to its `after` facts."""
    old, new = contributions(before), contributions(after)
    for key in old.keys() | new.keys():
        was, now = old.get(key, {}), new.get(key, {})
        deltas = {n: now.get(n, 0) - was.get(n, 0) for n in was.keys() | now.keys()}
        deltas = {n: d for n, d in deltas.items() if d}
        if not deltas:
            continue
        if key in old:  # the row exists: the old contribution was applied to it
            _update(key, deltas)
        else:
            _upsert(key, deltas)


# --- from scratch ------------------------------------------------------------------------

def _local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def stats_recompute() -> Counts:
    """Every counter, counted from the cases with the measures' database filters."""
    out: Counts = defaultdict(lambda: dict.fromkeys(NAMES, 0))
    groups = [(False, "registered_at"), (True, "closed_at")]
    for by_closing, field in groups:
        measures = [m for m in MEASURES if m.by_closing == by_closing]
        rows = (Case.objects.filter(**{f"{field}__isnull": False})
                .annotate(stat_street=Substr("area_code", 1, STREET_CODE_LENGTH),
                          stat_month=TruncMonth(field, output_field=DateField(),
                                                tzinfo=_local_tz()))
                .values("stat_street", "stat_month", "category_id")
                .annotate(**{f"m_{m.name}": Count("pk", filter=m.q) for m in measures})
                .order_by())
        for row in rows:
            values: dict[str, Any] = dict(row)
            key = (values["stat_street"], values["stat_month"], values["category_id"])
            for m in measures:
                if values[f"m_{m.name}"]:
                    out[key][m.name] += values[f"m_{m.name}"]
    return {k: v for k, v in out.items() if any(v.values())}


def stats_current() -> Counts:
    out: Counts = {}
    for row in CaseStat.objects.values("area_code", "month", "category_id", *NAMES):
        counts = {n: row[n] for n in NAMES}
        if any(counts.values()):
            out[(row["area_code"], row["month"], row["category_id"])] = counts
    return out


@dataclass(frozen=True)
class Difference:
    key: Key
    measure: str
    stored: int
    recomputed: int


def stats_differences() -> list[Difference]:
    stored, fresh = stats_current(), stats_recompute()
    zero = dict.fromkeys(NAMES, 0)
    found: list[Difference] = []
    for key in sorted(stored.keys() | fresh.keys()):
        a, b = stored.get(key, zero), fresh.get(key, zero)
        found.extend(Difference(key, n, a[n], b[n]) for n in NAMES if a[n] != b[n])
    return found


def _rows(counts: Counts) -> Iterable[CaseStat]:
    for (street, month, category_id), values in counts.items():
        yield CaseStat(area_code=street, month=month, category_id=category_id, **values)


@transaction.atomic
def stats_rebuild() -> int:
    """Replace the rollup with a recount from the cases; returns the number of rows."""
    counts = stats_recompute()
    CaseStat.objects.all().delete()
    CaseStat.objects.bulk_create(_rows(counts), batch_size=2000)
    return len(counts)

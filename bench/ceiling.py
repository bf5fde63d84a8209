"""The serialised ceiling of intake, emulated: how many intakes a second one county, and the
whole deployment, could take with as many application servers as one wanted, given the row
locks an intake holds.

An intake takes two contended row locks, each held until its COMMIT: the number row of one of
CASE_NUMBER_SHARDS shards of its county's day (the upsert on cases_casenumbersequence,
civicgrid/cases/services/intake.py `_next_number`) and the rollup row (street, month,
category) of stats_casestat (civicgrid/stats/rollups.py `_upsert`). The audit chain takes no
lock in the request (a background writer seals it, ADR 0010); nothing else is contended.

`lock_holds()` measures, around intakes made in this process, how long each lock is held
(from the start of its statement to the end of the COMMIT) and how long the application works
while holding them: from the end of the first lock's statement to the start of the second's
(none since one message carries both: civicgrid/core/rows.py `together`), and from the end of
that to the start of the COMMIT. `run_phases()` then runs clients that do
nothing but take the two locks and hold them as long, on scratch copies of the two tables, in
three messages, in the order intake takes the locks (the rollup row first, then the number
row: civicgrid/cases/services/intake.py): BEGIN, the first upsert and `pg_sleep` for the
median work between the statements; the second upsert and `pg_sleep` for the median work
after it; COMMIT. The number upsert is on a random shard of the county's day, the rollup's
on a (street, month, category) drawn like real intakes. The sleeps are
the server's and the round trips between the messages stand for the application's between its
statements, so the locks are held as an application server working between its statements
would hold them: a little longer (the client's turnaround, pg_sleep's wake-up), so the
emulated ceiling is a conservative one. (pg_sleep waits whole milliseconds: a client sleeps
the whole milliseconds below the median, or one more with the probability of the fraction,
the median on average.)

No Django at import: the client processes start from a bare interpreter.
"""

from __future__ import annotations

import contextlib
import math
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate
from typing import TYPE_CHECKING, Any

from bench import http

if TYPE_CHECKING:
    from bench.load import World

NUMBERS, ROLLUP = "bench_numbers", "bench_casestat"  # the scratch copies


# --- the hold times, measured in process ----------------------------------------------------

@dataclass
class Holds:
    """Per intake (seconds): how long the number row and the rollup row were locked (from
    the start of their statements to the end of the commit) and the time from the first of
    the two statements' start to the second's; the application's work while holding them:
    from the end of the first statement to the start of the second (`between`), from the
    end of that to the start of the commit (`after`). `first`: which lock intake takes
    first ("number" or "rollup"), as the emulation takes them."""

    first: str = ""
    number: list[float] = field(default_factory=list)
    rollup: list[float] = field(default_factory=list)
    gap: list[float] = field(default_factory=list)
    between: list[float] = field(default_factory=list)
    after: list[float] = field(default_factory=list)

    def p50(self, which: str) -> float:
        return http.percentile(getattr(self, which), 50)

    def p95(self, which: str) -> float:
        return http.percentile(getattr(self, which), 95)


@contextlib.contextmanager
def lock_holds(wrapper: Any) -> Iterator[Holds]:
    """Note the hold times of every intake committed on this connection (a Django database
    wrapper, `connections[alias]`) meanwhile: an execute wrapper notes when the number and
    rollup statements start and end, a wrapper of the connection's (private) `_commit` when
    the commit starts and ends."""
    from civicgrid.cases.models import CaseNumberSequence
    from civicgrid.stats.models import CaseStat

    tables = {"number": CaseNumberSequence._meta.db_table, "rollup": CaseStat._meta.db_table}
    holds = Holds()
    marks: dict[tuple[str, str], float] = {}  # (lock, "start" or "end") -> perf_counter

    order: list[str] = []  # the locks in the order taken (as they appear in the messages)

    def watch(execute: Callable[..., Any], sql: str, params: Any, many: bool,
              context: dict[str, Any]) -> Any:
        # A message may carry both statements (civicgrid/core/rows.py `together`): both start
        # and end with it, taken in the order they stand in it.
        found = sorted((sql.index(table), lock) for lock, table in tables.items()
                       if table in sql and (lock, "start") not in marks)
        if not found:
            return execute(sql, params, many, context)
        for _position, lock in found:
            marks[lock, "start"] = time.perf_counter()
            order.append(lock)
        try:
            return execute(sql, params, many, context)
        finally:
            for _position, lock in found:
                marks[lock, "end"] = time.perf_counter()

    commit = wrapper._commit

    def timed_commit() -> None:
        began = time.perf_counter()
        commit()
        ended = time.perf_counter()
        if len(marks) == 2 * len(tables):
            first, second = order
            if holds.first not in ("", first):
                raise RuntimeError("intake took its two locks in a different order")
            holds.first = first
            holds.number.append(ended - marks["number", "start"])
            holds.rollup.append(ended - marks["rollup", "start"])
            holds.gap.append(marks[second, "start"] - marks[first, "start"])
            # (none when one message takes both)
            holds.between.append(max(0.0, marks[second, "start"] - marks[first, "end"]))
            holds.after.append(began - marks[second, "end"])
        marks.clear()
        order.clear()

    wrapper._commit = timed_commit  # an instance attribute over the class's method
    try:
        with wrapper.execute_wrapper(watch):
            yield holds
    finally:
        del wrapper._commit  # the class's method again


# --- the emulation ---------------------------------------------------------------------------

def draws(world: World, prefix: str) -> dict[str, list[Any]]:
    """What an emulated intake draws, like the generator: a street whose code starts with
    `prefix` by its grids' weights, a leaf category by the generator's shares."""
    weights: dict[str, float] = {}
    for code, weight in zip(world.grid_codes, world.grid_weights.tolist(), strict=True):
        if code.startswith(prefix):
            weights[code[:9]] = weights.get(code[:9], 0.0) + weight
    streets = sorted(weights)
    return {"streets": streets, "street_cum": list(accumulate(weights[s] for s in streets)),
            "categories": world.categories.ids.tolist(),
            "category_cum": list(accumulate(world.categories.weights.tolist()))}


def _whole_ms(seconds: float, rng: random.Random) -> float:
    """A pg_sleep argument that waits `seconds` on average: pg_sleep waits whole
    milliseconds, rounding up, so the whole milliseconds below, or one more with the
    probability of the fraction (each a hair under, not to be rounded up once more)."""
    ms = seconds * 1000
    whole = math.floor(ms) + (rng.random() < ms - math.floor(ms))
    return max(0.0, whole - 0.01) / 1000


def _transaction(conn: Any, spec: dict[str, Any], rng: random.Random) -> None:
    street = rng.choices(spec["streets"], cum_weights=spec["street_cum"])[0]
    category = rng.choices(spec["categories"], cum_weights=spec["category_cum"])[0]
    statements = {"number": (spec["number_sql"], (street[:6], spec["day"],
                                                   rng.randrange(spec["shards"]))),
                  "rollup": (spec["rollup_sql"], (street, spec["month"], category))}
    (first_sql, first_args), (second_sql, second_args) = (
        statements[lock] for lock in spec["order"])
    # Several statements in one message (the client cursor binds the parameters itself),
    # the locks in intake's order.
    conn.execute(f"BEGIN; {first_sql}; SELECT pg_sleep(%s)",
                 (*first_args, _whole_ms(spec["between"], rng)))
    conn.execute(f"{second_sql}; SELECT pg_sleep(%s)",
                 (*second_args, _whole_ms(spec["after"], rng)))
    conn.execute("COMMIT")


def _client(url: str, spec: dict[str, Any], seed: int, start: float, measure_from: float,
            end: float) -> http.Part:
    """One connection: emulated intakes back to back from `start` until `end`."""
    import psycopg

    rng = random.Random(seed)  # noqa: S311  (load, not security)
    latencies: list[float] = []
    ok = failed = 0
    statuses: Counter[str] = Counter()
    try:
        conn = psycopg.connect(url, autocommit=True, cursor_factory=psycopg.ClientCursor)
    except psycopg.Error as exc:
        return [], 0, 1, {f"connect: {type(exc).__name__}": 1}
    with conn:
        time.sleep(max(0.0, start - time.time()))
        while (began := time.time()) < end:
            t0 = time.perf_counter()
            try:
                _transaction(conn, spec, rng)
                status = "committed"
            except psycopg.Error as exc:
                status = type(exc).__name__
                with contextlib.suppress(psycopg.Error):
                    conn.execute("ROLLBACK")
            elapsed = time.perf_counter() - t0
            if began < measure_from:
                continue
            statuses[status] += 1
            if status == "committed":
                ok += 1
                latencies.append(elapsed)
            else:
                failed += 1
    return latencies, ok, failed, dict(statuses)


def _process(args: tuple) -> http.Part:
    """One client process: a thread (and a connection) per seed."""
    url, spec, seeds, start, measure_from, end = args
    parts: list[http.Part] = []
    threads = [threading.Thread(
        target=lambda s=seed: parts.append(_client(url, spec, s, start, measure_from, end)))
        for seed in seeds]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    merged = http._merge("", parts, 0.0, 0)
    return merged.latencies, merged.ok, merged.failed, dict(merged.statuses)


def _sql(rollup_measures: list[str]) -> tuple[str, str]:
    """The two upserts of intake, on the scratch tables (the rollup's with the counters an
    intake adds to)."""
    from django.db import connection

    from civicgrid.stats.measures import NAMES

    quote = connection.ops.quote_name
    number = (f"INSERT INTO {NUMBERS} (county_code, day, shard, last) "  # noqa: S608
              "VALUES (%s, %s, %s, 1) ON CONFLICT (county_code, day, shard) "
              f"DO UPDATE SET last = {NUMBERS}.last + 1 RETURNING last")
    values = ", ".join("1" if n in rollup_measures else "0" for n in NAMES)
    sets = ", ".join(f"{quote(n)} = {ROLLUP}.{quote(n)} + excluded.{quote(n)}"
                     for n in rollup_measures)
    rollup = (f"INSERT INTO {ROLLUP} (area_code, month, category_id, "  # noqa: S608
              f"{', '.join(quote(n) for n in NAMES)}) VALUES (%s, %s, %s, {values}) "
              f"ON CONFLICT (area_code, month, category_id) DO UPDATE SET {sets}")
    return number, rollup


def _intake_measures() -> list[str]:
    """The counters a new hotline case adds to (those of a registered street-level case)."""
    from django.utils import timezone

    from civicgrid.stats.measures import CaseFacts
    from civicgrid.stats.rollups import contributions

    facts = CaseFacts(
        area_code="0" * 15, category_id=0, kind="service",
        registered_at=timezone.now(), closed_at=None,
        status="registered", outcome="", closed_on_time=None, closed_level="",
        satisfaction=None, level="street", channel="hotline", is_major=False,
        is_group=False, is_repeat=False)
    return sorted({n for counts in contributions(facts).values() for n in counts})


@contextlib.contextmanager
def scratch_tables(day: date, month: date) -> Iterator[None]:
    """`bench_numbers` and `bench_casestat`: copies of the two tables' definitions with
    their indexes and constraints (ON CONFLICT needs the unique ones), holding the rows
    intake finds now (today's counters, this month's rollup); dropped at the end."""
    from django.db import connection

    from civicgrid.cases.models import CaseNumberSequence
    from civicgrid.stats.models import CaseStat

    quote = connection.ops.quote_name
    try:
        with connection.cursor() as cursor:
            for scratch, model, when, value in ((NUMBERS, CaseNumberSequence, "day", day),
                                                (ROLLUP, CaseStat, "month", month)):
                table = model._meta.db_table
                cursor.execute(f"DROP TABLE IF EXISTS {scratch}")
                cursor.execute(f"CREATE TABLE {scratch} (LIKE {table} INCLUDING ALL)")
                cursor.execute("SELECT count(*) FILTER (WHERE indrelid = %s::regclass), "
                               "count(*) FILTER (WHERE indrelid = %s::regclass) "
                               "FROM pg_index WHERE indisunique", [table, scratch])
                original, copied = cursor.fetchone()
                if copied != original or copied < 2:  # the primary key and the upsert's key
                    raise RuntimeError(f"{scratch}: {copied} unique indexes, {table} has "
                                       f"{original}")
                # Without the ids: the copy's identity column counts from 1.
                columns = ", ".join(quote(f.column) for f in model._meta.concrete_fields
                                    if f.column and not f.primary_key)
                cursor.execute(f"INSERT INTO {scratch} ({columns}) "  # noqa: S608
                               f"SELECT {columns} FROM {table} WHERE {when} = %s", [value])
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {NUMBERS}, {ROLLUP}")


def client_limit(asked: int, spare: int = 5) -> int:
    """`asked`, or fewer if the server would not take that many more connections."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('max_connections')::int "
                       "- current_setting('superuser_reserved_connections')::int "
                       "- (SELECT count(*) FROM pg_stat_activity)")
        free = cursor.fetchone()[0]
    return max(1, min(asked, free - spare))


def run_phases(*, url: str, holds: Holds, city: dict[str, list[Any]],
               county: dict[str, list[Any]], clients: int, duration: float, warmup: float,
               seed: int) -> dict[str, Any]:
    """The two phases, all clients in one county then spread over the deployment, on the
    scratch tables; returns the results by name (http.Result each, and the figures they
    were run with)."""
    from django.conf import settings
    from django.utils import timezone

    day = timezone.localdate()
    shards = settings.CASE_NUMBER_SHARDS
    number_sql, rollup_sql = _sql(_intake_measures())
    common: dict[str, Any] = {
        "day": day, "month": day.replace(day=1), "shards": shards,
        "between": holds.p50("between"), "after": holds.p50("after"),
        "order": (holds.first, "rollup" if holds.first == "number" else "number"),
        "number_sql": number_sql, "rollup_sql": rollup_sql}
    processes = max(1, min(4, http.cores(), clients))
    seeds = [seed * 1000 + i for i in range(clients)]
    out: dict[str, Any] = {"ceiling_clients": clients,
                           "ceiling_bound": shards / holds.p50("number")}
    with scratch_tables(common["day"], common["month"]):
        for name, draw in (("ceiling_county", county), ("ceiling_city", city)):
            spec = {**common, **draw}
            out[name] = http.run_clients(
                name, _process, [(url, spec, seeds[i::processes]) for i in range(processes)],
                duration=duration, warmup=warmup, concurrency=clients)
    return out

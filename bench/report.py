"""The benchmark's table (printed) and report (docs/benchmarks.md)."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from django.utils import timezone

from bench.http import Result
from bench.measure import Report, StageResult, problems

PAGES = [
    ("inbox_page_mediator", "inbox page /cases/?inbox=mine — mediator"),
    ("case_api_mediator", "case list API ?inbox=mine — mediator"),
    ("inbox_page_street", "inbox page — street supervisor"),
    ("case_api_street", "case list API — street supervisor"),
    ("inbox_page_district", "inbox page — district supervisor"),
    ("case_api_district", "case list API — district supervisor"),
    ("dispatch_page_street", "dispatch inbox page /cases/?inbox=dispatch — street supervisor"),
    ("dispatch_api_street", "case list API ?inbox=dispatch — street supervisor"),
    ("dispatch_page_district", "dispatch inbox page — district supervisor"),
    ("dispatch_api_district", "case list API ?inbox=dispatch — district supervisor"),
    ("all_page_mediator", "all-cases page /cases/?inbox=all (50 rows) — mediator"),
    ("all_api_mediator", "case list API, first 50 — mediator"),
    ("all_page_street", "all-cases page (50 rows) — street supervisor"),
    ("all_api_street", "case list API, first 50 — street supervisor"),
    ("all_page_district", "all-cases page (50 rows) — district supervisor"),
    ("all_api_district", "case list API, first 50 — district supervisor"),
    ("dashboard_page", "district dashboard /dashboard/"),
    ("release_page", "monthly release /reports/<district>/release/"),
]
FIGURES = [
    ("dashboard_rollup", "dashboard figures from the rollup (in process)"),
    ("dashboard_naive", "the same figures counted from the cases table"),
    ("release_rollup", "release figures, all districts × 3 months, rollup"),
    ("release_naive", "the same counted from the cases table"),
]
_QUERY_LABELS = {
    "intake": "intake (mean of 40 after 5)",
    "intake_messages": "Messages to the server: intake (round trips; the same 40)",
    "ping": "ping",
    "inbox_page_mediator": "inbox page, mediator", "case_api_mediator": "case list API, mediator",
    "inbox_page_street": "inbox page, street supervisor",
    "case_api_street": "case list API, street supervisor",
    "inbox_page_district": "inbox page, district supervisor",
    "case_api_district": "case list API, district supervisor",
    "dispatch_page_street": "dispatch inbox page, street supervisor",
    "dispatch_api_street": "dispatch inbox API, street supervisor",
    "dispatch_page_district": "dispatch inbox page, district supervisor",
    "dispatch_api_district": "dispatch inbox API, district supervisor",
    "all_page_mediator": "all-cases page, mediator", "all_api_mediator": "first 50, mediator",
    "all_page_street": "all-cases page, street supervisor",
    "all_api_street": "first 50, street supervisor",
    "all_page_district": "all-cases page, district supervisor",
    "all_api_district": "first 50, district supervisor",
    "dashboard_page": "district dashboard", "release_page": "monthly release",
}
LATENCY_TARGET = 1.3
DASHBOARD_P95_MS = 100.0
LOCATOR_TARGET = 50_000
INTAKE_STATEMENTS = 12  # issue 14: SQL statements per intake, in the steady state
INTAKE_SHARE = 0.25  # issue 14: intake ÷ ping throughput over HTTP
INTAKE_APP_CPU_MS = 5.0  # issue 14: application CPU per intake (the gunicorn workers')
CEILING_TARGET = 1_000  # issue 14: intakes/s, one county and the deployment


def _size(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return f"{n:,}"


def _ms(value: float) -> str:
    if math.isnan(value):
        return "—"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _lat(result: Any) -> str:
    if result is None:
        return "—"
    return f"{_ms(result.p50_ms)} / {_ms(result.p95_ms)}"


def _ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(a) and not math.isnan(b) else float("nan")


def _x(value: float, digits: int = 2) -> str:
    return "—" if math.isnan(value) else f"{value:.{digits}f}×"


def _pct(value: float) -> str:
    return "—" if math.isnan(value) else f"{value * 100:.1f}%"


def _rate(value: float) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:,.0f}"


def _get(stage: StageResult, name: str) -> Any:
    return stage.results.get(name)


def rows(report: Report) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the figures table: one column per stage, then last ÷ first."""
    stages = report.stages
    first, last = stages[0], stages[-1]
    header = ["figure", *(f"{_size(s.size)} cases" for s in stages),
              f"{_size(last.size)} ÷ {_size(first.size)}"]
    out: list[list[str]] = []

    def add(label: str, cells: list[str], ratio: str = "") -> None:
        out.append([label, *cells, ratio])

    def load_rows(key: str, label: str, unit: str) -> None:
        results: list[Result] = [_get(s, key) for s in stages]
        add(f"{label}, {unit}", [_rate(r.rate) for r in results],
            _x(_ratio(results[-1].rate, results[0].rate)))
        add(f"{label}, success rate", [_pct(r.success) for r in results])
        add(f"{label}, p50 / p95 ms", [_lat(r) for r in results])

    add("CPU the machine gave the run: calibration loop on every core, M iterations/s, "
        "before / after the stage's measurements",
        [f"{_get(s, 'cpu_before'):.1f} / {_get(s, 'cpu_after'):.1f}" for s in stages],
        _x(_ratio(_get(last, "cpu_before") + _get(last, "cpu_after"),
                  _get(first, "cpu_before") + _get(first, "cpu_after"))))
    conc = _get(first, "intake").concurrency
    counties = report.city.get("county")
    add(f"**Intake over HTTP** ({conc} clients, {report.config.workers} gunicorn workers)",
        ["" for _ in stages])
    load_rows("intake", f"POST /api/v1/cases, intake, whole city ({counties} counties)",
              "cases/s")
    load_rows("intake_county", f"intake, one county ({report.targets['district']})",
              "cases/s")
    load_rows("ping", "GET /api/v1/ping (no authentication, no database)", "requests/s")
    load_rows("db_ceiling", "psycopg INSERT + COMMIT (database ceiling)", "rows/s")
    add("intake ÷ ping, throughput (whole city)",
        [_pct(_ratio(_get(s, "intake").rate, _get(s, "ping").rate)) for s in stages])
    add("intake ÷ database ceiling",
        [_pct(_ratio(_get(s, "intake").rate, _get(s, "db_ceiling").rate)) for s in stages])
    add("application CPU per intake, ms (gunicorn workers / in process)",
        [_cpu(_get(s, "cpu_http"), _get(s, "cpu_in_process"), 0) for s in stages])
    add("database CPU per intake, ms (PostgreSQL / this connection's backend)",
        [_cpu(_get(s, "cpu_http"), _get(s, "cpu_in_process"), 1) for s in stages])
    add("audit sealer after the load (ADR 0010): entries sealed, entries/s",
        [_sealed(_get(s, "audit_seal")) for s in stages])
    add("**Emulated many-app-server ceiling** (the intake's contended row locks, held as "
        "measured in process)", ["" for _ in stages])
    for which, label in (
            ("number", "lock held per intake, ms: number row (p50 / p95)"),
            ("rollup", "lock held per intake, ms: rollup row (p50 / p95)"),
            ("gap", "from the first of the two statements to the second, ms (p50 / p95)")):
        add(label, [_holds(_get(s, "lock_holds"), which) for s in stages])
    clients = _get(first, "ceiling_clients")
    load_rows("ceiling_county", f"emulated ceiling, one county ({clients} clients holding the "
              "locks for the measured times)", "intakes/s")
    load_rows("ceiling_city", f"emulated ceiling, whole deployment ({counties} counties)",
              "intakes/s")
    add("bound for one county: number shards ÷ number row held (p50), intakes/s",
        [_rate(_get(s, "ceiling_bound")) for s in stages])
    add("**Worklists and dashboards** (one request at a time, p50 / p95 ms)",
        ["" for _ in stages])
    for key, label in PAGES:
        results = [_get(s, key) for s in stages]
        if all(r is None for r in results):
            add(label, ["not measured" for _ in stages])
            continue
        add(label, [_lat(r) for r in results], _latency_ratio(results[0], results[-1]))
    add("cases in the inbox (mine): mediator / street / district supervisor "
        "(a page lists 50)",
        [" / ".join(f"{n:,}" for n in (_get(s, "inbox_mine") or {}).values()) for s in stages])
    add("cases in the dispatch inbox: street / district supervisor",
        [" / ".join(f"{n:,}" for n in (_get(s, "inbox_dispatch") or {}).values())
         for s in stages])
    add(f"the backlog: unaccepted hotline cases of the last 48 hours in the city (loaded "
        f"{report.config.backlog:,})", [f"{_get(s, 'backlog'):,}" for s in stages])
    add("**Dashboard figures in process** (p50 / p95 ms)", ["" for _ in stages])
    for key, label in FIGURES:
        results = [_get(s, key) for s in stages]
        add(label, [_lat(r) for r in results], _latency_ratio(results[0], results[-1]))
    add("naive ÷ rollup, dashboard (p50)",
        [_x(_ratio(_get(s, "dashboard_naive").p50_ms, _get(s, "dashboard_rollup").p50_ms), 0)
         for s in stages])
    add("naive ÷ rollup, release (p50)",
        [_x(_ratio(_get(s, "release_naive").p50_ms, _get(s, "release_rollup").p50_ms), 0)
         for s in stages])
    add("**One request in process** (Django test client, no HTTP; p50 / p95 ms)",
        ["" for _ in stages])
    add("intake (POST /api/v1/cases)", [_lat(_get(s, "intake_in_process")) for s in stages],
        _latency_ratio(_get(first, "intake_in_process"), _get(last, "intake_in_process")))
    add("ping (GET /api/v1/ping)", [_lat(_get(s, "ping_in_process")) for s in stages])
    add("intake ÷ ping, time per request (p50)",
        [_x(_ratio(_get(s, "intake_in_process").p50_ms, _get(s, "ping_in_process").p50_ms),
            0) for s in stages])
    names = list(dict.fromkeys(n for s in stages for n in (_get(s, "queries") or {})))
    for name in names:
        label = _QUERY_LABELS.get(name, name)
        add(label if name.endswith("_messages") else f"SQL statements: {label}",
            [str((_get(s, "queries") or {}).get(name, "—")) for s in stages])
    add("**Point → grid** (7,000-grid city)" if report.city.get("grid") == 7000
        else f"**Point → grid** ({report.city.get('grid')} grids)", ["" for _ in stages])
    add(f"batch (locate_many, {_get(first, 'locator_points'):,} points), lookups/s",
        [_rate(_get(s, "locator_batch")) for s in stages])
    add("single (locate), lookups/s", [_rate(_get(s, "locator_single")) for s in stages])
    add("locator index build, ms",
        [_ms(_get(s, "locator_build_s") * 1000) for s in stages])
    return header, out


def _latency_ratio(a: Any, b: Any) -> str:
    if a is None or b is None:
        return "—"
    return f"{_x(_ratio(b.p50_ms, a.p50_ms))} / {_x(_ratio(b.p95_ms, a.p95_ms))}"


def _cpu(http_cpu: tuple[float | None, float | None] | None,
         in_process: tuple[float | None, float | None] | None, which: int) -> str:
    """CPU ms per intake of the application (0) or the database (1): over HTTP / in
    process."""
    cells = []
    for pair in (http_cpu, in_process):
        value = None if pair is None else pair[which]
        cells.append("not measured" if value is None else _ms(value))
    return " / ".join(cells)


def _holds(holds: Any, which: str) -> str:
    if holds is None:
        return "—"
    return f"{_ms(holds.p50(which) * 1000)} / {_ms(holds.p95(which) * 1000)}"


def _sealed(result: tuple[int, float] | None) -> str:
    if not result:
        return "—"
    count, seconds = result
    return f"{count:,}, {count / seconds:,.0f}/s" if seconds > 0 else f"{count:,}"


def targets(report: Report) -> list[tuple[str, str, bool]]:
    """(target, measured, met) for each target of the issue."""
    stages = report.stages
    first, last = stages[0], stages[-1]
    out = []
    for s in stages:
        share = _ratio(_get(s, "intake").rate, _get(s, "ping").rate)
        out.append((f"intake ÷ ping throughput over HTTP ≥ {INTAKE_SHARE:.0%} "
                    f"({_size(s.size)})", _pct(share), share >= INTAKE_SHARE))
    for s in stages:
        app, _db = _get(s, "cpu_http") or (None, None)
        in_process = (_get(s, "cpu_in_process") or (None, None))[0]
        measured = (("not measured" if app is None else f"{_ms(app)} ms")
                    + ("" if in_process is None else f" (in process {_ms(in_process)} ms)"))
        out.append((f"application CPU per intake ≤ {INTAKE_APP_CPU_MS:.0f} ms, gunicorn "
                    f"workers ({_size(s.size)})", measured,
                    app is not None and app <= INTAKE_APP_CPU_MS))
    for key, where in (("ceiling_county", "one county"), ("ceiling_city", "deployment")):
        for s in stages:
            rate = _get(s, key).rate
            out.append((f"emulated ceiling ≥ {CEILING_TARGET:,} intakes/s, {where} "
                        f"({_size(s.size)})", f"{_rate(rate)}/s", rate >= CEILING_TARGET))
    for s in stages:
        statements = (_get(s, "queries") or {}).get("intake")
        out.append((f"SQL statements per intake ≤ {INTAKE_STATEMENTS} ({_size(s.size)})",
                    "not measured" if statements is None else str(statements),
                    statements is not None and statements <= INTAKE_STATEMENTS))
    for key, label in PAGES:
        a, b = _get(first, key), _get(last, key)
        if a is None or b is None:
            out.append((f"{label}: {_size(last.size)} within 1.3× of {_size(first.size)}",
                        "not measured", False))
            continue
        ratio = _ratio(b.p50_ms, a.p50_ms)
        out.append((f"{label}: p50 at {_size(last.size)} within 1.3× of {_size(first.size)}",
                    f"{_x(ratio)} (p95 {_x(_ratio(b.p95_ms, a.p95_ms))})",
                    ratio <= LATENCY_TARGET))
    for key, label in (("dashboard_page", "dashboard page"), ("release_page", "release page")):
        result = _get(last, key)
        if result is None:
            out.append((f"{label} p95 ≤ 100 ms at {_size(last.size)}", "not measured", False))
            continue
        out.append((f"{label} p95 ≤ 100 ms at {_size(last.size)}",
                    f"{_ms(result.p95_ms)} ms", result.p95_ms <= DASHBOARD_P95_MS))
    batch = min(_get(s, "locator_batch") for s in stages)
    out.append(("point→grid ≥ 50,000 lookups/s in batch", f"{_rate(batch)}/s",
                batch >= LOCATOR_TARGET))
    return out


def _markdown_table(header: list[str], body: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return "\n".join(lines)


def render_table(report: Report, elapsed: timedelta) -> str:
    header, body = rows(report)
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = ["", "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for row in body:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    lines.append("")
    for target, measured, met in targets(report):
        lines.append(f"{'MET   ' if met else 'MISSED'}  {target}: {measured}")
    lines.append(f"\ntotal time {elapsed}")
    return "\n".join(lines)


INTRODUCTION = """\
How fast civicgrid is at the scale of a city of 10 million people (about 7,000 grids; Beijing's
12345 line takes about 65,000 requests a day), on this machine, and how that compares with the
ceilings of its own stack measured in the same run. The figures below are rewritten by every
full run; the analysis section is written by hand and kept.

## How to run

```sh
make bench                          # the registry import (100,000 and 1,000,000 rows), then
                                    # 7,000 grids, 100,000 then 1,000,000 cases; rewrites this file
make bench BENCH_ARGS=--with-5m     # adds a third stage at 5,000,000 cases
make bench BENCH_ARGS=--no-registry # the city alone
uv run python -m bench.run --help   # sizes, seconds, seed, anchor, output (DATABASE_URL: a server)
uv run python -m bench.registry_import --help   # the registry import's stage alone
```

PostgreSQL comes from `scripts/with_test_postgres.py` as for the tests (`TEST_DATABASE_URL`, else
a local server, else a throwaway cluster); the benchmark creates its own database
`civicgrid_bench_<random>` there and drops it at the end. `make test` runs it at a tiny size (300
grids, 500 then 2,000 cases, 2-second load phases; the registry import at 1,000 and 10,000
rows) and fails if any request fails, the rollup disagrees with the cases, a stage has not the
whole backlog or an import does not bring every row in and then find no change (a missed
target does not fail it).

## What the run builds

- **The city** (`bench/city.py`, seeded): 基准市 (code 3290) cut into districts, streets,
  communities and grids, each level a tiling of rectangles sized by the grids below, so every
  point of the city is in exactly one grid; GB/T 2260-style codes (street blocks 001– 街道 and
  101– 镇, community blocks 001– 社区 and 201– 村, grids numbered west→east, north→south);
  units of every kind at city, district, street and community level; a grid worker per grid and
  mediators, supervisors, police, office staff and leaders, with roles, jurisdictions, unit
  memberships and grid staffing. Written with bulk inserts.
- **The cases** (`bench/load.py`, seeded, loaded with `COPY`): one timeline over the two years
  before the run, ids rising with registration time; categories, channels, scale and flags,
  levels, a life cycle per case (status, every timestamp of each stage passed, unit, deadlines
  from the category's SLA, outcome, satisfaction, supervision), rejected and merged cases,
  hand-offs to the court. Stages nest: the 100,000 cases are every tenth case of the 1,000,000.
  Parties, timeline events and audit entries are not generated (no measured read touches
  them).
- **The backlog** (`bench/load.py`, `load_backlog`): right after the first stage's cases,
  5,000 hotline cases (tiny run: 200) nobody has dispatched yet, registered uniformly over the
  48 hours before the run: non-petition leaf categories by the generator's shares, grids by
  their weights, about 80% registered and 20% accepted, at the category's default level in
  the street's (or, at county level, the district's) dispatch queue, with the suggested unit
  and the accept or dispatch deadline. Loaded once, so every stage has the same backlog and
  the dispatch inbox can be compared between the sizes; the run fails if a stage has not all
  of it. Before the next stage is loaded, the cases the measurements registered through
  intake are closed as rejected (`work_off`), as a dispatch centre works off its queue: the
  inboxes of a stage hold its generated cases and the backlog, not the previous stage's
  intake load. After each load the rollup is rebuilt (`stats_rebuild`) and the loaded tables
  are vacuumed and analysed, as autovacuum would have done.

## What is measured, and how

- **Intake over HTTP**: the real application under gunicorn (production settings, `DEBUG` off,
  sync workers, 2 × cores), load from separate processes (multiprocessing, spawn): a fixed
  number of clients, each a loop of blocking requests, warm-up then a fixed measured duration.
  `POST /api/v1/cases` as the city's 12345 hotline would send it: its API token (created with
  a very high per-minute limit), an `Idempotency-Key` on every request, a random point of the
  city (the grid comes from the point→grid locator), a leaf category by the generator's shares
  with its required attributes, an applicant with a phone in 70% of requests; success = 201.
  Twice: at random points of the whole city (every district is a county with its own case
  numbers), then at random points of the measured district only (one county: its number
  counters and its streets' rollup rows are shared by every intake). Side by side, the same
  clients against `GET /api/v1/ping` on the same server (no authentication, no database; the
  target is intake at 25% of its throughput or more) and the same number of raw psycopg
  connections each inserting one row into a scratch table and committing (the database
  ceiling).
- **CPU per intake**, the application's and the database's apart. Over HTTP, during the
  whole-city intake phase: the CPU time of the gunicorn workers and of the PostgreSQL
  server's processes (all but other databases' client backends) from /proc at the start and
  the end of the phase, divided by the cases the phase added (its warm-up included, as in the
  CPU). In process: the benchmark's own CPU time (`time.process_time`) and its connection's
  backend's around 300 warm intakes (tiny run: 50). "not measured" when the server is not a
  process of this machine. The target is 5 ms of application CPU per intake (gunicorn).
- **The emulated many-app-server ceiling** (`bench/ceiling.py`), after the HTTP phases. An
  intake holds two contended row locks until its commit: its county's day's number counter
  (one of `CASE_NUMBER_SHARDS` shards) and the rollup row of its street, month and category
  (the audit chain is sealed in the background and takes none). During the in-process
  intakes the time from each of the two statements to the end of the commit is noted, and
  the application's work while it holds them (from the end of the first statement to the
  start of the second, from the end of that to the start of the commit; intake takes the
  rollup row first and the number as late as it can); then 48 clients (tiny run: 16; fewer
  if the server's `max_connections` would not take them) on scratch copies of the two
  tables do nothing but send, in three messages and intake's order, BEGIN, the first
  upsert and `pg_sleep` for the median work between the statements; the second upsert and
  `pg_sleep` for the median work after it; COMMIT (the number on a random shard, the
  rollup on a street and category drawn like real intakes): all in the measured district,
  then over the whole deployment. The sleeps are the server's and the round trips between the
  messages stand for the application's between its statements, so the locks are held as an
  application server working between its statements would hold them, a little longer (the
  client's turnaround, `pg_sleep`'s wake-up; it waits whole milliseconds, so each sleep is
  the whole milliseconds below the median or one more, the median on average): the emulated
  ceiling is conservative. Beside it the bound for one county: the shards ÷ the median time
  the number row is held. The target is 1,000 intakes/s for one county and for the
  deployment.
- **Worklists**: `/cases/?inbox=mine` (the inbox page) and `/api/v1/cases?inbox=mine` (the case
  list API) for a mediator of a street mediation committee, that street's supervisor and the
  district's supervisor, and the dispatch inbox (`?inbox=dispatch`, the backlog's cases in
  their queues) for the two supervisors, the dispatchers; signed in with a session; one
  request at a time through the same gunicorn after a warm-up of 2 × workers requests.
- **Dashboards**: the district dashboard (`/dashboard/?area=<district>&period=<last complete
  month>`) and the monthly safety data release (`/reports/<district>/release/?month=…`) as the
  district's leader, the same way. In process, the dashboard's figures from the rollup (the
  month, the month before, the twelve-month trend, the category mix, through
  `civicgrid.stats.selectors`) and the same figures counted naively from the cases table with
  the measures' own filters; likewise the release's figures (every district; the month, the
  month before, the same month a year before). The two ways must agree, and do.
- **Point → grid**: `grid_locator.locate_many` on 100,000 random points of the city (best of
  three) and `locate` one point at a time on 10,000.
- **One request in process**: intake and ping through Django's test client in the benchmark's
  own process, and the number of SQL statements of every measured request (of intake: the
  mean over 40 intakes at random points after 5, i.e. a process that has served intakes
  before, counting what the first intake of a county in the process still reads), and of
  intake also the messages that carry them (on PostgreSQL statements that need no answer at
  once go with the next one: civicgrid/core/rows.py `together`, ADR 0012). BEGIN and COMMIT
  are not counted.

Latencies are medians (p50) and 95th percentiles (nearest rank) in milliseconds; ratios
"1M ÷ 100k" are of the medians (and of the p95s after the slash).

"""

REGISTRY_INTRODUCTION = """\
`bench/registry_import.py`, run first by `make bench` in its own database and process (alone:
`python -m bench.registry_import --sizes 100000,1000000`). A district of 500 grids with enough
buildings and rooms for the largest size; a GA/T 1749 floating-population file (every person
a valid citizen ID, a phone and a residence in a room, one in three renting) imported by the
administrator for the district, each size (the first N rows) in a fresh child process: upload
(the encrypted copy), check (the dry run), apply, then the same file again (0 changes expected).
Rows per second of each step beside a raw `COPY` of the same rows into a bare table of text
columns (the ratio in brackets; target ≥ 0.3), and the child's peak resident memory (target: at
1,000,000 rows within 1.2× of 100,000).
"""

ANALYSIS_START = "<!-- analysis: written by hand, kept when `make bench` rewrites this file -->"
ANALYSIS_END = "<!-- end of analysis -->"


def kept_analysis(previous: str) -> str:
    """The hand-written analysis of the previous report, to carry into the new one."""
    start, end = previous.find(ANALYSIS_START), previous.find(ANALYSIS_END)
    if start < 0 or end < start:
        return ""
    return previous[start:end + len(ANALYSIS_END)]


def render_markdown(report: Report, elapsed: timedelta, analysis: str = "",
                    registry: str = "") -> str:
    cfg, m = report.config, report.machine
    header, body = rows(report)
    started = timezone.localtime(report.started)
    lines = [
        "# Benchmarks: the city-scale run (`make bench`)",
        "",
        INTRODUCTION.rstrip("\n"),
        "",
        "## Machine and run",
        "",
        f"- CPU: {m['cpu']}, {m['cores']} cores; RAM {m['ram']}; {m['os']}",
        f"- PostgreSQL {m['postgresql']} ({m['postgresql_settings']})",
        f"- Python {m['python']}, Django {m['django']}, gunicorn {m['gunicorn']} "
        f"({cfg.workers} sync workers), shapely {m['shapely']}",
        f"- Run: {started:%Y-%m-%d %H:%M} (Asia/Shanghai), {elapsed} in all "
        f"({'tiny run' if cfg.tiny else 'default sizes'}). The machine may have been shared "
        "with other work during the run: the load average was "
        f"{m.get('load_at_start', '?')} (1 / 5 / 15 minutes) when it started; before each "
        "stage it is in the notes.",
        "",
        "## Sizes",
        "",
        f"- City: {report.city['county']} districts, {report.city['street']} streets, "
        f"{report.city['community']} communities, {report.city['grid']:,} grids; "
        f"{report.city['units']:,} units, {report.city['users']:,} users (seed {cfg.seed}).",
        "- Cases: " + ", then ".join(
            f"{s.size:,} (loaded in {s.load_seconds:.0f} s, rollup rebuilt and vacuumed in "
            f"{s.rebuild_seconds:.0f} s; {s.cases:,} rows when measured)"
            for s in report.stages) + f"; and a backlog of {cfg.backlog:,} hotline cases "
        "waiting for dispatch.",
        f"- Measured for: district {report.targets['district']}, street "
        f"{report.targets['street']} (mediator `{report.targets['mediator']}`, street "
        f"supervisor `{report.targets['street supervisor']}`, district supervisor "
        f"`{report.targets['district supervisor']}`, leader `{report.targets['leader']}`), "
        f"period {report.targets['period']}.",
        f"- Load phases: {cfg.concurrency} clients in separate processes, "
        f"{cfg.warmup_seconds:.0f} s warm-up + {cfg.load_seconds:.0f} s measured; pages: "
        f"{cfg.requests} requests one at a time after a warm-up; in-process figures: "
        f"{cfg.in_process_repeats} repetitions (naive: a quarter of that, at least 3); CPU "
        f"and lock hold times around {cfg.cpu_intakes} intakes in process; the emulated "
        f"ceiling with {cfg.ceiling_clients} clients.",
        "",
        "## Figures",
        "",
        _markdown_table(header, body),
        "",
        "## Targets",
        "",
        "| target | measured | |",
        "|---|---|---|",
        *(f"| {t} | {v} | {'met' if ok else '**missed**'} |" for t, v, ok in targets(report)),
        "",
    ]
    if registry:
        lines += ["## Registry import (issue 16)", "", REGISTRY_INTRODUCTION.rstrip("\n"), "",
                  registry.rstrip("\n"), ""]
    if analysis:
        lines += [analysis, ""]
    notes = [f"{_size(s.size)}: {n}" for s in report.stages for n in s.notes]
    notes += [f"problem: {p}" for p in problems(report)]
    if notes:
        lines += ["## Notes from the run", "", *(f"- {n}" for n in notes), ""]
    return "\n".join(lines)

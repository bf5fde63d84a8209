"""The benchmark's steps once Django is set up on the benchmark database: migrate, build the
city, load each stage of cases, and measure it (in this process and over HTTP).

bench/run.py creates the database and the environment, then calls `run_bench()`.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from django.core.management import call_command
from django.db import connection, connections
from django.db.models import Count, DateField, F
from django.db.models.functions import Substr, TruncMonth
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from bench import ceiling, http
from bench.city import CITY_BOX, CITY_CODE, Box, CityIndex, CityPlan, city_load, city_plan
from bench.load import (
    PHRASES,
    Stage,
    Timeline,
    World,
    load_backlog,
    load_cases,
    work_off,
    world_build,
)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Config:
    grids: int
    sizes: tuple[int, ...]
    seed: int
    anchor: datetime
    load_seconds: float  # measured duration of each concurrent load phase
    warmup_seconds: float
    requests: int  # sequential requests per page
    page_seconds: float  # at most this long per page
    in_process_repeats: int
    workers: int
    concurrency: int
    tiny: bool
    backlog: int  # unaccepted hotline cases loaded after the first stage's cases
    cpu_intakes: int  # intakes in process around which CPU and lock hold times are measured
    ceiling_clients: int  # connections of the emulated many-app-server ceiling


@dataclass
class Timed:
    """Latencies of an in-process computation (seconds)."""

    name: str
    latencies: list[float] = field(default_factory=list)

    @property
    def p50_ms(self) -> float:
        return http.percentile(self.latencies, 50) * 1000

    @property
    def p95_ms(self) -> float:
        return http.percentile(self.latencies, 95) * 1000


@dataclass
class StageResult:
    size: int
    cases: int  # rows in the cases table when measured
    load_seconds: float
    rebuild_seconds: float
    results: dict[str, Any] = field(default_factory=dict)  # name -> http.Result | Timed | float
    notes: list[str] = field(default_factory=list)


@dataclass
class Report:
    config: Config
    machine: dict[str, str]
    started: datetime
    setup: dict[str, float]
    city: dict[str, int]
    targets: dict[str, str]  # who the worklists and dashboards were measured for
    stages: list[StageResult]
    finished: datetime | None = None


def timed(name: str, fn: Callable[[], Any], repeats: int, warmup: int = 1) -> Timed:
    for _ in range(warmup):
        fn()
    out = Timed(name)
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.latencies.append(time.perf_counter() - t0)
    return out


# --- set-up --------------------------------------------------------------------------------

def machine_facts() -> dict[str, str]:
    import platform

    import django

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text()
                  .splitlines() if line.startswith("MemTotal"))
        ram = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        ram = "unknown"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
        settings = {}
        for name in ("shared_buffers", "fsync", "synchronous_commit", "work_mem",
                     "max_connections"):
            cursor.execute(f"SHOW {name}")
            settings[name] = cursor.fetchone()[0]
    import gunicorn
    import shapely

    return {
        "cpu": cpu, "cores": str(http.cores()), "ram": ram,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(), "django": django.get_version(),
        "postgresql": pg_version,
        "postgresql_settings": ", ".join(f"{k}={v}" for k, v in settings.items()),
        "gunicorn": gunicorn.__version__, "shapely": shapely.__version__,
    }


def setup_database() -> dict[str, float]:
    out = {}
    t0 = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    out["migrate"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    call_command("collectstatic", interactive=False, verbosity=0)
    out["collectstatic"] = time.perf_counter() - t0
    return out


def settle(max_seconds: float) -> str:
    """Let the machine calm down before measuring: a checkpoint now (so that the bulk
    load's dirty pages are not written during the measurements) and up to `max_seconds`
    for the 1-minute load average to fall below half the cores. Returns the load average."""
    from django.db import DatabaseError

    try:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError:  # not a superuser: the server checkpoints on its own schedule
        pass
    deadline = time.monotonic() + max_seconds
    while os.getloadavg()[0] > http.cores() / 2 and time.monotonic() < deadline:
        time.sleep(2)
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def vacuum_analyze() -> None:
    """What autovacuum would have done by now in production: visibility map and
    statistics for the bulk-loaded tables."""
    with connection.cursor() as cursor:
        for table in ("cases_case", "cases_handoff", "stats_casestat", "areas_area",
                      "units_unit", "accounts_user", "accounts_userjurisdiction",
                      "units_unitmembership"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")


# --- who is measured ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Subjects:
    district: str
    district_box: Box
    street: str
    mediator: str
    street_supervisor: str
    district_supervisor: str
    leader: str
    period: str  # YYYY-MM: the last complete month before the anchor

    @property
    def users(self) -> dict[str, str]:
        return {"mediator": self.mediator, "street": self.street_supervisor,
                "district": self.district_supervisor, "leader": self.leader}


def choose_subjects(plan: CityPlan, anchor: datetime) -> Subjects:
    """A typical district (median number of grids) and its typical street."""
    grids = plan.grids

    def median_by_count(codes: list[str], length: int) -> str:
        counts = {c: sum(1 for g in grids if g.code[:length] == c) for c in codes}
        ordered = sorted(codes, key=lambda c: (counts[c], c))
        return ordered[len(ordered) // 2]

    district = median_by_count([d.code for d in plan.districts], 6)
    street = median_by_count([s.code for s in plan.level("street")
                              if s.code.startswith(district)], 9)
    local = timezone.localtime(anchor).date().replace(day=1)
    previous = date(local.year - (local.month == 1), (local.month - 2) % 12 + 1, 1)
    box = next(d.box for d in plan.districts if d.code == district)
    assert box is not None
    return Subjects(district, box, street, f"tj{street}a", f"zx{street}", f"zx{district}",
                    f"ld{district}", f"{previous:%Y-%m}")


def session_cookie(username: str) -> str:
    from django.conf import settings
    from django.test import Client

    from civicgrid.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def intake_spec(token: str, seed: int, box: Box = CITY_BOX) -> dict[str, Any]:
    """What the intake clients need: leaf categories with their required attributes."""
    from bench.load import load_categories
    from civicgrid.cases.models import Category

    shares = load_categories(seed)
    weight_by_code = dict(zip(shares.codes, shares.weights.tolist(), strict=True))
    categories = []
    for category in (Category.objects.filter(active=True, children__isnull=True)
                     .prefetch_related("attributes").order_by("code")):
        required = [(a.code, a.datatype, str(a.values[0][0]) if a.values else "")
                    for a in category.attributes.all() if a.required]
        categories.append({"code": category.code, "required": required})
    descriptions = [p for phrases in PHRASES.values() for p in phrases]
    return {"kind": "intake", "token": token, "box": box, "categories": categories,
            "weights": [weight_by_code.get(c["code"], 0.001) for c in categories],
            "descriptions": descriptions, "expect": 201, "idempotency": True}


def api_token() -> str:
    from civicgrid.api.models import TokenAction
    from civicgrid.api.services import api_token_create
    from civicgrid.units.models import Unit

    _token, plain = api_token_create(
        name="12345热线(基准测试)", unit=Unit.objects.get(code=f"{CITY_CODE}-rx"),
        actions=[TokenAction.CASES_CREATE], actor=None, rate_limit_per_minute=10**9)
    return plain


def release_path(district: str, month: str) -> str | None:
    """The monthly safety data release page (civicgrid/reports), if that URL exists."""
    try:
        return reverse("reports:release", kwargs={"code": district}) + f"?month={month}"
    except NoReverseMatch:
        return None


# --- in-process measurements ------------------------------------------------------------------

def measure_locator(cfg: Config, results: dict[str, Any]) -> None:
    from civicgrid.areas.locator import grid_locator

    rng = np.random.default_rng([cfg.seed, 303])
    west, south, east, north = CITY_BOX
    n = 100_000 if not cfg.tiny else 20_000
    points = list(zip(rng.uniform(west, east, n).tolist(), rng.uniform(south, north, n).tolist(),
                      strict=True))
    grid_locator.invalidate()
    t0 = time.perf_counter()
    found = grid_locator.locate_many(points[:10])
    results["locator_build_s"] = time.perf_counter() - t0
    if any(f is None for f in found):
        raise RuntimeError("a point of the city is in no grid: the tiling is broken")
    best = min(timed("batch", lambda: grid_locator.locate_many(points), 3).latencies)
    results["locator_batch"] = n / best
    results["locator_points"] = n
    singles = points[: (10_000 if not cfg.tiny else 2_000)]
    t0 = time.perf_counter()
    for lng, lat in singles:
        grid_locator.locate(lng, lat)
    results["locator_single"] = len(singles) / (time.perf_counter() - t0)


def _naive(area_code: str, first: datetime, after: datetime, group: Any = None
           ) -> dict[Any, dict[str, int]]:
    """Every measure counted straight from the cases table (what the dashboard would cost
    without the rollup): one aggregate per time field, optionally grouped."""
    from civicgrid.cases.models import Case
    from civicgrid.stats.measures import MEASURES, NAMES

    out: dict[Any, dict[str, int]] = {}
    base = Case.objects.filter(area_code__startswith=area_code)
    for by_closing, time_field in ((False, "registered_at"), (True, "closed_at")):
        measures = [m for m in MEASURES if m.by_closing == by_closing]
        qs = base.filter(**{f"{time_field}__gte": first, f"{time_field}__lt": after})
        aggregates = {f"m_{m.name}": Count("pk", filter=m.q) for m in measures}
        if group is None:
            rows = [qs.aggregate(**aggregates)]
        else:
            grouping = group(time_field) if callable(group) else group
            rows = list(qs.annotate(g=grouping).values("g").annotate(**aggregates).order_by())
        for row in rows:
            totals = out.setdefault(row.get("g"), dict.fromkeys(NAMES, 0))
            for m in measures:
                totals[m.name] += row[f"m_{m.name}"] or 0
    return out


def _by_month(time_field: str) -> TruncMonth:
    return TruncMonth(time_field, output_field=DateField(), tzinfo=timezone.get_current_timezone())


def measure_figures(cfg: Config, subjects: Subjects, results: dict[str, Any],
                    notes: list[str]) -> None:
    """The dashboard's and the release's figures from the rollup and, the same figures,
    counted naively from the cases table; both timed the same way, and compared."""
    from civicgrid.areas.models import Area
    from civicgrid.stats import selectors as s

    period = s.Period.parse(subjects.period)
    trend = s.Period(period.shifted(-(s.TREND_MONTHS - 1)).start, period.end)
    district = subjects.district

    def rollup_dashboard():
        return (s.measure_totals(area_code=district, period=period),
                s.measure_totals(area_code=district, period=period.previous),
                s.totals_by_month(area_code=district, period=trend),
                s.totals_by_category(area_code=district, period=period))

    def naive_dashboard():
        return (_naive(district, *period.bounds).get(None),
                _naive(district, *period.previous.bounds).get(None),
                _naive(district, *trend.bounds, group=_by_month),
                _naive(district, *period.bounds, group=F("category_id")))

    city = Area.objects.get(code=CITY_CODE)
    months = (period, period.previous, period.year_before)

    def rollup_release():
        return [s.totals_by_child(area=city, period=p) for p in months]

    def naive_release():
        return [_naive(CITY_CODE, *p.bounds, group=Substr("area_code", 1, 6)) for p in months]

    repeats = cfg.in_process_repeats
    results["dashboard_rollup"] = timed("dashboard figures, rollup", rollup_dashboard, repeats)
    results["dashboard_naive"] = timed("dashboard figures, naive", naive_dashboard,
                                       max(3, repeats // 4))
    results["release_rollup"] = timed("release figures, rollup", rollup_release, repeats)
    results["release_naive"] = timed("release figures, naive", naive_release,
                                     max(3, repeats // 4))
    # The two ways must agree (the rollup was rebuilt from these very cases).
    r_totals, r_prev, r_months, r_cats = rollup_dashboard()
    n_totals, n_prev, n_months, n_cats = naive_dashboard()
    zero = dict.fromkeys(r_totals, 0)
    agree = (r_totals == (n_totals or zero) and r_prev == (n_prev or zero)
             and all(r_months[m] == n_months.get(m, zero) for m in r_months)
             and {k: v for k, v in r_cats.items() if any(v.values())}
             == {k: v for k, v in n_cats.items() if k is not None and any(v.values())})
    results["figures_agree"] = agree
    if not agree:
        notes.append("the rollup and the naive count of the dashboard figures differ")


def page_plan(subjects: Subjects) -> list[tuple[str, str, str]]:
    """(result name, path, who) of every page measured one request at a time."""
    pages = []
    for who in ("mediator", "street", "district"):
        pages.append((f"inbox_page_{who}", "/cases/?inbox=mine", who))
        pages.append((f"case_api_{who}", "/api/v1/cases?inbox=mine", who))
    # The dispatch inbox (待分派: the registered and accepted cases of the queues) of the
    # two dispatchers, the street's and the district's supervisors: the backlog's.
    for who in ("street", "district"):
        pages.append((f"dispatch_page_{who}", "/cases/?inbox=dispatch", who))
        pages.append((f"dispatch_api_{who}", "/api/v1/cases?inbox=dispatch", who))
    # The same person's full first page (全部: the 50 newest cases in scope) holds 50 rows
    # at every size: latency against the size of the data, the content being equal.
    for who in ("mediator", "street", "district"):
        pages.append((f"all_page_{who}", "/cases/?inbox=all", who))
        pages.append((f"all_api_{who}", "/api/v1/cases?limit=50", who))
    pages.append(("dashboard_page",
                  f"/dashboard/?area={subjects.district}&period={subjects.period}", "leader"))
    release = release_path(subjects.district, subjects.period)
    if release:
        pages.append(("release_page", release, "leader"))
    return pages


INTAKE_QUERY_WARMUP, INTAKE_QUERY_SAMPLE = 5, 40


def statements(captured: list[dict[str, str]]) -> int:
    """SQL statements in the captured messages: on PostgreSQL a message may carry several
    (civicgrid/core/rows.py `together`, joined by its SEPARATOR)."""
    from civicgrid.core.rows import SEPARATOR

    return sum(1 + q["sql"].count(SEPARATOR) for q in captured)


def measure_in_process(cfg: Config, subjects: Subjects, token: str, size: int,
                       pages: list[tuple[str, str, str]], results: dict[str, Any]) -> None:
    """The same requests through Django's test client in this process (no HTTP, no other
    process): how many SQL queries each makes, and what intake and ping cost alone."""
    import random

    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from civicgrid.accounts.models import User
    from civicgrid.cases.selectors import inbox_counts

    counts = {who: inbox_counts(actor=User.objects.get(username=subjects.users[who]))
              for who in ("mediator", "street", "district")}
    results["inbox_mine"] = {who: c["mine"] for who, c in counts.items()}
    results["inbox_dispatch"] = {who: counts[who]["dispatch"] for who in ("street", "district")}
    queries: dict[str, int] = {}
    for name, path, who in pages:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get(username=subjects.users[who]))
        client.get(path)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{name}: GET {path} answered {response.status_code}")
        queries[name] = statements(ctx.captured_queries)
    client = Client(HTTP_HOST="127.0.0.1")
    spec = intake_spec(token, cfg.seed)
    rng = random.Random(f"{cfg.seed}:{size}")  # noqa: S311  (new Idempotency-Keys per stage)

    def intake() -> None:
        _method, path, body, headers = http.intake_request(spec, rng)
        extra = {k: v for k, v in headers.items() if k != "Content-Type"}
        response = client.post(path, data=body, content_type="application/json",
                               headers=extra)
        if response.status_code != 201:
            raise RuntimeError(f"intake answered {response.status_code}: "
                               f"{response.content[:300]!r}")

    def ping() -> None:
        client.get("/api/v1/ping")

    # Statements per intake in the steady state: a process that has served intakes before
    # (its reference data read), then the mean over the next ones at random points of the
    # city — what a county's first intake in the process still reads is counted in.
    for _ in range(INTAKE_QUERY_WARMUP):
        intake()
    with CaptureQueriesContext(connection) as ctx:
        for _ in range(INTAKE_QUERY_SAMPLE):
            intake()
    queries["intake"] = round(statements(ctx.captured_queries) / INTAKE_QUERY_SAMPLE, 1)
    queries["intake_messages"] = round(len(ctx.captured_queries) / INTAKE_QUERY_SAMPLE, 1)
    queries["ping"] = 0
    results["queries"] = queries
    results["intake_in_process"] = timed("intake", intake, 10 if cfg.tiny else 50, warmup=3)
    results["ping_in_process"] = timed("ping", ping, 100 if cfg.tiny else 500, warmup=10)
    # CPU per intake, this process's (the application) and its connection's backend's (the
    # database), and how long each intake held its contended row locks (bench/ceiling.py).
    backend = backend_pid()
    app, db = time.process_time(), backend_cpu(backend)
    with ceiling.lock_holds(connections["default"]) as holds:
        for _ in range(cfg.cpu_intakes):
            intake()
    app_ms = (time.process_time() - app) * 1000 / cfg.cpu_intakes
    db_after = backend_cpu(backend) if backend_pid() == backend else None
    results["cpu_in_process"] = (
        app_ms, None if db is None or db_after is None
        else (db_after - db) * 1000 / cfg.cpu_intakes)
    if len(holds.number) != cfg.cpu_intakes:
        raise RuntimeError(f"the lock hold times of {len(holds.number)} intakes of "
                           f"{cfg.cpu_intakes} were noted")
    results["lock_holds"] = holds


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid: int = cursor.fetchone()[0]
    return pid


def backend_cpu(pid: int) -> float | None:
    """CPU seconds this connection's backend has used, None if the server is not a process
    of this machine (a remote server, or another pid namespace)."""
    return http.cpu_seconds([pid], "postgres").get(pid)


def database_cpu() -> dict[int, float] | None:
    """CPU seconds each process of the PostgreSQL server has used, but for the client
    backends of other databases (several runs may share the server); None if the server is
    not a process of this machine."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' "
                       "AND datname IS DISTINCT FROM current_database()")
        others = {pid for (pid,) in cursor.fetchall()}
    own = backend_pid()
    pids = [pid for pid, _ppid, name in http.processes() if name == "postgres"
            and pid not in others]
    return http.cpu_seconds(pids, "postgres") if own in pids else None


@dataclass(frozen=True)
class CpuSample:
    """CPU seconds used so far by each gunicorn worker and by each of the database's server
    processes (None: not measurable here)."""

    app: dict[int, float]
    db: dict[int, float] | None


def cpu_sample(server: http.Server) -> CpuSample:
    return CpuSample(http.cpu_seconds(server.worker_pids()), database_cpu())


def cpu_per_intake(before: CpuSample, after: CpuSample, intakes: int
                   ) -> tuple[float | None, float | None]:
    """Application and database CPU ms per intake between the two samples."""
    if intakes <= 0:
        return None, None
    app = http.cpu_used(before.app, after.app) * 1000 / intakes if after.app else None
    db = (http.cpu_used(before.db, after.db) * 1000 / intakes
          if before.db is not None and after.db is not None else None)
    return app, db


# --- one stage ------------------------------------------------------------------------------

def measure_stage(cfg: Config, env: dict[str, str], db_url: str, workdir: Path, world: World,
                  subjects: Subjects, token: str, stage: StageResult) -> None:
    from civicgrid.cases.models import Case

    results, notes = stage.results, stage.notes
    log("checkpoint, and a pause for the load average to fall")
    notes.append(f"load average when measuring began: {settle(5 if cfg.tiny else 60)} "
                 "(1 / 5 / 15 minutes; this includes the benchmark's own loading)")
    results["cpu_before"] = http.cpu_calibration()
    log("point→grid locator")
    measure_locator(cfg, results)
    log("dashboard and release figures in process (rollup and naive)")
    measure_figures(cfg, subjects, results, notes)

    pages = page_plan(subjects)
    if not any(name == "release_page" for name, _path, _who in pages):
        notes.append("the monthly release page (reports:release) does not exist yet: "
                     "not measured")
    log("requests in process: SQL queries and time of intake, ping and each page")
    measure_in_process(cfg, subjects, token, stage.size, pages, results)
    cookies = {who: {"Cookie": session_cookie(username)}
               for who, username in subjects.users.items()}

    server = http.Server(env, workers=cfg.workers, log=workdir / f"gunicorn-{stage.size}.log")
    log(f"gunicorn with {cfg.workers} workers")
    with server:
        for name, path, who in pages:
            log(f"sequential {name}: {path}")
            results[name] = http.sequential(
                name, port=server.port, path=path, headers=cookies[who],
                count=cfg.requests, warmup=2 * cfg.workers, max_seconds=cfg.page_seconds)
        log(f"ping: GET /api/v1/ping × {cfg.concurrency} clients")
        results["ping"] = http.run_load(
            "ping", port=server.port, spec={"kind": "get", "path": "/api/v1/ping"},
            concurrency=cfg.concurrency, duration=cfg.load_seconds, warmup=cfg.warmup_seconds)
        log(f"intake, whole city: POST /api/v1/cases × {cfg.concurrency} clients (and the "
            "CPU of the workers and of the database)")
        # The intakes are the cases the phase added, those of its warm-up too, as the CPU
        # read around it counts theirs; counted outside the CPU window (it costs some).
        cases = Case.objects.count()
        before = cpu_sample(server)
        results["intake"] = http.run_load(
            "intake", port=server.port, spec=intake_spec(token, cfg.seed),
            concurrency=cfg.concurrency, duration=cfg.load_seconds,
            warmup=cfg.warmup_seconds, seed=stage.size % 9973)
        after = cpu_sample(server)
        results["cpu_http"] = cpu_per_intake(before, after, Case.objects.count() - cases)
        log(f"intake, one county ({subjects.district}): POST /api/v1/cases × "
            f"{cfg.concurrency} clients")
        results["intake_county"] = http.run_load(
            "intake_county", port=server.port,
            spec=intake_spec(token, cfg.seed, subjects.district_box),
            concurrency=cfg.concurrency, duration=cfg.load_seconds,
            warmup=cfg.warmup_seconds, seed=stage.size % 9973 + 1)
    connections.close_all()
    log(f"database ceiling: INSERT + COMMIT × {cfg.concurrency} connections")
    results["db_ceiling"] = http.run_db_load(
        "db", url=db_url, concurrency=cfg.concurrency, duration=cfg.load_seconds,
        warmup=cfg.warmup_seconds)
    clients = ceiling.client_limit(cfg.ceiling_clients)
    if clients < cfg.ceiling_clients:
        notes.append(f"emulated ceiling: {clients} clients, not {cfg.ceiling_clients} (the "
                     "server's max_connections)")
    log(f"emulated many-app-server ceiling: {clients} clients holding the intake's row locks, "
        f"in {subjects.district}, then over the deployment")
    results.update(ceiling.run_phases(
        url=db_url, holds=results["lock_holds"], city=ceiling.draws(world, CITY_CODE),
        county=ceiling.draws(world, subjects.district), clients=clients,
        duration=cfg.load_seconds, warmup=cfg.warmup_seconds, seed=stage.size % 9973))
    log("audit sealer: the entries the stage's intakes wrote")
    from civicgrid.audit.services import audit_seal

    started = time.perf_counter()
    sealed = audit_seal(wait=True)
    results["audit_seal"] = (sealed, time.perf_counter() - started)
    results["cpu_after"] = http.cpu_calibration()
    for key in ("intake", "intake_county"):
        if results[key].failed:
            notes.append(f"{key} answers: {dict(results[key].statuses)}")
            log(f"{key} failures; the server log ends with:\n{http.tail(server.log, 60)}")


# --- the whole run --------------------------------------------------------------------------

def run_bench(cfg: Config, env: dict[str, str], db_url: str, workdir: Path) -> Report:
    from civicgrid.cases.models import Case
    from civicgrid.stats.rollups import stats_differences, stats_rebuild

    report = Report(config=cfg, machine=machine_facts(), started=timezone.now(), setup={},
                    city={}, targets={}, stages=[])
    report.machine["load_at_start"] = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    log("migrate and collectstatic")
    report.setup.update(setup_database())
    log(f"city: {cfg.grids} grids")
    t0 = time.perf_counter()
    plan = city_plan(grids=cfg.grids, seed=cfg.seed)
    index: CityIndex = city_load(plan)
    report.setup["city"] = time.perf_counter() - t0
    report.city = {level: len(plan.level(level)) for level in
                   ("county", "street", "community", "grid")}
    report.city["units"] = len(index.unit_ids)
    report.city["users"] = len(index.user_ids)
    world: World = world_build(plan=plan, index=index, seed=cfg.seed)
    total = max(cfg.sizes)
    timeline = Timeline.build(anchor=cfg.anchor, total=total)
    subjects = choose_subjects(plan, cfg.anchor)
    report.targets = {
        "district": subjects.district, "street": subjects.street,
        "mediator": subjects.mediator, "street supervisor": subjects.street_supervisor,
        "district supervisor": subjects.district_supervisor, "leader": subjects.leader,
        "period": subjects.period}
    token = api_token()
    previous = 0
    backlog = range(0)
    for size in cfg.sizes:
        stage = Stage(size=size, previous=previous, total=total, first=cfg.sizes[0])
        if previous:
            log(f"the previous stage's intakes worked off: {work_off(backlog.stop):,} cases")
        log(f"loading cases up to {size:,}")
        t0 = time.perf_counter()
        loaded = load_cases(world, timeline, stage, now=cfg.anchor.timestamp())
        if not previous:
            log(f"the backlog: {cfg.backlog:,} unaccepted hotline cases")
            backlog = load_backlog(world, timeline, cfg.backlog, now=cfg.anchor.timestamp())
        load_s = time.perf_counter() - t0
        log(f"loaded {loaded:,} cases in {load_s:.1f}s; rebuilding the rollup")
        t0 = time.perf_counter()
        stats_rebuild()
        vacuum_analyze()
        rebuild_s = time.perf_counter() - t0
        result = StageResult(size=size, cases=Case.objects.count(), load_seconds=load_s,
                             rebuild_seconds=rebuild_s)
        # Nothing of the run dispatches a case: the whole backlog is in every stage.
        result.results["backlog"] = Case.objects.filter(
            pk__gte=backlog.start, pk__lt=backlog.stop,
            status__in=("registered", "accepted")).count()
        if cfg.tiny:
            differences = stats_differences()
            if differences:
                raise RuntimeError(f"rollup differs from the cases: {differences[:5]}")
        measure_stage(cfg, env, db_url, workdir, world, subjects, token, result)
        report.stages.append(result)
        previous = size
    report.finished = timezone.now()
    return report


def problems(report: Report) -> list[str]:
    """What went wrong in the run: failed requests, figures that disagree."""
    out = []
    for stage in report.stages:
        for name, result in stage.results.items():
            if isinstance(result, http.Result) and result.failed:
                out.append(f"{stage.size:,} cases, {name}: {result.failed} of {result.total} "
                           f"requests failed ({dict(result.statuses)})")
        if stage.results.get("figures_agree") is False:
            out.append(f"{stage.size:,} cases: the rollup and the naive count disagree")
        if stage.results.get("backlog") != report.config.backlog:
            out.append(f"{stage.size:,} cases: {stage.results.get('backlog')} cases of the "
                       f"backlog waiting for dispatch, not {report.config.backlog}")
    return out



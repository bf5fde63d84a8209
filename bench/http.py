"""gunicorn for the benchmark, and the load generators that run against it.

`Server` starts the real WSGI application under gunicorn (sync workers, 2 × cores by
default, production settings) on a free port and stops it again. `run_load()` drives it
from separate processes (multiprocessing, spawn): a fixed number of concurrent clients,
each a loop of blocking requests on one http.client connection (reopened when the server
closes it, which gunicorn's sync workers do after every response), for a warm-up and then
a fixed measured duration. `run_db_load()` does the same with raw psycopg single-row
INSERT + COMMIT loops (the database ceiling); `run_clients()` is the harness of both (and of
bench/ceiling.py). `sequential()` measures the latency of one page at a time;
`cpu_seconds()` reads the CPU time of processes from /proc.

No Django imports here: the client processes start from a bare interpreter.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
BASE_DIR = Path(__file__).resolve().parent.parent


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0…100) of the values; NaN for none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class Result:
    """Throughput and latency of one measured phase (latencies in seconds)."""

    name: str
    duration: float
    ok: int
    failed: int
    latencies: list[float] = field(default_factory=list, repr=False)
    statuses: Counter = field(default_factory=Counter)
    concurrency: int = 1

    @property
    def total(self) -> int:
        return self.ok + self.failed

    @property
    def rate(self) -> float:
        return self.ok / self.duration if self.duration else 0.0

    @property
    def success(self) -> float:
        return self.ok / self.total if self.total else 0.0

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies, 50) * 1000

    @property
    def p95_ms(self) -> float:
        return percentile(self.latencies, 95) * 1000


# --- the server ---------------------------------------------------------------------------------

class Server:
    """gunicorn serving config.wsgi with the given environment, on a free local port."""

    def __init__(self, env: dict[str, str], *, workers: int, log: Path) -> None:
        self.env = env
        self.workers = workers
        self.log = log
        self.port = 0
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 90) -> None:
        self.port = free_port()
        command = [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--bind", f"{HOST}:{self.port}", "--workers", str(self.workers),
            "--worker-class", "sync", "--timeout", "120", "--backlog", "2048",
            "--error-logfile", str(self.log), "--log-level", "warning",
        ]
        with open(self.log, "ab") as output:  # Django logs errors to the worker's stderr
            self.process = subprocess.Popen(  # noqa: S603 - argument list, no shell
                command, env=self.env, cwd=BASE_DIR, start_new_session=True,
                stdout=output, stderr=output)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see "
                                   f"{self.log}:\n{tail(self.log)}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
                conn.request("GET", "/api/v1/ping")
                conn.getresponse().read()
                conn.close()
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {timeout}s; see {self.log}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)  # the arbiter stops its workers
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def worker_pids(self) -> list[int]:
        """The worker processes (the arbiter's children)."""
        if self.process is None:
            return []
        return [pid for pid, ppid, _name in processes() if ppid == self.process.pid]

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --- requests ---------------------------------------------------------------------------------

def intake_request(spec: dict[str, Any], rng: random.Random) -> tuple[str, str, bytes, dict]:
    """POST /api/v1/cases: a hotline case at a random point of the city, as the city's
    12345 hotline sends it (token, Idempotency-Key, usually an applicant with a phone)."""
    category = rng.choices(spec["categories"], weights=spec["weights"])[0]
    west, south, east, north = spec["box"]
    attributes = {}
    for code, datatype, value in category["required"]:
        if datatype == "number":
            attributes[code] = rng.randint(1, 50_000)
        elif datatype == "datetime":
            attributes[code] = time.strftime("%Y-%m-%dT%H:%M:%S+08:00",
                                             time.gmtime(time.time() + 8 * 3600 - 3600))
        elif datatype == "multivaluelist":
            attributes[code] = [value]
        elif datatype == "singlevaluelist":
            attributes[code] = value
        else:
            attributes[code] = "基准测试"
    body: dict[str, Any] = {
        "category": category["code"],
        "description": rng.choice(spec["descriptions"]),
        "lng": round(rng.uniform(west, east), 6),
        "lat": round(rng.uniform(south, north), 6),
        "channel": "hotline",
        "attributes": attributes,
    }
    if rng.random() < 0.7:
        body["parties"] = [{"role": "applicant", "name": "市民" + str(rng.randint(1, 9999)),
                            "phone": f"139{rng.randint(0, 99_999_999):08d}"}]
    headers = {"Authorization": f"Bearer {spec['token']}",
               "Content-Type": "application/json"}
    if spec.get("idempotency", True):
        headers["Idempotency-Key"] = str(uuid.UUID(int=rng.getrandbits(128)))
    return "POST", "/api/v1/cases", json.dumps(body, ensure_ascii=False).encode(), headers


def _make_request(spec: dict[str, Any], rng: random.Random) -> tuple[str, str, bytes | None,
                                                                      dict]:
    if spec["kind"] == "intake":
        return intake_request(spec, rng)
    return "GET", spec["path"], None, dict(spec.get("headers", {}))


def _send(conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None,
          headers: dict) -> int:
    """One request on a kept-alive connection: the answer's status, 0 if it failed."""
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.will_close:
            conn.close()
        return response.status
    except (OSError, http.client.HTTPException):
        conn.close()
        return 0


def _http_client(args: tuple) -> Part:
    """One client: requests back to back from `start` until `end`; what starts before
    `measure_from` is warm-up and is not recorded."""
    port, spec, seed, start, measure_from, end = args
    rng = random.Random(seed)  # noqa: S311 (load, not security)
    expected = spec.get("expect", 200)
    time.sleep(max(0.0, start - time.time()))
    conn = http.client.HTTPConnection(HOST, port, timeout=120)
    latencies: list[float] = []
    ok = failed = 0
    statuses: Counter = Counter()
    while True:
        began = time.time()
        if began >= end:
            break
        method, path, body, headers = _make_request(spec, rng)
        t0 = time.perf_counter()
        status = _send(conn, method, path, body, headers)
        elapsed = time.perf_counter() - t0
        if began < measure_from:
            continue
        statuses[status] += 1
        if status == expected:
            ok += 1
            latencies.append(elapsed)
        else:
            failed += 1
    conn.close()
    return latencies, ok, failed, dict(statuses)


def _pool(concurrency: int):
    return multiprocessing.get_context("spawn").Pool(concurrency)


Part = tuple[list[float], int, int, dict[Any, int]]  # latencies, ok, failed, statuses


def run_clients(name: str, client: Callable[[tuple], Part], args: list[tuple], *,
                duration: float, warmup: float, concurrency: int | None = None) -> Result:
    """`client(arg + (start, measure_from, end))` for each arg, each in a process of its own,
    all starting together: `warmup` seconds not recorded, then `duration` seconds measured.
    `concurrency`: how many clients that is (default: one per process)."""
    with _pool(len(args)) as pool:
        pool.map(time.sleep, [0] * len(args))  # the processes are up before the clock runs
        start = time.time() + 0.5
        measure_from = start + warmup
        end = measure_from + duration
        parts = pool.map(client, [(*arg, start, measure_from, end) for arg in args])
    return _merge(name, parts, duration, concurrency or len(args))


def run_load(name: str, *, port: int, spec: dict[str, Any], concurrency: int,
             duration: float, warmup: float, seed: int = 1) -> Result:
    """`concurrency` clients in separate processes, `warmup` + `duration` seconds."""
    return run_clients(name, _http_client,
                       [(port, spec, seed * 1000 + i) for i in range(concurrency)],
                       duration=duration, warmup=warmup)


def _merge(name: str, parts: list[Part], duration: float, concurrency: int) -> Result:
    result = Result(name, duration, 0, 0, concurrency=concurrency)
    for latencies, ok, failed, statuses in parts:
        result.latencies += latencies
        result.ok += ok
        result.failed += failed
        result.statuses.update(statuses)
    return result


# --- the database ceiling ---------------------------------------------------------------------

CEILING_TABLE = "bench_ceiling"
CEILING_DDL = f"""
CREATE TABLE IF NOT EXISTS {CEILING_TABLE} (
    id bigserial PRIMARY KEY,
    number varchar(24) NOT NULL,
    area_code varchar(15) NOT NULL,
    description text NOT NULL,
    registered_at timestamptz NOT NULL
)"""


def _db_client(args: tuple) -> Part:
    """One connection: INSERT one row and COMMIT (autocommit), back to back."""
    import psycopg

    url, seed, start, measure_from, end = args
    rng = random.Random(seed)  # noqa: S311
    time.sleep(max(0.0, start - time.time()))
    latencies: list[float] = []
    ok = 0
    sql = (f"INSERT INTO {CEILING_TABLE} (number, area_code, description, registered_at) "  # noqa: S608
           "VALUES (%s, %s, %s, now())")
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            began = time.time()
            if began >= end:
                break
            params = (f"C-{seed}-{rng.getrandbits(40)}", f"3290{rng.randint(0, 10**11):011d}",
                      "基准测试:单行插入并提交")
            t0 = time.perf_counter()
            conn.execute(sql, params)
            elapsed = time.perf_counter() - t0
            if began >= measure_from:
                ok += 1
                latencies.append(elapsed)
    return latencies, ok, 0, {}


def run_db_load(name: str, *, url: str, concurrency: int, duration: float,
                warmup: float) -> Result:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(CEILING_DDL)
    try:
        return run_clients(name, _db_client, [(url, i + 1) for i in range(concurrency)],
                           duration=duration, warmup=warmup)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP TABLE IF EXISTS {CEILING_TABLE}")


# --- how much CPU the machine gives us -------------------------------------------------

def _spin(n: int) -> float:
    t0 = time.perf_counter()
    acc = 0
    for i in range(n):
        acc += i * i % 7
    return time.perf_counter() - t0


def cpu_calibration(n: int = 3_000_000) -> float:
    """Millions of loop iterations per second, one fixed pure-Python loop on every core at
    once: a machine shared with other work gives less, so stages measured minutes apart
    can be compared for the CPU they had."""
    workers = cores()
    with _pool(workers) as pool:
        pool.map(time.sleep, [0] * workers)
        elapsed = pool.map(_spin, [n] * workers)
    return workers * n / max(elapsed) / 1e6


# --- CPU time of processes (Linux /proc) ---------------------------------------------------

def _proc_stat(pid: int) -> tuple[str, list[str]] | None:
    """The command name of a process and the fields after it in /proc/<pid>/stat (the
    first is field 3, the state); None if this machine does not show the process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        return None
    head, _paren, rest = text.rpartition(")")
    return head.partition("(")[2], rest.split()


def processes() -> list[tuple[int, int, str]]:
    """(pid, parent pid, command name) of every process /proc shows."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _proc_stat(int(entry.name))) is not None:
            out.append((int(entry.name), int(stat[1][1]), stat[0]))
    return out


def cpu_seconds(pids: Iterable[int], name: str | None = None) -> dict[int, float]:
    """User + system CPU seconds each process has used so far (fields 14 and 15 of its
    stat), for the processes /proc shows (and, given `name`, whose command is `name`)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        stat = _proc_stat(pid)
        if stat is not None and name in (None, stat[0]):
            out[pid] = (int(stat[1][11]) + int(stat[1][12])) / tick
    return out


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds the processes of `after` used since `before` (all of it for a process
    born since); what a process that has exited since used is not counted."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


# --- one request at a time ----------------------------------------------------------------------

def sequential(name: str, *, port: int, path: str, headers: dict[str, str], count: int,
               warmup: int = 3, max_seconds: float = 60.0, expect: int = 200) -> Result:
    """`warmup` unrecorded requests, then `count` requests one after the other (fewer if
    `max_seconds` runs out); every answer must be `expect`."""
    conn = http.client.HTTPConnection(HOST, port, timeout=120)
    result = Result(name, 0.0, 0, 0)
    began = time.perf_counter()
    for i in range(warmup + count):
        t0 = time.perf_counter()
        status = _send(conn, "GET", path, None, headers)
        elapsed = time.perf_counter() - t0
        if i < warmup:
            if status != expect:
                raise RuntimeError(f"{name}: GET {path} answered {status}, expected {expect}")
            continue
        result.statuses[status] += 1
        if status == expect:
            result.ok += 1
            result.latencies.append(elapsed)
        else:
            result.failed += 1
        if time.perf_counter() - began > max_seconds and result.ok >= 10:
            break
    conn.close()
    result.duration = time.perf_counter() - began
    return result

"""`python -m bench.run [--tiny] [--with-5m] [--output docs/benchmarks.md]`

Runs the city-scale benchmark on PostgreSQL. DATABASE_URL must name a server on which we may
create databases (scripts/with_test_postgres.py provides one: `make bench` does that): the
benchmark creates its own database `civicgrid_bench_<random>`, works only there and drops it
at the end, also on failure or Ctrl-C. Prints the table and writes the report (Markdown).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = (100_000, 1_000_000)
SIZE_5M = 5_000_000
TINY_SIZES = (500, 2_000)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-registry", action="store_true",
                        help="leave out the registry import's stage")
    parser.add_argument("--tiny", action="store_true",
                        help="300 grids, 500 then 2,000 cases, 2-second load phases "
                             "(what `make test` runs)")
    parser.add_argument("--with-5m", action="store_true",
                        help="add a third stage at 5,000,000 cases")
    parser.add_argument("--output", type=Path, default=BASE_DIR / "docs" / "benchmarks.md",
                        help="where to write the report (default: docs/benchmarks.md)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--anchor", help="the end of the generated two years, "
                        "YYYY-MM-DDTHH:MM (UTC; default: now)")
    parser.add_argument("--grids", type=int, help="number of grids (default 7,000; tiny 300)")
    parser.add_argument("--sizes", help="comma-separated case counts, each dividing the "
                        "largest, e.g. 100000,1000000")
    parser.add_argument("--seconds", type=float, help="measured seconds per load phase")
    parser.add_argument("--backlog", type=int, help="unaccepted hotline cases waiting for "
                        "dispatch in every stage (default 5,000; tiny 200)")
    return parser.parse_args(argv)


# --- the database ------------------------------------------------------------------------------

def registry_stage(server_url: str, *, tiny: bool, skip: bool) -> tuple[str, bool]:
    """Run `python -m bench.registry_import` (100,000 and 1,000,000 rows; tiny: 1,000 and
    10,000): its Markdown section, and whether it failed."""
    if skip:
        return "", False
    with tempfile.NamedTemporaryFile(suffix=".md") as out:
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        env["DATABASE_URL"] = server_url
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "bench.registry_import", "--output", out.name,
             *(["--tiny"] if tiny else [])], env=env, check=False)
        return Path(out.name).read_text(encoding="utf-8"), done.returncode != 0


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextlib.contextmanager
def bench_database(server_url: str) -> Iterator[str]:
    """Create an empty database for the run on the server, yield its URL, drop it after."""
    import psycopg

    name = f"civicgrid_bench_{secrets.token_hex(4)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    log(f"database {name} created")
    try:
        yield _with_database(server_url, name)
    finally:
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        log(f"database {name} dropped")


def bench_environment(db_url: str, workdir: Path) -> dict[str, str]:
    """Production settings as an operator would set them, for plain HTTP on 127.0.0.1;
    nothing from a developer's .env (Redis, Celery) leaks in."""
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": db_url,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_ROOT": str(workdir / "static"),
        "MEDIA_ROOT": str(workdir / "media"),
        "REDIS_CACHE_URL": "",
        "CELERY_BROKER_URL": "",
        # As in production, where Celery beat seals the audit chain (ADR 0010): the
        # benchmark seals after each stage's load and reports the sealer's rate.
        "AUDIT_SEAL_ON_COMMIT": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(BASE_DIR),
    })
    return env


# --- main ---------------------------------------------------------------------------------------

def _raise_interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    server_url = os.environ.get("DATABASE_URL", "")
    if not server_url.startswith(("postgres://", "postgresql://")):
        print("bench: DATABASE_URL must name a PostgreSQL server (run `make bench`, or "
              "`python scripts/with_test_postgres.py -- python -m bench.run`)", file=sys.stderr)
        return 2
    if args.sizes:
        sizes = tuple(sorted(int(s) for s in args.sizes.split(",")))
    else:
        sizes = TINY_SIZES if args.tiny else DEFAULT_SIZES + ((SIZE_5M,) if args.with_5m else ())
    largest = max(sizes)
    if any(largest % s for s in sizes) or any(
            (largest // a) % (largest // b) for a, b in zip(sizes, sizes[1:], strict=False)):
        print("bench: every size must divide the largest, and the steps must nest",
              file=sys.stderr)
        return 2
    anchor = (datetime.strptime(args.anchor, "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)
              if args.anchor else datetime.now(UTC).replace(second=0, microsecond=0))
    signal.signal(signal.SIGTERM, _raise_interrupt)
    # The registry import's stage (bench/registry_import.py) in its own database and
    # process, before the city's: its Markdown section goes into the same report.
    registry_section, registry_failed = registry_stage(server_url, tiny=args.tiny,
                                                       skip=args.no_registry)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="civicgrid-bench-") as tmp, \
            bench_database(server_url) as db_url:
        workdir = Path(tmp)
        env = bench_environment(db_url, workdir)
        os.environ.update(env)
        import django

        django.setup()
        from bench import http
        from bench.measure import Config, problems, run_bench
        from bench.report import kept_analysis, render_markdown, render_table

        workers = 2 * http.cores()
        tiny = args.tiny
        cfg = Config(
            grids=args.grids or (300 if tiny else 7000), sizes=sizes, seed=args.seed,
            anchor=anchor, load_seconds=args.seconds or (2.0 if tiny else 15.0),
            warmup_seconds=1.0 if tiny else 3.0, requests=10 if tiny else 40,
            page_seconds=5.0 if tiny else 20.0, in_process_repeats=5 if tiny else 20,
            workers=workers, concurrency=2 * workers, tiny=tiny,
            backlog=args.backlog if args.backlog is not None else (200 if tiny else 5000),
            cpu_intakes=50 if tiny else 300, ceiling_clients=16 if tiny else 48)
        report = run_bench(cfg, env, db_url, workdir)
    elapsed = timedelta(seconds=round(time.perf_counter() - began))
    print(render_table(report, elapsed))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    previous = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
    args.output.write_text(render_markdown(report, elapsed, kept_analysis(previous),
                                           registry_section), encoding="utf-8")
    log(f"report written to {args.output} (total {elapsed})")
    found = problems(report)
    if registry_failed:
        found.append("the registry import's stage failed or found problems (above)")
    for problem in found:
        log(f"problem: {problem}")
    # The tiny run is a test (`make test`): anything that went wrong fails it.
    return 1 if found and args.tiny else 0


if __name__ == "__main__":
    sys.exit(main())

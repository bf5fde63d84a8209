#!/usr/bin/env python3
"""Run a command with DATABASE_URL pointing at a PostgreSQL server for tests.

Usage:
    python scripts/with_test_postgres.py [--force-throwaway] -- CMD [ARGS...]

The URL always names the maintenance database "postgres"; the Django test
runner creates and drops its own test databases on that server.

Where the server comes from, in this order:

1. ``TEST_DATABASE_URL`` from the environment, used as is.
2. A local server on the default socket dir (/var/run/postgresql) or on
   127.0.0.1:5432 that accepts a password-less (trust) connection as
   ``postgres`` or as the current OS user, with a role that may create
   databases.
3. A throwaway cluster: initdb into a temporary directory, start it on a free
   port, run the command, then stop the cluster and delete the directory,
   also on failure, Ctrl-C or SIGTERM.  If initdb/pg_ctl are missing and we
   run as root, the Debian ``postgresql`` package is installed first.

``--force-throwaway`` skips steps 1 and 2.

The script exits with the command's exit code (128 + N if the command was
killed by signal N).  Standard library only, so it runs before the project's
virtualenv exists.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import pwd
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SOCKET_DIR = "/var/run/postgresql"
LOCAL_HOST = "127.0.0.1"
LOCAL_PORT = 5432
MAINTENANCE_DB = "postgres"
SUPERUSER = "postgres"
# OS user that owns the throwaway cluster when we run as root (initdb
# refuses to run as root).
CLUSTER_OS_USER = "postgres"

# Server settings for the throwaway cluster: durability is pointless for a
# cluster that is deleted a few minutes later, and switching it off makes
# the test suite noticeably faster.
THROWAWAY_SETTINGS = {
    "listen_addresses": LOCAL_HOST,
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}


class SetupError(Exception):
    """A server could not be found or started; the message says why."""


class Terminated(BaseException):
    """Raised from the SIGTERM/SIGHUP handler so that cleanup still runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(
    args: Sequence[str],
    *,
    timeout: float | None = None,
    env: dict[str, str] | None = None,
    cwd: str | Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a helper program quietly and return its result.

    Never raises for a non-zero exit status or a timeout (reported as exit
    code 124); the caller decides what a failure means.
    """
    try:
        return subprocess.run(  # noqa: S603 - argument list, no shell
            list(args),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=cwd,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(
            list(args), 124, "", f"{args[0]}: timed out after {timeout}s\n"
        )


def redact(url: str) -> str:
    """The URL with any password replaced, safe to print."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    userinfo = f"{parts.username}:***" if parts.username else ":***"
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{netloc}"))


# --------------------------------------------------------------------------
# Step 2: an already running local server
# --------------------------------------------------------------------------


def server_answers(host: str) -> bool:
    """Whether a server accepts connections on ``host`` (a socket directory
    or an IP address), port 5432."""
    pg_isready = shutil.which("pg_isready")
    if pg_isready:
        result = run(
            [pg_isready, "-q", "-h", host, "-p", str(LOCAL_PORT), "-t", "3"],
            timeout=10,
        )
        return result.returncode == 0
    # No client tools: a plain connect tells us at least that someone listens.
    if host.startswith("/"):
        family, address = socket.AF_UNIX, f"{host}/.s.PGSQL.{LOCAL_PORT}"
    else:
        family, address = socket.AF_INET, (host, LOCAL_PORT)
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(3)
            sock.connect(address)
    except OSError:
        return False
    return True


def trust_login_works(host: str, user: str) -> bool:
    """Whether ``user`` can log in on ``host`` without a password prompt and
    may create databases (the test runner needs that)."""
    psql = shutil.which("psql")
    if not psql:
        return False
    env = {**os.environ, "PGCONNECT_TIMEOUT": "5"}
    result = run(
        [
            psql,
            "-X",
            "-w",
            "-q",
            "-t",
            "-A",
            "-h",
            host,
            "-p",
            str(LOCAL_PORT),
            "-U",
            user,
            "-d",
            MAINTENANCE_DB,
            "-c",
            "select rolsuper or rolcreatedb from pg_roles where rolname = current_user",
        ],
        timeout=15,
        env=env,
    )
    return result.returncode == 0 and result.stdout.strip() == "t"


def find_local_server() -> str | None:
    """URL of a usable local server, or None."""
    users = [SUPERUSER]
    with contextlib.suppress(KeyError, OSError):  # no name for our uid
        users = list(dict.fromkeys([SUPERUSER, getpass.getuser()]))
    # TCP first: the plain URL form works everywhere; the socket form only
    # when TCP does not.
    for host in (LOCAL_HOST, SOCKET_DIR):
        if not server_answers(host):
            continue
        for user in users:
            if not trust_login_works(host, user):
                continue
            if host == LOCAL_HOST:
                log(f"PostgreSQL for tests: local server at {host}:{LOCAL_PORT} (user {user})")
                return f"postgres://{user}@{host}:{LOCAL_PORT}/{MAINTENANCE_DB}"
            log(f"PostgreSQL for tests: local server on socket {host} (user {user})")
            return f"postgres://{user}@/{MAINTENANCE_DB}?host={host}"
    return None


# --------------------------------------------------------------------------
# Step 3: a throwaway cluster
# --------------------------------------------------------------------------


def _version_key(bin_dir: Path) -> tuple[int, ...]:
    # /usr/lib/postgresql/15/bin -> (15,); 9.6 -> (9, 6)
    return tuple(int(n) for n in re.findall(r"\d+", bin_dir.parent.name))


def find_server_binaries() -> tuple[str, str] | None:
    """Paths of (initdb, pg_ctl): from PATH, else the newest
    /usr/lib/postgresql/<version>/bin."""
    initdb = shutil.which("initdb")
    if initdb:
        # Prefer the pg_ctl next to initdb so both come from one version.
        sibling = Path(initdb).resolve().parent / "pg_ctl"
        if os.access(sibling, os.X_OK):
            pg_ctl: str | None = str(sibling)
        else:
            pg_ctl = shutil.which("pg_ctl")
        if pg_ctl:
            return initdb, pg_ctl
    candidates = sorted(
        (
            d
            for d in Path("/usr/lib/postgresql").glob("*/bin")
            if re.fullmatch(r"[\d.]+", d.parent.name)
        ),
        key=_version_key,
        reverse=True,
    )
    for bin_dir in candidates:
        initdb_path, pg_ctl_path = bin_dir / "initdb", bin_dir / "pg_ctl"
        if os.access(initdb_path, os.X_OK) and os.access(pg_ctl_path, os.X_OK):
            return str(initdb_path), str(pg_ctl_path)
    return None


def install_postgresql() -> None:
    """apt-get install postgresql (root only)."""
    if os.geteuid() != 0:
        raise SetupError(
            "PostgreSQL server binaries (initdb, pg_ctl) not found and not running"
            " as root, so they cannot be installed. Install the 'postgresql'"
            " package, or set TEST_DATABASE_URL to a server that may create"
            " databases."
        )
    apt_get = shutil.which("apt-get")
    if not apt_get:
        raise SetupError("initdb/pg_ctl not found and apt-get is not available.")
    log(
        "PostgreSQL server binaries not found; installing the 'postgresql' package with apt-get ..."
    )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for args in ([apt_get, "update"], [apt_get, "install", "-y", "postgresql"]):
        # Output goes to the terminal so that progress and errors are visible.
        result = subprocess.run(args, env=env, check=False)  # noqa: S603
        if result.returncode != 0:
            raise SetupError(f"'{shlex.join(args)}' failed (exit code {result.returncode}).")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCAL_HOST, 0))
        return sock.getsockname()[1]


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class ThrowawayCluster:
    """initdb + pg_ctl start in a temporary directory; ``stop()`` undoes it."""

    def __init__(self, initdb: str, pg_ctl: str) -> None:
        self.initdb = initdb
        self.pg_ctl = pg_ctl
        self.port = 0
        # initdb refuses to run as root, so as root the cluster belongs to the
        # 'postgres' system user and every server command runs via runuser.
        self.as_root = os.geteuid() == 0
        self.prefix: list[str] = []
        if self.as_root:
            try:
                owner = pwd.getpwnam(CLUSTER_OS_USER)
            except KeyError:
                raise SetupError(
                    f"Running as root, but there is no '{CLUSTER_OS_USER}' system"
                    " user to own the throwaway cluster (initdb refuses to run"
                    " as root). Install the 'postgresql' package or run as a"
                    " normal user."
                ) from None
            runuser = shutil.which("runuser") or "/usr/sbin/runuser"
            self.prefix = [runuser, "-u", CLUSTER_OS_USER, "--"]
        self.tmpdir = Path(tempfile.mkdtemp(prefix="civicgrid-pg-"))
        if self.as_root:
            try:
                os.chown(self.tmpdir, owner.pw_uid, owner.pw_gid)
            except OSError as exc:
                shutil.rmtree(self.tmpdir, ignore_errors=True)
                raise SetupError(f"cannot chown {self.tmpdir}: {exc}") from None
        self.datadir = self.tmpdir / "data"
        self.logfile = self.tmpdir / "log"

    def _server_cmd(self, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        # cwd=tmpdir: the postgres user may not be allowed into our cwd.
        return run([*self.prefix, *args], timeout=timeout, cwd=self.tmpdir)

    def init(self) -> None:
        base = [
            self.initdb,
            "-D",
            str(self.datadir),
            "-A",
            "trust",
            "-U",
            SUPERUSER,
            "--no-sync",
            "-E",
            "UTF8",
        ]
        failure = ""
        for locale in ("C.UTF-8", "C"):  # C.UTF-8 may not exist everywhere
            result = self._server_cmd(*base, f"--locale={locale}", timeout=300)
            if result.returncode == 0:
                return
            failure = (
                f"initdb --locale={locale} failed (exit code"
                f" {result.returncode}):\n{result.stdout}{result.stderr}"
            )
            # initdb removes what it created on failure; make sure anyway.
            shutil.rmtree(self.datadir, ignore_errors=True)
        raise SetupError(
            failure.rstrip() + f"\n(temporary directory: {self.tmpdir}; as root it must be"
            f" reachable by the '{CLUSTER_OS_USER}' user - check TMPDIR)"
        )

    def start(self) -> None:
        last_error = ""
        for _attempt in range(3):  # a free port may be taken meanwhile
            self.port = free_port()
            options = [
                "-k",
                shlex.quote(str(self.tmpdir)),
                "-p",
                str(self.port),
                *(
                    part
                    for key, value in THROWAWAY_SETTINGS.items()
                    for part in ("-c", f"{key}={value}")
                ),
            ]
            result = self._server_cmd(
                self.pg_ctl,
                "-D",
                str(self.datadir),
                "-l",
                str(self.logfile),
                "-w",
                "-t",
                "60",
                "-o",
                " ".join(options),
                "start",
                timeout=120,
            )
            if result.returncode == 0:
                return
            last_error = f"{result.stdout}{result.stderr}".strip()
            # Make sure nothing half-started survives before the next try.
            self._stop_server()
        raise SetupError(
            f"pg_ctl start failed:\n{last_error}\n"
            f"--- server log ({self.logfile}) ---\n{tail(self.logfile)}"
        )

    def url(self) -> str:
        return f"postgres://{SUPERUSER}@{LOCAL_HOST}:{self.port}/{MAINTENANCE_DB}"

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.datadir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def _stop_server(self) -> None:
        if not (self.datadir / "postmaster.pid").exists():
            return  # never started, or already stopped
        for mode in ("fast", "immediate"):
            result = self._server_cmd(
                self.pg_ctl,
                "-D",
                str(self.datadir),
                "-m",
                mode,
                "-w",
                "-t",
                "30",
                "stop",
                timeout=60,
            )
            if result.returncode == 0:
                return
        # Last resort: kill the postmaster so that no server outlives us.
        pid = self._postmaster_pid()
        if pid:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
                log(f"warning: killed PostgreSQL postmaster {pid}")

    def stop(self) -> None:
        """Stop the server (if running) and delete the temporary directory."""
        try:
            self._stop_server()
        finally:
            shutil.rmtree(self.tmpdir, ignore_errors=True)


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[str]:
    binaries = find_server_binaries()
    if binaries is None:
        install_postgresql()
        binaries = find_server_binaries()
        if binaries is None:
            raise SetupError("initdb/pg_ctl still not found after installing 'postgresql'.")
    cluster = ThrowawayCluster(*binaries)
    try:
        cluster.init()
        cluster.start()
        log(
            f"PostgreSQL for tests: throwaway cluster in {cluster.tmpdir}"
            f" on port {cluster.port} ({Path(binaries[0]).resolve().parent})"
        )
        yield cluster.url()
    finally:
        # A second Ctrl-C/SIGTERM must not interrupt the cleanup half-way.
        with ignoring_signals():
            cluster.stop()


# --------------------------------------------------------------------------
# Signals and the command itself
# --------------------------------------------------------------------------


def _raise_terminated(signum: int, _frame: object) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def ignoring_signals() -> Iterator[None]:
    signums = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in signums}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_command(command: Sequence[str], env: dict[str, str]) -> int:
    """Run the command in the foreground and return its exit code.

    Ctrl-C reaches the command directly (same process group), so we ignore
    SIGINT here and let it shut down in its own time; SIGTERM/SIGHUP sent
    to us are passed on to it.  Cleanup happens once it has exited.
    """
    try:
        child = subprocess.Popen(list(command), env=env)  # noqa: S603
    except OSError as exc:
        log(f"with_test_postgres: cannot run {command[0]!r}: {exc}")
        return 127 if isinstance(exc, FileNotFoundError) else 126

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signum)

    previous = {
        signal.SIGINT: signal.signal(signal.SIGINT, signal.SIG_IGN),
        signal.SIGTERM: signal.signal(signal.SIGTERM, forward),
        signal.SIGHUP: signal.signal(signal.SIGHUP, forward),
    }
    try:
        returncode = child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    # Like a shell: killed by signal N -> 128 + N.
    return 128 - returncode if returncode < 0 else returncode


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(
        prog="with_test_postgres.py",
        usage="%(prog)s [--force-throwaway] -- CMD [ARGS...]",
        description="Run CMD with DATABASE_URL set to a PostgreSQL server for"
        " tests (TEST_DATABASE_URL, a local trust server, or a throwaway"
        " cluster).",
    )
    parser.add_argument(
        "--force-throwaway",
        action="store_true",
        help="ignore TEST_DATABASE_URL and local servers; always start a throwaway cluster",
    )
    argv = list(argv)
    if "--" not in argv:
        parser.parse_args(argv)  # handles -h and unknown options
        parser.error("missing '--' before the command")
    split = argv.index("--")
    options, command = parser.parse_args(argv[:split]), argv[split + 1 :]
    if not command:
        parser.error("no command given after '--'")
    return options, command


def _psql(url: str, sql: str) -> subprocess.CompletedProcess[str]:
    psql = shutil.which("psql") or "psql"
    return run([psql, "-X", "-w", "-q", "-t", "-A", url, "-c", sql], timeout=60,
               env={**os.environ, "PGCONNECT_TIMEOUT": "5"})


def test_databases(url: str) -> set[str]:
    """The names of the test databases on the server now (Django's test runner names
    them test_civicgrid_<tag>, with _gw<N> per pytest-xdist worker)."""
    result = _psql(url, "select datname from pg_database "
                        "where datname like 'test_civicgrid_%'")
    return set(result.stdout.split()) if result.returncode == 0 else set()


def drop_leftover_test_databases(url: str, tag: str) -> None:
    """Drop the test databases of this run (named with its TEST_DATABASE_TAG, see
    config/settings/test.py) that its runner could not drop (a connection from a server
    thread still open at teardown): a CI machine keeps its PostgreSQL server from run to
    run. Databases of other runs — also of one that started while this one ran — are left
    alone."""
    for name in sorted(test_databases(url)):
        if not re.fullmatch(rf"test_civicgrid_{tag}(_gw\d+)?", name):
            continue
        # `name` matched the pattern above: hex digits only, nothing to inject.
        _psql(url, "select pg_terminate_backend(pid) from pg_stat_activity "  # noqa: S608
                   f"where datname = '{name}' and pid <> pg_backend_pid()")
        result = _psql(url, f'drop database if exists "{name}"')  # noqa: S608
        if result.returncode == 0:
            log(f"with_test_postgres: dropped the leftover test database {name}")


def main(argv: Sequence[str] | None = None) -> int:
    options, command = parse_args(sys.argv[1:] if argv is None else argv)
    # Turn SIGTERM/SIGHUP into an exception so that `finally` blocks (cluster
    # shutdown, temp dir removal) run; SIGINT already raises KeyboardInterrupt.
    signal.signal(signal.SIGTERM, _raise_terminated)
    signal.signal(signal.SIGHUP, _raise_terminated)
    try:
        with contextlib.ExitStack() as stack:
            url = None
            if not options.force_throwaway:
                url = os.environ.get("TEST_DATABASE_URL")
                if url:
                    log(f"PostgreSQL for tests: TEST_DATABASE_URL ({redact(url)})")
                else:
                    url = find_local_server()
            tag = secrets.token_hex(5)  # this run's test databases: test_civicgrid_<tag>…
            if not url:
                url = stack.enter_context(throwaway_cluster())
            else:  # a server that outlives the run: leave no test database behind on it
                stack.callback(lambda: drop_leftover_test_databases(url, tag))
            return run_command(command, {**os.environ, "DATABASE_URL": url,
                                         "TEST_DATABASE_TAG": tag})
    except SetupError as exc:
        log(f"with_test_postgres: {exc}")
        return 1
    except KeyboardInterrupt:
        log("with_test_postgres: interrupted")
        return 128 + signal.SIGINT
    except Terminated as exc:
        log(f"with_test_postgres: terminated by signal {exc.signum}")
        return 128 + exc.signum


if __name__ == "__main__":
    sys.exit(main())

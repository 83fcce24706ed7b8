"""`make loadtest`: locust, headless, against gunicorn + PostgreSQL + Redis on loopback; bounded in time and requests.

Needs DATABASE_URL (PostgreSQL) and REDIS_URL. Creates a throwaway database next to the one
DATABASE_URL names (``<name>_loadtest_<pid>``), migrates it, seeds 1× a busy freelancer
(``manage.py loadtest --prepare``), starts gunicorn on a free loopback port with production
settings (DEBUG off, collected static files), runs locust, prints throughput, p95 per endpoint
and overall, and the errors, then stops gunicorn and drops the database, also on Ctrl-C.
Exits 1 when any request failed, 2 when it could not run.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import suppress
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg.conninfo import make_conninfo

from devtools.loadtest.config import ENV_CONFIG, ENV_FIXTURE, ENV_SUMMARY, parse_args, report_lines

ROOT = Path(__file__).resolve().parents[2]  # the project: manage.py, crm.wsgi
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
BIN = Path(sys.executable).parent
WEBHOOK_SECRET = "loadtest:" + secrets.token_urlsafe(16)


class CannotRun(Exception):
    """The load test cannot start (a missing service or tool): said plainly, exit 2."""


def throwaway_name(database_url: str, pid: int) -> str:
    base = urlsplit(database_url).path.lstrip("/") or "rapport"
    return re.sub(r"[^a-z0-9_]", "_", f"{base}_loadtest_{pid}".lower())[-63:]


def with_database(database_url: str, name: str) -> str:
    return urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))


def check_environment(environ: dict[str, str]) -> tuple[str, str]:
    database_url, redis_url = environ.get("DATABASE_URL", ""), environ.get("REDIS_URL", "")
    missing = []
    if not database_url.startswith(("postgres://", "postgresql://", "pgsql://")):
        missing.append("DATABASE_URL (PostgreSQL, e.g. postgres://postgres@127.0.0.1:5432/rapport)")
    if not redis_url.startswith(("redis://", "rediss://")):
        missing.append("REDIS_URL (e.g. redis://127.0.0.1:6379/7)")
    if missing:
        raise CannotRun(
            "make loadtest runs against PostgreSQL and Redis; set " + " and ".join(missing) + ". "
            "It creates and drops its own database next to the one DATABASE_URL names."
        )
    if shutil.which("locust", path=str(BIN)) is None:
        raise CannotRun(f"locust is not installed in {BIN}: run `make loadtest` (it installs requirements-load.txt).")
    return database_url, redis_url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Postgres:
    """CREATE and DROP DATABASE through the server's maintenance database."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def _execute(self, statement: str, params: tuple = (), *, dbname: str = "postgres") -> tuple | None:
        conninfo = make_conninfo(_libpq_url(self.database_url), dbname=dbname)
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as connection:
            cursor = connection.execute(statement, params)
            return cursor.fetchone() if cursor.description else None

    def count_filed_webhook_mail(self, name: str) -> int:
        """Messages the load test's webhook posts became (their Message-IDs start with ``<bench-hook-``)."""
        row = self._execute(
            "SELECT count(*) FROM comms_message WHERE message_id LIKE %s", ("<bench-hook-%",), dbname=name
        )
        return int(row[0]) if row else 0

    def create(self, name: str) -> None:
        try:
            self._execute(f'CREATE DATABASE "{name}"')
        except Exception as exc:
            raise CannotRun(f"Cannot create the database {name} ({exc}). Is PostgreSQL running?") from exc

    def drop(self, name: str) -> None:
        try:
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except Exception:  # PostgreSQL before 13 has no FORCE; gunicorn is stopped by now anyway
            self._execute(f'DROP DATABASE IF EXISTS "{name}"')


def _libpq_url(url: str) -> str:
    """dj-database-url's schemes that libpq does not know."""
    return re.sub(r"^(pgsql|postgis)://", "postgresql://", url)


def wait_until_up(url: str, server: subprocess.Popen, *, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise CannotRun(f"gunicorn exited with {server.returncode} before answering")
        with (
            suppress(urllib.error.URLError, ConnectionError, TimeoutError),
            urllib.request.urlopen(url, timeout=2) as response,  # noqa: S310 - our own loopback server
        ):
            if response.status == 200:
                return
        time.sleep(0.3)
    raise CannotRun(f"gunicorn did not answer {url} within {seconds:.0f} s")


def stop(process: subprocess.Popen | None) -> None:
    """Terminate a process we started in its own session, with its children (gunicorn's workers)."""
    if process is None or process.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


# ``manage.py loadtest --prepare`` is a devtools command: only the development settings install it.
DEV_SETTINGS = "crm.settings_dev"


def manage(*arguments: str, env: dict[str, str], log: Path) -> None:
    with log.open("a") as out:
        completed = subprocess.run(  # noqa: S603 - our own manage.py
            [sys.executable, str(ROOT / "manage.py"), *arguments],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": DEV_SETTINGS},
            stdout=out,
            stderr=out,
            check=False,
        )
    if completed.returncode:
        raise CannotRun(f"manage.py {' '.join(arguments)} failed (exit {completed.returncode}); log:\n{tail(log)}")


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def server_environment(base: dict[str, str], *, database_url: str, work: Path) -> dict[str, str]:
    """Production settings on plain HTTP on loopback: DEBUG off, no TLS redirects, a fresh secret key."""
    env = dict(base)
    env.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL="http://127.0.0.1",  # production requires one; the run's links are never followed
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        SECURE_HSTS_PRELOAD="0",
        STATIC_ROOT=str(work / "static"),
        RAPPORT_VAR_DIR=str(work / "var"),
        ANYMAIL_WEBHOOK_SECRET=WEBHOOK_SECRET,
        RAPPORT_INBOUND_DOMAIN="inbound.loadtest",
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="crm.settings",
    )
    return env


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    config = parse_args(argv)
    try:
        database_url, _redis_url = check_environment(dict(os.environ))
    except CannotRun as exc:
        print(f"loadtest: {exc}", file=sys.stderr)
        return 2

    signal.signal(signal.SIGTERM, _interrupted)  # a timeout or kill cleans up like Ctrl-C
    started = time.perf_counter()
    name = throwaway_name(database_url, os.getpid())
    postgres = Postgres(database_url)
    work = Path(tempfile.mkdtemp(prefix="rapport-loadtest-"))
    log = work / "setup.log"
    server: subprocess.Popen | None = None
    created = False
    try:
        postgres.create(name)
        created = True
        env = server_environment(dict(os.environ), database_url=with_database(database_url, name), work=work)
        print(f"loadtest: database {name}: migrating, seeding 1×, collecting static files…", flush=True)
        manage("migrate", "--noinput", env=env, log=log)
        manage("collectstatic", "--noinput", env=env, log=log)
        fixture = work / "fixture.json"
        manage("loadtest", "--prepare", str(fixture), env=env, log=log)
        seeded = json.loads(fixture.read_text())

        port = free_port()
        host = f"http://127.0.0.1:{port}"
        with (work / "gunicorn.log").open("w") as out:
            server = subprocess.Popen(  # noqa: S603 - gunicorn from our venv
                [str(BIN / "gunicorn"), "crm.wsgi:application", "--bind", f"127.0.0.1:{port}"]
                + ["--workers", str(config.workers), "--timeout", "60"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        wait_until_up(f"{host}/healthz", server)
        print(
            f"loadtest: {seeded['rows']:,} rows seeded in {seeded['seed_seconds']:.0f} s; gunicorn "
            f"({config.workers} workers) on {host}; locust: {config.users} users "
            f"({', '.join(f'{k} {v}' for k, v in config.weights.items())}), until {config.run_time} "
            f"or {config.max_requests:,} requests…",
            flush=True,
        )
        summary_path = work / "summary.json"
        locust_env = {
            **env,
            ENV_CONFIG: config.to_json(),
            ENV_FIXTURE: str(fixture),
            ENV_SUMMARY: str(summary_path),
        }
        locust_log = work / "locust.log"
        with locust_log.open("w") as out:
            subprocess.run(  # noqa: S603 - locust from our venv
                [str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless"]
                + ["--users", str(config.users), "--spawn-rate", str(config.spawn_rate)]
                + ["--run-time", config.run_time, "--stop-timeout", "10", "--host", host, "--only-summary"]
                + ["--loglevel", "WARNING"],
                cwd=ROOT,
                env=locust_env,
                stdout=out,
                stderr=out,
                timeout=config.run_seconds + 180,
                check=False,
            )
        if not summary_path.exists():
            print(f"loadtest: locust left no summary; its log:\n{tail(locust_log)}", file=sys.stderr)
            return 2
        filed = postgres.count_filed_webhook_mail(name)
        lines, errors = report_lines(json.loads(summary_path.read_text()), webhook_filed=filed)
        print()
        print("\n".join(lines))
        if errors:
            print(f"\ngunicorn's log:\n{tail(work / 'gunicorn.log')}")
        print(f"\nloadtest: total run time {time.perf_counter() - started:.0f} s (setup and clean-up included)")
        return 1 if errors else 0
    except CannotRun as exc:
        print(f"loadtest: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nloadtest: interrupted; cleaning up", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not leave the database behind
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop(server)
        if created:
            postgres.drop(name)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

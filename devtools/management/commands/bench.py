"""`make bench`: page timings at 1×, 10× and 100× a busy freelancer, on SQLite and PostgreSQL, as one table.

For each database (SQLite always; PostgreSQL too when DATABASE_URL points at one) a child
process seeds a throwaway database per scale (``devtools.bench_seed``, never the dev data nor the
test suite's), then requests each page many times in that one process through Django's test
client (the whole middleware stack, no network) and records the median, the p95 and the
query count. The parent prints the machine, then one table with the targets each page
misses, then the older measurements (tier recompute, inbound mail, outbox, open clocks,
sweeps, busy-calendar refresh and the slot picker) and the total run time.

Targets: the same query count at every scale; the largest scale at most ``TARGET_GROWTH`` × the
1× median; Today at most ``TARGET_TODAY_FLOOR`` × the floor (a bare view doing one query) at 1×.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from clients.models import Contact
from comms.models import Message
from devtools.bench_billing import bench_billing, billing_lines
from devtools.bench_busy import DEFAULT_CALENDARS, bench_busy, busy_lines
from devtools.bench_inbound import bench_inbound
from devtools.bench_outbox import bench_outbox_throughput
from devtools.bench_seed import postmark_inbound, reply_fields, seed
from devtools.benchdb import throwaway_databases, use_database
from projects.portal_access import SESSION_KEY, issue_link

DEFAULT_SCALES = (1.0, 10.0, 100.0)
TARGET_GROWTH = 1.5
TARGET_TODAY_FLOOR = 5.0
FLOOR = "floor (/healthz)"
SIGNED_IN_FLOOR = "signed-in floor"
WEBHOOK_SECRET = "bench:webhook-secret-0123456789"  # noqa: S105 - a throwaway database's webhook secret
MIN_RUNS = 30
# (name, what it is) in table order; the floor first.
PAGES = (
    (FLOOR, "a bare view doing one query"),
    (SIGNED_IN_FLOOR, "session, user, studio, context processors, one query, the base template (devtools.floor)"),
    ("Today", "/"),
    ("Inbox", "/comms/inbox/"),
    ("Clients", "/clients/"),
    ("Project (busy)", "/projects/<pk>/"),
    ("Portal project", "/portal/projects/<pk>/ with a portal session"),
    ("Inbound webhook", "POST /hooks/postmark/inbound/: one new message"),
)


@dataclass(frozen=True)
class Measurement:
    median_ms: float
    p95_ms: float
    queries: int
    runs: int
    error: str = ""


class PageError(Exception):
    pass


def count_queries(request: Callable[[], Any], *, expect: int = 200) -> int:
    """Warm caches and templates with one request, then count the queries of the next; PageError if it fails."""
    response = request()
    if response.status_code != expect:
        raise PageError(f"HTTP {response.status_code}, expected {expect}")
    connection.queries_log.clear()  # a full log (maxlen 9000 after migrations) would hide new queries
    with CaptureQueriesContext(connection) as queries:
        request()
    return len(queries)  # read now: every later request resets the connection's log


def timed(request: Callable[[], Any], count: int) -> list[float]:
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        request()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def measure_interleaved(
    targets: dict[float, tuple[Callable[[], None], dict[str, Callable[[], Any]]]],
    *,
    runs: int,
    budget: float = 0,
    block: int = 10,
) -> dict[float, dict[str, Measurement]]:
    """Time every page at every scale, the scales taking turns in blocks of ``block`` requests.

    ``targets`` maps a scale to (a function that switches to its database, its page requests). Taking
    turns spreads whatever else the machine does over all scales alike, so their ratio holds up on a
    shared machine. A page stops once each scale has ``runs`` requests, or when ``budget`` seconds
    per scale are spent and each has ``MIN_RUNS``.
    """
    results: dict[float, dict[str, Measurement]] = {scale: {} for scale in targets}
    pages = list(next(iter(targets.values()))[1])
    min_runs = min(MIN_RUNS, runs)
    for page in pages:
        queries: dict[float, int] = {}
        for scale, (activate, requests) in targets.items():
            activate()
            try:
                queries[scale] = count_queries(requests[page])
            except PageError as exc:
                results[scale][page] = Measurement(0, 0, 0, 0, error=str(exc))
        live = [scale for scale in targets if scale in queries]
        timings: dict[float, list[float]] = {scale: [] for scale in live}
        deadline = time.perf_counter() + budget * len(live) if budget else None
        while live and any(len(timings[scale]) < runs for scale in live):
            if deadline and time.perf_counter() > deadline and all(len(timings[s]) >= min_runs for s in live):
                break
            for scale in live:
                activate, requests = targets[scale]
                activate()
                timings[scale] += timed(requests[page], min(block, max(0, runs - len(timings[scale]))))
        for scale in live:
            samples = timings[scale]
            results[scale][page] = Measurement(
                statistics.median(samples), percentile(samples, 95), queries[scale], len(samples)
            )
    return results


def percentile(values: list[float], share: int) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * share // 100) - 1)]


def scale_label(scale: float) -> str:
    return f"{scale:g}×"


# --- the table: pure ----------------------------------------------------------------------------

Results = dict[str, dict[float, dict[str, Measurement]]]  # database → scale → page → measurement


def target_failures(page: str, by_scale: dict[float, Measurement], floor: dict[float, Measurement]) -> list[str]:
    """The targets ``page`` misses, in words; empty when it meets them all."""
    if page == FLOOR:
        return []
    scales = sorted(by_scale)
    errors = [f"{scale_label(scale)}: {by_scale[scale].error}" for scale in scales if by_scale[scale].error]
    if errors:
        return errors
    failures = []
    counts = [by_scale[scale].queries for scale in scales]
    if len(set(counts)) > 1:
        failures.append(f"queries {'→'.join(map(str, counts))}")
    smallest, largest = scales[0], scales[-1]
    if largest != smallest and by_scale[smallest].median_ms:
        growth = by_scale[largest].median_ms / by_scale[smallest].median_ms
        if growth > TARGET_GROWTH:
            failures.append(f"{scale_label(largest)}/{scale_label(smallest)} {growth:.2f} > {TARGET_GROWTH:g}")
    base = floor.get(smallest)
    if page == "Today" and base and not base.error and base.median_ms:
        ratio = by_scale[smallest].median_ms / base.median_ms
        if ratio > TARGET_TODAY_FLOOR:
            failures.append(f"{ratio:.1f}× floor > {TARGET_TODAY_FLOOR:g}")
    return failures


def table_lines(results: Results) -> list[str]:
    """One table: a row per database and page; queries, median and p95 at each scale, ratios, targets missed."""
    scales = sorted({scale for by_scale in results.values() for scale in by_scale})
    if not scales:
        return ["(nothing measured)"]
    labels = [scale_label(scale) for scale in scales]
    smallest, largest = labels[0], labels[-1]
    width = 8 * len(scales)
    growth_label = f"{largest}/{smallest}"
    lines = [
        f"{'':<27}{'queries':<14}{'median ms':>{width}}  {'p95 ms':>{width}}",
        f"{'database':<9}{'page':<18}{'/'.join(labels):<14}"
        + "".join(f"{label:>8}" for label in labels)
        + "  "
        + "".join(f"{label:>8}" for label in labels)
        + f"{'×floor ' + smallest:>13}{growth_label:>10}  targets",
    ]
    missed = 0
    for database, by_scale in results.items():
        floor = {scale: pages[FLOOR] for scale, pages in by_scale.items() if FLOOR in pages}
        for page, _what in PAGES:
            measured = {scale: pages[page] for scale, pages in by_scale.items() if page in pages}
            if not measured:
                continue
            failures = target_failures(page, measured, floor)
            missed += bool(failures)
            row = [measured.get(scale) for scale in scales]
            queries = "/".join("-" if m is None or m.error else str(m.queries) for m in row)
            medians = "".join(_cell(m, "median_ms") for m in row)
            p95s = "".join(_cell(m, "p95_ms") for m in row)
            first, last = measured[min(measured)], measured[max(measured)]
            base = floor.get(min(measured))
            ratio_floor = (
                f"{first.median_ms / base.median_ms:.1f}"
                if base and page != FLOOR and not first.error and base.median_ms
                else "-"
            )
            growth = f"{last.median_ms / first.median_ms:.2f}" if len(measured) > 1 and first.median_ms else "-"
            verdict = "-" if page == FLOOR else ("FAIL: " + "; ".join(failures) if failures else "ok")
            lines.append(
                f"{database:<9}{page:<18}{queries:<14}{medians}  {p95s}{ratio_floor:>13}{growth:>10}  {verdict}"
            )
    lines.append(
        f"targets: same queries at every scale; {growth_label} ≤ {TARGET_GROWTH:g}; "
        f"Today ≤ {TARGET_TODAY_FLOOR:g}× the floor at {smallest}. "
        + ("All met." if not missed else f"{missed} row{'s' if missed > 1 else ''} FAIL.")
    )
    return lines


def _cell(measurement: Measurement | None, name: str) -> str:
    if measurement is None:
        return f"{'-':>8}"
    if measurement.error:
        return f"{'error':>8}"
    value = getattr(measurement, name)
    return f"{value:>8.1f}" if value >= 100 else f"{value:>8.2f}"


# --- the machine --------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def postgres_version() -> str | None:
    """The server version when DATABASE_URL points at PostgreSQL (asked of its maintenance database)."""
    if connection.vendor != "postgresql":
        return None
    try:
        with connection._nodb_cursor() as cursor:
            cursor.execute("SHOW server_version")
            return cursor.fetchone()[0]
    except Exception as exc:  # the table still runs on SQLite
        return f"unreachable ({type(exc).__name__})"


def machine_lines(pg_version: str | None) -> list[str]:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return [
        f"machine: {cpu_model()}, {os.cpu_count()} cores, load average {load} (shared: absolute times are noisy)",
        f"Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}; "
        f"PostgreSQL {pg_version or 'not set (DATABASE_URL)'}",
    ]


# --- the child: seeds and measures one database -------------------------------------------------


def bench_pages(scales: list[float], *, runs: int, budget: float, log: Callable[[str], None]) -> dict:
    """Seed each scale into its own throwaway database, then measure every page at every scale; JSON-ready."""
    out: dict[str, Any] = {"vendor": connection.vendor, "scales": {}}
    labels = [f"pages_{scale:g}x".replace(".", "_") for scale in scales]
    targets = {}
    seeded_at = {}
    with throwaway_databases(labels) as databases:
        for scale, database in zip(scales, databases, strict=True):
            use_database(database.name)
            seeded = seed(scale, progress=lambda line: log(f"    {line}"))
            log(
                f"  {connection.vendor} {scale_label(scale)}: migrated in {database.seconds:.0f} s, "
                f"seeded {sum(seeded.rows.values()):,} rows in {seeded.seconds:.1f} s"
            )
            targets[scale] = (partial(use_database, database.name), page_requests(seeded))
            seeded_at[scale] = (seeded, database)
        log(f"  {connection.vendor}: measuring, the scales taking turns…")
        started = time.perf_counter()
        with webhook_secret():
            measured = measure_interleaved(targets, runs=runs, budget=budget)
        measure_seconds = time.perf_counter() - started
        for scale, (seeded, database) in seeded_at.items():
            use_database(database.name)
            pages = check_webhook_filed(seeded, measured[scale])
            out["scales"][str(scale)] = {
                "seed_seconds": seeded.seconds,
                "migrate_seconds": database.seconds,
                "measure_seconds": measure_seconds,
                "rows": seeded.rows,
                "pages": {name: asdict(measurement) for name, measurement in pages.items()},
            }
    return out


def measure_pages(seeded, *, runs: int, budget: float = 0) -> dict[str, Measurement]:
    """Every page of one seeded database (the current one)."""
    with webhook_secret():
        measured = measure_interleaved({1.0: (lambda: None, page_requests(seeded))}, runs=runs, budget=budget)
    return check_webhook_filed(seeded, measured[1.0])


def webhook_secret():
    """The bench's webhook secret, and the URLconf that adds the signed-in floor page."""
    return override_settings(
        ANYMAIL={**settings.ANYMAIL, "WEBHOOK_SECRET": WEBHOOK_SECRET}, ROOT_URLCONF="devtools.floor", DEBUG=False
    )


def page_requests(seeded) -> dict[str, Callable[[], Any]]:
    """One request per page, as its user: the owner signed in, a portal visitor, the ESP; the floor first."""
    owner = Client()
    owner.force_login(seeded.user)
    visitor = Client()
    link, _token = issue_link(Contact.objects.get(pk=seeded.portal_contact_id))
    session = visitor.session
    session[SESSION_KEY] = link.pk
    session.save()
    post_inbound = inbound_poster(seeded)
    project = seeded.busy_project_id
    return {
        FLOOR: lambda: owner.get("/healthz"),
        SIGNED_IN_FLOOR: lambda: owner.get("/bench/floor/"),
        "Today": lambda: owner.get("/"),
        "Inbox": lambda: owner.get("/comms/inbox/"),
        "Clients": lambda: owner.get("/clients/"),
        "Project (busy)": lambda: owner.get(f"/projects/{project}/"),
        "Portal project": lambda: visitor.get(f"/portal/projects/{project}/"),
        "Inbound webhook": post_inbound,
    }


def check_webhook_filed(seeded, pages: dict[str, Measurement]) -> dict[str, Measurement]:
    """A webhook answers 200 for mail no studio receives too: each post must have become a message."""
    webhook = pages.get("Inbound webhook")
    if webhook is None or webhook.error:
        return pages
    filed = Message.objects.filter(studio=seeded.studio, message_id__startswith="<bench-hook-").count()
    posted = webhook.runs + 2  # with the warm-up and the counted request
    if filed != posted:
        return {**pages, "Inbound webhook": replace(webhook, error=f"{filed} of {posted} posts filed")}
    return pages


def inbound_poster(seeded) -> Callable[[], Any]:
    """A request that posts a new reply from the busy client into one of its threads, each with its own Message-ID."""
    browser = Client()
    fields = reply_fields(seeded.studio, project_id=seeded.busy_project_id)
    auth = "Basic " + base64.b64encode(WEBHOOK_SECRET.encode()).decode()
    counter = iter(range(10**9))

    def post() -> Any:
        body = postmark_inbound(**fields, number=next(counter), sent_at=timezone.now())
        return browser.post(
            "/hooks/postmark/inbound/", data=body, content_type="application/json", HTTP_AUTHORIZATION=auth
        )

    return post


# --- the command --------------------------------------------------------------------------------


class Command(BaseCommand):
    help = "Page speed at 1×/10×/100× a busy freelancer on SQLite and PostgreSQL; one table, then the other benches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scales",
            default=",".join(f"{scale:g}" for scale in DEFAULT_SCALES),
            help="Comma-separated, e.g. 1,10 (default %(default)s).",
        )
        parser.add_argument("--runs", type=int, default=200, help="Requests per page at most (default 200).")
        parser.add_argument(
            "--page-seconds",
            type=float,
            default=15,
            help=f"Stop a page's requests after this long, once {MIN_RUNS} are done (default 15; 0: no limit).",
        )
        parser.add_argument("--only", choices=["sqlite", "postgres"], help="One database only.")
        parser.add_argument(
            "--extras",
            choices=["auto", "none", "sqlite", "postgres", "both"],
            default="auto",
            help="Where the older benches run (auto: PostgreSQL when set, else SQLite; none to skip).",
        )
        parser.add_argument(
            "--busy-calendars",
            type=int,
            default=DEFAULT_CALENDARS,
            help="Busy calendars the busy-time refresh bench reads (default %(default)s; the issue's figure is 1000).",
        )
        parser.add_argument("--child", choices=["pages", "extras"], help=argparse.SUPPRESS)
        parser.add_argument("--json", help=argparse.SUPPRESS)

    def handle(self, *args: Any, scales: str, runs: int, only: str | None, extras: str, **options: Any) -> None:
        scale_list = parse_scales(scales)
        if options["busy_calendars"] < 1:
            raise CommandError("--busy-calendars needs at least 1.")
        budget = options["page_seconds"]
        if options["child"] == "pages":
            warnings.filterwarnings(
                "ignore", message="No directory at", category=UserWarning
            )  # WhiteNoise's STATIC_ROOT
            result = bench_pages(scale_list, runs=runs, budget=budget, log=self._log)
            Path(options["json"]).write_text(json.dumps(result))
            return
        if options["child"] == "extras":
            self._extras(busy_calendars=options["busy_calendars"])
            return

        started = time.perf_counter()
        pg_version = postgres_version()
        for line in machine_lines(pg_version):
            self.stdout.write(line)
        databases = self._databases(only, has_postgres=pg_version is not None)
        limit = f", or fewer after {budget:g} s once {MIN_RUNS} are done" if budget else ""
        self.stdout.write(
            f"scales {', '.join(scale_label(s) for s in scale_list)} of a busy freelancer; up to {runs} requests "
            f"per page{limit}; one process per database, Django's test client (no network)"
        )
        results: Results = {}
        timings: dict[str, dict] = {}
        for database in databases:
            child = self._run_child(database, scale_list, runs, budget)
            results[database] = {
                float(scale): {name: Measurement(**m) for name, m in data["pages"].items()}
                for scale, data in child["scales"].items()
            }
            timings[database] = child["scales"]
        self.stdout.write("")
        for line in table_lines(results):
            self.stdout.write(line)
        self.stdout.write("")
        for database, by_scale in timings.items():
            seeded = ", ".join(
                f"{scale_label(float(scale))} {sum(data['rows'].values()):,} rows in {data['seed_seconds']:.0f} s"
                for scale, data in by_scale.items()
            )
            migrating = sum(data["migrate_seconds"] for data in by_scale.values())
            done = [page["runs"] for data in by_scale.values() for page in data["pages"].values() if not page["error"]]
            measuring = max(data["measure_seconds"] for data in by_scale.values())
            self.stdout.write(
                f"{database}: seeded {seeded}; migrating {migrating:.0f} s; measuring {measuring:.0f} s "
                f"({min(done, default=0)}–{max(done, default=0)} requests per page and scale, the scales taking turns)"
            )
        self.stdout.write("(Other work shares this machine's cores: compare rows of one run, not runs.)")
        pages_seconds = time.perf_counter() - started
        for database in self._extras_databases(extras, databases, has_postgres=pg_version is not None):
            self.stdout.write(f"\n=== Other benches on {database} ===")
            self._spawn(database, ["--child", "extras", "--busy-calendars", str(options["busy_calendars"])])
        total = time.perf_counter() - started
        self.stdout.write(f"\npages {pages_seconds / 60:.1f} min; total run time {total / 60:.1f} min")

    def _log(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()

    def _databases(self, only: str | None, *, has_postgres: bool) -> list[str]:
        if only == "postgres" and not has_postgres:
            raise CommandError("--only postgres needs DATABASE_URL pointing at PostgreSQL.")
        if only:
            return [only]
        return ["sqlite", "postgres"] if has_postgres else ["sqlite"]

    def _extras_databases(self, extras: str, databases: list[str], *, has_postgres: bool) -> list[str]:
        if extras == "none":
            return []
        if extras == "both":
            return ["sqlite", "postgres"] if has_postgres else ["sqlite"]
        if extras == "auto":
            return [databases[-1]]
        if extras == "postgres" and not has_postgres:
            raise CommandError("--extras postgres needs DATABASE_URL pointing at PostgreSQL.")
        return [extras]

    def _spawn(self, database: str, arguments: list[str]) -> None:
        env = dict(os.environ)
        if database == "sqlite":
            env.pop("DATABASE_URL", None)
        command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "bench", *arguments]
        self.stdout.flush()
        completed = subprocess.run(command, env=env, check=False)  # noqa: S603 - our own manage.py
        if completed.returncode:
            raise CommandError(f"bench {' '.join(arguments)} on {database} failed (exit {completed.returncode}).")

    def _run_child(self, database: str, scales: list[float], runs: int, budget: float) -> dict:
        with tempfile.TemporaryDirectory(prefix="rapport-bench-") as folder:
            out = Path(folder) / "pages.json"
            scales_arg = ",".join(f"{scale:g}" for scale in scales)
            arguments = ["--scales", scales_arg, "--runs", str(runs), "--page-seconds", str(budget)]
            self._spawn(database, ["--child", "pages", *arguments, "--json", str(out)])
            return json.loads(out.read_text())

    def _extras(self, *, busy_calendars: int = DEFAULT_CALENDARS) -> None:
        self.stdout.write("Tier recompute (10,000 clients, 200,000 payments):")
        call_command("bench_tiers", stdout=self.stdout)
        inbound = bench_inbound()
        self.stdout.write(
            f"\nInbound message → stored ({inbound['messages']} varied messages through comms.inbound.receive): "
            f"median {inbound['median_ms']:.2f} ms, p95 {inbound['p95_ms']:.2f} ms, {inbound['per_second']:.0f}/s; "
            f"{inbound['ratio']:.1f}× the parse-and-sanitise floor ({inbound['floor_median_ms']:.2f} ms), "
            f"target ≤ {inbound['target_ratio']}× {'PASS' if inbound['ratio'] <= inbound['target_ratio'] else 'FAIL'}"
        )
        outbox = bench_outbox_throughput()
        self.stdout.write(
            f"Outbox through anymail's test backend ({outbox['emails']} emails): "
            f"{outbox['emails_per_second']:.0f} emails/s delivered, {outbox['enqueue_per_second']:.0f}/s enqueued"
        )
        self.stdout.write("")
        for line in billing_lines(bench_billing()):
            self.stdout.write(line)
        self.stdout.write("\nOpen reply clocks (the Inbox query):")
        call_command("bench_clocks", stdout=self.stdout)
        self.stdout.write("\nScheduled sweeps (10 vs 1,000 studios, 10k vs 1M messages):")
        call_command("bench_sweeps", stdout=self.stdout)
        self.stdout.write("")
        for line in busy_lines(bench_busy(busy_calendars)):
            self.stdout.write(line)


def parse_scales(text: str) -> list[float]:
    try:
        scales = sorted({float(part) for part in text.split(",") if part.strip()})
    except ValueError as exc:
        raise CommandError(f"--scales: {exc}") from exc
    if not scales or any(scale <= 0 for scale in scales):
        raise CommandError("--scales needs positive numbers, e.g. 1,10,100.")
    return scales

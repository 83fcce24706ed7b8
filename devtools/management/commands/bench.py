"""`make bench`: each page as a multiple of a signed-in floor at 1× and 100× a busy freelancer, SQLite and PostgreSQL.

For each database (SQLite always; PostgreSQL too when DATABASE_URL points at one) a child process
seeds a throwaway database per scale (``devtools.bench_seed``, never the dev data nor the test
suite's), then requests each page many times in that one process through Django's test client
(the whole middleware stack, no network), every page at every scale taking turns in blocks of ten
(the floors too, so the machine's other work falls on all rows alike), and records the median,
the p95 and the query count. Before timing a page it checks that the page is what the row says: the
expected status and template (a login redirect or an error page is never timed), and every timed
response's status too.

The yardstick is the signed-in floor (``devtools.floor``): session and user loaded, the studio
chosen, the context processors run, one query, the base template with an empty content block:
what every studio page pays before doing any work of its own. /healthz (no session, no template)
stands beside it. The parent prints one table with a PASS/FAIL per cell (``--markdown``: the same
table for the README), then the other benches with their verdicts, and the run time.

Targets (each ``Page.floor_target`` in ``PAGES``, ``TARGET_GROWTH``), per database and page:
- at every scale, the page's median at most its multiple of the signed-in floor's median
  measured in the same run: Today 3×, Inbox, Clients and Project 2×, the portal pages 1.5×
  (the inbound webhook has no floor target: its ratio is shown, not judged);
- the same query count at every scale;
- the largest scale's median at most ``TARGET_GROWTH`` × the smallest's.

Measured as production runs (``as_in_production``): DEBUG off; templates compiled once by the
cached loader with template debugging off (the engines are rebuilt under DEBUG=False); no
test instrumentation while timing: the throwaway databases need ``setup_test_environment``,
which makes every template render send a signal that the test client answers by copying the
context, a cost growing with each include that production never pays (it is put back only for
the one untimed request per page that checks the template); WhiteNoise without autorefresh or
finders, a dictionary lookup per request as in production. What still differs, alike for every
row and the floor, so ratios are if anything conservative:
- the test client instead of a WSGI server and a socket: building the request and reading the
  response cost about the same on every page;
- no per-request connection handling: the test client skips ``close_old_connections``, so no
  reconnect per request on SQLite (production's CONN_MAX_AGE=0) and no health check on
  PostgreSQL (CONN_HEALTH_CHECKS): a constant production adds to every page;
- ``{% static %}`` through the plain storage (no collected manifest here); production looks each
  name up in the manifest, an in-memory dictionary;
- HTTPS-only settings (redirect, HSTS, secure cookies) are off: the test client speaks plain HTTP;
- the rate-limit cache is whatever REDIS_URL says (the file cache without it), as configured.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import shlex
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.template import Template, engines
from django.template.loaders.cached import Loader as CachedLoader
from django.test import Client
from django.test.utils import CaptureQueriesContext, instrumented_test_render, override_settings
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

DEFAULT_SCALES = (1.0, 100.0)
TARGET_GROWTH = 1.2
TARGET_INBOUND_RATIO = 3.0  # comms.inbound.receive vs parsing the same bytes with `email` and sanitising with nh3
TARGET_OUTBOX_PER_SECOND = 1_000  # emails delivered per second by one worker through anymail's test backend
HEALTHZ = "/healthz"
FLOOR = "signed-in floor"
WEBHOOK_SECRET = "bench:webhook-secret-0123456789"  # noqa: S105 - a throwaway database's webhook secret
MIN_RUNS = 30
# Django's own Template._render, read before setup_test_environment swaps in its instrumented copy.
DJANGO_TEMPLATE_RENDER = Template._render

PASS, FAIL, UNJUDGED = "PASS", "FAIL", "-"


@dataclass(frozen=True)
class Page:
    name: str
    what: str
    template: str = ""  # the template the page renders; empty: none checked
    floor_target: float | None = None  # at most this × the signed-in floor; None: not judged


# In table order, the floors first.
PAGES = (
    Page(HEALTHZ, "a bare view doing one query: no session, no template"),
    Page(
        FLOOR, "session, user, studio, context processors, one query, base.html (devtools.floor)", "devtools/floor.html"
    ),
    Page("Today", "/", "crm/today.html", 3.0),
    Page("Inbox", "/comms/inbox/", "comms/inbox.html", 2.0),
    Page("Clients", "/clients/", "clients/index.html", 2.0),
    Page("Project (busy)", "/projects/<pk>/", "projects/detail.html", 2.0),
    Page("Portal home", "/portal/ with a portal session", "portal/home.html", 1.5),
    Page("Portal project", "/portal/projects/<pk>/ with a portal session", "portal/project.html", 1.5),
    Page("Inbound webhook", "POST /hooks/postmark/inbound/: one new message"),
)
PAGE = {page.name: page for page in PAGES}
FLOORS = (HEALTHZ, FLOOR)


@dataclass(frozen=True)
class Measurement:
    median_ms: float
    p95_ms: float
    queries: int
    runs: int
    error: str = ""
    template: str = ""  # the first template the checked request rendered


class PageError(Exception):
    pass


# --- measuring ----------------------------------------------------------------------------------


@contextmanager
def as_in_production() -> Iterator[None]:
    """DEBUG off, plain template rendering, WhiteNoise as deployed; plus the bench's URLconf and webhook secret.

    ROOT_URLCONF adds the signed-in floor page to the product's URLs; the webhook secret is the
    throwaway database's. Changing DEBUG rebuilds the template engines, so they compile without
    template debugging.
    """
    with (
        override_settings(
            DEBUG=False,
            ROOT_URLCONF="devtools.floor",
            ANYMAIL={**settings.ANYMAIL, "WEBHOOK_SECRET": WEBHOOK_SECRET},
            WHITENOISE_AUTOREFRESH=False,
            WHITENOISE_USE_FINDERS=False,
        ),
        template_rendering(DJANGO_TEMPLATE_RENDER),
    ):
        unlike = unlike_production()
        if unlike:
            raise RuntimeError(f"The bench would not measure as production runs: {', '.join(unlike)}.")
        yield


def unlike_production() -> list[str]:
    """What in the current set-up would make pages cost other than in production; empty when nothing."""
    engine = engines["django"].engine
    differences = []
    if settings.DEBUG:
        differences.append("DEBUG on")
    if engine.debug:
        differences.append("template debugging on")
    if not isinstance(engine.template_loaders[0], CachedLoader):
        differences.append("templates not cached")
    if Template._render is instrumented_test_render:
        differences.append("setup_test_environment's instrumented template rendering")
    if getattr(settings, "WHITENOISE_AUTOREFRESH", settings.DEBUG):
        differences.append("WhiteNoise looking for files on every request")
    return differences


@contextmanager
def template_rendering(render: Callable) -> Iterator[None]:
    """Templates render through ``render`` inside; whatever rendered before is back afterwards."""
    before = Template._render
    Template._render = render
    try:
        yield
    finally:
        Template._render = before


def check_page(page: Page, request: Callable[[], Any], *, expect: int = 200) -> tuple[int, str]:
    """Warm caches with one request, then check the next one is ``page``: status and template; its queries.

    Returns (queries, first template rendered); PageError when the page is not what the row says.
    """
    answer(request(), expect)
    connection.queries_log.clear()  # a full log (maxlen 9000 after migrations) would hide new queries
    with CaptureQueriesContext(connection) as queries, template_rendering(instrumented_test_render):
        response = request()
    answer(response, expect)
    rendered = [template.name for template in getattr(response, "templates", [])]
    if page.template and page.template not in rendered:
        raise PageError(f"rendered {', '.join(map(str, rendered)) or 'no template'}, expected {page.template}")
    return len(queries), str(rendered[0]) if rendered else ""  # read now: each request resets the log


def answer(response: Any, expect: int) -> None:
    if response.status_code != expect:
        location = f" to {response['Location']}" if response.has_header("Location") else ""
        raise PageError(f"HTTP {response.status_code}{location}, expected {expect}")


def timed(request: Callable[[], Any], count: int, *, expect: int = 200) -> list[float]:
    """``count`` requests' durations in ms; PageError as soon as one answers other than ``expect``."""
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        response = request()
        timings.append((time.perf_counter() - started) * 1000)
        answer(response, expect)
    return timings


def measure_interleaved(
    targets: dict[float, tuple[Callable[[], None], dict[str, Callable[[], Any]]]],
    *,
    runs: int,
    budget: float = 0,
    block: int = 10,
) -> dict[float, dict[str, Measurement]]:
    """Time every page at every scale, all of them taking turns in blocks of ``block`` requests.

    ``targets`` maps a scale to (a function that switches to its database, its page requests). Each
    page is checked first (``check_page``); then every round times a block of each page at each
    scale, the floors included, so whatever else the machine does falls on all rows alike and their
    ratios to the floor hold up on a shared machine. A page stops once it has ``runs`` requests at
    each scale, or when ``budget`` seconds per page and scale are spent and every one has
    ``MIN_RUNS``. Call it inside ``as_in_production``.
    """
    results: dict[float, dict[str, Measurement]] = {scale: {} for scale in targets}
    names = list(next(iter(targets.values()))[1])
    checked: dict[tuple[float, str], tuple[int, str]] = {}
    for scale, (activate, requests) in targets.items():
        activate()
        for name in names:
            try:
                checked[scale, name] = check_page(PAGE[name], requests[name])
            except PageError as exc:
                results[scale][name] = Measurement(0, 0, 0, 0, error=str(exc))
    timings: dict[tuple[float, str], list[float]] = {key: [] for key in checked}
    min_runs = min(MIN_RUNS, runs)
    deadline = time.perf_counter() + budget * len(timings) if budget else None
    while any(len(samples) < runs for samples in timings.values()):
        if deadline and time.perf_counter() > deadline and all(len(s) >= min_runs for s in timings.values()):
            break
        for scale, (activate, requests) in targets.items():
            activate()
            connection.ensure_connection()  # switching databases reconnects: not a page's cost
            for name in names:
                samples = timings.get((scale, name))
                if samples is None or len(samples) >= runs:
                    continue
                try:
                    samples += timed(requests[name], min(block, runs - len(samples)))
                except PageError as exc:
                    results[scale][name] = Measurement(0, 0, 0, 0, error=f"while timing: {exc}")
                    del timings[scale, name]
    for (scale, name), samples in timings.items():
        queries, template = checked[scale, name]
        results[scale][name] = Measurement(
            statistics.median(samples), percentile(samples, 95), queries, len(samples), template=template
        )
    return {scale: {name: by_name[name] for name in names if name in by_name} for scale, by_name in results.items()}


def percentile(values: list[float], share: int) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * share // 100) - 1)]


def scale_label(scale: float) -> str:
    return f"{scale:g}×"


# --- verdicts and the table: pure ---------------------------------------------------------------

Results = dict[str, dict[float, dict[str, Measurement]]]  # database → scale → page → measurement


def at_most(value: float, limit: float) -> str:
    return PASS if value <= limit else FAIL


def at_least(value: float, limit: float) -> str:
    return PASS if value >= limit else FAIL


def floor_verdict(page: str, ratio: float) -> str:
    """A page's median as a multiple of the signed-in floor's, against its target; "-" without one."""
    target = PAGE[page].floor_target if page in PAGE else None
    return UNJUDGED if target is None else at_most(ratio, target)


def queries_verdict(page: str, counts: list[int]) -> str:
    """The same query count at every scale; "" with one scale (nothing to compare), "-" for the floors."""
    if len(counts) < 2:
        return ""
    if page in FLOORS:
        return UNJUDGED
    return PASS if len(set(counts)) == 1 else FAIL


def growth_verdict(page: str, growth: float) -> str:
    return UNJUDGED if page in FLOORS else at_most(growth, TARGET_GROWTH)


@dataclass(frozen=True)
class Cell:
    text: str
    verdict: str = ""  # PASS, FAIL, "-" (shown, not judged) or "" (a plain value)


@dataclass(frozen=True)
class Column:
    group: str  # the heading over its scale's columns ("" for a column of its own)
    label: str
    numeric: bool = True


def _columns(scales: list[float]) -> list[Column]:
    labels = [scale_label(scale) for scale in scales]
    smallest, largest = labels[0], labels[-1]
    return [
        Column("", "database", numeric=False),
        Column("", "page", numeric=False),
        Column("queries", "/".join(labels)),
        *(Column("median ms", label) for label in labels),
        *(Column("p95 ms", label) for label in labels),
        *(Column("× signed-in floor", label) for label in labels),
        *([Column("growth", f"{largest}/{smallest}")] if len(scales) > 1 else []),
        Column("× /healthz", smallest),
    ]


def page_cells(page: str, measured: list[Measurement | None], floor: list[Measurement | None]) -> list[Cell]:
    """A row's cells after database and page: queries, medians, p95s and × floor by scale, growth if several.

    An error (the page's, or the floor's for its ratio) fails every cell it leaves unknown.
    """
    ok = [m is not None and not m.error for m in measured]
    if all(ok):
        counts = [m.queries for m in measured]
        queries = Cell("/".join(map(str, counts)), queries_verdict(page, counts))
    else:
        queries = Cell("/".join(str(m.queries) if good else "-" for m, good in zip(measured, ok, strict=True)), FAIL)
    medians = [_ms_cell(m, "median_ms") for m in measured]
    p95s = [_ms_cell(m, "p95_ms") for m in measured]
    ratios = []
    for m, base in zip(measured, floor, strict=True):
        if m is None:
            ratios.append(Cell("-"))
        elif m.error or base is None or base.error or not base.median_ms:
            ratios.append(Cell("error", FAIL))
        else:
            ratio = m.median_ms / base.median_ms
            ratios.append(Cell(f"{ratio:.2f}" if ratio < 10 else f"{ratio:.1f}", floor_verdict(page, ratio)))
    if len(measured) < 2:
        return [queries, *medians, *p95s, *ratios]
    if all(ok) and measured[0].median_ms:
        value = measured[-1].median_ms / measured[0].median_ms
        growth = Cell(f"{value:.2f}", growth_verdict(page, value))
    else:
        growth = Cell("error", FAIL)
    return [queries, *medians, *p95s, *ratios, growth]


def _ms_cell(measurement: Measurement | None, name: str) -> Cell:
    if measurement is None:
        return Cell("-")
    if measurement.error:
        return Cell("error")
    value = getattr(measurement, name)
    return Cell(f"{value:.1f}" if value >= 100 else f"{value:.2f}")


def table_rows(results: Results) -> tuple[list[str], list[Column], list[list[Cell]], list[str]]:
    """The scales' labels, the table's columns, its rows (a database and page each) and the errors, a line each."""
    scales = sorted({scale for by_scale in results.values() for scale in by_scale})
    columns = _columns(scales)
    rows, errors = [], []
    for database, by_scale in results.items():
        floor = [by_scale.get(scale, {}).get(FLOOR) for scale in scales]
        healthz = by_scale.get(scales[0], {}).get(HEALTHZ)
        for page in PAGES:
            measured = [by_scale.get(scale, {}).get(page.name) for scale in scales]
            if not any(measured):
                continue
            for scale, m in zip(scales, measured, strict=True):
                if m is not None and m.error:
                    errors.append(f"{database} {page.name} {scale_label(scale)}: {m.error}")
            first = measured[0]
            if page.name == HEALTHZ or not healthz or healthz.error or not first or first.error:
                by_healthz = Cell("-")
            else:
                by_healthz = Cell(f"{first.median_ms / healthz.median_ms:.0f}")
            rows.append([Cell(database), Cell(page.name), *page_cells(page.name, measured, floor), by_healthz])
    return [scale_label(scale) for scale in scales], columns, rows, errors


def summary_lines(rows: list[list[Cell]], scales: list[str]) -> list[str]:
    """The targets in words, then how many judged cells failed, in all and by database."""
    growth = f"; {scales[-1]}/{scales[0]} ≤ {TARGET_GROWTH:g}" if len(scales) > 1 else ""
    judged: dict[str, list[str]] = {}
    for row in rows:
        judged.setdefault(row[0].text, []).extend(cell.verdict for cell in row if cell.verdict in (PASS, FAIL))
    every = [verdict for verdicts in judged.values() for verdict in verdicts]
    by_database = ", ".join(
        f"{database} {verdicts.count(FAIL)} of {len(verdicts)}" for database, verdicts in judged.items()
    )
    outcome = f"all {len(every)} cells PASS" if FAIL not in every else f"{every.count(FAIL)} of {len(every)} cells FAIL"
    return [
        "targets: × signed-in floor at every scale: Today ≤ 3, Inbox/Clients/Project ≤ 2, portal pages ≤ 1.5; "
        f"same queries at every scale{growth}.",
        f"verdict: {outcome} ({by_database}).",
    ]


def _cell_text(cell: Cell, *, markdown: bool = False) -> str:
    if cell.verdict in ("", None):
        return cell.text
    verdict = f"**{cell.verdict}**" if markdown and cell.verdict == FAIL else cell.verdict
    return f"{cell.text} {verdict}"


def table_lines(results: Results) -> list[str]:
    """The table for a terminal: headings grouped by what is measured, a row per database and page, a summary."""
    if not any(results.values()):
        return ["(nothing measured)"]
    scales, columns, rows, errors = table_rows(results)
    texts = [[_cell_text(cell) for cell in row] for row in rows]
    widths = [max(len(column.label), *(len(row[i]) for row in texts)) for i, column in enumerate(columns)]
    verdict_width = 4
    for i in range(len(columns)):  # right-aligned verdicts line up: "12.6 FAIL", "1.90 PASS", "0.11    -"
        if any(row[i].verdict for row in rows):
            number = max(len(row[i].text) for row in rows)
            widths[i] = max(widths[i], number + 1 + verdict_width)
    groups = _group_spans(columns)
    for group, members in groups:  # a group heading wider than its columns widens its first column
        span = sum(widths[i] for i in members) + len(members) - 1
        if len(group) > span:
            widths[members[0]] += len(group) - span

    def line(cells: list[str]) -> str:
        out = ""
        for i, (column, text) in enumerate(zip(columns, cells, strict=True)):
            gap = "" if i == 0 else ("  " if columns[i - 1].group != column.group or not column.group else " ")
            out += gap + (text.rjust(widths[i]) if column.numeric else text.ljust(widths[i]))
        return out.rstrip()

    heading = ""
    for index, (group, members) in enumerate(groups):
        gap = "" if index == 0 else "  "
        span = sum(widths[i] for i in members) + len(members) - 1
        heading += gap + group.rjust(span)
    lines = [heading.rstrip(), line([column.label for column in columns])]
    for row, text in zip(rows, texts, strict=True):
        cells = [
            _aligned(cell, widths[i], verdict_width) if cell.verdict else value
            for i, (cell, value) in enumerate(zip(row, text, strict=True))
        ]
        lines.append(line(cells))
    lines += summary_lines(rows, scales)
    lines += [f"error: {error}" for error in errors]
    return lines


def _aligned(cell: Cell, width: int, verdict_width: int) -> str:
    return f"{cell.text.rjust(width - verdict_width - 1)} {cell.verdict.rjust(verdict_width)}"


def _group_spans(columns: list[Column]) -> list[tuple[str, list[int]]]:
    """Consecutive columns under one heading: [(heading, column indexes)], a column of its own alone."""
    spans: list[tuple[str, list[int]]] = []
    for i, column in enumerate(columns):
        if spans and column.group and spans[-1][0] == column.group:
            spans[-1][1].append(i)
        else:
            spans.append((column.group, [i]))
    return spans


def markdown_lines(results: Results) -> list[str]:
    """The same table as markdown, for the README."""
    if not any(results.values()):
        return ["(nothing measured)"]
    scales, columns, rows, errors = table_rows(results)
    headings = [f"{column.group} {column.label}".strip() for column in columns]
    lines = ["| " + " | ".join(headings) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell_text(cell, markdown=True) for cell in row) + " |" for row in rows]
    lines += ["", *summary_lines(rows, scales)]
    return lines + [f"error: {error}" for error in errors]


# --- the other benches: verdict lines -----------------------------------------------------------


def inbound_lines(result: dict) -> list[str]:
    """``bench_inbound``'s figures and its verdict against the parse-and-sanitise floor, when it measures one."""
    median = result["median_ms"]
    floor = result.get("floor_median_ms")
    ratio = result.get("ratio") or (median / floor if floor else None)
    lines = [
        f"Inbound message → stored ({result.get('messages', '?')} varied messages through comms.inbound.receive): "
        f"median {median:.2f} ms, p95 {result['p95_ms']:.2f} ms, {result['per_second']:.0f}/s"
    ]
    versus = "  × parsing and sanitising the same bytes (email + nh3"
    if ratio is None:
        lines.append(f"{versus}): not measured -")
    else:
        floor_text = f", median {floor:.2f} ms" if floor else ""
        lines.append(
            f"{versus}{floor_text}): {ratio:.2f} {at_most(ratio, TARGET_INBOUND_RATIO)} "
            f"(target ≤ {TARGET_INBOUND_RATIO:g})"
        )
    return lines


def outbox_lines(result: dict) -> list[str]:
    """``bench_outbox_throughput``'s figures and its verdict per worker."""
    delivered = result.get("emails_per_second")
    enqueued = result.get("enqueue_per_second")
    verdict = at_least(delivered, TARGET_OUTBOX_PER_SECOND) if delivered is not None else FAIL
    spread = ""
    if "slowest_round_per_second" in result:
        spread = (
            f" (median of {result.get('rounds', '?')} rounds, {result['slowest_round_per_second']:,.0f}–"
            f"{result['fastest_round_per_second']:,.0f})"
        )
    return [
        f"Outbox through anymail's test backend ({result.get('emails', '?')} emails, one worker): "
        f"{delivered or 0:,.0f} emails/s delivered{spread} {verdict} (target ≥ {TARGET_OUTBOX_PER_SECOND:,}), "
        f"{enqueued or 0:,.0f}/s enqueued; the backend alone {result.get('backend_per_second') or 0:,.0f}/s"
    ]


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
        log(f"  {connection.vendor}: measuring, the pages and scales taking turns…")
        started = time.perf_counter()
        with as_in_production():
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
    with as_in_production():
        measured = measure_interleaved({1.0: (lambda: None, page_requests(seeded))}, runs=runs, budget=budget)
    return check_webhook_filed(seeded, measured[1.0])


def page_requests(seeded) -> dict[str, Callable[[], Any]]:
    """One request per page, as its user: the owner signed in, a portal visitor, the ESP; in ``PAGES`` order."""
    owner = Client()
    owner.force_login(seeded.user)
    visitor = Client()
    link, _token = issue_link(Contact.objects.get(pk=seeded.portal_contact_id))
    session = visitor.session
    session[SESSION_KEY] = link.pk
    session.save()
    post_inbound = inbound_poster(seeded)
    project = seeded.busy_project_id
    requests = {
        HEALTHZ: lambda: owner.get("/healthz"),
        FLOOR: lambda: owner.get("/bench/floor/"),
        "Today": lambda: owner.get("/"),
        "Inbox": lambda: owner.get("/comms/inbox/"),
        "Clients": lambda: owner.get("/clients/"),
        "Project (busy)": lambda: owner.get(f"/projects/{project}/"),
        "Portal home": lambda: visitor.get("/portal/"),
        "Portal project": lambda: visitor.get(f"/portal/projects/{project}/"),
        "Inbound webhook": post_inbound,
    }
    return {page.name: requests[page.name] for page in PAGES}


def check_webhook_filed(seeded, pages: dict[str, Measurement]) -> dict[str, Measurement]:
    """A webhook answers 200 for mail no studio receives too: each post must have become a message."""
    webhook = pages.get("Inbound webhook")
    if webhook is None or webhook.error:
        return pages
    filed = Message.objects.filter(studio=seeded.studio, message_id__startswith="<bench-hook-").count()
    posted = webhook.runs + 2  # with the warm-up and the checked request
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
    help = "Pages as multiples of a signed-in floor at 1×/100× on SQLite and PostgreSQL, PASS/FAIL; the other benches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scales",
            default=",".join(f"{scale:g}" for scale in DEFAULT_SCALES),
            help="Comma-separated, e.g. 1,10,100 (default %(default)s).",
        )
        parser.add_argument("--runs", type=int, default=200, help="Requests per page at most (default 200).")
        parser.add_argument(
            "--page-seconds",
            type=float,
            default=15,
            help=f"Seconds per page and scale, all taking turns: stop after that many in all once each has "
            f"{MIN_RUNS} requests (default 15; 0: no limit).",
        )
        parser.add_argument("--only", choices=["sqlite", "postgres"], help="One database only.")
        parser.add_argument(
            "--extras",
            choices=["auto", "none", "sqlite", "postgres", "both"],
            default="auto",
            help="Where the other benches run (auto: PostgreSQL when set, else SQLite; none to skip).",
        )
        parser.add_argument("--markdown", action="store_true", help="Print the table as markdown (for the README).")
        parser.add_argument(
            "--busy-calendars",
            type=int,
            default=DEFAULT_CALENDARS,
            help="Busy calendars the busy-time refresh bench reads (default %(default)s; the issue's figure is 1000).",
        )
        parser.add_argument(
            "--sweeps-args", default="", help='Passed to bench_sweeps, e.g. "--large-studios 2000 --runs 3".'
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
            self._extras(busy_calendars=options["busy_calendars"], sweeps_args=options["sweeps_args"])
            return

        started = time.perf_counter()
        pg_version = postgres_version()
        for line in machine_lines(pg_version):
            self.stdout.write(line)
        databases = self._databases(only, has_postgres=pg_version is not None)
        limit = f", or fewer after {budget:g} s per page and scale once {MIN_RUNS} are done" if budget else ""
        self.stdout.write(
            f"scales {', '.join(scale_label(s) for s in scale_list)} of a busy freelancer; up to {runs} requests "
            f"per page{limit}; one process per database, Django's test client (no network), DEBUG off"
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
        for line in (markdown_lines if options["markdown"] else table_lines)(results):
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
                f"({min(done, default=0)}–{max(done, default=0)} requests per page and scale, taking turns)"
            )
        self.stdout.write("(Other work shares this machine's cores: compare rows of one run, not runs.)")
        pages_seconds = time.perf_counter() - started
        for database in self._extras_databases(extras, databases, has_postgres=pg_version is not None):
            self.stdout.write(f"\n=== Other benches on {database} ===")
            arguments = ["--child", "extras", "--busy-calendars", str(options["busy_calendars"])]
            self._spawn(database, [*arguments, f"--sweeps-args={options['sweeps_args']}"])
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

    def _extras(self, *, busy_calendars: int = DEFAULT_CALENDARS, sweeps_args: str = "") -> None:
        self.stdout.write("Tier recompute (10,000 clients, 200,000 payments):")
        call_command("bench_tiers", stdout=self.stdout)
        self.stdout.write("")
        for line in [*inbound_lines(bench_inbound()), *outbox_lines(bench_outbox_throughput())]:
            self.stdout.write(line)
        self.stdout.write("")
        for line in billing_lines(bench_billing()):
            self.stdout.write(line)
        self.stdout.write("\nOpen reply clocks (the Inbox query):")
        call_command("bench_clocks", stdout=self.stdout)
        self.stdout.write("\nScheduled sweeps (bench_sweeps: 10 vs 10,000 studios, per due item):")
        call_command("bench_sweeps", *shlex.split(sweeps_args), stdout=self.stdout)
        self.stdout.write("")
        for line in busy_lines(bench_busy(busy_calendars)):
            self.stdout.write(line)


def parse_scales(text: str) -> list[float]:
    try:
        scales = sorted({float(part) for part in text.split(",") if part.strip()})
    except ValueError as exc:
        raise CommandError(f"--scales: {exc}") from exc
    if not scales or any(scale <= 0 for scale in scales):
        raise CommandError("--scales needs positive numbers, e.g. 1,100.")
    return scales

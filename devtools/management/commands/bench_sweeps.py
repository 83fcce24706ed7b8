"""`manage.py bench_sweeps`: the beat's sweeps with 10 vs 10,000 studios and 10k vs 1M messages.

Seeds two throwaway databases (never the dev data nor the test suite's). The small one:
``--small-studios`` studios that each have the same things due at ``BENCH_NOW`` (reply clocks to warn
about and to report, promises, a digest, deadlines, a deposit, a survey, an invoice reminder, a
maintenance invoice, an anniversary), with ``--small`` messages of history. The large one has the same
due studios and adds studios with nothing due up to ``--large-studios`` (each with a client, projects,
an open invoice and a maintenance plan, none of them due; its digest already went today or its hour
has not come) and history up to ``--large`` messages. What is due stays the same, so a sweep's time
per due item should too: target ratio ≤ 1.5×.

Each sweep (and ``run_sweeps``, all of them) is timed twice per run, in a transaction rolled back
afterwards: the first tick, which writes what is due, and a repeat tick, which finds it written and
writes nothing (what beat does most of the time). The two databases take turns run by run, each on
its own open connection, so whatever else the machine does falls on both alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.utils import load_backend
from django.test.utils import CaptureQueriesContext

from billing.models import Invoice
from clients.models import Client, Contact
from comms.models import Commitment, OutboxEmail
from desk.digest import at_digest_hour, digest_key
from devtools.benchdb import throwaway_databases, use_database
from devtools.management.commands.bench_clocks import START, Seeder
from kernel.models import Studio, SweepSchedule
from kernel.sweeps import SCHEDULED_JOBS, load_sweeps, run_sweeps, studios_local
from projects.models import ActionItem, MaintenancePlan, Milestone, Project
from tests.factories import (
    ActionItemFactory,
    ClientFactory,
    ContactFactory,
    MembershipFactory,
    MessageFactory,
    MilestoneFactory,
    ProjectFactory,
    StudioFactory,
    ThreadFactory,
)

TARGET_RATIO = 1.5
# A Wednesday. Due studios are in UTC, open 09:00–18:00, digest at 08:00: all of it is due at 10:00.
BENCH_NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
MESSAGES_PER_PROMISE = 50  # acknowledgments with a promise, kept long ago: history the sweeps must not scan
HISTORY_OPEN_CLOCKS = 5  # per due studio: long-breached, never answered; listed by the digest, no notice
IDLE_TIMEZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "America/Denver")
ALL = "all sweeps"


class Command(BaseCommand):
    help = "Time the beat's sweeps at 10 vs 10,000 studios and 10k vs 1M messages; prints the ratio per due item."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--small-studios", type=int, default=10, help="Studios with something due (both cases).")
        parser.add_argument("--large-studios", type=int, default=10_000)
        parser.add_argument("--small", type=int, default=10_000, help="Messages stored in the small case.")
        parser.add_argument("--large", type=int, default=1_000_000)
        parser.add_argument("--runs", type=int, default=7)

    def handle(
        self, *args: Any, small_studios: int, large_studios: int, small: int, large: int, runs: int, **options: Any
    ) -> None:
        if large_studios < small_studios or large < small:
            raise CommandError("The large case must be at least the small one.")
        with throwaway_databases(["sweeps_small", "sweeps_large"]) as (small_db, large_db):
            use_database(small_db.name)
            seed(BENCH_NOW, due=small_studios, idle=0, history=[small])
            use_database(large_db.name)
            started = time.perf_counter()
            seed(BENCH_NOW, due=small_studios, idle=large_studios - small_studios, history=[small, large - small])
            seed_seconds = time.perf_counter() - started
            with open_connections({"small": small_db.name, "large": large_db.name}) as cases:
                timings = time_sweeps(cases, BENCH_NOW, runs=runs)
        report = SweepReport(timings["small"], timings["large"], small_studios=small_studios)
        self.stdout.write(
            f"database: {connection.vendor}; due at each tick: {small_studios} studios × (2 reply warnings, "
            f"2 breaches, 2 promises, a digest, deadlines, a deposit, a survey, an invoice reminder, a maintenance "
            f"invoice, an anniversary); fastest of {runs} runs, the two databases taking turns"
        )
        self.stdout.write(
            f"small: {small_studios:,} studios, {small:,} messages; large: {large_studios:,} studios "
            f"({large_studios - small_studios:,} with nothing due), {large:,} messages; seeding the large one "
            f"{seed_seconds:.0f} s"
        )
        for line in report.lines():
            self.stdout.write(line)


# --- Seeding --------------------------------------------------------------------------------


def seed(now: datetime, *, due: int, idle: int, history: list[int]) -> None:
    """The current database: ``due`` studios with the bench's due items, ``idle`` with nothing due.

    ``history`` is the messages added in steps (the first step leaves the open clocks, see
    ``SweepBench.add_history``), the idle studios added after the first.
    """
    bench = SweepBench(now)
    bench.add_due_studios(due)
    bench.add_history(history[0])
    bench.add_idle_studios(idle)
    for count in history[1:]:
        bench.add_history(count)


class SweepBench:
    """Seeds studios and history so that what is due at ``now`` is the same in the small and large case.

    Due studios get an owner, a fixed set of due items (``add_due_items``) and a ``Seeder`` (from
    ``bench_clocks``) for their history; idle studios (``add_idle_studios``) are bulk-inserted with
    the same kinds of things as a studio at work, none of them due: no mail waiting, and their
    digest for today already written or their hour still ahead.
    """

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.seeders: list = []

    def add_due_studios(self, count: int) -> None:
        for index in range(count):
            studio = StudioFactory(
                slug=f"bench-due-{index}", timezone="UTC", digest_hour=8, yearly_card_month=self.now.month
            )
            MembershipFactory(studio=studio)
            add_due_items(studio, now=self.now)
            self.seeders.append(Seeder(studio))
            # Due: every scheduled job of the studio looks at it at this tick.
            SweepSchedule.objects.filter(studio=studio).update(next_run_at=self.now)

    def add_history(self, count: int) -> None:
        """``count`` more messages spread over the due studios: replies and answered mail.

        One promise, long kept, per ``MESSAGES_PER_PROMISE`` messages. The first call also leaves
        ``HISTORY_OPEN_CLOCKS`` clocks per studio open (it needs ten messages per open clock); later
        calls add none, so the open clocks stay the same.
        """
        per_studio, rest = divmod(count, len(self.seeders))
        for index, seeder in enumerate(self.seeders):
            share = per_studio + (index < rest)
            open_count = HISTORY_OPEN_CLOCKS if seeder.written == 0 else 0
            if share < 10 * open_count:
                raise CommandError(f"At least {10 * open_count} messages per studio are needed at first.")
            if share:
                seeder.add(share, open_count=open_count)
                add_kept_promises(seeder.studio, seeder.client_ids, count=share // MESSAGES_PER_PROMISE)

    def add_idle_studios(self, count: int) -> None:
        if not count:
            return
        first = Studio.objects.count()
        Studio.objects.bulk_create(
            (
                Studio(
                    name=f"Idle {first + index}",
                    slug=f"bench-idle-{first + index}",
                    timezone=IDLE_TIMEZONES[index % len(IDLE_TIMEZONES)],
                    digest_hour=8,
                )
                for index in range(count)
            ),
            batch_size=1_000,
        )
        idle = Studio.objects.filter(slug__startswith="bench-idle-")
        already_sent = [
            OutboxEmail(
                studio=moment.studio,
                kind="digest",
                idempotency_key=digest_key(moment.studio.pk, moment.today),
                from_email="bench@example.com",
                to=["owner@example.com"],
                subject="Your day",
                status=OutboxEmail.Status.SENT,
                send_after=self.now - timedelta(hours=1),
                sent_at=self.now - timedelta(hours=1),
            )
            for moment in at_digest_hour(studios_local(self.now, idle))
        ]
        OutboxEmail.objects.bulk_create(already_sent, batch_size=500)
        # Looked at earlier today: each is next due at tomorrow's hour, as the sweeps would have left it.
        SweepSchedule.objects.bulk_create(
            (
                SweepSchedule(studio=studio, job=job, next_run_at=self.now + timedelta(hours=20))
                for studio in idle.filter(sweep_schedules__isnull=True)
                for job in SCHEDULED_JOBS
            ),
            batch_size=1_000,
        )
        add_work_not_due(list(idle.filter(clients__isnull=True).values_list("pk", flat=True)), now=self.now)


def add_work_not_due(studio_ids: list[int], *, now: datetime) -> None:
    """What a studio at work stores, none of it due at ``now``: one of each, bulk-inserted.

    A client and its contact, a project under way (deadline, milestone and the client's next step
    weeks away), one waiting for its deposit asked for yesterday, one completed long ago, an issued
    invoice due in a month, and a maintenance plan already invoiced this month.
    """
    today = now.date()
    bulk = partial(_bulk_create, batch_size=1_000)
    clients = bulk(
        Client(studio_id=pk, name=f"Client of {pk}", client_since=date(2024, 6, 15), last_interaction_at=now)
        for pk in studio_ids
    )
    bulk(Contact(studio_id=c.studio_id, client=c, name="Ann Client", email=f"ann{c.pk}@example.com") for c in clients)
    under_way = bulk(
        Project(
            studio_id=c.studio_id, client=c, title="Redesign", status=Project.Status.IN_PROGRESS,
            deadline_on=today + timedelta(days=30),
        )
        for c in clients
    )  # fmt: skip
    bulk(Milestone(project=p, title="Mock-ups", due_on=today + timedelta(days=20)) for p in under_way)
    bulk(ActionItem(project=p, text="Send the texts", due_on=today + timedelta(days=10)) for p in under_way)
    bulk(
        Project(
            studio_id=c.studio_id, client=c, title="Shop", status=Project.Status.AWAITING_DEPOSIT,
            deposit_amount_minor=100_000, deposit_requested_at=now - timedelta(days=1),
        )
        for c in clients
    )  # fmt: skip
    bulk(
        Project(
            studio_id=c.studio_id, client=c, title="Old site", status=Project.Status.COMPLETED,
            completed_on=date(2025, 6, 1),
        )
        for c in clients
    )  # fmt: skip
    bulk(
        Invoice(
            studio_id=c.studio_id, client=c, status=Invoice.Status.ISSUED, number=f"OPEN-{c.pk}",
            issue_date=today - timedelta(days=1), issued_at=now - timedelta(days=1), due_on=today + timedelta(days=30),
            total_minor=50_000,
        )
        for c in clients
    )  # fmt: skip
    plans = bulk(
        MaintenancePlan(
            studio_id=c.studio_id, client=c, monthly_price_minor=20_000, included="Updates",
            start_on=date(2025, 1, 1),
        )
        for c in clients
    )  # fmt: skip
    bulk(
        Invoice(
            studio_id=p.studio_id, client_id=p.client_id, kind=Invoice.Kind.MAINTENANCE, status=Invoice.Status.ISSUED,
            number=f"CARE-{p.pk}", maintenance_plan=p, period=f"{now:%Y-%m}", issue_date=today.replace(day=1),
            due_on=today.replace(day=1) + timedelta(days=14), total_minor=20_000, paid_minor=20_000,
        )
        for p in plans
    )  # fmt: skip


def _bulk_create(objects, *, batch_size: int) -> list:
    objects = list(objects)
    if objects:
        type(objects[0]).objects.bulk_create(objects, batch_size=batch_size)
    return objects


def add_kept_promises(studio, client_ids: list[int], *, count: int) -> None:
    promises = []
    for index in range(count):
        promised_by = START + timedelta(hours=index)
        promises.append(
            Commitment(
                studio=studio,
                client_id=client_ids[index % len(client_ids)],
                description="An answer",
                promised_by=promised_by,
                warn_at=promised_by - timedelta(hours=2),
                fulfilled_at=promised_by - timedelta(hours=1),
            )
        )
    Commitment.objects.bulk_create(promises, batch_size=1_000)


def add_due_items(studio, *, now: datetime) -> None:
    """What every due studio has due at ``now`` (a weekday at 10:00 in the studio's zone, UTC)."""
    today: date = now.astimezone(studio.zoneinfo).date()
    client = ClientFactory(
        studio=studio, name=f"Due client of {studio.slug}", client_since=today.replace(year=today.year - 3)
    )
    ContactFactory(client=client, studio=studio, name="Dana Client")
    hour = timedelta(hours=1)
    for warn_at, due_at in ((now - hour, now + hour), (now - 2 * hour, now + 2 * hour)):  # warnings
        MessageFactory(
            thread=ThreadFactory(client=client),
            sent_at=due_at - 8 * hour,
            needs_reply=True,
            reply_warn_at=warn_at,
            reply_due_at=due_at,
        )
    for due_at in (now - hour, now - 3 * hour):  # breaches
        MessageFactory(
            thread=ThreadFactory(client=client),
            sent_at=due_at - 8 * hour,
            needs_reply=True,
            reply_warn_at=due_at - 2 * hour,
            reply_due_at=due_at,
        )
    for warn_at, promised_by in ((now - hour, now + hour), (now - 4 * hour, now - hour)):
        Commitment.objects.create(
            studio=studio, client=client, description="The revised quote", promised_by=promised_by, warn_at=warn_at
        )
    website = ProjectFactory(client=client, title="Website", deadline_on=today + timedelta(days=3))
    MilestoneFactory(project=website, title="Mock-ups", due_on=today + timedelta(days=1))
    ActionItemFactory(project=website, text="Send the photos", due_on=today - timedelta(days=2))
    ProjectFactory(
        client=client, title="Shop", status="awaiting_deposit", deposit_amount_minor=100_000,
        deposit_requested_at=now - timedelta(days=3),
    )  # fmt: skip
    ProjectFactory(
        client=client, title="Landing page", status="completed",
        completed_on=today - timedelta(days=studio.survey_after_days),
    )  # fmt: skip
    Invoice.objects.create(
        studio=studio, client=client, project=website, status=Invoice.Status.ISSUED, number=f"DUE-{studio.pk}",
        issue_date=today - timedelta(days=14), issued_at=now - timedelta(days=14), due_on=today + timedelta(days=3),
        total_minor=250_000,
    )  # fmt: skip
    MaintenancePlan.objects.create(
        studio=studio, client=client, monthly_price_minor=20_000, included="Updates",
        start_on=today.replace(year=today.year - 1),
    )  # fmt: skip


# --- Timing ---------------------------------------------------------------------------------


@contextmanager
def open_connections(databases: dict[str, str]) -> Iterator[dict[str, Callable[[], None]]]:
    """An open connection per database: each case's callable makes its own the default one.

    Switching keeps both connections (and their caches) warm, unlike reconnecting for every turn.
    """
    original = connections[DEFAULT_DB_ALIAS]
    backend = load_backend(original.settings_dict["ENGINE"])
    opened = {
        case: backend.DatabaseWrapper({**original.settings_dict, "NAME": name}, DEFAULT_DB_ALIAS)
        for case, name in databases.items()
    }
    try:
        yield {case: partial(connections.__setitem__, DEFAULT_DB_ALIAS, wrapper) for case, wrapper in opened.items()}
    finally:
        for wrapper in opened.values():
            wrapper.close()
        connections[DEFAULT_DB_ALIAS] = original


@dataclass(frozen=True)
class Timing:
    first_ms: float
    repeat_ms: float
    rows: int  # written by the first tick: the items due
    first_queries: int
    repeat_queries: int
    failures: list[str]


def time_sweeps(cases: dict[str, Callable[[], None]], now: datetime, *, runs: int) -> dict[str, dict[str, Timing]]:
    """The fastest ms of each registered sweep and of all of them per case: a first tick, then a repeat tick.

    The fastest run, not the median: on a shared machine other work only ever adds time, and a one-query
    tick of a millisecond doubles whenever the scheduler looks away.

    ``cases`` maps a name to a function that switches to its database; they take turns run by run.
    Every run happens in a transaction rolled back afterwards, so each finds the same work due. The
    first run of each case warms caches and templates, counts the queries, and is not timed.
    """
    names = load_sweeps()
    timings: dict[str, dict[str, Timing]] = {case: {} for case in cases}
    for label, selected in [(name, [name]) for name in names] + [(ALL, names)]:
        samples: dict[str, list[Tick]] = {case: [] for case in cases}
        for run in range(runs + 1):
            for case, activate in cases.items():
                activate()
                samples[case].append(tick_twice(now, selected, count_queries=run == 0))
        for case, ticks in samples.items():
            warm, timed = ticks[0], ticks[1:]
            timings[case][label] = Timing(
                first_ms=min(tick.first_ms for tick in timed),
                repeat_ms=min(tick.repeat_ms for tick in timed),
                rows=warm.rows,
                first_queries=warm.first_queries,
                repeat_queries=warm.repeat_queries,
                failures=warm.failures,
            )
    return timings


@dataclass(frozen=True)
class Tick:
    first_ms: float
    repeat_ms: float
    rows: int
    first_queries: int
    repeat_queries: int
    failures: list[str]


def tick_twice(now: datetime, names: list[str], *, count_queries: bool) -> Tick:
    """Run ``names`` twice at ``now`` in a transaction rolled back afterwards: the first and the repeat tick."""
    with transaction.atomic():
        with CaptureQueriesContext(connection) if count_queries else _no_capture() as first_queries:
            started = time.perf_counter()
            results = run_sweeps(now, names=names)
            first_ms = (time.perf_counter() - started) * 1000
        with CaptureQueriesContext(connection) if count_queries else _no_capture() as repeat_queries:
            started = time.perf_counter()
            run_sweeps(now, names=names)
            repeat_ms = (time.perf_counter() - started) * 1000
        transaction.set_rollback(True)
    return Tick(
        first_ms=first_ms,
        repeat_ms=repeat_ms,
        rows=sum(value for value in results.values() if isinstance(value, int)),
        first_queries=len(first_queries),
        repeat_queries=len(repeat_queries),
        failures=[f"{name}: {value}" for name, value in results.items() if isinstance(value, str)],
    )


@contextmanager
def _no_capture() -> Iterator[list]:
    yield []


# --- The table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepReport:
    """Per sweep: the items due, ms per due item small vs large and their ratio, the repeat tick, the queries."""

    small: dict[str, Timing]
    large: dict[str, Timing]
    small_studios: int

    def lines(self) -> list[str]:
        lines = [
            f"{'sweep':<27}{'due':>5}{'ms/item small':>15}{'large':>9}{'ratio':>8}  "
            f"{'repeat ms small':>16}{'large':>8}{'ratio':>8}  {'queries':>11}  verdict"
        ]
        missed = []
        for name, before in self.small.items():
            after = self.large[name]
            problems = self.problems(before, after)
            per_item = max(before.rows, 1)  # nothing due: the whole tick
            first_ratio = ratio(after.first_ms, before.first_ms)
            repeat_ratio = ratio(after.repeat_ms, before.repeat_ms)
            verdict = "PASS" if not problems else "FAIL: " + "; ".join(problems)
            if problems:
                missed.append(name)
            queries = f"{before.first_queries}/{after.first_queries}"
            lines.append(
                f"{name:<27}{before.rows:>5}{before.first_ms / per_item:>15.2f}{after.first_ms / per_item:>9.2f}"
                f"{first_ratio:>7.2f}×  {before.repeat_ms:>16.2f}{after.repeat_ms:>8.2f}{repeat_ratio:>7.2f}×  "
                f"{queries:>11}  {verdict}"
            )
        lines.append(
            "(due: rows the first tick writes, the same in both cases; with none due, ms per item is the whole "
            "tick; queries: first tick, small/large)"
        )
        lines.append(
            f"target ≤ {TARGET_RATIO}× per due item and per repeat tick, queries constant: "
            f"{'PASS' if not missed else 'FAIL: ' + ', '.join(missed)}"
        )
        lines.append(self.capacity())
        return lines

    @staticmethod
    def problems(before: Timing, after: Timing) -> list[str]:
        problems = before.failures + after.failures
        if before.rows != after.rows:
            problems.append(f"wrote {before.rows} rows small, {after.rows} large")
        if (before.first_queries, before.repeat_queries) != (after.first_queries, after.repeat_queries):
            problems.append("queries grow")
        if ratio(after.first_ms, before.first_ms) > TARGET_RATIO:
            problems.append("first tick")
        if ratio(after.repeat_ms, before.repeat_ms) > TARGET_RATIO:
            problems.append("repeat tick")
        return problems

    def capacity(self) -> str:
        """A full tick of the large case, for the README's capacity model (sweep cost per 10,000 studios)."""
        whole = self.large[ALL]
        per_due_studio = max(whole.first_ms - whole.repeat_ms, 0) / max(self.small_studios, 1)
        return (
            f"run_sweeps, large case: a tick with nothing due {whole.repeat_ms:.1f} ms, {whole.repeat_queries} "
            f"queries; with {self.small_studios} studios due {whole.first_ms:.1f} ms, {whole.first_queries} queries "
            f"({whole.rows} rows); each studio due adds about {per_due_studio:.1f} ms"
        )


def ratio(large: float, small: float) -> float:
    return large / small if small else float("inf")

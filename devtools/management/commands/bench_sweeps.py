"""`manage.py bench_sweeps`: the beat's sweeps with 10 vs 1,000 studios and 10k vs 1M messages.

Seeds a throwaway database (never the dev data nor the test suite's) in two steps. The small case:
``--small-studios`` studios that each have the same things due at ``BENCH_NOW`` (reply clocks to warn
about and to report, promises, a digest, deadlines, a deposit), with ``--small`` messages of history.
The large case adds studios with nothing due (their digest already went today, or their hour has not
come) up to ``--large-studios`` and history up to ``--large`` messages. What is due stays the same, so
the sweeps' time should too: target ratio ≤ 2×.

Each sweep (and ``run_sweeps``, all of them) is timed twice per run, in a transaction rolled back
afterwards: the first tick, which writes what is due, and a repeat tick, which finds it written and
writes nothing (what beat does most of the time).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from comms.models import Commitment, OutboxEmail
from desk.digest import at_digest_hour, digest_key
from devtools.benchdb import throwaway_database
from devtools.management.commands.bench_clocks import START, Seeder
from kernel.models import Studio, SweepSchedule
from kernel.sweeps import SCHEDULED_JOBS, load_sweeps, run_sweeps, studios_local
from tests.factories import (
    ActionItemFactory,
    ClientFactory,
    MembershipFactory,
    MessageFactory,
    MilestoneFactory,
    ProjectFactory,
    StudioFactory,
    ThreadFactory,
)

TARGET_RATIO = 2.0
# A Wednesday. Due studios are in UTC, open 09:00–18:00, digest at 08:00: all of it is due at 10:00.
BENCH_NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
MESSAGES_PER_PROMISE = 50  # acknowledgments with a promise, kept long ago: history the sweeps must not scan
HISTORY_OPEN_CLOCKS = 5  # per due studio: long-breached, never answered; listed by the digest, no notice
IDLE_TIMEZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "America/Denver")
ALL = "all sweeps"


class Command(BaseCommand):
    help = "Time the reminder and digest sweeps at 10 vs 1,000 studios and 10k vs 1M messages; prints ratios."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--small-studios", type=int, default=10, help="Studios with something due (both cases).")
        parser.add_argument("--large-studios", type=int, default=1_000)
        parser.add_argument("--small", type=int, default=10_000, help="Messages stored in the small case.")
        parser.add_argument("--large", type=int, default=1_000_000)
        parser.add_argument("--runs", type=int, default=5)

    def handle(
        self, *args: Any, small_studios: int, large_studios: int, small: int, large: int, runs: int, **options: Any
    ) -> None:
        if large_studios < small_studios or large < small:
            raise CommandError("The large case must be at least the small one.")
        with throwaway_database("sweeps"):
            self._bench(small_studios=small_studios, large_studios=large_studios, small=small, large=large, runs=runs)

    def _bench(self, *, small_studios: int, large_studios: int, small: int, large: int, runs: int) -> None:
        bench = SweepBench(BENCH_NOW)
        bench.add_due_studios(small_studios)
        bench.add_history(small)
        small_timings = time_sweeps(BENCH_NOW, runs=runs)
        started = time.perf_counter()
        bench.add_idle_studios(large_studios - small_studios)
        bench.add_history(large - small)
        seed_seconds = time.perf_counter() - started
        large_timings = time_sweeps(BENCH_NOW, runs=runs)

        self.stdout.write(
            f"database: {connection.vendor}; due at each tick: {small_studios} studios × (2 reply warnings, "
            f"2 breaches, 2 promises, a digest, deadlines, a deposit); median of {runs} runs"
        )
        self.stdout.write(
            f"small: {small_studios:,} studios, {small:,} messages; "
            f"large: {large_studios:,} studios, {large:,} messages"
        )
        self.stdout.write(f"{'sweep':<22}{'tick':<8}{'rows':>6}{'small ms':>11}{'large ms':>11}{'ratio':>9}  verdict")
        missed = []
        for name in small_timings:
            before, after = small_timings[name], large_timings[name]
            if before.failures or after.failures:
                self.stdout.write(f"{name:<22}failed: {'; '.join(before.failures + after.failures)}")
                missed.append(name)
                continue
            if before.rows != after.rows:
                missed.append(name)
                self.stdout.write(f"{name:<22}MISSED: wrote {before.rows} rows small, {after.rows} large")
            for tick, small_ms, large_ms in (
                ("first", before.first_ms, after.first_ms),
                ("repeat", before.repeat_ms, after.repeat_ms),
            ):
                ratio = large_ms / small_ms if small_ms else float("inf")
                verdict = "ok" if ratio <= TARGET_RATIO else "MISSED"
                if verdict == "MISSED":
                    missed.append(f"{name} ({tick})")
                rows = before.rows if tick == "first" else 0
                self.stdout.write(
                    f"{name:<22}{tick:<8}{rows:>6}{small_ms:>11.2f}{large_ms:>11.2f}{ratio:>8.2f}×  {verdict}"
                )
        self.stdout.write(
            f"target ≤ {TARGET_RATIO:.0f}×: {'ok' if not missed else 'MISSED: ' + ', '.join(missed)}; "
            f"seeding the large case {seed_seconds:.0f} s"
        )


# --- Seeding --------------------------------------------------------------------------------


class SweepBench:
    """Seeds studios and history so that what is due at ``now`` is the same in the small and large case.

    Due studios get an owner, a fixed set of due items (``add_due_items``) and a ``Seeder`` (from
    ``bench_clocks``) for their history; idle studios (``add_idle_studios``) are bulk-inserted with
    nothing due: no mail, and their digest for today already written or their hour still ahead.
    """

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.seeders: list = []

    def add_due_studios(self, count: int) -> None:
        for index in range(count):
            studio = StudioFactory(slug=f"bench-due-{index}", timezone="UTC", digest_hour=8)
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
        first = Studio.objects.count()
        Studio.objects.bulk_create(
            Studio(
                name=f"Idle {first + index}",
                slug=f"bench-idle-{first + index}",
                timezone=IDLE_TIMEZONES[index % len(IDLE_TIMEZONES)],
                digest_hour=8,
            )
            for index in range(count)
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
    client = ClientFactory(studio=studio, name=f"Due client of {studio.slug}")
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
    today: date = now.astimezone(studio.zoneinfo).date()
    website = ProjectFactory(client=client, title="Website", deadline_on=today + timedelta(days=3))
    MilestoneFactory(project=website, title="Mock-ups", due_on=today + timedelta(days=1))
    ActionItemFactory(project=website, text="Send the photos", due_on=today - timedelta(days=2))
    ProjectFactory(client=client, title="Shop", status="awaiting_deposit", deposit_amount_minor=100_000)


# --- Timing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    first_ms: float
    repeat_ms: float
    rows: int
    failures: list[str]


def time_sweeps(now: datetime, *, runs: int) -> dict[str, Timing]:
    """Median ms of each registered sweep and of all of them: a first tick, then a repeat tick.

    Every run happens in a transaction rolled back afterwards, so each finds the same work due.
    """
    names = load_sweeps()
    timings = {}
    for label, selected in [(name, [name]) for name in names] + [(ALL, names)]:
        first, repeat, rows, failures = [], [], 0, []
        for run in range(runs + 1):  # the first run warms caches and templates and is not counted
            with transaction.atomic():
                started = time.perf_counter()
                results = run_sweeps(now, names=selected)
                first_ms = (time.perf_counter() - started) * 1000
                started = time.perf_counter()
                run_sweeps(now, names=selected)
                repeat_ms = (time.perf_counter() - started) * 1000
                transaction.set_rollback(True)
            if run:
                first.append(first_ms)
                repeat.append(repeat_ms)
            rows = sum(value for value in results.values() if isinstance(value, int))
            failures = [f"{name}: {value}" for name, value in results.items() if isinstance(value, str)]
        timings[label] = Timing(statistics.median(first), statistics.median(repeat), rows, failures)
    return timings

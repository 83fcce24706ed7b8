"""`manage.py bench_clocks`: the open-clocks query with 10k and with 1M messages.

Seeds a throwaway database (never the dev data nor the test suite's) with one studio whose
history grows from 10,000 to 1,000,000 messages while the number of open clocks stays the same,
and times the Inbox's "Replies owed" query at both sizes. The partial index ``message_open_clock``
should make its cost follow the open items, not the whole history: target ratio ≤ 2×.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from comms.models import Message, Thread
from devtools.benchdb import throwaway_database
from tests.factories import ClientFactory, StudioFactory

TARGET_RATIO = 2.0
BATCH = 10_000
START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
# What a "Replies owed" row shows; the bodies stay on disk.
INBOX_COLUMNS = (
    "subject",
    "from_email",
    "from_name",
    "sent_at",
    "reply_due_at",
    "is_urgent",
    "thread_id",
    "client__name",
)


class Command(BaseCommand):
    help = "Time the open-clocks query at 10k and 1M messages; prints both and their ratio."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--small", type=int, default=10_000)
        parser.add_argument("--large", type=int, default=1_000_000)
        parser.add_argument(
            "--open", dest="open_count", type=int, default=200, help="Open clocks, the same at both sizes."
        )
        parser.add_argument("--runs", type=int, default=30)

    def handle(self, *args: Any, small: int, large: int, open_count: int, runs: int, **options: Any) -> None:
        with throwaway_database("clocks"):
            self._bench(small=small, large=large, open_count=open_count, runs=runs)

    def _bench(self, *, small: int, large: int, open_count: int, runs: int) -> None:
        studio = StudioFactory(slug="bench-clocks")
        seeder = Seeder(studio)
        seeder.add(small, open_count=open_count)
        small_ms, count = time_open_clocks(studio, runs=runs)
        started = time.perf_counter()
        seeder.add(large - small, open_count=0)
        seed_seconds = time.perf_counter() - started
        large_ms, count_large = time_open_clocks(studio, runs=runs)
        if not count == count_large == open_count:
            raise CommandError(f"Expected {open_count} open clocks at both sizes, found {count} and {count_large}.")
        ratio = large_ms / small_ms if small_ms else float("inf")
        verdict = "ok" if ratio <= TARGET_RATIO else "MISSED"
        self.stdout.write(
            f"database: {connection.vendor}; one studio, {open_count} open clocks; "
            f"median of {runs} runs of the Inbox queries (list of 50 + the tab's count)"
        )
        self.stdout.write(f"{'messages':>12}{'ms':>9}")
        self.stdout.write(f"{small:>12,}{small_ms:>9.3f}")
        self.stdout.write(f"{large:>12,}{large_ms:>9.3f}")
        self.stdout.write(f"ratio {ratio:.2f}× (target ≤ {TARGET_RATIO:.0f}×): {verdict}; seeding {seed_seconds:.0f} s")


class Seeder:
    """Bulk-loads messages with raw ``executemany``, ``COPY`` on PostgreSQL (bulk_create needs ~6 min for 1M rows).

    Half the messages are inbound mail that needed a reply; of those, ``open_count`` are still owed
    and the rest were answered two hours later. Ten messages per thread, a hundred clients.
    """

    def __init__(self, studio) -> None:
        self.studio = studio
        self.client_ids = [ClientFactory(studio=studio).pk for _ in range(100)]
        self.written = 0
        self.fields = [field for field in Message._meta.concrete_fields if not field.primary_key]
        template = Message(studio=studio, thread_id=0, direction="in", text="Hello", sent_at=START, created_at=START)
        self.template = {
            field.attname: field.get_db_prep_save(getattr(template, field.attname), connection) for field in self.fields
        }
        table, columns = Message._meta.db_table, ", ".join(connection.ops.quote_name(f.column) for f in self.fields)
        self.insert = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(self.fields))})"  # noqa: S608 (names from model metadata)
        self.copy = f"COPY {table} ({columns}) FROM STDIN"  # PostgreSQL: several times faster than executemany

    def add(self, count: int, *, open_count: int) -> None:
        adapt = connection.ops.adapt_datetimefield_value
        while count > 0:
            size = min(BATCH, count)
            with transaction.atomic():
                threads = Thread.objects.bulk_create(
                    Thread(studio=self.studio, client_id=self.client_ids[(i // 10) % 100], subject=f"t{i}")
                    for i in range(self.written, self.written + size, 10)
                )
                rows = []
                for i in range(size):
                    sent_at = START + timedelta(minutes=self.written + i)
                    inbound = i % 2 == 0
                    is_open = inbound and open_count > 0 and i % 10 == 0
                    open_count -= is_open
                    row = self.template | {
                        "thread_id": threads[i // 10].pk,
                        "client_id": self.client_ids[(i // 10) % 100],
                        "direction": "in" if inbound else "out",
                        "subject": f"Message {self.written + i}",
                        "sent_at": adapt(sent_at),
                        "created_at": adapt(sent_at),
                        "needs_reply": inbound,
                        "reply_due_at": adapt(sent_at + timedelta(hours=9)) if inbound else None,
                        "replied_at": adapt(sent_at + timedelta(hours=2)) if inbound and not is_open else None,
                    }
                    rows.append([row[field.attname] for field in self.fields])
                with connection.cursor() as cursor:
                    if connection.vendor == "postgresql":
                        with cursor.cursor.copy(self.copy) as copy:
                            for row in rows:
                                copy.write_row(row)
                    else:
                        cursor.executemany(self.insert, rows)
            self.written += size
            count -= size
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum (PostgreSQL) or PRAGMA optimize (SQLite) does after a load


def time_open_clocks(studio, *, runs: int) -> tuple[float, int]:
    """Median milliseconds of the Inbox's open-clock list (50 rows with their client) plus its count."""

    def query() -> int:
        open_clocks = Message.objects.for_studio(studio).open_clocks()
        rows = open_clocks.select_related("client").order_by("reply_due_at")
        list(rows.only(*INBOX_COLUMNS)[:50])
        return len(Message.objects.for_studio(studio).open_clock_due_times())

    count = query()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        query()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), count

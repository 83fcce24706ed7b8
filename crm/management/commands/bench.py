"""`make bench`: page timings against a floor, printed as one table.

Runs against a throwaway database (SQLite, or PostgreSQL when DATABASE_URL is set), never
the dev data nor the test suite's.
Later issues add scales, pages, sweeps and outbox throughput to the same table.
"""

import statistics
import time
from collections.abc import Callable
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from crm.benchdb import throwaway_database


def measure(request: Callable[[], Any], *, runs: int) -> tuple[float, float, int]:
    """Median and p95 in milliseconds, and the query count of one request."""
    request()  # warm caches and templates
    connection.queries_log.clear()  # a full log (maxlen 9000 after migrations) would hide new queries
    with CaptureQueriesContext(connection) as queries:
        request()
    query_count = len(queries)  # read now: every later request resets the connection's log
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        request()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1], query_count


class Command(BaseCommand):
    help = "Measure page speed against a one-query floor view; prints one table."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--runs", type=int, default=200)

    def handle(self, *args: Any, runs: int, **options: Any) -> None:
        with throwaway_database("pages"):
            self._bench(runs)
        self.stdout.write("\nTier recompute (10,000 clients, 200,000 payments):")
        call_command("bench_tiers", stdout=self.stdout)
        self._bench_comms()

    def _bench_comms(self) -> None:
        from comms.bench_inbound import bench_inbound
        from comms.bench_outbox import bench_outbox_throughput

        inbound = bench_inbound()
        self.stdout.write(
            f"\nInbound message → stored ({inbound['messages']} varied messages through comms.inbound.receive): "
            f"median {inbound['median_ms']:.2f} ms, p95 {inbound['p95_ms']:.2f} ms, {inbound['per_second']:.0f}/s"
        )
        outbox = bench_outbox_throughput()
        self.stdout.write(
            f"Outbox through anymail's test backend ({outbox['emails']} emails): "
            f"{outbox['emails_per_second']:.0f} emails/s delivered, {outbox['enqueue_per_second']:.0f}/s enqueued"
        )
        self.stdout.write("\nOpen reply clocks (the Inbox query):")
        call_command("bench_clocks", stdout=self.stdout)
        self.stdout.write("\nScheduled sweeps (10 vs 1,000 studios, 10k vs 1M messages):")
        call_command("bench_sweeps", stdout=self.stdout)

    def _bench(self, runs: int) -> None:
        from crm.demo import DEMO_EMAIL, demo_seed
        from crm.models import User

        demo_seed()
        browser = Client()
        browser.force_login(User.objects.get(email=DEMO_EMAIL))

        floor_median, floor_p95, floor_queries = measure(lambda: browser.get("/healthz"), runs=runs)
        rows = [("floor (1 query)", floor_median, floor_p95, floor_queries)]
        for name, url in [
            ("Today", "/"),
            ("Settings", "/settings/"),
            ("Inbox", "/comms/inbox/"),
            ("Outbox", "/comms/outbox/"),
        ]:
            rows.append((name, *measure(lambda url=url: browser.get(url), runs=runs)))

        self.stdout.write(f"database: {connection.vendor}; {runs} requests per page, one process\n")
        self.stdout.write(f"{'page':<18}{'queries':>8}{'median ms':>11}{'p95 ms':>9}{'× floor':>9}")
        for name, median, p95, queries in rows:
            self.stdout.write(f"{name:<18}{queries:>8}{median:>11.2f}{p95:>9.2f}{median / floor_median:>9.1f}")

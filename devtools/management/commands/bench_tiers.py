"""`manage.py bench_tiers`: how long the nightly tier recompute takes for one large studio.

Seeds a throwaway database through the test runner (test_<name>_bench_tiers on PostgreSQL,
var/test-bench-tiers.sqlite3 on SQLite; never the dev data, nor the test suite's database)
with one studio, 10,000 clients and 200,000 payments over two years, then times
`tiers_recompute` a few times and prints one table against the one-second target.
"""

from __future__ import annotations

import cProfile
import io
import math
import pstats
import random
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from clients.models import Client, Payment
from clients.services import net_revenue_by_client, tiers_recompute
from clients.tiering import angel_summary
from devtools.benchdb import throwaway_database
from kernel.models import Studio

TARGET_SECONDS = 1.0
AS_OF = date(2026, 6, 30)
BATCH = 5_000


class Command(BaseCommand):
    help = "Time tiers_recompute for one studio with 10,000 clients and 200,000 payments; prints one table."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clients", type=int, default=10_000)
        parser.add_argument("--payments", type=int, default=200_000)
        parser.add_argument("--runs", type=int, default=3)
        parser.add_argument("--profile", action="store_true", help="Profile a recompute even when it is fast.")

    def handle(self, *args: Any, clients: int, payments: int, runs: int, profile: bool, **options: Any) -> None:
        with throwaway_database("tiers"):
            self._bench(clients=clients, payments=payments, runs=runs, profile=profile)

    def _bench(self, *, clients: int, payments: int, runs: int, profile: bool) -> None:
        started = time.perf_counter()
        studio, refunds = seed(client_count=clients, payment_count=payments)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # what autovacuum would have done after a bulk load
        seed_seconds = time.perf_counter() - started
        studio = Studio.objects.get(pk=studio.pk)

        recompute = timed(lambda: tiers_recompute(studio=studio, as_of=AS_OF), runs=runs)
        with CaptureQueriesContext(connection) as queries:
            angels = tiers_recompute(studio=studio, as_of=AS_OF)
        nets = timed(lambda: net_revenue_by_client(studio=studio, as_of=AS_OF), runs=runs)
        net_by_client = net_revenue_by_client(studio=studio, as_of=AS_OF)
        summary_seconds = timed(lambda: angel_summary(net_by_client), runs=runs)
        summary = angel_summary(net_by_client)

        self.stdout.write(
            f"database: {connection.vendor} ({connection.settings_dict['NAME']}); one studio, "
            f"{clients:,} clients, {payments:,} payments ({refunds:,} refunds) over 2 years; as of {AS_OF}"
        )
        self.stdout.write(f"{'step':<38}{'seconds':>9}{'queries':>9}  target < 1 s")
        verdict = "ok" if recompute < TARGET_SECONDS else "MISSED"
        rows = [
            ("seed (bulk_create, not timed)", seed_seconds, "", "-"),
            (f"tiers_recompute (median of {runs})", recompute, str(len(queries)), verdict),
            ("  of which net_revenue_by_client", nets, "1", ""),
            ("  of which angel_summary (pure)", summary_seconds, "0", ""),
            ("  of which the UPDATEs (the rest)", max(recompute - nets - summary_seconds, 0), "", ""),
        ]
        for name, seconds, query_count, target in rows:
            self.stdout.write(f"{name:<38}{seconds:>9.3f}{query_count:>9}  {target}")
        self.stdout.write(
            f"angels: {len(angels):,} ({summary.angel_count:,} by revenue) bring {summary.share_percent} % "
            f"of {summary.total_net / 100:,.0f} {studio.currency} from {len(net_by_client):,} clients who paid"
        )
        for query in queries:
            self.stdout.write(f"  {float(query['time']):7.3f} s  {query['sql'][:110]}")

        if recompute >= TARGET_SECONDS or profile:
            self.stdout.write("\nprofile of one recompute (cumulative time, top 15):")
            profiler = cProfile.Profile()
            profiler.runcall(lambda: tiers_recompute(studio=studio, as_of=AS_OF))
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(15)
            self.stdout.write(out.getvalue())


def timed(call: Callable[[], Any], *, runs: int) -> float:
    """Median wall time of ``runs`` calls, in seconds."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def seed(*, client_count: int, payment_count: int) -> tuple[Any, int]:
    """One studio, its clients and Pareto-distributed payments; deterministic. Returns (studio, refunds)."""
    rng = random.Random(2026)
    with transaction.atomic():
        studio = Studio.objects.create(name="Bench Studio", slug="bench-studio", timezone="Europe/Berlin")
        clients = Client.objects.bulk_create(
            (Client(studio=studio, name=f"Client {n:05d}") for n in range(client_count)), batch_size=BATCH
        )
        client_ids = [client.pk for client in clients]
        if None in client_ids:  # a backend without RETURNING: read them back
            client_ids = list(Client.objects.filter(studio=studio).order_by("pk").values_list("pk", flat=True))
        # A few hand pins, so the recompute's pin path runs too.
        pins = rng.sample(client_ids, min(40, len(client_ids)))
        Client.objects.filter(pk__in=pins[:20]).update(tier_pin=Client.Pin.ANGEL)
        Client.objects.filter(pk__in=pins[20:]).update(tier_pin=Client.Pin.REGULAR)

        # Pareto weights (alpha 1.16 is the classic 80/20): a few clients get most of the work.
        weights = [rng.paretovariate(1.16) for _ in client_ids]
        chosen = rng.choices(client_ids, weights=weights, k=payment_count)
        refunds = 0
        batch: list[Payment] = []
        for client_id in chosen:
            amount = round(rng.lognormvariate(math.log(800), 0.9)) * 100  # whole euros, median €800
            if rng.random() < 0.01:
                amount = -amount // 2
                refunds += 1
            batch.append(
                Payment(
                    studio=studio,
                    client_id=client_id,
                    amount_minor=amount,
                    currency="EUR" if rng.random() < 0.98 else "USD",
                    paid_on=AS_OF - timedelta(days=rng.randrange(730)),
                )
            )
            if len(batch) == BATCH:
                Payment.objects.bulk_create(batch)
                batch = []
        Payment.objects.bulk_create(batch)
    return studio, refunds

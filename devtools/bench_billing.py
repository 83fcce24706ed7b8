"""`make bench`: 1,000 monthly maintenance invoices issued by the sweep, and the invoice PDF's render time.

On a throwaway database. The sweep caps a tick at ``billing.maintenance.BATCH`` invoices, so the
1,000 take several ticks (beat runs the sweeps every 5 minutes): measured tick by tick until one
finds nothing, then again as a single bench-only tick with the cap raised to 1,000.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, date, datetime

from django.db import connection

from billing.maintenance import BATCH, MAINTENANCE_JOB, maintenance_sweep
from billing.models import BillingProfile, Invoice, InvoiceLine, NumberSequence
from billing.pdf import invoice_pdf
from clients.models import Client
from devtools.benchdb import throwaway_database
from kernel.models import Studio, SweepSchedule
from kernel.sweeps import schedules_reset
from projects.models import MaintenancePlan

PLANS = 1_000
PDF_RUNS = 20
SWEEP_AT = datetime(2026, 3, 15, 9, 0, tzinfo=UTC)


def _seed(plans: int) -> Studio:
    studio = Studio.objects.create(name="Bench Studio", slug="bench-billing", timezone="Europe/Berlin")
    schedules_reset(studio, SWEEP_AT)  # as studio_create leaves a new studio
    BillingProfile.objects.create(
        studio=studio, legal_name="Bench Studio GmbH", address="Hauptstr. 1\n10115 Berlin",
        iban="DE89370400440532013000", bic="COBADEFFXXX", tax_rate_bp=1_900,
    )  # fmt: skip
    clients = Client.objects.bulk_create(
        [Client(studio=studio, name=f"Client {number:04d}") for number in range(plans)]
    )
    MaintenancePlan.objects.bulk_create(
        [
            MaintenancePlan(
                studio=studio,
                client=client,
                monthly_price_minor=15_000 + number,
                currency="EUR",
                included="Updates, backups and two hours of changes",
                start_on=date(2025, 1, 1 + number % 15),
            )  # fmt: skip
            for number, client in enumerate(clients)
        ]
    )
    return studio


class _Counter:
    """Counts the queries run (Django's own query log keeps only the last 9,000)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _sweep(batch: int) -> dict:
    # The plans were just saved: their studio is due at once, as ``projects.views.maintenance_add`` leaves it.
    SweepSchedule.objects.filter(job=MAINTENANCE_JOB).update(next_run_at=SWEEP_AT)
    ticks = []
    while True:
        counter = _Counter()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            written = maintenance_sweep(SWEEP_AT, batch=batch)
            seconds = time.perf_counter() - started
        ticks.append((written, seconds, counter.count))
        if not written:
            break
    return {
        "ticks": len(ticks) - 1,  # the last one found nothing
        "invoices": sum(written for written, _s, _q in ticks),
        "seconds": round(sum(seconds for _w, seconds, _q in ticks), 3),
        "queries": sum(count for _w, _s, count in ticks),
        "max_tick_seconds": round(max(seconds for _w, seconds, _q in ticks), 3),
    }


def bench_billing(plans: int = PLANS, pdf_runs: int = PDF_RUNS) -> dict:
    with throwaway_database("billing"):
        return measure_billing(plans, pdf_runs)


def measure_billing(plans: int, pdf_runs: int) -> dict:
    """The measurements on the current database (an empty one: the bench's throwaway, or a test's)."""
    _seed(plans)
    ticked = _sweep(BATCH)
    InvoiceLine.objects.all().delete()
    Invoice.objects.all().delete()
    NumberSequence.objects.all().delete()
    one_tick = _sweep(plans)
    invoice = Invoice.objects.order_by("pk").first()
    timings = []
    for _run in range(pdf_runs):
        started = time.perf_counter()
        invoice_pdf(invoice)
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "database": connection.vendor,
        "plans": plans,
        "batch": BATCH,
        "ticked": ticked,
        "one_tick": one_tick,
        "pdf_runs": pdf_runs,
        "pdf_median_ms": round(statistics.median(timings), 1),
        "pdf_max_ms": round(max(timings), 1),
    }


def billing_lines(result: dict) -> list[str]:
    ticked, one = result["ticked"], result["one_tick"]
    return [
        f"Maintenance invoices ({result['plans']:,} plans, one sweep at a time, {result['database']}):",
        f"  {ticked['invoices']:,} issued in {ticked['ticks']} ticks of at most {result['batch']}: "
        f"{ticked['seconds']:.2f} s, {ticked['queries']:,} queries, slowest tick {ticked['max_tick_seconds']:.2f} s",
        f"  {one['invoices']:,} issued in one tick (bench-only cap {result['plans']:,}): "
        f"{one['seconds']:.2f} s, {one['queries']:,} queries "
        f"({one['queries'] / max(one['invoices'], 1):.1f} per invoice)",
        f"Invoice PDF (ReportLab): median {result['pdf_median_ms']:.1f} ms, "
        f"max {result['pdf_max_ms']:.1f} ms over {result['pdf_runs']} renders",
    ]

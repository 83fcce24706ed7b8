"""`make bench`: outbox throughput, queued rows → sent through anymail's test backend, on a throwaway database."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from statistics import median

from django.core import mail
from django.core.mail import get_connection
from django.db import connection
from django.test.utils import override_settings
from django.utils import timezone

from clients.models import Client, Contact
from comms.models import OutboxEmail
from comms.outbox import build_message, deliver_due, enqueue
from devtools.benchdb import throwaway_database
from kernel.models import Studio

ANYMAIL_TEST_BACKEND = "anymail.backends.test.EmailBackend"
TARGET_PER_SECOND = 1000  # issue 19: emails per second per worker


WARM_UP = 50  # emails sent before timing: the figure is a running worker's, not its first batch's
ROUNDS = 5


def bench_outbox_throughput(n: int = 500, *, client_mail: bool = False, rounds: int = ROUNDS) -> dict:
    """Queue ``n`` emails and time one ``deliver_due`` run sending them all, ``rounds`` times; the medians.

    Delivery includes claiming, building each message, anymail's payload handling, marking the
    row sent and logging it in its conversation: everything but the ESP's network round trip.
    The emails are digests to the studio (logged nowhere), or with ``client_mail`` replies to a
    client (each filed in the client's thread). ``backend_per_second`` is anymail's test backend
    alone on the same messages, built beforehand, over one connection: the floor delivery is
    measured against. The ``…_per_cpu_second`` rates count this process's CPU time only, so they
    hold when other processes share the cores. A worker runs for hours: ``WARM_UP`` emails go
    first, untimed, and the median of the rounds is kept because a shared machine stalls a
    round now and then (the slowest and fastest are reported beside it).
    """
    with throwaway_database("outbox"), override_settings(OUTBOX_DELIVERY_BACKEND=ANYMAIL_TEST_BACKEND):
        studio = Studio.objects.create(
            name="Bench Studio", slug="bench-outbox", timezone="UTC", sender_email="bench@studio.example"
        )
        client = None
        if client_mail:
            client = Client.objects.create(studio=studio, name="Bench Client")
            Contact.objects.create(studio=studio, client=client, name="Reader", email="reader@client.example")
        deliver_due(now=_queue(studio, client, WARM_UP, label="warm-up")[0])
        mail.outbox.clear()
        measured = [_round(studio, client, n, label=f"round {number}") for number in range(rounds)]
        vendor = connection.vendor
    sent = [row["sent"] for row in measured]
    rates = sorted(row["sent"] / row["deliver_seconds"] for row in measured)
    return {
        "database": vendor,
        "emails": n,
        "rounds": rounds,
        "client_mail": client_mail,
        "sent": min(sent),
        "enqueue_seconds": round(median(row["enqueue_seconds"] for row in measured), 3),
        "deliver_seconds": round(median(row["deliver_seconds"] for row in measured), 3),
        "enqueue_per_second": round(median(n / row["enqueue_seconds"] for row in measured), 1),
        "emails_per_second": round(median(rates), 1),
        "slowest_round_per_second": round(rates[0], 1),
        "fastest_round_per_second": round(rates[-1], 1),
        "emails_per_cpu_second": round(median(row["sent"] / row["deliver_cpu"] for row in measured), 1),
        "backend_per_second": round(median(n / row["backend_seconds"] for row in measured), 1),
        "backend_per_cpu_second": round(median(n / row["backend_cpu"] for row in measured), 1),
        "target_per_second": TARGET_PER_SECOND,
    }


def _queue(studio: Studio, client: Client | None, n: int, *, label: str) -> tuple[datetime, float]:
    """Queue ``n`` emails due a minute ahead (so that enqueue asks the broker for no worker): (due, seconds)."""
    due_at = timezone.now() + timedelta(minutes=1)
    started = time.perf_counter()
    for number in range(n):
        enqueue(
            studio=studio,
            to=["reader@client.example" if client else f"reader{number}@example.com"],
            subject=f"Your project, part {number}" if client else f"Digest #{number}",
            text="Your week in Rapport.\n" * 20,
            html="<p>Your week in Rapport.</p>" * 20,
            kind="reply" if client else "digest",
            client=client,
            idempotency_key=f"bench:{label}:{number}",
            send_after=due_at,
        )
    return due_at, time.perf_counter() - started


def _round(studio: Studio, client: Client | None, n: int, *, label: str) -> dict:
    """One timed round: queue ``n`` emails, send them through the backend alone, then deliver them."""
    due_at, enqueue_seconds = _queue(studio, client, n, label=label)
    queued = list(OutboxEmail.objects.filter(status=OutboxEmail.Status.QUEUED).order_by("pk"))
    backend_seconds, backend_cpu = _backend_alone(queued)
    started, started_cpu = time.perf_counter(), time.process_time()
    sent = deliver_due(now=due_at)
    deliver_seconds, deliver_cpu = time.perf_counter() - started, time.process_time() - started_cpu
    mail.outbox.clear()
    return {
        "sent": sent,
        "enqueue_seconds": enqueue_seconds,
        "deliver_seconds": deliver_seconds,
        "deliver_cpu": deliver_cpu,
        "backend_seconds": backend_seconds,
        "backend_cpu": backend_cpu,
    }


def _backend_alone(emails: list[OutboxEmail]) -> tuple[float, float]:
    """Seconds (wall, CPU) anymail's test backend takes to send ``emails``' messages, built beforehand."""
    backend = get_connection(ANYMAIL_TEST_BACKEND)
    messages = [build_message(email, connection=backend) for email in emails]
    started, started_cpu = time.perf_counter(), time.process_time()
    with backend:
        for message in messages:
            message.send()
    seconds, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    mail.outbox.clear()
    return seconds, cpu

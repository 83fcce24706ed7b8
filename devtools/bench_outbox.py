"""`make bench`: outbox throughput, queued rows → sent through anymail's test backend, on a throwaway database."""

from __future__ import annotations

import time
from datetime import timedelta

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


def bench_outbox_throughput(n: int = 500, *, client_mail: bool = False) -> dict:
    """Queue ``n`` emails, then time one ``deliver_due`` run sending them all; emails per second of each step.

    Delivery includes claiming, building each message, anymail's payload handling, marking the
    row sent and logging it in its conversation: everything but the ESP's network round trip.
    The emails are digests to the studio (logged nowhere), or with ``client_mail`` replies to a
    client (each filed in the client's thread). ``backend_per_second`` is anymail's test backend
    alone on the same messages, built beforehand, over one connection: the floor delivery is
    measured against. The ``…_per_cpu_second`` rates count this process's CPU time only, so they
    hold when other processes share the cores.
    """
    with throwaway_database("outbox"), override_settings(OUTBOX_DELIVERY_BACKEND=ANYMAIL_TEST_BACKEND):
        studio = Studio.objects.create(
            name="Bench Studio", slug="bench-outbox", timezone="UTC", sender_email="bench@studio.example"
        )
        client = None
        if client_mail:
            client = Client.objects.create(studio=studio, name="Bench Client")
            Contact.objects.create(studio=studio, client=client, name="Reader", email="reader@client.example")
        # A minute ahead, so that enqueue does not ask the broker for a worker; delivery runs as of then.
        due_at = timezone.now() + timedelta(minutes=1)
        started = time.perf_counter()
        for number in range(n):
            enqueue(
                studio=studio,
                to=["reader@client.example" if client_mail else f"reader{number}@example.com"],
                subject=f"Your project, part {number}" if client_mail else f"Digest #{number}",
                text="Your week in Rapport.\n" * 20,
                html="<p>Your week in Rapport.</p>" * 20,
                kind="reply" if client_mail else "digest",
                client=client,
                idempotency_key=f"bench:{number}",
                send_after=due_at,
            )
        enqueue_seconds = time.perf_counter() - started

        backend_seconds, backend_cpu = _backend_alone(list(OutboxEmail.objects.order_by("pk")))
        started, started_cpu = time.perf_counter(), time.process_time()
        sent = deliver_due(now=due_at)
        deliver_seconds, deliver_cpu = time.perf_counter() - started, time.process_time() - started_cpu
        mail.outbox.clear()
        vendor = connection.vendor
    return {
        "database": vendor,
        "emails": n,
        "client_mail": client_mail,
        "sent": sent,
        "enqueue_seconds": round(enqueue_seconds, 3),
        "deliver_seconds": round(deliver_seconds, 3),
        "enqueue_per_second": round(n / enqueue_seconds, 1) if enqueue_seconds else None,
        "emails_per_second": round(sent / deliver_seconds, 1) if deliver_seconds else None,
        "emails_per_cpu_second": round(sent / deliver_cpu, 1) if deliver_cpu else None,
        "backend_per_second": round(n / backend_seconds, 1) if backend_seconds else None,
        "backend_per_cpu_second": round(n / backend_cpu, 1) if backend_cpu else None,
        "target_per_second": TARGET_PER_SECOND,
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

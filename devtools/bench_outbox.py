"""`make bench`: outbox throughput, queued rows → sent through anymail's test backend, on a throwaway database."""

from __future__ import annotations

import time
from datetime import timedelta

from django.core import mail
from django.db import connection
from django.test.utils import override_settings
from django.utils import timezone

from comms.outbox import deliver_due, enqueue
from devtools.benchdb import throwaway_database
from kernel.models import Studio

ANYMAIL_TEST_BACKEND = "anymail.backends.test.EmailBackend"


def bench_outbox_throughput(n: int = 500) -> dict:
    """Queue ``n`` emails, then time one ``deliver_due`` run sending them all; emails per second of each step.

    Delivery includes claiming, building each message, anymail's payload handling, marking the
    row sent and logging it in its conversation: everything but the ESP's network round trip.
    """
    with throwaway_database("outbox"), override_settings(OUTBOX_DELIVERY_BACKEND=ANYMAIL_TEST_BACKEND):
        studio = Studio.objects.create(
            name="Bench Studio", slug="bench-outbox", timezone="UTC", sender_email="bench@studio.example"
        )
        # A minute ahead, so that enqueue does not ask the broker for a worker; delivery runs as of then.
        due_at = timezone.now() + timedelta(minutes=1)
        started = time.perf_counter()
        for number in range(n):
            enqueue(
                studio=studio,
                to=[f"reader{number}@example.com"],
                subject=f"Digest #{number}",
                text="Your week in Rapport.\n" * 20,
                html="<p>Your week in Rapport.</p>" * 20,
                kind="digest",
                idempotency_key=f"bench:{number}",
                send_after=due_at,
            )
        enqueue_seconds = time.perf_counter() - started

        started = time.perf_counter()
        sent = deliver_due(now=due_at)
        deliver_seconds = time.perf_counter() - started
        mail.outbox.clear()
        vendor = connection.vendor
    return {
        "database": vendor,
        "emails": n,
        "sent": sent,
        "enqueue_seconds": round(enqueue_seconds, 3),
        "deliver_seconds": round(deliver_seconds, 3),
        "enqueue_per_second": round(n / enqueue_seconds, 1) if enqueue_seconds else None,
        "emails_per_second": round(sent / deliver_seconds, 1) if deliver_seconds else None,
    }

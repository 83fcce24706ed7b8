"""On PostgreSQL, concurrent outbox workers never take the same row: each email leaves exactly once.

Runs when DATABASE_URL points to PostgreSQL (CI sets it). Each worker is a thread with its own
database connection, as separate worker processes would have.
"""

import os
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction

from comms import outbox
from comms.models import Message, OutboxEmail
from kernel.models import Studio
from tests.factories import ClientFactory, ContactFactory, StudioFactory

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="DATABASE_URL does not point to PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED is not exercised",
    ),
]

ROWS = 50


class RecordingBackend(BaseEmailBackend):
    """Delivery backend shared by the worker threads: remembers every Message-ID it was handed."""

    sent: list[str] = []
    lock = threading.Lock()

    def send_messages(self, email_messages):
        with self.lock:
            self.sent.extend(message.extra_headers["Message-ID"] for message in email_messages)
        return len(email_messages)


def queue_rows(studio: Studio) -> list[OutboxEmail]:
    return [
        outbox.enqueue(studio=studio, to=[f"client{n}@client.example"], subject=f"#{n}", text="Hi") for n in range(ROWS)
    ]


def in_threads(*work: Callable[[], object]) -> list[object]:
    """Run each callable in its own thread (and database connection); return their results in order."""
    results: list[object] = [None] * len(work)
    errors: list[BaseException] = []

    def run(index: int, job: Callable[[], object]) -> None:
        try:
            results[index] = job()
        except BaseException as error:  # surfaced in the test thread below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, job)) for index, job in enumerate(work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


@pytest.fixture
def recording(settings, monkeypatch):
    settings.OUTBOX_DELIVERY_BACKEND = "tests.integration.test_outbox_postgres.RecordingBackend"
    monkeypatch.setattr(RecordingBackend, "sent", [])
    monkeypatch.setattr("comms.conversation.file_sent_email", lambda email, client: None)
    # The threads here are the workers: no task may reach a real broker (CI sets REDIS_URL).
    monkeypatch.setattr("comms.outbox.kick_delivery", lambda: None)
    return RecordingBackend


@pytest.mark.django_db(transaction=True)
def test_a_worker_skips_rows_another_worker_holds_locked():
    queue_rows(StudioFactory())
    first_holds_its_claim = threading.Event()
    second_is_done = threading.Event()

    def first_worker() -> list[int]:
        with transaction.atomic():  # the claim stays uncommitted while the second worker looks
            claimed = outbox.claim_due(limit=ROWS // 2)
            first_holds_its_claim.set()
            second_is_done.wait(timeout=60)
        return [email.pk for email in claimed]

    def second_worker() -> list[int]:
        first_holds_its_claim.wait(timeout=60)
        try:
            return [email.pk for email in outbox.claim_due(limit=ROWS)]
        finally:
            second_is_done.set()

    first, second = in_threads(first_worker, second_worker)

    assert len(first) == len(second) == ROWS // 2
    assert not set(first) & set(second)
    assert OutboxEmail.objects.filter(status=OutboxEmail.Status.SENDING, attempts=1).count() == ROWS


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_workers_send_each_email_exactly_once(recording):
    emails = queue_rows(StudioFactory())
    start = threading.Barrier(2)

    def worker() -> int:
        start.wait(timeout=60)
        return outbox.deliver_due(batch=5)

    sent_counts = in_threads(worker, worker)

    assert sum(sent_counts) == ROWS
    assert Counter(recording.sent) == Counter(email.message_id_header for email in emails)
    assert set(Counter(recording.sent).values()) == {1}
    rows = OutboxEmail.objects.all()
    assert {(row.status, row.attempts) for row in rows} == {(OutboxEmail.Status.SENT, 1)}


@pytest.mark.django_db(transaction=True)
def test_two_workers_taking_whole_batches_send_and_file_each_client_email_once(settings, monkeypatch):
    """Batches of the default size, half of them client mail filed in its conversation as it leaves."""
    settings.OUTBOX_DELIVERY_BACKEND = "tests.integration.test_outbox_postgres.RecordingBackend"
    monkeypatch.setattr(RecordingBackend, "sent", [])
    monkeypatch.setattr("comms.outbox.kick_delivery", lambda: None)
    studio = StudioFactory()
    client = ClientFactory(studio=studio)
    ContactFactory(client=client, email="ann@client.example")
    emails = [
        outbox.enqueue(studio=studio, to=["ann@client.example" if n % 2 else f"reader{n}@example.com"],
                       subject=f"#{n}", text="Hi", kind="reply")
        for n in range(4 * ROWS)
    ]  # fmt: skip
    start = threading.Barrier(2)

    def worker() -> int:
        start.wait(timeout=60)
        return outbox.deliver_due()

    sent_counts = in_threads(worker, worker)

    assert sum(sent_counts) == len(emails)
    assert Counter(RecordingBackend.sent) == Counter(email.message_id_header for email in emails)
    assert {(row.status, row.attempts) for row in OutboxEmail.objects.all()} == {(OutboxEmail.Status.SENT, 1)}
    filed = Message.objects.filter(client=client, direction=Message.Direction.OUTBOUND).values_list(
        "subject", flat=True
    )
    assert Counter(filed) == Counter(f"#{n}" for n in range(4 * ROWS) if n % 2)

"""The outbox delivers in batches: one claim per batch, one connection, and still one email's fate per row.

A failure stays with its email; a worker that dies after its claim, or in the middle of a batch,
leaves rows the next worker takes after the lease: of client mail only the email in flight is in
doubt, of the freelancer's own mail, marked started by its claim, whatever was not yet marked sent
goes again. The freelancer's own mail costs one mark per fifty emails, client mail two per email.
A batch still sending when the task's time is up gives the rest back to the queue.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from anymail.exceptions import AnymailRecipientsRefused
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext

from comms import outbox
from comms.models import Message, OutboxEmail
from tests.factories import ClientFactory, ContactFactory

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
Status = OutboxEmail.Status


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr(outbox, "kick_delivery", lambda: None)


class WorkerDied(BaseException):
    """What stops the worker mid-send in these tests: nothing in the outbox catches it, as with SIGKILL."""


class PickyBackend(LocmemBackend):
    """Sends like locmem, but refuses some recipients, fails on others, and can die on one."""

    refused = "refused@client.example"
    unreachable = "unreachable@client.example"
    dies_on = "dies@client.example"

    def send_messages(self, messages):
        for message in messages:
            if self.dies_on in message.to:
                raise WorkerDied
            if self.refused in message.to:
                raise AnymailRecipientsRefused(f"All message recipients were rejected: {self.refused}")
            if self.unreachable in message.to:
                raise ConnectionRefusedError("ESP unreachable")
        return super().send_messages(messages)


@pytest.fixture
def picky(settings):
    settings.OUTBOX_DELIVERY_BACKEND = "tests.comms.test_outbox_batches.PickyBackend"


def queue(studio, to: str, n: int, **fields) -> OutboxEmail:
    when = NOW - timedelta(minutes=10) + timedelta(seconds=n)  # in this order
    return outbox.enqueue(studio=studio, to=[to], subject=f"Email {n}", text="Hello", send_after=when, **fields)


def statuses(rows) -> list[tuple[str, int]]:
    return [
        (row.status, row.attempts) for row in OutboxEmail.objects.filter(pk__in=[r.pk for r in rows]).order_by("pk")
    ]


def test_a_failing_message_keeps_its_error_and_the_rest_of_its_batch_leaves(studio, picky, mailoutbox):
    client = ClientFactory(studio=studio)
    ContactFactory(client=client, email="ann@client.example")
    rows = [
        queue(studio, "ann@client.example", 0, kind="reply"),
        queue(studio, PickyBackend.refused, 1),
        queue(studio, "ann@client.example", 2, kind="reply"),
        queue(studio, PickyBackend.unreachable, 3),
        queue(studio, "owner@studio.example", 4, kind="digest"),
    ]

    assert outbox.deliver_due() == 3

    assert statuses(rows) == [
        (Status.SENT, 1), (Status.FAILED, 1), (Status.SENT, 1), (Status.QUEUED, 1), (Status.SENT, 1),
    ]  # fmt: skip
    refused, unreachable = (OutboxEmail.objects.get(pk=rows[n].pk) for n in (1, 3))
    assert refused.last_error.startswith("AnymailRecipientsRefused: All message recipients were rejected")
    assert unreachable.last_error == "ConnectionRefusedError: ESP unreachable"
    assert unreachable.send_after == NOW + outbox.retry_delay(1)
    assert [message.subject for message in mailoutbox] == ["Email 0", "Email 2", "Email 4"]
    # The client mail that left is filed in the client's conversation, each once; the digest is not.
    assert sorted(Message.objects.filter(client=client).values_list("subject", flat=True)) == ["Email 0", "Email 2"]
    assert OutboxEmail.objects.get(pk=rows[4].pk).message is None


def test_a_message_that_cannot_be_built_does_not_hold_up_its_batch(studio, monkeypatch, mailoutbox):
    rows = [queue(studio, f"reader{n}@example.com", n, kind="digest") for n in range(3)]
    real_build = outbox.build_message

    def build(email, **kwargs):
        if email.pk == rows[1].pk:
            raise ValueError("bad header")
        return real_build(email, **kwargs)

    monkeypatch.setattr(outbox, "build_message", build)

    assert outbox.deliver_due() == 2

    assert statuses(rows) == [(Status.SENT, 1), (Status.QUEUED, 1), (Status.SENT, 1)]
    broken = OutboxEmail.objects.get(pk=rows[1].pk)
    assert (broken.last_error, broken.send_started_at) == ("ValueError: bad header", None)
    assert len(mailoutbox) == 2


def test_a_worker_that_dies_after_its_claim_leaves_the_batch_to_the_next_after_the_lease(studio, settings, mailoutbox):
    settings.OUTBOX_SENDING_TIMEOUT = 600
    rows = [queue(studio, f"reader{n}@example.com", n, kind="reply") for n in range(4)]

    claimed = outbox.claim_due(limit=3)  # ... and the worker dies here, before any send

    assert [email.pk for email in claimed] == [row.pk for row in rows[:3]]
    assert statuses(rows) == [(Status.SENDING, 1)] * 3 + [(Status.QUEUED, 0)]
    assert outbox.deliver_due(now=NOW + timedelta(seconds=599)) == 1  # within the lease: only the free row
    assert statuses(rows[:3]) == [(Status.SENDING, 1)] * 3

    assert outbox.deliver_due(now=NOW + timedelta(seconds=601)) == 3  # reclaimed, not an attempt, sent once

    assert statuses(rows) == [(Status.SENT, 1)] * 4
    assert sorted(message.subject for message in mailoutbox) == [f"Email {n}" for n in range(4)]


def test_a_worker_that_dies_mid_batch_leaves_only_the_email_in_flight_in_doubt(studio, picky, settings, mailoutbox):
    settings.OUTBOX_SENDING_TIMEOUT = 600
    client = ClientFactory(studio=studio)
    ContactFactory(client=client, email="ann@client.example")
    rows = [
        queue(studio, "ann@client.example", 0, kind="reply"),
        queue(studio, "owner@studio.example", 1, kind="digest"),
        queue(studio, PickyBackend.dies_on, 2, kind="reply", client=client),
        queue(studio, "ann@client.example", 3, kind="reply"),
        queue(studio, "owner@studio.example", 4, kind="digest"),
    ]

    with pytest.raises(WorkerDied):
        outbox.deliver_due()

    # What left before the death is marked sent and filed; the one in flight is marked started, as is the
    # freelancer's own mail by its claim; the client mail after it is not.
    rows = list(OutboxEmail.objects.filter(pk__in=[row.pk for row in rows]).order_by("pk"))
    assert [(row.status, row.send_started_at is not None) for row in rows] == [
        (Status.SENT, True), (Status.SENT, True), (Status.SENDING, True), (Status.SENDING, False),
        (Status.SENDING, True),
    ]  # fmt: skip
    assert [message.subject for message in mailoutbox] == ["Email 0", "Email 1"]
    assert list(Message.objects.filter(client=client).values_list("subject", flat=True)) == ["Email 0"]

    assert outbox.reclaim_stuck(now=NOW + timedelta(seconds=601)) == 3
    assert statuses(rows) == [
        (Status.SENT, 1), (Status.SENT, 1), (Status.NEEDS_ATTENTION, 1), (Status.QUEUED, 0), (Status.QUEUED, 1),
    ]  # fmt: skip

    assert outbox.deliver_due(now=NOW + timedelta(seconds=601)) == 2
    assert [message.subject for message in mailoutbox] == ["Email 0", "Email 1", "Email 3", "Email 4"]
    assert sorted(Message.objects.filter(client=client).values_list("subject", flat=True)) == ["Email 0", "Email 3"]


def test_a_worker_that_dies_in_a_batch_of_the_freelancers_own_mail_sends_what_was_not_marked_sent(
    studio, picky, settings
):
    settings.OUTBOX_SENDING_TIMEOUT = 600
    rows = [
        queue(studio, "owner@studio.example", 0, kind="digest"),
        queue(studio, PickyBackend.dies_on, 1, kind="digest"),
        queue(studio, "owner@studio.example", 2, kind="reminder"),
    ]

    with pytest.raises(WorkerDied):
        outbox.deliver_due()

    # The claim marked the batch started; the "sent" mark waiting was written on the way out (not after a SIGKILL).
    rows = list(OutboxEmail.objects.filter(pk__in=[row.pk for row in rows]).order_by("pk"))
    assert [(row.status, row.send_started_at) for row in rows] == [
        (Status.SENT, NOW), (Status.SENDING, NOW), (Status.SENDING, NOW),
    ]  # fmt: skip

    assert outbox.reclaim_stuck(now=NOW + timedelta(seconds=601)) == 2
    assert statuses(rows) == [(Status.SENT, 1), (Status.QUEUED, 1), (Status.QUEUED, 1)]
    resent = OutboxEmail.objects.filter(pk__in=[row.pk for row in rows[1:]])
    assert all("so it goes again" in row.last_error for row in resent)


def test_the_freelancers_own_mail_that_kills_its_worker_every_time_fails_once_its_attempts_are_used_up(
    studio, picky, settings
):
    settings.OUTBOX_SENDING_TIMEOUT = 600
    settings.OUTBOX_MAX_ATTEMPTS = 3
    poison = queue(studio, PickyBackend.dies_on, 0, kind="digest")
    later = NOW
    for _ in range(3):
        with pytest.raises(WorkerDied):
            outbox.deliver_due(now=later)  # each claim counts: the email was marked started by it
        later += timedelta(seconds=601)

    assert outbox.reclaim_stuck(now=later) == 1
    assert statuses([poison]) == [(Status.FAILED, 3)]


def queries_to_deliver(studio, count: int, *, batch: int, **fields) -> int:
    for n in range(count):
        queue(studio, f"reader{n}@example.com", n, **fields)
    with CaptureQueriesContext(connection) as queries:
        assert outbox.deliver_due(batch=batch) == count
    return len(queries)


RECLAIM = 4  # the four kinds of stuck rows, one UPDATE each
PER_BATCH = 4  # the claim (SELECT, UPDATE, in a savepoint inside the test's transaction); the freelancer's own
# mail reaches no client, so there is no client look-up
LAST_CLAIM = 3  # the claim that finds nothing more (SELECT, in its savepoint)


@pytest.mark.parametrize(
    ("count", "batch", "batches", "marks"),
    [(1, 50, 1, 1), (5, 50, 1, 1), (50, 50, 1, 1), (120, 50, 3, 3), (120, 200, 1, 3), (200, 200, 1, 4)],
)
def test_the_freelancers_own_mail_costs_one_mark_per_fifty_emails(studio, count, batch, batches, marks):
    queries = queries_to_deliver(studio, count, batch=batch, kind="digest")

    assert queries == RECLAIM + batches * PER_BATCH + marks + LAST_CLAIM


@pytest.mark.django_db(transaction=True)
def test_only_the_mark_that_keeps_client_mail_from_a_silent_resend_waits_for_the_disk(studio, picky, mailoutbox):
    """Marks are committed without a disk flush each, except "started" on mail that is not resent after a crash."""
    client = ClientFactory(studio=studio)
    ContactFactory(client=client, email="ann@client.example")
    reply = queue(studio, "ann@client.example", 0, kind="reply")
    digest = queue(studio, "owner@studio.example", 1, kind="digest")
    assert not outbox.resent_after_a_crash(reply)
    assert outbox.resent_after_a_crash(digest)
    with CaptureQueriesContext(connection) as captured:
        outbox.deliver_due(NOW)
    assert statuses([reply, digest]) == [(Status.SENT, 1), (Status.SENT, 1)]
    settings_in_force = []
    relaxed = False
    for query in (q["sql"] for q in captured.captured_queries):
        if query.startswith(("PRAGMA synchronous =", "SET synchronous_commit")):
            relaxed = query.endswith(("NORMAL", "off"))
        elif "UPDATE comms_outboxemail SET send_started_at" in query:
            settings_in_force.append(relaxed)
    assert settings_in_force == [False]  # the reply's mark flushed; the digest was marked started by its claim


class SlowBackend(LocmemBackend):
    """Each send takes a minute of the worker's clock (``Clock``)."""

    clock: "Clock"

    def send_messages(self, messages):
        self.clock.now += 60
        return super().send_messages(messages)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def test_a_batch_still_sending_when_the_time_is_up_gives_the_rest_back_to_the_queue(
    studio, settings, monkeypatch, mailoutbox
):
    settings.OUTBOX_DELIVERY_BACKEND = "tests.comms.test_outbox_batches.SlowBackend"
    clock = Clock()
    monkeypatch.setattr(SlowBackend, "clock", clock, raising=False)
    monkeypatch.setattr(outbox, "time", clock)
    client = ClientFactory(studio=studio)
    ContactFactory(client=client, email="ann@client.example")
    rows = [
        queue(studio, "owner@studio.example", n, kind="digest") if n % 2 else queue(studio, "ann@client.example", n)
        for n in range(6)
    ]

    assert outbox.deliver_due(time_budget=150) == 3  # three minutes of sends: the budget ran out after the third

    assert statuses(rows) == [(Status.SENT, 1)] * 3 + [(Status.QUEUED, 0)] * 3
    given_back = OutboxEmail.objects.filter(pk__in=[row.pk for row in rows[3:]])
    assert {(row.claimed_at, row.send_started_at) for row in given_back} == {(None, None)}
    assert [message.subject for message in mailoutbox] == ["Email 0", "Email 1", "Email 2"]

    assert outbox.deliver_due() == 3  # the next tick sends the rest, each once
    assert statuses(rows) == [(Status.SENT, 1)] * 6
    assert [message.subject for message in mailoutbox] == [f"Email {n}" for n in range(6)]

"""A worker killed with SIGKILL mid-batch: after a restart nothing is lost, nothing reaches the ESP twice.

A real ``celery -A crm worker`` process (Redis broker, PostgreSQL database) delivers a batch of
200 outbox rows through ``RecordingBackend``, which stands in for the ESP: it appends each
Message-ID it accepts to a file, and it can be told to hang on one message, so the test kills the
worker exactly while that send is in flight. Runs when DATABASE_URL (PostgreSQL) and REDIS_URL are set.
"""

import json
import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from comms import outbox
from comms.models import Message, OutboxEmail
from comms.tasks import deliver_outbox
from crm.celery import app as celery_app
from tests.clock_shift import python_module
from tests.factories import ClientFactory, ContactFactory, StudioFactory
from tests.integration.test_celery_worker import test_database_url

ROOT = Path(__file__).resolve().parents[2]
Status = OutboxEmail.Status

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not (os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL")),
        reason="needs DATABASE_URL (PostgreSQL) and REDIS_URL: a real worker process on Redis and PostgreSQL",
    ),
]

ROWS = 200
KILLED_ON_CLIENT_MAIL = 73  # rows 74–199 are in the same batch: claimed, not yet sent
KILLED_ON_REMINDER = 150  # a digest to the freelancer (every third row is one)
WAIT_SECONDS = 90

ESP_DIR = "RAPPORT_TEST_ESP_DIR"
ESP_HANG_ON = "RAPPORT_TEST_ESP_HANG_ON"


def wait_until(condition: Callable[[], bool], *, what: str, seconds: float = WAIT_SECONDS) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"Gave up after {seconds} s waiting for {what}.")
        time.sleep(0.05)


class RecordingBackend(BaseEmailBackend):
    """The ESP, in the worker process: records each accepted Message-ID in ``$RAPPORT_TEST_ESP_DIR/sent.log``.

    On the message whose Message-ID is ``$RAPPORT_TEST_ESP_HANG_ON`` it touches ``reached`` and
    hangs, waiting for a ``release`` file that never comes: the send is in flight when the test
    kills the process, and the message is not recorded.
    """

    def send_messages(self, email_messages):
        folder = Path(os.environ[ESP_DIR])
        for message in email_messages:
            message_id = message.extra_headers["Message-ID"]
            if message_id == os.environ.get(ESP_HANG_ON):
                (folder / "reached").write_text(message_id)
                wait_until((folder / "release").exists, what="a release that never comes")
            with (folder / "sent.log").open("a") as log:
                log.write(message_id + "\n")
        return len(email_messages)


class Worker:
    """One ``celery worker`` process on a queue of its own, in its own process group."""

    def __init__(self, tmp_path: Path, queue: str, name: str, *, hang_on: str = "") -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "crm.settings",
            "DEBUG": "0",
            "SECRET_KEY": "integration-test-secret",
            "SITE_URL": "http://127.0.0.1:8000",
            "DATABASE_URL": test_database_url(),
            "RAPPORT_VAR_DIR": str(tmp_path / "var"),
            "EMAIL_BACKEND": f"{__name__}.RecordingBackend",
            ESP_DIR: str(tmp_path),
            ESP_HANG_ON: hang_on,
        }
        self.log = tmp_path / f"worker-{name}.log"
        with self.log.open("w") as output:
            self.process = subprocess.Popen(
                python_module("celery", "-A", "crm", "worker", "--queues", queue, "--pool", "solo",
                 "--hostname", f"{name}-{queue}@%h", "--without-mingle", "--without-gossip", "--without-heartbeat",
                 "--loglevel", "INFO"),
                cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup, the way the OOM killer or a pulled plug stops it."""
        if self.alive():
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def queue_batch(studio, client, contact_email: str) -> list[OutboxEmail]:
    """200 due rows in a known order: two of every three are client mail, every third a digest."""
    first = timezone.now() - timedelta(hours=1)
    rows = []
    for n in range(ROWS):
        when = first + timedelta(milliseconds=n)
        if n % 3 == 0:
            rows.append(outbox.enqueue(studio=studio, to=["owner@studio.example"], subject=f"Digest {n}",
                                       text="Your day", kind="digest", send_after=when))  # fmt: skip
        else:
            rows.append(outbox.enqueue(studio=studio, to=[contact_email], subject=f"Reply {n}", text="Hello",
                                       kind="reply", client=client, send_after=when))  # fmt: skip
    return rows


def reclaim_as_after_the_timeout() -> int:
    """What ``deliver_due`` does once OUTBOX_SENDING_TIMEOUT has passed since the claim."""
    return outbox.reclaim_stuck(now=timezone.now() + timedelta(seconds=settings.OUTBOX_SENDING_TIMEOUT + 1))


def kill_while_in_flight(worker: Worker, tmp_path: Path, queue: str) -> None:
    deliver_outbox.apply_async(queue=queue)
    reached = tmp_path / "reached"
    wait_until(lambda: reached.exists() or not worker.alive(), what="the send to hang")
    assert worker.alive(), worker.log.read_text()
    worker.kill()
    reached.unlink()


def recorded(tmp_path: Path) -> Counter:
    log = tmp_path / "sent.log"
    return Counter(log.read_text().split()) if log.exists() else Counter()


def forget_queue(queue: str) -> None:
    """Remove the test queue's keys (and the killed workers' unacked task) from the shared Redis."""
    with celery_app.connection_for_write() as connection:
        client = connection.default_channel.client
        for tag, payload in client.hgetall("unacked").items():
            if json.loads(payload)[-1] == queue:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
        client.delete(queue, f"_kombu.binding.{queue}")


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(outbox, "kick_delivery", lambda: None)  # tasks go to this test's queue only
    queue = f"rapport-kill-{uuid.uuid4().hex[:8]}"
    studio = StudioFactory()
    client = ClientFactory(studio=studio)
    contact = ContactFactory(client=client, email="ann@bakery.example", is_primary=True)
    rows = queue_batch(studio, client, contact.email)
    ids = [row.message_id_header for row in rows]
    workers: list[Worker] = []

    def status_of(n: int) -> OutboxEmail:
        return OutboxEmail.objects.get(pk=rows[n].pk)

    try:
        # 1. Killed while a client email is in flight.
        workers.append(first := Worker(tmp_path, queue, "first", hang_on=ids[KILLED_ON_CLIENT_MAIL]))
        kill_while_in_flight(first, tmp_path, queue)

        in_flight = status_of(KILLED_ON_CLIENT_MAIL)
        assert (in_flight.status, in_flight.send_started_at is not None) == (Status.SENDING, True)
        assert set(recorded(tmp_path)) == set(ids[:KILLED_ON_CLIENT_MAIL])
        # The rest of its batch: client mail claimed, never handed over; the freelancer's digests, marked
        # started by their claim, go again (this claim counted as an attempt).
        stranded = OutboxEmail.objects.filter(status=Status.SENDING, send_started_at__isnull=True).count()
        assert stranded > 0
        claims_of_killed_workers = Counter(
            OutboxEmail.objects.filter(status=Status.SENDING, kind="digest").values_list("pk", flat=True)
        )
        assert reclaim_as_after_the_timeout() == 1 + stranded + len(claims_of_killed_workers)
        assert status_of(KILLED_ON_CLIENT_MAIL).status == Status.NEEDS_ATTENTION

        # 2. The next worker is killed while a reminder to the freelancer is in flight.
        workers.append(second := Worker(tmp_path, queue, "second", hang_on=ids[KILLED_ON_REMINDER]))
        kill_while_in_flight(second, tmp_path, queue)
        assert status_of(KILLED_ON_REMINDER).status == Status.SENDING
        claims_of_killed_workers.update(
            OutboxEmail.objects.filter(status=Status.SENDING, kind="digest").values_list("pk", flat=True)
        )
        reclaim_as_after_the_timeout()
        assert status_of(KILLED_ON_REMINDER).status == Status.QUEUED

        # 3. A third worker finishes the job.
        workers.append(third := Worker(tmp_path, queue, "third"))
        deliver_outbox.apply_async(queue=queue)
        wait_until(
            lambda: not OutboxEmail.objects.filter(status__in=[Status.QUEUED, Status.SENDING]).exists()
            or not third.alive(),
            what="the third worker to deliver the rest",
        )
        assert third.alive(), third.log.read_text()
        third.stop()  # a warm shutdown lets the task finish (it files the last email in its conversation)
    finally:
        for worker in workers:
            worker.kill()
        forget_queue(queue)

    sent = recorded(tmp_path)
    assert set(sent.values()) == {1}, "a message reached the ESP twice"
    assert set(sent) == set(ids) - {ids[KILLED_ON_CLIENT_MAIL]}

    held = status_of(KILLED_ON_CLIENT_MAIL)
    assert held.status == Status.NEEDS_ATTENTION
    assert "may or may not have left" in held.last_error
    # A digest claimed by a killed worker went again, each claim counted as an attempt.
    resent = status_of(KILLED_ON_REMINDER)
    assert resent.status == Status.SENT
    assert resent.attempts == 1 + claims_of_killed_workers[resent.pk] >= 2
    again = OutboxEmail.objects.filter(pk__in=claims_of_killed_workers)
    assert {(row.status, row.attempts - claims_of_killed_workers[row.pk]) for row in again} == {(Status.SENT, 1)}
    others = OutboxEmail.objects.exclude(pk__in=[held.pk, *claims_of_killed_workers])
    assert {(row.status, row.attempts) for row in others} == {(Status.SENT, 1)}
    # Each client email that left is filed once in the client's conversation.
    filed = Message.objects.filter(client=client, direction=Message.Direction.OUTBOUND).values_list(
        "subject", flat=True
    )
    assert Counter(filed) == Counter(f"Reply {n}" for n in range(ROWS) if n % 3 and n != KILLED_ON_CLIENT_MAIL)

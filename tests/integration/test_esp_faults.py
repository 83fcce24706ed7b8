"""The email provider answers 5xx, or not at all: a real anymail backend against a provider on loopback.

A 5xx means the provider did not take the email: it is retried with backoff and leaves once the
provider is back. A read timeout means it may have taken it: client mail waits under "Needs
attention" (never sent twice on its own), a reminder to the freelancer is sent again.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from comms import outbox
from comms.models import OutboxEmail
from tests.factories import ClientFactory

Status = OutboxEmail.Status


class FakePostmark(ThreadingHTTPServer):
    """Postmark's /email endpoint on 127.0.0.1: answers ``status`` (or hangs while ``hang`` is set)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.status = 200
        self.hang = threading.Event()
        self.released = threading.Event()
        self.received: list[dict] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class _Handler(BaseHTTPRequestHandler):
    server: FakePostmark

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.received.append(body)
        if self.server.hang.is_set():
            self.server.released.wait(timeout=10)  # the client gives up long before
            return
        if self.server.status >= 500:
            answer = {"ErrorCode": 100, "Message": "Service unavailable"}
        else:
            answer = {"To": body["To"], "SubmittedAt": "", "MessageID": f"pm-{len(self.server.received)}"}
            answer |= {"ErrorCode": 0, "Message": "OK"}
        data = json.dumps(answer).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def postmark(settings) -> Iterator[FakePostmark]:
    server = FakePostmark()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.OUTBOX_DELIVERY_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "test-token", "POSTMARK_API_URL": server.url, "REQUESTS_TIMEOUT": 0.5}
    yield server
    server.released.set()
    server.shutdown()
    server.server_close()


def client_mail(studio) -> OutboxEmail:
    client = ClientFactory(studio=studio)
    return outbox.enqueue(studio=studio, to=["zoe@client.example"], subject="Hi", text="Hello", client=client)


def test_an_esp_5xx_is_retried_with_backoff_and_leaves_once_it_is_back(studio, postmark, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    email = client_mail(studio)
    postmark.status = 503

    assert outbox.deliver_due() == 0
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.QUEUED, 1)
    assert "503" in email.last_error

    postmark.status = 200
    assert outbox.deliver_due() == 0  # not before its backoff
    time_machine.shift(timedelta(minutes=1, seconds=1))
    assert outbox.deliver_due() == 1

    email.refresh_from_db()
    assert (email.status, email.esp_message_id) == (Status.SENT, "pm-2")
    assert len(postmark.received) == 2  # once refused, once taken: never twice


def test_an_esp_that_does_not_answer_leaves_client_mail_for_the_freelancer_to_decide(studio, postmark):
    email = client_mail(studio)
    postmark.hang.set()

    assert outbox.deliver_due() == 0

    email.refresh_from_db()
    assert email.status == Status.NEEDS_ATTENTION
    assert "did not answer in time" in email.last_error
    assert email.send_started_at is not None
    postmark.hang.clear()
    assert outbox.deliver_due() == 0  # never resent on its own
    assert len(postmark.received) == 1
    assert outbox.mark_sent(email)
    assert email.status == Status.SENT


def test_a_reminder_to_the_freelancer_is_sent_again_after_a_timeout(studio, postmark, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    reminder = outbox.enqueue(studio=studio, to=["me@northlight.example"], subject="Digest", text="…", kind="digest")
    postmark.hang.set()

    assert outbox.deliver_due() == 0
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (Status.QUEUED, 1)

    postmark.hang.clear()
    time_machine.shift(timedelta(minutes=1, seconds=1))
    assert outbox.deliver_due() == 1
    reminder.refresh_from_db()
    assert reminder.status == Status.SENT


def test_a_refused_connection_is_retried_not_held(studio, settings):
    settings.OUTBOX_DELIVERY_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "t", "POSTMARK_API_URL": "http://127.0.0.1:9/", "REQUESTS_TIMEOUT": 1}
    email = client_mail(studio)

    assert outbox.deliver_due() == 0

    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.QUEUED, 1)

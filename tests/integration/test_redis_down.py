"""Redis down: pages that queue mail still answer at once; when it is back, the beat's ticks send everything due.

Kicking a worker after a commit is an optimisation. The kick here really tries a Redis broker on
a closed port, with the transport options production uses (``REDIS_BROKER_TRANSPORT_OPTIONS``):
one connection attempt, no retry loop, the error swallowed. Delivery never depends on the kick:
the beat's ``outbox-deliver`` tick runs ``deliver_due``, which takes every due queued row.
Needs no running services, so it always runs.
"""

import socket
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client as Browser
from django.urls import reverse

from comms import outbox
from comms.models import OutboxEmail
from comms.tasks import deliver_outbox
from crm.celery import app as celery_app
from tests.factories import OutboxEmailFactory

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)  # a Monday morning in Berlin: working hours
Status = OutboxEmail.Status


def closed_port() -> int:
    """A local TCP port nobody listens on: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def broker_down(settings, monkeypatch):
    """The kick publishes to a Redis broker that is down; records any retry sleep kombu would make."""
    port = closed_port()
    connection = celery_app.connection_for_write(
        f"redis://127.0.0.1:{port}/0", transport_options=settings.REDIS_BROKER_TRANSPORT_OPTIONS
    )
    publish = deliver_outbox.apply_async
    monkeypatch.setattr(
        deliver_outbox, "apply_async", lambda *args, **kwargs: publish(*args, connection=connection, **kwargs)
    )
    retry_sleeps: list[float] = []

    def retry_sleep(seconds: float) -> None:  # fail, rather than wait and try the dead broker again
        retry_sleeps.append(seconds)
        raise AssertionError(f"kombu would wait {seconds} s, then try the broker again")

    monkeypatch.setattr("kombu.utils.functional.sleep", retry_sleep)
    yield {"port": port, "retry_sleeps": retry_sleeps}
    connection.release()


@pytest.fixture(autouse=True)
def _no_rate_limit_left_over():
    cache.clear()
    yield
    cache.clear()


def test_the_kick_tries_redis_once_and_swallows_the_error(broker_down, caplog):
    outbox.kick_delivery()

    assert broker_down["retry_sleeps"] == []  # no retry loop: the request is not held up
    assert f"127.0.0.1:{broker_down['port']}" in caplog.text  # it really tried that broker
    assert "the outbox sends at the next beat tick" in caplog.text


@time_machine.travel(NOW, tick=False)
def test_the_inquiry_form_answers_and_its_mail_waits_while_the_broker_is_down(
    client: Browser, studio, owner, broker_down, django_capture_on_commit_callbacks, caplog
):
    form = {"name": "Ada Weaver", "email": "ada@weaver.example", "company": "Weaver", "phone": "", "budget": "",
            "message": "A new website, please.", "website": ""}  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True) as kicks:
        response = client.post(reverse("inquiry:form", args=[studio.slug]), form, REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 302
    assert response.url == reverse("inquiry:thanks", args=[studio.slug])
    assert kicks  # the kick ran after the commit, and failed quietly
    assert "Could not reach the task broker" in caplog.text
    assert broker_down["retry_sleeps"] == []
    assert sorted(OutboxEmail.objects.values_list("kind", "status")) == [
        ("inquiry-ack", Status.QUEUED),
        ("inquiry-new-lead", Status.QUEUED),
    ]


@time_machine.travel(NOW, tick=False)
def test_send_now_on_the_outbox_page_answers_while_the_broker_is_down(
    owner_client: Browser, studio, broker_down, django_capture_on_commit_callbacks
):
    email = OutboxEmailFactory(studio=studio, send_after=NOW + timedelta(hours=3))

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("comms:outbox_send_now", args=[email.pk]))

    email.refresh_from_db()
    assert response.status_code == 302
    assert (email.status, email.send_after) == (Status.QUEUED, NOW)
    assert broker_down["retry_sleeps"] == []


def test_when_redis_is_back_two_ticks_send_everything_due(
    studio, broker_down, django_capture_on_commit_callbacks, mailoutbox, monkeypatch
):
    """Mail queued during three hours without Redis, none of it kicked: the next two ticks send it all."""
    monkeypatch.setattr("comms.conversation.file_sent_email", lambda email, client: None)
    with time_machine.travel(NOW, tick=False) as clock:
        queued = []
        with django_capture_on_commit_callbacks(execute=True):
            for n in range(120):  # more than one claim batch
                queued.append(outbox.enqueue(studio=studio, to=["c@client.example"], subject=f"#{n}", text="Hi"))
                clock.shift(timedelta(seconds=90))
            later = outbox.enqueue(studio=studio, to=["c@client.example"], subject="Later", text="Hi",
                                   send_after=NOW + timedelta(hours=3, minutes=1))  # fmt: skip
        assert OutboxEmail.objects.filter(status=Status.QUEUED).count() == 121
        assert mailoutbox == []

        clock.move_to(NOW + timedelta(hours=3))  # Redis is back; beat's outbox-deliver ticks every minute
        first_tick = deliver_outbox()
        clock.shift(timedelta(minutes=1))
        second_tick = deliver_outbox()

    assert (first_tick, second_tick) == (120, 1)
    sent_ids = [message.extra_headers["Message-ID"] for message in mailoutbox]
    assert sorted(sent_ids) == sorted(email.message_id_header for email in [*queued, later])
    assert len(set(sent_ids)) == len(sent_ids)
    assert set(OutboxEmail.objects.values_list("status", flat=True)) == {Status.SENT}

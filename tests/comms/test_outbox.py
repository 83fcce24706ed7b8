"""The outbox: enqueue, claim, send, retry with backoff, reclaim, the freelancer's actions, cool-off."""

import logging
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.mime.text import MIMEText
from pathlib import Path
from unittest import mock

import pytest
import time_machine
from anymail.exceptions import AnymailRecipientsRefused
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.db.models.query import QuerySet
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from comms import outbox
from comms.mail import studio_email_send
from comms.mailbox import STUDIO_HEADER
from comms.models import OutboxEmail
from comms.tasks import deliver_outbox
from tests.factories import ClientFactory, MessageFactory, OutboxEmailFactory, StudioFactory

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
ANYMAIL_TEST = "anymail.backends.test.EmailBackend"
Status = OutboxEmail.Status


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def sent_log(monkeypatch) -> list[OutboxEmail]:
    """Stands in for comms.conversation.file_sent_email and records the emails it was given."""
    logged: list[OutboxEmail] = []
    monkeypatch.setattr("comms.conversation.file_sent_email", lambda email, client: logged.append(email))
    return logged


class FailingBackend:
    """A delivery backend whose server is down."""

    error: Exception = ConnectionRefusedError("SMTP server down")

    def __init__(self, **kwargs):
        pass

    def open(self):
        pass

    def close(self):
        pass

    def send_messages(self, messages):
        raise self.error


class RefusingBackend(FailingBackend):
    error = AnymailRecipientsRefused("All message recipients were rejected: client@client.example (invalid)")


def queue(studio, **fields) -> OutboxEmail:
    return outbox.enqueue(
        **{"studio": studio, "to": ["client@client.example"], "subject": "Hi", "text": "Hello", **fields}
    )


# --- enqueue -----------------------------------------------------------------------------------


def test_enqueue_keeps_the_email_with_a_message_id_from_the_senders_domain(studio):
    email = queue(studio, html="<p>Hello</p>", cc=["Boss <boss@client.example>"], kind="reply", template="t")

    email.refresh_from_db()
    assert email.from_email == "Northlight <hello@northlight.example>"  # the studio's own address
    assert (email.to, email.cc, email.status, email.attempts) == (
        ["client@client.example"],
        ["Boss <boss@client.example>"],
        Status.QUEUED,
        0,
    )
    assert (email.kind, email.template, email.html, email.send_after) == ("reply", "t", "<p>Hello</p>", NOW)
    assert email.message_id_header.startswith("<")
    assert email.message_id_header.endswith("@northlight.example>")
    assert email.headers == {STUDIO_HEADER: str(studio.pk)}


def test_without_a_studio_the_server_address_sends(db, settings):
    email = outbox.enqueue(studio=None, to=["someone@example.com"], subject="Reset", text="Link", kind="account")

    assert email.from_email == settings.DEFAULT_FROM_EMAIL
    assert STUDIO_HEADER not in email.headers
    assert email.message_id_header.endswith("@localhost>")


def test_the_same_idempotency_key_queues_one_email_and_returns_it_unchanged(studio, other_studio):
    first = queue(studio, idempotency_key="friday:12:2026-W47", subject="First")
    again = queue(studio, idempotency_key="friday:12:2026-W47", subject="Second")
    elsewhere = queue(other_studio, idempotency_key="friday:12:2026-W47", subject="Other studio")

    assert again.pk == first.pk
    assert again.subject == "First"
    assert elsewhere.pk != first.pk
    assert OutboxEmail.objects.count() == 2


def test_a_key_inserted_by_another_process_meanwhile_returns_that_row(studio):
    theirs = queue(studio, idempotency_key="k1", subject="Theirs")

    # Our look-up ran before their insert committed: it saw nothing, our insert hits the constraint.
    with mock.patch.object(QuerySet, "first", autospec=True, side_effect=[None, theirs]):
        mine = queue(studio, idempotency_key="k1", subject="Mine")

    assert mine.pk == theirs.pk
    assert OutboxEmail.objects.get().subject == "Theirs"


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"to": ["nonsense"]}, "nonsense"),
        ({"to": ["ok@client.example", "ada-at-weaver"]}, "ada-at-weaver"),
        ({"cc": ["two@@client.example"]}, "two@@client.example"),
        ({"cc": ["one@client.example, two@client.example"]}, "one@client.example, two@client.example"),
        ({"bcc": ["Name <>"]}, "Name <>"),
        ({"reply_to": ["reply"]}, "reply"),
        ({"from_email": "Studio <studio>"}, "Studio <studio>"),
        ({"to": ["a@b.example\nBcc: all@evil.example"]}, "a@b.example\nBcc: all@evil.example"),
    ],
)
def test_an_address_that_is_not_an_email_is_refused_by_name(studio, fields, named):
    with pytest.raises(ValueError, match="is not an email address") as refused:
        queue(studio, **fields)

    assert repr(named) in str(refused.value)
    assert not OutboxEmail.objects.exists()


def test_other_invalid_input_is_refused(studio, other_studio):
    with pytest.raises(ValueError, match="at least one recipient"):
        queue(studio, to=[])
    with pytest.raises(ValueError, match="aware"):
        queue(studio, send_after=datetime(2026, 11, 20, 12, 0))
    with pytest.raises(ValueError, match="one line"):
        queue(studio, subject="Hi\r\nBcc: all@evil.example")
    with pytest.raises(ValueError, match="not a valid header name"):
        queue(studio, headers={"X-Evil\nBcc": "all@evil.example"})
    with pytest.raises(ValueError, match="another studio"):
        queue(studio, client=ClientFactory(studio=other_studio))
    assert not OutboxEmail.objects.exists()


def test_one_address_as_a_string_is_one_recipient(studio):
    assert queue(studio, to="client@client.example").to == ["client@client.example"]


def test_display_names_are_kept(studio):
    email = queue(studio, to=['"Baker, Zoë" <zoe@acme.example>'], from_email="Mira Lindqvist <mira@northlight.example>")

    assert email.to == ['"Baker, Zoë" <zoe@acme.example>']
    assert email.message_id_header.endswith("@northlight.example>")


def test_a_reply_carries_in_reply_to_and_references(studio):
    client = ClientFactory(studio=studio)
    question = MessageFactory(
        thread__client=client, message_id="<q2@client.example>", references="<q0@client.example> <q1@client.example>"
    )

    email = queue(studio, client=client, reply_to_message=question)

    assert email.headers["In-Reply-To"] == "<q2@client.example>"
    assert email.headers["References"] == "<q0@client.example> <q1@client.example> <q2@client.example>"


def test_enqueue_asks_a_worker_after_commit_only_when_the_email_is_due(studio, django_capture_on_commit_callbacks):
    with (
        mock.patch.object(deliver_outbox, "apply_async") as kick,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        queue(studio)
        queue(studio, send_after=NOW + timedelta(hours=1))
        queue(studio, confirm_before_sending=True)

    assert len(callbacks) == 1
    kick.assert_called_once_with(retry=False)


def test_a_broker_that_is_down_does_not_break_enqueue(studio, django_capture_on_commit_callbacks, caplog):
    with (
        mock.patch.object(deliver_outbox, "apply_async", side_effect=ConnectionError("redis down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        email = queue(studio)

    assert OutboxEmail.objects.get() == email
    assert "next beat tick" in caplog.text


def test_studio_email_send_queues_the_rendered_template(studio, owner):
    client = ClientFactory(studio=studio)
    context = {"name": "Ada", "message": "Hello", "reply_by": "Tuesday", "business_day": True}

    email = studio_email_send(
        studio=studio, to=["ada@weaver.example"], template="inquiry-ack", context=context, idempotency_key="ack-1",
        client=client, send_after=NOW + timedelta(hours=2),
    )  # fmt: skip
    again = studio_email_send(
        studio=studio, to=["ada@weaver.example"], template="inquiry-ack", context=context, idempotency_key="ack-1"
    )

    assert again.pk == email.pk
    assert (email.kind, email.template, email.client, email.send_after) == (
        "inquiry-ack",
        "inquiry-ack",
        client,
        NOW + timedelta(hours=2),
    )
    assert email.reply_to == ["hello@northlight.example"]
    assert "Hello Ada" in email.text
    assert email.html.startswith("<")


# --- claim ----------------------------------------------------------------------------------------


def test_claim_takes_only_due_rows_and_each_row_once(studio):
    due = [queue(studio, subject=f"Due {n}") for n in range(3)]
    queue(studio, subject="Later", send_after=NOW + timedelta(minutes=1))
    queue(studio, subject="Cooling off", confirm_before_sending=True)
    cancelled = queue(studio, subject="Cancelled")
    outbox.cancel(cancelled)

    first = outbox.claim_due(limit=2)
    second = outbox.claim_due(limit=2)
    third = outbox.claim_due(limit=2)

    assert [email.pk for email in first + second] == [email.pk for email in due]
    assert third == []
    for email in first + second:
        assert (email.status, email.attempts, email.claimed_at) == (Status.SENDING, 1, NOW)


@pytest.mark.skipif(
    connection.features.has_select_for_update_skip_locked, reason="this database claims with SELECT … SKIP LOCKED"
)
def test_a_row_another_worker_claimed_after_we_listed_it_is_not_ours(studio, monkeypatch):
    ours, theirs = queue(studio, subject="Ours"), queue(studio, subject="Theirs")
    real_due_emails = outbox.due_emails
    listings = []

    def stale_listing(now):
        """The first call is our listing, made just before the other worker claimed ``theirs``."""
        listings.append(now)
        if len(listings) == 1:
            OutboxEmail.objects.filter(pk=theirs.pk).update(status=Status.SENDING, attempts=1)
            return OutboxEmail.objects.filter(pk__in=[ours.pk, theirs.pk]).order_by("pk")
        return real_due_emails(now)

    monkeypatch.setattr(outbox, "due_emails", stale_listing)

    claimed = outbox.claim_due()

    assert [email.pk for email in claimed] == [ours.pk]
    assert OutboxEmail.objects.get(pk=theirs.pk).attempts == 1


# --- send -------------------------------------------------------------------------------------------


def test_a_sent_email_keeps_the_esp_id_and_is_logged_in_its_conversation(studio, settings, sent_log):
    settings.OUTBOX_DELIVERY_BACKEND = ANYMAIL_TEST
    email = queue(
        studio, html="<p>Hello</p>", cc=["cc@client.example"], bcc=["bcc@client.example"], reply_to=["r@x.example"]
    )

    assert outbox.deliver_due() == 1

    email.refresh_from_db()
    (message,) = mail.outbox
    assert (email.status, email.sent_at, email.attempts, email.last_error) == (Status.SENT, NOW, 1, "")
    assert email.esp_message_id == str(message.anymail_status.message_id)
    assert email.esp_message_id != ""
    assert message.extra_headers["Message-ID"] == email.message_id_header
    assert message.extra_headers[STUDIO_HEADER] == str(studio.pk)
    assert (message.to, message.cc, message.bcc, message.reply_to) == (
        ["client@client.example"],
        ["cc@client.example"],
        ["bcc@client.example"],
        ["r@x.example"],
    )
    assert message.alternatives[0][0] == "<p>Hello</p>"
    assert [logged.pk for logged in sent_log] == [email.pk]
    assert sent_log[0].status == Status.SENT


def test_a_failure_to_log_the_conversation_never_sends_again(studio, monkeypatch, mailoutbox, caplog):
    def broken(email, client):
        raise RuntimeError("thread lookup failed")

    monkeypatch.setattr("comms.conversation.file_sent_email", broken)
    email = queue(studio)

    assert outbox.deliver_due() == 1
    assert outbox.deliver_due() == 0

    email.refresh_from_db()
    assert email.status == Status.SENT
    assert len(mailoutbox) == 1
    assert "could not be logged in its conversation" in caplog.text


def test_errors_retry_with_backoff_then_fail_keeping_the_error(studio, settings, sent_log, frozen_clock, caplog):
    settings.OUTBOX_DELIVERY_BACKEND = "tests.comms.test_outbox.FailingBackend"
    settings.OUTBOX_MAX_ATTEMPTS = 5
    email = queue(studio)
    caplog.set_level(logging.WARNING, logger="rapport.outbox")

    waits = []
    for attempt in range(1, 5):
        assert outbox.deliver_due() == 0
        email.refresh_from_db()
        assert (email.status, email.attempts) == (Status.QUEUED, attempt)
        assert email.last_error == "ConnectionRefusedError: SMTP server down"
        waits.append(email.send_after - timezone.now())
        assert outbox.claim_due(now=email.send_after - timedelta(seconds=1)) == []  # not before its time
        frozen_clock.move_to(email.send_after)

    assert outbox.deliver_due() == 0
    email.refresh_from_db()
    assert waits == [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2)]
    assert (email.status, email.attempts, email.claimed_at) == (Status.FAILED, 5, None)
    assert "SMTP server down" in email.last_error
    frozen_clock.shift(timedelta(days=1))
    assert outbox.claim_due() == []
    assert sent_log == []


def test_recipients_refused_by_the_esp_fail_at_once(studio, settings):
    settings.OUTBOX_DELIVERY_BACKEND = "tests.comms.test_outbox.RefusingBackend"
    email = queue(studio)

    outbox.deliver_due()

    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.FAILED, 1)
    assert email.last_error.startswith("AnymailRecipientsRefused: All message recipients were rejected")


def test_a_backend_that_cannot_connect_reschedules_the_whole_batch(studio, settings, monkeypatch):
    settings.OUTBOX_DELIVERY_BACKEND = "tests.comms.test_outbox.FailingBackend"
    monkeypatch.setattr(FailingBackend, "open", mock.Mock(side_effect=OSError("no route to host")))
    emails = [queue(studio), queue(studio)]

    assert outbox.deliver_due() == 0

    for email in emails:
        email.refresh_from_db()
        assert (email.status, email.attempts, email.last_error) == (Status.QUEUED, 1, "OSError: no route to host")


def test_deliver_due_sends_in_batches_until_nothing_is_due(studio, mailoutbox, sent_log):
    for n in range(7):
        queue(studio, subject=f"Email {n}")

    assert outbox.deliver_due(batch=3) == 7
    assert [message.subject for message in mailoutbox] == [f"Email {n}" for n in range(7)]
    assert OutboxEmail.objects.filter(status=Status.SENT).count() == 7


def test_the_celery_task_delivers(studio, mailoutbox, sent_log):
    queue(studio)

    assert deliver_outbox() == 1
    assert len(mailoutbox) == 1


# --- in flight, reclaim ---------------------------------------------------------------------------------


class PeekingBackend(BaseEmailBackend):
    """Records, for each message it is handed, what the database says about its row at that moment."""

    seen: list[tuple[str, object]] = []

    def send_messages(self, messages):
        for message in messages:
            row = OutboxEmail.objects.get(message_id_header=message.extra_headers["Message-ID"])
            self.seen.append((row.status, row.send_started_at))
        return len(messages)


def test_the_send_is_marked_started_just_before_the_esp_call(studio, settings, monkeypatch, sent_log):
    settings.OUTBOX_DELIVERY_BACKEND = "tests.comms.test_outbox.PeekingBackend"
    monkeypatch.setattr(PeekingBackend, "seen", [])
    email = queue(studio)

    assert outbox.deliver_due() == 1

    assert PeekingBackend.seen == [(Status.SENDING, NOW)]
    email.refresh_from_db()
    assert (email.status, email.send_started_at, email.sent_at) == (Status.SENT, NOW, NOW)


def test_a_message_that_cannot_be_built_never_counts_as_in_flight(studio, monkeypatch):
    monkeypatch.setattr(outbox, "build_message", mock.Mock(side_effect=ValueError("bad header")))
    email = queue(studio)

    outbox.deliver_due()

    email.refresh_from_db()
    assert (email.status, email.send_started_at, email.last_error) == (Status.QUEUED, None, "ValueError: bad header")


def stuck_row(studio, *, started: bool, kind: str = "reply", client=None, attempts: int = 1, minutes: int = 11):
    claimed_at = NOW - timedelta(minutes=minutes)
    return OutboxEmailFactory(
        studio=studio, kind=kind, client=client, status=Status.SENDING, attempts=attempts, claimed_at=claimed_at,
        send_started_at=claimed_at + timedelta(seconds=1) if started else None,
    )  # fmt: skip


def test_reclaim_requeues_what_never_left_and_holds_interrupted_client_mail(studio, settings, mailoutbox, sent_log):
    settings.OUTBOX_SENDING_TIMEOUT = 600
    settings.OUTBOX_MAX_ATTEMPTS = 5
    client = ClientFactory(studio=studio)
    never_started = stuck_row(studio, started=False)
    never_started_worn = stuck_row(studio, started=False, attempts=5)
    client_reply = stuck_row(studio, started=True, kind="reply")
    client_reminder = stuck_row(studio, started=True, kind="deposit-reminder", client=client)
    digest_about_client = stuck_row(studio, started=True, kind="digest", client=client)
    digest = stuck_row(studio, started=True, kind="digest")
    worn_out_digest = stuck_row(studio, started=True, kind="clock-warning", attempts=5)
    busy = stuck_row(studio, started=True, minutes=5)  # its worker may still be at it

    assert outbox.reclaim_stuck() == 7

    rows = {
        name: OutboxEmail.objects.get(pk=row.pk)
        for name, row in [
            ("never_started", never_started), ("never_started_worn", never_started_worn),
            ("client_reply", client_reply), ("client_reminder", client_reminder),
            ("digest_about_client", digest_about_client), ("digest", digest),
            ("worn_out_digest", worn_out_digest), ("busy", busy),
        ]
    }  # fmt: skip
    assert {name: (row.status, row.attempts) for name, row in rows.items()} == {
        "never_started": (Status.QUEUED, 0),  # the claim did not reach the ESP: not an attempt
        "never_started_worn": (Status.QUEUED, 4),
        "client_reply": (Status.NEEDS_ATTENTION, 1),
        "client_reminder": (Status.NEEDS_ATTENTION, 1),
        "digest_about_client": (Status.NEEDS_ATTENTION, 1),  # linked to a client: not ours to resend
        "digest": (Status.QUEUED, 1),
        "worn_out_digest": (Status.FAILED, 5),
        "busy": (Status.SENDING, 1),
    }
    assert rows["never_started"].last_error == ""  # nothing happened that the freelancer must know
    for name in ("client_reply", "client_reminder", "digest_about_client"):
        assert "may or may not have left" in rows[name].last_error
        assert "will not send it again on its own" in rows[name].last_error
    assert "it may arrive twice" in rows["digest"].last_error
    assert (rows["digest"].claimed_at, rows["digest"].send_started_at) == (None, None)

    assert outbox.deliver_due(now=NOW) == 3
    assert sorted(message.subject for message in mailoutbox) == sorted(
        rows[name].subject for name in ("never_started", "never_started_worn", "digest")
    )
    assert outbox.deliver_due(now=NOW + timedelta(hours=1)) == 0  # held rows stay held; "busy" is held now too
    assert len(mailoutbox) == 3
    assert OutboxEmail.objects.filter(status=Status.NEEDS_ATTENTION).count() == 4


def test_freelancer_kinds_are_reminders_to_the_studio_only():
    from comms.conversation import AUTOMATED_KINDS

    assert outbox.FREELANCER_KINDS <= AUTOMATED_KINDS
    for client_mail in ("reply", "email", "acknowledgment", "inquiry-ack", "friday-update-auto", "survey",
                        "deposit-reminder", "action-item-reminder"):  # fmt: skip
        assert client_mail not in outbox.FREELANCER_KINDS


def test_a_worker_that_lost_its_claim_does_not_send(studio, mailoutbox):
    email = queue(studio)
    (slow,) = outbox.claim_due()
    # The slow worker's claim timed out: reclaimed and claimed by another worker (a later claim).
    outbox.reclaim_stuck(now=NOW + timedelta(hours=1))
    (theirs,) = outbox.claim_due(now=NOW + timedelta(hours=1))

    assert outbox.send_claimed(slow) is False
    assert mailoutbox == []
    assert outbox.send_claimed(theirs) is True
    assert len(mailoutbox) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.SENT, 1)


def test_reminders_sent_by_a_worker_too_slow_to_hold_them_leave_the_marks_of_the_new_holder(studio, mailoutbox):
    """The freelancer's own mail is not checked again before each send (it may arrive twice); its marks are."""
    rows = [queue(studio, kind="digest", to=[f"owner{n}@studio.example"]) for n in range(3)]
    slow = outbox.claim_due()
    # The middle row's claim was taken over by another worker while this one was slow.
    OutboxEmail.objects.filter(pk=rows[1].pk).update(attempts=5, claimed_at=NOW + timedelta(hours=1))

    outbox.send_batch(slow)

    assert len(mailoutbox) == 3
    held = dict(OutboxEmail.objects.filter(pk__in=[row.pk for row in rows]).values_list("pk", "status"))
    assert [held[row.pk] for row in rows] == [Status.SENT, Status.SENDING, Status.SENT]
    assert OutboxEmail.objects.get(pk=rows[1].pk).attempts == 5


def test_a_slow_worker_that_finishes_after_all_marks_an_attention_row_sent(studio, mailoutbox, sent_log, monkeypatch):
    email = queue(studio, kind="reply")
    (claimed,) = outbox.claim_due()
    real_send = EmailMultiAlternatives.send

    def send_while_being_reclaimed(message, *args, **kwargs):
        outbox.reclaim_stuck(now=NOW + timedelta(hours=1))  # meanwhile, the row is found "stuck"
        assert OutboxEmail.objects.get(pk=email.pk).status == Status.NEEDS_ATTENTION
        return real_send(message, *args, **kwargs)

    monkeypatch.setattr(EmailMultiAlternatives, "send", send_while_being_reclaimed)

    assert outbox.send_claimed(claimed) is True

    email.refresh_from_db()
    assert (email.status, email.last_error) == (Status.SENT, "")
    assert len(mailoutbox) == 1


def test_each_worker_reclaims_once_at_start_up(studio, settings):
    from crm.celery import _reclaim_outbox_at_start

    settings.OUTBOX_SENDING_TIMEOUT = 600
    interrupted = stuck_row(studio, started=True)
    recent = stuck_row(studio, started=True, minutes=1)

    _reclaim_outbox_at_start(sender=None)

    interrupted.refresh_from_db()
    recent.refresh_from_db()
    assert (interrupted.status, recent.status) == (Status.NEEDS_ATTENTION, Status.SENDING)


def test_start_up_reclaim_never_stops_the_worker(monkeypatch, caplog):
    from crm.celery import _reclaim_outbox_at_start

    monkeypatch.setattr(outbox, "reclaim_stuck", mock.Mock(side_effect=ConnectionError("database down")))

    _reclaim_outbox_at_start(sender=None)

    assert "Could not reclaim stuck outbox rows at start-up" in caplog.text


# --- the freelancer's actions --------------------------------------------------------------------------


def test_cancel_stops_a_queued_or_interrupted_email_and_nothing_else(studio):
    scheduled = queue(studio, send_after=NOW + timedelta(hours=1))
    sending = OutboxEmailFactory(studio=studio, status=Status.SENDING, claimed_at=NOW)
    interrupted = OutboxEmailFactory(studio=studio, status=Status.NEEDS_ATTENTION, send_started_at=NOW)

    assert outbox.cancel(scheduled) is True
    assert outbox.cancel(sending) is False
    assert outbox.cancel(interrupted) is True

    assert scheduled.status == Status.CANCELLED
    assert sending.status == Status.SENDING
    assert interrupted.status == Status.CANCELLED
    assert outbox.claim_due(now=NOW + timedelta(days=1)) == []


def test_retry_queues_a_failed_or_cancelled_email_now_with_fresh_attempts(studio, mailoutbox, sent_log):
    failed = OutboxEmailFactory(
        studio=studio, status=Status.FAILED, attempts=5, last_error="boom", send_after=NOW - timedelta(days=1)
    )
    cancelled = queue(studio, send_after=NOW + timedelta(days=2))
    outbox.cancel(cancelled)
    sent = OutboxEmailFactory(studio=studio, status=Status.SENT, sent_at=NOW)

    assert outbox.retry(failed) is True
    assert outbox.retry(cancelled) is True
    assert outbox.retry(sent) is False

    assert (failed.status, failed.attempts, failed.last_error, failed.send_after) == (Status.QUEUED, 0, "", NOW)
    assert (cancelled.status, cancelled.send_after) == (Status.QUEUED, NOW)
    assert outbox.deliver_due() == 2
    assert sent.status == Status.SENT


def test_an_interrupted_email_sent_again_keeps_its_message_id(studio, mailoutbox, sent_log):
    interrupted = OutboxEmailFactory(
        studio=studio, status=Status.NEEDS_ATTENTION, attempts=1, claimed_at=NOW - timedelta(hours=1),
        send_started_at=NOW - timedelta(hours=1), last_error="Found interrupted",
        message_id_header="<x@studio.example>",
    )  # fmt: skip

    assert outbox.retry(interrupted) is True

    assert (interrupted.status, interrupted.attempts, interrupted.last_error) == (Status.QUEUED, 0, "")
    assert (interrupted.claimed_at, interrupted.send_started_at) == (None, None)
    assert outbox.deliver_due() == 1
    assert mailoutbox[0].extra_headers["Message-ID"] == "<x@studio.example>"


def test_an_interrupted_email_that_did_leave_is_marked_sent_and_filed(studio, sent_log, mailoutbox):
    handed_over = NOW - timedelta(hours=2)
    interrupted = OutboxEmailFactory(
        studio=studio, status=Status.NEEDS_ATTENTION, attempts=1, claimed_at=handed_over,
        send_started_at=handed_over, last_error="Found interrupted",
    )  # fmt: skip
    queued = queue(studio)

    assert outbox.mark_sent(interrupted) is True
    assert outbox.mark_sent(queued) is False
    assert outbox.mark_sent(interrupted) is False

    assert (interrupted.status, interrupted.sent_at, interrupted.last_error) == (Status.SENT, handed_over, "")
    assert [logged.pk for logged in sent_log] == [interrupted.pk]
    queued.refresh_from_db()
    assert queued.status == Status.QUEUED
    outbox.deliver_due()
    assert [message.subject for message in mailoutbox] == [queued.subject]  # the marked one never goes again


def test_send_now_skips_the_wait(studio, mailoutbox, sent_log):
    tomorrow = queue(studio, send_after=NOW + timedelta(hours=14))  # e.g. quiet hours until the next opening

    assert outbox.send_now(tomorrow) is True

    assert (tomorrow.send_after, tomorrow.confirm_before_sending) == (NOW, False)
    assert outbox.deliver_due() == 1
    assert outbox.send_now(tomorrow) is False  # already gone


def test_a_cooled_off_email_leaves_only_once_confirmed(studio, mailoutbox, sent_log, frozen_clock):
    heated = queue(studio, send_after=NOW + timedelta(hours=3), confirm_before_sending=True)

    assert outbox.state_of(heated, NOW) == "cooling_off"
    assert outbox.deliver_due() == 0
    frozen_clock.shift(timedelta(hours=4))
    assert outbox.deliver_due() == 0  # the cool-off is over, but it still asks once more
    heated.refresh_from_db()
    assert outbox.state_of(heated, timezone.now()) == "awaiting_confirmation"
    assert mailoutbox == []

    assert outbox.confirm(heated) is True
    assert heated.send_after == NOW + timedelta(hours=3)  # due since the end of its cool-off
    assert outbox.confirm(heated) is False  # confirmed already
    assert outbox.deliver_due() == 1
    heated.refresh_from_db()
    assert heated.status == Status.SENT


def test_confirming_during_the_cool_off_sends_it_now(studio, mailoutbox, sent_log):
    heated = queue(studio, send_after=NOW + timedelta(hours=3), confirm_before_sending=True)

    assert outbox.confirm(heated) is True

    assert (heated.send_after, heated.confirm_before_sending) == (NOW, False)
    assert outbox.deliver_due() == 1


def test_actions_that_make_an_email_due_ask_a_worker(studio, django_capture_on_commit_callbacks):
    later = queue(studio, send_after=NOW + timedelta(hours=1))

    with mock.patch.object(deliver_outbox, "apply_async") as kick, django_capture_on_commit_callbacks(execute=True):
        outbox.send_now(later)

    kick.assert_called_once_with(retry=False)


# --- Django's own mail goes through the outbox ---------------------------------------------------------


def test_a_password_reset_becomes_an_outbox_row_and_then_leaves(settings, owner, mailoutbox, sent_log):
    settings.EMAIL_BACKEND = "comms.backends.OutboxBackend"  # pytest-django switched it to locmem

    Browser().post(reverse("password_reset"), {"email": owner.email})

    email = OutboxEmail.objects.get()
    assert (email.studio, email.kind, email.to, email.status) == (None, "account", [owner.email], Status.QUEUED)
    assert "/accounts/reset/" in email.text
    assert email.from_email == settings.DEFAULT_FROM_EMAIL
    assert mailoutbox == []
    assert outbox.deliver_due() == 1
    assert mailoutbox[0].to == [owner.email]
    assert "/accounts/reset/" in mailoutbox[0].body


def test_the_outbox_backend_reads_the_studio_header_and_the_html_part(settings, studio):
    settings.EMAIL_BACKEND = "comms.backends.OutboxBackend"
    message = EmailMultiAlternatives(
        "Welcome", "Plain", "a@x.example", ["b@y.example"], headers={STUDIO_HEADER: str(studio.pk), "X-Tag": "t"}
    )
    message.attach_alternative("<p>Rich</p>", "text/html")

    assert message.send() == 1

    email = OutboxEmail.objects.get()
    assert (email.studio, email.text, email.html, email.kind) == (studio, "Plain", "<p>Rich</p>", "account")
    assert email.headers == {"X-Tag": "t", STUDIO_HEADER: str(studio.pk)}


def test_the_outbox_backend_refuses_what_it_cannot_carry(settings, db):
    settings.EMAIL_BACKEND = "comms.backends.OutboxBackend"
    with_mime_part = EmailMessage("Invoice", "See attached", "a@x.example", ["b@y.example"])
    with_mime_part.attach(MIMEText("A part, not a file"))

    with pytest.raises(ValueError, match="not MIME parts"):
        with_mime_part.send()
    with pytest.raises(ValueError, match="not an email address"):
        EmailMessage("Hi", "Body", "a@x.example", ["nobody"]).send()
    assert EmailMessage("Hi", "Body", "a@x.example", ["nobody"]).send(fail_silently=True) == 0
    assert not OutboxEmail.objects.exists()


def test_settings_refuse_the_outbox_as_its_own_delivery_backend():
    env = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG", "SYSTEMROOT"}} | {
        "RAPPORT_VAR_DIR": str(ROOT / "var"),
        "DEBUG": "1",
        "EMAIL_BACKEND": "comms.backends.OutboxBackend",
    }

    result = subprocess.run(
        [sys.executable, "-c", "import crm.settings"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "EMAIL_BACKEND=comms.backends.OutboxBackend" in result.stderr


def test_claiming_serves_every_studio_oldest_first(studio):
    other = StudioFactory()
    late = queue(other, send_after=NOW - timedelta(minutes=1))
    early = queue(studio, send_after=NOW - timedelta(minutes=5))

    assert [email.pk for email in outbox.claim_due()] == [early.pk, late.pk]

"""comms.compose: countdowns, addresses, sending (quiet hours, cool-off, undo), acknowledgments, logging."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clients.models import Client, Contact
from comms import compose, inbox
from comms.compose import Draft, HeatChoice, Timing
from comms.inbox import countdown
from comms.models import Commitment, Message, OutboxEmail
from tests.factories import ClientFactory, ContactFactory, MessageFactory, ThreadFactory

BERLIN = ZoneInfo("Europe/Berlin")
WEDNESDAY = datetime(2026, 11, 18, 11, 0, tzinfo=BERLIN)  # working time
SATURDAY = datetime(2026, 11, 21, 11, 0, tzinfo=BERLIN)
MONDAY_OPENING = datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(hours=3, minutes=20), ("due in 3 h 20 min", False)),
        (timedelta(hours=-2), ("overdue by 2 h", True)),
        (timedelta(minutes=45, seconds=30), ("due in 45 min", False)),
        (timedelta(days=2, hours=5), ("due in 2 d 5 h", False)),
        (timedelta(days=-1), ("overdue by 1 d", True)),
        (timedelta(seconds=20), ("due in < 1 min", False)),
        (timedelta(0), ("due in < 1 min", False)),
        (timedelta(seconds=-1), ("overdue by < 1 min", True)),
    ],
)
def test_countdown_reads_like_a_person_and_breaches_only_after_the_due_time(delta, expected):
    now = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
    assert countdown(now + delta, now) == expected


def test_parse_addresses_keeps_valid_ones_and_names_the_invalid():
    valid, invalid = compose.parse_addresses(
        "ann@bakery.example, Bob <bob@shop.example>; not-an-email,ANN@bakery.example"
    )
    assert valid == ["ann@bakery.example", "bob@shop.example"]
    assert invalid == ["not-an-email"]


def test_reply_subject_adds_re_once():
    assert compose.reply_subject("Logo") == "Re: Logo"
    assert compose.reply_subject("RE: Logo") == "RE: Logo"


def test_unfilled_placeholders_ignore_quoted_history():
    text = "Hello [contact_first_name],\n> [client_name] said [something]"
    assert compose.unfilled_placeholders(text) == ["contact_first_name"]


@pytest.fixture
def acme(studio):
    client = ClientFactory(studio=studio, name="Acme Bakery")
    ContactFactory(client=client, name="Ann Baker", email="ann@bakery.example", is_primary=True)
    ContactFactory(client=client, name="Bob Books", email="bob@bakery.example")
    return client


@pytest.fixture
def question(acme):
    thread = ThreadFactory(client=acme, subject="Logo")
    return MessageFactory(
        thread=thread,
        from_email="ann@bakery.example",
        from_name="Ann Baker",
        subject="Logo",
        message_id="<q1@bakery.example>",
        references="<root@bakery.example>",
        sent_at=WEDNESDAY - timedelta(hours=1),
        needs_reply=True,
        reply_due_at=datetime(2026, 11, 19, 10, 0, tzinfo=BERLIN),
    )


def reply_draft(question, **changes):
    fields = {"to": ["ann@bakery.example"], "subject": "Re: Logo", "body": "Hello Ann,\n\nthanks! Here it is."}
    fields |= {"client": question.client, "reply_to": question}
    return Draft(**(fields | changes))


def test_default_recipients_reply_to_the_sender_and_write_to_the_primary_contact(acme, question):
    assert compose.default_recipients(acme, question) == ["ann@bakery.example"]
    assert compose.default_recipients(acme, None) == ["ann@bakery.example"]
    Contact.objects.filter(client=acme).update(is_primary=False)
    assert sorted(compose.default_recipients(acme, None)) == ["ann@bakery.example", "bob@bakery.example"]


@time_machine.travel(WEDNESDAY, tick=False)
def test_a_reply_is_queued_with_threading_headers_and_an_undo_window(studio, owner, question):
    scheduled = compose.send_composed(studio, reply_draft(question), user=owner)

    email = scheduled.email
    assert (email.kind, email.reply_to_message, email.client) == ("reply", question, question.client)
    assert email.headers["In-Reply-To"] == "<q1@bakery.example>"
    assert email.headers["References"] == "<root@bakery.example> <q1@bakery.example>"
    assert email.send_after == WEDNESDAY + compose.UNDO_WINDOW
    assert scheduled.timing == Timing.UNDO
    assert email.status == OutboxEmail.Status.QUEUED
    assert not email.confirm_before_sending
    assert "<p>Hello Ann,</p>" in email.html
    assert email.created_by == owner


@time_machine.travel(WEDNESDAY, tick=False)
def test_new_mail_is_kind_email(studio, owner, acme):
    draft = Draft(to=["ann@bakery.example"], subject="Hi", body="Hello", client=acme)
    assert compose.send_composed(studio, draft, user=owner).email.kind == "email"


@time_machine.travel(SATURDAY, tick=False)
def test_mail_written_on_saturday_waits_for_monday_opening(studio, owner, question):
    scheduled = compose.send_composed(studio, reply_draft(question), user=owner)

    assert scheduled.send_after == MONDAY_OPENING
    assert scheduled.timing == Timing.QUIET_HOURS


@time_machine.travel(SATURDAY, tick=False)
def test_send_now_leaves_after_the_undo_window_even_on_saturday(studio, owner, question):
    scheduled = compose.send_composed(studio, reply_draft(question), user=owner, send_now=True)

    assert scheduled.send_after == SATURDAY + timedelta(seconds=compose.UNDO_SECONDS)
    assert scheduled.timing == Timing.UNDO


@time_machine.travel(WEDNESDAY, tick=False)
@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (HeatChoice.LATER, WEDNESDAY + timedelta(hours=3)),
        (HeatChoice.MORNING, datetime(2026, 11, 19, 9, 0, tzinfo=BERLIN)),
    ],
)
def test_cool_off_waits_and_asks_once_more(studio, owner, question, choice, expected):
    scheduled = compose.send_composed(studio, reply_draft(question), user=owner, heat_choice=choice)

    assert scheduled.send_after == expected
    assert scheduled.email.confirm_before_sending
    assert scheduled.timing == Timing.COOL_OFF


@time_machine.travel(datetime(2026, 11, 18, 17, 0, tzinfo=BERLIN), tick=False)
def test_cool_off_hours_later_still_respect_working_hours(studio, owner, question):
    scheduled = compose.send_composed(studio, reply_draft(question), user=owner, heat_choice=HeatChoice.LATER)

    assert scheduled.send_after == datetime(2026, 11, 19, 9, 0, tzinfo=BERLIN)


@time_machine.travel(WEDNESDAY, tick=False)
def test_the_same_form_token_queues_one_email(studio, owner, question):
    first = compose.send_composed(studio, reply_draft(question), user=owner, idempotency_key="compose:abc")
    second = compose.send_composed(studio, reply_draft(question), user=owner, idempotency_key="compose:abc")

    assert first.email.pk == second.email.pk
    assert OutboxEmail.objects.count() == 1


@time_machine.travel(WEDNESDAY, tick=False)
def test_an_acknowledgment_records_the_promise_and_undo_takes_it_back(studio, owner, question):
    promised = datetime(2026, 11, 20, 18, 0, tzinfo=BERLIN)
    scheduled = compose.send_composed(studio, reply_draft(question, promised_by=promised), user=owner)

    commitment = Commitment.objects.get()
    assert scheduled.email.kind == "acknowledgment"
    assert (commitment.client, commitment.message, commitment.outbox_email) == (
        question.client,
        question,
        scheduled.email,
    )
    assert commitment.promised_by == promised
    assert "Logo" in commitment.description

    assert compose.undo(scheduled.email)
    assert scheduled.email.status == OutboxEmail.Status.CANCELLED
    assert not Commitment.objects.exists()
    assert not compose.undo(scheduled.email)


def test_default_promise_is_one_business_day_after_the_reply_due_time(studio, question):
    assert compose.default_promise(studio, question, WEDNESDAY) == datetime(2026, 11, 20, 10, 0, tzinfo=BERLIN)


@time_machine.travel(WEDNESDAY, tick=False)
def test_initial_acknowledgment_states_the_promised_date(studio, owner, question):
    values = compose.initial_values(
        studio, client=question.client, reply_to=question, template="acknowledgment", sender=owner
    )

    assert values["to"] == "ann@bakery.example"
    assert values["subject"] == "Re: Logo"
    assert values["promised_by"] == datetime(2026, 11, 20, 10, 0, tzinfo=BERLIN)
    assert "Friday 20 November 2026, 10:00" in values["body"]
    assert "> Hello, could you look at this?" in values["body"]
    assert not compose.unfilled_placeholders(values["body"])


def test_no_reply_needed_stops_the_clock_without_a_reply(question):
    now = WEDNESDAY
    assert compose.no_reply_needed(question, now=now)

    question.refresh_from_db()
    assert (question.replied_at, question.replied_by) == (now, None)
    assert not compose.no_reply_needed(question, now=now)


def unmatched(studio, **fields):
    thread = ThreadFactory(studio=studio, client=None, subject="Website?")
    return MessageFactory(thread=thread, subject="Website?", **fields)


@time_machine.travel(WEDNESDAY, tick=False)
def test_a_client_created_from_the_sender_gets_the_mail_and_a_clock(studio):
    message = unmatched(studio, from_email="Zoe@Newshop.example", from_name="Zoe New", sent_at=WEDNESDAY)

    client = compose.client_from_sender(message, client_name="New Shop")

    message.refresh_from_db()
    contact = Contact.objects.get(client=client)
    assert (client.name, client.studio, client.status) == ("New Shop", studio, Client.Status.LEAD)
    assert (contact.name, contact.email, contact.is_primary) == ("Zoe New", "Zoe@Newshop.example", True)
    assert message.client == client
    assert message.thread.client == client
    assert message.is_open


def test_a_sender_who_became_a_contact_meanwhile_is_not_duplicated(studio, acme):
    message = unmatched(studio, from_email="ann@bakery.example")

    assert compose.client_from_sender(message) == acme
    assert Client.objects.count() == 1


@time_machine.travel(WEDNESDAY, tick=False)
def test_logging_an_outbound_call_stops_the_clients_clocks(studio, owner, question):
    message = compose.log_interaction(
        studio, client=question.client, channel="call", direction="out", when=WEDNESDAY,
        subject="Call about the logo", summary="Agreed on blue.", user=owner,
    )  # fmt: skip

    question.refresh_from_db()
    assert question.replied_at == WEDNESDAY
    assert question.replied_by == message
    assert (message.channel, message.logged_by, message.thread.client) == ("call", owner, question.client)
    question.client.refresh_from_db()
    assert question.client.last_interaction_at == WEDNESDAY


def test_an_inbound_call_starts_no_clock(studio, owner, acme):
    message = compose.log_interaction(
        studio, client=acme, channel="call", direction="in", when=WEDNESDAY,
        subject="Ann called", summary="Asked about the logo.", user=owner,
    )  # fmt: skip

    assert not message.needs_reply
    assert not Message.objects.open_clocks().exists()


def test_inbox_owed_rows_are_the_open_clocks_oldest_due_first(studio, acme, other_studio):
    thread = ThreadFactory(client=acme)
    late = MessageFactory(thread=thread, needs_reply=True, reply_due_at=WEDNESDAY + timedelta(hours=5))
    soon = MessageFactory(thread=thread, needs_reply=True, reply_due_at=WEDNESDAY + timedelta(hours=1))
    MessageFactory(thread=thread, needs_reply=True, reply_due_at=WEDNESDAY, replied_at=WEDNESDAY)
    MessageFactory(
        thread=ThreadFactory(client=ClientFactory(studio=other_studio)), needs_reply=True, reply_due_at=WEDNESDAY
    )

    assert list(inbox.inbox_rows(studio, "owed")) == [soon, late]


def test_clock_for_describes_each_state(studio, acme):
    now = WEDNESDAY
    open_message = MessageFactory(
        thread=ThreadFactory(client=acme), needs_reply=True, reply_due_at=now - timedelta(hours=2)
    )
    automatic = MessageFactory(thread=ThreadFactory(client=acme), is_automatic=True)
    stranger = unmatched(studio)

    assert inbox.clock_for(open_message, now) == inbox.Clock(
        "breached", text="overdue by 2 h", breached=True, due=now - timedelta(hours=2)
    )
    assert inbox.clock_for(automatic, now).state == "automatic"
    assert inbox.clock_for(stranger, now).state == "unmatched"

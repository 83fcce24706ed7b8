from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from comms.conversation import (
    assign_client,
    client_for_address,
    log_sent_email,
    normalize_subject,
    record_message,
)
from comms.models import Commitment, Message, Thread
from tests.factories import ClientFactory, ContactFactory, OutboxEmailFactory

BERLIN = ZoneInfo("Europe/Berlin")
SATURDAY = datetime(2026, 11, 28, 11, 0, tzinfo=BERLIN)
MONDAY_NOON = datetime(2026, 11, 30, 12, 0, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("subject", "key"),
    [
        ("Re: Logo", "logo"),
        ("RE: Fwd: AW:  Logo   ideas", "logo ideas"),
        ("Ответ: Макет", "макет"),
        ("ΑΠ: Σχέδιο", "σχέδιο"),
        ("[design-list] Re[2]: Colours", "colours"),
        ("Reply about the website", "reply about the website"),
        ("", ""),
    ],
)
def test_normalize_subject_drops_reply_prefixes_and_list_tags(subject, key):
    assert normalize_subject(subject) == key


@pytest.fixture
def ann(studio):
    client = ClientFactory(studio=studio, name="Ann's Bakery")
    ContactFactory(client=client, email="Ann@Bakery.example", other_emails=["ann.private@mail.example"])
    return client


def inbound(studio, client=None, **overrides):
    fields = {
        "direction": Message.Direction.INBOUND,
        "client": client,
        "sent_at": MONDAY_NOON,
        "subject": "Logo",
        "from_email": "ann@bakery.example",
        "text": "Could you send the logo?",
    }
    return record_message(studio, **(fields | overrides))


def outbound(studio, client, **overrides):
    fields = {
        "direction": Message.Direction.OUTBOUND,
        "client": client,
        "sent_at": MONDAY_NOON + timedelta(hours=1),
        "subject": "Re: Logo",
        "to": ["ann@bakery.example"],
    }
    return record_message(studio, **(fields | overrides))


def test_client_for_address_matches_primary_and_other_emails_case_insensitively(studio, ann, other_studio):
    assert client_for_address(studio, "ANN@bakery.example") == ann
    assert client_for_address(studio, "Ann <ann.private@MAIL.example>") == ann
    assert client_for_address(studio, "nobody@example.com") is None
    assert client_for_address(other_studio, "ann@bakery.example") is None


def test_mail_from_a_client_starts_a_business_clock(studio, ann):
    studio.holiday_country = "DE"
    studio.save()
    message = inbound(studio, ann, sent_at=SATURDAY)
    assert message.needs_reply
    assert message.reply_due_at == datetime(2026, 11, 30, 18, 0, tzinfo=BERLIN)
    assert message.is_open


def test_urgent_mail_uses_the_urgent_policy(studio, ann):
    message = inbound(studio, ann, is_urgent=True)
    assert message.reply_due_at == MONDAY_NOON + timedelta(hours=4)


@pytest.mark.parametrize("overrides", [{"is_automatic": True, "automatic_reason": "auto-reply"}, {"client": None}])
def test_automatic_or_unmatched_mail_starts_no_clock(studio, ann, overrides):
    message = inbound(studio, **({"client": ann} | overrides))
    assert not message.needs_reply
    assert message.reply_due_at is None


def test_replies_join_the_thread_by_references_then_by_subject(studio, ann):
    first = inbound(studio, ann, message_id="<1@bakery.example>")
    by_header = inbound(studio, ann, subject="Something else", in_reply_to="<1@bakery.example>", message_id="<2@b>")
    by_subject = inbound(studio, ann, subject="RE: logo", sent_at=MONDAY_NOON + timedelta(days=1))
    much_later = inbound(studio, ann, subject="Logo", sent_at=MONDAY_NOON + timedelta(days=400))
    assert by_header.thread_id == first.thread_id == by_subject.thread_id
    assert much_later.thread_id != first.thread_id
    assert Thread.objects.get(pk=first.thread_id).last_message_at == by_subject.sent_at


def test_a_colleague_answering_in_the_clients_thread_counts_as_the_client(studio, ann):
    inbound(studio, ann, message_id="<1@bakery.example>")
    colleague = inbound(studio, None, from_email="bob@bakery.example", references="<1@bakery.example>")
    assert colleague.client == ann
    assert colleague.needs_reply


def test_the_same_message_id_is_stored_once(studio, ann):
    first = inbound(studio, ann, message_id="<dup@bakery.example>")
    again = inbound(studio, ann, message_id="<dup@bakery.example>")
    assert again.pk == first.pk
    assert Message.objects.count() == 1


def test_an_outbound_message_stops_the_clients_earlier_clocks_only(studio, ann):
    other = ClientFactory(studio=studio)
    owed = inbound(studio, ann)
    later = inbound(studio, ann, sent_at=MONDAY_NOON + timedelta(hours=2), subject="Invoice")
    elsewhere = inbound(studio, other)
    reply = outbound(studio, ann)
    owed.refresh_from_db()
    later.refresh_from_db()
    elsewhere.refresh_from_db()
    assert (owed.replied_at, owed.replied_by) == (reply.sent_at, reply)
    assert later.is_open
    assert elsewhere.is_open
    assert set(Message.objects.for_studio(studio).open_clocks()) == {later, elsewhere}


def test_an_acknowledgment_stops_the_clock_but_keeps_the_commitment_open(studio, ann):
    owed = inbound(studio, ann)
    commitment = Commitment.objects.create(
        studio=studio,
        client=ann,
        message=owed,
        description="Full answer",
        promised_by=MONDAY_NOON + timedelta(days=2),
        created_at=MONDAY_NOON,
    )
    ack = OutboxEmailFactory(
        studio=studio,
        kind="acknowledgment",
        to=["ann@bakery.example"],
        sent_at=MONDAY_NOON + timedelta(hours=1),
        status="sent",
        message_id_header="<ack@studio.example>",
    )
    message = log_sent_email(ack)
    owed.refresh_from_db()
    commitment.refresh_from_db()
    assert message.client == ann
    assert message.direction == "out"
    assert owed.replied_by == message
    assert commitment.fulfilled_at is None

    answer = OutboxEmailFactory(
        studio=studio, kind="reply", to=["ann@bakery.example"], sent_at=MONDAY_NOON + timedelta(days=1), status="sent"
    )
    log_sent_email(answer)
    commitment.refresh_from_db()
    assert commitment.fulfilled_by == answer.message


def test_a_promise_made_after_an_answer_left_waits_for_a_later_answer(studio, ann):
    owed = inbound(studio, ann)
    answer = OutboxEmailFactory(
        studio=studio, kind="reply", to=["ann@bakery.example"], sent_at=MONDAY_NOON + timedelta(hours=1), status="sent"
    )
    later_promise = Commitment.objects.create(
        studio=studio,
        client=ann,
        message=owed,
        description="Full answer",
        promised_by=MONDAY_NOON + timedelta(days=2),
        created_at=MONDAY_NOON + timedelta(hours=2),
    )
    log_sent_email(answer)
    later_promise.refresh_from_db()
    assert later_promise.fulfilled_at is None


def test_automated_mail_is_logged_but_answers_nobody(studio, ann):
    owed = inbound(studio, ann)
    receipt = OutboxEmailFactory(
        studio=studio, kind="inquiry-ack", to=["ann@bakery.example"], sent_at=MONDAY_NOON + timedelta(minutes=1)
    )
    assert log_sent_email(receipt) is not None
    owed.refresh_from_db()
    assert owed.is_open


def test_mail_to_nobody_we_know_is_not_logged(studio):
    email = OutboxEmailFactory(studio=studio, kind="digest", to=["owner@studio.example"], sent_at=MONDAY_NOON)
    assert log_sent_email(email) is None
    assert not Message.objects.exists()


def test_assigning_an_unmatched_message_starts_its_clock_from_arrival(studio, ann):
    stray = inbound(studio, None, from_email="ann.work@newdomain.example", sent_at=SATURDAY)
    assign_client(stray, ann)
    stray.refresh_from_db()
    assert stray.client == ann
    assert stray.thread.client == ann
    assert stray.reply_due_at == datetime(2026, 11, 30, 18, 0, tzinfo=BERLIN)


def test_naive_times_are_refused(studio, ann):
    with pytest.raises(ValueError, match="aware"):
        inbound(studio, ann, sent_at=datetime(2026, 11, 30, 12, 0))


def test_open_clocks_sorts_by_due_time(studio, ann):
    late = inbound(studio, ann, sent_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC), subject="B")
    early = inbound(studio, ann, subject="A")
    assert list(Message.objects.for_studio(studio).open_clocks().order_by("reply_due_at")) == [early, late]

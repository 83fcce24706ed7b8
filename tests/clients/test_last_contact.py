"""One stored last contact (``Client.last_interaction_at``, R14), written by every interaction path.

Counted: mail in, a personal mail out (Compose, a reply, a Bcc copy, the Friday update the freelancer
sends), a portal message, a booked call, a logged call or meeting, a touchpoint, an inquiry. Not
counted: what Rapport writes on its own (``comms.conversation.AUTOMATED_KINDS``: reminders, the Friday
update sent automatically, surveys, portal links, call invitations…) and auto-replies or bounces.
"""

import importlib
from datetime import UTC, date, datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.core.cache import cache
from django.test import Client as Browser
from django.urls import reverse

from clients.models import Client, Touchpoint
from clients.services import touchpoint_create
from comms import compose, outbox
from comms.compose import Draft
from comms.conversation import AUTOMATED_KINDS, assign_client, record_message
from comms.inbound import receive
from comms.models import Message, OutboxEmail
from guest.inquiry import lead_create_from_inquiry
from projects.calls import book_call
from projects.portal_access import SESSION_KEY
from projects.portal_links import issue_link
from tests.factories import ClientFactory, ContactFactory

BERLIN = ZoneInfo("Europe/Berlin")
ADDED = datetime(2025, 1, 6, 10, tzinfo=UTC)
EARLIER = datetime(2026, 5, 4, 10, tzinfo=UTC)
NOW = datetime(2026, 11, 18, 11, 0, tzinfo=BERLIN)  # a Wednesday, working time
MESSAGE_IDS = count(1)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def acme(studio):
    client = ClientFactory(studio=studio, name="Acme Bakery", added_at=ADDED, last_interaction_at=EARLIER)
    ContactFactory(client=client, name="Ann Baker", email="ann@bakery.example", is_primary=True)
    return client


def last_contact(client: Client) -> datetime | None:
    return Client.objects.values_list("last_interaction_at", flat=True).get(pk=client.pk)


def next_touch(client: Client) -> date | None:
    return Client.objects.values_list("next_touch_on", flat=True).get(pk=client.pk)


def raw_mail(*, sender: str, to: str, subject: str = "Menu", extra: str = "") -> bytes:
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{next(MESSAGE_IDS)}@x.example>\r\n"
        f"{extra}Content-Type: text/plain; charset=utf-8\r\n\r\nHello!\r\n"
    ).encode()


def test_mail_in_moves_the_last_contact_and_the_clock(studio, acme):
    receive(studio, raw_mail(sender="Ann <ann@bakery.example>", to=studio.sender_email), received_at=NOW)

    assert last_contact(acme) == NOW
    assert next_touch(acme) == date(2026, 11, 18) + timedelta(days=studio.regular_cadence_days)


def test_an_auto_reply_or_a_bounce_is_no_contact(studio, acme):
    auto = "Auto-Submitted: auto-replied\r\n"
    receive(studio, raw_mail(sender="ann@bakery.example", to=studio.sender_email, extra=auto), received_at=NOW)

    assert Message.objects.get().is_automatic
    assert last_contact(acme) == EARLIER


def test_a_bcc_copy_of_the_freelancers_own_mail_counts(studio, acme):
    receive(studio, raw_mail(sender=studio.sender_email, to="ann@bakery.example"), received_at=NOW)

    assert Message.objects.get().direction == Message.Direction.OUTBOUND
    assert last_contact(acme) == NOW


@pytest.mark.parametrize("kind", ["reply", "email"])
def test_composed_mail_counts_once_the_outbox_sent_it(studio, owner, acme, kind):
    question = record_message(
        studio, direction="in", client=acme, sent_at=EARLIER, subject="Logo", from_email="ann@bakery.example"
    )
    draft = Draft(
        to=["ann@bakery.example"],
        subject="Re: Logo",
        body="Hello Ann,\n\nhere it is.",
        client=acme,
        reply_to=question if kind == "reply" else None,
    )
    with time_machine.travel(NOW, tick=False):
        email = compose.send_composed(studio, draft, user=owner).email
    assert email.kind == kind
    assert last_contact(acme) == EARLIER  # queued, not sent: the undo window is still open

    sent_at = NOW + timedelta(minutes=1)
    with time_machine.travel(sent_at, tick=False):
        assert outbox.deliver_due() == 1

    assert OutboxEmail.objects.get(pk=email.pk).status == OutboxEmail.Status.SENT
    assert last_contact(acme) == sent_at


@pytest.mark.parametrize("kind", ["friday-update-auto", "deposit-reminder", "survey", "portal-link", "call-invite"])
def test_mail_rapport_writes_on_its_own_is_logged_but_no_contact(studio, acme, kind):
    assert kind in AUTOMATED_KINDS
    with time_machine.travel(NOW, tick=False):
        outbox.enqueue(studio=studio, to=["ann@bakery.example"], subject="News", text="Hi", kind=kind, client=acme)
        assert outbox.deliver_due() == 1

    assert Message.objects.filter(client=acme, direction=Message.Direction.OUTBOUND).exists()
    assert last_contact(acme) == EARLIER


def test_the_friday_update_the_freelancer_sends_counts(studio, acme):
    with time_machine.travel(NOW, tick=False):
        outbox.enqueue(
            studio=studio, to=["ann@bakery.example"], subject="This week", text="Hi", kind="friday-update", client=acme
        )
        outbox.deliver_due()

    assert last_contact(acme) == NOW


def test_a_portal_message_counts(studio, acme):
    contact = acme.contacts.get()
    link, _token = issue_link(contact)
    visitor = Browser()
    session = visitor.session
    session[SESSION_KEY] = link.pk
    session.save()

    with time_machine.travel(NOW, tick=False):
        response = visitor.post(reverse("portal:messages"), {"subject": "", "text": "Can we talk about colours?"})

    assert response.status_code == 302
    assert last_contact(acme) == NOW


def test_a_booked_call_counts_when_it_is_booked(studio, acme):
    starts = datetime(2026, 11, 20, 10, 0, tzinfo=BERLIN)
    with time_machine.travel(NOW, tick=False):
        book_call(
            studio=studio, client=acme, contact=acme.contacts.get(), starts_at=starts, duration_minutes=15, topic="Menu"
        )

    assert last_contact(acme) == NOW


def test_a_logged_call_counts_from_when_it_happened(studio, owner, acme):
    when = NOW - timedelta(hours=2)
    compose.log_interaction(
        studio,
        client=acme,
        channel=Message.Channel.CALL,
        direction="in",
        when=when,
        subject="Call",
        summary="Menu",
        user=owner,
    )

    assert last_contact(acme) == when


def test_a_touchpoint_counts_to_the_end_of_its_day(studio, acme):
    touchpoint_create(client=acme, kind=Touchpoint.Kind.MEETING, happened_on=date(2026, 11, 18))

    assert last_contact(acme).astimezone(BERLIN).date() == date(2026, 11, 18)


def test_an_inquiry_counts(studio, acme):
    lead_create_from_inquiry(
        studio=studio, name="Ann", email="ann@bakery.example", company="", message="More pages?", budget="", phone="",
        received_at=NOW,
    )  # fmt: skip

    assert last_contact(acme) == NOW


def test_an_older_interaction_logged_late_does_not_move_it_back(studio, acme):
    receive(studio, raw_mail(sender="ann@bakery.example", to=studio.sender_email), received_at=NOW)
    receive(studio, raw_mail(sender="ann@bakery.example", to=studio.sender_email, subject="Old"), received_at=EARLIER)

    assert last_contact(acme) == NOW


def test_mail_from_an_unknown_sender_counts_once_filed_under_the_client(studio, acme):
    message = receive(studio, raw_mail(sender="boss@bakery.example", to=studio.sender_email), received_at=NOW)
    assert message.client is None
    assert last_contact(acme) == EARLIER

    assign_client(message, acme)

    assert last_contact(acme) == NOW


def test_a_client_added_after_old_mail_is_filed_counts_from_the_day_it_was_added(studio):
    with time_machine.travel(NOW, tick=False):
        fresh = ClientFactory(studio=studio)
    ContactFactory(client=fresh, email="new@client.example")
    receive(studio, raw_mail(sender="new@client.example", to=studio.sender_email), received_at=EARLIER)

    assert last_contact(fresh) == EARLIER
    assert next_touch(fresh) == date(2026, 11, 18) + timedelta(days=studio.regular_cadence_days)


def test_another_studios_signal_moves_nothing(studio, other_studio, acme):
    from kernel.signals import interaction_recorded

    interaction_recorded.send(sender=None, studio=other_studio, client_id=acme.pk, at=NOW)

    assert last_contact(acme) == EARLIER


def test_the_migration_fills_the_last_contact_from_what_was_recorded(studio, acme):
    other = ClientFactory(studio=studio, added_at=ADDED)
    ContactFactory(client=other, email="olga@other.example")
    never = ClientFactory(studio=studio, added_at=ADDED)
    receive(studio, raw_mail(sender="ann@bakery.example", to=studio.sender_email), received_at=NOW)
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        outbox.enqueue(studio=studio, to=["olga@other.example"], subject="Pay", text="Hi", kind="deposit-reminder")
        outbox.deliver_due()
    Client.objects.update(last_interaction_at=None, next_touch_on=None)
    migration = importlib.import_module("clients.migrations.0008_backfill_last_contact")

    migration.fill_last_contact(apps, None)

    assert last_contact(acme) == NOW
    assert next_touch(acme) == date(2026, 11, 18) + timedelta(days=studio.regular_cadence_days)
    assert last_contact(other) is None  # only Rapport's own reminder went to them
    assert last_contact(never) is None
    assert next_touch(never) == date(2025, 1, 6) + timedelta(days=studio.regular_cadence_days)

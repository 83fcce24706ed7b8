"""The Friday cover follows the facts other apps own, through their signals (``projects.covered_week``)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from clients.models import Client
from clients.signals import contacts_changed
from comms.conversation import record_message
from comms.models import Message
from comms.signals import message_recorded
from kernel.signals import studio_calendar_changed
from tests.factories import ClientFactory, ContactFactory, MessageFactory

BERLIN = ZoneInfo("Europe/Berlin")
WEDNESDAY = datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN)  # in 2026-W48
WEEK = "2026-W48"


@pytest.fixture
def ann(studio) -> Client:
    client = ClientFactory(studio=studio, name="Ann's Bakery")
    ContactFactory(client=client, email="ann@bakery.example")
    return client


def week_of(client: Client) -> str:
    client.refresh_from_db(fields=["covered_week"])
    return client.covered_week


def mail_to_ann_missed_by_the_cover(studio, ann) -> None:
    """Mail that covers Ann this week, with the stored cover as if it had not been noted."""
    MessageFactory(studio=studio, thread__client=ann, direction="out", to=["ann@bakery.example"], sent_at=WEDNESDAY)
    Client.objects.filter(pk=ann.pk).update(covered_week="")


def test_filing_a_message_sends_message_recorded_and_sent_mail_covers_its_client(studio, ann):
    received = []

    def listener(sender, *, message, **kwargs):
        received.append((message.pk, message.direction, week_of(ann)))

    message_recorded.connect(listener)
    try:
        message = record_message(
            studio,
            direction=Message.Direction.OUTBOUND,
            client=ann,
            sent_at=WEDNESDAY,
            subject="The homepage",
            from_email="hello@northlight.example",
            to=["Ann@Bakery.example"],
            text="Here it is.",
        )
    finally:
        message_recorded.disconnect(listener)

    assert received == [(message.pk, Message.Direction.OUTBOUND, WEEK)]  # noted before the listener ran
    assert week_of(ann) == WEEK


def test_contacts_changed_recomputes_the_cover_of_the_clients_named(studio, ann):
    bob = ClientFactory(studio=studio)
    ContactFactory(client=bob, email="bob@bikes.example")
    mail_to_ann_missed_by_the_cover(studio, ann)
    Client.objects.filter(pk=bob.pk).update(covered_week=WEEK)  # stale, but not named

    contacts_changed.send(sender=None, studio=studio, client_ids=frozenset({ann.pk}), now=WEDNESDAY)

    assert (week_of(ann), week_of(bob)) == (WEEK, WEEK)


@pytest.mark.parametrize(
    ("changed", "week"),
    [({"timezone"}, WEEK), ({"timezone", "mon_open"}, WEEK), ({"angel_cadence_days", "mon_open"}, "")],
    ids=["time-zone", "time-zone-and-hours", "no-time-zone"],
)
def test_a_new_studio_time_zone_recomputes_the_cover(studio, ann, changed, week):
    mail_to_ann_missed_by_the_cover(studio, ann)

    studio_calendar_changed.send(sender=None, studio=studio, changed=frozenset(changed), now=WEDNESDAY)

    assert week_of(ann) == week

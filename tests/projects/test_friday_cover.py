"""The stored Friday cover (``Client.covered_week``): noted on sent mail, recomputed from the rule."""

import importlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps

from clients.models import Client
from comms.models import Message
from projects.covered_week import clients_reached, note_outbound, refresh_covered_weeks
from tests.factories import ClientFactory, ContactFactory, MessageFactory, StudioFactory

BERLIN = ZoneInfo("Europe/Berlin")
WEDNESDAY = datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN)  # in 2026-W48
WEEK = "2026-W48"


@pytest.fixture
def ann(studio) -> Client:
    client = ClientFactory(studio=studio, name="Ann's Bakery")
    ContactFactory(client=client, email="ann@bakery.example", other_emails=["Orders@Bakery.example"])
    return client


@pytest.fixture
def bob(studio) -> Client:
    client = ClientFactory(studio=studio, name="Bob's Bikes")
    ContactFactory(client=client, email="bob@bikes.example")
    return client


def week_of(client: Client) -> str:
    client.refresh_from_db(fields=["covered_week"])
    return client.covered_week


def unsaved_mail(studio, sent_at=WEDNESDAY, **fields) -> Message:
    """A message as ``record_message`` hands it over (``note_outbound`` reads, never writes it)."""
    defaults = {
        "direction": Message.Direction.OUTBOUND,
        "channel": Message.Channel.EMAIL,
        "to": [],
        "cc": [],
        "bcc": [],
    }
    return Message(studio=studio, sent_at=sent_at, **(defaults | fields))


def test_sent_mail_raises_the_week_of_every_client_it_reached_in_two_queries(
    studio, ann, bob, django_assert_num_queries
):
    stranger = ClientFactory(studio=studio)
    ContactFactory(client=stranger, email="carol@elsewhere.example")
    mail = unsaved_mail(studio, to=["Someone <x@y.example>"], cc=[" ORDERS@bakery.example "], bcc=["bob@bikes.example"])

    with django_assert_num_queries(2):
        assert note_outbound(mail) == 2

    assert (week_of(ann), week_of(bob), week_of(stranger)) == (WEEK, WEEK, "")


def test_a_later_week_already_noted_is_kept_and_an_earlier_one_raised(studio, ann, bob):
    Client.objects.filter(pk=ann.pk).update(covered_week="2026-W49")
    Client.objects.filter(pk=bob.pk).update(covered_week="2025-W52")

    note_outbound(unsaved_mail(studio, to=["ann@bakery.example", "bob@bikes.example"]))

    assert (week_of(ann), week_of(bob)) == ("2026-W49", WEEK)


@pytest.mark.parametrize(
    "fields",
    [
        {"direction": Message.Direction.INBOUND},
        {"channel": Message.Channel.CALL},
        {"sent_at": datetime(2026, 11, 28, 0, 0, tzinfo=BERLIN)},  # Saturday 00:00: the week's cover is over
        {"sent_at": datetime(2026, 11, 22, 23, 59, tzinfo=BERLIN)},  # Sunday night
    ],
    ids=["inbound", "a-logged-call", "saturday", "sunday"],
)
def test_only_email_sent_monday_to_friday_covers(studio, ann, fields, django_assert_max_num_queries):
    with django_assert_max_num_queries(0):
        assert note_outbound(unsaved_mail(studio, **{"to": ["ann@bakery.example"], **fields})) == 0
    assert week_of(ann) == ""


def test_the_week_is_the_studios_local_week(db):
    auckland = StudioFactory(slug="kiwi", timezone="Pacific/Auckland")
    client = ClientFactory(studio=auckland)
    ContactFactory(client=client, email="kia@ora.example")
    # Sunday 11:30 UTC is Monday 00:30 in Auckland (UTC+13): the first minutes of its 2026-W49.
    note_outbound(
        unsaved_mail(auckland, sent_at=datetime(2026, 11, 29, 11, 30, tzinfo=ZoneInfo("UTC")), to=["kia@ora.example"])
    )
    assert week_of(client) == "2026-W49"


def test_another_studios_contact_with_the_same_address_is_not_covered(studio, other_studio, ann):
    theirs = ClientFactory(studio=other_studio)
    ContactFactory(client=theirs, email="ann@bakery.example")

    note_outbound(unsaved_mail(studio, to=["ann@bakery.example"]))

    assert (week_of(ann), week_of(theirs)) == (WEEK, "")


def test_other_addresses_match_whole_not_as_a_part(studio, ann):
    assert clients_reached(studio, {"orders@bakery.example"}) == {ann.pk}
    assert clients_reached(studio, {"rders@bakery.example", "bakery.example"}) == set()
    ContactFactory(client=ann, email="ünï@bäckerei.example", other_emails=["Zoë@bäckerei.example"])
    assert clients_reached(studio, {"zoë@bäckerei.example"}) == {ann.pk}


def test_refresh_covers_clears_the_current_week_only_and_keeps_older_ones(studio, ann, bob):
    carol = ClientFactory(studio=studio)
    ContactFactory(client=carol, email="carol@c.example")
    dave = ClientFactory(studio=studio)  # no contact: never covered
    MessageFactory(studio=studio, thread__client=ann, direction="out", to=["orders@bakery.example"], sent_at=WEDNESDAY)
    Client.objects.filter(pk=ann.pk).update(covered_week="")  # as if the note was missed
    Client.objects.filter(pk=bob.pk).update(covered_week=WEEK)  # stale: nothing reached Bob this week
    Client.objects.filter(pk=carol.pk).update(covered_week="2026-W40")

    assert refresh_covered_weeks(studio, now=WEDNESDAY) == 2

    assert [week_of(client) for client in (ann, bob, carol, dave)] == [WEEK, "", "2026-W40", ""]


def test_refresh_of_given_clients_reads_only_mail_naming_them_in_constant_queries(
    studio, ann, bob, django_assert_max_num_queries
):
    MessageFactory(studio=studio, thread__client=ann, direction="out", to=["ANN@bakery.example"], sent_at=WEDNESDAY)
    MessageFactory(studio=studio, thread__client=bob, direction="out", bcc=["bob@bikes.example"], sent_at=WEDNESDAY)
    Client.objects.filter(pk__in=[ann.pk, bob.pk]).update(covered_week="")

    with django_assert_max_num_queries(4):
        assert refresh_covered_weeks(studio, now=WEDNESDAY, client_ids=[ann.pk]) == 1

    assert (week_of(ann), week_of(bob)) == (WEEK, "")
    assert refresh_covered_weeks(studio, now=WEDNESDAY, client_ids=[]) == 0


def test_refresh_looks_at_the_week_containing_now(studio, ann):
    MessageFactory(studio=studio, thread__client=ann, direction="out", to=["ann@bakery.example"], sent_at=WEDNESDAY)

    refresh_covered_weeks(studio, now=WEDNESDAY + timedelta(days=7))
    assert week_of(ann) == WEEK  # next week: not covered, and an older week is no business of the refresh

    Client.objects.filter(pk=ann.pk).update(covered_week="2026-W49")
    refresh_covered_weeks(studio, now=WEDNESDAY + timedelta(days=7))
    assert week_of(ann) == ""


def test_the_migration_fills_the_current_week_from_the_rule(studio, ann, bob, time_machine):
    time_machine.move_to(WEDNESDAY, tick=False)
    MessageFactory(studio=studio, thread__client=ann, direction="out", cc=["orders@bakery.example"], sent_at=WEDNESDAY)
    MessageFactory(
        studio=studio,
        thread__client=bob,
        direction="out",
        to=["bob@bikes.example"],
        sent_at=WEDNESDAY - timedelta(days=7),
    )
    Client.objects.update(covered_week="")
    migration = importlib.import_module("clients.migrations.0006_backfill_covered_week")

    migration.fill_covered_week(apps, None)

    assert (week_of(ann), week_of(bob)) == (WEEK, "")

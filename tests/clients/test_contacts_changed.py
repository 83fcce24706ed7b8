"""Clients services tell the other apps when contacts change (``clients.signals.contacts_changed``)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clients.csv_io import commit_import
from clients.models import Client, Contact
from clients.services import client_create, contact_save
from clients.signals import contacts_changed
from tests.factories import ClientFactory, ContactFactory

BERLIN = ZoneInfo("Europe/Berlin")
WEDNESDAY = datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN)


@pytest.fixture
def sent():
    """The ``contacts_changed`` signals sent while the test runs, as (studio, client ids, now)."""
    received = []

    def listener(sender, *, studio, client_ids, now, **kwargs):
        received.append((studio, client_ids, now))

    contacts_changed.connect(listener)
    yield received
    contacts_changed.disconnect(listener)


def test_a_new_contact_is_announced_for_its_client(studio, sent):
    client = ClientFactory(studio=studio)

    contact = contact_save(
        contact=Contact(name="Ann", email="ann@bakery.example", is_primary=True),
        client=client,
        other_emails=["orders@bakery.example"],
        now=WEDNESDAY,
    )

    assert sent == [(studio, frozenset({client.pk}), WEDNESDAY)]
    contact.refresh_from_db()
    assert (contact.studio, contact.client, contact.other_emails) == (studio, client, ["orders@bakery.example"])


def test_a_moved_contact_is_announced_for_both_clients_and_takes_the_primary_mark(studio, sent):
    bakery, bloom = ClientFactory(studio=studio), ClientFactory(studio=studio)
    flo = ContactFactory(client=bloom, email="flo@bloom.example", is_primary=True)
    ann = ContactFactory(client=bakery, email="ann@bakery.example", is_primary=True)

    contact_save(contact=ann, client=bloom, other_emails=[], now=WEDNESDAY)

    assert sent == [(studio, frozenset({bakery.pk, bloom.pk}), WEDNESDAY)]
    flo.refresh_from_db()
    assert not flo.is_primary
    assert Contact.objects.get(pk=ann.pk).client == bloom


def test_a_client_created_with_its_first_contact_is_announced(studio, sent):
    with time_machine.travel(WEDNESDAY, tick=False):
        client, contact = client_create(
            studio=studio, name="New Shop", contact_name="Nia", email="nia@shop.example", status=Client.Status.LEAD
        )

    assert sent == [(studio, frozenset({client.pk}), WEDNESDAY)]
    assert (contact.client, contact.email, contact.is_primary) == (client, "nia@shop.example", True)
    client.refresh_from_db()
    assert client.next_touch_on is not None


def test_a_client_created_without_an_address_has_no_contact_and_announces_nothing(studio, sent):
    client, contact = client_create(studio=studio, name="Walk-in")

    assert contact is None
    assert not client.contacts.exists()
    assert sent == []


def test_a_csv_import_announces_the_clients_that_got_contacts(studio, sent):
    existing = ClientFactory(studio=studio, name="Old Friend")
    with time_machine.travel(WEDNESDAY, tick=False):
        result = commit_import(
            "client,contact_name,contact_email\n"
            "Imported Ltd,Ida,ida@x.example\n"
            "Old Friend,Olga,olga@friend.example\n"
            "No Contact Co,,\n",
            studio=studio,
        )

    assert result.committed
    imported = Client.objects.get(name="Imported Ltd")
    assert sent == [(studio, frozenset({imported.pk, existing.pk}), WEDNESDAY)]


def test_a_csv_import_without_contacts_announces_nothing(studio, sent):
    assert commit_import("client\nLonely Ltd\n", studio=studio).committed
    assert sent == []

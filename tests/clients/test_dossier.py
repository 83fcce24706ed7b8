from datetime import UTC, date, datetime

import pytest
import time_machine
from django.test import Client as Browser
from django.urls import reverse

from clients.models import Client, Contact, Payment, Touchpoint
from clients.services import client_touch, touchpoint_create
from tests.factories import ClientFactory, ContactFactory, PaymentFactory, TouchpointFactory

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.fixture
def acme(studio) -> Client:
    client = ClientFactory(studio=studio, name="Acme Bakery", difficulty=2)
    ContactFactory(client=client, name="Olga Baker", email="olga@acme.example", is_primary=True)
    return client


def test_the_owner_adds_a_client_with_tags_and_goes_on_to_add_a_contact(owner_client: Browser, studio):
    response = owner_client.post(
        reverse("clients:create"),
        {"name": "Blue Fern Yoga", "kind": "company", "status": "lead", "language": "en", "difficulty": "1",
         "tags_text": "wellness, Retainer, wellness"},
    )  # fmt: skip

    client = Client.objects.get(name="Blue Fern Yoga")
    assert response.url == reverse("clients:contact_add", args=[client.pk])
    assert client.studio == studio
    assert sorted(tag.name for tag in client.tags.all()) == ["Retainer", "wellness"]


def test_long_tags_are_cut_to_40_characters_and_reused(owner_client: Browser, studio):
    long_tag = "x" * 45
    for name in ("First", "Second"):
        data = {"name": name, "kind": "company", "status": "active", "language": "en", "difficulty": "0",
                "tags_text": long_tag}  # fmt: skip
        assert owner_client.post(reverse("clients:create"), data).status_code == 302

    assert list(studio.client_tags.values_list("name", flat=True)) == ["x" * 40]


def test_a_client_without_a_name_is_refused_and_nothing_is_lost(owner_client: Browser):
    data = {"name": "", "kind": "company", "status": "active", "language": "en", "difficulty": "0", "notes": "keep me"}
    response = owner_client.post(reverse("clients:create"), data)
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert "keep me" in response.content.decode()
    assert not Client.objects.exists()


def test_the_first_contact_is_primary_and_a_new_primary_replaces_it(owner_client: Browser, acme):
    owner_client.post(
        reverse("clients:contact_add", args=[acme.pk]),
        {"name": "Ivan", "email": "Ivan@Acme.example", "preferred_channel": "phone", "is_primary": "on"},
    )

    contacts = {contact.email: contact.is_primary for contact in acme.contacts.all()}
    assert contacts == {"ivan@acme.example": True, "olga@acme.example": False}


def test_a_duplicate_contact_email_is_refused_with_a_link_to_the_existing_contact(owner_client: Browser, studio, acme):
    other = ClientFactory(studio=studio, name="Other Co")

    response = owner_client.post(
        reverse("clients:contact_add", args=[other.pk]),
        {"name": "Olga again", "email": "OLGA@acme.example", "preferred_channel": "email"},
    )

    page = response.content.decode()
    assert f'<a href="/clients/{acme.pk}/">Olga Baker</a> at Acme Bakery' in page
    assert Contact.objects.count() == 1


def test_the_same_email_may_belong_to_contacts_of_different_studios(owner_client: Browser, acme, other_studio):
    foreign = ContactFactory(client=ClientFactory(studio=other_studio), email="shared@example.com")
    response = owner_client.post(
        reverse("clients:contact_add", args=[acme.pk]),
        {"name": "Shared", "email": "shared@example.com", "preferred_channel": "email"},
    )
    assert response.status_code == 302
    assert Contact.objects.filter(email="shared@example.com").count() == 2
    assert foreign.studio == other_studio


def test_payments_and_refunds_are_recorded_in_minor_units(owner_client: Browser, acme):
    owner_client.post(reverse("clients:payment_add", args=[acme.pk]),
                      {"amount": "1200.50", "currency": "eur", "paid_on": "2026-11-01", "method": "bank"})  # fmt: skip
    owner_client.post(reverse("clients:payment_add", args=[acme.pk]),
                      {"amount": "200", "currency": "EUR", "paid_on": "2026-11-02", "method": "bank",
                       "is_refund": "on"})  # fmt: skip

    assert sorted(Payment.objects.values_list("amount_minor", "currency")) == [(-20000, "EUR"), (120050, "EUR")]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"amount": "-5", "currency": "EUR", "paid_on": "2026-11-01", "method": "bank"}, "amount"),
        ({"amount": "abc", "currency": "EUR", "paid_on": "2026-11-01", "method": "bank"}, "amount"),
        ({"amount": "10", "currency": "EURO", "paid_on": "2026-11-01", "method": "bank"}, "currency"),
        ({"amount": "10", "currency": "EUR", "paid_on": "2030-01-01", "method": "bank"}, "paid_on"),
    ],
)
def test_bad_payments_are_refused_with_the_reason(owner_client: Browser, acme, data, field):
    response = owner_client.post(reverse("clients:payment_add", args=[acme.pk]), data)
    assert field in response.context["form"].errors
    assert not Payment.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_the_detail_page_shows_totals_markup_and_a_timeline_newest_first(owner_client: Browser, acme):
    PaymentFactory(client=acme, amount_minor=300_000, paid_on=date(2026, 3, 1))
    PaymentFactory(client=acme, amount_minor=100_000, paid_on=date(2025, 6, 1))  # outside 12 months
    PaymentFactory(client=acme, amount_minor=-50_000, paid_on=date(2026, 4, 1), note="Refund for the logo")
    TouchpointFactory(client=acme, kind=Touchpoint.Kind.MEETING, happened_on=date(2026, 10, 5), note="Lunch")

    response = owner_client.get(reverse("clients:detail", args=[acme.pk]))

    page = response.content.decode()
    assert "€2,500.00" in page  # last 12 months: 3,000 − 500
    assert "€3,500.00" in page  # lifetime
    assert "suggested markup on quotes: <strong>20 %</strong>" in page
    assert [entry.kind for entry in response.context["timeline"]] == ["touchpoint", "refund", "payment", "payment"]
    assert "Refund for the logo" in page


@time_machine.travel(NOW, tick=False)
def test_the_timeline_names_payments_and_refunds_in_russian(owner_client: Browser, acme):
    PaymentFactory(client=acme, amount_minor=300_000, paid_on=date(2026, 3, 1))
    PaymentFactory(client=acme, amount_minor=-50_000, paid_on=date(2026, 4, 1))
    owner_client.cookies["django_language"] = "ru"

    page = owner_client.get(reverse("clients:detail", args=[acme.pk])).content.decode()

    assert "Платёж ·" in page
    assert "Возврат ·" in page


@time_machine.travel(NOW, tick=False)
def test_a_touchpoint_restarts_the_staying_in_touch_clock(owner_client: Browser, acme):
    response = owner_client.post(
        reverse("clients:touchpoint_add", args=[acme.pk]), {"kind": "call", "happened_on": "2026-11-20", "note": "ok"}
    )

    assert response.status_code == 302
    acme.refresh_from_db()
    assert acme.last_interaction_at.astimezone(acme.studio.zoneinfo).date() == date(2026, 11, 20)


def test_an_older_interaction_logged_late_never_moves_the_clock_back(acme):
    touchpoint_create(client=acme, kind="call", happened_on=date(2026, 11, 20))
    touchpoint_create(client=acme, kind="card", happened_on=date(2026, 1, 5))

    acme.refresh_from_db()
    assert acme.last_interaction_at.date() == date(2026, 11, 20)


def test_archiving_hides_the_client_and_restoring_brings_it_back(owner_client: Browser, acme):
    owner_client.post(reverse("clients:archive", args=[acme.pk]))
    assert acme not in owner_client.get(reverse("clients:index")).context["page"]
    assert acme in owner_client.get(reverse("clients:index") + "?archived=1").context["page"]

    owner_client.post(reverse("clients:restore", args=[acme.pk]))
    acme.refresh_from_db()
    assert acme.archived_at is None
    assert Contact.objects.filter(client=acme).exists()  # archiving deletes nothing


def test_archive_is_post_only(owner_client: Browser, acme):
    assert owner_client.get(reverse("clients:archive", args=[acme.pk])).status_code == 405


@time_machine.travel(NOW, tick=False)
def test_the_list_searches_contacts_filters_and_sorts_by_revenue(owner_client: Browser, studio, acme):
    big = ClientFactory(studio=studio, name="Zeta Spa", status=Client.Status.PAST)
    PaymentFactory(client=big, amount_minor=900_000, paid_on=date(2026, 9, 1))
    PaymentFactory(client=acme, amount_minor=100_000, paid_on=date(2026, 9, 1))
    tagged = ClientFactory(studio=studio, name="Tagged Ltd")
    tagged.tags.create(studio=studio, name="retainer")

    def names(query: str) -> list[str]:
        return [client.name for client in owner_client.get(reverse("clients:index") + query).context["page"]]

    assert names("?search=olga@") == ["Acme Bakery"]
    assert names("?status=past") == ["Zeta Spa"]
    assert names("?tag=RETAINER") == ["Tagged Ltd"]
    assert names("?sort=revenue") == ["Zeta Spa", "Acme Bakery", "Tagged Ltd"]


@pytest.mark.parametrize("count", [5, 500])
def test_the_client_list_uses_the_same_queries_at_5_and_500_clients(owner_client, studio, count,
                                                                    django_assert_max_num_queries):  # fmt: skip
    clients = Client.objects.bulk_create(Client(studio=studio, name=f"Client {n:03d}") for n in range(count))
    Contact.objects.bulk_create(
        Contact(studio=studio, client=client, name="C", email=f"c{client.pk}@x.example", is_primary=True)
        for client in clients
    )
    Payment.objects.bulk_create(
        Payment(studio=studio, client=client, amount_minor=1000, currency="EUR", paid_on=date(2026, 10, 1))
        for client in clients
    )
    with django_assert_max_num_queries(9):
        response = owner_client.get(reverse("clients:index") + "?sort=revenue")
    assert response.status_code == 200


@pytest.mark.parametrize("count", [5, 500])
def test_the_touchpoints_page_uses_the_same_queries_at_any_size(owner_client, studio, count,
                                                              django_assert_max_num_queries):  # fmt: skip
    Client.objects.bulk_create(Client(studio=studio, name=f"Past {n}", status=Client.Status.PAST) for n in range(count))
    with django_assert_max_num_queries(9):
        response = owner_client.get(reverse("clients:touchpoints"))
    assert response.status_code == 200
    assert len(response.context["past_clients"]) == studio.past_clients_per_week


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("clients:detail", "get"), ("clients:edit", "get"), ("clients:edit", "post"), ("clients:archive", "post"),
        ("clients:restore", "post"), ("clients:pin", "post"), ("clients:contact_add", "get"),
        ("clients:contact_add", "post"), ("clients:payment_add", "post"), ("clients:touchpoint_add", "post"),
    ],
)  # fmt: skip
def test_another_studio_gets_404_on_every_client_url(charlie_client: Browser, acme, name, method):
    response = getattr(charlie_client, method)(reverse(name, args=[acme.pk]), {"name": "Hijack", "tier_pin": "angel"})
    assert response.status_code == 404
    acme.refresh_from_db()
    assert acme.name == "Acme Bakery"
    assert acme.archived_at is None


def test_another_studio_gets_404_on_this_studios_contact(charlie_client: Browser, acme):
    contact = acme.contacts.get()
    assert charlie_client.get(reverse("clients:contact_edit", args=[acme.pk, contact.pk])).status_code == 404


def test_a_contact_of_another_client_cannot_be_edited_through_this_client(owner_client: Browser, studio, acme):
    other_contact = ContactFactory(client=ClientFactory(studio=studio))
    assert owner_client.get(reverse("clients:contact_edit", args=[acme.pk, other_contact.pk])).status_code == 404


def test_lists_never_show_another_studios_clients(charlie_client: Browser, acme):
    assert "Acme Bakery" not in charlie_client.get(reverse("clients:index")).content.decode()
    assert "Acme Bakery" not in charlie_client.get(reverse("clients:index") + "?search=olga").content.decode()


@time_machine.travel(NOW, tick=False)
def test_today_lists_the_clients_due_a_touchpoint(owner_client: Browser, studio):
    silent = ClientFactory(
        studio=studio, name="Silent Angel", tier=Client.Tier.ANGEL, added_at=datetime(2026, 1, 5, tzinfo=UTC)
    )
    client_touch(client=silent, at=datetime(2026, 6, 1, tzinfo=UTC))
    recent = ClientFactory(studio=studio, name="Recent Regular")
    client_touch(client=recent, at=datetime(2026, 11, 1, tzinfo=UTC))

    page = owner_client.get(reverse("today")).content.decode()

    assert "Silent Angel" in page
    assert "time for a personal call" in page
    assert "Recent Regular" not in page

"""The clients list: each page's 12-month revenue, every sort, and a cost that does not grow with the studio."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.db.models import Value
from django.db.models.functions import Concat
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients.models import Client, Contact, Payment, Tag
from clients.tiering import trailing_net
from tests.factories import ClientFactory, PaymentFactory

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
TODAY = date(2026, 11, 22)  # in the studio's zone (Berlin) too
PER_PAGE = 50

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def page_rows(browser, **params) -> list[Client]:
    response = browser.get(reverse("clients:index"), params)
    assert response.status_code == 200
    return list(response.context["page"])


def seed_clients(studio, count: int) -> list[Client]:
    """``count`` clients, each with payments in and out of the window, a refund, another currency and a tag."""
    tag, _ = Tag.objects.get_or_create(studio=studio, name="retainer")
    start = Client.objects.filter(studio=studio).count()
    clients = Client.objects.bulk_create(
        Client(
            studio=studio,
            name=f"Client {start + n:04d}",
            last_interaction_at=NOW - timedelta(days=(start + n) % 40) if n % 3 else None,
        )
        for n in range(count)
    )
    Contact.objects.bulk_create(
        Contact(studio=studio, client=client, name="C", email=f"c{client.pk}@x.example", is_primary=True)
        for client in clients
    )
    payments = []
    for n, client in enumerate(clients):
        amount = 1_000 * ((start + n) * 37 % 101)
        payments += [
            Payment(studio=studio, client=client, amount_minor=amount, currency=studio.currency, paid_on=TODAY),
            Payment(studio=studio, client=client, amount_minor=-amount // 4, currency=studio.currency,
                    paid_on=TODAY - timedelta(days=100)),
            Payment(studio=studio, client=client, amount_minor=999_000, currency=studio.currency,
                    paid_on=date(2025, 11, 22)),  # the window's excluded lower bound
            Payment(studio=studio, client=client, amount_minor=555_000, currency="USD", paid_on=TODAY),
        ]  # fmt: skip
    Payment.objects.bulk_create(payments)
    tag.clients.add(*clients[::2])
    return clients


def expected_revenue(studio) -> dict[int, int]:
    """The tiering rule's own 12-month net (R14) in the studio's currency, 0 for a client without payments."""
    payments = Payment.objects.filter(studio=studio, currency=studio.currency).values_list(
        "client_id", "amount_minor", "paid_on"
    )
    net = trailing_net(payments, as_of=TODAY)
    return {pk: net.get(pk, 0) for pk in Client.objects.filter(studio=studio).values_list("pk", flat=True)}


@pytest.mark.parametrize("sort", ["name", "revenue", "recent", "silent"])
def test_every_page_shows_each_clients_12_month_revenue_in_every_sort(owner_client, studio, sort):
    seed_clients(studio, 120)
    ClientFactory(studio=studio, name="Aaron Nopay")
    revenue = expected_revenue(studio)

    shown = [row for number in (1, 2, 3) for row in page_rows(owner_client, sort=sort, page=number)]

    assert len(shown) == len(revenue) == 121
    assert {client.pk: client.revenue_12m for client in shown} == revenue


def test_the_revenue_sort_orders_every_client_by_revenue_then_name_across_pages(owner_client, studio):
    seed_clients(studio, 120)
    tie = ClientFactory(studio=studio, name="Aaron Tie")
    PaymentFactory(client=tie, amount_minor=100_000, currency=studio.currency, paid_on=TODAY)
    revenue = expected_revenue(studio)
    names = dict(Client.objects.filter(studio=studio).values_list("pk", "name"))

    shown = [client.pk for number in (1, 2, 3) for client in page_rows(owner_client, sort="revenue", page=number)]

    assert shown == sorted(revenue, key=lambda pk: (-revenue[pk], names[pk], pk))


def test_the_other_sorts_page_through_the_clients_in_their_order(owner_client, studio):
    clients = seed_clients(studio, 120)

    by_name = [client.name for number in (1, 2, 3) for client in page_rows(owner_client, page=number)]
    silent_first = page_rows(owner_client, sort="silent")

    assert by_name == sorted(client.name for client in clients)
    assert silent_first[0].last_interaction_at is None
    assert page_rows(owner_client, sort="recent")[0].last_interaction_at == NOW


def test_filters_keep_their_revenue_and_pages(owner_client, studio):
    seed_clients(studio, 120)
    revenue = expected_revenue(studio)

    tagged = page_rows(owner_client, tag="Retainer", sort="revenue")

    assert len(tagged) == PER_PAGE
    assert all(client.tags.all()[0].name == "retainer" for client in tagged)
    assert [client.revenue_12m for client in tagged] == [revenue[client.pk] for client in tagged]
    assert [client.name for client in page_rows(owner_client, search="client 0007")] == ["Client 0007"]
    assert page_rows(owner_client, page=99)[-1].name == "Client 0119"  # past the end: the last page


def test_an_empty_studio_shows_its_empty_list(owner_client, studio):
    response = owner_client.get(reverse("clients:index"), {"sort": "revenue"})

    assert list(response.context["page"]) == []
    assert "No clients yet." in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [{}, {"sort": "revenue"}, {"sort": "revenue", "page": "2"}, {"sort": "recent"}, {"sort": "silent"},
     {"tag": "retainer", "sort": "revenue"}, {"search": "client", "page": "2"}, {"archived": "1"}],
)  # fmt: skip
def test_the_list_runs_the_same_queries_at_60_and_600_clients(owner_client, studio, params, django_assert_num_queries):
    url = reverse("clients:index")
    seed_clients(studio, 60)
    owner_client.get(url, params)  # the session and the studio are loaded once
    with CaptureQueriesContext(connection) as small:
        owner_client.get(url, params)
    seed_clients(studio, 540)

    with django_assert_num_queries(len(small.captured_queries)):
        response = owner_client.get(url, params)
    assert response.status_code == 200


@pytest.mark.parametrize("params", [{}, {"sort": "revenue"}, {"tag": "retainer", "page": "2"}])
def test_a_page_built_for_one_studio_serves_another_its_own_clients(
    owner_client, charlie_client, studio, other_studio, params
):
    """The page's SQL is built once per process and shape: the next studio must get its own rows and sums."""
    other_studio.currency = "USD"
    other_studio.save(update_fields=["currency"])
    seed_clients(studio, 60)
    seed_clients(other_studio, 60)
    Client.objects.filter(studio=other_studio).update(name=Concat(Value("Other "), "name"))

    mine = page_rows(owner_client, **params)
    theirs = page_rows(charlie_client, **params)

    assert mine
    assert theirs
    assert {client.studio_id for client in Client.objects.filter(pk__in=[c.pk for c in mine])} == {studio.pk}
    assert all(client.name.startswith("Other ") for client in theirs)
    their_revenue = expected_revenue(other_studio)  # in USD: the other studio's own currency
    assert [client.revenue_12m for client in theirs] == [their_revenue[client.pk] for client in theirs]

import csv
import io
import random
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients.models import Client, Payment
from clients.services import (
    REASON_PINNED,
    REASON_REGULAR,
    REASON_UNPINNED,
    client_set_pin,
    net_revenue_by_client,
    tiers_recompute,
)
from clients.tiering import trailing_net, window_start
from kernel.models import Studio
from tests.factories import ClientFactory, PaymentFactory

NOW = datetime(2026, 10, 15, 10, 0, tzinfo=UTC)  # 12:00 in Berlin, the studio's zone
TODAY = date(2026, 10, 15)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def pay(client: Client, amount_minor: int, paid_on: date = date(2026, 9, 1), currency: str = "EUR") -> Payment:
    return PaymentFactory(client=client, amount_minor=amount_minor, paid_on=paid_on, currency=currency)


@pytest.fixture
def revenue(studio: Studio, other_studio: Studio) -> dict[str, Client]:
    """Two angels (A, B) bring 90 % of €14,300; a refund, a foreign currency, another studio."""
    clients = {key: ClientFactory(studio=studio, name=name) for key, name in [
        ("a", "Aurora Bakery"), ("b", "Birch & Sons"), ("c", "Cobalt Cafe"), ("d", "Delta Dental"),
        ("e", "Echo Events"), ("f", "Fjord Films"),
    ]}  # fmt: skip
    pay(clients["a"], 1_000_000)
    pay(clients["b"], 200_000)
    pay(clients["b"], 100_000, paid_on=TODAY)  # today counts
    pay(clients["c"], 100_000)
    pay(clients["d"], 50_000)
    pay(clients["d"], 900_000, paid_on=window_start(TODAY))  # the window excludes its first day
    pay(clients["e"], 10_000)
    pay(clients["e"], -30_000)  # refund larger than what they paid: net −€200
    pay(clients["f"], 5_000_000, currency="USD")  # another currency never counts
    pay(ClientFactory(studio=other_studio, name="Secret Competitor"), 9_900_000)
    return clients


# --- the page ------------------------------------------------------------------------------------


def test_the_revenue_page_shows_the_total_the_angels_the_chart_and_the_table(owner_client: Browser, revenue):
    response = owner_client.get(reverse("clients:revenue"))

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'data-testid="total">€14,300<', html)
    assert re.search(r'data-testid="angel-count">2<', html)
    assert "These 2 clients bring 90 % of the revenue (€13,000)." in html
    svg = html[html.index('<svg class="d-block') : html.index("</svg>", html.index('<svg class="d-block'))]
    assert 'role="img"' in svg
    assert '<title id="pareto-title">' in svg
    assert 'aria-labelledby="pareto-title pareto-desc"' in svg
    assert 'data-testid="cumulative-line"' in svg
    assert 'stroke-dasharray="6 4"' in svg
    assert "80 % of revenue" in svg
    assert svg.count("<rect") == 4  # A, B, C, D: E's negative net is noted, not drawn
    assert svg.count('data-angel="true"') == 2
    assert "Aurora Bakery: €10,000, 69.9 % of the total (69.9 % cumulative) · angel" in svg
    assert "Not drawn: 1 client whose refunds cancel or exceed their payments (−€200 in total)." in html
    assert [row.entry.client_id for row in response.context["rows"]] == [revenue[key].pk for key in "abcd"]
    assert f'href="/clients/{revenue["a"].pk}/"' in html
    assert html.count('class="table-warning"') == 2  # the angel rows


def test_angels_are_highlighted_in_chart_and_table_and_the_badge_explains_the_stored_tier(
    owner_client: Browser, studio: Studio, revenue
):
    tiers_recompute(studio=studio, as_of=TODAY)
    Client.objects.filter(pk=revenue["c"].pk).update(tier_pin=Client.Pin.ANGEL)
    tiers_recompute(studio=studio, as_of=TODAY)

    html = owner_client.get(reverse("clients:revenue")).content.decode()

    assert 'title="One of 2 clients who bring 90 % of the last 12 months&#x27; revenue."' in html
    assert f'title="{REASON_PINNED}" data-tier="angel"' in html
    assert 'data-tier-pin="angel"' in html
    # The chart stays about revenue: the pinned client is not drawn as an angel.
    assert re.search(r'fill="#e8590c" data-angel="true"><title>Cobalt', html) is None


def test_another_studios_clients_never_appear(charlie_client: Browser, owner_client: Browser, revenue):
    mine = owner_client.get(reverse("clients:revenue")).content.decode()
    theirs = charlie_client.get(reverse("clients:revenue")).content.decode()
    csv_text = owner_client.get(reverse("clients:revenue_csv")).content.decode()

    assert "Secret Competitor" not in mine
    assert "Secret Competitor" not in csv_text
    assert "€99,000" not in mine
    assert "Secret Competitor" in theirs
    assert "Aurora Bakery" not in theirs


def test_the_page_says_so_when_there_is_no_revenue_yet(owner_client: Browser, studio: Studio):
    ClientFactory(studio=studio, name="Quiet Ltd")

    response = owner_client.get(reverse("clients:revenue"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "No revenue in the last 12 months yet." in html
    assert '<svg class="d-block' not in html
    assert "Download CSV" not in html


def test_the_page_has_no_chart_when_refunds_outweigh_revenue(owner_client: Browser, studio: Studio):
    client = ClientFactory(studio=studio, name="Refunded Inc")
    pay(client, 10_000)
    pay(ClientFactory(studio=studio, name="Angry Ltd"), -50_000)

    html = owner_client.get(reverse("clients:revenue")).content.decode()

    assert "Refunds outweigh the revenue" in html
    assert '<svg class="d-block' not in html
    assert "Refunded Inc" in html  # the table still lists who paid
    assert re.search(r'data-testid="angel-count">0<', html)


def test_chart_coordinates_are_not_localised(owner_client: Browser, revenue):
    html = owner_client.get(reverse("clients:revenue"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    assert '<html lang="ru">' in html
    coordinates = re.findall(r'\s(?:x|y|width|height|x1|y1|cx|cy)="([^"]*)"', html)
    assert len(coordinates) > 20
    assert all(re.fullmatch(r"-?\d+(\.\d+)?", value) for value in coordinates)
    assert re.search(r'points="[\d., ]+"', html)


def test_the_revenue_page_needs_a_login(client: Browser, db):
    response = client.get(reverse("clients:revenue"))

    assert response.status_code == 302
    assert "login" in response["Location"]


# --- CSV -----------------------------------------------------------------------------------------


def test_the_csv_has_the_same_table(owner_client: Browser, studio: Studio, revenue):
    tiers_recompute(studio=studio, as_of=TODAY)

    response = owner_client.get(reverse("clients:revenue_csv"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="revenue-northlight-2026-10-15.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "rank", "client_id", "client", "net_revenue_eur", "share_percent", "cumulative_percent",
        "angel_by_revenue", "tier", "tier_pin",
    ]  # fmt: skip
    a, b, c, d = (revenue[key].pk for key in "abcd")
    assert rows[1:] == [
        ["1", str(a), "Aurora Bakery", "10000.00", "69.93", "69.93", "yes", "angel", ""],
        ["2", str(b), "Birch & Sons", "3000.00", "20.97", "90.90", "yes", "angel", ""],
        ["3", str(c), "Cobalt Cafe", "1000.00", "6.99", "97.90", "no", "regular", ""],
        ["4", str(d), "Delta Dental", "500.00", "3.49", "101.39", "no", "regular", ""],
    ]


def test_the_csv_neutralises_formulas_in_client_names(owner_client: Browser, studio: Studio):
    pay(ClientFactory(studio=studio, name='=HYPERLINK("http://evil.example")'), 10_000)

    rows = list(csv.reader(io.StringIO(owner_client.get(reverse("clients:revenue_csv")).content.decode())))

    assert rows[1][2] == '\'=HYPERLINK("http://evil.example")'


# --- query count ---------------------------------------------------------------------------------


def add_clients_with_payments(studio: Studio, count: int, *, start: int) -> None:
    rng = random.Random(start)
    clients = Client.objects.bulk_create(
        Client(studio=studio, name=f"Bulk {start + n}", tier=rng.choice(["angel", "regular"])) for n in range(count)
    )
    Payment.objects.bulk_create(
        Payment(
            studio=studio,
            client=client,
            amount_minor=rng.choice([rng.randint(1_000, 5_000_000), -rng.randint(100, 10_000)]),
            currency="EUR",
            paid_on=TODAY - timedelta(days=rng.randint(0, 500)),
        )
        for client in clients
        for _ in range(3)
    )


def count_queries(browser: Browser, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert browser.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("url_name", "most"),
    [
        ("clients:revenue", 6),  # session, user, studio, scheduler heartbeat; the nets; the listed clients
        ("clients:revenue_csv", 5),  # no page chrome, so no heartbeat
    ],
)
def test_the_query_count_does_not_grow_with_clients(
    owner_client: Browser, studio: Studio, url_name: str, most: int, django_assert_max_num_queries
):
    url = reverse(url_name)
    add_clients_with_payments(studio, 5, start=0)
    owner_client.get(url)  # warm the session and the scheduler check
    small = count_queries(owner_client, url)
    assert small <= most

    add_clients_with_payments(studio, 495, start=5)
    with django_assert_max_num_queries(small):
        response = owner_client.get(url)

    assert count_queries(owner_client, url) == small
    assert response.content.decode().count("Bulk ") > 100  # the listed clients really grew


# --- the SQL twin and the stored tiers -----------------------------------------------------------


@pytest.mark.parametrize("as_of", [date(2024, 2, 29), date(2026, 10, 15), date(2025, 3, 31)])
def test_net_revenue_by_client_agrees_with_trailing_net(studio: Studio, other_studio: Studio, as_of: date):
    rng = random.Random(as_of.toordinal())
    start = window_start(as_of)
    edges = [start, start + timedelta(days=1), as_of, as_of + timedelta(days=1), start - timedelta(days=1)]
    clients = Client.objects.bulk_create(Client(studio=studio, name=f"R{n}") for n in range(40))
    payments = [
        Payment(
            studio=studio,
            client=rng.choice(clients),
            amount_minor=rng.choice([rng.randint(1, 2_000_000), -rng.randint(1, 300_000), 0]),
            currency="EUR",
            paid_on=rng.choice(edges) if rng.random() < 0.3 else as_of - timedelta(days=rng.randint(-20, 400)),
        )
        for _ in range(600)
    ]
    Payment.objects.bulk_create(payments)
    # Noise that must never count: another currency, another studio.
    Payment.objects.bulk_create(
        [Payment(studio=studio, client=clients[0], amount_minor=777, currency="USD", paid_on=as_of)]
    )
    PaymentFactory(client=ClientFactory(studio=other_studio), amount_minor=999, paid_on=as_of)

    expected = trailing_net(((p.client_id, p.amount_minor, p.paid_on) for p in payments), as_of=as_of)

    assert net_revenue_by_client(studio=studio, as_of=as_of) == expected
    assert any(net < 0 for net in expected.values())


@pytest.fixture
def eighty_one(studio: Studio) -> list[Client]:
    """Three clients bring 81 % of €1,000: 400 + 250 + 160; four more share the rest."""
    clients = [ClientFactory(studio=studio, name=f"P{n}") for n in range(7)]
    for client, euros in zip(clients, [400, 250, 160, 50, 50, 50, 40], strict=True):
        pay(client, euros * 100)
    return clients


def test_tiers_recompute_stores_a_reason_with_the_count_and_share(studio: Studio, eighty_one: list[Client]):
    angels = tiers_recompute(studio=studio, as_of=TODAY)

    assert angels == {client.pk for client in eighty_one[:3]}
    for client in eighty_one:
        client.refresh_from_db()
    assert [client.tier for client in eighty_one] == ["angel"] * 3 + ["regular"] * 4
    assert eighty_one[0].tier_reason == "One of 3 clients who bring 81 % of the last 12 months' revenue."
    assert eighty_one[3].tier_reason == REASON_REGULAR
    studio.refresh_from_db()
    assert studio.tiers_computed_on == TODAY


def test_pins_override_the_computed_tier_and_survive_a_recompute(studio: Studio, eighty_one: list[Client]):
    top, _, _, fourth, *_ = eighty_one

    client_set_pin(client=top, pin=Client.Pin.REGULAR)
    client_set_pin(client=fourth, pin=Client.Pin.ANGEL)
    assert (top.tier, top.tier_reason) == ("regular", REASON_UNPINNED)
    assert (fourth.tier, fourth.tier_reason) == ("angel", REASON_PINNED)

    pay(fourth, -5_000)  # revenue changes; pins don't care
    pay(top, 100_000)
    angels = tiers_recompute(studio=studio, as_of=TODAY)
    angels = tiers_recompute(studio=studio, as_of=TODAY)

    top.refresh_from_db()
    fourth.refresh_from_db()
    assert (top.tier, top.tier_pin, top.tier_reason) == ("regular", "regular", REASON_UNPINNED)
    assert (fourth.tier, fourth.tier_pin, fourth.tier_reason) == ("angel", "angel", REASON_PINNED)
    assert top.pk not in angels
    assert fourth.pk in angels

    client_set_pin(client=top, pin=Client.Pin.AUTO)
    assert top.tier == "angel"
    assert top.tier_reason.startswith("One of ") or top.tier_reason.startswith("The one client")


def test_a_single_angel_gets_its_own_wording(studio: Studio):
    solo = ClientFactory(studio=studio)
    pay(solo, 90_000)
    pay(ClientFactory(studio=studio), 10_000)

    tiers_recompute(studio=studio, as_of=TODAY)

    solo.refresh_from_db()
    assert solo.tier_reason == "The one client who brings 90 % of the last 12 months' revenue."

"""Journey (R14): a client who emails every week is never "never contacted" nor overdue anywhere.

The freelancer adds a client, the client writes every week; the client list, the client page, Stay in
touch and Today all read the one stored last contact and say the same day. A client just added is not
overdue; a client due two ways at once is one line of each list. In English and in Russian.
"""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from clients.models import Client
from comms.inbound import receive
from desk import digest
from tests.factories import ClientFactory

BERLIN = ZoneInfo("Europe/Berlin")
ADDED = datetime(2025, 3, 3, 10, tzinfo=BERLIN)
NOVEMBER = datetime(2026, 11, 18, 11, 0, tzinfo=BERLIN)  # a Wednesday
DECEMBER = datetime(2026, 12, 9, 11, 0, tzinfo=BERLIN)  # the yearly card's month
PAGES = ("clients:index", "clients:touchpoints", "today")
OVERDUE = re.compile(r"\d+ days? overdue")


def add_client(owner_client, *, name: str, email: str) -> Client:
    response = owner_client.post(
        reverse("clients:create"),
        {"name": name, "kind": "company", "status": "active", "language": "en", "difficulty": 0},
    )
    assert response.status_code == 302
    client = Client.objects.get(name=name)
    response = owner_client.post(
        reverse("clients:contact_add", args=[client.pk]),
        {"name": "Ann Baker", "email": email, "preferred_channel": "email", "is_primary": "on"},
    )
    assert response.status_code == 302
    return client


def email_from(studio, sender: str, *, at: datetime, n: int) -> None:
    raw = (
        f"From: {sender}\r\nTo: {studio.sender_email}\r\nSubject: Week {n}\r\nMessage-ID: <week-{n}@bakery.example>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nHere is this week's news.\r\n"
    ).encode()
    receive(studio, raw, received_at=at)


def html(owner_client, name: str, *args) -> str:
    response = owner_client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


def last_contacts(page: str) -> list[str]:
    """Each ``last_contact`` the page shows, as "date|words"."""
    return [
        f"{iso}|{words}"
        for iso, words in re.findall(r'<time class="last-contact" datetime="([^"]+)">([^<]+)</time>', page)
    ]


def touch_lines(page: str, client: Client) -> int:
    """How many lines of the page's touchpoint lists link to the client (Stay in touch, Today)."""
    return len(re.findall(rf'href="{re.escape(reverse("clients:detail", args=[client.pk]))}"', page))


@pytest.fixture
def emailed(owner_client, studio):
    """Acme, added in March 2025, writes every week up to 18 November 2026."""
    with time_machine.travel(ADDED, tick=False):
        acme = add_client(owner_client, name="Acme Bakery", email="ann@bakery.example")
    for week in range(8):
        email_from(studio, "Ann <ann@bakery.example>", at=NOVEMBER - timedelta(weeks=7 - week), n=week)
    return acme


def test_a_client_emailed_every_week_shows_the_same_last_contact_everywhere_and_is_not_overdue(
    owner_client, studio, emailed
):
    forgotten = ClientFactory(studio=studio, name="Quiet Ltd", added_at=ADDED)
    with time_machine.travel(NOVEMBER + timedelta(hours=1), tick=False):
        listing = html(owner_client, "clients:index")
        page = html(owner_client, "clients:detail", emailed.pk)
        stay = html(owner_client, "clients:touchpoints")
        today = html(owner_client, "today")

    expected = "2026-11-18|18 November 2026"
    assert expected in last_contacts(listing)
    assert last_contacts(page) == [expected]
    assert "Week 7" in page  # this week's mail, on the same page
    assert "Next touch due on 17 May 2027." in page
    assert "A touch was due" not in page
    assert touch_lines(stay, emailed) == 0  # not overdue, not listed
    assert touch_lines(today, emailed) == 0
    assert "never" in listing  # the client nobody wrote to says so …
    assert touch_lines(stay, forgotten) == 1  # … and is overdue
    assert touch_lines(today, forgotten) == 1


def test_in_the_card_month_the_client_is_one_line_with_the_same_last_contact_and_nothing_overdue(
    owner_client, studio, emailed
):
    with time_machine.travel(DECEMBER, tick=False):
        pages = {name: html(owner_client, name) for name in PAGES}
        detail = html(owner_client, "clients:detail", emailed.pk)
        lines = digest.touchpoints_due(studio, today=DECEMBER.date())

    expected = "2026-11-18|18 November 2026"
    assert last_contacts(detail) == [expected]
    assert expected in last_contacts(pages["clients:index"])
    assert expected in last_contacts(pages["clients:touchpoints"])
    assert "Send this year&#x27;s card." in pages["clients:touchpoints"]
    assert "Last contact: 18 November 2026." in pages["today"]
    for name in ("clients:touchpoints", "today"):
        assert touch_lines(pages[name], emailed) == 1
        assert not OVERDUE.search(pages[name])
    [line] = [line for line in lines if line["title"] == "Acme Bakery"]
    assert "Last contact: 18 November 2026." in line["detail"]


def test_a_client_just_added_is_not_overdue_anywhere(owner_client, studio):
    with time_machine.travel(NOVEMBER, tick=False):
        fresh = add_client(owner_client, name="Fresh Co", email="fresh@co.example")
        Client.objects.filter(pk=fresh.pk).update(client_since=datetime(2019, 1, 10).date())  # a long history
        pages = {name: html(owner_client, name) for name in PAGES}
        detail = html(owner_client, "clients:detail", fresh.pk)

    assert touch_lines(pages["clients:touchpoints"], fresh) == 0
    assert touch_lines(pages["today"], fresh) == 0
    assert "Next touch due on 17 May 2027." in detail
    assert "never" in detail
    with time_machine.travel(DECEMBER, tick=False):  # a client since during the card month: next year's card
        december = add_client(owner_client, name="December Co", email="dec@co.example")
        stay = html(owner_client, "clients:touchpoints")
        today = html(owner_client, "today")
    assert touch_lines(stay, december) == 0
    assert touch_lines(stay, fresh) == 1  # a client since 2019: this year's card, not overdue
    assert not OVERDUE.search(stay)
    assert touch_lines(today, fresh) == 1


def test_a_client_due_three_ways_is_one_line_of_each_list(owner_client, studio):
    """An angel overdue a personal touch, without this year's card, with an anniversary this week."""
    angel = ClientFactory(
        studio=studio,
        name="Harbor & Pine",
        tier=Client.Tier.ANGEL,
        client_since=datetime(2020, 12, 12).date(),
        added_at=ADDED,
        last_interaction_at=datetime(2026, 6, 1, 10, tzinfo=BERLIN),
    )
    with time_machine.travel(DECEMBER, tick=False):
        stay = html(owner_client, "clients:touchpoints")
        today = html(owner_client, "today")
        lines = digest.touchpoints_due(studio, today=DECEMBER.date())

    assert touch_lines(stay, angel) == 1
    assert touch_lines(today, angel) == 1
    [line] = [line for line in lines if line["title"] == "Harbor & Pine"]
    for reason in ("personal call", "this year's card", "Anniversary"):
        assert reason in line["detail"]
    assert "days overdue" in line["detail"]


@pytest.fixture
def in_russian(owner_client):
    """The freelancer's language cookie set to Russian; the test thread's language put back afterwards."""
    owner_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    yield owner_client
    translation.deactivate()


def test_the_journey_in_russian(in_russian, studio, emailed):
    owner_client = in_russian
    with time_machine.travel(DECEMBER, tick=False):
        pages = {name: html(owner_client, name) for name in PAGES}
        detail = html(owner_client, "clients:detail", emailed.pk)

    expected = "2026-11-18|18 ноября 2026"
    assert last_contacts(detail) == [expected]
    assert "Последний контакт:" in detail
    assert "Следующий раз напомнить о себе: 17 мая 2027." in detail
    assert expected in last_contacts(pages["clients:index"])
    assert expected in last_contacts(pages["clients:touchpoints"])
    assert "Месяц открыток: декабрь." in pages["clients:touchpoints"]
    assert "Последний контакт: 18 ноября 2026." in pages["today"]
    assert touch_lines(pages["today"], emailed) == 1
    assert "просроч" not in pages["clients:touchpoints"]

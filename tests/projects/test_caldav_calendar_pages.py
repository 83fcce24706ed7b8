"""The Busy calendars page with a CalDAV account: sign in, pick a calendar, write calls, see errors (Radicale)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from comms.secrets import encrypt
from projects.models import BusyCalendar
from tests.caldav_server import PASSWORD, USER, radicale_server
from tests.projects.test_caldav_calendars import EXPECTED, RECURRING, blocks

NOW = datetime(2026, 10, 5, 6, 0, tzinfo=UTC)
PAGE = "/calls/calendars/"
ADD = "/calls/calendars/caldav/"


@pytest.fixture
def radicale(tmp_path):
    # The clock ticks: a frozen one would stall the sockets' timeouts.
    with time_machine.travel(NOW, tick=True), radicale_server(tmp_path) as server:
        yield server


def account(radicale, **extra) -> dict[str, str]:
    return {"name": "Work", "url": f"{radicale.base}/", "username": USER, "password": PASSWORD, **extra}


def test_the_page_offers_both_kinds_and_works_narrow(owner_client):
    page = owner_client.get(PAGE).content.decode()

    assert 'data-testid="add-ics"' in page
    assert 'data-testid="add-caldav"' in page
    assert f'action="{ADD}"' in page
    assert 'type="password"' in page
    assert "col-12 col-lg-6" in page  # one column at 390 px


def test_an_account_with_one_calendar_is_added_and_read_at_once(owner_client, studio, radicale):
    work = radicale.make_calendar("work", "Work")
    radicale.put(work, "standup", RECURRING)

    response = owner_client.post(ADD, account(radicale, write_calls="on"), follow=True)

    page = response.content.decode()
    assert response.redirect_chain[-1][0] == PAGE
    assert "Calendar “Work” added" in page
    assert PASSWORD not in page
    assert "writes booked calls" in page
    calendar = BusyCalendar.objects.get()
    assert (calendar.studio, calendar.calendar_url, calendar.write_calls) == (studio, work, True)
    assert blocks(calendar) == EXPECTED[:3]


def test_with_several_calendars_the_freelancer_picks_one(owner_client, radicale):
    radicale.make_calendar("work", "Work")
    family = radicale.make_calendar("family", "Family")
    radicale.put(family, "standup", RECURRING)

    response = owner_client.post(ADD, account(radicale))

    calendar = BusyCalendar.objects.get()
    choose = reverse("calls:calendar_choose", args=[calendar.pk])
    assert response.url == choose
    page = owner_client.get(choose).content.decode()
    assert "Family" in page
    assert "Work" in page
    assert calendar.calendar_url == ""

    response = owner_client.post(choose, {"calendar_url": family, "write_calls": "on"}, follow=True)

    assert response.redirect_chain[-1][0] == PAGE
    calendar.refresh_from_db()
    assert (calendar.calendar_url, calendar.write_calls) == (family, True)
    assert blocks(calendar) == EXPECTED[:3]


def test_a_calendar_not_listed_cannot_be_chosen(owner_client, radicale):
    radicale.make_calendar("work", "Work")
    radicale.make_calendar("family", "Family")
    owner_client.post(ADD, account(radicale))
    calendar = BusyCalendar.objects.get()

    response = owner_client.post(
        reverse("calls:calendar_choose", args=[calendar.pk]), {"calendar_url": "http://169.254.169.254/latest/"}
    )

    assert response.status_code == 200
    assert "Please choose a calendar." in response.content.decode()
    calendar.refresh_from_db()
    assert calendar.calendar_url == ""


def test_a_wrong_password_is_said_in_words_and_nothing_is_stored(owner_client, radicale):
    radicale.make_calendar("work", "Work")

    response = owner_client.post(ADD, account(radicale, password="wrong-one"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Rapport could not sign in: the server refused the username or password." in page
    assert "wrong-one" not in page
    assert not BusyCalendar.objects.exists()


def test_another_studios_calendar_is_a_404(charlie_client, owner_client, radicale):
    work = radicale.make_calendar("work", "Work")
    owner_client.post(ADD, account(radicale, calendar_url=work))
    calendar = BusyCalendar.objects.get()

    assert charlie_client.get(reverse("calls:calendar_choose", args=[calendar.pk])).status_code == 404
    assert (
        charlie_client.post(reverse("calls:calendar_write_calls", args=[calendar.pk]), {"on": "1"}).status_code == 404
    )
    calendar.refresh_from_db()
    assert not calendar.write_calls


def test_writing_calls_is_turned_on_and_off_and_its_error_is_shown(owner_client, radicale):
    work = radicale.make_calendar("work", "Work")
    owner_client.post(ADD, account(radicale, calendar_url=work))
    calendar = BusyCalendar.objects.get()
    toggle = reverse("calls:calendar_write_calls", args=[calendar.pk])

    page = owner_client.post(toggle, {"on": "1"}, follow=True).content.decode()
    assert "Booked calls are now written to “Work”" in page
    calendar.refresh_from_db()
    assert calendar.write_calls

    BusyCalendar.objects.filter(pk=calendar.pk).update(write_error=BusyCalendar.Error.AUTH)
    page = owner_client.get(PAGE).content.decode()
    assert "Could not write a call: the server refused the username or password." in page

    owner_client.post(toggle, {"on": "0"})
    calendar.refresh_from_db()
    assert not calendar.write_calls


def test_an_account_that_stopped_answering_is_said_on_the_choose_page(owner_client, radicale):
    radicale.make_calendar("work", "Work")
    radicale.make_calendar("family", "Family")
    owner_client.post(ADD, account(radicale))
    calendar = BusyCalendar.objects.get()
    BusyCalendar.objects.filter(pk=calendar.pk).update(password_encrypted=encrypt("changed"))

    page = owner_client.get(reverse("calls:calendar_choose", args=[calendar.pk])).content.decode()

    assert "Rapport could not list the account's calendars: the server refused the username or password." in page


def test_the_page_speaks_russian(owner_client):
    owner_client.cookies["django_language"] = "ru"

    page = owner_client.get(PAGE).content.decode()

    assert "Добавить аккаунт CalDAV" in page
    assert "Адрес сервера" in page
    assert "Записывать в этот календарь и назначенные звонки" in page


@pytest.mark.parametrize("url", ["ftp://dav.example.com/", "webcal://dav.example.com/", "dav.example.com"])
def test_a_caldav_address_that_is_not_http_is_refused_in_caldav_words(owner_client, url):
    page = owner_client.post(ADD, {"name": "Work", "url": url, "username": "u", "password": "p"}).content.decode()

    assert "starts with https:// (or http://)" in page
    assert "or webcal://" not in page.split('data-testid="add-caldav"', 1)[1].split("</form>", 1)[0]

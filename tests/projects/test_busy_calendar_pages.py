"""The Busy calendars page (under Calls) and the stale warning on the Calls page; the portal's query count."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.busy_calendars import add_calendar
from projects.models import BusyBlock, BusyCalendar
from tests.factories import ClientFactory, ContactFactory
from tests.ics_server import ics, ics_server
from tests.projects.test_calls import log_into_portal

NOW = datetime(2026, 10, 5, 6, 0, tzinfo=UTC)  # Monday 08:00 in Berlin
SECRET_PATH = "/calendar/ical/anna%40example.com/private-5ecret7oken/basic.ics"
PAGE = "/calls/calendars/"


@pytest.fixture
def server():
    with ics_server() as running:
        yield running


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_page_has_its_address_and_the_calls_page_links_to_it(frozen, owner_client):
    assert reverse("calls:calendars") == PAGE
    page = owner_client.get(reverse("calls:index")).content.decode()
    assert f'href="{PAGE}"' in page
    assert owner_client.get(PAGE).status_code == 200


def test_adding_a_calendar_shows_it_masked_and_read(frozen, owner_client, studio, server):
    url = server.serve(SECRET_PATH, ics((NOW + timedelta(hours=4), NOW + timedelta(hours=5))))

    response = owner_client.post(PAGE, {"name": "Personal", "url": url}, follow=True)

    page = response.content.decode()
    assert response.redirect_chain[-1][0] == PAGE
    assert "Calendar “Personal” added" in page
    assert "http://127.0.0.1/…" in page
    assert "5ecret7oken" not in page
    assert "1 busy time ahead" in page
    calendar = BusyCalendar.objects.get()
    assert calendar.studio == studio
    assert "5ecret7oken" not in calendar.url_encrypted


def test_a_member_may_add_a_calendar_too(frozen, member, server):
    from django.test import Client as Browser

    browser = Browser()
    browser.force_login(member)
    url = server.serve("/cal.ics", ics())
    assert browser.post(PAGE, {"name": "Family", "url": url}).status_code == 302
    assert BusyCalendar.objects.get().name == "Family"


@pytest.mark.parametrize("bad", ["ftp://example.com/cal.ics", "not an address", ""])
def test_an_invalid_address_re_renders_with_the_error_and_keeps_the_name(frozen, owner_client, bad):
    response = owner_client.post(PAGE, {"name": "Family", "url": bad})

    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="Family"' in page
    assert re.search(r"invalid-feedback|is-invalid", page)
    assert not BusyCalendar.objects.exists()


def test_a_calendar_that_cannot_be_read_is_added_with_its_error_shown(frozen, owner_client, server):
    url = server.serve("/cal.ics", b"<html>nope</html>")

    page = owner_client.post(PAGE, {"name": "Work", "url": url}, follow=True).content.decode()

    assert "Rapport could not read “Work”" in page
    assert "does not give a calendar (ICS)" in page
    assert 'data-testid="busy-stale"' in page  # tried, never read: booking cannot rely on it


def test_removing_a_calendar_frees_its_time(frozen, owner_client, studio, server):
    url = server.serve("/cal.ics", ics((NOW + timedelta(hours=4), NOW + timedelta(hours=5))))
    calendar = add_calendar(studio, name="Personal", url=url, now=NOW)

    response = owner_client.post(reverse("calls:calendar_remove", args=[calendar.pk]), follow=True)

    assert "Calendar “Personal” removed" in response.content.decode()
    assert not BusyCalendar.objects.exists()
    assert not BusyBlock.objects.exists()


def test_another_studios_calendar_is_a_404(frozen, charlie_client, studio, server):
    url = server.serve(SECRET_PATH, ics())
    calendar = add_calendar(studio, name="Grandma's birthdays", url=url, now=NOW)

    assert charlie_client.post(reverse("calls:calendar_remove", args=[calendar.pk])).status_code == 404
    assert charlie_client.post(reverse("calls:calendar_refresh", args=[calendar.pk])).status_code == 404
    page = charlie_client.get(PAGE).content.decode()
    assert "birthdays" not in page
    assert BusyCalendar.objects.filter(pk=calendar.pk).exists()


def test_removing_needs_a_post(frozen, owner_client, studio, server):
    calendar = add_calendar(studio, name="Personal", url=server.serve("/c.ics", ics()), now=NOW)
    assert owner_client.get(reverse("calls:calendar_remove", args=[calendar.pk])).status_code == 405


def test_read_now_reads_the_calendar_again(frozen, owner_client, studio, server):
    calendar = add_calendar(studio, name="Personal", url=server.serve("/c.ics", ics()), now=NOW)
    server.serve("/c.ics", ics((NOW + timedelta(hours=4), NOW + timedelta(hours=5))))

    page = owner_client.post(reverse("calls:calendar_refresh", args=[calendar.pk]), follow=True).content.decode()

    assert "Calendar “Personal” read again." in page
    assert calendar.blocks.count() == 1


def test_a_stale_calendar_is_flagged_on_both_pages(owner_client, studio, server):
    url = server.serve("/cal.ics", ics())
    with time_machine.travel(NOW, tick=False):
        add_calendar(studio, name="Personal", url=url, now=NOW)
    server.serve("/cal.ics", b"", status=500)
    later = NOW + timedelta(hours=7)
    with time_machine.travel(later, tick=False):
        BusyCalendar.objects.update(
            last_attempt_at=later, last_error=BusyCalendar.Error.HTTP, last_error_detail="HTTP 500"
        )
        for url_name in ("calls:index", "calls:calendars"):
            page = owner_client.get(reverse(url_name)).content.decode()
            assert "Rapport could not read “Personal” since Monday 5 October, 08:00" in page, url_name
            assert "the calendar&#x27;s server answered with an error" in page
            assert "booking may offer times that are busy there" in page


def test_a_fresh_calendar_shows_no_warning(frozen, owner_client, studio, server):
    add_calendar(studio, name="Personal", url=server.serve("/cal.ics", ics()), now=NOW)

    assert 'data-testid="busy-stale"' not in owner_client.get(reverse("calls:index")).content.decode()


def test_the_portal_booking_page_reads_10000_busy_blocks_in_constant_queries(frozen, studio, server):
    customer = ClientFactory(studio=studio, name="Bakery Blum", language="en")
    contact = ContactFactory(client=customer, name="Anna Blum", email="anna@blum.example", is_primary=True)
    calendar = add_calendar(studio, name="Personal", url=server.serve("/cal.ics", ics()), now=NOW)
    visitor = log_into_portal(contact)
    visitor.get(reverse("portal:call_book"))

    with CaptureQueriesContext(connection) as none:
        assert visitor.get(reverse("portal:call_book")).status_code == 200
    start = NOW + timedelta(days=1)
    BusyBlock.objects.bulk_create(
        BusyBlock(
            studio=studio,
            calendar=calendar,
            starts_at=start + timedelta(minutes=10 * k),
            ends_at=start + timedelta(minutes=10 * k + 5),
        )
        for k in range(10_000)
    )
    with CaptureQueriesContext(connection) as many:
        page = visitor.get(reverse("portal:call_book")).content.decode()

    assert len(many.captured_queries) == len(none.captured_queries)
    offered = [datetime.fromisoformat(value) for value in re.findall(r'name="start" id="[^"]+" value="([^"]+)"', page)]
    assert offered
    assert all(slot < start for slot in offered)

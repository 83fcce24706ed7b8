"""Calendar out (issue 18): the freelancer's private feed, its management, and the client's dates in the portal."""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client as Browser
from django.urls import reverse
from icalendar import Calendar

from kernel.logmask import mask_secrets
from kernel.models import Membership
from kernel.tokens import hash_token
from projects import ics_feed
from projects.call_views import FEED_GUESS_LIMIT
from projects.models import CalendarFeed, Call, Project
from projects.portal_access import SESSION_KEY, issue_link
from tests.factories import ClientFactory, ContactFactory, MembershipFactory, MilestoneFactory, ProjectFactory

NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)  # a Tuesday
FEED_PATH = re.compile(r"/calendar/([A-Za-z0-9_-]+)\.ics")


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def acme(studio):
    return ClientFactory(studio=studio, name="Acme", timezone="Asia/Tokyo")


def make_call(client, start: datetime, *, topic: str = "Menu layout", **extra) -> Call:
    end = start + timedelta(minutes=15)
    return Call.objects.create(studio=client.studio, client=client, starts_at=start, ends_at=end, topic=topic, **extra)


def create_feed(browser: Browser) -> str:
    """Create (or replace) the feed through the page; the raw token the page shows once."""
    page = browser.post(reverse("calls:feed_new"))
    assert page.status_code == 200
    (token,) = set(FEED_PATH.findall(page.content.decode()))
    return token


def events(body: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(body)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


@pytest.fixture
def dated(studio, acme):
    """Acme's project with a deadline and a milestone, a booked and a cancelled call."""
    project = ProjectFactory(client=acme, title="Bakery site", deadline_on=date(2026, 12, 18))
    MilestoneFactory(project=project, title="Designs", due_on=date(2026, 11, 27))
    MilestoneFactory(project=project, title="Someday")  # no date: not in the feed
    done = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    MilestoneFactory(project=project, title="Brief", due_on=date(2026, 11, 2), done_at=done)
    booked = make_call(acme, datetime(2026, 11, 12, 13, 0, tzinfo=UTC), project=project)
    cancelled = make_call(
        acme, datetime(2026, 11, 13, 13, 0, tzinfo=UTC), topic="Old idea", status=Call.Status.CANCELLED, sequence=2
    )
    return project, booked, cancelled


@pytest.mark.django_db
def test_the_feed_has_calls_deadlines_milestones_and_the_friday_reminder(owner_client, studio, dated):
    project, booked, cancelled = dated
    studio.friday_update_hour = 16
    studio.call_location = "https://meet.example/northlight"
    studio.save()
    with time_machine.travel(NOW, tick=False):
        token = create_feed(owner_client)
        first = Browser().get(f"/calendar/{token}.ics")
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        second = Browser().get(f"/calendar/{token}.ics")

    assert first.status_code == 200
    assert first["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(first.content)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == ics_feed.PRODID
    assert str(calendar["X-WR-CALNAME"]) == "Northlight — Rapport"
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Berlin"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H" in first.content

    found = events(first.content)
    assert set(found) == set(events(second.content))  # the same UIDs on every fetch
    host = "127.0.0.1"
    call_uid = f"call-{booked.uid.split('@')[0]}@{host}"
    call = found[call_uid]
    assert str(call["SUMMARY"]) == "Call: Acme — Menu layout"
    assert call.decoded("DTSTART") == booked.starts_at
    assert call.decoded("DTEND") == booked.ends_at
    assert str(call["LOCATION"]) == "https://meet.example/northlight"
    assert str(call["URL"]).endswith("/calls/")
    assert str(call["STATUS"]) == "CONFIRMED"
    old = found[f"call-{cancelled.uid.split('@')[0]}@{host}"]
    assert (str(old["STATUS"]), int(old["SEQUENCE"])) == ("CANCELLED", 2)

    deadline = found[f"deadline-{project.pk}@{host}"]
    assert str(deadline["SUMMARY"]) == "Deadline: Bakery site"
    assert deadline.decoded("DTSTART") == date(2026, 12, 18)  # a DATE: all day
    assert not isinstance(deadline.decoded("DTSTART"), datetime)
    assert str(deadline["URL"]).endswith(f"/projects/{project.pk}/")
    milestones = [event for uid, event in found.items() if uid.startswith("milestone-")]
    assert sorted((str(event["SUMMARY"]), event.decoded("DTSTART")) for event in milestones) == [
        ("Done: Brief (Bakery site)", date(2026, 11, 2)),
        ("Milestone: Designs (Bakery site)", date(2026, 11, 27)),
    ]

    friday = found[f"friday-{studio.pk}@{host}"]
    assert friday["RRULE"].to_ical() == b"FREQ=WEEKLY;BYDAY=FR"
    start = friday.decoded("DTSTART")
    assert (start.weekday(), start.hour, str(start.tzinfo)) == (4, 16, "Europe/Berlin")
    assert b"DTSTART;TZID=Europe/Berlin:" in first.content
    assert b"BEGIN:VTIMEZONE" in first.content

    feed = CalendarFeed.objects.get()
    assert feed.last_used_at == NOW  # marked on the first fetch; a poll five minutes later writes nothing
    assert feed.token_hash == hash_token(token)


@pytest.mark.django_db
def test_no_friday_reminder_without_active_projects(owner_client, studio, acme):
    ProjectFactory(client=acme, status=Project.Status.COMPLETED, deadline_on=date(2026, 11, 20))
    with time_machine.travel(NOW, tick=False):
        token = create_feed(owner_client)
        found = events(Browser().get(f"/calendar/{token}.ics").content)
    assert not [uid for uid in found if uid.startswith("friday-")]
    assert [uid for uid in found if uid.startswith("deadline-")]


@pytest.mark.django_db
def test_outside_the_window_and_cancelled_projects_stay_out(owner_client, acme):
    ProjectFactory(client=acme, title="Far", deadline_on=(NOW + timedelta(days=400)).date())
    ProjectFactory(client=acme, title="Long ago", deadline_on=(NOW - timedelta(days=90)).date())
    ProjectFactory(client=acme, title="Dropped", status=Project.Status.CANCELLED, deadline_on=date(2026, 12, 1))
    make_call(acme, NOW - timedelta(days=100))
    with time_machine.travel(NOW, tick=False):
        token = create_feed(owner_client)
        body = Browser().get(f"/calendar/{token}.ics").content
    assert not [uid for uid in events(body) if not uid.startswith("friday-")]


@pytest.mark.django_db
def test_another_studios_data_never_appears(owner_client, other_studio, studio, dated):
    stranger = ClientFactory(studio=other_studio, name="Stranger Co")
    ProjectFactory(client=stranger, title="Their secret", deadline_on=date(2026, 12, 1))
    make_call(stranger, datetime(2026, 11, 12, 15, 0, tzinfo=UTC), topic="Their call")
    with time_machine.travel(NOW, tick=False):
        token = create_feed(owner_client)
        body = Browser().get(f"/calendar/{token}.ics").content.decode()
    assert "Stranger" not in body
    assert "Their secret" not in body
    assert "Their call" not in body
    assert "Bakery site" in body


@pytest.mark.django_db
def test_revoked_replaced_and_unknown_tokens_are_a_plain_404(owner_client, dated):
    with time_machine.travel(NOW, tick=False):
        first = create_feed(owner_client)
        second = create_feed(owner_client)  # Replace: the first stops working
        assert Browser().get(f"/calendar/{first}.ics").status_code == 404
        assert Browser().get(f"/calendar/{second}.ics").status_code == 200
        feed = CalendarFeed.objects.get(revoked_at__isnull=True)
        assert owner_client.post(reverse("calls:feed_revoke", args=[feed.pk])).status_code == 302
        gone = Browser().get(f"/calendar/{second}.ics")
        unknown = Browser().get("/calendar/not-a-token.ics")
    assert gone.status_code == unknown.status_code == 404
    assert CalendarFeed.objects.filter(revoked_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_a_member_who_leaves_takes_no_feed_along(studio, dated):
    colleague = MembershipFactory(studio=studio).user
    browser = Browser()
    browser.force_login(colleague)
    with time_machine.travel(NOW, tick=False):
        token = create_feed(browser)
        assert Browser().get(f"/calendar/{token}.ics").status_code == 200
        Membership.objects.filter(user=colleague).delete()
        assert Browser().get(f"/calendar/{token}.ics").status_code == 404


@pytest.mark.django_db
def test_only_ones_own_feed_can_be_revoked(owner_client, charlie_client, studio):
    with time_machine.travel(NOW, tick=False):
        create_feed(owner_client)
    feed = CalendarFeed.objects.get()
    assert charlie_client.post(reverse("calls:feed_revoke", args=[feed.pk])).status_code == 404
    colleague = MembershipFactory(studio=studio).user
    browser = Browser()
    browser.force_login(colleague)
    assert browser.post(reverse("calls:feed_revoke", args=[feed.pk])).status_code == 404
    assert CalendarFeed.objects.get().revoked_at is None


@pytest.mark.django_db
def test_the_calls_page_shows_the_link_once_then_only_its_state(owner_client):
    with time_machine.travel(NOW, tick=False):
        before = owner_client.get(reverse("calls:index")).content.decode()
        created = owner_client.post(reverse("calls:feed_new"))
        after = owner_client.get(reverse("calls:index")).content.decode()
    assert "Your calendar feed" in before
    assert "Create a calendar link" in before
    assert "Google Calendar" in before
    html = created.content.decode()
    (token,) = set(FEED_PATH.findall(html))
    assert f"http://127.0.0.1:8000/calendar/{token}.ics" in html
    assert f"webcal://127.0.0.1:8000/calendar/{token}.ics" in html
    assert created["Cache-Control"] == "no-store, private"
    assert token not in after
    assert "Active since" in after
    assert 'data-testid="feed-revoke"' in after
    assert 'data-testid="feed-replace"' in after
    assert token not in str(list(CalendarFeed.objects.values()))  # only its hash rests


@pytest.mark.django_db
def test_the_feed_speaks_the_language_its_link_was_made_in(owner_client, dated):
    owner_client.cookies["django_language"] = "ru"
    with time_machine.travel(NOW, tick=False):
        token = create_feed(owner_client)
        body = Browser().get(f"/calendar/{token}.ics", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert CalendarFeed.objects.get().language == "ru"
    assert "Дедлайн: Bakery site" in body


@pytest.mark.django_db
def test_the_token_never_reaches_a_log_line(owner_client, dated, caplog):
    caplog.set_level(logging.INFO)
    with time_machine.travel(NOW, tick=False):
        token = create_feed(owner_client)
        Browser().get(f"/calendar/{token}.ics")
        CalendarFeed.objects.update(revoked_at=NOW)
        assert Browser().get(f"/calendar/{token}.ics").status_code == 404  # logged "Not Found: /calendar/…"
    lines = [record.getMessage() for record in caplog.records]
    assert any("Not Found: /calendar/********" in line for line in lines)
    assert not any(token in line for line in lines)


def test_feed_paths_are_masked():
    assert mask_secrets('"GET /calendar/abc-DEF_1.ics HTTP/1.1" 200') == '"GET /calendar/******** HTTP/1.1" 200'
    assert mask_secrets("webcal://rapport.example/calendar/s3cr3t.ics") == "webcal://rapport.example/calendar/********"
    # Not ours: a Google calendar path, and the busy-calendar pages.
    assert mask_secrets("/calendar/ical/me/private-1/basic.ics") == "/calendar/ical/me/private-1/basic.ics"
    assert mask_secrets("/calls/calendars/3/") == "/calls/calendars/3/"


@pytest.mark.django_db
def test_guessing_tokens_is_limited(dated):
    browser = Browser()
    with time_machine.travel(NOW, tick=False):
        for attempt in range(FEED_GUESS_LIMIT):
            assert browser.get(f"/calendar/guess-{attempt}.ics").status_code == 404
        assert browser.get("/calendar/guess-more.ics").status_code == 429


@pytest.mark.django_db
def test_the_feed_reads_in_constant_queries(owner_client, studio, django_assert_num_queries):
    with time_machine.travel(NOW, tick=False):
        token = create_feed(owner_client)

    def fetch() -> bytes:
        cache.clear()
        CalendarFeed.objects.update(last_used_at=None)
        with time_machine.travel(NOW, tick=False):
            response = Browser().get(f"/calendar/{token}.ics")
        assert response.status_code == 200
        return response.content

    def grow(count: int) -> None:
        for index in range(count):
            client = ClientFactory(studio=studio)
            project = ProjectFactory(client=client, deadline_on=date(2026, 12, 1) + timedelta(days=index % 30))
            MilestoneFactory(project=project, due_on=date(2026, 11, 20))
            make_call(client, datetime(2026, 11, 11, 8, 0, tzinfo=UTC) + timedelta(hours=index))

    grow(2)
    with django_assert_num_queries(7) as few:
        fetch()
    grow(30)
    with django_assert_num_queries(len(few.captured_queries)):
        body = fetch()
    assert len(events(body)) == 32 * 3 + 1


# --- The client's dates in the portal ------------------------------------------------------------


def log_into_portal(browser: Browser, contact) -> Browser:
    link, _token = issue_link(contact)
    session = browser.session
    session[SESSION_KEY] = link.pk
    session.save()
    return browser


@pytest.mark.django_db
def test_the_portal_calendar_holds_only_the_visitors_dates(studio, acme, dated, django_assert_max_num_queries):
    project, booked, cancelled = dated
    contact = ContactFactory(client=acme, email="anna@acme.example", is_primary=True)
    ProjectFactory(client=acme, title="Just a lead", status=Project.Status.LEAD, deadline_on=date(2026, 12, 2))
    other = ClientFactory(studio=studio, name="Other client")
    ProjectFactory(client=other, title="Not yours", deadline_on=date(2026, 12, 3))
    make_call(other, datetime(2026, 11, 12, 15, 0, tzinfo=UTC), topic="Someone else's call")
    visitor = log_into_portal(Browser(), contact)

    with time_machine.travel(NOW, tick=False):
        page = visitor.get(reverse("portal:calls"))
        with django_assert_max_num_queries(8):
            response = visitor.get(reverse("portal:calendar"))

    assert 'href="/portal/calendar.ics"' in page.content.decode()
    assert "Add these dates to your calendar" in page.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "no-store, private"
    body = response.content.decode()
    assert "Not yours" not in body
    assert "Someone else" not in body
    assert "Just a lead" not in body
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Tokyo"  # the client's zone
    found = events(response.content)
    assert {uid.split("-")[0] for uid in found} == {"call", "deadline", "milestone"}
    call = found[f"call-{booked.uid.split('@')[0]}@127.0.0.1"]
    assert str(call["SUMMARY"]) == "Call with Northlight — Menu layout"
    assert call.decoded("DTSTART") == booked.starts_at  # UTC
    assert call.decoded("DTSTART").utcoffset() == timedelta(0)
    assert str(call["URL"]).endswith("/portal/calls/")
    assert found[f"deadline-{project.pk}@127.0.0.1"].decoded("DTSTART") == date(2026, 12, 18)


@pytest.mark.django_db
def test_the_portal_calendar_needs_a_portal_session(dated):
    response = Browser().get(reverse("portal:calendar"))
    assert response.status_code == 302
    assert response.url == reverse("portal:expired")


def test_the_builder_is_pure():
    rows = ics_feed.FeedRows(name="S — Rapport", zone="UTC")
    rows.days.append(ics_feed.DayRow(uid="deadline-1@x", day=date(2027, 1, 1), summary="Deadline: X", url=""))
    body = ics_feed.feed_calendar(rows, now=NOW)
    (event,) = Calendar.from_ical(body).walk("VEVENT")
    assert event.decoded("DTEND") == date(2027, 1, 2)
    assert event.decoded("DTSTAMP") == NOW

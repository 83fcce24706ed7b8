"""Calls (R8): free slots, booking under a lock, .ics invitations, emails, portal and freelancer pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client as Browser
from django.urls import reverse
from icalendar import Calendar

from clients.models import Client, Contact
from comms.models import OutboxEmail
from kernel.models import Studio
from projects import call_views
from projects.calls import (
    CallError,
    SlotTaken,
    available_slots,
    book_call,
    call_ics,
    calls_on_day,
    cancel_call,
    move_call,
    open_slots,
    slot_is_free,
)
from projects.models import Call, PortalActivity, PortalLink, Project
from projects.portal_access import SESSION_KEY, issue_link
from tests.factories import ClientFactory, ContactFactory, MessageFactory, ProjectFactory

BERLIN = ZoneInfo("Europe/Berlin")
NINE_TO_SIX = {day: (time(9), time(18)) for day in range(5)}
# Monday 5 October 2026, 08:00 in Berlin (06:00 UTC): before opening.
MONDAY_0800 = datetime(2026, 10, 5, 8, 0, tzinfo=BERLIN)


def at(day: int, hour: int, minute: int = 0, *, month: int = 10, tz: ZoneInfo = BERLIN) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=tz)


def slots(**overrides) -> list[datetime]:
    arguments = {
        "now": MONDAY_0800,
        "tz": BERLIN,
        "working_hours": NINE_TO_SIX,
        "holidays": None,
        "duration_minutes": 15,
        "buffer_minutes": 0,
        "min_notice_hours": 0,
        "max_per_day": 10,
        "days_ahead": 0,
        "booked": [],
        **overrides,
    }
    return available_slots(**arguments)


def free(start: datetime, **overrides) -> bool:
    arguments = {
        "now": MONDAY_0800,
        "tz": BERLIN,
        "working_hours": NINE_TO_SIX,
        "holidays": None,
        "duration_minutes": 15,
        "buffer_minutes": 0,
        "min_notice_hours": 0,
        "max_per_day": 10,
        "days_ahead": 0,
        "booked": [],
        **overrides,
    }
    return slot_is_free(start, **arguments)


def local_times(found: list[datetime]) -> list[str]:
    return [slot.astimezone(BERLIN).strftime("%H:%M") for slot in found]


# --- Pure slot logic ---------------------------------------------------------------------------


def test_slots_fill_working_hours_on_a_grid_from_the_opening():
    found = slots()

    assert len(found) == 36
    assert local_times(found)[:3] == ["09:00", "09:15", "09:30"]
    assert local_times(found)[-1] == "17:45"  # ends exactly at closing: fine


def test_a_longer_call_must_end_by_closing_time():
    assert local_times(slots(duration_minutes=30))[-1] == "17:30"
    assert local_times(slots(duration_minutes=25))[-1] == "17:30"  # 17:45 + 25 min would run past 18:00


def test_the_closing_instant_and_times_off_the_grid_are_not_free():
    assert free(at(5, 17, 45))
    assert not free(at(5, 18, 0))
    assert not free(at(5, 8, 45))
    assert not free(at(5, 10, 5))


def test_slots_on_a_custom_step_are_aligned_to_the_opening():
    hours = {0: (time(9, 10), time(10, 0))}
    assert local_times(slots(working_hours=hours, step_minutes=20)) == ["09:10", "09:30"]


def test_weekends_and_public_holidays_offer_nothing():
    # Friday 22 May 2026 evening; Monday 25 May is Whit Monday, a public holiday in Germany.
    found = slots(now=at(22, 20, month=5), days_ahead=4, holidays=("DE", None))

    assert {slot.date() for slot in found} == {date(2026, 5, 26)}


def test_days_ahead_counts_local_days_from_today():
    assert {slot.date() for slot in slots(days_ahead=0)} == {date(2026, 10, 5)}
    assert {slot.date() for slot in slots(days_ahead=2)} == {date(2026, 10, 5), date(2026, 10, 6), date(2026, 10, 7)}
    assert not free(at(8, 9), days_ahead=2)
    assert free(at(7, 9), days_ahead=2)


def test_today_is_the_local_day_not_the_utc_one():
    # 23:30 UTC on Sunday is already Monday 01:30 in Berlin.
    sunday_night_utc = datetime(2026, 10, 4, 23, 30, tzinfo=UTC)
    assert {slot.date() for slot in slots(now=sunday_night_utc)} == {date(2026, 10, 5)}


def test_min_notice_pushes_the_first_slot():
    found = slots(now=at(5, 10, 5), min_notice_hours=4)

    assert local_times(found)[0] == "14:15"
    assert not free(at(5, 14, 0), now=at(5, 10, 5), min_notice_hours=4)


def test_slots_in_the_past_are_never_offered_even_without_notice():
    assert local_times(slots(now=at(5, 12, 1)))[0] == "12:15"


def test_a_booked_call_blocks_its_time_and_the_buffer_on_both_sides():
    booked = [(at(5, 10, 0), at(5, 10, 15))]
    found = local_times(slots(booked=booked, buffer_minutes=15))

    assert "09:30" in found
    assert "10:30" in found
    assert not {"09:45", "10:00", "10:15"} & set(found)
    assert not free(at(5, 9, 45), booked=booked, buffer_minutes=15)
    assert free(at(5, 10, 30), booked=booked, buffer_minutes=15)


def test_a_longer_call_cannot_run_into_a_booked_one():
    booked = [(at(5, 11, 0), at(5, 11, 30))]
    found = local_times(slots(booked=booked, duration_minutes=30))

    assert "10:30" in found
    assert "10:45" not in found
    assert "11:30" in found


def test_a_day_with_max_calls_offers_nothing():
    booked = [(at(5, 10), at(5, 10, 15)), (at(5, 15), at(5, 15, 15))]
    found = slots(booked=booked, max_per_day=2, days_ahead=1)

    assert {slot.date() for slot in found} == {date(2026, 10, 6)}
    assert not free(at(5, 12), booked=booked, max_per_day=2, days_ahead=1)


def test_the_dst_week_keeps_local_opening_hours():
    # Summer time ends on Sunday 25 October 2026: 09:00 is 07:00 UTC on Friday, 08:00 UTC on Monday.
    found = slots(now=at(23, 8), days_ahead=3)
    friday = [slot for slot in found if slot.date() == date(2026, 10, 23)]
    monday = [slot for slot in found if slot.date() == date(2026, 10, 26)]

    assert len(friday) == len(monday) == 36
    assert friday[0].astimezone(UTC) == datetime(2026, 10, 23, 7, 0, tzinfo=UTC)
    assert monday[0].astimezone(UTC) == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
    assert local_times(monday)[-1] == "17:45"


def test_hours_spanning_the_dst_change_give_real_fifteen_minute_slots():
    # Sunday 00:00–06:00 lasts seven real hours on the night the clocks go back.
    found = slots(now=at(24, 12), working_hours={6: (time(0), time(6))}, days_ahead=1)
    instants = [slot.astimezone(UTC) for slot in found]

    assert len(found) == 28
    assert all(later - earlier == timedelta(minutes=15) for earlier, later in zip(instants, instants[1:], strict=False))


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        slots(now=datetime(2026, 10, 5, 8, 0))


# --- Services ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def frozen():
    with time_machine.travel(MONDAY_0800, tick=False):
        yield


@pytest.fixture
def customer(studio: Studio) -> Client:
    return ClientFactory(studio=studio, name="Bakery Blum", language="en")


@pytest.fixture
def contact(customer: Client) -> Contact:
    return ContactFactory(client=customer, name="Anna Blum", email="anna@blum.example", is_primary=True)


@pytest.fixture
def project(customer: Client) -> Project:
    return ProjectFactory(client=customer, title="New bakery website", status=Project.Status.IN_PROGRESS)


def book(studio, customer, contact, start, **extra) -> Call:
    arguments = {"duration_minutes": 15, "topic": "Menu page layout", **extra}
    return book_call(studio=studio, client=customer, contact=contact, starts_at=start, **arguments)


def emails(kind: str | None = None) -> list[OutboxEmail]:
    rows = OutboxEmail.objects.order_by("pk")
    return list(rows.filter(kind=kind) if kind else rows)


def parsed_ics(email: OutboxEmail) -> Calendar:
    (attachment,) = email.attachments
    assert attachment["filename"] == "call.ics"
    return Calendar.from_ical(attachment["content"])


def test_booking_creates_the_call_and_emails_both_sides_an_invitation(frozen, studio, owner, customer, contact):
    call = book(studio, customer, contact, at(5, 14))

    assert call.status == Call.Status.BOOKED
    assert call.sequence == 0
    assert call.ends_at - call.starts_at == timedelta(minutes=15)
    (to_client,) = emails("call-invite")
    (to_studio,) = emails("call-notice")
    assert to_client.to == ["anna@blum.example"]
    assert to_client.client == customer
    assert to_studio.to == ["owner@northlight.example"]
    assert to_studio.client is None
    assert to_studio.reply_to == ["anna@blum.example"]
    for email in (to_client, to_studio):
        assert email.attachments[0]["mimetype"] == "text/calendar; method=REQUEST"
        assert parsed_ics(email)["METHOD"] == "REQUEST"
        assert "Menu page layout" in email.subject
        assert "Monday 5 October 2026, 14:00" in email.text
    assert "Move or cancel the call in your portal" in to_client.text
    assert reverse("portal:calls") in to_client.text
    assert "Bakery Blum booked a call" in to_studio.subject


def test_a_client_booking_before_opening_reaches_the_freelancer_at_the_opening(
    frozen, studio, owner, customer, contact
):
    book(studio, customer, contact, at(5, 14))

    assert emails("call-invite")[0].send_after == MONDAY_0800
    assert emails("call-notice")[0].send_after == at(5, 9)


def test_emails_show_times_in_each_readers_zone_and_language(frozen, studio, owner, customer, contact):
    customer.timezone = "America/New_York"
    customer.language = "ru"
    customer.save()

    book(studio, customer, contact, at(5, 14))

    (to_client,) = emails("call-invite")
    (to_studio,) = emails("call-notice")
    assert "08:00" in to_client.text
    assert "октября" in to_client.text
    assert "America/New_York" in to_client.text
    assert "14:00" in to_studio.text
    assert "October" in to_studio.text
    assert "Europe/Berlin" in to_studio.text


def test_the_ics_round_trips(frozen, studio, customer, contact):
    studio.call_location = "https://meet.example/northlight"
    studio.sender_name = "Northlight Studio"
    studio.save()
    call = book(studio, customer, contact, at(5, 14))

    calendar = Calendar.from_ical(call_ics(call, method="REQUEST", studio=studio))
    (event,) = calendar.walk("VEVENT")

    assert str(calendar["PRODID"]) == "-//Rapport//Calls//EN"
    assert calendar["METHOD"] == "REQUEST"
    assert str(event["UID"]) == call.uid
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == datetime(2026, 10, 5, 12, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2026, 10, 5, 12, 15, tzinfo=UTC)
    assert event.decoded("DTSTAMP") == MONDAY_0800.astimezone(UTC)
    assert str(event["SUMMARY"]) == "Call: Menu page layout"
    assert "Menu page layout" in str(event["DESCRIPTION"])
    assert "https://meet.example/northlight" in str(event["DESCRIPTION"])
    assert str(event["LOCATION"]) == "https://meet.example/northlight"
    assert str(event["ORGANIZER"]) == "mailto:hello@northlight.example"
    assert event["ORGANIZER"].params["CN"] == "Northlight Studio"
    assert str(event["ATTENDEE"]) == "mailto:anna@blum.example"
    assert str(event["STATUS"]) == "CONFIRMED"


def test_a_taken_slot_or_one_inside_the_buffer_is_refused(frozen, studio, customer, contact):
    book(studio, customer, contact, at(5, 14))

    with pytest.raises(SlotTaken):
        book(studio, customer, contact, at(5, 14))
    with pytest.raises(SlotTaken):
        book(studio, customer, contact, at(5, 14, 15))  # inside the 15-minute buffer
    assert Call.objects.count() == 1


@pytest.mark.parametrize(
    ("start", "extra", "error"),
    [
        (at(5, 14), {"topic": "   "}, "what the call is about"),
        (at(5, 14), {"topic": "x" * 301}, "under 300"),
        (at(5, 14), {"duration_minutes": 45}, "call lengths"),
        (at(5, 10), {}, "no longer free"),  # inside the 4 hours' notice
        (at(5, 18), {}, "no longer free"),  # closing time
        (at(10, 10), {}, "no longer free"),  # Saturday
        (at(30, 10), {}, "no longer free"),  # beyond 14 days ahead
        (at(5, 14, 5), {}, "no longer free"),  # off the grid
        (datetime(2026, 10, 5, 14, 0), {}, "offered times"),  # naive
    ],
)
def test_invalid_bookings_raise_a_clear_error(frozen, studio, customer, contact, start, extra, error):
    with pytest.raises(CallError, match=error):
        book(studio, customer, contact, start, **extra)
    assert not Call.objects.exists()
    assert not OutboxEmail.objects.exists()


def test_a_contact_or_project_of_another_client_is_refused(frozen, studio, customer, contact):
    other = ClientFactory(studio=studio)
    with pytest.raises(CallError):
        book(studio, customer, ContactFactory(client=other), at(5, 14))
    with pytest.raises(CallError):
        book(studio, customer, contact, at(5, 14), project=ProjectFactory(client=other))


def test_max_calls_per_day_counts_every_client(frozen, studio, customer, contact):
    studio.call_max_per_day = 1
    studio.save()
    book(studio, ClientFactory(studio=studio), None, at(5, 14))

    with pytest.raises(SlotTaken):
        book(studio, customer, contact, at(5, 16))
    assert book(studio, customer, contact, at(6, 16)).pk


def test_moving_bumps_the_sequence_and_resends_the_same_event(frozen, studio, owner, customer, contact):
    call = book(studio, customer, contact, at(5, 14))

    move_call(call, starts_at=at(6, 11), by=Call.Side.CLIENT)

    call.refresh_from_db()
    assert call.sequence == 1
    assert call.starts_at == at(6, 11)
    moved = [email for email in emails() if email.idempotency_key.startswith(f"call:{call.pk}:1:")]
    assert {email.kind for email in moved} == {"call-invite", "call-notice"}
    for email in moved:
        (event,) = parsed_ics(email).walk("VEVENT")
        assert str(event["UID"]) == call.uid
        assert event["SEQUENCE"] == 1
        assert event.decoded("DTSTART") == at(6, 11).astimezone(UTC)
    client_email = next(email for email in moved if email.kind == "call-invite")
    assert "moved" in client_email.subject.lower()
    assert "Monday 5 October 2026, 14:00" in client_email.text  # the old time
    # The old slot is free again; the new one is not.
    assert at(5, 14) in open_slots(studio, duration_minutes=15, now=MONDAY_0800)


def test_moving_to_its_own_time_window_excludes_the_call_itself(frozen, studio, customer, contact):
    call = book(studio, customer, contact, at(5, 14))

    move_call(call, starts_at=at(5, 14, 15), by=Call.Side.CLIENT)  # overlaps its old time + buffer

    assert Call.objects.get().starts_at == at(5, 14, 15)


def test_moving_onto_another_call_is_refused(frozen, studio, customer, contact):
    book(studio, customer, contact, at(5, 14))
    second = book(studio, customer, contact, at(5, 16))

    with pytest.raises(SlotTaken):
        move_call(second, starts_at=at(5, 14), by=Call.Side.CLIENT)
    second.refresh_from_db()
    assert second.sequence == 0
    assert second.starts_at == at(5, 16)


def test_the_freelancer_may_move_at_short_notice(frozen, studio, customer, contact):
    call = book(studio, customer, contact, at(5, 14))

    with pytest.raises(SlotTaken):
        move_call(call, starts_at=at(5, 9, 15), by=Call.Side.CLIENT)
    move_call(call, starts_at=at(5, 9, 15), by=Call.Side.STUDIO)

    assert Call.objects.get().starts_at == at(5, 9, 15)


def test_cancelling_sends_method_cancel_to_both_sides(frozen, studio, owner, customer, contact):
    call = book(studio, customer, contact, at(5, 14))

    cancel_call(call, by=Call.Side.STUDIO, reason="  Ill   today ")

    call.refresh_from_db()
    assert call.status == Call.Status.CANCELLED
    assert call.sequence == 1
    assert call.cancelled_by == Call.Side.STUDIO
    assert call.cancel_reason == "Ill today"
    assert call.cancelled_at == MONDAY_0800
    (to_client,) = emails("call-cancelled")
    to_studio = emails("call-notice")[-1]
    for email in (to_client, to_studio):
        assert email.attachments[0]["mimetype"] == "text/calendar; method=CANCEL"
        calendar = parsed_ics(email)
        (event,) = calendar.walk("VEVENT")
        assert calendar["METHOD"] == "CANCEL"
        assert str(event["STATUS"]) == "CANCELLED"
        assert event["SEQUENCE"] == 1
    assert "Ill today" in to_client.text
    assert "have to cancel" in to_client.text
    assert to_studio.send_after == MONDAY_0800  # the freelancer's own act: confirmed at once
    with pytest.raises(CallError, match="cancelled"):
        cancel_call(call, by=Call.Side.CLIENT)


def test_a_call_that_started_can_be_neither_moved_nor_cancelled(frozen, studio, customer, contact):
    call = book(studio, customer, contact, at(5, 14))

    with time_machine.travel(at(5, 14, 5), tick=False):
        with pytest.raises(CallError, match="started"):
            cancel_call(call, by=Call.Side.CLIENT)
        with pytest.raises(CallError, match="started"):
            move_call(call, starts_at=at(6, 14), by=Call.Side.STUDIO)


def test_calls_on_day_uses_the_studios_local_day(studio, customer, other_studio):
    def make(start: datetime, client: Client = customer, **extra) -> Call:
        return Call.objects.create(
            studio=client.studio,
            client=client,
            starts_at=start,
            ends_at=start + timedelta(minutes=15),
            topic="t",
            **extra,
        )

    early = make(at(5, 0, 30))  # 22:30 UTC on Sunday
    late = make(at(5, 23, 30))
    make(at(6, 0, 10))
    make(at(5, 12), status=Call.Status.CANCELLED)
    make(at(5, 12), client=ClientFactory(studio=other_studio))

    assert list(calls_on_day(studio, date(2026, 10, 5))) == [early, late]


# --- Portal pages ------------------------------------------------------------------------------


def log_into_portal(contact: Contact) -> Browser:
    browser = Browser()
    link, _token = issue_link(contact)
    session = browser.session
    session[SESSION_KEY] = link.pk
    session.save()
    return browser


@pytest.fixture
def visitor(frozen, contact: Contact) -> Browser:
    return log_into_portal(contact)


def slot_value(start: datetime) -> str:
    return start.astimezone(UTC).isoformat()


def test_the_booking_page_offers_free_slots_in_the_studio_zone_and_says_so(visitor, studio, customer):
    other = ClientFactory(studio=studio)
    Call.objects.create(studio=studio, client=other, starts_at=at(5, 14), ends_at=at(5, 14, 15), topic="Someone else")

    page = visitor.get(reverse("portal:call_book"), {"topic": "Menu page layout"})

    html = page.content.decode()
    assert page.status_code == 200
    assert "Europe/Berlin, our time zone" in html
    assert "Menu page layout" in html
    assert slot_value(at(5, 12)) in html  # the first slot after 4 hours' notice
    assert slot_value(at(5, 11, 45)) not in html
    assert slot_value(at(5, 14)) not in html
    assert slot_value(at(5, 13, 45)) not in html
    assert "Someone else" not in html
    assert page["Cache-Control"] == "no-store, private"


def test_the_booking_page_uses_the_clients_own_zone_when_set(frozen, studio, customer, contact):
    customer.timezone = "Asia/Tokyo"
    customer.save()

    html = log_into_portal(contact).get(reverse("portal:call_book")).content.decode()

    assert "your time zone, Asia/Tokyo" in html
    assert ">19:00</label>" in html  # 12:00 in Berlin is 19:00 in Tokyo


def test_booking_from_the_portal(visitor, studio, owner, customer, contact, project):
    response = visitor.post(
        reverse("portal:call_book"),
        {"duration": "15", "topic": " Menu  page layout ", "project": project.pk, "start": slot_value(at(5, 14))},
    )

    assert response.status_code == 302
    assert response.url == reverse("portal:calls")
    call = Call.objects.get()
    assert (call.client, call.contact, call.project, call.topic) == (customer, contact, project, "Menu page layout")
    assert call.booked_by == Call.Side.CLIENT
    assert call.starts_at == at(5, 14)
    activity = PortalActivity.objects.get()
    assert activity.kind == PortalActivity.Kind.CALL_BOOKED
    assert activity.url == reverse("calls:index")
    assert activity.project == project
    assert "Menu page layout" in activity.summary
    assert {email.kind for email in emails()} == {"call-invite", "call-notice"}
    listing = visitor.get(reverse("portal:calls")).content.decode()
    assert "Your call is booked for Monday 5 October 2026, 14:00" in listing
    assert "Menu page layout" in listing
    assert reverse("portal:call_move", args=[call.pk]) in listing


def test_a_slot_taken_meanwhile_re_renders_with_fresh_slots_and_keeps_the_topic(visitor, studio, customer, contact):
    book(studio, ClientFactory(studio=studio), None, at(5, 14))

    response = visitor.post(
        reverse("portal:call_book"), {"duration": "15", "topic": "Menu page layout", "start": slot_value(at(5, 14))}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "That time is no longer free" in html
    assert "Menu page layout" in html
    assert slot_value(at(5, 14)) not in html
    assert slot_value(at(5, 15)) in html
    assert Call.objects.count() == 1


def test_a_missing_topic_keeps_the_chosen_slot(visitor):
    response = visitor.post(
        reverse("portal:call_book"), {"duration": "15", "topic": "  ", "start": slot_value(at(5, 14))}
    )

    html = response.content.decode()
    assert "what the call is about" in html
    assert f'value="{slot_value(at(5, 14))}" checked' in html
    assert not Call.objects.exists()


def test_another_clients_project_cannot_be_chosen(visitor, studio):
    foreign = ProjectFactory(client=ClientFactory(studio=studio), title="Their secret project")

    response = visitor.post(
        reverse("portal:call_book"),
        {"duration": "15", "topic": "Hi", "project": foreign.pk, "start": slot_value(at(5, 14))},
    )

    assert response.status_code == 200
    assert "Their secret project" not in response.content.decode()
    assert not Call.objects.exists()


def test_a_proposal_links_the_call_to_the_clients_own_message(visitor, studio, customer):
    own = MessageFactory(thread__client=customer, subject="Colours")
    foreign = MessageFactory(thread__client=ClientFactory(studio=studio))
    data = {"duration": "15", "topic": "Colours", "start": slot_value(at(5, 14))}

    visitor.post(reverse("portal:call_book"), {**data, "proposal": foreign.pk})
    visitor.post(reverse("portal:call_book"), {**data, "proposal": own.pk, "start": slot_value(at(5, 16))})

    assert [call.proposed_from_id for call in Call.objects.order_by("starts_at")] == [None, own.pk]


@pytest.mark.parametrize("count", [1, 10])
def test_the_booking_page_runs_a_constant_number_of_queries(
    visitor, studio, customer, count, django_assert_max_num_queries
):
    studio.call_max_per_day = 24
    studio.save()
    for day in range(count):
        start = at(6 + day % 4, 10 + day // 4)
        Call.objects.create(
            studio=studio, client=customer, starts_at=start, ends_at=start + timedelta(minutes=15), topic="t"
        )
    ProjectFactory(client=customer)

    with django_assert_max_num_queries(7):
        assert visitor.get(reverse("portal:call_book")).status_code == 200


@pytest.mark.parametrize("count", [1, 10])
def test_the_portal_call_list_runs_a_constant_number_of_queries(
    visitor, studio, customer, count, django_assert_max_num_queries
):
    for day in range(count):
        start = at(6 + day, 10)
        Call.objects.create(
            studio=studio,
            client=customer,
            starts_at=start,
            ends_at=start + timedelta(minutes=15),
            topic=f"Topic {day}",
            project=ProjectFactory(client=customer),
        )

    with django_assert_max_num_queries(5):
        page = visitor.get(reverse("portal:calls"))
    assert page.content.decode().count('data-testid="upcoming-call"') == count


def test_the_client_cancels_from_the_portal(visitor, studio, customer, contact):
    call = book(studio, customer, contact, at(5, 14))

    response = visitor.post(reverse("portal:call_cancel", args=[call.pk]), {"reason": "Found the answer"})

    assert response.url == reverse("portal:calls")
    call.refresh_from_db()
    assert call.status == Call.Status.CANCELLED
    assert call.cancelled_by == Call.Side.CLIENT
    assert call.cancel_reason == "Found the answer"
    activity = PortalActivity.objects.get()
    assert activity.kind == PortalActivity.Kind.CALL_CANCELLED
    assert activity.url == reverse("calls:index")
    assert "As you asked" in emails("call-cancelled")[0].text
    assert visitor.get(reverse("portal:call_cancel", args=[call.pk])).status_code == 405


def test_the_client_moves_from_the_portal(visitor, studio, customer, contact):
    call = book(studio, customer, contact, at(5, 14))

    page = visitor.get(reverse("portal:call_move", args=[call.pk]))
    assert slot_value(at(5, 14, 15)) in page.content.decode()  # its own time doesn't block it
    response = visitor.post(reverse("portal:call_move", args=[call.pk]), {"start": slot_value(at(7, 10))})

    assert response.url == reverse("portal:calls")
    call.refresh_from_db()
    assert call.starts_at == at(7, 10)
    assert call.sequence == 1
    assert PortalActivity.objects.get().kind == PortalActivity.Kind.CALL_MOVED


def test_moving_to_a_taken_slot_shows_an_error(visitor, studio, customer, contact):
    call = book(studio, customer, contact, at(5, 14))
    book(studio, ClientFactory(studio=studio), None, at(7, 10))

    response = visitor.post(reverse("portal:call_move", args=[call.pk]), {"start": slot_value(at(7, 10))})

    assert response.status_code == 200
    assert "That time is no longer free" in response.content.decode()
    assert Call.objects.get(pk=call.pk).starts_at == at(5, 14)


def test_another_clients_calls_are_404_in_the_portal(visitor, studio, other_studio, customer, contact):
    neighbour = book(studio, ClientFactory(studio=studio), None, at(5, 14))
    stranger = Call.objects.create(
        studio=other_studio, client=ClientFactory(studio=other_studio), starts_at=at(5, 16), ends_at=at(5, 16, 15),
        topic="Stranger",
    )  # fmt: skip
    before = OutboxEmail.objects.count()

    for call in (neighbour, stranger):
        assert visitor.post(reverse("portal:call_cancel", args=[call.pk])).status_code == 404
        assert visitor.get(reverse("portal:call_move", args=[call.pk])).status_code == 404
        assert (
            visitor.post(reverse("portal:call_move", args=[call.pk]), {"start": slot_value(at(7, 10))}).status_code
            == 404
        )
    listing = visitor.get(reverse("portal:calls")).content.decode()
    assert "Stranger" not in listing
    assert "Menu page layout" not in listing
    assert Call.objects.filter(status=Call.Status.BOOKED).count() == 2
    assert OutboxEmail.objects.count() == before


def test_portal_call_pages_need_a_portal_session(frozen, studio, customer):
    call = book(studio, customer, None, at(5, 14))
    stranger = Browser()

    for url in (reverse("portal:calls"), reverse("portal:call_book"), reverse("portal:call_move", args=[call.pk])):
        assert stranger.get(url).url == reverse("portal:expired")
    assert stranger.post(reverse("portal:call_cancel", args=[call.pk])).url == reverse("portal:expired")


# --- The freelancer's pages --------------------------------------------------------------------


def test_the_calls_page_lists_today_first_then_later_and_recent(frozen, owner_client, studio, customer, contact):
    later = book(studio, customer, contact, at(7, 10), topic="Launch plan")
    today = book(studio, customer, contact, at(5, 15), topic="Menu page layout")
    cancelled = book(studio, customer, contact, at(6, 10), topic="Old idea")
    cancel_call(cancelled, by=Call.Side.CLIENT, reason="Not needed")

    html = owner_client.get(reverse("calls:index")).content.decode()

    assert html.index("Today") < html.index("Menu page layout") < html.index("Launch plan")
    assert html.index("Launch plan") < html.index("Recent") < html.index("Old idea")
    assert "Not needed" in html
    assert reverse("calls:move", args=[today.pk]) in html
    assert reverse("calls:cancel", args=[later.pk]) in html
    assert reverse("calls:move", args=[cancelled.pk]) not in html


@pytest.mark.parametrize("count", [1, 10])
def test_the_calls_page_runs_a_constant_number_of_queries(
    frozen, owner_client, studio, customer, count, django_assert_max_num_queries
):
    for day in range(count):
        start = at(6 + day, 10)
        Call.objects.create(
            studio=studio, client=ClientFactory(studio=studio), contact=ContactFactory(client=customer),
            project=ProjectFactory(client=customer), starts_at=start, ends_at=start + timedelta(minutes=15), topic="t",
        )  # fmt: skip
        past = at(1 + day % 3, 10)
        Call.objects.create(
            studio=studio, client=customer, starts_at=past, ends_at=past + timedelta(minutes=15), topic="p"
        )

    # session, user, studio; upcoming and recent calls; unreadable busy calendars; the feed; the heartbeat
    with django_assert_max_num_queries(8):
        page = owner_client.get(reverse("calls:index"))
    assert page.content.decode().count('data-testid="call"') == 2 * count


def test_the_freelancer_cancels_and_moves_at_short_notice(frozen, owner_client, studio, owner, customer, contact):
    call = book(studio, customer, contact, at(5, 14))

    page = owner_client.get(reverse("calls:move", args=[call.pk]))
    assert slot_value(at(5, 9)) in page.content.decode()  # no notice needed for the freelancer
    response = owner_client.post(reverse("calls:move", args=[call.pk]), {"start": slot_value(at(5, 9, 30))})
    assert response.url == reverse("calls:index")
    call.refresh_from_db()
    assert call.starts_at == at(5, 9, 30)
    assert call.sequence == 1
    assert "We had to move our call" in emails("call-invite")[-1].text

    response = owner_client.post(reverse("calls:cancel", args=[call.pk]), {"reason": "Ill"})
    call.refresh_from_db()
    assert call.status == Call.Status.CANCELLED
    assert call.cancelled_by == Call.Side.STUDIO
    assert not PortalActivity.objects.exists()  # the freelancer's own acts are no client activity


def test_a_freelancer_move_to_a_taken_slot_shows_an_error(frozen, owner_client, studio, customer, contact):
    call = book(studio, customer, contact, at(5, 14))
    book(studio, customer, contact, at(5, 16))

    response = owner_client.post(reverse("calls:move", args=[call.pk]), {"start": slot_value(at(5, 16))})

    assert response.status_code == 200
    assert "That time is no longer free" in response.content.decode()


def test_another_studios_calls_are_404_for_the_freelancer(frozen, charlie_client, studio, customer, contact):
    call = book(studio, customer, contact, at(5, 14))

    assert charlie_client.post(reverse("calls:cancel", args=[call.pk])).status_code == 404
    assert charlie_client.get(reverse("calls:move", args=[call.pk])).status_code == 404
    assert (
        charlie_client.post(reverse("calls:move", args=[call.pk]), {"start": slot_value(at(6, 10))}).status_code == 404
    )
    assert "Menu page layout" not in charlie_client.get(reverse("calls:index")).content.decode()
    assert Call.objects.get().status == Call.Status.BOOKED


def test_proposing_a_call_sends_the_sender_a_portal_link_to_the_booking_page(frozen, owner_client, customer, contact):
    ContactFactory(client=customer, email="boss@blum.example", is_primary=False)
    message = MessageFactory(thread__client=customer, from_email="Boss@Blum.example", subject="Re: Menu colours?")

    page = owner_client.get(reverse("comms:message", args=[message.pk])).content.decode()
    assert reverse("calls:propose", args=[message.pk]) in page
    response = owner_client.post(reverse("calls:propose", args=[message.pk]))

    assert response.url == reverse("comms:message", args=[message.pk])
    link = PortalLink.objects.get()
    assert link.contact.email == "boss@blum.example"
    landing = urlsplit(link.landing)
    assert landing.path == reverse("portal:call_book")
    assert parse_qs(landing.query) == {"topic": ["Menu colours?"], "proposal": [str(message.pk)]}
    assert OutboxEmail.objects.get().to == ["boss@blum.example"]


def test_a_subject_with_dots_still_lands_on_the_booking_page(frozen, owner_client, customer, contact):
    message = MessageFactory(thread__client=customer, from_email=contact.email, subject="Colours.. or not?")

    owner_client.post(reverse("calls:propose", args=[message.pk]))

    landing = urlsplit(PortalLink.objects.get().landing)
    assert landing.path == reverse("portal:call_book")
    assert parse_qs(landing.query)["topic"] == ["Colours… or not?"]


def test_a_proposal_from_our_own_message_goes_to_the_primary_contact(frozen, owner_client, customer, contact):
    message = MessageFactory(thread__client=customer, direction="out", from_email="hello@northlight.example")

    owner_client.post(reverse("calls:propose", args=[message.pk]))

    assert PortalLink.objects.get().contact == contact


def test_the_proposal_landing_fits_the_link_even_for_long_cyrillic_subjects(customer):
    message = MessageFactory(thread__client=customer, subject="Ответ: " + "очень длинная тема письма " * 20)

    landing = call_views.proposal_landing(message)

    assert len(landing) <= 200
    topic = parse_qs(urlsplit(landing).query)["topic"][0]
    assert topic.startswith("очень длинная тема")


def test_a_message_without_a_client_or_of_another_studio_cannot_be_proposed(
    frozen, owner_client, charlie_client, studio, customer
):
    unmatched = MessageFactory(thread__client=None, thread__studio=studio, client=None)
    message = MessageFactory(thread__client=customer)

    assert owner_client.post(reverse("calls:propose", args=[unmatched.pk])).status_code == 404
    assert charlie_client.post(reverse("calls:propose", args=[message.pk])).status_code == 404
    assert owner_client.get(reverse("calls:propose", args=[message.pk])).status_code == 405
    assert not PortalLink.objects.exists()

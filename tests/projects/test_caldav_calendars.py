"""CalDAV busy calendars against a real CalDAV server (Radicale on loopback), and with the client mocked.

Against Radicale: the account's calendars are listed, a refresh turns a recurring, an all-day and a
transparent event into the right blocks (Rapport's own copies of calls left out), a wrong password
keeps the old blocks with a worded error, and booked calls are written, moved and deleted by the
``caldav-calls`` sweep.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from unittest import mock

import pytest
import time_machine
from caldav.lib import error as caldav_error
from caldav.lib.http_sync import requests as dav_http
from icalendar import Calendar

from comms.secrets import decrypt, encrypt
from kernel.sweeps import SWEEPS
from projects import busy_calendars, calendar_writes
from projects.busy_calendars import (
    FetchError,
    add_caldav_calendar,
    add_calendar,
    caldav_calendars,
    refresh_busy_calendars,
    refresh_calendar,
    remove_calendar,
    set_write_calls,
)
from projects.calendar_writes import call_event_uid, write_calls_to_calendars
from projects.calls import book_call, cancel_call, move_call, open_slots
from projects.models import BusyBlock, BusyCalendar, Call
from tests.caldav_server import PASSWORD, USER, radicale_server
from tests.factories import ClientFactory, ContactFactory
from tests.ics_server import ics_server

# Monday 5 October 2026, 06:00 UTC (08:00 in Berlin).
NOW = datetime(2026, 10, 5, 6, 0, tzinfo=UTC)
Error = BusyCalendar.Error

RECURRING = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//tests//EN
BEGIN:VEVENT
UID:standup@tests
DTSTAMP:20260101T000000Z
DTSTART:20261005T100000Z
DTEND:20261005T110000Z
RRULE:FREQ=DAILY;COUNT=3
SUMMARY:Standup
END:VEVENT
END:VCALENDAR
"""
ALL_DAY = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//tests//EN
BEGIN:VEVENT
UID:holiday@tests
DTSTAMP:20260101T000000Z
DTSTART;VALUE=DATE:20261008
DTEND;VALUE=DATE:20261009
SUMMARY:Day off
END:VEVENT
END:VCALENDAR
"""
TRANSPARENT = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//tests//EN
BEGIN:VEVENT
UID:reminder@tests
DTSTAMP:20260101T000000Z
DTSTART:20261009T120000Z
DTEND:20261009T130000Z
TRANSP:TRANSPARENT
SUMMARY:Call mum (free)
END:VEVENT
END:VCALENDAR
"""
OWN_COPY = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Rapport//Calls//EN
BEGIN:VEVENT
UID:rapport-call-999@testserver
DTSTAMP:20260101T000000Z
DTSTART:20261009T080000Z
DTEND:20261009T090000Z
SUMMARY:Call with a client
END:VEVENT
END:VCALENDAR
"""


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, minute, tzinfo=UTC)


def blocks(calendar: BusyCalendar) -> list[tuple[datetime, datetime]]:
    return list(BusyBlock.objects.filter(calendar=calendar).order_by("starts_at").values_list("starts_at", "ends_at"))


EXPECTED = [
    (utc(5, 10), utc(5, 11)),
    (utc(6, 10), utc(6, 11)),
    (utc(7, 10), utc(7, 11)),
    # The all-day event blocks 8 October in Berlin (UTC+2).
    (utc(7, 22), utc(8, 22)),
]


@pytest.fixture
def clock():
    # The clock ticks: a frozen one would stall the sockets' timeouts.
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def radicale(tmp_path, clock):
    with radicale_server(tmp_path) as server:
        yield server


@pytest.fixture
def work(radicale) -> str:
    url = radicale.make_calendar("work", "Work")
    radicale.put(url, "standup", RECURRING)
    radicale.put(url, "holiday", ALL_DAY)
    radicale.put(url, "reminder", TRANSPARENT)
    radicale.put(url, "own-copy", OWN_COPY)
    return url


def add(studio, radicale, calendar_url: str, **extra) -> BusyCalendar:
    arguments = {"name": "Work", "url": f"{radicale.base}/", "username": USER, "password": PASSWORD, **extra}
    return add_caldav_calendar(studio, calendar_url=calendar_url, now=NOW, **arguments)


# --- Against Radicale ----------------------------------------------------------------------------


def test_the_accounts_calendars_are_listed_once_the_credentials_work(radicale, work):
    radicale.make_calendar("family", "Family")

    found = caldav_calendars(url=f"{radicale.base}/", username=USER, password=PASSWORD)

    assert sorted((calendar.name, calendar.url) for calendar in found) == [
        ("Family", radicale.calendar_url("family")),
        ("Work", work),
    ]


def test_a_wrong_password_is_a_worded_error_when_listing(radicale, work):
    with pytest.raises(FetchError) as raised:
        caldav_calendars(url=f"{radicale.base}/", username=USER, password="wrong")

    assert raised.value.code == Error.AUTH


def test_adding_an_account_stores_the_secrets_encrypted_and_reads_the_chosen_calendar(studio, radicale, work):
    calendar = add(studio, radicale, work)

    calendar.refresh_from_db()
    assert calendar.kind == BusyCalendar.Kind.CALDAV
    assert PASSWORD not in calendar.password_encrypted
    assert decrypt(calendar.password_encrypted) == PASSWORD
    assert decrypt(calendar.url_encrypted) == f"{radicale.base}/"
    assert calendar.url_masked == "http://127.0.0.1/…"
    assert (calendar.last_success_at, calendar.last_error) == (NOW, "")
    # Recurring (three days), all-day (the local day); the transparent event and Rapport's own copy block nothing.
    assert blocks(calendar) == EXPECTED


def test_a_wrong_password_keeps_the_old_blocks_with_a_worded_error(studio, radicale, work):
    calendar = add(studio, radicale, work)
    calendar.password_encrypted = encrypt("wrong")
    calendar.save(update_fields=["password_encrypted"])

    assert not refresh_calendar(calendar, now=NOW + timedelta(hours=1))

    calendar.refresh_from_db()
    assert calendar.last_error == Error.AUTH
    assert calendar.get_last_error_display() == "the server refused the username or password"
    assert calendar.last_success_at == NOW
    assert blocks(calendar) == EXPECTED


def test_a_calendar_that_is_not_there_is_a_worded_error(studio, radicale, work):
    calendar = add(studio, radicale, radicale.calendar_url("nope"))

    calendar.refresh_from_db()
    assert calendar.last_error in (Error.NOT_FOUND, Error.HTTP)
    assert blocks(calendar) == []


def test_the_sweep_refreshes_a_caldav_calendar_like_an_ics_one(studio, radicale, work):
    calendar = add(studio, radicale, work)
    radicale.put(work, "dentist", RECURRING.replace("standup@tests", "dentist@tests").replace(
        "T100000Z\nDTEND:20261005T110000Z\nRRULE:FREQ=DAILY;COUNT=3", "T140000Z\nDTEND:20261005T150000Z"
    ))  # fmt: skip

    assert refresh_busy_calendars(NOW + timedelta(minutes=20)) == 1

    assert (utc(5, 14), utc(5, 15)) in blocks(calendar)


def test_a_server_that_needs_too_many_requests_is_cut_off(studio, radicale, work, monkeypatch):
    calendar = add(studio, radicale, work)
    monkeypatch.setattr(busy_calendars, "MAX_REQUESTS", 1)

    assert not refresh_calendar(calendar, now=NOW + timedelta(hours=1))

    calendar.refresh_from_db()
    assert (calendar.last_error, calendar.last_error_detail) == (Error.TOO_BIG, "more than 1 requests")
    assert blocks(calendar) == EXPECTED


def test_a_private_server_is_refused_in_production(studio, radicale, work, settings):
    settings.RAPPORT_FETCH_PRIVATE_ADDRESSES = False

    calendar = add(studio, radicale, work)

    calendar.refresh_from_db()
    assert (calendar.last_error, calendar.last_error_detail) == (Error.UNREACHABLE, "not a public address")
    with pytest.raises(FetchError):
        caldav_calendars(url=f"{radicale.base}/", username=USER, password=PASSWORD)


@pytest.fixture
def customer(studio):
    customer = ClientFactory(studio=studio, name="Bakery Blum", language="en")
    ContactFactory(client=customer, name="Anna Blum", email="anna@blum.example", is_primary=True)
    return customer


def book(studio, customer, start: datetime) -> Call:
    return book_call(
        studio=studio,
        client=customer,
        contact=None,
        starts_at=start,
        duration_minutes=15,
        topic="Menu page layout",
        booked_by=Call.Side.STUDIO,
        now=NOW,
    )


def event(radicale, calendar_url: str, call: Call):
    response = radicale.get(calendar_url, f"rapport-call-{call.pk}.ics")
    if response.status_code == 404:
        return None
    assert response.status_code == 200
    (found,) = Calendar.from_ical(response.content).walk("VEVENT")
    return found


def test_booked_calls_are_written_moved_and_deleted_on_the_server(studio, radicale, work, customer):
    calendar = add(studio, radicale, work, write_calls=True)
    call = book(studio, customer, utc(6, 12))
    assert Call.objects.get(pk=call.pk).calendar_pending

    assert write_calls_to_calendars(NOW) == 1

    written = event(radicale, work, call)
    assert str(written["UID"]) == call_event_uid(call) == f"rapport-call-{call.pk}@127.0.0.1"  # SITE_URL's host
    assert written.decoded("DTSTART") == utc(6, 12)
    assert written.decoded("DTEND") == utc(6, 12, 15)
    assert "Bakery Blum" in str(written["SUMMARY"])
    assert "ATTENDEE" not in written
    assert "ORGANIZER" not in written
    stored = Call.objects.get(pk=call.pk)
    assert (stored.calendar_pending, stored.calendar_sequence) == (False, 0)
    assert write_calls_to_calendars(NOW) == 0  # nothing left to do

    # Reading the calendar back leaves the call's copy out: it neither blocks twice nor blocks its own move.
    assert refresh_calendar(calendar, now=NOW)
    assert blocks(calendar) == EXPECTED
    assert utc(6, 12, 30) in open_slots(studio, duration_minutes=15, now=NOW, by=Call.Side.STUDIO, exclude=call)

    move_call(call, starts_at=utc(6, 12, 30), by=Call.Side.STUDIO, now=NOW)
    assert write_calls_to_calendars(NOW + timedelta(minutes=5)) == 1
    moved = event(radicale, work, call)
    assert moved.decoded("DTSTART") == utc(6, 12, 30)
    assert int(moved["SEQUENCE"]) == 1

    cancel_call(call, by=Call.Side.STUDIO, now=NOW)
    assert write_calls_to_calendars(NOW + timedelta(minutes=10)) == 1
    assert event(radicale, work, call) is None
    stored = Call.objects.get(pk=call.pk)
    assert (stored.calendar_pending, stored.calendar_sequence) == (False, None)
    calendar.refresh_from_db()
    assert (calendar.write_error, calendar.last_write_at) == ("", NOW + timedelta(minutes=10))


def test_a_copy_already_gone_from_the_server_counts_as_deleted(studio, radicale, work, customer):
    add(studio, radicale, work, write_calls=True)
    call = book(studio, customer, utc(6, 12))
    write_calls_to_calendars(NOW)
    radicale.delete(work, f"rapport-call-{call.pk}.ics")  # the freelancer deleted it in their calendar app
    cancel_call(call, by=Call.Side.CLIENT, now=NOW)

    assert write_calls_to_calendars(NOW + timedelta(minutes=5)) == 1

    stored = Call.objects.get(pk=call.pk)
    assert (stored.calendar_pending, stored.calendar_sequence) == (False, None)


def test_a_server_refusing_the_write_keeps_the_call_pending_and_shows_why(studio, radicale, work, customer):
    calendar = add(studio, radicale, work, write_calls=True)
    call = book(studio, customer, utc(6, 12))
    calendar.password_encrypted = encrypt("wrong")
    calendar.save(update_fields=["password_encrypted"])

    assert write_calls_to_calendars(NOW) == 0

    stored = Call.objects.get(pk=call.pk)
    assert stored.calendar_pending
    assert (stored.calendar_attempts, stored.calendar_retry_at) == (1, NOW + timedelta(minutes=5))
    calendar.refresh_from_db()
    assert calendar.write_error == Error.AUTH
    assert write_calls_to_calendars(NOW + timedelta(minutes=1)) == 0  # waits for its retry time
    assert Call.objects.get(pk=call.pk).calendar_attempts == 1

    calendar.password_encrypted = encrypt(PASSWORD)
    calendar.save(update_fields=["password_encrypted"])
    assert write_calls_to_calendars(NOW + timedelta(minutes=5)) == 1
    assert event(radicale, work, call) is not None
    calendar.refresh_from_db()
    assert calendar.write_error == ""


# --- Rapport's own copies ------------------------------------------------------------------------


def test_the_copies_of_calls_are_taken_out_of_a_document_and_nothing_else():
    mixed = RECURRING.replace("END:VCALENDAR\n", "") + OWN_COPY.split("PRODID:-//Rapport//Calls//EN\n", 1)[1]
    crlf = mixed.replace("\n", "\r\n").encode()

    kept = busy_calendars.without_call_copies(crlf)

    assert b"UID:standup@tests" in kept
    assert b"rapport-call-999" not in kept
    assert kept.count(b"BEGIN:VEVENT") == 1
    assert kept.endswith(b"END:VCALENDAR\r\n")
    assert busy_calendars.without_call_copies(RECURRING.encode()) == RECURRING.encode()


def test_an_ics_address_of_the_written_calendar_does_not_block_the_calls_twice(studio):
    with ics_server() as server:
        url = server.serve(
            "/cal.ics",
            (ALL_DAY.replace("END:VCALENDAR\n", "") + OWN_COPY.split("PRODID:-//Rapport//Calls//EN\n", 1)[1]).encode(),
        )
        calendar = add_calendar(studio, name="Same calendar", url=url, now=NOW)

    assert blocks(calendar) == EXPECTED[3:]


# --- With the client mocked ----------------------------------------------------------------------


def test_the_sweeps_are_registered():
    assert SWEEPS["caldav-calls"] is write_calls_to_calendars
    assert SWEEPS["busy-calendars"] is refresh_busy_calendars


@pytest.mark.parametrize(
    ("raised", "code"),
    [
        (caldav_error.AuthorizationError("http://x/", "Unauthorized"), Error.AUTH),
        (caldav_error.NotFoundError("http://x/"), Error.NOT_FOUND),
        (dav_http.exceptions.ReadTimeout("http://x/?password=no"), Error.TIMEOUT),
        (dav_http.exceptions.ConnectionError("http://x/"), Error.UNREACHABLE),
        (caldav_error.ReportError("http://x/"), Error.HTTP),
        (ValueError("<html>not xml</html>"), Error.NOT_CALDAV),
    ],
)
def test_what_the_library_raises_becomes_a_worded_error_without_the_address(raised, code):
    failure = busy_calendars._caldav_failure(raised)

    assert failure.code == code
    assert "http" not in failure.detail


def test_an_answer_too_big_is_refused_before_it_is_read_whole():
    chunks = iter([b"x" * (busy_calendars.MAX_BYTES // 2)] * 4)
    response = SimpleNamespace(headers={}, iter_content=lambda chunk_size: chunks, close=lambda: None)

    with pytest.raises(FetchError) as raised:
        busy_calendars._read_bounded(response)

    assert raised.value.code == Error.TOO_BIG
    assert next(chunks, None) is not None  # the fourth chunk was never read


def test_a_declared_length_too_big_is_refused_at_once():
    response = SimpleNamespace(
        headers={"Content-Length": str(busy_calendars.MAX_BYTES + 1)}, iter_content=None, close=lambda: None
    )

    with pytest.raises(FetchError) as raised:
        busy_calendars._read_bounded(response)

    assert raised.value.code == Error.TOO_BIG


def mocked_calendar(studio, **extra) -> BusyCalendar:
    fields = {
        "studio": studio,
        "name": "Work",
        "kind": BusyCalendar.Kind.CALDAV,
        "url_encrypted": encrypt("https://dav.example.com/"),
        "url_masked": "https://dav.example.com/…",
        "username": USER,
        "password_encrypted": encrypt(PASSWORD),
        "calendar_url": "https://dav.example.com/anna/work/",
        **extra,
    }
    return BusyCalendar.objects.create(**fields)


@pytest.fixture
def public(settings):
    settings.RAPPORT_FETCH_PRIVATE_ADDRESSES = True


def test_a_calendar_with_too_many_events_is_not_read(studio, public, monkeypatch):
    calendar = mocked_calendar(studio)
    monkeypatch.setattr(busy_calendars, "MAX_EVENTS", 2)
    found = [SimpleNamespace(data=RECURRING)] * 3
    with mock.patch("caldav.Calendar.search", return_value=found):
        assert not refresh_calendar(calendar, now=NOW)

    calendar.refresh_from_db()
    assert calendar.last_error == Error.TOO_BIG


def test_a_calendar_not_chosen_yet_is_not_read(studio):
    calendar = mocked_calendar(studio, calendar_url="")

    assert not refresh_calendar(calendar, now=NOW)

    calendar.refresh_from_db()
    assert calendar.last_error == Error.NOT_CHOSEN


def test_a_server_down_never_breaks_booking_and_is_retried_with_a_growing_wait(studio, customer, public):
    calendar = mocked_calendar(studio, write_calls=True)
    call = book(studio, customer, utc(6, 12))  # no network inside the booking
    down = dav_http.exceptions.ConnectionError("refused")

    with mock.patch("caldav.DAVClient.put", side_effect=down) as put:
        assert write_calls_to_calendars(NOW) == 0
        assert write_calls_to_calendars(NOW + timedelta(minutes=5)) == 0
        assert write_calls_to_calendars(NOW + timedelta(minutes=10)) == 0  # waits until +15

    assert put.call_count == 2
    stored = Call.objects.get(pk=call.pk)
    assert (stored.calendar_pending, stored.calendar_attempts) == (True, 2)
    assert stored.calendar_retry_at == NOW + timedelta(minutes=15)
    calendar.refresh_from_db()
    assert (calendar.write_error, calendar.write_error_detail) == (Error.UNREACHABLE, "ConnectionError")


def test_calls_of_a_studio_without_a_writing_calendar_are_done_in_one_go(studio, customer, django_assert_num_queries):
    first = book(studio, customer, utc(6, 12))
    second = book(studio, customer, utc(6, 13))

    with django_assert_num_queries(2):
        assert write_calls_to_calendars(NOW) == 0

    assert not Call.objects.filter(pk__in=[first.pk, second.pk], calendar_pending=True).exists()


def test_a_call_moved_while_it_was_written_stays_pending(studio, customer, public):
    mocked_calendar(studio, write_calls=True)
    call = book(studio, customer, utc(6, 12))

    def move_meanwhile(*args, **kwargs):
        Call.objects.filter(pk=call.pk).update(sequence=5, calendar_pending=True, calendar_retry_at=None)
        return SimpleNamespace(status=201)

    with mock.patch("caldav.DAVClient.put", side_effect=move_meanwhile):
        assert write_calls_to_calendars(NOW) == 1

    stored = Call.objects.get(pk=call.pk)
    assert (stored.calendar_pending, stored.calendar_sequence, stored.calendar_retry_at) == (True, 0, None)


def test_writing_goes_to_one_calendar_and_turning_it_on_queues_the_calls_ahead(studio, customer, public):
    first = mocked_calendar(studio, write_calls=True)
    second = mocked_calendar(studio, name="Other")
    ahead = book(studio, customer, utc(6, 12))
    Call.objects.filter(pk=ahead.pk).update(calendar_pending=False, calendar_sequence=0)

    set_write_calls(second, on=True, now=NOW)

    first.refresh_from_db()
    assert not first.write_calls
    stored = Call.objects.get(pk=ahead.pk)
    assert (stored.calendar_pending, stored.calendar_sequence) == (True, None)
    with pytest.raises(ValueError, match="CalDAV"):
        set_write_calls(mocked_calendar(studio, kind=BusyCalendar.Kind.ICS, calendar_url=""), on=True, now=NOW)


def test_removing_the_writing_calendar_forgets_the_copies(studio, customer, public):
    calendar = mocked_calendar(studio, write_calls=True)
    call = book(studio, customer, utc(6, 12))
    Call.objects.filter(pk=call.pk).update(calendar_sequence=0)

    remove_calendar(calendar)

    stored = Call.objects.get(pk=call.pk)
    assert (stored.calendar_pending, stored.calendar_sequence) == (False, None)


def test_the_password_is_never_logged(studio, radicale, work, caplog):
    calendar = add(studio, radicale, work)
    calendar.password_encrypted = encrypt("wrong-" + PASSWORD)
    calendar.save(update_fields=["password_encrypted"])
    caplog.set_level("DEBUG")

    refresh_calendar(calendar, now=NOW)

    assert PASSWORD not in caplog.text
    assert calendar_writes.PER_TICK > 0

"""Busy calendars: adding one (address encrypted, read at once), refreshing, the sweep, the pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from comms.secrets import decrypt
from kernel.sweeps import SWEEPS
from projects import busy_calendars
from projects.busy_calendars import (
    add_calendar,
    clean_url,
    is_stale,
    mask_url,
    refresh_busy_calendars,
    refresh_calendar,
    stale_calendars,
)
from projects.calls import calendar_busy, open_slots
from projects.models import BusyBlock, BusyCalendar
from tests.ics_server import ics, ics_server

# Monday 5 October 2026, 06:00 UTC (08:00 in Berlin).
NOW = datetime(2026, 10, 5, 6, 0, tzinfo=UTC)
SECRET_PATH = "/calendar/ical/anna%40example.com/private-5ecret7oken/basic.ics"


def hours(day: int, start: int, end: int) -> tuple[datetime, datetime]:
    return datetime(2026, 10, day, start, tzinfo=UTC), datetime(2026, 10, day, end, tzinfo=UTC)


@pytest.fixture
def server():
    with ics_server() as running:
        yield running


def blocks(calendar: BusyCalendar) -> list[tuple[datetime, datetime]]:
    return list(calendar.blocks.order_by("starts_at").values_list("starts_at", "ends_at"))


# --- Addresses -----------------------------------------------------------------------------------


def test_addresses_are_http_or_https_and_webcal_reads_as_https():
    assert clean_url("  webcal://p01-caldav.icloud.com/published/2/MTIz  ") == (
        "https://p01-caldav.icloud.com/published/2/MTIz"
    )
    assert clean_url("WEBCAL://example.com/a.ics") == "https://example.com/a.ics"
    google = f"https://calendar.google.com{SECRET_PATH}"
    assert clean_url(google) == google
    assert clean_url("http://127.0.0.1:8000/x.ics") == "http://127.0.0.1:8000/x.ics"
    for bad in ("", "calendar.google.com/x.ics", "ftp://example.com/x.ics", "javascript:alert(1)", "https:///x",
                "https://exa mple.com/x.ics", "https://example.com:99999999/x.ics", "file:///etc/passwd"):  # fmt: skip
        with pytest.raises(ValueError, match="address"):
            clean_url(bad)


def test_the_masked_address_keeps_only_scheme_and_host():
    assert mask_url(f"https://calendar.google.com{SECRET_PATH}") == "https://calendar.google.com/…"
    assert mask_url("https://user:pw@example.com:8443/a?token=1") == "https://example.com/…"


# --- Adding and refreshing -----------------------------------------------------------------------


def test_adding_a_calendar_stores_the_address_encrypted_and_reads_it_at_once(studio, server):
    url = server.serve(SECRET_PATH, ics(hours(5, 10, 11), hours(6, 12, 14)))

    calendar = add_calendar(studio, name="  Personal  ", url=url, now=NOW)

    calendar.refresh_from_db()
    assert calendar.name == "Personal"
    assert "5ecret7oken" not in calendar.url_encrypted
    assert decrypt(calendar.url_encrypted) == url
    assert calendar.url_masked == "http://127.0.0.1/…"
    assert (calendar.last_attempt_at, calendar.last_success_at, calendar.last_error) == (NOW, NOW, "")
    assert blocks(calendar) == [hours(5, 10, 11), hours(6, 12, 14)]
    assert BusyBlock.objects.get(starts_at=hours(5, 10, 11)[0]).studio == studio
    assert server.hits[SECRET_PATH] == 1


def test_a_successful_refresh_replaces_the_blocks(studio, server):
    url = server.serve("/cal.ics", ics(hours(5, 10, 11), hours(6, 12, 14)))
    calendar = add_calendar(studio, name="Personal", url=url, now=NOW)
    server.serve("/cal.ics", ics(hours(7, 8, 9)))

    assert refresh_calendar(calendar, now=NOW + timedelta(hours=1))

    assert blocks(calendar) == [hours(7, 8, 9)]
    calendar.refresh_from_db()
    assert calendar.last_success_at == NOW + timedelta(hours=1)


def test_blocks_outside_the_booking_window_are_not_kept(studio, server):
    studio.call_days_ahead = 14
    studio.save(update_fields=["call_days_ahead"])
    far = (NOW + timedelta(days=40), NOW + timedelta(days=40, hours=1))
    past = (NOW - timedelta(days=3), NOW - timedelta(days=3) + timedelta(hours=1))
    url = server.serve("/cal.ics", ics(past, hours(5, 10, 11), far))

    calendar = add_calendar(studio, name="Personal", url=url, now=NOW)

    assert blocks(calendar) == [hours(5, 10, 11)]


@pytest.mark.parametrize(
    ("serve", "code", "detail"),
    [
        ((500, b"oops"), BusyCalendar.Error.HTTP, "HTTP 500"),
        ((404, b"gone"), BusyCalendar.Error.HTTP, "HTTP 404"),
        ((200, b"<html>Sign in to Google</html>"), BusyCalendar.Error.NOT_ICS, ""),
    ],
)
def test_a_failed_refresh_keeps_the_previous_blocks_and_records_why(studio, server, serve, code, detail):
    url = server.serve("/cal.ics", ics(hours(5, 10, 11)))
    calendar = add_calendar(studio, name="Personal", url=url, now=NOW)
    status, body = serve
    server.serve("/cal.ics", body, status=status)

    assert not refresh_calendar(calendar, now=NOW + timedelta(hours=1))

    calendar.refresh_from_db()
    assert blocks(calendar) == [hours(5, 10, 11)]
    assert calendar.last_success_at == NOW
    assert calendar.last_attempt_at == NOW + timedelta(hours=1)
    assert (calendar.last_error, calendar.last_error_detail) == (code, detail)


def test_an_endless_rule_too_costly_to_expand_is_an_unreadable_event_named_in_the_detail(studio, server):
    endless = "\n".join(
        ["BEGIN:VEVENT", "UID:ping@tests", "SUMMARY:Ping", "DTSTART:20260101T000000Z", "DURATION:PT1S",
         "RRULE:FREQ=SECONDLY", "END:VEVENT"]
    )  # fmt: skip
    url = server.serve("/cal.ics", ics(hours(5, 10, 11), extra=endless))

    calendar = add_calendar(studio, name="Personal", url=url, now=NOW)

    assert calendar.last_error == BusyCalendar.Error.UNREADABLE
    assert calendar.last_error_detail
    assert len(calendar.last_error_detail) <= 200
    assert not calendar.blocks.exists()


def test_a_calendar_too_big_is_not_read(studio, server, monkeypatch):
    url = server.serve("/cal.ics", ics(hours(5, 10, 11)))
    calendar = add_calendar(studio, name="Personal", url=url, now=NOW)
    monkeypatch.setattr(busy_calendars, "MAX_BYTES", 100)

    assert not refresh_calendar(calendar, now=NOW + timedelta(hours=1))

    calendar.refresh_from_db()
    assert calendar.last_error == BusyCalendar.Error.TOO_BIG
    assert blocks(calendar) == [hours(5, 10, 11)]


def test_a_server_dripping_its_answer_is_cut_off_at_the_total_deadline(studio, server, monkeypatch):
    url = server.serve("/cal.ics", ics(hours(5, 10, 11)))
    calendar = add_calendar(studio, name="Personal", url=url, now=NOW)
    monkeypatch.setattr(busy_calendars, "TOTAL_SECONDS", -1)  # the deadline has passed by the first chunk

    assert not refresh_calendar(calendar, now=NOW + timedelta(hours=1))

    calendar.refresh_from_db()
    assert calendar.last_error == BusyCalendar.Error.TIMEOUT
    assert blocks(calendar) == [hours(5, 10, 11)]


def test_a_timeout_and_an_unreachable_host_are_recorded_without_the_address(studio, server, monkeypatch, caplog):
    url = server.serve(SECRET_PATH, ics(hours(5, 10, 11)))
    calendar = add_calendar(studio, name="Personal", url=url, now=NOW)

    def timing_out(*args, **kwargs):
        raise requests.ConnectTimeout(f"timed out reading {args[0]}")

    monkeypatch.setattr(busy_calendars.requests, "get", timing_out)
    with caplog.at_level("INFO"):
        refresh_calendar(calendar, now=NOW + timedelta(hours=1))
    calendar.refresh_from_db()
    assert calendar.last_error == BusyCalendar.Error.TIMEOUT

    def refused(*args, **kwargs):
        raise requests.ConnectionError(f"refused: {args[0]}")

    monkeypatch.setattr(busy_calendars.requests, "get", refused)
    with caplog.at_level("INFO"):
        refresh_calendar(calendar, now=NOW + timedelta(hours=2))
    calendar.refresh_from_db()
    assert (calendar.last_error, calendar.last_error_detail) == (BusyCalendar.Error.UNREACHABLE, "ConnectionError")
    assert blocks(calendar) == [hours(5, 10, 11)]
    assert "5ecret7oken" not in caplog.text


def test_the_error_is_worded_in_the_readers_language(studio, server):
    url = server.serve("/cal.ics", b"not a calendar", status=200)
    calendar = add_calendar(studio, name="Personal", url=url, now=NOW)

    assert "ICS" in calendar.get_last_error_display()
    with translation.override("ru"):
        assert "календар" in str(calendar.get_last_error_display())


# --- The sweep -----------------------------------------------------------------------------------


def test_the_sweep_refreshes_due_calendars_once_and_is_idempotent(studio, server):
    url = server.serve("/cal.ics", ics(hours(5, 10, 11)))
    calendar = add_calendar(studio, name="Personal", url=url, now=NOW)
    server.serve("/cal.ics", ics(hours(6, 10, 11)))

    assert refresh_busy_calendars(NOW + timedelta(minutes=10)) == 0  # read 10 minutes ago: not due
    assert server.hits["/cal.ics"] == 1
    later = NOW + timedelta(minutes=15)
    assert refresh_busy_calendars(later) == 1
    assert refresh_busy_calendars(later) == 0  # the same tick again: nothing due
    assert server.hits["/cal.ics"] == 2
    assert blocks(calendar) == [hours(6, 10, 11)]


def test_the_sweep_is_bounded_per_tick_oldest_first(studio, other_studio, server, monkeypatch):
    url = server.serve("/cal.ics", ics(hours(5, 10, 11)))
    old = add_calendar(studio, name="Old", url=url, now=NOW - timedelta(hours=3))
    newer = add_calendar(other_studio, name="Newer", url=url, now=NOW - timedelta(hours=2))
    never = BusyCalendar.objects.create(
        studio=studio, name="Never", url_encrypted=old.url_encrypted, url_masked=old.url_masked
    )
    monkeypatch.setattr(busy_calendars, "PER_TICK", 2)

    assert refresh_busy_calendars(NOW) == 2

    attempts = dict(BusyCalendar.objects.values_list("name", "last_attempt_at"))
    assert attempts == {"Never": NOW, "Old": NOW, "Newer": NOW - timedelta(hours=2)}
    assert refresh_busy_calendars(NOW + timedelta(minutes=1)) == 1  # the one left over, next tick
    assert BusyCalendar.objects.get(pk=newer.pk).last_attempt_at == NOW + timedelta(minutes=1)
    assert never.blocks.count() == 1


def test_the_sweep_is_registered():
    assert SWEEPS["busy-calendars"] is refresh_busy_calendars


# --- Stale status --------------------------------------------------------------------------------


def test_a_calendar_is_stale_after_six_hours_without_a_good_read(studio, server):
    url = server.serve("/cal.ics", ics(hours(5, 10, 11)))
    calendar = add_calendar(studio, name="Personal", url=url, now=NOW)
    server.serve("/cal.ics", b"", status=503)
    refresh_calendar(calendar, now=NOW + timedelta(hours=5))
    calendar.refresh_from_db()

    assert not is_stale(calendar, NOW + timedelta(hours=5))
    assert not stale_calendars(studio, NOW + timedelta(hours=5))
    assert is_stale(calendar, NOW + timedelta(hours=6, minutes=1))
    assert stale_calendars(studio, NOW + timedelta(hours=6, minutes=1)) == [calendar]
    never_read = add_calendar(studio, name="Broken", url=url, now=NOW)
    assert is_stale(never_read, NOW)
    unattempted = BusyCalendar(studio=studio, name="New", last_attempt_at=None)
    assert not is_stale(unattempted, NOW)


# --- Booking reads the blocks in one query -------------------------------------------------------


def test_open_slots_skip_busy_blocks_in_a_constant_number_of_queries(studio, server, django_assert_num_queries):
    url = server.serve("/cal.ics", ics(hours(5, 8, 10)))  # 10:00–12:00 in Berlin
    calendar = add_calendar(studio, name="Personal", url=url, now=NOW)
    berlin = studio.zoneinfo
    found = open_slots(studio, duration_minutes=15, now=NOW, by="studio")  # the freelancer: no notice
    offered = {slot.astimezone(berlin).strftime("%d %H:%M") for slot in found}
    assert "05 09:45" in offered
    assert "05 10:00" not in offered
    assert "05 11:45" not in offered
    assert "05 12:00" in offered

    with CaptureQueriesContext(connection) as few:
        open_slots(studio, duration_minutes=15, now=NOW)
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
    with django_assert_num_queries(len(few.captured_queries)):
        many = open_slots(studio, duration_minutes=15, now=NOW)
    assert all(slot < start for slot in many)  # every 10 minutes busy for ~70 days: nothing left after
    assert len(calendar_busy(studio, start=NOW, end=NOW + timedelta(days=90))) == 10_001


# --- Whose network the server reads ------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "public"),
    [("127.0.0.1", False), ("::1", False), ("10.1.2.3", False), ("192.168.0.7", False),
     ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False), ("224.0.0.1", False),  # noqa: S104
     ("8.8.8.8", True), ("2001:4860:4860::8888", True)],
)  # fmt: skip
def test_only_public_addresses_count_as_public(host, public):
    assert busy_calendars.is_public_host(host) is public


def test_a_private_address_is_refused_in_production_before_any_request(settings, server):
    settings.RAPPORT_FETCH_PRIVATE_ADDRESSES = False
    url = server.serve("/busy.ics", ics(hours(6, 9, 10)))

    with pytest.raises(busy_calendars.FetchError) as refused:
        busy_calendars.fetch_ics(url)

    assert refused.value.code == BusyCalendar.Error.UNREACHABLE
    assert server.hits["/busy.ics"] == 0


def test_redirects_are_followed_a_few_times_and_each_hop_is_checked(settings, server, monkeypatch):
    body = ics(hours(6, 9, 10))
    server.serve("/busy.ics", body)
    assert busy_calendars.fetch_ics(server.redirect("/moved", "/busy.ics")) == body

    for hop in range(busy_calendars.MAX_REDIRECTS + 1):
        server.redirect(f"/loop{hop}", f"/loop{hop + 1}")
    with pytest.raises(busy_calendars.FetchError, match="http"):
        busy_calendars.fetch_ics(server.url("/loop0"))

    settings.RAPPORT_FETCH_PRIVATE_ADDRESSES = False
    monkeypatch.setattr(busy_calendars, "is_public_host", lambda host: host == "127.0.0.1")
    inside = server.url("/busy.ics").replace("127.0.0.1", "localhost")
    with pytest.raises(busy_calendars.FetchError) as refused:
        busy_calendars.fetch_ics(server.redirect("/to-inside", inside))
    assert refused.value.detail == "not a public address"
    assert server.hits["/busy.ics"] == 1

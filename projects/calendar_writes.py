"""Booked calls written to the freelancer's CalDAV calendar, and moved or cancelled with the call.

A studio's CalDAV busy calendar with ``write_calls`` on receives a copy of every booked call ahead:
one event per call at a fixed address in that calendar (``call_event_url``) with a stable UID
(``call_event_uid``, prefix ``busy_calendars.CALL_UID_PREFIX``, which the busy-time read leaves out,
so a call never blocks its own slot or its own move). Booking, moving and cancelling only mark the
call ``calendar_pending`` in their own transaction (``projects.calls``); the ``caldav-calls`` sweep
does the network part afterwards, so a calendar server that is down never breaks a booking:

* a booked call that has not ended is PUT (the whole event, SEQUENCE = the call's): a move
  overwrites it; a cancelled call that was written is DELETEd (gone already is fine); a call that
  ended before it was written is left alone, and so is the copy of a past call.
* each call is claimed first (``calendar_retry_at`` moved ahead by ``CLAIM`` only if unchanged), so
  two beats at once write it once; it is done only if it did not change meanwhile (same SEQUENCE),
  else the next tick writes the newer version.
* a failure keeps the call pending, retried after 5, 10, 20 … minutes (at most ``MAX_BACKOFF``);
  its worded reason is on the calendar (``write_error``), shown on the Busy calendars page.

The event carries no ORGANIZER or ATTENDEE: a server that does scheduling (RFC 6638) must not send
the client an invitation of its own (Rapport already sent one).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import F, Q
from django.utils import translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from kernel.dates import as_utc
from kernel.sweeps import sweep
from projects.busy_calendars import CALL_UID_PREFIX, FetchError, account_secrets, caldav_client, with_studios
from projects.models import BusyCalendar, Call

logger = logging.getLogger("rapport.busy")

Error = BusyCalendar.Error

PER_TICK = 50
CLAIM = timedelta(minutes=10)
FIRST_BACKOFF = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)
PRODID = "-//Rapport//Calls//EN"


def call_event_uid(call: Call) -> str:
    """The UID of the call's copy: the prefix, the call's id and the host Rapport is served from."""
    host = urlsplit(settings.SITE_URL).hostname or "rapport"
    return f"{CALL_UID_PREFIX}{call.pk}@{host}"


def call_event_url(calendar_url: str, call: Call) -> str:
    """Where the call's copy lives in the calendar (one resource per call, so a PUT overwrites it)."""
    return f"{calendar_url.rstrip('/')}/{CALL_UID_PREFIX}{call.pk}.ics"


def call_event_ics(call: Call, *, now: datetime) -> str:
    """The call as a stored calendar event (no METHOD, no attendees), in the site's language."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", call_event_uid(call))
    event.add("sequence", call.sequence)
    event.add("dtstamp", as_utc(now))
    event.add("dtstart", as_utc(call.starts_at))
    event.add("dtend", as_utc(call.ends_at))
    with translation.override(settings.LANGUAGE_CODE):
        event.add("summary", _("Call with %(client)s: %(topic)s") % {"client": call.client.name, "topic": call.topic})
    if call.studio.call_location:
        event.add("location", call.studio.call_location)
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    calendar.add_component(event)
    return calendar.to_ical().decode()


def writing_calendars() -> dict[int, BusyCalendar]:
    """Each studio's calendar that booked calls are written to, by studio id (one query; a studio has at most one)."""
    calendars = (
        BusyCalendar.objects.filter(kind=BusyCalendar.Kind.CALDAV, write_calls=True)
        .exclude(calendar_url="")
        .order_by("pk")
    )
    return {calendar.studio_id: calendar for calendar in with_studios(list(calendars))}


def write_call(call: Call, *, calendar: BusyCalendar, now: datetime) -> int | None:
    """Make the calendar match the call; returns the SEQUENCE now on the server (None: no copy there).

    Raises ``FetchError`` when the server cannot be reached or refuses.
    """
    url = call_event_url(calendar.calendar_url, call)
    if call.status == Call.Status.CANCELLED:
        if call.calendar_sequence is None:
            return None
        server, password = account_secrets(calendar)
        with caldav_client(url=server, username=calendar.username, password=password) as client:
            response = client.delete(url)
        if response.status not in (200, 204, 404, 410):
            raise FetchError(Error.WRITE, f"HTTP {response.status}")
        return None
    if call.ends_at <= now:
        return call.calendar_sequence
    server, password = account_secrets(calendar)
    with caldav_client(url=server, username=calendar.username, password=password) as client:
        response = client.put(
            url, call_event_ics(call, now=now), headers={"Content-Type": "text/calendar; charset=utf-8"}
        )
    if response.status not in (200, 201, 204):
        raise FetchError(Error.WRITE, f"HTTP {response.status}")
    return call.sequence


def backoff(attempts: int) -> timedelta:
    """How long a failed write waits before the next try: 5 minutes, doubled per failure, at most 6 hours."""
    return min(FIRST_BACKOFF * 2 ** min(attempts, 12), MAX_BACKOFF)


def due_calls(now: datetime, studio_ids: set[int]) -> list[Call]:
    """Those studios' calls whose copy must be written, deleted or checked now (never tried first),
    at most ``PER_TICK``."""
    due = Q(calendar_retry_at__isnull=True) | Q(calendar_retry_at__lte=now)
    return list(
        Call.objects.filter(due, calendar_pending=True, studio_id__in=studio_ids)
        .select_related("studio", "client")
        .order_by(F("calendar_retry_at").asc(nulls_first=True), "pk")[:PER_TICK]
    )


@sweep("caldav-calls")
def write_calls_to_calendars(now: datetime) -> int:
    """Write, move or delete the pending calls' copies; returns how many calendar changes were made."""
    calendars = writing_calendars()
    # A studio without a writing calendar has nothing to write: its calls are done at once (one query).
    Call.objects.filter(calendar_pending=True).exclude(studio_id__in=calendars).update(
        calendar_pending=False, calendar_retry_at=None, calendar_attempts=0
    )
    if not calendars:
        return 0
    written = 0
    for call in due_calls(now, set(calendars)):
        claimed = Call.objects.filter(
            pk=call.pk, calendar_pending=True, calendar_retry_at=call.calendar_retry_at
        ).update(calendar_retry_at=now + CLAIM)
        if not claimed:
            continue
        written += _write_one(call, calendar=calendars[call.studio_id], now=now)
    return written


def _write_one(call: Call, *, calendar: BusyCalendar, now: datetime) -> int:
    try:
        sequence = write_call(call, calendar=calendar, now=now)
    except FetchError as error:
        logger.info("Call %s not written to calendar %s: %s %s", call.pk, calendar.pk, error.code, error.detail)
        # A call moved or cancelled meanwhile keeps its "at once" (its retry time was cleared).
        Call.objects.filter(pk=call.pk, sequence=call.sequence).update(
            calendar_retry_at=now + backoff(call.calendar_attempts), calendar_attempts=F("calendar_attempts") + 1
        )
        _record_write(calendar, now=now, error=error.code, detail=error.detail[:200])
        return 0
    touched = call.calendar_sequence is not None if call.status == Call.Status.CANCELLED else call.ends_at > now
    # Done only if the call is still the version written; a move or cancel meanwhile keeps it pending.
    done = Call.objects.filter(pk=call.pk, sequence=call.sequence, status=call.status).update(
        calendar_pending=False, calendar_sequence=sequence, calendar_retry_at=None, calendar_attempts=0
    )
    if not done:
        Call.objects.filter(pk=call.pk).update(calendar_sequence=sequence, calendar_retry_at=None)
    if touched:
        _record_write(calendar, now=now)
    return int(touched)


def _record_write(calendar: BusyCalendar, *, now: datetime, error: str = "", detail: str = "") -> None:
    fields = {"write_error": error, "write_error_detail": detail}
    if not error:
        fields["last_write_at"] = now
    BusyCalendar.objects.filter(pk=calendar.pk).update(**fields)
    for field, value in fields.items():
        setattr(calendar, field, value)

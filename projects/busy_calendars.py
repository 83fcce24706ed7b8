"""Busy calendars: the freelancer's own calendars, read from their private ICS address, block booking.

* ``add_calendar`` / ``remove_calendar``: services. The address is a secret: stored encrypted
  (``comms.secrets``), shown masked, never logged.
* ``refresh_calendar``: fetch the ICS (``fetch_ics``: http/https only, 10 s per wait and 30 s in all,
  5 MB cap read streamed), turn it into busy intervals (``projects.busy.busy_intervals``, in the studio's zone, for
  the booking window) and replace the calendar's ``BusyBlock`` rows in one transaction. A failure
  keeps the previous blocks and records why (``BusyCalendar.last_error``, worded when shown).
* the ``busy-calendars`` sweep refreshes the calendars whose last attempt is older than
  ``RAPPORT_BUSY_REFRESH_MINUTES`` (15), oldest first, at most ``PER_TICK`` per tick. Each calendar
  is claimed with a conditional update first, so two beats at once fetch it once.

A calendar is either an ICS address or a CalDAV account (``add_caldav_calendar``: server address,
username, password, and one of the account's calendars, listed by ``caldav_calendars`` once the
credentials work). A CalDAV refresh asks the server for the events that touch the window (a
time-range REPORT, not expanded there) and feeds their iCalendar data through the same
``busy_intervals``, so TRANSP, CANCELLED, all-day days and recurrences count the same way. The
copies of booked calls that Rapport writes to a CalDAV calendar (UID prefix ``CALL_UID_PREFIX``) are
left out of every read, CalDAV or ICS (the same calendar may be added by its ICS address too), so a
call never blocks itself. The ``caldav`` library speaks the protocol; every request it makes goes
through ``_guarded_session``: the host is checked before connecting (redirects included) and each
answer is read with the same time and size bounds as an ICS body.

Security note (SSRF): the server fetches addresses typed by a studio member, so only public hosts
are fetched (``is_public_host``) unless ``RAPPORT_FETCH_PRIVATE_ADDRESSES`` (development, tests);
fetches are bounded in time and size and only parsed busy intervals are kept, never a body.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urljoin, urlsplit, urlunsplit

import caldav
import requests
from caldav.lib import error as caldav_error
from caldav.lib.http_sync import requests as dav_http
from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils.translation import gettext as _

from comms.secrets import SecretError, decrypt, encrypt
from kernel.models import Studio
from kernel.sweeps import sweep
from projects.busy import busy_intervals
from projects.models import BusyBlock, BusyCalendar, Call

logger = logging.getLogger("rapport.busy")

Error = BusyCalendar.Error

TIMEOUT_SECONDS = 10
# ``requests``' timeout bounds each wait, not the whole read: a server dripping bytes is cut off here.
TOTAL_SECONDS = 30
MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 3
PER_TICK = 20
STALE_AFTER = timedelta(hours=6)
# Busy time is kept from a day back (a call in progress) to past the last bookable local day.
WINDOW_BEFORE = timedelta(days=1)
WINDOW_AFTER_EXTRA_DAYS = 2
URL_MAX_LENGTH = 2000
NAME_MAX_LENGTH = 100
USERNAME_MAX_LENGTH = 200
# A CalDAV calendar with more events than this in the window is refused rather than read in part.
MAX_EVENTS = 5000
MAX_REQUESTS = 50
CLIENT_MAX_BYTES = 2 * MAX_BYTES
CLIENT_SECONDS = 60
# The UIDs of the calls Rapport writes to a CalDAV calendar start with this (``call_event_uid``).
CALL_UID_PREFIX = "rapport-call-"


def refresh_every() -> timedelta:
    return timedelta(minutes=getattr(settings, "RAPPORT_BUSY_REFRESH_MINUTES", 15))


class FetchError(Exception):
    """Reading a calendar failed; ``code`` is a ``BusyCalendar.Error``, ``detail`` a short fact (no secret)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail

    def worded(self) -> str:
        """The reason in the reader's language, with the short fact if any."""
        words = str(Error(self.code).label)
        return f"{words} ({self.detail})" if self.detail else words


# --- Addresses -------------------------------------------------------------------------------


def clean_url(url: str) -> str:
    """The address to fetch: ``webcal://`` read as ``https://``; only http(s) with a host; else ``ValueError``."""
    url = (url or "").strip()
    if not url:
        raise ValueError(_("Please paste the calendar's private address."))
    if len(url) > URL_MAX_LENGTH or any(character.isspace() for character in url):
        raise ValueError(_("This does not look like a calendar address."))
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        raise ValueError(_("This does not look like a calendar address.")) from None
    scheme = parts.scheme.lower()
    if scheme == "webcal":
        scheme = "https"
    if scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(_("Please paste an address that starts with https://, http:// or webcal://."))
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, ""))


def mask_url(url: str) -> str:
    """What the page shows of a (clean) address: scheme and host, the secret rest as "…"."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}/…"


# --- Services --------------------------------------------------------------------------------


def add_calendar(studio: Studio, *, name: str, url: str, now: datetime) -> BusyCalendar:
    """Store a calendar (address encrypted) and read it at once; ``ValueError`` for a bad name or address.

    The first read's outcome is on the returned row (``last_success_at`` or ``last_error``).
    """
    name = _clean_name(name)
    clean = clean_url(url)
    calendar = BusyCalendar.objects.create(
        studio=studio, name=name, url_encrypted=encrypt(clean), url_masked=mask_url(clean), created_at=now
    )
    calendar.studio = studio
    refresh_calendar(calendar, now=now)
    return calendar


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValueError(_("Please give the calendar a name."))
    if len(name) > NAME_MAX_LENGTH:
        raise ValueError(_("Please keep the name under %(count)d characters.") % {"count": NAME_MAX_LENGTH})
    return name


def add_caldav_calendar(
    studio: Studio,
    *,
    name: str,
    url: str,
    username: str,
    password: str,
    calendar_url: str = "",
    write_calls: bool = False,
    now: datetime,
) -> BusyCalendar:
    """Store a CalDAV account (server address and password encrypted); read it at once if a calendar is chosen.

    Without ``calendar_url`` the row waits for ``choose_caldav_calendar`` (the page lists the account's
    calendars). ``ValueError`` for a bad name, address or empty credentials.
    """
    name = _clean_name(name)
    clean = clean_url(url)
    username = (username or "").strip()
    if not username or not password:
        raise ValueError(_("Please give the account's username and password."))
    if len(username) > USERNAME_MAX_LENGTH:
        raise ValueError(_("This username is too long."))
    calendar_url = clean_url(calendar_url) if calendar_url else ""
    calendar = BusyCalendar.objects.create(
        studio=studio,
        name=name,
        kind=BusyCalendar.Kind.CALDAV,
        url_encrypted=encrypt(clean),
        url_masked=mask_url(clean),
        username=username,
        password_encrypted=encrypt(password),
        calendar_url=calendar_url,
        created_at=now,
    )
    calendar.studio = studio
    if calendar_url:
        if write_calls:
            set_write_calls(calendar, on=True, now=now)
        refresh_calendar(calendar, now=now)
    return calendar


def choose_caldav_calendar(calendar: BusyCalendar, *, calendar_url: str, write_calls: bool, now: datetime) -> None:
    """Read the account's calendar at ``calendar_url`` from now on (its blocks replaced by the next read)."""
    calendar.calendar_url = clean_url(calendar_url)
    BusyCalendar.objects.filter(pk=calendar.pk).update(calendar_url=calendar.calendar_url)
    set_write_calls(calendar, on=write_calls, now=now)
    refresh_calendar(calendar, now=now)


def set_write_calls(calendar: BusyCalendar, *, on: bool, now: datetime) -> None:
    """Write booked calls to this CalDAV calendar (the studio's only one that does) or stop writing them.

    Turning it on marks the studio's booked calls pending, so the ``caldav-calls`` sweep writes those
    ahead. Copies already written elsewhere stay where they are: Rapport forgets them.
    """
    if on and (calendar.kind != BusyCalendar.Kind.CALDAV or not calendar.calendar_url):
        raise ValueError(_("Only a CalDAV calendar can receive booked calls."))
    with transaction.atomic():
        others = BusyCalendar.objects.filter(studio_id=calendar.studio_id, write_calls=True).exclude(pk=calendar.pk)
        if on and others.exists() or calendar.write_calls != on:
            others.update(write_calls=False)
            BusyCalendar.objects.filter(pk=calendar.pk).update(write_calls=on, write_error="", write_error_detail="")
            calls = Call.objects.filter(studio_id=calendar.studio_id)
            calls.update(calendar_pending=False, calendar_sequence=None, calendar_retry_at=None, calendar_attempts=0)
            if on:
                calls.filter(status=Call.Status.BOOKED, ends_at__gt=now).update(calendar_pending=True)
    calendar.write_calls = on


def remove_calendar(calendar: BusyCalendar) -> None:
    """Forget a calendar, its address and its busy blocks: its time is offered again.

    Copies of calls it received stay in it; Rapport forgets them.
    """
    with transaction.atomic():
        if calendar.write_calls:
            Call.objects.filter(studio_id=calendar.studio_id).update(
                calendar_pending=False, calendar_sequence=None, calendar_retry_at=None, calendar_attempts=0
            )
        calendar.delete()


def is_public_host(host: str) -> bool:
    """True when every address ``host`` resolves to is a public one (not loopback, private or link-local).

    A calendar address is typed by a studio member and fetched by the server: without this check it
    could reach the server's own network (a cloud metadata service, a database port). Resolved again
    by the request itself, so a host that changes its answer in between is not covered.
    """
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False
    addresses = {ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos}
    return bool(addresses) and all(address.is_global and not address.is_multicast for address in addresses)


def _checked_url(url: str) -> str:
    """``url`` if it is http(s) to a host the server may fetch (``RAPPORT_FETCH_PRIVATE_ADDRESSES``)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(Error.UNREACHABLE)
    if not settings.RAPPORT_FETCH_PRIVATE_ADDRESSES and not is_public_host(parts.hostname):
        raise FetchError(Error.UNREACHABLE, "not a public address")
    return url


def fetch_ics(url: str) -> bytes:
    """The body at ``url`` (http/https), at most ``MAX_BYTES``; else ``FetchError``.

    Each wait is bounded by ``TIMEOUT_SECONDS`` and the whole read by ``TOTAL_SECONDS``. Redirects are
    followed by hand (at most ``MAX_REDIRECTS``) so each hop's host passes the same check as the first.
    """
    try:
        for _hop in range(MAX_REDIRECTS + 1):
            response = requests.get(
                _checked_url(url),
                stream=True,
                timeout=TIMEOUT_SECONDS,
                allow_redirects=False,
                headers={"Accept": "text/calendar, */*;q=0.1"},
            )
            if not response.is_redirect:
                break
            url = urljoin(url, response.headers["Location"])
            response.close()
        else:
            raise FetchError(Error.HTTP, "too many redirects")
        with response:
            if response.status_code >= 400:
                raise FetchError(Error.HTTP, f"HTTP {response.status_code}")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > MAX_BYTES:
                raise FetchError(Error.TOO_BIG)
            body = bytearray()
            deadline = time.monotonic() + TOTAL_SECONDS
            for chunk in response.iter_content(chunk_size=64 * 1024):
                body.extend(chunk)
                if len(body) > MAX_BYTES:
                    raise FetchError(Error.TOO_BIG)
                if time.monotonic() > deadline:
                    raise FetchError(Error.TIMEOUT)
            return bytes(body)
    except requests.Timeout:
        raise FetchError(Error.TIMEOUT) from None
    except requests.RequestException as error:
        # The exception's text holds the address: only its class is kept.
        raise FetchError(Error.UNREACHABLE, type(error).__name__) from None


# --- CalDAV ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteCalendar:
    """One calendar of a CalDAV account, as the server lists it."""

    url: str
    name: str


def _read_bounded(response: object) -> None:
    """Read a streamed answer whole, within ``MAX_BYTES`` and ``TOTAL_SECONDS``; else ``FetchError``."""
    declared = response.headers.get("Content-Length", "") or ""
    if declared.isdigit() and int(declared) > MAX_BYTES:
        response.close()
        raise FetchError(Error.TOO_BIG)
    body = bytearray()
    deadline = time.monotonic() + TOTAL_SECONDS
    for chunk in response.iter_content(chunk_size=64 * 1024):
        body.extend(chunk or b"")
        if len(body) > MAX_BYTES:
            response.close()
            raise FetchError(Error.TOO_BIG)
        if time.monotonic() > deadline:
            response.close()
            raise FetchError(Error.TIMEOUT)
    # What ``response.content`` returns from now on (the library reads it after ``send``).
    response._content = bytes(body)
    response._content_consumed = True


def _guard_session(session: object) -> None:
    """Make every request of ``session`` (redirect hops included) pass ``_checked_url`` first and read bounded.

    One client makes at most ``MAX_REQUESTS`` requests, reads at most ``CLIENT_MAX_BYTES`` in all and
    starts no request after ``CLIENT_SECONDS`` (the library may fetch events one by one from a server
    that does not send them in the REPORT): a refresh or a write costs bounded time and memory.
    """
    send = session.send
    sent = [0, 0]  # requests, bytes
    deadline = time.monotonic() + CLIENT_SECONDS

    def guarded_send(request: object, **kwargs: object) -> object:
        _checked_url(request.url)
        sent[0] += 1
        if sent[0] > MAX_REQUESTS:
            raise FetchError(Error.TOO_BIG, f"more than {MAX_REQUESTS} requests")
        if time.monotonic() > deadline:
            raise FetchError(Error.TIMEOUT)
        kwargs["stream"] = True
        response = send(request, **kwargs)
        _read_bounded(response)
        sent[1] += len(response._content)
        if sent[1] > CLIENT_MAX_BYTES:
            raise FetchError(Error.TOO_BIG)
        return response

    session.send = guarded_send


def _caldav_failure(error: Exception) -> FetchError:
    """The worded error for what the ``caldav`` library (or its HTTP client) raised; no address, no secret."""
    if isinstance(error, FetchError):
        return error
    if isinstance(error, caldav_error.AuthorizationError):
        return FetchError(Error.AUTH)
    if isinstance(error, caldav_error.NotFoundError):
        return FetchError(Error.NOT_FOUND)
    if isinstance(error, dav_http.exceptions.Timeout):
        return FetchError(Error.TIMEOUT)
    if isinstance(error, dav_http.exceptions.RequestException):
        return FetchError(Error.UNREACHABLE, type(error).__name__)
    if isinstance(error, caldav_error.DAVError):
        return FetchError(Error.HTTP, type(error).__name__)
    # An answer that is no WebDAV (an HTML page, broken XML): only the class name is kept.
    return FetchError(Error.NOT_CALDAV, type(error).__name__)


@contextmanager
def caldav_client(*, url: str, username: str, password: str) -> Iterator[caldav.DAVClient]:
    """A ``caldav`` client for the account, its requests guarded; any failure inside becomes ``FetchError``."""
    _checked_url(url)
    try:
        # No RFC 6764 discovery (DNS lookups the guard would not see): the address is used as typed.
        with caldav.DAVClient(
            url=url, username=username, password=password, timeout=TIMEOUT_SECONDS, enable_rfc6764=False
        ) as client:
            _guard_session(client.session)
            yield client
    except Exception as error:  # whatever a remote server makes the library raise
        raise _caldav_failure(error) from None


def account_secrets(calendar: BusyCalendar) -> tuple[str, str]:
    """The CalDAV server address and password of ``calendar``, decrypted; ``FetchError(KEY)`` if they can't be."""
    try:
        return decrypt(calendar.url_encrypted), decrypt(calendar.password_encrypted)
    except SecretError:
        raise FetchError(Error.KEY) from None


def caldav_calendars(*, url: str, username: str, password: str) -> list[RemoteCalendar]:
    """The account's calendars (address and name) in the server's order; ``FetchError`` if it can't be listed."""
    with caldav_client(url=url, username=username, password=password) as client:
        found = client.principal().calendars()
        calendars = [RemoteCalendar(url=str(remote.url), name=str(remote.get_display_name() or "")) for remote in found]
    return [
        RemoteCalendar(url=remote.url, name=remote.name or urlsplit(remote.url).path.rstrip("/").rsplit("/", 1)[-1])
        for remote in calendars
    ]


_CALL_COPY_UID = b"UID:" + CALL_UID_PREFIX.encode()


def without_call_copies(document: bytes) -> bytes:
    """``document`` without the VEVENTs whose UID starts with ``CALL_UID_PREFIX``: Rapport's own copies of
    calls (``projects.calendar_writes``), which must neither block their slot twice nor block their own move.

    Read line by line (the prefix always sits on a UID line's first, unfolded part); a document with no
    such UID is returned as it is.
    """
    if _CALL_COPY_UID.lower() not in document.lower():
        return document
    kept: list[bytes] = []
    event: list[bytes] | None = None
    for line in document.splitlines(keepends=True):
        bare = line.rstrip(b"\r\n").upper()
        if event is None:
            if bare == b"BEGIN:VEVENT":
                event = [line]
            else:
                kept.append(line)
            continue
        event.append(line)
        if bare == b"END:VEVENT":
            if not any(part.upper().startswith(_CALL_COPY_UID.upper()) for part in event):
                kept.extend(event)
            event = None
    kept.extend(event or [])
    return b"".join(kept)


def caldav_events(calendar: BusyCalendar, *, start: datetime, end: datetime) -> list[bytes]:
    """The iCalendar data of the events that touch ``[start, end)`` in the chosen calendar, Rapport's own
    copies of calls left out (``without_call_copies``); at most ``MAX_EVENTS`` (more is ``TOO_BIG``); else
    ``FetchError``."""
    if not calendar.calendar_url:
        raise FetchError(Error.NOT_CHOSEN)
    url, password = account_secrets(calendar)
    with caldav_client(url=url, username=calendar.username, password=password) as client:
        _checked_url(calendar.calendar_url)
        remote = client.calendar(url=calendar.calendar_url)
        found = remote.search(event=True, start=start, end=end, expand=False)
        if len(found) > MAX_EVENTS:
            raise FetchError(Error.TOO_BIG, f"more than {MAX_EVENTS} events")
        documents = [_as_bytes(item.data) for item in found]
    return [without_call_copies(document) for document in documents if document]


def _as_bytes(data: str | bytes | None) -> bytes:
    if data is None:
        return b""
    return data.encode() if isinstance(data, str) else data


def busy_window(studio: Studio, now: datetime) -> tuple[datetime, datetime]:
    """The instants a refresh reads: a day back to past the studio's last bookable day."""
    return now - WINDOW_BEFORE, now + timedelta(days=studio.call_days_ahead + WINDOW_AFTER_EXTRA_DAYS)


def refresh_calendar(calendar: BusyCalendar, *, now: datetime) -> bool:
    """Read the calendar and replace its busy blocks; True on success (the outcome is saved on the row)."""
    studio = calendar.studio
    start, end = busy_window(studio, now)
    try:
        if calendar.kind == BusyCalendar.Kind.CALDAV:
            # One document (busy_intervals reads concatenated VCALENDARs), so one work bound for all events.
            documents = caldav_events(calendar, start=start, end=end)
            document = b"\r\n".join(documents)
            intervals = _intervals(document, calendar=calendar, start=start, end=end) if documents else []
        else:
            try:
                url = decrypt(calendar.url_encrypted)
            except SecretError:
                raise FetchError(Error.KEY) from None
            intervals = _intervals(without_call_copies(fetch_ics(url)), calendar=calendar, start=start, end=end)
    except FetchError as error:
        logger.info("Busy calendar %s not read: %s %s", calendar.pk, error.code, error.detail)
        _record(calendar, now=now, error=error.code, detail=error.detail[:200])
        return False
    with transaction.atomic():
        BusyBlock.objects.filter(calendar=calendar).delete()
        BusyBlock.objects.bulk_create(
            [
                BusyBlock(studio_id=calendar.studio_id, calendar=calendar, starts_at=block_start, ends_at=block_end)
                for block_start, block_end in intervals
                if block_end > block_start
            ],
            batch_size=1000,
        )
        _record(calendar, now=now, success=True)
    return True


def _intervals(
    document: bytes, *, calendar: BusyCalendar, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    try:
        return busy_intervals(document, tz=calendar.studio.zoneinfo, start=start, end=end)
    except ValueError as error:
        # projects.busy says "This is not …" for a body that is no calendar; anything else is an
        # event it cannot read (e.g. a rule that would cost too much): its words help the freelancer.
        if str(error).startswith("This is not"):
            raise FetchError(Error.NOT_ICS) from None
        raise FetchError(Error.UNREADABLE, str(error)) from None


def _record(calendar: BusyCalendar, *, now: datetime, success: bool = False, error: str = "", detail: str = "") -> None:
    calendar.last_attempt_at = now
    calendar.last_error = error
    calendar.last_error_detail = detail
    fields = ["last_attempt_at", "last_error", "last_error_detail"]
    if success:
        calendar.last_success_at = now
        fields.append("last_success_at")
    BusyCalendar.objects.filter(pk=calendar.pk).update(**{field: getattr(calendar, field) for field in fields})


# --- Status ----------------------------------------------------------------------------------


def is_stale(calendar: BusyCalendar, now: datetime) -> bool:
    """Tried, and not read successfully in the last ``STALE_AFTER`` (or never): booking may offer busy time."""
    if calendar.last_attempt_at is None:
        return False
    return calendar.last_success_at is None or calendar.last_success_at < now - STALE_AFTER


@dataclass(frozen=True)
class CalendarRow:
    calendar: BusyCalendar
    stale: bool


def studio_calendars(studio: Studio, now: datetime) -> list[CalendarRow]:
    """The studio's busy calendars with their stale flag and ``block_count`` (one query)."""
    calendars = BusyCalendar.objects.filter(studio=studio).annotate(block_count=Count("blocks")).order_by("name", "pk")
    return [CalendarRow(calendar=calendar, stale=is_stale(calendar, now)) for calendar in calendars]


def stale_calendars(studio: Studio, now: datetime) -> list[BusyCalendar]:
    """The studio's calendars that booking cannot rely on now (one query)."""
    stale = Q(last_success_at__isnull=True) | Q(last_success_at__lt=now - STALE_AFTER)
    return list(BusyCalendar.objects.filter(stale, studio=studio, last_attempt_at__isnull=False).order_by("name", "pk"))


# --- The sweep -------------------------------------------------------------------------------


def due_calendars(now: datetime, *, limit: int | None = None) -> list[BusyCalendar]:
    """Calendars not tried since ``refresh_every()`` ago (never tried first, then oldest), at most ``limit``."""
    due = Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lte=now - refresh_every())
    calendars = BusyCalendar.objects.filter(due).order_by(F("last_attempt_at").asc(nulls_first=True), "pk")
    return with_studios(list(calendars[: limit or PER_TICK]))


def with_studios(calendars: list[BusyCalendar]) -> list[BusyCalendar]:
    """The calendars with their studios, read in one more query when there are any.

    Not joined in the calendars' query: with few calendars SQLite would start from the studios and
    read every one of them to find the calendars.
    """
    studios = Studio.objects.in_bulk({calendar.studio_id for calendar in calendars}) if calendars else {}
    for calendar in calendars:
        calendar.studio = studios[calendar.studio_id]
    return calendars


@sweep("busy-calendars")
def refresh_busy_calendars(now: datetime) -> int:
    """Refresh the due calendars, at most ``PER_TICK``; returns how many were read successfully.

    Each is claimed first (its ``last_attempt_at`` moved to ``now`` only if unchanged), so a second
    beat running at once skips it; a run repeated at the same ``now`` finds nothing due.
    """
    refreshed = 0
    for calendar in due_calendars(now):
        # ``last_attempt_at=None`` reads as IS NULL: a never-tried calendar is claimed the same way.
        claimed = BusyCalendar.objects.filter(pk=calendar.pk, last_attempt_at=calendar.last_attempt_at).update(
            last_attempt_at=now
        )
        if not claimed:
            continue
        refreshed += refresh_calendar(calendar, now=now)
    return refreshed

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

Security note (SSRF): any host is accepted, loopback and private addresses included; the fetch is
bounded in time and size and only its parsed busy intervals are kept, never the body.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext as _

from comms.secrets import SecretError, decrypt, encrypt
from kernel.models import Studio
from kernel.sweeps import sweep
from projects.busy import busy_intervals
from projects.models import BusyBlock, BusyCalendar

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


def refresh_every() -> timedelta:
    return timedelta(minutes=getattr(settings, "RAPPORT_BUSY_REFRESH_MINUTES", 15))


class FetchError(Exception):
    """Reading a calendar failed; ``code`` is a ``BusyCalendar.Error``, ``detail`` a short fact (no secret)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


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
    name = " ".join((name or "").split())
    if not name:
        raise ValueError(_("Please give the calendar a name."))
    if len(name) > NAME_MAX_LENGTH:
        raise ValueError(_("Please keep the name under %(count)d characters.") % {"count": NAME_MAX_LENGTH})
    clean = clean_url(url)
    calendar = BusyCalendar.objects.create(
        studio=studio, name=name, url_encrypted=encrypt(clean), url_masked=mask_url(clean), created_at=now
    )
    calendar.studio = studio
    refresh_calendar(calendar, now=now)
    return calendar


def remove_calendar(calendar: BusyCalendar) -> None:
    """Forget a calendar, its address and its busy blocks: its time is offered again."""
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


def busy_window(studio: Studio, now: datetime) -> tuple[datetime, datetime]:
    """The instants a refresh reads: a day back to past the studio's last bookable day."""
    return now - WINDOW_BEFORE, now + timedelta(days=studio.call_days_ahead + WINDOW_AFTER_EXTRA_DAYS)


def refresh_calendar(calendar: BusyCalendar, *, now: datetime) -> bool:
    """Read the calendar and replace its busy blocks; True on success (the outcome is saved on the row)."""
    studio = calendar.studio
    start, end = busy_window(studio, now)
    try:
        try:
            url = decrypt(calendar.url_encrypted)
        except SecretError:
            raise FetchError(Error.KEY) from None
        ics = fetch_ics(url)
        try:
            intervals = busy_intervals(ics, tz=studio.zoneinfo, start=start, end=end)
        except ValueError as error:
            # projects.busy says "This is not …" for a body that is no calendar; anything else is an
            # event it cannot read (e.g. a rule that would cost too much): its words help the freelancer.
            if str(error).startswith("This is not"):
                raise FetchError(Error.NOT_ICS) from None
            raise FetchError(Error.UNREADABLE, str(error)) from None
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


def due_calendars(now: datetime, *, limit: int | None = None) -> QuerySet[BusyCalendar]:
    """Calendars not tried since ``refresh_every()`` ago (never tried first, then oldest), at most ``limit``."""
    due = Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lte=now - refresh_every())
    return (
        BusyCalendar.objects.filter(due)
        .select_related("studio")
        .order_by(F("last_attempt_at").asc(nulls_first=True), "pk")[: limit or PER_TICK]
    )


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

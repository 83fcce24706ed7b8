"""`make bench`: busy-time refresh (read calendars → busy blocks) and the slot picker with 10,000 busy blocks.

Runs in a throwaway database (``devtools.benchdb``), never the dev data nor the test suite's, and
never touches the network: ``projects.busy_calendars.fetch_ics`` is replaced, for the bench only,
by a function returning one realistic ICS document of ``EVENTS`` events (plain events in UTC and
in a named zone, weekly recurring ones with EXDATEs, some endless, all-day events, transparent
ones), built once relative to ``now``. So what is timed is decrypting the address, expanding and
clipping the document over the refresh window (``projects.busy.busy_intervals``) and replacing the
calendar's blocks; not the feed's download.

Figures: ``busy_intervals`` alone on the document (median, p95); ``refresh_calendar`` for each of
``calendars`` calendars (median, p95 in ms, queries per calendar, the same for every one); then
``open_slots`` (the booking page's read) for one studio with ``FEW_BLOCKS`` and with
``MANY_BLOCKS`` busy blocks inside its booking window: its query count must not change.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from unittest import mock

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from comms.secrets import encrypt
from devtools.benchdb import throwaway_database
from kernel.models import Studio
from projects import busy_calendars
from projects.busy import busy_intervals
from projects.busy_calendars import busy_window, mask_url, refresh_calendar
from projects.calls import open_slots
from projects.models import BusyBlock, BusyCalendar

# 1,000 calendars take about 2.5 min on this machine's 2 shared cores (~140 ms each, nearly all of it
# expanding the document): the default run does ``DEFAULT_CALENDARS`` and prints the time 1,000 would
# take (each calendar is read alone, so the time grows linearly); ``--busy-calendars 1000`` measures it.
DEFAULT_CALENDARS = 300
TARGET_CALENDARS = 1_000
EVENTS = 500
PURE_RUNS = 20
FEW_BLOCKS = 10
MANY_BLOCKS = 10_000
SLOT_RUNS = 20
URL = "https://calendar.example/private-0123456789abcdef/basic.ics"


def bench_busy(calendars: int = DEFAULT_CALENDARS, *, now: datetime | None = None) -> dict:
    """Refresh ``calendars`` calendars of one ``EVENTS``-event document, then the slot picker at 10 vs 10,000 blocks."""
    with throwaway_database("busy"):
        return _bench(calendars, now=now or timezone.now())


def _bench(calendars: int, *, now: datetime, pure_runs: int = PURE_RUNS, slot_runs: int = SLOT_RUNS) -> dict:
    studio = Studio.objects.create(
        name="Bench busy", slug="bench-busy", timezone="Europe/Berlin", sender_email="hello@bench.example"
    )
    document = sample_calendar(now, events=EVENTS)
    start, end = busy_window(studio, now)
    blocks_per_calendar = len(busy_intervals(document, tz=studio.zoneinfo, start=start, end=end))  # warm up
    pure = _timed(lambda: busy_intervals(document, tz=studio.zoneinfo, start=start, end=end), pure_runs)

    rows = BusyCalendar.objects.bulk_create(
        BusyCalendar(
            studio=studio,
            name=f"Calendar {index}",
            url_encrypted=encrypt(f"{URL}?n={index}"),
            url_masked=mask_url(URL),
            created_at=now,
        )
        for index in range(calendars)
    )
    timings, queries = [], []
    with _network_replaced(document):
        for calendar in BusyCalendar.objects.filter(pk__in=[row.pk for row in rows]).select_related("studio"):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                read = refresh_calendar(calendar, now=now)
                timings.append((time.perf_counter() - started) * 1000)
            if not read:
                raise RuntimeError(f"bench_busy: calendar {calendar.pk} not read: {calendar.last_error}")
            queries.append(len(captured))
    stored = BusyBlock.objects.filter(studio=studio).count()
    if stored != calendars * blocks_per_calendar:
        raise RuntimeError(f"bench_busy: {stored} blocks stored, expected {calendars * blocks_per_calendar}")

    slots = {count: _slot_picker(count, now=now, runs=slot_runs) for count in (FEW_BLOCKS, MANY_BLOCKS)}
    return {
        "database": connection.vendor,
        "events": EVENTS,
        "document_kb": round(len(document) / 1024),
        "blocks_per_calendar": blocks_per_calendar,
        "window_days": (end - start).days,
        "pure_median_ms": statistics.median(pure),
        "pure_p95_ms": _p95(pure),
        "calendars": calendars,
        "refresh_seconds": sum(timings) / 1000,
        "refresh_median_ms": statistics.median(timings),
        "refresh_p95_ms": _p95(timings),
        "queries_per_calendar": sorted(set(queries)),
        "estimated_seconds_1000": statistics.fmean(timings) * TARGET_CALENDARS / 1000,
        "slots": slots,
        "slots_constant": slots[FEW_BLOCKS]["queries"] == slots[MANY_BLOCKS]["queries"],
    }


def busy_lines(result: dict) -> list[str]:
    """The lines `make bench` prints."""
    queries = "/".join(str(count) for count in result["queries_per_calendar"])
    few, many = result["slots"][FEW_BLOCKS], result["slots"][MANY_BLOCKS]
    verdict = "PASS" if result["slots_constant"] else "FAIL"
    lines = [
        f"Busy calendars (one {result['events']}-event ICS of {result['document_kb']} KB: plain, weekly with EXDATE, "
        f"all-day, transparent; {result['blocks_per_calendar']} busy blocks in the {result['window_days']}-day window; "
        "fetch replaced, no network):",
        f"  busy_intervals alone: median {result['pure_median_ms']:.1f} ms, p95 {result['pure_p95_ms']:.1f} ms",
        f"  refresh_calendar × {result['calendars']:,}: median {result['refresh_median_ms']:.1f} ms, "
        f"p95 {result['refresh_p95_ms']:.1f} ms per calendar, {queries} queries per calendar; "
        f"{result['refresh_seconds']:.1f} s in all",
    ]
    if result["calendars"] != TARGET_CALENDARS:
        lines.append(
            f"  {TARGET_CALENDARS:,} calendars: about {result['estimated_seconds_1000']:.0f} s "
            "(linear: each calendar is read alone; --busy-calendars 1000 measures it)"
        )
    lines.append(
        f"  open_slots (the slot picker): {few['blocks']:,} blocks {few['queries']} queries, "
        f"{few['median_ms']:.1f} ms ({few['slots']} slots); {many['blocks']:,} blocks {many['queries']} queries, "
        f"{many['median_ms']:.1f} ms ({many['slots']} slots) — same queries: {verdict}"
    )
    return lines


def sample_calendar(now: datetime, *, events: int = EVENTS) -> bytes:
    """One ICS document of ``events`` VEVENTs around ``now``, the mix a freelancer's Google calendar has.

    Of every 25 events: 17 plain (a year back to three months ahead; UTC or Europe/Berlin), 3 weekly
    recurring since up to two years ago (some endless, some with UNTIL, each with two EXDATEs), 2
    all-day, 3 transparent (free time that blocks nothing). Deterministic for a given ``now``.
    """
    origin = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Rapport//bench//EN", "CALSCALE:GREGORIAN"]
    for index in range(events):
        kind = index % 25
        offset = timedelta(days=(index * 37) % 455 - 365, hours=8 + index % 10, minutes=15 * (index % 4))
        begins = origin + offset
        lines += ["BEGIN:VEVENT", f"UID:bench-{index}@rapport.local", f"DTSTAMP:{_utc(origin)}"]
        lines.append(f"SUMMARY:Event {index}")
        if kind < 17:
            if index % 2:
                lines += [f"DTSTART:{_utc(begins)}", f"DTEND:{_utc(begins + timedelta(minutes=60))}"]
            else:
                lines += [f"DTSTART;TZID=Europe/Berlin:{_wall(begins)}", "DURATION:PT45M"]
        elif kind < 20:
            first = origin - timedelta(days=7 * (index % 100) + 1 + index % 7, hours=-(9 + index % 8))
            lines += [
                f"DTSTART;TZID=Europe/Berlin:{_wall(first)}",
                f"DTEND;TZID=Europe/Berlin:{_wall(first + timedelta(minutes=30))}",
            ]
            rule = "RRULE:FREQ=WEEKLY"
            if kind == 18:
                rule += f";UNTIL={_utc(origin + timedelta(days=60))}"
            lines.append(rule)
            for week in (1, 2):
                lines.append(f"EXDATE;TZID=Europe/Berlin:{_wall(first + timedelta(weeks=(index % 100) + week))}")
        elif kind < 22:
            day = begins.date()
            lines += [f"DTSTART;VALUE=DATE:{day:%Y%m%d}", f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}"]
        else:
            lines += [f"DTSTART:{_utc(begins)}", f"DTEND:{_utc(begins + timedelta(hours=2))}", "TRANSP:TRANSPARENT"]
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _wall(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")  # the same digits read in Europe/Berlin: a plausible wall time


@contextmanager
def _network_replaced(document: bytes) -> Iterator[None]:
    with mock.patch.object(busy_calendars, "fetch_ics", return_value=document):
        yield


def _slot_picker(count: int, *, now: datetime, runs: int) -> dict:
    """``open_slots`` for a studio of its own whose booking window holds ``count`` busy blocks."""
    studio = Studio.objects.create(
        name=f"Bench slots {count}",
        slug=f"bench-slots-{count}",
        timezone="Europe/Berlin",
        sender_email="slots@bench.example",
    )
    calendar = BusyCalendar.objects.create(
        studio=studio, name="Many", url_encrypted=encrypt(URL), url_masked=mask_url(URL), created_at=now
    )
    start, end = busy_window(studio, now)
    step = (end - start) / count
    BusyBlock.objects.bulk_create(
        (
            BusyBlock(
                studio=studio,
                calendar=calendar,
                starts_at=start + step * index,
                ends_at=start + step * index + min(step / 4, timedelta(minutes=30)),
            )
            for index in range(count)
        ),
        batch_size=1000,
    )
    studio = Studio.objects.get(pk=studio.pk)

    def pick() -> list[datetime]:
        return open_slots(studio, duration_minutes=30, now=now)

    pick()  # warm up
    with CaptureQueriesContext(connection) as captured:
        found = pick()
    timings = _timed(pick, runs)
    return {
        "blocks": count,
        "queries": len(captured),
        "slots": len(found),
        "median_ms": statistics.median(timings),
        "p95_ms": _p95(timings),
    }


def _timed(work: Callable[[], object], runs: int) -> list[float]:
    timings = []
    for _run in range(runs):
        started = time.perf_counter()
        work()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def _p95(timings: list[float]) -> float:
    ordered = sorted(timings)
    return ordered[max(0, round(len(ordered) * 0.95) - 1)]

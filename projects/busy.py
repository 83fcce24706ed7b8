"""Busy time from one iCalendar (RFC 5545) document: what a calendar the freelancer added blocks.

Pure: no ORM, no settings, no clock. The booking page never offers a slot that overlaps an
interval returned here.

What counts as busy
- Every VEVENT occurrence, unless that occurrence's component has ``TRANSP:TRANSPARENT`` or
  ``STATUS:CANCELLED``. VTODO, VJOURNAL, VFREEBUSY, VALARM and anything else are ignored.
- Recurrences are expanded with ``recurring-ical-events``: RRULE, RDATE (DATE, DATE-TIME and
  PERIOD values; a PERIOD gives that instance its own length), EXDATE, and RECURRENCE-ID
  overrides (also ``RANGE=THISANDFUTURE``). An override replaces its instance: its own time
  counts and the original slot is freed; an override that is CANCELLED or TRANSPARENT removes
  the instance. The filter is per occurrence, so an opaque override of a transparent series is
  busy.
- Times: UTC ("Z") and TZID times are honoured (TZID may name a VTIMEZONE in the document or an
  IANA zone); floating times, and TZIDs that are neither (icalendar reads them as floating),
  are read in ``tz``. An all-day event (DATE values) blocks its local days in ``tz`` from
  midnight to midnight, so 23 or 25 hours on a DST change.
- Length (RFC 5545 3.6.1): DTEND, else DURATION; a DATE DTSTART with neither lasts one day; a
  DATE-TIME DTSTART with neither "ends on the same date and time", i.e. it is zero-length and
  blocks nothing. An end before its start is swapped with it (as recurring-ical-events does).
  A VEVENT without DTSTART has no time and is skipped. A floating or all-day time that falls in
  a DST gap is read with the offset before the gap (RFC 5545 3.3.5).

Bounded work. dateutil, which expands the rules, walks every period from DTSTART up to the
window, so a rule's cost depends on its frequency and on how far DTSTART lies before the window
end, not only on the window. Before expanding, every RRULE gets an estimate of the occurrences
generated from DTSTART to the end of the window (or UNTIL, or COUNT if smaller): periods of
FREQ * INTERVAL times the fan-out of its BY* parts (the window is widened by two days on each side
for the zone margin). A rule over ``MAX_RULE_OCCURRENCES``, or a document over
``MAX_TOTAL_OCCURRENCES`` in all, raises ``ValueError`` (naming the event in the first case) rather
than hanging the sweep: an endless ``FREQ=SECONDLY`` rule always fails, an endless ``MINUTELY``
one from about two months before the window end, an endless ``HOURLY`` one from about eleven years,
while a daily event since 1990 costs about 13,000 steps and a ``COUNT`` caps the estimate. A
rule whose BY parts match no day at all (such as the 30th of February), which dateutil would scan
up to the year 9999 looking for, is found by a short probe and dropped: only its DTSTART and
RDATEs count (each such probe costs ``_FAILED_PROBE_COST`` of the document's bound). A rule whose
INTERVAL steps over its own days forever, or a rule finer than daily with BYSETPOS or with
INTERVAL and day filters (which cannot be probed cheaply), raises ``ValueError`` (see
``_never_matches``).

Input: bytes starting with ``BEGIN:VCALENDAR`` (after an optional byte-order mark); several
concatenated VCALENDARs are all read. Anything else raises ``ValueError`` with a short message for
the freelancer (it quotes at most one line of the feed, cut to 120 characters). An event the
expansion cannot read (a malformed rule or date) fails the whole document the same way rather than
being skipped: a silently missing busy block would let a client book over it.

Result: the busy intervals inside ``[start, end)``, clipped to it, sorted, with overlapping or
touching intervals merged, as aware datetimes in UTC (``tzinfo=datetime.UTC``).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from dateutil.rrule import rrulestr

MAX_RULE_OCCURRENCES = 100_000
MAX_TOTAL_OCCURRENCES = 250_000

# Expansion reaches this far past the window on both sides: any UTC offset (at most 26 hours)
# between a floating or all-day time and UTC, with room to spare. Results are clipped exactly.
_MARGIN = timedelta(days=2)

# The shortest length of one period of each frequency, in seconds.
_PERIOD_SECONDS = {
    "SECONDLY": 1,
    "MINUTELY": 60,
    "HOURLY": 3600,
    "DAILY": 86400,
    "WEEKLY": 7 * 86400,
    "MONTHLY": 28 * 86400,
    "YEARLY": 365 * 86400,
}
_FREQ_ORDER = ["SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"]

_CHECKED_PROPERTIES = ("DTSTART", "DTEND", "DURATION", "RECURRENCE-ID", "RRULE", "RDATE", "EXDATE")

# The BY parts that can filter out whole days, so that a rule may match no day at all.
_DAY_PARTS = ("BYMONTH", "BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY")
_SUB_DAILY = ("SECONDLY", "MINUTELY", "HOURLY")
# Probes of day patterns start here: a leap year with 28 years left before dateutil's year 9999.
_PROBE_YEAR = 9972
# What a probe that finds nothing costs at most: one step a day for 28 years.
_FAILED_PROBE_COST = 28 * 366


def busy_intervals(ics: bytes, *, tz: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Return the busy intervals of the calendar ``ics`` inside ``[start, end)`` (see the module).

    Raises ``ValueError`` when ``start`` or ``end`` is naive, when ``ics`` is not an iCalendar
    document, or when a recurrence rule would cost more work than the module's bounds allow.
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be an aware datetime")
    if end.tzinfo is None or end.utcoffset() is None:
        raise ValueError("end must be an aware datetime")
    start = start.astimezone(UTC)
    end = end.astimezone(UTC)
    if start >= end:
        return []
    calendars = _parse(ics)
    query_start, query_end = start - _MARGIN, end + _MARGIN
    budget = [MAX_TOTAL_OCCURRENCES]
    occurrences = []
    for calendar in calendars:
        _prepare(calendar, tz=tz, query_end=query_end, budget=budget)
        try:
            query = recurring_ical_events.of(calendar, components=["VEVENT"])
            occurrences.extend(query.between(query_start, query_end))
        except Exception as exc:  # the library's own errors for malformed rules and dates
            raise ValueError(f"This calendar has an event that cannot be read: {_short(exc)}") from exc
    intervals: list[tuple[datetime, datetime]] = []
    for event in occurrences:
        if not _is_busy(event):
            continue
        span = _span(event, tz)
        if span is None:
            continue
        lo, hi = max(span[0], start), min(span[1], end)
        if lo < hi:
            intervals.append((lo, hi))
    return merge_intervals(intervals)


def _parse(ics: bytes) -> list[icalendar.Calendar]:
    """The document's VCALENDARs (a feed may concatenate several), or ValueError."""
    if not isinstance(ics, bytes | bytearray):
        raise ValueError("The calendar must be given as bytes")
    if not bytes(ics).lstrip(b"\xef\xbb\xbf \t\r\n").upper().startswith(b"BEGIN:VCALENDAR"):
        raise ValueError("This is not an iCalendar (.ics) file: it does not start with BEGIN:VCALENDAR.")
    try:
        calendars = icalendar.Calendar.from_ical(bytes(ics), multiple=True)
    except Exception as exc:  # icalendar raises ValueError and, on odd input, others
        raise ValueError(f"This is not a valid iCalendar (.ics) file: {_short(exc)}") from exc
    if not calendars or any(getattr(c, "name", None) != "VCALENDAR" for c in calendars):
        raise ValueError("This is not an iCalendar (.ics) file: it has no VCALENDAR.")
    return calendars


def _short(exc: Exception) -> str:
    """An error's first line, cut short: messages quote the document, which may be private."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _is_busy(event: icalendar.cal.Component) -> bool:
    transp = str(event.get("TRANSP", "OPAQUE")).strip().upper()
    status = str(event.get("STATUS", "")).strip().upper()
    return transp != "TRANSPARENT" and status != "CANCELLED"


def _as_utc(value: date | datetime, tz: ZoneInfo) -> datetime:
    """An iCalendar time in UTC: a date is local midnight in ``tz``; a floating time is in ``tz``."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0), tzinfo=tz)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def _span(event: icalendar.cal.Component, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    """The occurrence's [start, end) in UTC, or None when it has no length."""
    if "DTSTART" not in event:
        return None
    begins = event.decoded("DTSTART")
    if "DTEND" in event:
        ends = event.decoded("DTEND")
    elif "DURATION" in event:
        ends = begins + event.decoded("DURATION")
    elif isinstance(begins, datetime):
        return None  # RFC 5545 3.6.1: a DATE-TIME start with no end is zero-length
    else:
        ends = begins + timedelta(days=1)
    lo, hi = _as_utc(begins, tz), _as_utc(ends, tz)
    return (lo, hi) if lo < hi else None


def merge_intervals(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """``intervals`` sorted, with overlapping or touching ones merged (empty ones dropped)."""
    merged: list[tuple[datetime, datetime]] = []
    for lo, hi in sorted(interval for interval in intervals if interval[1] > interval[0]):
        if merged and lo <= merged[-1][1]:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


def _label(event: icalendar.cal.Component) -> str:
    summary = str(event.get("SUMMARY", "")).strip()
    return f'"{summary[:60]}"' if summary else f"with UID {str(event.get('UID', '?'))[:60]}"


def _prepare(calendar: icalendar.Calendar, *, tz: ZoneInfo, query_end: datetime, budget: list[int]) -> None:
    """Check every VEVENT before expansion, naming the event in any error.

    Drops VEVENTs without DTSTART (they have no time to block), refuses unreadable times and
    rules, refuses rules that would cost too much to expand and drops rules that can never match.
    ``budget`` holds the occurrences still allowed for the whole document; it is spent here.
    """
    calendar.subcomponents = [c for c in calendar.subcomponents if not (c.name == "VEVENT" and "DTSTART" not in c)]
    for event in calendar.walk("VEVENT"):
        for key in _CHECKED_PROPERTIES:
            values = event.get(key)
            for value in values if isinstance(values, list) else [values]:
                if isinstance(value, icalendar.vBroken):  # icalendar 7 keeps unparsable values
                    problem = _short(value.parse_error) if value.parse_error else str(value)[:60]
                    raise ValueError(f"The event {_label(event)} has a {key} that cannot be read: {problem}")
        if "RRULE" in event:
            _check_rules(event, tz=tz, query_end=query_end, budget=budget)


def _check_rules(event: icalendar.cal.Component, *, tz: ZoneInfo, query_end: datetime, budget: list[int]) -> None:
    rules = event.get("RRULE")
    rules = rules if isinstance(rules, list) else [rules]
    wall = event.decoded("DTSTART")
    first = _as_utc(wall, tz)
    label = _label(event)
    kept = []
    for rule in rules:
        cost = _estimate(rule, first=first, tz=tz, query_end=query_end)
        if cost is None:
            raise ValueError(f"The event {label} has a RRULE that cannot be read: {_short(rule.to_ical().decode())}")
        if cost > MAX_RULE_OCCURRENCES:
            raise ValueError(
                f"The event {label} repeats too often to expand "
                f"(about {cost:,} repetitions up to this window, FREQ={_freq(rule)}); "
                "give it an end or a lower frequency."
            )
        if _never_matches(rule, wall, label):
            cost = _FAILED_PROBE_COST  # the probe walked its whole horizon
        else:
            kept.append(rule)
        budget[0] -= cost
        if budget[0] < 0:
            raise ValueError(
                "This calendar has too many repeating events to expand "
                f"(more than {MAX_TOTAL_OCCURRENCES:,} repetitions up to this window)."
            )
    if len(kept) != len(rules):
        del event["RRULE"]
        for rule in kept:
            event.add("RRULE", rule)


def _freq(rule: icalendar.vRecur) -> str:
    values = rule.get("FREQ") or [""]
    return str(values[0]).upper()


def _ints(rule: icalendar.vRecur, key: str) -> list[int] | None:
    values = rule.get(key)
    if values is None:
        return None
    try:
        return [int(v) for v in values]
    except (TypeError, ValueError):
        return None


def _never_matches(rule: icalendar.vRecur, wall: date | datetime, label: str) -> bool:
    """True for a rule whose BY parts match no day at all (the 30th of February).

    dateutil looks for the next match up to the year 9999: millions of steps for a daily rule
    that never matches. So the rule's day filters are probed first, from DTSTART's month, day and
    time in the leap year 9972 (dateutil takes the defaults for missing BY parts from DTSTART): any
    day pattern of weekdays, month days, year days and week numbers recurs within those 28 years,
    so a probe finds a match at once or gives up after at most one step a day. A DAILY or WEEKLY
    rule with an INTERVAL is probed again in its own phase, since it may step over its own days
    forever (every 7 days, on Tuesdays, from a Monday); that raises ``ValueError``. Rules finer
    than daily are probed at DAILY; those with BYSETPOS, or with INTERVAL and day filters, cannot
    be probed cheaply and are refused (no calendar application writes them).
    """
    freq = _freq(rule)
    interval = (_ints(rule, "INTERVAL") or [1])[0]
    days = {key: rule[key] for key in _DAY_PARTS if rule.get(key)}
    if freq in _SUB_DAILY:
        if rule.get("BYSETPOS") or (days and interval > 1):
            raise ValueError(
                f"The event {label} has a repeat rule too unusual to expand safely "
                f"(FREQ={freq} with BYSETPOS, or with INTERVAL and day filters)."
            )
        return bool(days) and not _probe({"FREQ": ["DAILY"], **days}, _probe_start(wall))
    if not days and not rule.get("BYSETPOS"):
        return False
    parts = {key: value for key, value in rule.items() if key not in ("UNTIL", "COUNT", "INTERVAL")}
    if not _probe(parts, _probe_start(wall)):
        return True
    step = {"DAILY": 1, "WEEKLY": 7}.get(freq)
    phased = _probe_start(wall, step * interval, years=28 * interval) if step else None
    if phased and interval > 1 and not _probe({**parts, "INTERVAL": [interval]}, phased):
        raise ValueError(f"The event {label} has a repeat rule whose INTERVAL never lands on its own days.")
    return False


def _probe_start(wall: date | datetime, step_days: int | None = None, years: int = 28) -> datetime:
    """DTSTART moved late: to 9972 keeping month, day and time, or whole ``step_days`` steps on to
    ``years`` before the year 10000 (a phased probe needs its INTERVAL times the 28 years to see
    every phase of the day pattern, in about as many steps)."""
    moment = wall if isinstance(wall, datetime) else datetime.combine(wall, time(0))
    moment = moment.replace(tzinfo=None, fold=0)
    if step_days is None:
        return moment.replace(year=_PROBE_YEAR)
    first_year = max(10_000 - years, moment.year)
    steps = max((date(first_year, 1, 1) - moment.date()).days // step_days, 0)
    return moment + timedelta(days=steps * step_days)


def _probe(parts: dict, dtstart: datetime) -> bool:
    """Whether the rule ``parts`` has any occurrence from ``dtstart`` to the year 9999."""
    try:
        rule = rrulestr(icalendar.vRecur(parts).to_ical().decode(), dtstart=dtstart)
        return next(iter(rule), None) is not None
    except (TypeError, ValueError, OverflowError):
        return True  # a rule dateutil cannot read fails later, with the library's message


def _estimate(rule: icalendar.vRecur, *, first: datetime, tz: ZoneInfo, query_end: datetime) -> int | None:
    """An upper estimate of the occurrences dateutil generates for ``rule`` up to ``query_end``."""
    freq = _freq(rule)
    if freq not in _PERIOD_SECONDS:
        return None
    interval = (_ints(rule, "INTERVAL") or [1])[0]
    if interval < 1:
        return None
    stop = query_end
    until = rule.get("UNTIL")
    if until:
        with contextlib.suppress(TypeError, ValueError):
            stop = min(stop, _as_utc(until[0], tz))
    seconds = max((stop - first).total_seconds(), 0.0)
    periods = math.floor(seconds / (_PERIOD_SECONDS[freq] * interval)) + 1
    rank = _FREQ_ORDER.index(freq)
    fan_out = 1
    # BY parts finer than FREQ multiply the occurrences of one period (coarser ones only limit,
    # and counting them too keeps the estimate an upper bound).
    for key in ("BYSECOND", "BYMINUTE", "BYHOUR", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH"):
        values = rule.get(key)
        if values:
            fan_out *= len(values)
    days = rule.get("BYDAY")
    if days:
        per_weekday = {"WEEKLY": 1, "MONTHLY": 5, "YEARLY": 53}.get(freq, 1) if rank >= 4 else 1
        fan_out *= len(days) * per_weekday
    cost = periods * fan_out
    count = _ints(rule, "COUNT")
    if count:
        cost = min(cost, max(count[0], 0))
    return cost

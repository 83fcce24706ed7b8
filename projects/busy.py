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
  blocks nothing. An end before the start is treated the same way.

Bounded work. dateutil, which expands the rules, walks every period from DTSTART up to the
window, so a rule's cost depends on its frequency and on how far DTSTART lies before the window
end, not only on the window. Before expanding, every RRULE gets an estimate of the occurrences
generated from DTSTART to the end of the window (or UNTIL, or COUNT if smaller): periods of
FREQ * INTERVAL times the fan-out of its BY* parts. A rule over ``MAX_RULE_OCCURRENCES``, or a
document over ``MAX_TOTAL_OCCURRENCES`` in all, raises ``ValueError`` naming the event, so an
endless ``FREQ=SECONDLY`` or ``MINUTELY`` rule over more than a few days fails with a clear
message instead of hanging the sweep, while a daily event since 1990 costs about 13,000 steps. A
rule whose BYMONTHDAY can never fall in its months (such as the 30th of February), which dateutil
would scan up to the year 9999 looking for, is dropped: only its DTSTART and RDATEs count.

Result: the busy intervals inside ``[start, end)``, clipped to it, sorted, with overlapping or
touching intervals merged, as aware datetimes in UTC (``tzinfo=datetime.UTC``).
"""

from __future__ import annotations

import contextlib
import math
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

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

# The longest month in which each day of the month can fall (for "30th of February" rules).
_DAYS_IN_MONTH = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}


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
    calendar = _parse(ics)
    query_start, query_end = start - _MARGIN, end + _MARGIN
    _check_rules(calendar, tz=tz, query_end=query_end)
    try:
        occurrences = recurring_ical_events.of(calendar, components=["VEVENT"]).between(query_start, query_end)
    except Exception as exc:  # the library's own errors for malformed rules and dates
        raise ValueError(f"This calendar has an event that cannot be read: {exc}") from exc
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
    return _merge(intervals)


def _parse(ics: bytes) -> icalendar.Calendar:
    if not isinstance(ics, bytes | bytearray):
        raise ValueError("The calendar must be given as bytes")
    if not bytes(ics).lstrip(b"\xef\xbb\xbf \t\r\n").upper().startswith(b"BEGIN:VCALENDAR"):
        raise ValueError("This is not an iCalendar (.ics) file: it does not start with BEGIN:VCALENDAR.")
    try:
        calendar = icalendar.Calendar.from_ical(bytes(ics))
    except Exception as exc:  # icalendar raises ValueError and, on odd input, others
        raise ValueError(f"This is not a valid iCalendar (.ics) file: {exc}") from exc
    if getattr(calendar, "name", None) != "VCALENDAR":
        raise ValueError("This is not an iCalendar (.ics) file: it has no VCALENDAR.")
    return calendar


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


def _merge(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for lo, hi in sorted(intervals):
        if merged and lo <= merged[-1][1]:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


def _label(event: icalendar.cal.Component) -> str:
    summary = str(event.get("SUMMARY", "")).strip()
    return f'"{summary[:60]}"' if summary else f"with UID {str(event.get('UID', '?'))[:60]}"


def _check_rules(calendar: icalendar.Calendar, *, tz: ZoneInfo, query_end: datetime) -> None:
    """Refuse rules that would cost too much to expand; drop rules that can never match."""
    total = 0
    for event in calendar.walk("VEVENT"):
        rules = event.get("RRULE")
        if rules is None or "DTSTART" not in event:
            continue
        rules = rules if isinstance(rules, list) else [rules]
        try:
            first = _as_utc(event.decoded("DTSTART"), tz)
        except Exception as exc:
            raise ValueError(f"The event {_label(event)} has a start that cannot be read: {exc}") from exc
        kept = []
        for rule in rules:
            if _never_matches(rule):
                continue
            kept.append(rule)
            cost = _estimate(rule, first=first, tz=tz, query_end=query_end)
            if cost is None:
                raise ValueError(f"The event {_label(event)} has a repeat rule that cannot be read.")
            if cost > MAX_RULE_OCCURRENCES:
                raise ValueError(
                    f"The event {_label(event)} repeats too often to expand "
                    f"(about {cost:,} repetitions up to this window, FREQ={_freq(rule)}); "
                    "give it an end or a lower frequency."
                )
            total += cost
            if total > MAX_TOTAL_OCCURRENCES:
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


def _never_matches(rule: icalendar.vRecur) -> bool:
    """True for a BYMONTHDAY that falls in none of the rule's months (the 30th of February)."""
    days = _ints(rule, "BYMONTHDAY")
    if not days:
        return False
    months = _ints(rule, "BYMONTH") or list(range(1, 13))
    longest = max((_DAYS_IN_MONTH.get(m, 0) for m in months), default=0)
    return all(not (1 <= abs(d) <= longest) for d in days)


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

"""A studio's working calendar: weekly opening hours, public holidays and time zone.

Pure functions: no ORM, no settings, no clock. Every datetime taken must be aware and every datetime
returned is aware and expressed in the studio's zone ``tz``.

Calendar model
    * ``working_hours`` maps a weekday (0 = Monday ... 6 = Sunday) to one local wall-clock interval
      ``(open, close)`` with ``open < close`` inside a single day; a missing weekday is closed.
    * ``holidays`` is ``(country, subdivision)`` as understood by the ``holidays`` package (its default
      public category, observed/substitute days included) or ``None`` for no holidays.
    * A working day is a local date whose weekday has an interval and which is not a holiday.
    * Working time is the half-open interval ``[open, close)`` of a working day: the opening instant is
      working time, the closing instant is not.

Daylight saving time
    Opening and closing times are local wall-clock times turned into instants with ``fold=0`` and
    normalised through UTC (RFC 5545 semantics). A wall-clock time that does not exist (spring-forward
    gap) is shifted forward by the gap: Europe/Berlin 02:30 on 2026-03-29 becomes 03:30 CEST. An
    ambiguous wall-clock time (autumn fold) resolves to its first occurrence (the summer-time one).
    Durations of working time are counted in local wall-clock time, so 09:00-18:00 is 9 working hours
    on every day, including a DST-change day (for ordinary hours the transition, at night, falls outside
    the interval and wall-clock time equals elapsed time anyway). A point inside an interval is placed by
    the same wall-clock rule, so in an (unusual) interval spanning a spring-forward gap, wall-clock times
    inside the gap land up to one gap later than the times just after it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from types import MappingProxyType

from holidays import country_holidays

from kernel.dates import as_utc

WorkingHours = Mapping[int, tuple[time, time]]
HolidaySpec = tuple[str, str | None]

MAX_DAYS_WITHOUT_OPENING = 2 * 366
"""How many consecutive closed days a search tolerates before declaring the calendar never opens."""

_ONE_DAY = timedelta(days=1)
_ONE_HOUR = timedelta(hours=1)


def validate_working_hours(working_hours: WorkingHours) -> None:
    """Raise ``ValueError`` unless every key is a weekday 0..6 and every value a naive ``open < close``."""
    for weekday, interval in working_hours.items():
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise ValueError(f"Weekday must be an integer from 0 (Monday) to 6 (Sunday), got {weekday!r}.")
        try:
            opens, closes = interval
        except (TypeError, ValueError):
            raise ValueError(f"Weekday {weekday}: expected (open, close), got {interval!r}.") from None
        if not isinstance(opens, time) or not isinstance(closes, time):
            raise ValueError(f"Weekday {weekday}: open and close must be datetime.time values.")
        if opens.tzinfo is not None or closes.tzinfo is not None:
            raise ValueError(f"Weekday {weekday}: open and close must be naive local wall-clock times.")
        if opens >= closes:
            raise ValueError(f"Weekday {weekday}: opening time {opens} must be before closing time {closes}.")


def validate_holiday_spec(spec: HolidaySpec | None) -> None:
    """Raise ``ValueError`` unless ``spec`` is ``None`` or a country/subdivision known to ``holidays``."""
    if spec is not None:
        country, subdivision = spec
        _country_holidays(country, subdivision, years=())


def holiday_calendar(spec: HolidaySpec | None, year: int) -> Mapping[date, str]:
    """Read-only ``{date: name}`` of the public holidays falling in ``year`` (observed days included).

    Cached per ``(country, subdivision, year)``. Neighbouring years are computed too, so an observed day
    that the ``holidays`` package attributes to the adjacent year (e.g. New Year's Day observed on
    December 31) is still found. Raises ``ValueError`` for an unknown country or subdivision.
    """
    if spec is None:
        return MappingProxyType({})
    country, subdivision = spec
    return _holidays_in_year(country, subdivision, year)


@lru_cache(maxsize=512)
def _holidays_in_year(country: str, subdivision: str | None, year: int) -> Mapping[date, str]:
    calendar = _country_holidays(country, subdivision, years=range(year - 1, year + 2))
    return MappingProxyType({day: name for day, name in calendar.items() if day.year == year})


def _country_holidays(country: str, subdivision: str | None, *, years: Iterable[int]) -> dict[date, str]:
    try:
        return dict(country_holidays(country, subdiv=subdivision, years=years))
    except NotImplementedError as error:
        raise ValueError(f"Unknown holiday calendar {(country, subdivision)!r}: {error}") from None


def is_holiday(day: date, holidays: HolidaySpec | None) -> bool:
    """Whether the local date ``day`` is a public holiday of ``holidays`` (``None``: never)."""
    return holidays is not None and day in holiday_calendar(holidays, day.year)


def is_working_day(day: date, *, working_hours: WorkingHours, holidays: HolidaySpec | None) -> bool:
    """Whether the local date ``day`` has opening hours and is not a holiday."""
    return day.weekday() in working_hours and not is_holiday(day, holidays)


def typical_day_hours(working_hours: WorkingHours) -> float:
    """Length in hours of the studio's most common working day; ties go to the longer length.

    This is the amount of the "one business day" SLA preset (9.0 for 09:00-18:00). Lengths are
    wall-clock hours. Raises ``ValueError`` when no weekday is open, because no business-hours SLA can
    be met on such a calendar anyway.
    """
    validate_working_hours(working_hours)
    if not working_hours:
        raise ValueError("No open weekday: a typical working day is undefined.")
    lengths = Counter(_wall_clock_length(opens, closes) for opens, closes in working_hours.values())
    _count, length = max((count, length) for length, count in lengths.items())
    return length / _ONE_HOUR


def weekdays_closed_at(hour: int, working_hours: WorkingHours) -> list[int]:
    """The open weekdays on which local ``hour``:00 falls outside working time (before opening or from closing)."""
    at = time(hour)
    return sorted(day for day, (opens, closes) in working_hours.items() if not opens <= at < closes)


def opening_hours_on(
    day: date,
    *,
    tz: tzinfo,
    working_hours: WorkingHours,
    holidays: HolidaySpec | None,
) -> tuple[datetime, datetime] | None:
    """The aware ``(opening, closing)`` instants of the local date ``day``, or ``None`` if it is closed.

    Also ``None`` when DST normalisation leaves nothing open (an opening inside a spring-forward gap
    shifted past the closing time).
    """
    if not is_working_day(day, working_hours=working_hours, holidays=holidays):
        return None
    opens, closes = working_hours[day.weekday()]
    opening = _local_instant(datetime.combine(day, opens), tz)
    closing = _local_instant(datetime.combine(day, closes), tz)
    return (opening, closing) if as_utc(opening) < as_utc(closing) else None


def is_working_time(
    at: datetime,
    *,
    tz: tzinfo,
    working_hours: WorkingHours,
    holidays: HolidaySpec | None,
) -> bool:
    """Whether the aware instant ``at`` lies in ``[opening, closing)`` of its local working day."""
    instant = as_utc(at)
    local_date = instant.astimezone(tz).date()
    hours = opening_hours_on(local_date, tz=tz, working_hours=working_hours, holidays=holidays)
    return hours is not None and as_utc(hours[0]) <= instant < as_utc(hours[1])


def working_intervals(
    start: datetime,
    *,
    tz: tzinfo,
    working_hours: WorkingHours,
    holidays: HolidaySpec | None,
) -> Iterator[tuple[datetime, datetime]]:
    """Yield the working intervals ``[begin, end)`` from ``start`` onward, in chronological order.

    One interval per working day, starting with ``start``'s local date; an interval that contains
    ``start`` is clipped to begin at ``start``, intervals ending at or before ``start`` are skipped.
    The iterator is endless for a calendar that opens; it raises ``ValueError`` when the calendar has
    no open weekday, or after ``MAX_DAYS_WITHOUT_OPENING`` consecutive closed days.
    """
    _require_an_open_weekday(working_hours)
    start = as_utc(start)
    day = start.astimezone(tz).date()
    closed_days = 0
    while closed_days <= MAX_DAYS_WITHOUT_OPENING:
        hours = opening_hours_on(day, tz=tz, working_hours=working_hours, holidays=holidays)
        if hours is not None and as_utc(hours[1]) > start:
            closed_days = 0
            yield max(as_utc(hours[0]), start).astimezone(tz), hours[1]
        else:
            closed_days += 1
        day += _ONE_DAY
    raise _never_opens()


def next_working_instant(
    at: datetime,
    *,
    tz: tzinfo,
    working_hours: WorkingHours,
    holidays: HolidaySpec | None,
) -> datetime:
    """``at`` itself if it is working time, otherwise the next opening instant (where an SLA clock starts)."""
    begin, _end = next(working_intervals(at, tz=tz, working_hours=working_hours, holidays=holidays))
    return begin


def next_opening(
    at: datetime,
    *,
    tz: tzinfo,
    working_hours: WorkingHours,
    holidays: HolidaySpec | None,
) -> datetime:
    """The first opening instant at or after ``at`` (``at`` itself if it is exactly an opening instant).

    During working time this is the *next* working day's opening, not ``at``; an SLA clock starts at
    ``next_working_instant`` instead. Raises ``ValueError`` like ``working_intervals``.
    """
    _require_an_open_weekday(working_hours)
    instant = as_utc(at)
    day = instant.astimezone(tz).date()
    for _ in range(MAX_DAYS_WITHOUT_OPENING + 1):
        hours = opening_hours_on(day, tz=tz, working_hours=working_hours, holidays=holidays)
        if hours is not None and as_utc(hours[0]) >= instant:
            return hours[0]
        day += _ONE_DAY
    raise _never_opens()


def add_working_time(
    start: datetime,
    duration: timedelta,
    *,
    tz: tzinfo,
    working_hours: WorkingHours,
    holidays: HolidaySpec | None,
) -> datetime:
    """The earliest instant by which ``duration`` of working time has elapsed since ``start``.

    The clock runs only during working time (from ``start`` if that is working time, else from the next
    opening). Landing exactly on a closing instant returns that closing instant, not the next opening.
    Working time is counted in local wall-clock time (see the module docstring); the result is never
    earlier than the clock start. ``duration`` must be positive.
    """
    if duration <= timedelta(0):
        raise ValueError(f"Duration of working time must be positive, got {duration}.")
    remaining = duration
    for begin, end in working_intervals(start, tz=tz, working_hours=working_hours, holidays=holidays):
        available = wall_clock(end) - wall_clock(begin)
        if remaining <= available:
            due = _local_instant(wall_clock(begin) + remaining, tz, fold=begin.fold)
            return max(begin, min(due, end, key=as_utc), key=as_utc)
        remaining -= available
    raise AssertionError("unreachable: working_intervals is endless or raises")  # pragma: no cover


def _require_an_open_weekday(working_hours: WorkingHours) -> None:
    validate_working_hours(working_hours)
    if not working_hours:
        raise ValueError("The working calendar has no open weekday, so it never opens.")


def _never_opens() -> ValueError:
    return ValueError(f"The working calendar does not open for {MAX_DAYS_WITHOUT_OPENING} days in a row.")


def _local_instant(naive: datetime, tz: tzinfo, *, fold: int = 0) -> datetime:
    """The aware instant for a naive local wall-clock time, normalised so that it really exists in ``tz``."""
    return naive.replace(tzinfo=tz, fold=fold).astimezone(UTC).astimezone(tz)


def wall_clock(at: datetime) -> datetime:
    """The naive local time ``at`` shows, for wall-clock arithmetic within one zone."""
    return at.replace(tzinfo=None, fold=0)


def _wall_clock_length(opens: time, closes: time) -> timedelta:
    return datetime.combine(date.min, closes) - datetime.combine(date.min, opens)

"""Busy time from the freelancer's own calendars never offered for booking (pure slot logic).

Busy blocks are excluded exactly (no call buffer around them) and, not being calls, do not count
toward the calls-per-day limit.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from projects.busy import merge_intervals
from projects.calls import available_slots, slot_is_free

BERLIN = ZoneInfo("Europe/Berlin")
EVERY_DAY = {day: (time(9), time(18)) for day in range(7)}
# Monday 5 October 2026, 08:00 in Berlin.
MONDAY_0800 = datetime(2026, 10, 5, 8, 0, tzinfo=BERLIN)


def arguments(**overrides) -> dict:
    return {
        "now": MONDAY_0800,
        "tz": BERLIN,
        "working_hours": EVERY_DAY,
        "holidays": None,
        "duration_minutes": 30,
        "buffer_minutes": 15,
        "min_notice_hours": 0,
        "max_per_day": 10,
        "days_ahead": 0,
        "booked": [],
        **overrides,
    }


def local(found: list[datetime]) -> list[str]:
    return [slot.astimezone(BERLIN).strftime("%d %H:%M") for slot in found]


def at(day: int, hour: int, minute: int = 0, *, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


def test_a_busy_block_is_excluded_exactly_without_the_call_buffer():
    busy = [(at(5, 10), at(5, 11))]

    found = local(available_slots(**arguments(busy=busy)))

    assert "05 09:30" in found  # ends at 10:00, where the busy time starts: no buffer around busy time
    assert "05 09:45" not in found
    assert not any(slot in found for slot in ("05 10:00", "05 10:15", "05 10:30", "05 10:45"))
    assert "05 11:00" in found
    assert slot_is_free(at(5, 11), **arguments(busy=busy))
    assert not slot_is_free(at(5, 10, 45), **arguments(busy=busy))
    # A booked call at the same time is widened by the 15-minute buffer on both sides.
    booked = local(available_slots(**arguments(booked=busy)))
    assert "05 09:30" not in booked
    assert "05 11:00" not in booked


def test_busy_blocks_do_not_count_toward_the_calls_per_day_limit():
    busy = [(at(5, 9), at(5, 9, 30)), (at(5, 12), at(5, 13))]

    found = local(available_slots(**arguments(busy=busy, max_per_day=1)))

    assert found[0] == "05 09:30"
    assert "05 13:00" in found
    # One booked call does reach the limit.
    assert available_slots(**arguments(booked=[(at(5, 15), at(5, 15, 30))], max_per_day=1)) == []


def test_an_all_day_event_blocks_the_local_day_of_25_hours_on_the_dst_change():
    # Sunday 25 October 2026: Berlin goes from CEST (UTC+2) to CET (UTC+1) at 03:00; the day has 25 hours.
    # An all-day event that day is busy from local midnight to local midnight (as projects.busy reads it).
    sunday = (datetime(2026, 10, 24, 22, 0, tzinfo=UTC), datetime(2026, 10, 25, 23, 0, tzinfo=UTC))
    assert sunday[1] - sunday[0] == timedelta(hours=25)
    saturday_evening = datetime(2026, 10, 24, 20, 0, tzinfo=BERLIN)

    found = available_slots(**arguments(now=saturday_evening, days_ahead=2, busy=[sunday]))

    days = {slot.astimezone(BERLIN).date() for slot in found}
    assert days == {date(2026, 10, 26)}  # Saturday is over, Sunday blocked, Monday wholly free
    monday = local(found)
    assert monday[0] == "26 09:00"
    assert monday[-1] == "26 17:30"
    assert not slot_is_free(at(25, 17, 30), **arguments(now=saturday_evening, days_ahead=2, busy=[sunday]))
    assert slot_is_free(at(26, 9), **arguments(now=saturday_evening, days_ahead=2, busy=[sunday]))


def test_one_utc_busy_hour_falls_on_different_local_hours_either_side_of_the_dst_change():
    # 08:00–09:00 UTC each day: 10:00–11:00 in CEST (Saturday 24 October), 09:00–10:00 in CET (Monday 26th).
    busy = [(datetime(2026, 10, day, 8, 0, tzinfo=UTC), datetime(2026, 10, day, 9, 0, tzinfo=UTC)) for day in (24, 26)]
    friday_night = datetime(2026, 10, 23, 22, 0, tzinfo=BERLIN)

    found = local(available_slots(**arguments(now=friday_night, days_ahead=3, busy=busy)))

    assert "24 09:30" in found
    assert "24 10:00" not in found
    assert "24 10:30" not in found
    assert "24 11:00" in found
    assert "26 09:00" not in found
    assert "26 09:30" not in found
    assert "26 10:00" in found
    assert "25 09:00" in found  # Sunday, nothing busy


def test_an_overnight_busy_block_across_the_change_blocks_both_mornings_it_covers():
    # Busy from Saturday 17:00 CEST to Sunday 10:00 CET (18 hours of elapsed time, 17 on the wall clock + 1).
    busy = [(at(24, 17).astimezone(UTC), at(25, 10).astimezone(UTC))]
    assert busy[0][1] - busy[0][0] == timedelta(hours=18)

    found = local(
        available_slots(**arguments(now=datetime(2026, 10, 24, 8, 0, tzinfo=BERLIN), days_ahead=1, busy=busy))
    )

    assert found[0] == "24 09:00"
    assert "24 16:30" in found
    assert "24 17:00" not in found
    assert not any(slot.startswith("25 09") for slot in found)
    assert "25 10:00" in found


def test_ten_thousand_busy_blocks_leave_exactly_the_gaps_between_them():
    # Busy every other quarter hour for 10,000 quarter hours (~104 days): only slots in the gaps, none at all
    # for a 30-minute call.
    start = datetime(2026, 10, 5, 0, 0, tzinfo=UTC)
    busy = [(start + timedelta(minutes=30 * k), start + timedelta(minutes=30 * k + 15)) for k in range(10_000)]

    quarter = available_slots(**arguments(duration_minutes=15, buffer_minutes=0, days_ahead=60, busy=busy))
    half = available_slots(**arguments(duration_minutes=30, buffer_minutes=0, days_ahead=60, busy=busy))

    assert half == []
    assert quarter
    assert all(slot.astimezone(UTC).minute in (15, 45) for slot in quarter)


def test_merge_intervals_joins_overlapping_and_touching_ones():
    a, b, c, d = (datetime(2026, 1, 1, hour, tzinfo=UTC) for hour in (1, 2, 3, 4))
    assert merge_intervals([(c, d), (a, b), (b, c)]) == [(a, d)]
    assert merge_intervals([(a, c), (b, b), (a, b)]) == [(a, c)]
    assert merge_intervals([(a, b), (c, d)]) == [(a, b), (c, d)]
    assert merge_intervals([]) == []

"""projects.busy.busy_intervals: what one iCalendar document blocks. Pure: no database, no clock."""

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from projects import busy
from projects.busy import busy_intervals

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def ics(*events: str, extra: str = "") -> bytes:
    """A calendar of the given VEVENT bodies (one property a line); ``extra`` goes in verbatim."""
    body = "".join(
        "BEGIN:VEVENT\n" + "\n".join(line.strip() for line in e.strip().splitlines()) + "\nEND:VEVENT\n" for e in events
    )
    text = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Rapport tests//EN\n" + extra + body + "END:VCALENDAR\n"
    return text.replace("\n", "\r\n").encode()


def march(ics_bytes: bytes, tz: ZoneInfo = BERLIN) -> list[tuple[datetime, datetime]]:
    return busy_intervals(ics_bytes, tz=tz, start=utc(2026, 3, 1), end=utc(2026, 4, 1))


def test_plain_event_is_busy_in_utc():
    result = march(ics("UID:1\nDTSTART:20260310T090000Z\nDTEND:20260310T100000Z"))
    assert result == [(utc(2026, 3, 10, 9), utc(2026, 3, 10, 10))]
    assert all(lo.tzinfo is UTC and hi.tzinfo is UTC for lo, hi in result)


def test_transparent_and_cancelled_events_are_not_busy():
    calendar = ics(
        "UID:free\nDTSTART:20260310T090000Z\nDTEND:20260310T100000Z\nTRANSP:TRANSPARENT",
        "UID:gone\nDTSTART:20260311T090000Z\nDTEND:20260311T100000Z\nSTATUS:CANCELLED",
        "UID:busy\nDTSTART:20260312T090000Z\nDTEND:20260312T100000Z\nTRANSP:OPAQUE\nSTATUS:CONFIRMED",
    )
    assert march(calendar) == [(utc(2026, 3, 12, 9), utc(2026, 3, 12, 10))]


def test_todo_and_other_components_are_ignored():
    extra = (
        "BEGIN:VTODO\nUID:t\nDTSTART:20260310T090000Z\nDUE:20260310T100000Z\nEND:VTODO\n"
        "BEGIN:VJOURNAL\nUID:j\nDTSTART:20260311T090000Z\nEND:VJOURNAL\n"
    )
    assert march(ics(extra=extra)) == []


def test_duration_counts_like_dtend():
    calendar = ics("UID:1\nDTSTART:20260310T090000Z\nDURATION:PT1H30M")
    assert march(calendar) == [(utc(2026, 3, 10, 9), utc(2026, 3, 10, 10, 30))]


def test_date_time_start_without_end_is_zero_length_and_date_start_lasts_a_day():
    calendar = ics("UID:instant\nDTSTART:20260310T090000Z", "UID:day\nDTSTART;VALUE=DATE:20260312")
    assert march(calendar) == [(utc(2026, 3, 11, 23), utc(2026, 3, 12, 23))]


def test_all_day_event_on_spring_forward_day_blocks_23_hours():
    calendar = ics("UID:1\nDTSTART;VALUE=DATE:20260329\nDTEND;VALUE=DATE:20260330")
    [(lo, hi)] = march(calendar)
    assert (lo, hi) == (utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))
    assert hi - lo == timedelta(hours=23)


def test_all_day_event_on_autumn_day_blocks_25_hours():
    calendar = ics("UID:1\nDTSTART;VALUE=DATE:20261025\nDTEND;VALUE=DATE:20261026")
    [(lo, hi)] = busy_intervals(calendar, tz=BERLIN, start=utc(2026, 10, 1), end=utc(2026, 11, 1))
    assert (lo, hi) == (utc(2026, 10, 24, 22), utc(2026, 10, 25, 23))
    assert hi - lo == timedelta(hours=25)


def test_floating_time_is_read_in_the_studio_zone():
    calendar = ics("UID:1\nDTSTART:20260310T090000\nDTEND:20260310T100000")
    assert march(calendar, BERLIN) == [(utc(2026, 3, 10, 8), utc(2026, 3, 10, 9))]
    assert march(calendar, NEW_YORK) == [(utc(2026, 3, 10, 13), utc(2026, 3, 10, 14))]


VTIMEZONE_NY = """BEGIN:VTIMEZONE
TZID:Eastern Custom
BEGIN:STANDARD
DTSTART:19701101T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700308T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
END:DAYLIGHT
END:VTIMEZONE
"""


def test_tzid_with_a_vtimezone_block_in_the_document():
    # 9 March 2026 is the Monday after the US switch to EDT (UTC-4); 6 March is still EST (UTC-5).
    calendar = ics(
        "UID:1\nDTSTART;TZID=Eastern Custom:20260306T090000\nDTEND;TZID=Eastern Custom:20260306T100000",
        "UID:2\nDTSTART;TZID=Eastern Custom:20260309T090000\nDTEND;TZID=Eastern Custom:20260309T100000",
        extra=VTIMEZONE_NY,
    )
    assert march(calendar) == [
        (utc(2026, 3, 6, 14), utc(2026, 3, 6, 15)),
        (utc(2026, 3, 9, 13), utc(2026, 3, 9, 14)),
    ]


def test_iana_tzid_and_unknown_tzid_read_as_floating_in_the_studio_zone():
    calendar = ics(
        "UID:1\nDTSTART;TZID=America/New_York:20260310T090000\nDTEND;TZID=America/New_York:20260310T100000",
        "UID:2\nDTSTART;TZID=Mars/Olympus:20260311T090000\nDTEND;TZID=Mars/Olympus:20260311T100000",
    )
    assert march(calendar, BERLIN) == [
        (utc(2026, 3, 10, 13), utc(2026, 3, 10, 14)),
        (utc(2026, 3, 11, 8), utc(2026, 3, 11, 9)),
    ]


def test_weekly_rule_with_exdate():
    calendar = ics(
        "UID:1\nDTSTART:20260302T090000Z\nDTEND:20260302T100000Z\nRRULE:FREQ=WEEKLY;COUNT=5\nEXDATE:20260316T090000Z"
    )
    assert [lo.day for lo, _ in march(calendar)] == [2, 9, 23, 30]


def test_weekly_rule_in_a_zone_keeps_local_time_across_dst():
    calendar = ics("UID:1\nDTSTART;TZID=Europe/Berlin:20260323T090000\nDURATION:PT1H\nRRULE:FREQ=WEEKLY")
    assert march(calendar) == [
        (utc(2026, 3, 23, 8), utc(2026, 3, 23, 9)),
        (utc(2026, 3, 30, 7), utc(2026, 3, 30, 8)),
    ]


def test_rdate_adds_instances_and_a_period_rdate_has_its_own_length():
    calendar = ics(
        "UID:1\nDTSTART:20260302T090000Z\nDTEND:20260302T100000Z\n"
        "RDATE:20260304T120000Z\n"
        "RDATE;VALUE=PERIOD:20260306T150000Z/20260306T180000Z"
    )
    assert march(calendar) == [
        (utc(2026, 3, 2, 9), utc(2026, 3, 2, 10)),
        (utc(2026, 3, 4, 12), utc(2026, 3, 4, 13)),
        (utc(2026, 3, 6, 15), utc(2026, 3, 6, 18)),
    ]


def test_recurrence_id_overrides_move_and_cancel_instances():
    series = "UID:s\nDTSTART:20260302T090000Z\nDTEND:20260302T100000Z\nRRULE:FREQ=WEEKLY;COUNT=4"
    moved = "UID:s\nRECURRENCE-ID:20260309T090000Z\nDTSTART:20260310T140000Z\nDTEND:20260310T150000Z"
    cancelled = "UID:s\nRECURRENCE-ID:20260316T090000Z\nDTSTART:20260316T090000Z\nSTATUS:CANCELLED"
    made_free = (
        "UID:s\nRECURRENCE-ID:20260323T090000Z\nDTSTART:20260323T090000Z\nDTEND:20260323T100000Z\nTRANSP:TRANSPARENT"
    )
    assert march(ics(series, moved, cancelled, made_free)) == [
        (utc(2026, 3, 2, 9), utc(2026, 3, 2, 10)),
        (utc(2026, 3, 10, 14), utc(2026, 3, 10, 15)),
    ]


def test_override_moved_into_the_window_from_outside_counts_and_one_moved_out_frees_its_slot():
    series = "UID:s\nDTSTART:20260302T090000Z\nDTEND:20260302T100000Z\nRRULE:FREQ=WEEKLY;COUNT=6"
    moved_in = "UID:s\nRECURRENCE-ID:20260406T090000Z\nDTSTART:20260331T120000Z\nDTEND:20260331T130000Z"
    moved_out = "UID:s\nRECURRENCE-ID:20260330T090000Z\nDTSTART:20260407T120000Z\nDTEND:20260407T130000Z"
    result = march(ics(series, moved_in, moved_out))
    assert [lo for lo, _ in result] == [
        utc(2026, 3, 2, 9),
        utc(2026, 3, 9, 9),
        utc(2026, 3, 16, 9),
        utc(2026, 3, 23, 9),
        utc(2026, 3, 31, 12),
    ]


def test_this_and_future_override_moves_the_rest_of_the_series():
    series = "UID:s\nDTSTART:20260302T090000Z\nDTEND:20260302T100000Z\nRRULE:FREQ=WEEKLY;COUNT=5"
    rest = "UID:s\nRECURRENCE-ID;RANGE=THISANDFUTURE:20260316T090000Z\nDTSTART:20260316T150000Z\nDTEND:20260316T160000Z"
    assert [lo.hour for lo, _ in march(ics(series, rest))] == [9, 9, 15, 15, 15]


def test_opaque_override_of_a_transparent_series_is_busy():
    series = "UID:s\nDTSTART:20260302T090000Z\nDTEND:20260302T100000Z\nRRULE:FREQ=DAILY;COUNT=3\nTRANSP:TRANSPARENT"
    override = "UID:s\nRECURRENCE-ID:20260303T090000Z\nDTSTART:20260303T090000Z\nDTEND:20260303T100000Z"
    assert march(ics(series, override)) == [(utc(2026, 3, 3, 9), utc(2026, 3, 3, 10))]


def test_endless_daily_rule_over_ten_years_is_clipped():
    calendar = ics("UID:1\nDTSTART:20200101T233000Z\nDTEND:20200102T003000Z\nRRULE:FREQ=DAILY")
    result = busy_intervals(calendar, tz=BERLIN, start=utc(2026, 1, 1), end=utc(2036, 1, 1))
    days = (utc(2036, 1, 1) - utc(2026, 1, 1)).days
    assert len(result) == days + 1  # the 2025-12-31 instance spills into the window
    assert result[0] == (utc(2026, 1, 1), utc(2026, 1, 1, 0, 30))
    assert result[-1] == (utc(2035, 12, 31, 23, 30), utc(2036, 1, 1))


@pytest.mark.parametrize("freq", ["SECONDLY", "MINUTELY"])
def test_endless_sub_hourly_rule_over_a_long_window_is_refused_clearly(freq):
    calendar = ics(f"UID:1\nSUMMARY:Ping\nDTSTART:20260101T000000Z\nDURATION:PT1S\nRRULE:FREQ={freq}")
    with pytest.raises(ValueError, match=r'"Ping" repeats too often'):
        busy_intervals(calendar, tz=BERLIN, start=utc(2026, 1, 1), end=utc(2036, 1, 1))


def test_secondly_rule_with_a_count_is_within_the_bound_and_merges():
    calendar = ics("UID:1\nDTSTART:20260310T090000Z\nDURATION:PT1S\nRRULE:FREQ=SECONDLY;COUNT=900")
    result = busy_intervals(calendar, tz=BERLIN, start=utc(2026, 3, 10, 9), end=utc(2026, 3, 10, 9, 10))
    assert result == [(utc(2026, 3, 10, 9), utc(2026, 3, 10, 9, 10))]


def test_dtstart_far_before_the_window_counts_toward_the_bound():
    # dateutil walks from DTSTART: an endless hourly rule since 1990 is over the bound even for a
    # one-day window.
    calendar = ics("UID:1\nSUMMARY:Old\nDTSTART:19900101T000000Z\nDURATION:PT1M\nRRULE:FREQ=HOURLY")
    assert busy.MAX_RULE_OCCURRENCES < 36 * 365 * 24
    with pytest.raises(ValueError, match="repeats too often"):
        busy_intervals(calendar, tz=BERLIN, start=utc(2026, 3, 10), end=utc(2026, 3, 11))


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=HOURLY;BYMONTH=4;BYMONTHDAY=31",
        "FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=20",
        "FREQ=DAILY;BYWEEKNO=1;BYMONTH=6",
        "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=10",
    ],
)
def test_rule_that_can_never_match_is_dropped_and_keeps_its_start(rule):
    # dateutil would scan to the year 9999 for the next match (seconds of work for each such rule).
    calendar = ics(f"UID:1\nDTSTART:20260301T090000Z\nDTEND:20260301T100000Z\nRRULE:{rule}")
    assert busy_intervals(calendar, tz=BERLIN, start=utc(2026, 1, 1), end=utc(2036, 1, 1)) == [
        (utc(2026, 3, 1, 9), utc(2026, 3, 1, 10))
    ]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=DAILY;INTERVAL=7;BYDAY=TU", "INTERVAL never lands on its own days"),  # from a Monday
        ("FREQ=WEEKLY;INTERVAL=2;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO", None),  # rare, but it lands
        ("FREQ=MINUTELY;BYSETPOS=2", "too unusual to expand safely"),
        ("FREQ=HOURLY;INTERVAL=168;BYDAY=TU", "too unusual to expand safely"),
    ],
)
def test_rules_that_would_scan_to_the_year_9999_are_refused_or_bounded(rule, message):
    calendar = ics(f"UID:1\nSUMMARY:Odd\nDTSTART:20260302T090000Z\nDURATION:PT1M\nRRULE:{rule}")
    if message is None:
        assert march(calendar) == [(utc(2026, 3, 2, 9), utc(2026, 3, 2, 9, 1))]
    else:
        with pytest.raises(ValueError, match=f'"Odd" has a repeat rule .*{message}'):
            march(calendar)


def test_common_rules_pass_the_probes():
    calendar = ics(
        "UID:1\nDTSTART:20260302T090000Z\nDURATION:PT1H\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH",
        "UID:2\nDTSTART:20260327T150000Z\nDURATION:PT1H\nRRULE:FREQ=MONTHLY;BYDAY=-1FR",
        "UID:3\nDTSTART:20260303T070000Z\nDURATION:PT30M\nRRULE:FREQ=DAILY;INTERVAL=7;BYDAY=TU",
    )
    assert [lo.day for lo, _ in march(calendar)] == [2, 3, 5, 10, 16, 17, 19, 24, 27, 30, 31]


def test_rare_but_possible_rule_is_kept():
    calendar = ics("UID:1\nDTSTART:20260301T090000Z\nDTEND:20260301T100000Z\nRRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29")
    result = busy_intervals(calendar, tz=BERLIN, start=utc(2026, 1, 1), end=utc(2036, 1, 1))
    assert [lo.date().isoformat() for lo, _ in result] == ["2026-03-01", "2028-02-29", "2032-02-29"]


def test_many_rules_within_the_rule_bound_but_over_the_document_bound_are_refused():
    hourly = "DTSTART:20260101T000000Z\nDURATION:PT1M\nRRULE:FREQ=HOURLY"
    hours = 4 * 365 * 24  # each rule alone is within the bound; eight together are not
    assert hours < busy.MAX_RULE_OCCURRENCES < busy.MAX_TOTAL_OCCURRENCES < 8 * hours
    calendar = ics(*(f"UID:{i}\n{hourly}" for i in range(8)))
    with pytest.raises(ValueError, match="too many repeating events"):
        busy_intervals(calendar, tz=BERLIN, start=utc(2026, 1, 1), end=utc(2030, 1, 1))


def test_all_day_weekly_series_with_a_date_exdate():
    calendar = ics(
        "UID:1\nDTSTART;VALUE=DATE:20260302\nDTEND;VALUE=DATE:20260303\nRRULE:FREQ=WEEKLY;UNTIL=20260330\n"
        "EXDATE;VALUE=DATE:20260309"
    )
    assert march(calendar) == [
        (utc(2026, 3, 1, 23), utc(2026, 3, 2, 23)),
        (utc(2026, 3, 15, 23), utc(2026, 3, 16, 23)),
        (utc(2026, 3, 22, 23), utc(2026, 3, 23, 23)),
        (utc(2026, 3, 29, 22), utc(2026, 3, 30, 22)),
    ]


def test_several_concatenated_calendars_and_a_byte_order_mark_are_read():
    first = ics("UID:1\nDTSTART:20260310T090000Z\nDTEND:20260310T100000Z")
    second = ics("UID:2\nDTSTART:20260311T090000Z\nDTEND:20260311T100000Z")
    assert march(b"\xef\xbb\xbf" + first + second) == [
        (utc(2026, 3, 10, 9), utc(2026, 3, 10, 10)),
        (utc(2026, 3, 11, 9), utc(2026, 3, 11, 10)),
    ]


def test_clipped_to_the_window():
    calendar = ics(
        "UID:1\nDTSTART:20260228T220000Z\nDTEND:20260301T020000Z",
        "UID:2\nDTSTART:20260331T230000Z\nDTEND:20260401T010000Z",
        "UID:3\nDTSTART:20260401T000000Z\nDTEND:20260401T010000Z",
        "UID:4\nDTSTART:20260228T000000Z\nDTEND:20260301T000000Z",
    )
    assert march(calendar) == [
        (utc(2026, 3, 1), utc(2026, 3, 1, 2)),
        (utc(2026, 3, 31, 23), utc(2026, 4, 1)),
    ]


def test_overlapping_and_touching_intervals_merge_and_come_sorted():
    calendar = ics(
        "UID:c\nDTSTART:20260320T090000Z\nDTEND:20260320T100000Z",
        "UID:a\nDTSTART:20260310T090000Z\nDTEND:20260310T110000Z",
        "UID:b\nDTSTART:20260310T100000Z\nDTEND:20260310T120000Z",
        "UID:d\nDTSTART:20260310T120000Z\nDTEND:20260310T130000Z",
        "UID:e\nDTSTART:20260310T103000Z\nDTEND:20260310T104500Z",
    )
    assert march(calendar) == [
        (utc(2026, 3, 10, 9), utc(2026, 3, 10, 13)),
        (utc(2026, 3, 20, 9), utc(2026, 3, 20, 10)),
    ]


def test_window_given_in_another_zone_is_honoured_and_empty_window_is_empty():
    calendar = ics("UID:1\nDTSTART:20260310T090000Z\nDTEND:20260310T100000Z")
    start = datetime(2026, 3, 10, 10, 30, tzinfo=BERLIN)  # 09:30 UTC
    assert busy_intervals(calendar, tz=BERLIN, start=start, end=start + timedelta(hours=2)) == [
        (utc(2026, 3, 10, 9, 30), utc(2026, 3, 10, 10))
    ]
    assert busy_intervals(calendar, tz=BERLIN, start=start, end=start) == []
    assert busy_intervals(calendar, tz=BERLIN, start=start, end=start - timedelta(days=1)) == []


def test_naive_start_or_end_is_refused():
    calendar = ics("UID:1\nDTSTART:20260310T090000Z\nDTEND:20260310T100000Z")
    with pytest.raises(ValueError, match="aware"):
        busy_intervals(calendar, tz=BERLIN, start=datetime(2026, 3, 1), end=utc(2026, 4, 1))
    with pytest.raises(ValueError, match="aware"):
        busy_intervals(calendar, tz=BERLIN, start=utc(2026, 3, 1), end=datetime(2026, 4, 1))


def test_event_without_dtstart_is_skipped_and_an_end_before_the_start_is_swapped():
    calendar = ics(
        "UID:timeless\nDTEND:20260303T000000Z\nSUMMARY:No start",
        "UID:backwards\nDTSTART:20260310T100000Z\nDTEND:20260310T090000Z",
    )
    assert march(calendar) == [(utc(2026, 3, 10, 9), utc(2026, 3, 10, 10))]


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("RRULE:FREQ=FORTNIGHTLY", "RRULE"),
        ("RRULE:INTERVAL=2", "RRULE"),
        ("EXDATE:2026031", "EXDATE"),
    ],
)
def test_an_unreadable_event_fails_the_document_naming_the_event(line, key):
    # Skipping it silently would let a client book over it: the refresh shows the error instead.
    calendar = ics(f"UID:1\nSUMMARY:Dentist\nDTSTART:20260310T090000Z\nDTEND:20260310T100000Z\n{line}")
    with pytest.raises(ValueError, match=f'"Dentist" has a {key} that cannot be read'):
        march(calendar)


def test_an_unreadable_start_fails_the_document_naming_the_event():
    with pytest.raises(ValueError, match='"Dentist" has a DTSTART that cannot be read'):
        march(ics("UID:1\nSUMMARY:Dentist\nDTSTART:2026031\nDTEND:20260310T100000Z"))


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"hello world",
        b"<!doctype html><html><body>Sign in</body></html>",
        b"\x00\xff\xfe\x89PNG",
        b"BEGIN:VEVENT\r\nUID:1\r\nEND:VEVENT\r\n",
        b"BEGIN:VCALENDAR\r\nthis is not a content line\r\nEND:VCALENDAR\r\n",
    ],
)
def test_bytes_that_are_not_icalendar_are_refused_clearly(garbage):
    with pytest.raises(ValueError, match="iCalendar") as caught:
        busy_intervals(garbage, tz=BERLIN, start=utc(2026, 3, 1), end=utc(2026, 4, 1))
    assert len(str(caught.value)) < 250  # shown to the freelancer: short, and quoting little of the feed


def test_random_plain_events_equal_a_minute_grid_union():
    rng = random.Random(18)
    start, end = utc(2026, 3, 1), utc(2026, 3, 3)
    minutes = int((end - start).total_seconds() // 60)
    for _ in range(20):
        events, grid = [], [False] * minutes
        for i in range(rng.randint(0, 12)):
            lo = utc(2026, 2, 28, 22) + timedelta(minutes=rng.randrange(0, 52 * 60))
            hi = lo + timedelta(minutes=rng.choice([0, 1, 15, 30, 60, 90, 240]))
            transparent = rng.random() < 0.2
            events.append(
                f"UID:{i}\nDTSTART:{lo:%Y%m%dT%H%M%SZ}\nDTEND:{hi:%Y%m%dT%H%M%SZ}"
                + ("\nTRANSP:TRANSPARENT" if transparent else "")
            )
            if not transparent:
                for m in range(minutes):
                    if lo <= start + timedelta(minutes=m) < hi:
                        grid[m] = True
        expected, run = [], None
        for m, taken in enumerate([*grid, False]):
            if taken and run is None:
                run = m
            elif not taken and run is not None:
                expected.append((start + timedelta(minutes=run), start + timedelta(minutes=m)))
                run = None
        assert busy_intervals(ics(*events), tz=BERLIN, start=start, end=end) == expected

from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

import pytest

from kernel import workhours
from kernel.workhours import (
    add_working_time,
    holiday_calendar,
    is_holiday,
    is_working_day,
    is_working_time,
    next_opening,
    next_working_instant,
    opening_hours_on,
    typical_day_hours,
    validate_holiday_spec,
    validate_working_hours,
    working_intervals,
)

BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")
NINE_TO_SIX = {weekday: (time(9), time(18)) for weekday in range(5)}
IN_BERLIN = {"tz": BERLIN, "working_hours": NINE_TO_SIX, "holidays": ("DE", "BE")}
SUNDAY_NIGHT_SHIFT = {"tz": BERLIN, "working_hours": {6: (time(2, 30), time(6))}, "holidays": None}


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        ("2026-04-07T09:00:00+02:00", True),
        ("2026-04-07T17:59:59.999999+02:00", True),
        ("2026-04-07T18:00:00+02:00", False),
        ("2026-04-07T08:59:59.999999+02:00", False),
        ("2026-04-11T10:00:00+02:00", False),
        ("2026-12-25T10:00:00+01:00", False),
    ],
    ids=["opening", "last-microsecond", "closing", "just-before-opening", "saturday", "christmas"],
)
def test_working_time_includes_the_opening_instant_and_excludes_the_closing_instant(
    instant: str, expected: bool
) -> None:
    assert is_working_time(at(instant), **IN_BERLIN) is expected


def test_working_time_is_judged_on_the_studio_local_clock() -> None:
    assert is_working_time(at("2026-04-07T07:30:00+00:00"), **IN_BERLIN)
    in_tokyo = {"tz": TOKYO, "working_hours": NINE_TO_SIX, "holidays": ("JP", None)}
    assert not is_working_time(at("2026-04-07T10:00:00+00:00"), **in_tokyo)
    assert is_working_time(at("2026-04-07T00:30:00+00:00"), **in_tokyo)


def test_it_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="aware"):
        is_working_time(datetime(2026, 4, 7, 10), **IN_BERLIN)


@pytest.mark.parametrize(
    ("day", "holidays", "expected"),
    [
        (date(2026, 4, 7), ("DE", "BE"), True),
        (date(2026, 4, 11), ("DE", "BE"), False),
        (date(2026, 12, 25), ("DE", "BE"), False),
        (date(2026, 12, 25), None, True),
        (date(2026, 5, 1), ("DE", None), False),
        (date(2026, 1, 6), ("DE", "BY"), False),
        (date(2026, 1, 6), ("DE", "BE"), True),
        (date(2027, 12, 27), ("GB", None), False),
        (date(2027, 12, 28), ("GB", None), False),
        (date(2027, 12, 29), ("GB", None), True),
    ],
    ids=[
        "ordinary-tuesday",
        "saturday",
        "christmas",
        "christmas-without-holidays",
        "labour-day",
        "epiphany-in-bavaria",
        "epiphany-in-berlin",
        "uk-christmas-observed",
        "uk-boxing-day-observed",
        "uk-after-the-substitute-days",
    ],
)
def test_holidays_and_closed_weekdays_are_not_working_days(
    day: date, holidays: tuple[str, str | None] | None, expected: bool
) -> None:
    assert is_working_day(day, working_hours=NINE_TO_SIX, holidays=holidays) is expected


def test_an_observed_day_attributed_to_the_neighbouring_year_is_still_a_holiday() -> None:
    assert holiday_calendar(("US", None), 2021)[date(2021, 12, 31)] == "New Year's Day (observed)"
    assert all(day.year == 2022 for day in holiday_calendar(("US", None), 2022))
    assert is_holiday(date(2021, 12, 31), ("US", None))


def test_the_holiday_calendar_is_cached_and_read_only() -> None:
    calendar = holiday_calendar(("DE", "BY"), 2026)
    assert calendar is holiday_calendar(("DE", "BY"), 2026)
    with pytest.raises(TypeError):
        calendar[date(2026, 4, 7)] = "Made-up day"  # type: ignore[index]


def test_no_holiday_spec_means_no_holidays() -> None:
    assert holiday_calendar(None, 2026) == {}
    assert not is_holiday(date(2026, 12, 25), None)


@pytest.mark.parametrize("spec", [("XX", None), ("DE", "ZZ")], ids=["unknown-country", "unknown-subdivision"])
def test_unknown_holiday_calendars_are_rejected(spec: tuple[str, str | None]) -> None:
    with pytest.raises(ValueError, match="Unknown holiday calendar"):
        validate_holiday_spec(spec)
    with pytest.raises(ValueError, match="Unknown holiday calendar"):
        is_working_day(date(2026, 4, 7), working_hours=NINE_TO_SIX, holidays=spec)


@pytest.mark.parametrize("spec", [None, ("DE", None), ("DE", "BY"), ("GB", None)])
def test_known_holiday_calendars_are_accepted(spec: tuple[str, str | None] | None) -> None:
    validate_holiday_spec(spec)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        ("2026-04-07T22:00:00+02:00", "2026-04-08T09:00:00+02:00"),
        ("2026-04-07T06:00:00+02:00", "2026-04-07T09:00:00+02:00"),
        ("2026-04-07T09:00:00+02:00", "2026-04-07T09:00:00+02:00"),
        ("2026-04-07T12:00:00+02:00", "2026-04-08T09:00:00+02:00"),
        ("2026-04-10T18:00:00+02:00", "2026-04-13T09:00:00+02:00"),
        ("2026-12-24T18:00:00+01:00", "2026-12-28T09:00:00+01:00"),
        ("2026-03-27T18:00:00+01:00", "2026-03-30T09:00:00+02:00"),
    ],
    ids=["at-night", "early-morning", "at-opening", "during-work", "friday-evening", "christmas", "over-dst"],
)
def test_next_opening_is_the_first_opening_instant_at_or_after_the_given_instant(
    instant: str,
    expected: str,
) -> None:
    assert next_opening(at(instant), **IN_BERLIN).isoformat() == expected


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        ("2026-04-07T12:00:00+02:00", "2026-04-07T12:00:00+02:00"),
        ("2026-04-07T09:00:00+02:00", "2026-04-07T09:00:00+02:00"),
        ("2026-04-07T18:00:00+02:00", "2026-04-08T09:00:00+02:00"),
        ("2026-04-11T10:00:00+02:00", "2026-04-13T09:00:00+02:00"),
        ("2026-04-07T10:00:00+00:00", "2026-04-07T12:00:00+02:00"),
    ],
    ids=["during-work", "at-opening", "at-closing", "saturday", "given-in-utc"],
)
def test_next_working_instant_is_the_instant_itself_during_working_time_else_the_next_opening(
    instant: str, expected: str
) -> None:
    assert next_working_instant(at(instant), **IN_BERLIN).isoformat() == expected


def test_working_intervals_are_clipped_at_the_start_and_skip_closed_days() -> None:
    intervals = working_intervals(at("2026-04-30T15:00:00+02:00"), **IN_BERLIN)
    assert [(begin.isoformat(), end.isoformat()) for begin, end in islice(intervals, 3)] == [
        ("2026-04-30T15:00:00+02:00", "2026-04-30T18:00:00+02:00"),
        ("2026-05-04T09:00:00+02:00", "2026-05-04T18:00:00+02:00"),
        ("2026-05-05T09:00:00+02:00", "2026-05-05T18:00:00+02:00"),
    ]


def test_working_intervals_are_expressed_in_the_studio_zone() -> None:
    begin, end = next(working_intervals(at("2026-04-07T10:00:00+00:00"), **IN_BERLIN))
    assert begin.tzinfo is BERLIN
    assert end.tzinfo is BERLIN


def test_a_calendar_without_open_weekdays_never_opens() -> None:
    with pytest.raises(ValueError, match="no open weekday"):
        next(working_intervals(at("2026-04-07T10:00:00+02:00"), tz=BERLIN, working_hours={}, holidays=None))
    with pytest.raises(ValueError, match="no open weekday"):
        next_opening(at("2026-04-07T10:00:00+02:00"), tz=BERLIN, working_hours={}, holidays=None)


def test_the_search_for_an_opening_gives_up_after_too_many_closed_days(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(workhours, "MAX_DAYS_WITHOUT_OPENING", 3)
    fridays_only = {4: (time(9), time(17))}
    christmas_eve = at("2026-12-24T10:00:00+01:00")
    with pytest.raises(ValueError, match="does not open for 3 days"):
        next(working_intervals(christmas_eve, tz=BERLIN, working_hours=fridays_only, holidays=("DE", "BE")))
    with pytest.raises(ValueError, match="does not open for 3 days"):
        next_opening(christmas_eve, tz=BERLIN, working_hours=fridays_only, holidays=("DE", "BE"))


def test_an_opening_inside_the_spring_forward_gap_is_shifted_forward_by_the_gap() -> None:
    opening, closing = opening_hours_on(date(2026, 3, 29), **SUNDAY_NIGHT_SHIFT)
    assert opening.isoformat() == "2026-03-29T03:30:00+02:00"
    assert closing.isoformat() == "2026-03-29T06:00:00+02:00"


def test_an_ambiguous_opening_in_the_autumn_fold_is_its_first_occurrence() -> None:
    opening, _closing = opening_hours_on(date(2026, 10, 25), **SUNDAY_NIGHT_SHIFT)
    assert opening.isoformat() == "2026-10-25T02:30:00+02:00"


def test_an_ambiguous_closing_ends_working_time_before_the_repeated_hour() -> None:
    closes_in_the_fold = {"tz": BERLIN, "working_hours": {6: (time(0), time(2, 45))}, "holidays": None}
    first_half_past_two = at("2026-10-25T02:30:00+02:00")
    second_half_past_two = at("2026-10-25T02:30:00+01:00")
    assert is_working_time(first_half_past_two, **closes_in_the_fold)
    assert not is_working_time(second_half_past_two, **closes_in_the_fold)
    resumes = next_working_instant(second_half_past_two, **closes_in_the_fold)
    assert resumes.isoformat() == "2026-11-01T00:00:00+01:00"


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        ("2026-03-29T00:00:00+01:00", 6, "2026-03-29T06:00:00+02:00"),
        ("2026-10-25T00:00:00+02:00", 6, "2026-10-25T06:00:00+01:00"),
        ("2026-10-25T02:30:00+01:00", 0.25, "2026-10-25T02:45:00+01:00"),
    ],
    ids=["spring-forward", "fall-back", "received-in-the-repeated-hour"],
)
def test_working_time_is_counted_on_the_wall_clock_across_a_dst_change(
    start: str,
    hours: float,
    expected: str,
) -> None:
    sunday_night = {6: (time(0), time(6))}
    due = add_working_time(
        at(start),
        timedelta(hours=hours),
        tz=BERLIN,
        working_hours=sunday_night,
        holidays=None,
    )
    assert due.isoformat() == expected


def test_adding_no_working_time_is_rejected() -> None:
    with pytest.raises(ValueError, match="positive"):
        add_working_time(at("2026-04-07T10:00:00+02:00"), timedelta(0), **IN_BERLIN)


@pytest.mark.parametrize(
    ("working_hours", "expected"),
    [
        (NINE_TO_SIX, 9.0),
        (
            {
                0: (time(10), time(16)),
                1: (time(10), time(16)),
                2: (time(10), time(16)),
                4: (time(10), time(13)),
            },
            6.0,
        ),
        (
            {
                0: (time(9), time(17)),
                1: (time(9), time(17)),
                2: (time(10), time(16)),
                3: (time(10), time(16)),
            },
            8.0,
        ),
        ({0: (time(9), time(17, 30)), 1: (time(9), time(17, 30)), 5: (time(10), time(12))}, 8.5),
        ({6: (time(11), time(12, 15))}, 1.25),
    ],
    ids=["nine-to-six", "most-common-wins", "tie-goes-to-the-longer", "half-hours", "single-day"],
)
def test_a_typical_day_is_the_most_common_interval_length(
    working_hours: dict[int, tuple[time, time]], expected: float
) -> None:
    assert typical_day_hours(working_hours) == expected


def test_a_typical_day_is_undefined_without_open_weekdays() -> None:
    with pytest.raises(ValueError, match="No open weekday"):
        typical_day_hours({})


@pytest.mark.parametrize(
    ("working_hours", "message"),
    [
        ({0: (time(18), time(9))}, "must be before"),
        ({0: (time(9), time(9))}, "must be before"),
        ({7: (time(9), time(18))}, "Weekday must be"),
        ({-1: (time(9), time(18))}, "Weekday must be"),
        ({"0": (time(9), time(18))}, "Weekday must be"),
        ({0: (time(9),)}, r"expected \(open, close\)"),
        ({0: ("09:00", "18:00")}, "datetime.time"),
        ({0: (time(9, tzinfo=UTC), time(18, tzinfo=UTC))}, "naive"),
    ],
    ids=[
        "reversed",
        "empty",
        "weekday-too-large",
        "negative-weekday",
        "string-weekday",
        "single-time",
        "strings",
        "aware-times",
    ],
)
def test_invalid_working_hours_are_rejected(working_hours: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_working_hours(working_hours)


@pytest.mark.parametrize("working_hours", [{}, NINE_TO_SIX, {6: (time(0), time(23, 59, 59, 999999))}])
def test_valid_working_hours_are_accepted(working_hours: dict[int, tuple[time, time]]) -> None:
    validate_working_hours(working_hours)

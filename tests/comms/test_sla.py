from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from comms.sla import SlaMode, due_at
from kernel.models import SlaMode as StoredSlaMode
from kernel.workhours import is_working_time, typical_day_hours

BERLIN = ZoneInfo("Europe/Berlin")
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")

NINE_TO_SIX = {weekday: (time(9), time(18)) for weekday in range(5)}
NINE_TO_FIVE = {weekday: (time(9), time(17)) for weekday in range(5)}
UNEVEN_WEEK = {
    0: (time(10), time(16)),
    1: (time(10), time(16)),
    2: (time(10), time(16)),
    3: (time(10), time(16)),
    4: (time(10), time(13)),
}
WEDNESDAY_OFF = {weekday: (time(9), time(17)) for weekday in (0, 1, 3, 4)}
BERLIN_HOLIDAYS = ("DE", "BE")


def due(
    received: str,
    amount: float,
    *,
    mode: str = "business",
    tz: ZoneInfo = BERLIN,
    working_hours: dict[int, tuple[time, time]] = NINE_TO_SIX,
    holidays: tuple[str, str | None] | None = BERLIN_HOLIDAYS,
) -> str:
    """The due instant as ISO 8601, so each expectation pins both the instant and the local offset."""
    result = due_at(
        datetime.fromisoformat(received),
        tz=tz,
        working_hours=working_hours,
        holidays=holidays,
        mode=mode,
        amount=amount,
    )
    assert result.tzinfo is tz
    return result.isoformat()


@pytest.mark.parametrize(
    ("received", "amount", "expected"),
    [
        ("2026-03-28T12:00:00+01:00", 24, "2026-03-29T13:00:00+02:00"),
        ("2026-10-24T12:00:00+02:00", 24, "2026-10-25T11:00:00+01:00"),
        ("2026-04-03T17:00:00+02:00", 4, "2026-04-03T21:00:00+02:00"),
        ("2026-04-11T23:00:00+02:00", 1.5, "2026-04-12T00:30:00+02:00"),
        ("2026-04-07T08:00:00+00:00", 2, "2026-04-07T12:00:00+02:00"),
    ],
    ids=["spring-forward", "fall-back", "good-friday-evening", "saturday-night", "received-in-utc"],
)
def test_calendar_mode_adds_elapsed_hours_regardless_of_the_working_calendar(
    received: str, amount: float, expected: str
) -> None:
    assert due(received, amount, mode="calendar") == expected


def test_calendar_mode_needs_no_working_hours() -> None:
    due_time = due("2026-04-07T10:00:00+02:00", 2, mode="calendar", working_hours={})
    assert due_time == "2026-04-07T12:00:00+02:00"


def test_it_counts_from_receipt_when_received_during_working_time() -> None:
    assert due("2026-04-07T10:00:00+02:00", 2) == "2026-04-07T12:00:00+02:00"


def test_it_counts_from_the_opening_when_received_before_opening() -> None:
    assert due("2026-04-07T07:30:00+02:00", 2) == "2026-04-07T11:00:00+02:00"


@pytest.mark.parametrize(
    "received",
    ["2026-04-07T22:00:00+02:00", "2026-04-08T02:00:00+02:00", "2026-04-07T18:30:00+02:00"],
    ids=["late-evening", "small-hours", "just-after-closing"],
)
def test_it_counts_from_the_next_opening_when_received_at_night(received: str) -> None:
    assert due(received, 2) == "2026-04-08T11:00:00+02:00"


def test_it_counts_from_the_opening_instant_when_received_exactly_at_opening() -> None:
    assert due("2026-04-07T09:00:00+02:00", 1) == "2026-04-07T10:00:00+02:00"


def test_it_treats_the_closing_instant_as_outside_working_time() -> None:
    assert due("2026-04-07T18:00:00+02:00", 1) == "2026-04-08T10:00:00+02:00"


@pytest.mark.parametrize(
    ("received", "amount", "expected"),
    [
        ("2026-04-11T10:00:00+02:00", 9, "2026-04-13T18:00:00+02:00"),
        ("2026-04-07T09:00:00+02:00", 9, "2026-04-07T18:00:00+02:00"),
        ("2026-04-07T17:00:00+02:00", 1, "2026-04-07T18:00:00+02:00"),
        ("2026-04-07T20:00:00+02:00", 18, "2026-04-09T18:00:00+02:00"),
    ],
    ids=["saturday-email-with-a-9h-sla", "whole-day-from-opening", "last-hour", "two-whole-days"],
)
def test_it_is_due_at_the_closing_instant_when_the_hours_run_out_exactly_at_closing(
    received: str, amount: float, expected: str
) -> None:
    assert due(received, amount) == expected


def test_it_carries_the_remainder_over_the_weekend() -> None:
    assert due("2026-04-10T16:30:00+02:00", 8, working_hours=NINE_TO_FIVE) == "2026-04-13T16:30:00+02:00"


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        ("2026-03-27T16:00:00+01:00", "2026-03-30T16:00:00+02:00"),
        ("2026-10-23T16:00:00+02:00", "2026-10-26T16:00:00+01:00"),
    ],
    ids=["spring-forward", "fall-back"],
)
def test_it_keeps_local_opening_hours_over_a_weekend_with_a_dst_change(received: str, expected: str) -> None:
    assert due(received, 8, working_hours=NINE_TO_FIVE) == expected


@pytest.mark.parametrize(
    ("received", "amount", "expected"),
    [
        ("2026-03-29T09:00:00+02:00", 9, "2026-03-29T18:00:00+02:00"),
        ("2026-10-25T09:00:00+01:00", 9, "2026-10-25T18:00:00+01:00"),
    ],
    ids=["spring-forward-sunday", "fall-back-sunday"],
)
def test_a_dst_change_day_has_its_full_wall_clock_working_hours(
    received: str,
    amount: float,
    expected: str,
) -> None:
    sundays = {6: (time(9), time(18))}
    assert due(received, amount, working_hours=sundays, holidays=None) == expected


def test_an_interval_spanning_the_dst_gap_counts_wall_clock_hours_not_elapsed_hours() -> None:
    sunday_night = {6: (time(0), time(6))}
    assert due("2026-03-29T00:00:00+01:00", 6, working_hours=sunday_night, holidays=None) == (
        "2026-03-29T06:00:00+02:00"
    )


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        ("2026-04-30T17:00:00+02:00", "2026-05-04T10:00:00+02:00"),
        ("2026-12-24T17:00:00+01:00", "2026-12-28T10:00:00+01:00"),
        ("2026-04-02T17:00:00+02:00", "2026-04-07T10:00:00+02:00"),
    ],
    ids=["labour-day-friday", "christmas-friday", "good-friday-and-easter-monday"],
)
def test_it_skips_public_holidays(received: str, expected: str) -> None:
    assert due(received, 2) == expected


def test_it_skips_observed_substitute_holidays() -> None:
    uk_studio = {"tz": LONDON, "working_hours": NINE_TO_FIVE, "holidays": ("GB", None)}
    assert due("2027-12-24T16:00:00+00:00", 2, **uk_studio) == "2027-12-29T10:00:00+00:00"


@pytest.mark.parametrize(
    ("holidays", "expected"),
    [(("DE", "BY"), "2026-01-07T10:00:00+01:00"), (("DE", "BE"), "2026-01-06T10:00:00+01:00")],
    ids=["epiphany-in-bavaria", "no-epiphany-in-berlin"],
)
def test_it_applies_holidays_of_the_studio_subdivision_only(
    holidays: tuple[str, str | None],
    expected: str,
) -> None:
    assert due("2026-01-05T17:00:00+01:00", 2, holidays=holidays) == expected


def test_it_works_through_holidays_when_none_are_configured() -> None:
    assert due("2026-12-25T10:00:00+01:00", 1, holidays=None) == "2026-12-25T11:00:00+01:00"


@pytest.mark.parametrize(
    ("received", "amount", "expected"),
    [
        ("2026-04-07T10:00:00+02:00", 0.5, "2026-04-07T10:30:00+02:00"),
        ("2026-04-07T17:45:00+02:00", 0.5, "2026-04-08T09:15:00+02:00"),
        ("2026-04-07T10:00:00+02:00", 0.25, "2026-04-07T10:15:00+02:00"),
        ("2026-04-07T16:20:00+02:00", 2.75, "2026-04-08T10:05:00+02:00"),
    ],
    ids=["half-hour", "half-hour-across-the-night", "quarter-hour", "two-and-three-quarter-hours"],
)
def test_it_handles_fractional_amounts(received: str, amount: float, expected: str) -> None:
    assert due(received, amount) == expected


@pytest.mark.parametrize(
    ("received", "amount", "expected"),
    [
        ("2026-04-13T09:00:00+02:00", 20, "2026-04-15T11:00:00+02:00"),
        ("2026-04-16T12:00:00+02:00", 40, "2026-04-22T16:00:00+02:00"),
    ],
    ids=["twenty-hours", "forty-hours-over-a-weekend"],
)
def test_it_spreads_large_amounts_over_several_working_days(
    received: str,
    amount: float,
    expected: str,
) -> None:
    assert due(received, amount) == expected


@pytest.mark.parametrize(
    ("received", "tz", "holidays", "expected"),
    [
        ("2026-04-06T23:30:00+00:00", TOKYO, ("JP", None), "2026-04-07T11:00:00+09:00"),
        ("2026-04-07T08:30:00+00:00", TOKYO, ("JP", None), "2026-04-08T10:30:00+09:00"),
        ("2026-04-28T08:00:00+00:00", TOKYO, ("JP", None), "2026-04-30T10:00:00+09:00"),
        ("2026-04-07T02:00:00+00:00", NEW_YORK, ("US", None), "2026-04-07T11:00:00-04:00"),
        ("2026-04-10T23:30:00+00:00", NEW_YORK, ("US", None), "2026-04-13T11:00:00-04:00"),
        ("2026-07-02T21:00:00+00:00", NEW_YORK, ("US", None), "2026-07-06T10:00:00-04:00"),
    ],
    ids=[
        "tokyo-already-tuesday-morning",
        "tokyo-evening-while-still-office-hours-in-utc",
        "tokyo-showa-day",
        "new-york-still-monday-night",
        "new-york-still-friday-evening",
        "new-york-independence-day-observed",
    ],
)
def test_it_uses_the_studio_local_date_and_holidays_far_from_utc(
    received: str, tz: ZoneInfo, holidays: tuple[str, str | None], expected: str
) -> None:
    assert due(received, 2, tz=tz, holidays=holidays) == expected


@pytest.mark.parametrize(
    ("received", "amount", "expected"),
    [
        ("2026-04-09T15:00:00+02:00", 4, "2026-04-10T13:00:00+02:00"),
        ("2026-04-10T12:00:00+02:00", 3, "2026-04-13T12:00:00+02:00"),
        ("2026-04-10T14:00:00+02:00", 6, "2026-04-13T16:00:00+02:00"),
    ],
    ids=["ends-at-friday-closing", "short-friday-into-monday", "after-friday-closing"],
)
def test_it_follows_uneven_weeks(received: str, amount: float, expected: str) -> None:
    assert due(received, amount, working_hours=UNEVEN_WEEK) == expected


def test_it_skips_a_closed_weekday_in_the_middle_of_the_week() -> None:
    assert due("2026-04-07T16:00:00+02:00", 2, working_hours=WEDNESDAY_OFF) == "2026-04-09T10:00:00+02:00"


@pytest.mark.parametrize(
    "mode",
    [SlaMode.BUSINESS, "business", SlaMode.CALENDAR, "calendar"],
    ids=["business-enum", "business-str", "calendar-enum", "calendar-str"],
)
def test_it_accepts_the_mode_as_enum_member_or_plain_string(mode: str) -> None:
    expected = "2026-04-07T12:00:00+02:00"
    assert due("2026-04-07T10:00:00+02:00", 2, mode=mode) == expected


def test_one_business_day_is_due_at_the_same_time_on_the_next_working_day() -> None:
    one_business_day = typical_day_hours(NINE_TO_SIX)
    assert due("2026-04-10T11:00:00+02:00", one_business_day) == "2026-04-13T11:00:00+02:00"


def test_business_due_times_are_in_working_time_and_never_move_backwards() -> None:
    received = datetime(2026, 1, 1, tzinfo=UTC)
    previous_due = received
    for _ in range(1500):
        due_time = due_at(
            received,
            tz=BERLIN,
            working_hours=UNEVEN_WEEK,
            holidays=BERLIN_HOLIDAYS,
            mode="business",
            amount=5.5,
        )
        assert due_time >= max(received, previous_due)
        assert is_working_time(
            due_time - timedelta(microseconds=1),
            tz=BERLIN,
            working_hours=UNEVEN_WEEK,
            holidays=BERLIN_HOLIDAYS,
        )
        previous_due = due_time
        received += timedelta(hours=5, minutes=47)


def test_it_rejects_a_naive_received_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        due_at(
            datetime(2026, 4, 7, 10),
            tz=BERLIN,
            working_hours=NINE_TO_SIX,
            holidays=None,
            mode="business",
            amount=1,
        )


@pytest.mark.parametrize("mode", ["weekly", "", "BUSINESS", None])
def test_it_rejects_an_unknown_mode(mode: str) -> None:
    with pytest.raises(ValueError, match="Unknown SLA mode"):
        due("2026-04-07T10:00:00+02:00", 1, mode=mode)


@pytest.mark.parametrize("amount", [0, -1, -0.5, float("nan"), float("inf")])
@pytest.mark.parametrize("mode", list(SlaMode))
def test_it_rejects_an_amount_that_is_not_a_positive_number_of_hours(amount: float, mode: SlaMode) -> None:
    with pytest.raises(ValueError, match="positive number of hours"):
        due("2026-04-07T10:00:00+02:00", amount, mode=mode)


def test_business_mode_rejects_a_studio_without_working_days() -> None:
    with pytest.raises(ValueError, match="no open weekday"):
        due("2026-04-07T10:00:00+02:00", 1, working_hours={})


def test_business_mode_rejects_invalid_working_hours() -> None:
    with pytest.raises(ValueError, match="must be before"):
        due("2026-04-07T10:00:00+02:00", 1, working_hours={0: (time(18), time(9))})


def test_business_mode_rejects_an_unknown_holiday_calendar() -> None:
    with pytest.raises(ValueError, match="Unknown holiday calendar"):
        due("2026-04-07T10:00:00+02:00", 1, holidays=("XX", None))


def test_the_studio_setting_stores_exactly_the_modes_the_rule_reads():
    """The studio's field choices (kernel, with labels for the form) and the rule's enum name the same modes."""
    assert {mode.value for mode in StoredSlaMode} == {mode.value for mode in SlaMode}

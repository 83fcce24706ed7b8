"""Quiet hours (R5) and cool-off (R6) send times on a Berlin calendar with DST, holidays and weekends."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from comms.scheduling import CoolOff, cool_off_options, quiet_hours_send_after

BERLIN = ZoneInfo("Europe/Berlin")
NINE_TO_SIX = {weekday: (time(9), time(18)) for weekday in range(5)}
IN_BERLIN = {"tz": BERLIN, "working_hours": NINE_TO_SIX, "holidays": ("DE", None)}


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2026-04-07T10:15:00+02:00", "2026-04-07T10:15:00+02:00"),
        ("2026-04-07T09:00:00+02:00", "2026-04-07T09:00:00+02:00"),
        ("2026-04-07T07:30:00+02:00", "2026-04-07T09:00:00+02:00"),
        ("2026-04-07T18:00:00+02:00", "2026-04-08T09:00:00+02:00"),
        ("2026-04-10T21:00:00+02:00", "2026-04-13T09:00:00+02:00"),
        ("2026-04-11T12:00:00+02:00", "2026-04-13T09:00:00+02:00"),
        # The DST weekend: Friday evening in CET, the opening on Monday in CEST.
        ("2026-03-27T20:00:00+01:00", "2026-03-30T09:00:00+02:00"),
        ("2026-03-29T02:30:00+00:00", "2026-03-30T09:00:00+02:00"),
        # Easter: Good Friday and Easter Monday are German public holidays.
        ("2026-04-02T19:00:00+02:00", "2026-04-07T09:00:00+02:00"),
        # The autumn change: Sunday 25 October 2026, the opening on Monday in CET.
        ("2026-10-24T23:00:00+02:00", "2026-10-26T09:00:00+01:00"),
    ],
    ids=[
        "working-time",
        "opening-instant",
        "before-opening",
        "closing-instant",
        "friday-night",
        "saturday",
        "spring-dst-weekend",
        "inside-the-dst-gap-night",
        "easter",
        "autumn-dst-weekend",
    ],
)
def test_client_mail_written_outside_working_hours_waits_for_the_next_opening(now, expected):
    send_after = quiet_hours_send_after(at(now), **IN_BERLIN)

    assert send_after == at(expected)
    assert send_after.utcoffset() == at(expected).utcoffset()
    assert send_after.tzinfo is BERLIN


def test_quiet_hours_use_the_studio_clock_whatever_zone_now_is_in():
    # 07:30 UTC is 09:30 in Berlin: working time.
    now = at("2026-04-07T07:30:00+00:00")

    assert quiet_hours_send_after(now, **IN_BERLIN) == now


def test_without_a_holiday_calendar_a_public_holiday_is_a_working_day():
    assert quiet_hours_send_after(
        at("2026-04-02T19:00:00+02:00"), tz=BERLIN, working_hours=NINE_TO_SIX, holidays=None
    ) == at("2026-04-03T09:00:00+02:00")


def test_a_regional_holiday_counts_only_in_its_region():
    monday_evening = at("2026-01-05T19:00:00+01:00")  # Epiphany, 6 January, is a holiday in Bavaria

    assert quiet_hours_send_after(monday_evening, tz=BERLIN, working_hours=NINE_TO_SIX, holidays=("DE", "BY")) == at(
        "2026-01-07T09:00:00+01:00"
    )
    assert quiet_hours_send_after(monday_evening, **IN_BERLIN) == at("2026-01-06T09:00:00+01:00")


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        quiet_hours_send_after(datetime(2026, 4, 7, 10), **IN_BERLIN)


# --- Cool-off ----------------------------------------------------------------------------------


def test_cool_off_offers_hours_later_and_the_next_morning():
    options = cool_off_options(at("2026-04-07T15:00:00+02:00"), hours=3, **IN_BERLIN)

    assert options == CoolOff(later=at("2026-04-07T18:00:00+02:00"), next_morning=at("2026-04-08T09:00:00+02:00"))
    assert options.later.tzinfo is BERLIN
    assert options.next_morning.tzinfo is BERLIN


def test_the_next_morning_is_on_a_later_day_even_before_todays_opening():
    options = cool_off_options(at("2026-04-07T07:00:00+02:00"), hours=1, **IN_BERLIN)

    assert options.next_morning == at("2026-04-08T09:00:00+02:00")


def test_in_the_small_hours_the_next_morning_is_the_coming_one():
    options = cool_off_options(at("2026-04-08T02:00:00+02:00"), hours=3, **IN_BERLIN)

    assert options.next_morning == at("2026-04-08T09:00:00+02:00")


def test_the_next_morning_skips_the_weekend_and_holidays():
    friday_night = cool_off_options(at("2026-04-10T22:00:00+02:00"), hours=3, **IN_BERLIN)
    before_easter = cool_off_options(at("2026-04-02T16:00:00+02:00"), hours=3, **IN_BERLIN)

    assert friday_night.next_morning == at("2026-04-13T09:00:00+02:00")
    assert before_easter.next_morning == at("2026-04-07T09:00:00+02:00")


def test_hours_later_is_elapsed_time_across_the_spring_change():
    saturday_night = at("2026-03-28T23:30:00+01:00")

    options = cool_off_options(saturday_night, hours=3, **IN_BERLIN)

    assert options.later - saturday_night == timedelta(hours=3)
    assert options.later.isoformat() == "2026-03-29T03:30:00+02:00"
    assert options.next_morning.isoformat() == "2026-03-30T09:00:00+02:00"


def test_hours_later_is_elapsed_time_across_the_autumn_change():
    saturday_night = at("2026-10-25T00:30:00+02:00")

    options = cool_off_options(saturday_night, hours=3, **IN_BERLIN)

    assert options.later.astimezone(UTC) == at("2026-10-25T01:30:00+00:00")
    assert options.later.utcoffset() == timedelta(hours=1)
    assert (options.later.hour, options.later.minute) == (2, 30)
    assert options.next_morning.isoformat() == "2026-10-26T09:00:00+01:00"


def test_the_next_morning_is_judged_on_the_studio_clock():
    # 04:30 UTC is still night by UTC, but 06:30 on Tuesday in Berlin: the next morning is Wednesday.
    options = cool_off_options(at("2026-04-07T04:30:00+00:00"), hours=2, **IN_BERLIN)

    assert options.next_morning == at("2026-04-08T09:00:00+02:00")


@pytest.mark.parametrize("hours", [0, -1])
def test_a_cool_off_must_last(hours):
    with pytest.raises(ValueError, match="positive"):
        cool_off_options(at("2026-04-07T15:00:00+02:00"), hours=hours, **IN_BERLIN)

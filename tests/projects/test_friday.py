from collections.abc import Collection, Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from projects.friday import WeekBounds, iso_week_key, updates_due, week_bounds

BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")
AUCKLAND = ZoneInfo("Pacific/Auckland")
ALICE = "alice@acme.example"
ALICE_CFO = "cfo@acme.example"
BOB = "bob@globex.example"

# 2026-W47 runs from Monday 2026-11-16 to Sunday 2026-11-22; its Friday is 2026-11-20.
W47_SUNDAY_NOON = datetime(2026, 11, 22, 12, 0, tzinfo=BERLIN)

Project = tuple[int, Collection[str], date, date | None]
Outbound = tuple[datetime, Collection[str]]


def due_in_w47(projects: list[Project], outbound: Iterable[Outbound] = ()) -> set[int]:
    key, due = updates_due(now=W47_SUNDAY_NOON, tz=BERLIN, projects=projects, outbound=outbound)
    assert key == "2026-W47"
    return due


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=BERLIN)


# --- week keys and bounds -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local_day", "expected_key"),
    [
        pytest.param(date(2026, 11, 20), "2026-W47", id="ordinary friday"),
        pytest.param(date(2026, 1, 5), "2026-W02", id="zero padded week"),
        pytest.param(date(2025, 12, 29), "2026-W01", id="december day in next iso year"),
        pytest.param(date(2026, 12, 31), "2026-W53", id="2026 has a week 53"),
        pytest.param(date(2027, 1, 1), "2026-W53", id="new year's day still in 2026-W53"),
        pytest.param(date(2027, 1, 3), "2026-W53", id="first sunday of 2027 still in 2026-W53"),
        pytest.param(date(2027, 1, 4), "2027-W01", id="2027-W01 starts on monday january 4"),
        pytest.param(date(2020, 12, 31), "2020-W53", id="2020 has a week 53"),
        pytest.param(date(2021, 1, 3), "2020-W53", id="january 2021 day in 2020-W53"),
    ],
)
def test_it_keys_weeks_by_iso_year_and_zero_padded_week(local_day: date, expected_key: str) -> None:
    iso_year, iso_week, _ = local_day.isocalendar()

    assert iso_week_key(local_day) == expected_key == f"{iso_year}-W{iso_week:02d}"
    assert iso_week_key(datetime(local_day.year, local_day.month, local_day.day, 23, 59)) == expected_key


@pytest.mark.parametrize(
    ("local_now", "utc_now", "expected_key"),
    [
        pytest.param(
            datetime(2026, 11, 15, 23, 59, tzinfo=BERLIN),
            datetime(2026, 11, 15, 22, 59, tzinfo=UTC),
            "2026-W46",
            id="berlin sunday 23:59",
        ),
        pytest.param(
            datetime(2026, 11, 16, 0, 0, tzinfo=BERLIN),
            datetime(2026, 11, 15, 23, 0, tzinfo=UTC),
            "2026-W47",
            id="berlin monday 00:00 while utc is still sunday",
        ),
        pytest.param(
            datetime(2026, 11, 15, 23, 59, tzinfo=TOKYO),
            datetime(2026, 11, 15, 14, 59, tzinfo=UTC),
            "2026-W46",
            id="tokyo sunday 23:59",
        ),
        pytest.param(
            datetime(2026, 11, 16, 0, 0, tzinfo=TOKYO),
            datetime(2026, 11, 15, 15, 0, tzinfo=UTC),
            "2026-W47",
            id="tokyo monday 00:00 while utc is still sunday",
        ),
        pytest.param(
            datetime(2026, 11, 22, 23, 59, tzinfo=NEW_YORK),
            datetime(2026, 11, 23, 4, 59, tzinfo=UTC),
            "2026-W47",
            id="new york sunday 23:59 while utc is already monday",
        ),
        pytest.param(
            datetime(2026, 11, 23, 0, 0, tzinfo=NEW_YORK),
            datetime(2026, 11, 23, 5, 0, tzinfo=UTC),
            "2026-W48",
            id="new york monday 00:00",
        ),
        pytest.param(
            datetime(2026, 11, 15, 23, 59, tzinfo=AUCKLAND),
            datetime(2026, 11, 15, 10, 59, tzinfo=UTC),
            "2026-W46",
            id="auckland sunday 23:59",
        ),
        pytest.param(
            datetime(2026, 11, 16, 0, 0, tzinfo=AUCKLAND),
            datetime(2026, 11, 15, 11, 0, tzinfo=UTC),
            "2026-W47",
            id="auckland monday 00:00 while utc is still sunday",
        ),
    ],
)
def test_it_switches_weeks_at_local_monday_midnight_not_utc_midnight(
    local_now: datetime, utc_now: datetime, expected_key: str
) -> None:
    assert local_now == utc_now
    tz = local_now.tzinfo
    assert isinstance(tz, ZoneInfo)

    for now in (local_now, utc_now):
        key, _ = updates_due(now=now, tz=tz, projects=[], outbound=[])
        assert key == week_bounds(now, tz).key == expected_key


def test_it_gives_the_bounds_of_the_local_iso_week() -> None:
    bounds = week_bounds(datetime(2026, 11, 18, 9, 30, tzinfo=UTC), BERLIN)

    assert bounds == WeekBounds(
        key="2026-W47",
        monday=date(2026, 11, 16),
        friday=date(2026, 11, 20),
        starts_at=berlin(2026, 11, 16, 0, 0),
        covered_until=berlin(2026, 11, 21, 0, 0),
    )
    assert bounds.starts_at.tzinfo is BERLIN
    assert bounds.starts_at.astimezone(UTC) == datetime(2026, 11, 15, 23, 0, tzinfo=UTC)
    assert bounds.covered_until.astimezone(UTC) == datetime(2026, 11, 20, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "expected_key", "expected_monday", "expected_friday"),
    [
        pytest.param(berlin(2026, 12, 31, 12), "2026-W53", date(2026, 12, 28), date(2027, 1, 1), id="thu"),
        pytest.param(berlin(2027, 1, 1, 12), "2026-W53", date(2026, 12, 28), date(2027, 1, 1), id="fri"),
        pytest.param(berlin(2027, 1, 3, 23, 59), "2026-W53", date(2026, 12, 28), date(2027, 1, 1), id="sun"),
        pytest.param(berlin(2027, 1, 4), "2027-W01", date(2027, 1, 4), date(2027, 1, 8), id="next mon"),
    ],
)
def test_it_spans_the_iso_year_boundary(
    now: datetime, expected_key: str, expected_monday: date, expected_friday: date
) -> None:
    bounds = week_bounds(now, BERLIN)

    assert (bounds.key, bounds.monday, bounds.friday) == (expected_key, expected_monday, expected_friday)


def test_it_rejects_a_naive_now() -> None:
    with pytest.raises(ValueError, match="aware"):
        updates_due(now=W47_SUNDAY_NOON.replace(tzinfo=None), tz=BERLIN, projects=[], outbound=[])


def test_it_rejects_a_naive_sent_at() -> None:
    naive_sent_at = berlin(2026, 11, 18, 12, 0).replace(tzinfo=None)

    with pytest.raises(ValueError, match="aware"):
        due_in_w47([(1, [ALICE], date(2026, 1, 1), None)], [(naive_sent_at, [ALICE])])


# --- which projects are active --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("active_from", "active_until", "is_due"),
    [
        pytest.param(date(2026, 1, 1), None, True, id="open ended"),
        pytest.param(date(2026, 11, 16), None, True, id="activated monday"),
        pytest.param(date(2026, 11, 20), None, True, id="activated on friday itself"),
        pytest.param(date(2026, 11, 21), None, False, id="activated saturday"),
        pytest.param(date(2026, 11, 23), None, False, id="activated next week"),
        pytest.param(date(2026, 1, 1), date(2026, 11, 20), True, id="ends on friday"),
        pytest.param(date(2026, 1, 1), date(2026, 11, 19), False, id="ended thursday"),
        pytest.param(date(2026, 1, 1), date(2026, 11, 21), True, id="ends saturday"),
        pytest.param(date(2026, 11, 20), date(2026, 11, 20), True, id="one day project on friday"),
        pytest.param(date(2026, 1, 1), date(2026, 3, 1), False, id="finished months ago"),
    ],
)
def test_it_asks_for_updates_only_on_projects_active_on_the_weeks_friday(
    active_from: date, active_until: date | None, is_due: bool
) -> None:
    due = due_in_w47([(1, [ALICE], active_from, active_until)])

    assert due == ({1} if is_due else set())


# --- which messages cover a client ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent_at", "covers"),
    [
        pytest.param(berlin(2026, 11, 15, 23, 59), False, id="previous sunday 23:59"),
        pytest.param(berlin(2026, 11, 16, 0, 0), True, id="monday 00:00"),
        pytest.param(berlin(2026, 11, 18, 14, 30), True, id="wednesday afternoon"),
        pytest.param(berlin(2026, 11, 20, 23, 59, 59), True, id="friday 23:59:59"),
        pytest.param(berlin(2026, 11, 21, 0, 0), False, id="saturday 00:00"),
        pytest.param(berlin(2026, 11, 22, 10, 0), False, id="sunday morning"),
        pytest.param(datetime(2026, 11, 15, 23, 0, tzinfo=UTC), True, id="monday 00:00 given in utc"),
        pytest.param(datetime(2026, 11, 15, 22, 59, tzinfo=UTC), False, id="sunday 23:59 given in utc"),
        pytest.param(datetime(2026, 11, 20, 22, 59, tzinfo=UTC), True, id="friday 23:59 given in utc"),
        pytest.param(datetime(2026, 11, 20, 23, 0, tzinfo=UTC), False, id="saturday 00:00 given in utc"),
    ],
)
def test_it_skips_clients_already_written_to_between_monday_and_saturday_midnight(
    sent_at: datetime, covers: bool
) -> None:
    due = due_in_w47([(1, [ALICE], date(2026, 1, 1), None)], [(sent_at, [ALICE])])

    assert due == (set() if covers else {1})


@pytest.mark.parametrize(
    "recipients",
    [
        pytest.param([ALICE], id="to"),
        pytest.param(["Alice@ACME.example"], id="different case"),
        pytest.param(["  alice@acme.example\t"], id="surrounding whitespace"),
        pytest.param([BOB, ALICE], id="cc alongside another client"),
        pytest.param(["studio@me.example", BOB, " ALICE@acme.EXAMPLE "], id="bcc"),
        pytest.param([ALICE_CFO], id="another contact of the same client"),
    ],
)
def test_it_counts_any_recipient_of_any_contact_case_insensitively(recipients: list[str]) -> None:
    projects: list[Project] = [(1, [ALICE, ALICE_CFO], date(2026, 1, 1), None)]

    due = due_in_w47(projects, [(berlin(2026, 11, 18, 10, 0), recipients)])

    assert due == set()


def test_it_matches_contacts_stored_with_different_case_or_whitespace() -> None:
    projects: list[Project] = [(1, [" Alice@Acme.Example "], date(2026, 1, 1), None)]

    assert due_in_w47(projects, [(berlin(2026, 11, 18, 10, 0), [ALICE])]) == set()


def test_it_still_asks_when_the_email_went_to_another_clients_contact() -> None:
    projects: list[Project] = [
        (1, [ALICE], date(2026, 1, 1), None),
        (2, [BOB], date(2026, 1, 1), None),
    ]

    due = due_in_w47(projects, [(berlin(2026, 11, 18, 10, 0), [BOB])])

    assert due == {1}


def test_it_skips_every_project_of_a_client_already_written_to_this_week() -> None:
    projects: list[Project] = [
        (1, [ALICE, ALICE_CFO], date(2026, 1, 1), None),
        (2, [ALICE, ALICE_CFO], date(2026, 6, 1), None),
        (3, [BOB], date(2026, 1, 1), None),
    ]

    due = due_in_w47(projects, [(berlin(2026, 11, 17, 9, 0), [ALICE_CFO])])

    assert due == {3}


def test_it_asks_for_a_project_whose_client_has_no_contacts() -> None:
    projects: list[Project] = [(1, [], date(2026, 1, 1), None)]

    assert due_in_w47(projects, [(berlin(2026, 11, 18, 10, 0), ["", "  "])]) == {1}


def test_it_does_not_let_a_blank_recipient_cover_a_blank_contact() -> None:
    projects: list[Project] = [(1, ["  "], date(2026, 1, 1), None)]

    assert due_in_w47(projects, [(berlin(2026, 11, 18, 10, 0), [""])]) == {1}


def test_it_asks_for_every_active_project_when_nothing_was_sent() -> None:
    projects: list[Project] = [
        (1, [ALICE], date(2026, 1, 1), None),
        (2, [BOB], date(2026, 1, 1), date(2026, 12, 31)),
        (3, [BOB], date(2026, 12, 1), None),
    ]

    assert due_in_w47(projects) == {1, 2}


@pytest.mark.parametrize(
    "now",
    [
        pytest.param(berlin(2026, 11, 20, 17, 0), id="friday afternoon"),
        pytest.param(berlin(2026, 11, 21, 0, 0), id="saturday 00:00"),
        pytest.param(berlin(2026, 11, 22, 23, 59, 59), id="sunday 23:59:59"),
    ],
)
def test_it_answers_for_the_same_week_on_saturday_and_sunday(now: datetime) -> None:
    projects: list[Project] = [
        (1, [ALICE], date(2026, 1, 1), None),
        (2, [BOB], date(2026, 1, 1), None),
        (3, [BOB], date(2026, 11, 21), None),
    ]
    outbound: list[Outbound] = [
        (berlin(2026, 11, 19, 11, 0), [ALICE]),
        (berlin(2026, 11, 21, 9, 0), [BOB]),
    ]

    assert updates_due(now=now, tz=BERLIN, projects=projects, outbound=outbound) == ("2026-W47", {2})


def test_it_reads_each_iterable_once() -> None:
    projects = iter([(1, [ALICE], date(2026, 1, 1), None), (2, [BOB], date(2026, 1, 1), None)])
    outbound = iter([(berlin(2026, 11, 18, 10, 0), [BOB])])

    assert updates_due(now=W47_SUNDAY_NOON, tz=BERLIN, projects=projects, outbound=outbound) == (
        "2026-W47",
        {1},
    )


# --- daylight saving time -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected_key", "expected_starts_at_utc", "expected_covered_until_utc"),
    [
        pytest.param(
            datetime(2026, 3, 29, 10, 0, tzinfo=UTC),
            "2026-W13",
            datetime(2026, 3, 22, 23, 0, tzinfo=UTC),
            datetime(2026, 3, 27, 23, 0, tzinfo=UTC),
            id="spring forward sunday",
        ),
        pytest.param(
            datetime(2026, 3, 29, 21, 59, tzinfo=UTC),
            "2026-W13",
            datetime(2026, 3, 22, 23, 0, tzinfo=UTC),
            datetime(2026, 3, 27, 23, 0, tzinfo=UTC),
            id="sunday 23:59 cest",
        ),
        pytest.param(
            datetime(2026, 3, 29, 22, 0, tzinfo=UTC),
            "2026-W14",
            datetime(2026, 3, 29, 22, 0, tzinfo=UTC),
            datetime(2026, 4, 3, 22, 0, tzinfo=UTC),
            id="first monday of summer time",
        ),
        pytest.param(
            datetime(2026, 10, 21, 12, 0, tzinfo=UTC),
            "2026-W43",
            datetime(2026, 10, 18, 22, 0, tzinfo=UTC),
            datetime(2026, 10, 23, 22, 0, tzinfo=UTC),
            id="fall back week",
        ),
        pytest.param(
            datetime(2026, 10, 25, 22, 59, tzinfo=UTC),
            "2026-W43",
            datetime(2026, 10, 18, 22, 0, tzinfo=UTC),
            datetime(2026, 10, 23, 22, 0, tzinfo=UTC),
            id="sunday 23:59 cet after fall back",
        ),
        pytest.param(
            datetime(2026, 10, 25, 23, 0, tzinfo=UTC),
            "2026-W44",
            datetime(2026, 10, 25, 23, 0, tzinfo=UTC),
            datetime(2026, 10, 30, 23, 0, tzinfo=UTC),
            id="first monday of winter time",
        ),
    ],
)
def test_it_keeps_local_midnights_across_daylight_saving_changes_in_berlin(
    now: datetime, expected_key: str, expected_starts_at_utc: datetime, expected_covered_until_utc: datetime
) -> None:
    bounds = week_bounds(now, BERLIN)

    assert bounds.key == expected_key
    assert bounds.starts_at.astimezone(UTC) == expected_starts_at_utc
    assert bounds.covered_until.astimezone(UTC) == expected_covered_until_utc
    assert bounds.covered_until - bounds.starts_at == timedelta(days=5)


def test_it_treats_the_repeated_hour_of_the_fall_back_sunday_as_the_same_week() -> None:
    first_pass = datetime(2026, 10, 25, 2, 30, fold=0, tzinfo=BERLIN)
    second_pass = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN)

    assert week_bounds(first_pass, BERLIN).key == week_bounds(second_pass, BERLIN).key == "2026-W43"


@pytest.mark.parametrize(
    ("sent_at", "covers"),
    [
        pytest.param(datetime(2026, 3, 22, 22, 59, tzinfo=UTC), False, id="spring sunday 23:59 cet"),
        pytest.param(datetime(2026, 3, 22, 23, 0, tzinfo=UTC), True, id="spring monday 00:00 cet"),
        pytest.param(datetime(2026, 3, 27, 22, 59, tzinfo=UTC), True, id="spring friday 23:59 cet"),
        pytest.param(datetime(2026, 3, 27, 23, 0, tzinfo=UTC), False, id="spring saturday 00:00 cet"),
        pytest.param(datetime(2026, 3, 29, 1, 30, tzinfo=UTC), False, id="sunday of the spring forward"),
    ],
)
def test_it_covers_the_spring_forward_week_by_local_wall_clock(sent_at: datetime, covers: bool) -> None:
    projects: list[Project] = [(1, [ALICE], date(2026, 1, 1), None)]
    now = datetime(2026, 3, 29, 12, 0, tzinfo=BERLIN)

    assert updates_due(now=now, tz=BERLIN, projects=projects, outbound=[(sent_at, [ALICE])]) == (
        "2026-W13",
        set() if covers else {1},
    )


@pytest.mark.parametrize(
    ("sent_at", "covers"),
    [
        pytest.param(datetime(2026, 10, 18, 21, 59, tzinfo=UTC), False, id="fall sunday 23:59 cest"),
        pytest.param(datetime(2026, 10, 18, 22, 0, tzinfo=UTC), True, id="fall monday 00:00 cest"),
        pytest.param(datetime(2026, 10, 23, 21, 59, tzinfo=UTC), True, id="fall friday 23:59 cest"),
        pytest.param(datetime(2026, 10, 23, 22, 0, tzinfo=UTC), False, id="fall saturday 00:00 cest"),
    ],
)
def test_it_covers_the_fall_back_week_by_local_wall_clock(sent_at: datetime, covers: bool) -> None:
    projects: list[Project] = [(1, [ALICE], date(2026, 1, 1), None)]
    now = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN)

    assert updates_due(now=now, tz=BERLIN, projects=projects, outbound=[(sent_at, [ALICE])]) == (
        "2026-W43",
        set() if covers else {1},
    )


def test_it_starts_the_week_at_the_transition_when_local_monday_midnight_is_skipped() -> None:
    tehran = ZoneInfo("Asia/Tehran")
    now = datetime(2021, 3, 24, 12, 0, tzinfo=tehran)
    projects: list[Project] = [(1, [ALICE], date(2021, 1, 1), None)]
    transition = datetime(2021, 3, 21, 20, 30, tzinfo=UTC)

    bounds = week_bounds(now, tehran)
    _, due_before = updates_due(
        now=now, tz=tehran, projects=projects, outbound=[(transition - timedelta(minutes=1), [ALICE])]
    )
    _, due_at = updates_due(now=now, tz=tehran, projects=projects, outbound=[(transition, [ALICE])])

    assert bounds.key == "2021-W12"
    assert bounds.starts_at.astimezone(UTC) == transition
    assert due_before == {1}
    assert due_at == set()

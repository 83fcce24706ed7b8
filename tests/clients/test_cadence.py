from datetime import date

import pytest

from clients.cadence import Cadence, ClientClock, DueKind, anniversary_on, next_touch_on, touches_due

CADENCE = Cadence(angel_days=90, regular_days=180, card_month=12, anniversary_lead_days=7)
TODAY = date(2026, 11, 22)


def clock(client_id: int = 1, *, angel: bool = False, last: date | None = None, since: date | None = None,
          carded: bool = False) -> ClientClock:  # fmt: skip
    return ClientClock(client_id, angel, last, since, carded)


def kinds(due: list) -> list[tuple[int, DueKind]]:
    return [(item.client_id, item.kind) for item in due]


def test_an_angel_is_due_a_personal_touch_90_days_after_the_last_interaction():
    due = touches_due([clock(angel=True, last=date(2026, 8, 24))], today=TODAY, cadence=CADENCE)
    assert kinds(due) == [(1, DueKind.PERSONAL)]
    assert due[0].due_on == date(2026, 11, 22)
    assert due[0].days_overdue == 0


def test_an_angel_contacted_89_days_ago_is_not_due_yet():
    assert touches_due([clock(angel=True, last=date(2026, 8, 25))], today=TODAY, cadence=CADENCE) == []


def test_other_clients_get_a_check_in_after_180_days():
    due = touches_due([clock(last=date(2026, 5, 1)), clock(2, last=date(2026, 5, 27))], today=TODAY, cadence=CADENCE)
    assert kinds(due) == [(1, DueKind.CHECK_IN)]
    assert due[0].days_overdue == 25


def test_the_clock_counts_from_the_latest_interaction_of_any_kind():
    """An email last week counts as much as a lunch: the clock restarts from it."""
    quiet_since_touchpoint_but_emailed = clock(angel=True, last=date(2026, 11, 15))
    assert touches_due([quiet_since_touchpoint_but_emailed], today=TODAY, cadence=CADENCE) == []


def test_a_client_never_contacted_counts_from_the_day_they_were_added_not_from_client_since():
    assert next_touch_on(ClientClock(1, False, None, date(2019, 1, 1), added_on=date(2026, 1, 1)), CADENCE) == date(
        2026, 6, 30
    )
    assert next_touch_on(clock(since=date(2026, 1, 1)), CADENCE) is None
    assert next_touch_on(clock(), CADENCE) is None


def test_contact_from_before_the_client_was_added_counts_from_the_day_they_were_added():
    early_mail = ClientClock(1, False, date(2026, 3, 1), None, added_on=date(2026, 11, 22))
    assert next_touch_on(early_mail, CADENCE) == date(2026, 11, 22) + (date(2026, 6, 30) - date(2026, 1, 1))
    assert touches_due([early_mail], today=TODAY, cadence=CADENCE) == []


def test_the_yearly_card_goes_to_clients_since_before_the_card_month():
    december = date(2026, 12, 10)
    since_november = ClientClock(1, False, december, date(2026, 11, 30), added_on=date(2026, 12, 2))
    since_december = ClientClock(2, False, december, date(2026, 12, 1), added_on=date(2026, 12, 1))
    due = touches_due([since_november, since_december], today=december, cadence=CADENCE)
    assert kinds(due) == [(1, DueKind.YEARLY_CARD)]


def test_the_yearly_card_is_due_all_month_until_one_is_sent_and_never_overdue_within_it():
    december = date(2026, 12, 10)
    due = touches_due([clock(1, last=december), clock(2, last=december, carded=True)], today=december, cadence=CADENCE)
    assert kinds(due) == [(1, DueKind.YEARLY_CARD)]
    assert (due[0].due_on, due[0].days_overdue) == (date(2026, 12, 1), 0)
    assert touches_due([clock(1, last=TODAY)], today=TODAY, cadence=CADENCE) == []


@pytest.mark.parametrize(
    ("since", "today", "expected"),
    [
        (date(2024, 11, 25), TODAY, [DueKind.ANNIVERSARY]),  # in 3 days: within the week ahead
        (date(2024, 11, 22), TODAY, [DueKind.ANNIVERSARY]),  # today
        (date(2024, 11, 30), TODAY, []),  # 8 days ahead: not yet
        (date(2024, 11, 21), TODAY, []),  # yesterday: passed
        (date(2026, 11, 25), TODAY, []),  # became a client this year: no anniversary yet
    ],
)
def test_the_anniversary_shows_in_the_week_before_it(since: date, today: date, expected: list):
    due = touches_due([clock(last=today, since=since)], today=today, cadence=CADENCE)
    assert [item.kind for item in due] == expected


def test_a_29_february_anniversary_falls_on_28_february():
    assert anniversary_on(date(2024, 2, 29), 2027) == date(2027, 2, 28)
    assert anniversary_on(date(2024, 2, 29), 2028) == date(2028, 2, 29)


def test_the_most_overdue_come_first():
    due = touches_due(
        [
            clock(1, last=date(2026, 5, 20)),
            clock(2, angel=True, last=date(2026, 1, 1)),
            clock(3, last=date(2026, 4, 1)),
        ],
        today=TODAY,
        cadence=CADENCE,
    )
    assert [item.client_id for item in due] == [2, 3, 1]

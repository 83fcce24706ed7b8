"""The stored cadence clock (``Client.next_touch_on``) and the SQL "Stay in touch" list built on it.

The SQL must say exactly what the pure rule (``clients.cadence.touches_due``) says over every client.
"""

import importlib
from datetime import UTC, date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients.cadence import ClientClock, DueKind, touches_due
from clients.csv_io import commit_import
from clients.demo import demo_clients_seed
from clients.models import Client, Touchpoint
from clients.selectors import IN_TOUCH_STATUSES, studio_cadence, touchpoints_due
from clients.services import client_set_pin, client_touch, tiers_recompute, touchpoint_create
from clients.touch_clock import refresh_next_touch
from desk.stay_in_touch import sweep_touchpoints_due
from desk.today import SHOWN, section_counts, today_board
from devtools.bench_seed import seed
from kernel.models import Studio, SweepSchedule
from tests.factories import ClientFactory, PaymentFactory, TouchpointFactory

BERLIN = ZoneInfo("Europe/Berlin")
ADDED = datetime(2019, 6, 15, 12, tzinfo=UTC)  # the fixture's clients were added long before its dates


def at(day: date, hour: int = 12, tz: ZoneInfo = BERLIN) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=tz)


def created(client: Client, moment: datetime) -> Client:
    Client.objects.filter(pk=client.pk).update(created_at=moment)
    return client


def stored(client: Client) -> date | None:
    return Client.objects.values_list("next_touch_on", flat=True).get(pk=client.pk)


def by_the_rule(studio: Studio, today: date) -> list[tuple[int, DueKind, date, int]]:
    """The pure rule over every client of the studio, fed as the app always fed it."""
    zone = studio.zoneinfo
    carded = set(
        Touchpoint.objects.filter(studio=studio, kind=Touchpoint.Kind.CARD, happened_on__year=today.year).values_list(
            "client_id", flat=True
        )
    )
    clocks = [
        ClientClock(
            client_id=client.pk,
            is_angel=client.is_angel,
            last_interaction_on=client.last_interaction_at.astimezone(zone).date()
            if client.last_interaction_at
            else None,
            client_since=client.client_since or client.created_at.astimezone(zone).date(),
            card_sent_this_year=client.pk in carded,
            added_on=client.created_at.astimezone(zone).date(),
        )
        for client in Client.objects.filter(studio=studio, archived_at__isnull=True, status__in=IN_TOUCH_STATUSES)
    ]
    return [
        (due.client_id, due.kind, due.due_on, due.days_overdue)
        for due in touches_due(clocks, today=today, cadence=studio_cadence(studio))
    ]


def by_sql(studio: Studio, today: date, limit: int | None = None) -> list[tuple[int, DueKind, date, int]]:
    pairs = touchpoints_due(studio=studio, today=today, limit=limit)
    assert all(due.client_id == client.pk for due, client in pairs)
    return [(due.client_id, due.kind, due.due_on, due.days_overdue) for due, client in pairs]


@pytest.fixture
def varied(studio, other_studio):
    """Angels and regulars, contacted or never, with and without client_since, anniversaries around
    29 February and the turn of the year, cards sent or not, archived clients, leads and past clients."""
    make = partial(ClientFactory, added_at=ADDED)
    clients = {
        "angel_due": make(studio=studio, tier=Client.Tier.ANGEL, last_interaction_at=at(date(2026, 8, 1))),
        "angel_recent": make(studio=studio, tier=Client.Tier.ANGEL, last_interaction_at=at(date(2026, 12, 1))),
        "regular_due": make(studio=studio, last_interaction_at=at(date(2026, 3, 3), 23)),
        "regular_recent": make(studio=studio, last_interaction_at=at(date(2026, 11, 30))),
        # Contacted late in the evening UTC: already the next day in Berlin.
        "late_evening": make(studio=studio, last_interaction_at=datetime(2026, 6, 30, 23, 30, tzinfo=UTC)),
        "never_since_set": make(studio=studio, client_since=date(2019, 12, 24)),
        "leap_since": make(studio=studio, client_since=date(2020, 2, 29), last_interaction_at=at(date(2026, 12, 20))),
        "feb_28_since": make(studio=studio, client_since=date(2021, 2, 28), last_interaction_at=at(date(2026, 12, 20))),
        "march_since": make(studio=studio, client_since=date(2022, 3, 1), last_interaction_at=at(date(2026, 12, 20))),
        "new_year_since": make(studio=studio, client_since=date(2023, 1, 2), last_interaction_at=at(date(2026, 12, 9))),
        "this_year_since": make(studio=studio, client_since=date(2026, 12, 28)),
        "past_client": make(
            studio=studio,
            status=Client.Status.PAST,
            client_since=date(2018, 12, 30),
            last_interaction_at=at(date(2025, 1, 5)),
        ),  # fmt: skip
        "lead": make(studio=studio, status=Client.Status.LEAD, client_since=date(2020, 12, 26)),
        "archived": make(
            studio=studio,
            client_since=date(2020, 12, 26),
            archived_at=at(date(2026, 1, 1)),
            last_interaction_at=at(date(2024, 1, 1)),
        ),  # fmt: skip
        "foreign": make(studio=other_studio, client_since=date(2020, 12, 26), last_interaction_at=at(date(2024, 1, 1))),
    }
    # Never contacted and no client_since: everything counts from the local day the client was created.
    clients["created_feb_29"] = created(make(studio=studio), datetime(2024, 2, 28, 23, 30, tzinfo=UTC))  # 29 Feb local
    clients["created_mar_1"] = created(make(studio=studio), datetime(2023, 2, 28, 23, 30, tzinfo=UTC))  # 1 Mar local
    clients["created_dec_31"] = created(make(studio=studio), datetime(2021, 12, 30, 23, 30, tzinfo=UTC))
    clients["created_recently"] = created(make(studio=studio), at(date(2026, 11, 1)))
    refresh_next_touch(studio)
    refresh_next_touch(other_studio)
    TouchpointFactory(client=clients["angel_recent"], kind=Touchpoint.Kind.CARD, happened_on=date(2026, 12, 1))
    TouchpointFactory(client=clients["regular_due"], kind=Touchpoint.Kind.CARD, happened_on=date(2025, 12, 10))
    TouchpointFactory(client=clients["past_client"], kind=Touchpoint.Kind.CARD, happened_on=date(2027, 1, 3))
    return clients


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


SAMPLE_DAYS = [
    *days(date(2026, 12, 18), date(2027, 1, 4)),  # card month, anniversaries across the new year
    *days(date(2027, 2, 19), date(2027, 3, 2)),  # 29 February kept on 28 February in a common year
    *days(date(2028, 2, 20), date(2028, 3, 1)),  # and on the day in a leap year
    date(2026, 11, 25),
    date(2026, 7, 2),
]


def test_the_sql_lists_exactly_what_the_rule_lists_on_every_day(studio, varied):
    for today in SAMPLE_DAYS:
        expected = by_the_rule(studio, today)
        assert by_sql(studio, today) == expected, today
        for limit in (1, 3, SHOWN):
            assert by_sql(studio, today, limit=limit) == expected[:limit], (today, limit)


def test_the_fixture_covers_every_kind_and_a_client_due_twice(studio, varied):
    december = by_the_rule(studio, date(2026, 12, 24))
    assert {kind for _pk, kind, _on, _late in december} == set(DueKind)
    assert (varied["never_since_set"].pk, DueKind.CHECK_IN) in {(pk, kind) for pk, kind, _on, _late in december}
    assert (varied["never_since_set"].pk, DueKind.ANNIVERSARY) in {(pk, kind) for pk, kind, _on, _late in december}
    february = by_the_rule(studio, date(2027, 2, 22))
    leap_in_common_year = {pk for pk, kind, _on, _late in february if kind == DueKind.ANNIVERSARY}
    assert {varied["leap_since"].pk, varied["feb_28_since"].pk, varied["created_feb_29"].pk} <= leap_in_common_year
    assert varied["created_mar_1"].pk in leap_in_common_year
    excluded = {varied[key].pk for key in ("lead", "archived", "foreign")}
    assert not excluded & {pk for day in SAMPLE_DAYS for pk, *_rest in by_sql(studio, day)}


def test_the_stay_in_touch_list_takes_the_same_queries_at_any_size(studio, varied):
    december = date(2026, 12, 24)
    with CaptureQueriesContext(connection) as few:
        touchpoints_due(studio=studio, today=december, limit=SHOWN)
    for n in range(30):
        ClientFactory(studio=studio, client_since=date(2019, 12, 26), last_interaction_at=at(date(2025, 1, n + 1)))
    with CaptureQueriesContext(connection) as many:
        assert len(touchpoints_due(studio=studio, today=december, limit=SHOWN)) == SHOWN
    assert len(many) == len(few) == 3  # check-ins and personal touches, cards, anniversaries


# --- Keeping the stored clock -----------------------------------------------------------------------


def test_refresh_writes_only_what_changed_in_a_constant_number_of_queries(studio):
    clients = [ClientFactory(studio=studio, last_interaction_at=at(date(2026, 1, n + 1))) for n in range(20)]
    Client.objects.filter(pk__in=[clients[0].pk, clients[1].pk]).update(next_touch_on=None)

    with CaptureQueriesContext(connection) as queries:
        assert refresh_next_touch(studio) == 2
    assert len(queries) == 2  # the clocks, one UPDATE for both rows
    assert stored(clients[0]) == date(2026, 6, 30)
    with CaptureQueriesContext(connection) as quiet:
        assert refresh_next_touch(studio) == 0
    assert len(quiet) == 1


def test_refresh_of_given_clients_leaves_the_others(studio):
    one, other = ClientFactory(studio=studio), ClientFactory(studio=studio)
    Client.objects.update(next_touch_on=None)
    refresh_next_touch(studio, [one.pk])
    assert stored(one) is not None
    assert stored(other) is None
    assert refresh_next_touch(studio, []) == 0


def test_an_interaction_restarts_the_clock_in_the_same_update(studio, django_assert_num_queries):
    angel = ClientFactory(studio=studio, tier=Client.Tier.ANGEL, last_interaction_at=at(date(2026, 1, 1)))
    regular = ClientFactory(studio=studio, last_interaction_at=at(date(2026, 1, 1)))

    with django_assert_num_queries(1):
        client_touch(client=angel, at=datetime(2026, 11, 24, 23, 30, tzinfo=UTC))  # 25 Nov in Berlin
    client_touch(client=regular, at=at(date(2026, 11, 25)))
    client_touch(client=regular, at=at(date(2026, 2, 1)))  # older: moves nothing

    assert stored(angel) == date(2026, 11, 25) + timedelta(days=90)
    assert stored(regular) == date(2026, 11, 25) + timedelta(days=180)


def test_a_logged_touchpoint_takes_the_client_off_the_list(studio):
    client = ClientFactory(studio=studio, last_interaction_at=at(date(2025, 1, 1)))
    today = date(2026, 11, 25)
    assert [due.kind for due, _client in touchpoints_due(studio=studio, today=today)] == [DueKind.CHECK_IN]

    touchpoint_create(client=client, kind=Touchpoint.Kind.CALL, happened_on=today)

    assert touchpoints_due(studio=studio, today=today) == []


def test_a_tier_change_moves_the_clock(studio):
    client = ClientFactory(studio=studio, last_interaction_at=at(date(2026, 6, 1)))
    PaymentFactory(client=client, paid_on=date(2026, 6, 1))
    assert stored(client) == date(2026, 11, 28)

    tiers_recompute(studio=studio, as_of=date(2026, 11, 25))  # the only paying client: an angel
    assert stored(client) == date(2026, 8, 30)

    client.refresh_from_db()
    client_set_pin(client=client, pin=Client.Pin.REGULAR, now=at(date(2026, 11, 25)))
    assert stored(client) == date(2026, 11, 28)


@time_machine.travel(datetime(2026, 11, 25, 10, tzinfo=BERLIN), tick=False)
def test_creating_a_client_sets_the_clock_and_an_older_client_since_does_not_make_them_overdue(owner_client, studio):
    response = owner_client.post(
        reverse("clients:create"),
        {"name": "Fresh Co", "kind": "company", "status": "active", "language": "en", "difficulty": 0},
    )
    assert response.status_code == 302
    fresh = Client.objects.get(name="Fresh Co")
    assert stored(fresh) == date(2026, 11, 25) + timedelta(days=180)

    owner_client.post(
        reverse("clients:edit", args=[fresh.pk]),
        {"name": "Fresh Co", "kind": "company", "status": "active", "language": "en", "difficulty": 0,
         "client_since": "2025-01-10"},
    )  # fmt: skip
    assert stored(fresh) == date(2026, 11, 25) + timedelta(days=180)
    assert touchpoints_due(studio=studio, today=date(2026, 11, 25)) == []


def test_a_csv_import_sets_the_clock_of_the_clients_it_creates(studio):
    with time_machine.travel(datetime(2026, 11, 25, 10, tzinfo=BERLIN), tick=False):
        result = commit_import("client,contact_name,contact_email\nImported Ltd,Ida,ida@x.example\n", studio=studio)
    assert result.committed
    assert stored(Client.objects.get(name="Imported Ltd")) == date(2026, 11, 25) + timedelta(days=180)


def test_saving_new_cadences_or_time_zone_moves_every_clock(owner_client, studio):
    client = ClientFactory(studio=studio, last_interaction_at=datetime(2026, 6, 1, 23, 30, tzinfo=UTC))
    assert stored(client) == date(2026, 6, 2) + timedelta(days=180)
    form = owner_client.get(reverse("settings")).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update({key: form[key].value() for key in form.fields if form[key].value() is not None})
    data.update({"regular_cadence_days": 30, "timezone": "UTC"})

    response = owner_client.post(reverse("settings"), data)

    assert response.status_code == 302, response.context["form"].errors
    assert stored(client) == date(2026, 6, 1) + timedelta(days=30)


def test_the_weekly_touchpoints_sweep_heals_a_clock_a_write_missed(studio, owner):
    client = ClientFactory(
        studio=studio, name="Missed Co", last_interaction_at=at(date(2026, 1, 1)), added_at=at(date(2024, 1, 1))
    )
    Client.objects.filter(pk=client.pk).update(last_interaction_at=at(date(2025, 1, 1)))  # bypassing the services
    monday = datetime(2026, 3, 2, 8, tzinfo=BERLIN)
    SweepSchedule.objects.update(next_run_at=monday)

    with time_machine.travel(monday, tick=False):
        assert sweep_touchpoints_due(monday) == 1

    assert stored(client) == date(2025, 6, 30)


def test_the_migration_fills_the_clock_of_existing_clients(studio):
    angel = ClientFactory(studio=studio, tier=Client.Tier.ANGEL, last_interaction_at=at(date(2026, 1, 1)))
    never = created(ClientFactory(studio=studio), datetime(2025, 12, 31, 23, 30, tzinfo=UTC))
    Client.objects.update(next_touch_on=None)
    migration = importlib.import_module("clients.migrations.0005_backfill_next_touch_on")

    migration.fill_next_touch_on(apps, None)

    assert stored(angel) == date(2026, 4, 1)
    assert stored(never) == date(2026, 1, 1) + timedelta(days=180)


@pytest.mark.parametrize("seeder", ["bench", "demo"])
def test_the_seeders_leave_every_clock_stored(studio, seeder):
    if seeder == "bench":
        studio = seed(0.05, now=datetime(2026, 3, 4, 10, tzinfo=UTC), analyze=False).studio
    else:
        demo_clients_seed(studio, today=date(2026, 3, 4))
    assert Client.objects.filter(studio=studio).exists()
    assert not Client.objects.filter(studio=studio, next_touch_on__isnull=True).exists()
    assert refresh_next_touch(studio) == 0


# --- Today ------------------------------------------------------------------------------------------


def test_today_counts_every_client_once_and_shows_the_first_ones(studio, varied):
    now = at(date(2026, 12, 24), 10)
    expected = by_the_rule(studio, date(2026, 12, 24))
    clients_due = list(dict.fromkeys(pk for pk, *_rest in expected))
    assert len(clients_due) > SHOWN
    assert len(expected) > len(clients_due)  # a client due twice is one line, counted once

    assert section_counts(studio, now=now)["touchpoints"] == len(clients_due)
    touchpoints = next(entry for entry in today_board(studio, now).sections if entry.key == "touchpoints")
    assert touchpoints.count == len(clients_due)
    assert len(touchpoints.items) == SHOWN
    assert [item["url"] for item in touchpoints.items] == [
        reverse("clients:detail", kwargs={"pk": pk}) for pk in clients_due[:SHOWN]
    ]
    assert touchpoints.more


def test_today_takes_the_same_queries_in_the_card_month_at_any_size(studio, varied):
    now = at(date(2026, 12, 24), 10)
    with CaptureQueriesContext(connection) as few:
        today_board(studio, now)
    for n in range(30):
        ClientFactory(studio=studio, client_since=date(2019, 12, 26), last_interaction_at=at(date(2025, 1, n + 1)))
    with CaptureQueriesContext(connection) as many:
        today_board(studio, now)
    assert len(many) == len(few)

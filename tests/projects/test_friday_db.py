"""The agreement test: the database query and the pure Friday rule pick exactly the same projects."""

import random
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kernel.models import Studio
from projects.friday import WeekBounds, is_active_on, updates_due, week_bounds
from projects.friday_query import friday_candidates, projects_due_friday_update
from tests.factories import ClientFactory, ContactFactory, MessageFactory, ProjectFactory, StudioFactory

BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")

Outbound = tuple[datetime, Collection[str]]
PureRow = tuple[int, list[str], date, date | None]

CLIENT_NAMES = ["Acme", "acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Zeta", "Bluth"]
STRANGERS = ["stranger@nowhere.example", "Someone@Else.example", "hello@northlight.example"]


@dataclass
class World:
    studio: Studio
    bounds: WeekBounds
    pure_rows: list[PureRow] = field(default_factory=list)  # every project with an active_from, as the rule takes it
    never_started: list[int] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)  # every client address, canonical lower case
    outbound: list[Outbound] = field(default_factory=list)
    foreign_ids: set[int] = field(default_factory=set)  # another studio's projects


def vary_case(rng: random.Random, address: str) -> str:
    return "".join(ch.upper() if rng.random() < 0.4 else ch for ch in address)


def vary_spelling(rng: random.Random, address: str) -> str:
    """The address as a recipient header might spell it: any case, sometimes padded."""
    padded = rng.choice(["{}", "{}", " {}", "{} "])
    return padded.format(vary_case(rng, address))


def random_moment(rng: random.Random, bounds: WeekBounds) -> datetime:
    """A send time at or next to the week's edges, in the studio's zone, UTC or somewhere else."""
    starts_at, covered_until = bounds.starts_at, bounds.covered_until
    local = rng.choice(
        [
            starts_at,  # Monday 00:00 local: covers
            starts_at - timedelta(minutes=1),  # Sunday 23:59 before: does not
            starts_at - timedelta(microseconds=1),
            covered_until - timedelta(minutes=1),  # Friday 23:59: covers
            covered_until - timedelta(microseconds=1),
            covered_until,  # Saturday 00:00 local: does not
            covered_until + timedelta(hours=12),
            starts_at + timedelta(days=2, hours=12),  # Wednesday noon
            starts_at - timedelta(days=7),  # last week
        ]
    )
    return local.astimezone(rng.choice([UTC, TOKYO, NEW_YORK, local.tzinfo]))


def build_world(rng: random.Random, studio: Studio, now: datetime, *, clients: int = 10, projects: int = 40) -> World:
    bounds = week_bounds(now, studio.zoneinfo)
    world = World(studio=studio, bounds=bounds)
    friday, monday = bounds.friday, bounds.monday
    thursday, saturday, sunday = friday - timedelta(days=1), friday + timedelta(days=1), monday + timedelta(days=6)

    client_rows = []
    for index in range(clients):
        client = ClientFactory(studio=studio, name=f"{rng.choice(CLIENT_NAMES)} {rng.randint(1, 3)}")
        stored: list[str] = []
        for number in range(rng.choice([0, 1, 1, 2, 3])):  # some clients have no contact at all
            email = f"c{index}x{number}@client{index}.example"
            others = [f"alt{index}x{number}x{extra}@Mail.example" for extra in range(rng.randint(0, 2))]
            contact = ContactFactory(
                client=client,
                email=vary_case(rng, email),
                other_emails=[vary_spelling(rng, other) for other in others],
            )
            stored.extend(contact.all_emails)
            world.addresses.extend(address.lower() for address in [email, *others])
        client_rows.append((client, stored))

    for _ in range(projects):
        client, stored = rng.choice(client_rows)
        active_from = rng.choice(
            [None, friday - timedelta(days=60), monday, thursday, friday, friday, saturday, sunday]
        )
        active_until = rng.choice([None, None, thursday, friday, friday, saturday, friday + timedelta(days=30)])
        project = ProjectFactory(
            client=client, title=rng.choice(["Website", "Shop", "Landing page", "Blog"]), status="in_progress"
        )
        # active_from/active_until are not editable in forms; set them as the workflow would.
        type(project).objects.filter(pk=project.pk).update(active_from=active_from, active_until=active_until)
        if active_from is None:
            world.never_started.append(project.pk)
        else:
            world.pure_rows.append((project.pk, list(stored), active_from, active_until))

    for _ in range(15):
        recipients = rng.sample(world.addresses, k=min(len(world.addresses), rng.randint(1, 3)))
        recipients += rng.sample(STRANGERS, k=rng.randint(0, 2))
        rng.shuffle(recipients)
        world.outbound.append((random_moment(rng, bounds), [vary_spelling(rng, address) for address in recipients]))

    # Another studio: same week, active, never covered; its projects must never show up.
    elsewhere = StudioFactory(timezone=studio.timezone)
    for index in range(3):
        # The same address may belong to a contact in another studio too.
        shared = {"email": world.addresses[index]} if index < len(world.addresses) else {}
        contact = ContactFactory(client=ClientFactory(studio=elsewhere), **shared)
        foreign = ProjectFactory(client=contact.client)
        type(foreign).objects.filter(pk=foreign.pk).update(active_from=friday - timedelta(days=60))
        world.foreign_ids.add(foreign.pk)
    return world


SCENARIOS = [
    pytest.param("Europe/Berlin", datetime(2026, 11, 20, 10, 0, tzinfo=BERLIN), id="berlin-friday"),
    pytest.param("Europe/Berlin", datetime(2026, 11, 22, 23, 30, tzinfo=BERLIN), id="berlin-sunday-night"),
    pytest.param("Europe/Berlin", datetime(2026, 10, 25, 12, 0, tzinfo=BERLIN), id="berlin-dst-ends-sunday"),
    pytest.param("Europe/Berlin", datetime(2026, 10, 26, 0, 30, tzinfo=BERLIN), id="berlin-monday-after-dst-end"),
    pytest.param("Europe/Berlin", datetime(2026, 3, 27, 18, 0, tzinfo=BERLIN), id="berlin-dst-starts-that-sunday"),
    pytest.param("Asia/Tokyo", datetime(2026, 11, 20, 8, 0, tzinfo=TOKYO), id="tokyo-friday-utc-thursday"),
    pytest.param("America/New_York", datetime(2026, 10, 30, 22, 0, tzinfo=NEW_YORK), id="new-york-friday-utc-sat"),
]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(("zone", "local_now"), SCENARIOS)
def test_the_query_and_the_pure_rule_agree(db, seed: int, zone: str, local_now: datetime) -> None:
    rng = random.Random(f"{seed}-{zone}-{local_now.isoformat()}")
    studio = StudioFactory(timezone=zone)
    now = local_now.astimezone(UTC)  # as timezone.now() gives it
    world = build_world(rng, studio, now)

    expected_key, expected_ids = updates_due(
        now=now, tz=ZoneInfo(zone), projects=world.pure_rows, outbound=world.outbound
    )
    key, due = projects_due_friday_update(studio=studio, now=now, outbound=iter(world.outbound))

    assert key == expected_key == world.bounds.key
    due_ids = [project.pk for project in due]
    assert len(due_ids) == len(set(due_ids))
    assert set(due_ids) == expected_ids
    assert [(p.client.name, p.title) for p in due] == sorted((p.client.name, p.title) for p in due)
    assert not set(due_ids) & (world.foreign_ids | set(world.never_started))

    # The candidates are exactly the rule's active projects, with exactly their clients' addresses.
    active = {
        pk: sorted(emails)
        for pk, emails, active_from, active_until in world.pure_rows
        if is_active_on(world.bounds.friday, active_from=active_from, active_until=active_until)
    }
    bounds, rows = friday_candidates(studio=studio, now=now)
    assert bounds == world.bounds
    assert {pk: sorted(emails) for pk, emails, _, _ in rows} == active

    # The fixture is not vacuous: some projects are inactive, some covered, some due.
    assert world.never_started
    assert len(active) < len(world.pure_rows)
    assert expected_ids
    assert expected_ids < set(active)


def test_tokyo_scenario_is_still_thursday_in_utc() -> None:
    assert datetime(2026, 11, 20, 8, 0, tzinfo=TOKYO).astimezone(UTC).weekday() == 3


def test_a_message_is_read_in_the_studio_zone_not_utc(db) -> None:
    """Sunday 23:30 UTC is Monday 08:30 in Tokyo: it covers Tokyo's week, not the UTC week before."""
    studio = StudioFactory(timezone="Asia/Tokyo")
    contact = ContactFactory(client=ClientFactory(studio=studio), email="Ken@Client.example")
    project = ProjectFactory(client=contact.client)
    type(project).objects.filter(pk=project.pk).update(active_from=date(2026, 11, 1))
    now = datetime(2026, 11, 19, 23, 0, tzinfo=UTC)  # Friday 08:00 in Tokyo

    assert projects_due_friday_update(
        studio=studio, now=now, outbound=[(datetime(2026, 11, 15, 23, 30, tzinfo=UTC), ["ken@client.EXAMPLE"])]
    ) == ("2026-W47", [])
    key, due = projects_due_friday_update(
        studio=studio, now=now, outbound=[(datetime(2026, 11, 15, 14, 59, tzinfo=UTC), ["ken@client.example"])]
    )
    assert (key, due) == ("2026-W47", [project])


def test_another_studios_projects_never_appear(studio: Studio, other_studio: Studio) -> None:
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    ours = ProjectFactory(client=ClientFactory(studio=studio))
    theirs = ProjectFactory(client=ClientFactory(studio=other_studio))
    type(ours).objects.filter(pk__in=[ours.pk, theirs.pk]).update(active_from=date(2026, 1, 1))

    assert projects_due_friday_update(studio=studio, now=now, outbound=[]) == ("2026-W47", [ours])
    assert projects_due_friday_update(studio=other_studio, now=now, outbound=[]) == ("2026-W47", [theirs])


def test_an_empty_studio_has_nothing_due(studio: Studio, django_assert_max_num_queries) -> None:
    with django_assert_max_num_queries(3):
        assert projects_due_friday_update(studio=studio, now=datetime(2026, 11, 20, tzinfo=UTC), outbound=[]) == (
            "2026-W47",
            [],
        )


@pytest.mark.parametrize("count", [5, 100])
def test_the_query_count_does_not_grow_with_projects(studio: Studio, django_assert_max_num_queries, count) -> None:
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    for index in range(count):
        client = ClientFactory(studio=studio)
        ContactFactory(client=client, other_emails=[f"other{index}@client.example"])
        ContactFactory(client=client)
        ProjectFactory(client=client)
    studio.projects.update(active_from=date(2026, 11, 1))
    outbound = [(now, [f"other{index}@client.example" for index in range(0, count, 2)])]

    with django_assert_max_num_queries(3):
        key, due = projects_due_friday_update(studio=studio, now=now, outbound=outbound)
        names = [project.client.name for project in due]

    assert key == "2026-W47"
    assert len(due) == len(names) == count // 2


def test_a_project_started_on_friday_after_the_reminder_hour_is_due_that_week(studio: Studio, owner) -> None:
    from projects.services import project_set_status

    client = ClientFactory(studio=studio)
    ContactFactory(client=client, email="zoe@acme.example")
    project = ProjectFactory(client=client, status="awaiting_deposit", deposit_percent=None, deposit_amount_minor=None)
    friday_afternoon = datetime(2026, 11, 20, 15, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # the studio's hour is 10:00

    project_set_status(project=project, target="in_progress", by=owner, now=friday_afternoon)
    week, due = projects_due_friday_update(studio=studio, now=friday_afternoon, outbound=[])

    assert week == "2026-W47"
    assert [p.pk for p in due] == [project.pk]
    covered = [(friday_afternoon, ["ZOE@acme.example"])]
    assert projects_due_friday_update(studio=studio, now=friday_afternoon, outbound=covered)[1] == []


def test_mail_sent_this_week_in_the_message_table_covers_the_client(
    studio: Studio, other_studio: Studio, django_assert_max_num_queries
) -> None:
    """Without an explicit ``outbound``, the week's sent mail comes from comms' Message table."""
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # Friday, week 47
    contact = ContactFactory(client=ClientFactory(studio=studio), email="ann@bakery.example")
    project = ProjectFactory(client=contact.client)
    type(project).objects.filter(pk=project.pk).update(active_from=date(2026, 1, 1))
    last_week = MessageFactory(
        thread__client=contact.client, direction="out", to=["ann@bakery.example"], sent_at=now - timedelta(days=7)
    )
    call = MessageFactory(
        thread__client=contact.client, direction="out", channel="call", to=["ann@bakery.example"], sent_at=now
    )
    elsewhere = MessageFactory(thread__client=ClientFactory(studio=other_studio), direction="out", sent_at=now)
    elsewhere.to = ["ann@bakery.example"]
    elsewhere.save()
    assert (last_week.studio, call.studio) == (studio, studio)
    assert projects_due_friday_update(studio=studio, now=now) == ("2026-W47", [project])

    MessageFactory(thread__client=contact.client, direction="out", cc=["ANN@bakery.example"], sent_at=now)
    with django_assert_max_num_queries(4):
        assert projects_due_friday_update(studio=studio, now=now) == ("2026-W47", [])

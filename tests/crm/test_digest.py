"""The daily digest: at the studio's hour on its working days, once per local date, only with something to say."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.models import Client
from comms.models import Commitment, OutboxEmail
from desk.digest import SECTION_LIMIT, deposits_awaited, sweep_daily_digest
from kernel.models import SweepSchedule
from kernel.sweeps import run_sweeps
from projects.models import Call
from tests.factories import (
    ActionItemFactory,
    ClientFactory,
    MembershipFactory,
    MessageFactory,
    MilestoneFactory,
    OutboxEmailFactory,
    PaymentFactory,
    ProjectFactory,
    StudioFactory,
    ThreadFactory,
)

BERLIN = ZoneInfo("Europe/Berlin")
# Wednesday 25 November 2026 in Berlin; the studio's digest hour is 8 (the default).
WEDNESDAY = date(2026, 11, 25)


def berlin(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


def days(count: int) -> date:
    return WEDNESDAY + timedelta(days=count)


def tick(now: datetime) -> int:
    with time_machine.travel(now, tick=False):
        return sweep_daily_digest(now)


def digests():
    return list(OutboxEmail.objects.filter(kind="digest").order_by("pk"))


@pytest.fixture(autouse=True)
def a_clock_the_day_before():
    with time_machine.travel(berlin(days(-1), 16), tick=False):
        yield


@pytest.fixture
def bakery(studio):
    return ClientFactory(studio=studio, name="Ann's Bakery")


def open_clock(client, *, due_at: datetime, subject: str = "New logo", **fields):
    return MessageFactory(
        thread=ThreadFactory(client=client, subject=subject),
        sent_at=due_at - timedelta(hours=9),
        needs_reply=True,
        reply_warn_at=due_at - timedelta(hours=2),
        reply_due_at=due_at,
        **fields,
    )


def promise(client, description: str, *, by: datetime, **fields):
    return Commitment.objects.create(
        studio=client.studio, client=client, description=description, promised_by=by, **fields
    )


# --- What it says ----------------------------------------------------------------------------


def test_the_digest_lists_each_section_with_the_right_items(studio, owner, bakery):
    # Replies owed: open clocks, soonest first, breached flagged; answered ones are not owed.
    open_clock(bakery, due_at=berlin(days(0), 15), subject="Menu card")
    open_clock(bakery, due_at=berlin(days(-1), 17), subject="Opening hours")
    answered = open_clock(bakery, due_at=berlin(days(0), 12), subject="Already answered")
    answered.replied_at = berlin(days(-1), 10)
    answered.save()
    # Promises due by the end of today, overdue included.
    promise(bakery, "Send the revised quote", by=berlin(days(0), 17))
    promise(bakery, "Share the sitemap", by=berlin(days(-1), 12))
    promise(bakery, "Tomorrow's promise", by=berlin(days(1), 10))
    promise(bakery, "Kept promise", by=berlin(days(0), 11), fulfilled_at=berlin(days(-1), 9))
    # Deadlines: active projects and their open milestones, overdue or within 7 days.
    website = ProjectFactory(client=bakery, title="Bakery website", deadline_on=days(3))
    ProjectFactory(client=bakery, title="Late shop", deadline_on=days(-2))
    ProjectFactory(client=bakery, title="Far away", deadline_on=days(10))
    ProjectFactory(client=bakery, title="Finished thing", deadline_on=days(1), status="completed")
    MilestoneFactory(project=website, title="Home page mock-up", due_on=days(1))
    MilestoneFactory(project=website, title="Done milestone", due_on=days(1), done_at=berlin(days(-1), 9))
    # Deposits awaited.
    deposit = ProjectFactory(
        client=bakery,
        title="Menu redesign",
        status="awaiting_deposit",
        deposit_amount_minor=100_000,
        agreement_accepted_at=berlin(days(-9), 10),
    )
    PaymentFactory(client=bakery, project=deposit, amount_minor=40_000)
    # The client's overdue next steps (not ours, not done, not due yet).
    ActionItemFactory(project=website, text="Send the photos", due_on=days(-2))
    ActionItemFactory(project=website, text="Our own task", owner="us", due_on=days(-2))
    ActionItemFactory(project=website, text="Done already", due_on=days(-2), done_at=berlin(days(-1), 9))
    ActionItemFactory(project=website, text="Not yet due", due_on=days(1))
    # Touchpoints due.
    ClientFactory(studio=studio, name="Quiet Client", last_interaction_at=berlin(date(2026, 1, 5), 10))
    # Mail to clients leaving today; freelancer reminders, other days and sent mail are not listed.
    OutboxEmailFactory(studio=studio, subject="Re: Menu card", send_after=berlin(days(0), 14))
    OutboxEmailFactory(studio=studio, subject="Tomorrow's mail", send_after=berlin(days(1), 9))
    OutboxEmailFactory(
        studio=studio, subject="A reminder to me", kind="deadline-reminder", send_after=berlin(days(0), 9)
    )
    OutboxEmailFactory(studio=studio, subject="Gone already", status="sent", send_after=berlin(days(0), 7))

    assert tick(berlin(days(0), 8)) == 1

    [digest] = digests()
    assert digest.idempotency_key == f"digest:{studio.pk}:2026-11-25"
    assert digest.to == ["owner@northlight.example"]
    assert digest.send_after == berlin(days(0), 9)  # written at 08:00, it waits for the opening (R5)
    assert digest.subject == "Your day, Wed 25 Nov — Replies owed: 2 · Promises due: 2 · Deadlines: 3 · …"
    for heading in (
        "REPLIES OWED (2)",
        "PROMISES DUE (2)",
        "DEADLINES (3)",
        "DEPOSITS AWAITED (1)",
        "CLIENTS' OVERDUE NEXT STEPS (1)",
        "TOUCHPOINTS DUE (1)",
        "MAIL LEAVING TODAY (1)",
    ):
        assert heading in digest.text
    text = digest.text
    assert text.index("[OVERDUE] Ann's Bakery: “Opening hours”") < text.index("Ann's Bakery: “Menu card”")
    assert "was due Tue 24 Nov, 17:00 (overdue by 15 h)" in text
    assert "due Wed 25 Nov, 15:00 (in 7 h)" in text
    assert "Already answered" not in text
    assert "[OVERDUE] Ann's Bakery: Share the sitemap" in text
    assert "Ann's Bakery: Send the revised quote" in text
    assert "Tomorrow's promise" not in text
    assert "Kept promise" not in text
    assert text.index("Late shop") < text.index("Home page mock-up") < text.index("Bakery website (Ann's Bakery)")
    assert "deadline Mon 23 Nov, 2 days ago" in text
    assert "milestone Thu 26 Nov, tomorrow" in text
    assert "deadline Sat 28 Nov, in 3 days" in text
    assert "Far away" not in text
    assert "Finished thing" not in text
    assert "Done milestone" not in text
    assert "Menu redesign (Ann's Bakery)\n  €600.00 outstanding, waiting 9 days" in text
    assert "[OVERDUE] Ann's Bakery: Send the photos" in text
    assert "Our own task" not in text
    assert "Done already" not in text
    assert "Not yet due" not in text
    assert "Quiet Client\n  Time for a friendly check-in." in text
    assert "Re: Menu card\n  to client@client.example at 14:00" in text
    assert "Tomorrow's mail" not in text
    assert "A reminder to me" not in text
    assert "Gone already" not in text
    assert f"http://127.0.0.1:8000/projects/{website.pk}/" in text
    assert "Calls" not in text
    assert "<!doctype html>" in digest.html
    assert "Ann&#x27;s Bakery: “Opening hours”" in digest.html


def test_a_deposit_paid_in_full_asks_to_start_the_work_not_for_zero_outstanding(studio):
    # The studio starts work by hand: until it does, the project still awaits its deposit, but nothing is owed.
    client = ClientFactory(studio=studio, name="Volt")
    project = ProjectFactory(
        client=client, title="Landing page", status="awaiting_deposit", deposit_amount_minor=50_000
    )
    PaymentFactory(client=client, project=project, amount_minor=50_000)

    [row] = deposits_awaited(studio, today=days(0))
    assert row["detail"] == "deposit paid in full: start the work"


def test_user_text_is_escaped_in_the_html_digest(studio, owner):
    client = ClientFactory(studio=studio, name="Tom & <Jerry>")
    open_clock(client, due_at=berlin(days(0), 15), subject="<img src=x onerror=alert(1)>")

    tick(berlin(days(0), 8))

    [digest] = digests()
    assert "Tom & <Jerry>: “<img src=x onerror=alert(1)>”" in digest.text
    assert "Tom &amp; &lt;Jerry&gt;: “&lt;img src=x onerror=alert(1)&gt;”" in digest.html
    assert "<img" not in digest.html


def test_a_long_section_is_cut_with_a_link_to_the_rest(studio, owner, bakery):
    for hour in range(SECTION_LIMIT + 3):
        open_clock(bakery, due_at=berlin(days(0), 9) + timedelta(minutes=hour))

    tick(berlin(days(0), 8))

    [digest] = digests()
    assert f"REPLIES OWED ({SECTION_LIMIT}+)" in digest.text
    assert digest.text.count("“New logo”") == SECTION_LIMIT
    assert "… and more: http://127.0.0.1:8000/comms/inbox/" in digest.text


# --- When it goes ----------------------------------------------------------------------------


def test_nothing_to_say_means_no_digest(studio, owner, bakery):
    ProjectFactory(client=bakery, deadline_on=days(30))

    assert tick(berlin(days(0), 8)) == 0
    SweepSchedule.objects.update(next_run_at=berlin(days(0), 8))  # looked at again, e.g. settings saved
    assert tick(berlin(days(0), 8, 10)) == 0
    assert digests() == []


def test_an_empty_day_is_looked_at_once_not_at_every_tick(studio, owner, bakery):
    assert tick(berlin(days(0), 8)) == 0
    open_clock(bakery, due_at=berlin(days(0), 15))  # a client writes at 10:00

    with CaptureQueriesContext(connection) as queries:
        assert tick(berlin(days(0), 10, 5)) == 0
    assert len(queries) == 1  # only the schedule: the studio is next looked at tomorrow at 08:00
    assert tick(berlin(days(1), 8)) == 1  # the next morning's digest lists it


def test_once_at_the_hour_and_once_per_day(studio, owner, bakery):
    open_clock(bakery, due_at=berlin(days(0), 15))

    assert tick(berlin(days(0), 7, 55)) == 0
    assert tick(berlin(days(0), 8)) == 1
    assert tick(berlin(days(0), 8)) == 0
    assert tick(berlin(days(0), 13)) == 0
    assert tick(berlin(days(0), 23, 55)) == 0
    assert tick(berlin(days(1), 0, 5)) == 0
    assert tick(berlin(days(1), 8, 5)) == 1
    assert [digest.idempotency_key for digest in digests()] == [
        f"digest:{studio.pk}:2026-11-25",
        f"digest:{studio.pk}:2026-11-26",
    ]


def test_no_digest_on_weekends_and_holidays(studio, owner, bakery):
    studio.holiday_country = "DE"
    studio.save()
    open_clock(bakery, due_at=berlin(days(0), 15))

    assert tick(berlin(date(2026, 11, 28), 9)) == 0  # Saturday
    assert tick(berlin(date(2026, 11, 29), 9)) == 0  # Sunday
    assert tick(berlin(date(2026, 12, 24), 9)) == 1  # Christmas Eve is a working day in Germany
    assert tick(berlin(date(2026, 12, 25), 9)) == 0  # Christmas Day, a Friday
    assert digests()[0].idempotency_key.endswith(":2026-12-24")


def test_after_three_days_of_downtime_only_todays_digest_goes_even_late_in_the_day(studio, owner, bakery):
    open_clock(bakery, due_at=berlin(days(-2), 15))
    # Beat stopped on Monday at 07:00 and comes back on Wednesday at 16:40.
    assert tick(berlin(days(-2), 7)) == 0

    assert tick(berlin(days(0), 16, 40)) == 1
    assert tick(berlin(days(0), 16, 45)) == 0

    [digest] = digests()
    assert digest.idempotency_key == f"digest:{studio.pk}:2026-11-25"
    assert "overdue by 2 d 1 h" in digest.text


def test_tokyo_and_new_york_get_theirs_at_their_own_hour_across_the_dst_change(db):
    tokyo = StudioFactory(slug="tokyo", timezone="Asia/Tokyo")
    new_york = StudioFactory(slug="new-york", timezone="America/New_York")
    for studio in (tokyo, new_york):
        MembershipFactory(studio=studio)
        open_clock(ClientFactory(studio=studio), due_at=datetime(2026, 12, 1, tzinfo=UTC))
    # The studios were "created" on 24 November; this story starts in October.
    SweepSchedule.objects.update(next_run_at=datetime(2026, 10, 1, tzinfo=UTC))

    def sent_to() -> list[tuple[str, str]]:
        return [(digest.studio.slug, digest.idempotency_key.rsplit(":", 1)[1]) for digest in digests()]

    # Friday 30 October: New York is on EDT (UTC−4), 08:00 there is 12:00 UTC; Tokyo is already in its evening.
    assert tick(datetime(2026, 10, 30, 11, 55, tzinfo=UTC)) == 1
    assert sent_to() == [("tokyo", "2026-10-30")]
    assert tick(datetime(2026, 10, 30, 12, 0, tzinfo=UTC)) == 1
    # Monday 2 November: 08:00 in Tokyo is 23:00 UTC on Sunday.
    assert tick(datetime(2026, 11, 1, 22, 55, tzinfo=UTC)) == 0
    assert tick(datetime(2026, 11, 1, 23, 0, tzinfo=UTC)) == 1
    # New York is now on EST (UTC−5): 12:05 UTC is only 07:05 there, 13:00 UTC is 08:00.
    assert tick(datetime(2026, 11, 2, 12, 5, tzinfo=UTC)) == 0
    assert tick(datetime(2026, 11, 2, 13, 0, tzinfo=UTC)) == 1
    assert sent_to() == [
        ("tokyo", "2026-10-30"),
        ("new-york", "2026-10-30"),
        ("tokyo", "2026-11-02"),
        ("new-york", "2026-11-02"),
    ]


def test_a_studio_without_an_owner_gets_nothing(studio, bakery):
    open_clock(bakery, due_at=berlin(days(0), 15))
    assert tick(berlin(days(0), 8)) == 0
    assert digests() == []


def test_run_sweeps_runs_the_digest(studio, owner, bakery):
    open_clock(bakery, due_at=berlin(days(0), 15))
    now = berlin(days(0), 8)
    with time_machine.travel(now, tick=False):
        assert run_sweeps(now, names=["daily-digest"]) == {"daily-digest": 1}


# --- Cost ------------------------------------------------------------------------------------


def fill(studio, client, *, count: int) -> None:
    """``count`` items in every section of the studio's digest."""
    website = ProjectFactory(client=client, deadline_on=days(2))
    for index in range(count):
        open_clock(client, due_at=berlin(days(0), 15) + timedelta(minutes=index))
        promise(client, f"Promise {index}", by=berlin(days(0), 16))
        ProjectFactory(client=client, deadline_on=days(1))
        MilestoneFactory(project=website, due_on=days(1))
        ProjectFactory(client=client, status="awaiting_deposit", deposit_amount_minor=50_000)
        ActionItemFactory(project=website, due_on=days(-1))
        ClientFactory(studio=studio, last_interaction_at=berlin(date(2025, 1, 1), 10))
        OutboxEmailFactory(studio=studio, send_after=berlin(days(0), 15))
        start = berlin(days(0), 10) + timedelta(minutes=20 * index)
        Call.objects.create(
            studio=studio, client=client, starts_at=start, ends_at=start + timedelta(minutes=15), topic=f"Topic {index}"
        )


def queries_for_digest(studio, now: datetime) -> int:
    OutboxEmail.objects.filter(studio=studio, kind="digest").delete()
    SweepSchedule.objects.filter(studio=studio).update(next_run_at=now)
    with CaptureQueriesContext(connection) as queries:
        assert tick(now) == 1
    return len(queries)


def test_queries_are_constant_in_the_number_of_rows_and_of_studios_not_due(studio, owner, bakery):
    now = berlin(days(0), 8)
    fill(studio, bakery, count=2)
    few = queries_for_digest(studio, now)

    fill(studio, bakery, count=12)
    for index in range(5):  # studios that are not due: before their hour, or already sent
        other = StudioFactory(digest_hour=9 if index % 2 else 7)
        MembershipFactory(studio=other)
        fill(other, ClientFactory(studio=other), count=2)
        if other.digest_hour == 7:
            OutboxEmailFactory(studio=other, kind="digest", idempotency_key=f"digest:{other.pk}:2026-11-25")
        # Looked at already: each is next due at its next local digest hour.
        SweepSchedule.objects.filter(studio=other).update(next_run_at=now + timedelta(hours=1))
    many = queries_for_digest(studio, now)

    assert many == few
    assert Client.objects.count() > 25


def test_the_digest_lists_todays_calls_in_local_time_and_not_cancelled_or_tomorrows(studio, owner, bakery):
    def call(start: datetime, topic: str, **extra) -> Call:
        return Call.objects.create(
            studio=studio, client=bakery, starts_at=start, ends_at=start + timedelta(minutes=15), topic=topic, **extra
        )

    call(berlin(days(0), 11, 30), "Which photos go on the home page")
    call(berlin(days(0), 14), "Cancelled chat", status=Call.Status.CANCELLED)
    call(berlin(days(1), 9), "Tomorrow's call")

    assert tick(berlin(days(0), 8)) == 1

    text = digests()[0].text
    assert "CALLS TODAY (1)" in text
    assert "11:30–11:45 Ann's Bakery" in text
    assert "Which photos go on the home page" in text
    assert "Cancelled chat" not in text
    assert "Tomorrow's call" not in text

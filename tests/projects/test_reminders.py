"""Scheduled project reminders (projects.reminders): Friday, deadlines, action items, deposits."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.messages import get_messages
from django.test import Client as Browser
from django.urls import reverse

from comms.models import OutboxEmail
from kernel.models import SweepSchedule
from kernel.sweeps import run_sweeps
from projects import reminders
from projects.models import Project, StatusUpdate
from projects.services import project_set_status
from tests.factories import (
    ActionItemFactory,
    ClientFactory,
    ContactFactory,
    MembershipFactory,
    MessageFactory,
    MilestoneFactory,
    PaymentFactory,
    ProjectFactory,
    StudioFactory,
    ThreadFactory,
)

BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")
FRIDAY = datetime(2026, 11, 20, 10, 5, tzinfo=BERLIN)
WEEK = "2026-W47"


def run(function, when: datetime) -> int:
    """Run a sweep as beat would at ``when``: the clock stands still there.

    These tests jump around the calendar (even backwards), so every studio is made due at every tick:
    the studio schedule is an optimisation tested in tests/crm/test_sweeps.py; the keys alone must
    keep each reminder to once.
    """
    SweepSchedule.objects.update(next_run_at=when)
    with time_machine.travel(when, tick=False):
        return function(when)


def rows(kind: str | None = None) -> list[OutboxEmail]:
    emails = OutboxEmail.objects.order_by("pk")
    return list(emails.filter(kind=kind) if kind else emails)


def keys(kind: str | None = None) -> list[str]:
    return [email.idempotency_key for email in rows(kind)]


def client_with_contacts(studio, name="Acme & Sons", **contact):
    client = ClientFactory(studio=studio, name=name)
    ContactFactory(client=client, name="Zoe Baker", email=f"zoe@{client.pk}.example", is_primary=True, **contact)
    ContactFactory(client=client, name="Adam Flour", email=f"adam@{client.pk}.example")
    return client


def active_project(studio, **fields) -> Project:
    client = fields.pop("client", None) or client_with_contacts(studio)
    fields.setdefault("active_from", date(2026, 1, 1))
    return ProjectFactory(client=client, **fields)


@pytest.fixture
def berlin(studio, owner):
    return studio


# --- Friday ------------------------------------------------------------------------------------------


def test_friday_reminder_lists_each_due_project_with_its_draft_one_click_away(berlin):
    site = active_project(berlin, title="Bakery <site>")
    covered = active_project(berlin, title="Covered shop")
    thread = ThreadFactory(client=covered.client)
    MessageFactory(
        thread=thread, direction="out", to=[covered.client.contacts.first().email], sent_at=FRIDAY - timedelta(days=2)
    )

    written = run(reminders.friday_sweep, FRIDAY)

    assert written == 1
    (email,) = rows()
    assert (email.kind, email.idempotency_key) == ("friday-reminder", f"friday-reminder:{berlin.pk}:{WEEK}")
    assert email.to == ["owner@northlight.example"]
    assert email.send_after == FRIDAY
    assert email.subject == "Friday update due for 1 project"
    link = settings.SITE_URL + reverse("projects:update", args=[site.pk])
    assert f"• Bakery <site> (Acme & Sons)\n  {link}" in email.text
    assert "Covered shop" not in email.text
    assert "Monday 16 November" in email.text
    assert "<strong>Bakery &lt;site&gt;</strong> (Acme &amp; Sons)" in email.html
    assert f'<a href="{link}"' in email.html


def test_friday_reminder_is_written_once_however_often_beat_ticks(berlin):
    active_project(berlin)

    first = run(reminders.friday_sweep, FRIDAY)
    again = run(reminders.friday_sweep, FRIDAY + timedelta(minutes=5))
    later = run(reminders.friday_sweep, FRIDAY + timedelta(hours=8))

    assert (first, again, later) == (1, 0, 0)
    assert keys() == [f"friday-reminder:{berlin.pk}:{WEEK}"]


def test_no_friday_reminder_when_nothing_is_due(berlin):
    ProjectFactory(client=client_with_contacts(berlin), status="completed", active_from=date(2026, 1, 1),
                   active_until=date(2026, 10, 1))  # fmt: skip

    assert run(reminders.friday_sweep, FRIDAY) == 0
    assert rows() == []


@pytest.mark.parametrize(
    "when",
    [
        datetime(2026, 11, 20, 9, 55, tzinfo=BERLIN),  # before the hour
        datetime(2026, 11, 19, 10, 5, tzinfo=BERLIN),  # Thursday
        datetime(2026, 11, 21, 10, 5, tzinfo=BERLIN),  # Saturday: beat was down all Friday
        datetime(2026, 11, 23, 10, 5, tzinfo=BERLIN),  # Monday after
    ],
)
def test_friday_reminder_only_on_the_local_friday_after_the_hour(berlin, when):
    active_project(berlin)

    assert run(reminders.friday_sweep, when) == 0
    assert rows() == []


def test_after_three_days_of_downtime_a_past_friday_is_not_reminded_but_the_next_one_is(berlin):
    active_project(berlin)

    run(reminders.friday_sweep, datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN))
    run(reminders.friday_sweep, datetime(2026, 11, 27, 10, 0, tzinfo=BERLIN))

    assert keys() == [f"friday-reminder:{berlin.pk}:2026-W48"]


FRIDAYS_ACROSS_DST = [
    date(2026, 3, 6),  # New York still on EST
    date(2026, 3, 13),  # New York on EDT since Sunday 8 March
    date(2026, 3, 27),  # Berlin on CET
    date(2026, 4, 3),  # Berlin on CEST since Sunday 29 March (Good Friday)
    date(2026, 10, 23),
    date(2026, 10, 30),  # Berlin back on CET since Sunday 25 October
    date(2026, 11, 6),  # New York back on EST since Sunday 1 November
]


def test_tokyo_new_york_and_berlin_each_get_the_friday_reminder_at_their_own_hour_once_across_dst(db):
    zones = {"tokyo": TOKYO, "new-york": NEW_YORK, "berlin": BERLIN}
    studios = {}
    for slug, zone in zones.items():
        studios[slug] = StudioFactory(slug=slug, timezone=str(zone), friday_update_hour=10)
        MembershipFactory(studio=studios[slug], user__email=f"owner@{slug}.example")
        active_project(studios[slug])

    for friday in FRIDAYS_ACROSS_DST:
        # Beat ticks every 15 minutes from Thursday noon to Saturday noon UTC: every zone's Friday.
        start = datetime(friday.year, friday.month, friday.day, 12, tzinfo=UTC) - timedelta(days=1)
        for tick in range(48 * 4):
            run(reminders.friday_sweep, start + timedelta(minutes=15 * tick))

        week = f"{friday.isocalendar().year}-W{friday.isocalendar().week:02d}"
        for slug, zone in zones.items():
            studio = studios[slug]
            (email,) = OutboxEmail.objects.filter(studio=studio, idempotency_key__endswith=week)
            assert email.idempotency_key == f"friday-reminder:{studio.pk}:{week}"
            local = email.created_at.astimezone(zone)
            assert (local.date(), local.hour, local.minute) == (friday, 10, 0), slug
            assert email.send_after == email.created_at
            assert email.to == [f"owner@{slug}.example"]
    assert OutboxEmail.objects.count() == len(zones) * len(FRIDAYS_ACROSS_DST)


def test_reminder_hour_before_opening_waits_for_the_opening_the_same_friday(berlin):
    berlin.friday_update_hour = 7
    berlin.save()
    active_project(berlin)

    run(reminders.friday_sweep, datetime(2026, 11, 20, 7, 5, tzinfo=BERLIN))

    (email,) = rows()
    assert email.send_after == datetime(2026, 11, 20, 9, 0, tzinfo=BERLIN)


def test_on_a_holiday_friday_the_reminder_waits_for_the_next_opening_like_every_notification(berlin):
    berlin.holiday_country = "DE"
    berlin.save()
    active_project(berlin)
    good_friday = datetime(2026, 4, 3, 10, 5, tzinfo=BERLIN)

    run(reminders.friday_sweep, good_friday)

    (email,) = rows()
    assert email.send_after == datetime(2026, 4, 7, 9, 0, tzinfo=BERLIN)  # Easter Monday is a holiday too


# --- Friday auto-send ---------------------------------------------------------------------------------


def test_auto_send_sends_the_draft_once_and_the_reminder_says_so(berlin):
    site = active_project(berlin, title="Bakery site", friday_auto_send=True, deadline_on=date(2026, 12, 18))
    ActionItemFactory(project=site, text="Send the logo", due_on=date(2026, 11, 24))
    manual = active_project(berlin, title="Manual shop")

    written = run(reminders.friday_sweep, FRIDAY)
    again = run(reminders.friday_sweep, FRIDAY + timedelta(minutes=5))

    assert (written, again) == (2, 0)
    (update_email,) = rows("friday-update-auto")
    contacts = site.client.contacts.order_by("-is_primary")
    assert update_email.idempotency_key == f"friday-update:{site.pk}:{WEEK}"
    assert (update_email.to, update_email.cc) == ([contacts[0].email], [contacts[1].email])
    assert update_email.subject == "Bakery site — update for the week of Monday 16 November"
    assert (update_email.template, update_email.client, update_email.project) == ("friday-update", site.client, site)
    assert "Hello Zoe," in update_email.text
    assert "NEXT STEPS\n• Send the logo (by Tue 24 Nov)" in update_email.text
    assert StatusUpdate.objects.get(project=site, week=WEEK).sent_at == FRIDAY
    (reminder,) = rows("friday-reminder")
    assert reminder.subject == "Friday update due for 1 project"
    to_write, sent_automatically = reminder.text.split("Sent automatically")
    assert "Manual shop" in to_write
    assert "Bakery site" not in to_write
    assert "Bakery site" in sent_automatically
    assert manual.title not in sent_automatically


def test_after_an_automatic_send_a_manual_send_is_refused(berlin, owner):
    site = active_project(berlin, friday_auto_send=True)
    run(reminders.friday_sweep, FRIDAY)
    browser = Browser()
    browser.force_login(owner)

    with time_machine.travel(FRIDAY + timedelta(minutes=10), tick=False):
        response = browser.post(
            reverse("projects:update", args=[site.pk]),
            {"summary": "Again", "done_this_week": "", "next_up": "", "blockers": "", "client_next_steps": "",
             "send": "1"},
        )  # fmt: skip

    assert response.status_code == 302
    assert any("can't be edited or sent again" in str(m) for m in get_messages(response.wsgi_request))
    assert len(rows("friday-update-auto")) == 1
    assert rows("friday-update") == []


def test_a_manual_send_first_means_no_automatic_send_and_no_reminder(berlin, owner):
    site = active_project(berlin, friday_auto_send=True)
    browser = Browser()
    browser.force_login(owner)
    with time_machine.travel(FRIDAY - timedelta(minutes=30), tick=False):
        browser.get(reverse("projects:update", args=[site.pk]))
        browser.post(
            reverse("projects:update", args=[site.pk]),
            {"summary": "Hi", "done_this_week": "", "next_up": "", "blockers": "", "client_next_steps": "",
             "send": "1"},
        )  # fmt: skip
    assert len(rows("friday-update")) == 1  # queued, not yet sent: the week is not covered yet

    assert run(reminders.friday_sweep, FRIDAY) == 0
    assert rows("friday-update-auto") == rows("friday-reminder") == []


def test_auto_send_without_a_contact_is_left_to_the_freelancer(berlin):
    active_project(berlin, title="Lonely", client=ClientFactory(studio=berlin), friday_auto_send=True)

    run(reminders.friday_sweep, FRIDAY)

    assert rows("friday-update-auto") == []
    (reminder,) = rows("friday-reminder")
    assert "Lonely" in reminder.text
    assert "not sent automatically: the client has no contact" in reminder.text
    assert StatusUpdate.objects.filter(sent_at__isnull=False).count() == 0


def test_auto_send_before_opening_waits_for_working_hours(berlin):
    berlin.friday_update_hour = 7
    berlin.save()
    active_project(berlin, friday_auto_send=True)

    run(reminders.friday_sweep, datetime(2026, 11, 20, 7, 5, tzinfo=BERLIN))

    (email,) = rows("friday-update-auto")
    assert email.send_after == datetime(2026, 11, 20, 9, 0, tzinfo=BERLIN)


# --- Deadlines -----------------------------------------------------------------------------------------

DEADLINE = date(2026, 11, 20)  # a Friday


def at(day: date, hour: int = 10, zone=BERLIN) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=zone)


def test_deadline_reminders_three_days_and_one_day_before_once_each(berlin):
    site = active_project(berlin, title="Bakery site", deadline_on=DEADLINE)

    written = [run(reminders.deadlines_sweep, at(DEADLINE - timedelta(days=days))) for days in (4, 3, 2, 1, 0)]
    run(reminders.deadlines_sweep, at(DEADLINE + timedelta(days=1)))

    assert written == [0, 1, 0, 1, 0]
    assert keys() == [
        f"deadline-reminder:project:{site.pk}:3d:2026-11-20",
        f"deadline-reminder:project:{site.pk}:1d:2026-11-20",
    ]
    three, one = rows()
    assert three.subject == "Bakery site: the deadline is in 3 days"
    assert one.subject == "Bakery site: the deadline is tomorrow"
    assert "Friday 20 November 2026" in three.text
    assert settings.SITE_URL + reverse("projects:detail", args=[site.pk]) in three.text
    assert three.to == ["owner@northlight.example"]
    assert three.kind == "deadline-reminder"


def test_milestones_are_reminded_unless_done_and_only_for_active_projects(berlin):
    site = active_project(berlin, title="Bakery site")
    mockups = MilestoneFactory(project=site, title="Mock-ups <v2>", due_on=DEADLINE)
    MilestoneFactory(project=site, title="Done", due_on=DEADLINE, done_at=at(DEADLINE - timedelta(days=5)))
    paused = active_project(berlin, status="on_hold", deadline_on=DEADLINE)
    MilestoneFactory(project=paused, due_on=DEADLINE)

    run(reminders.deadlines_sweep, at(DEADLINE - timedelta(days=3)))

    (email,) = rows()
    assert email.idempotency_key == f"deadline-reminder:milestone:{mockups.pk}:3d:2026-11-20"
    assert email.subject == "“Mock-ups <v2>” (Bakery site) is due in 3 days"
    assert "“Mock-ups &lt;v2&gt;”" in email.html


def test_after_downtime_only_the_window_in_force_is_reminded(berlin):
    site = active_project(berlin, deadline_on=DEADLINE)
    milestone = MilestoneFactory(project=site, due_on=DEADLINE - timedelta(days=3))

    # Beat down from Monday to Thursday morning: the 3-day reminder's window is over.
    run(reminders.deadlines_sweep, at(DEADLINE - timedelta(days=1)))

    assert keys() == [f"deadline-reminder:project:{site.pk}:1d:2026-11-20"]
    assert milestone.due_on < DEADLINE - timedelta(days=1)  # already past: nothing for it


def test_deadline_reminders_wait_for_working_hours(berlin):
    site = active_project(berlin, deadline_on=DEADLINE)
    tuesday_evening = at(DEADLINE - timedelta(days=3), hour=20)

    assert run(reminders.deadlines_sweep, tuesday_evening) == 0
    assert run(reminders.deadlines_sweep, at(DEADLINE - timedelta(days=2), hour=9)) == 1
    assert keys() == [f"deadline-reminder:project:{site.pk}:3d:2026-11-20"]


def test_over_a_weekend_only_the_reminder_due_at_the_opening_is_sent(berlin):
    tuesday = date(2026, 11, 24)
    site = active_project(berlin, deadline_on=tuesday)

    for day in (date(2026, 11, 21), date(2026, 11, 22)):
        assert run(reminders.deadlines_sweep, at(day)) == 0
    run(reminders.deadlines_sweep, at(date(2026, 11, 23), hour=9))

    assert keys() == [f"deadline-reminder:project:{site.pk}:1d:2026-11-24"]


def test_a_moved_deadline_is_reminded_again(berlin):
    site = active_project(berlin, deadline_on=DEADLINE)
    run(reminders.deadlines_sweep, at(DEADLINE - timedelta(days=3)))
    site.deadline_on = DEADLINE + timedelta(days=1)
    site.save()

    run(reminders.deadlines_sweep, at(DEADLINE - timedelta(days=2)))

    assert keys() == [
        f"deadline-reminder:project:{site.pk}:3d:2026-11-20",
        f"deadline-reminder:project:{site.pk}:3d:2026-11-21",
    ]


def test_deadlines_use_each_studios_local_date(db):
    tokyo = StudioFactory(slug="tokyo", timezone="Asia/Tokyo")
    MembershipFactory(studio=tokyo, user__email="owner@tokyo.example")
    site = active_project(tokyo, deadline_on=DEADLINE)

    # Tuesday 09:30 in Tokyo is still Monday in UTC: the Tokyo date counts.
    run(reminders.deadlines_sweep, datetime(2026, 11, 17, 9, 30, tzinfo=TOKYO))

    assert keys() == [f"deadline-reminder:project:{site.pk}:3d:2026-11-20"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(4, None), (3, "3d"), (2, "3d"), (1, "1d"), (0, "1d"), (-1, None)],
)
def test_deadline_window(value, expected):
    assert reminders.deadline_window(value) == expected


# --- The client's action items --------------------------------------------------------------------------


def test_action_item_reminders_go_to_the_clients_primary_contact_only_when_enabled(berlin):
    site = active_project(berlin, title="Bakery site")
    logo = ActionItemFactory(project=site, text="Send the <logo> & texts", due_on=DEADLINE)
    ActionItemFactory(project=site, owner="us", text="Ours", due_on=DEADLINE)
    ActionItemFactory(project=site, text="Done already", due_on=DEADLINE, done_at=at(DEADLINE - timedelta(days=3)))
    ActionItemFactory(project=site, text="Later", due_on=DEADLINE + timedelta(days=2))
    thursday = at(DEADLINE - timedelta(days=1))

    assert run(reminders.deadlines_sweep, thursday) == 0
    berlin.client_action_reminders = True
    berlin.save()
    written = run(reminders.deadlines_sweep, thursday)
    again = run(reminders.deadlines_sweep, thursday + timedelta(hours=2))

    assert (written, again) == (1, 0)
    (email,) = rows()
    assert (email.kind, email.idempotency_key) == ("action-item-reminder", f"action-item-reminder:{logo.pk}:2026-11-20")
    assert email.to == [site.client.contacts.get(is_primary=True).email]
    assert (email.client, email.project) == (site.client, site)
    assert email.subject == "Bakery site: a reminder for tomorrow"
    assert "Hello Zoe," in email.text
    assert "NEXT STEPS\n• Send the <logo> & texts (by Friday 20 November 2026)" in email.text
    assert "<strong>Next steps</strong>" in email.html
    assert "<strong>• Send the &lt;logo&gt; &amp; texts" in email.html
    assert "portal" not in email.text.lower()


def test_action_item_reminder_falls_back_to_the_first_contact_and_skips_closed_projects(berlin):
    berlin.client_action_reminders = True
    berlin.save()
    client = ClientFactory(studio=berlin)
    ContactFactory(client=client, name="Bea", email="bea@client.example")
    ContactFactory(client=client, name="Abe", email="abe@client.example")
    site = active_project(berlin, client=client)
    ActionItemFactory(project=site, due_on=DEADLINE)
    done_project = active_project(berlin, status="completed")
    ActionItemFactory(project=done_project, due_on=DEADLINE)

    run(reminders.deadlines_sweep, at(DEADLINE - timedelta(days=1)))

    (email,) = rows()
    assert email.to == ["abe@client.example"]


def test_action_item_missed_the_day_before_is_reminded_on_the_day_not_after(berlin):
    berlin.client_action_reminders = True
    berlin.save()
    item = ActionItemFactory(project=active_project(berlin), due_on=DEADLINE)

    run(reminders.deadlines_sweep, at(DEADLINE + timedelta(days=1)))
    assert rows() == []
    run(reminders.deadlines_sweep, at(DEADLINE))

    (email,) = rows()
    assert email.idempotency_key == f"action-item-reminder:{item.pk}:2026-11-20"
    assert email.subject.endswith("a reminder for today")


# --- Deposits ----------------------------------------------------------------------------------------

REQUESTED = datetime(2026, 11, 2, 15, 0, tzinfo=BERLIN)  # a Monday
REQUESTED_ON = "2026-11-02"


@pytest.fixture
def awaiting(berlin):
    berlin.payment_options = "Bank transfer: IBAN DE00 1234\nPayPal: pay@northlight.example"
    berlin.save()
    return active_project(
        berlin, title="Bakery site", status="awaiting_deposit", price_minor=400_000, deposit_percent=50,
        deposit_requested_at=REQUESTED, active_from=None,
    )  # fmt: skip


def test_deposit_reminders_at_each_threshold_once_until_paid(awaiting):
    days = [1, 3, 4, 7, 8, 14, 15, 22]
    written = [run(reminders.deposit_sweep, at(REQUESTED.date() + timedelta(days=day))) for day in days]

    # Day 7 is Monday 9 November, day 14 Monday 16 November: working days.
    assert written == [0, 1, 0, 1, 0, 1, 0, 0]
    assert keys() == [f"deposit-reminder:{awaiting.pk}:{REQUESTED_ON}:{day}" for day in (3, 7, 14)]
    email = rows()[0]
    assert email.kind == "deposit-reminder"
    assert email.to == [awaiting.client.contacts.get(is_primary=True).email]
    assert (email.client, email.project) == (awaiting.client, awaiting)
    assert email.subject == "Bakery site: the deposit of €2,000.00 is still open"
    assert "Bank transfer: IBAN DE00 1234\nPayPal: pay@northlight.example" in email.text
    assert "NEXT STEPS\nPay the deposit of €2,000.00 in any of the ways above." in email.text
    assert "<strong>Next steps</strong>" in email.html
    assert "<strong>Pay the deposit of €2,000.00 in any of the ways above.</strong>" in email.html
    assert "Bank transfer: IBAN DE00 1234<br>PayPal" in email.html


def test_after_downtime_only_the_latest_deposit_threshold_is_sent(awaiting):
    written = run(reminders.deposit_sweep, at(REQUESTED.date() + timedelta(days=15)))
    again = run(reminders.deposit_sweep, at(REQUESTED.date() + timedelta(days=15), hour=11))

    assert (written, again) == (1, 0)
    assert keys() == [f"deposit-reminder:{awaiting.pk}:{REQUESTED_ON}:14"]


def test_deposit_reminders_stop_once_paid_and_state_what_is_left(awaiting):
    PaymentFactory(client=awaiting.client, project=awaiting, amount_minor=50_000, currency="EUR")
    run(reminders.deposit_sweep, at(REQUESTED.date() + timedelta(days=3)))
    (email,) = rows()
    assert "€1,500.00 is still open" in email.text
    assert "(Deposit €2,000.00, €500.00 received so far: thank you.)" in email.text

    PaymentFactory(client=awaiting.client, project=awaiting, amount_minor=150_000, currency="EUR")
    assert run(reminders.deposit_sweep, at(REQUESTED.date() + timedelta(days=7))) == 0
    assert len(rows()) == 1


def test_deposit_reminders_wait_for_working_hours(awaiting):
    saturday = REQUESTED.date() + timedelta(days=5)
    assert run(reminders.deposit_sweep, at(saturday)) == 0
    assert run(reminders.deposit_sweep, at(REQUESTED.date() + timedelta(days=3), hour=19)) == 0


def test_deposit_reminders_follow_the_studios_days(awaiting, berlin):
    berlin.deposit_reminder_days = "2, 5"
    berlin.save()

    run(reminders.deposit_sweep, at(REQUESTED.date() + timedelta(days=2)))
    run(reminders.deposit_sweep, at(REQUESTED.date() + timedelta(days=3)))

    assert keys() == [f"deposit-reminder:{awaiting.pk}:{REQUESTED_ON}:2"]


def test_no_deposit_reminder_without_a_request_date_or_a_deposit(berlin):
    active_project(berlin, status="awaiting_deposit", price_minor=400_000, deposit_percent=50, active_from=None)
    active_project(berlin, status="awaiting_deposit", deposit_requested_at=REQUESTED, active_from=None)

    assert run(reminders.deposit_sweep, at(REQUESTED.date() + timedelta(days=3))) == 0


@pytest.mark.parametrize(
    ("text", "expected"), [("3,7,14", (3, 7, 14)), ("14, 3,3", (3, 14)), ("", ()), ("0,x,5", (5,))]
)
def test_parse_reminder_days(text, expected):
    assert reminders.parse_reminder_days(text) == expected


@pytest.mark.parametrize(("days", "expected"), [(0, None), (2, None), (3, 3), (6, 3), (7, 7), (30, 14)])
def test_deposit_threshold_due(days, expected):
    assert reminders.deposit_threshold_due(days, (3, 7, 14)) == expected


def test_deposit_requested_at_is_set_on_entering_awaiting_deposit_and_cleared_on_leaving(berlin, owner):
    project = active_project(berlin, status="quoted", price_minor=400_000, deposit_percent=50, active_from=None)

    project_set_status(project=project, target="awaiting_deposit", by=owner, now=REQUESTED)
    assert Project.objects.get(pk=project.pk).deposit_requested_at == REQUESTED
    assert project.deposit_requested_at == REQUESTED

    project_set_status(project=project, target="quoted", by=owner, now=REQUESTED + timedelta(days=1))
    assert Project.objects.get(pk=project.pk).deposit_requested_at is None

    project_set_status(project=project, target="awaiting_deposit", by=owner, now=REQUESTED + timedelta(days=2))
    PaymentFactory(client=project.client, project=project, amount_minor=200_000, currency="EUR")
    project_set_status(project=project, target="in_progress", by=owner, now=REQUESTED + timedelta(days=3))
    assert Project.objects.get(pk=project.pk).deposit_requested_at is None


# --- Every sweep together ---------------------------------------------------------------------------


def test_beat_down_three_days_then_restarted_sends_what_is_still_relevant_once(berlin, awaiting):
    berlin.client_action_reminders = True
    berlin.save()
    site = active_project(berlin, title="Site", deadline_on=date(2026, 11, 23))
    ActionItemFactory(project=site, due_on=date(2026, 11, 19))  # overdue by the restart: stale
    ActionItemFactory(project=site, due_on=date(2026, 11, 24))
    # Beat stopped on Thursday 19 November; restarted on Monday 23 November at 10:00.
    restart = datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)
    names = ["friday", "deadlines", "deposits"]

    first = run(lambda now: run_sweeps(now, names=names), restart)
    second = run(lambda now: run_sweeps(now, names=names), restart + timedelta(minutes=5))

    assert first == {"friday": 0, "deadlines": 2, "deposits": 1}
    assert second == {"friday": 0, "deadlines": 0, "deposits": 0}
    assert sorted(email.kind for email in rows()) == ["action-item-reminder", "deadline-reminder", "deposit-reminder"]
    assert f"deposit-reminder:{awaiting.pk}:{REQUESTED_ON}:14" in keys()
    assert f"deadline-reminder:project:{site.pk}:1d:2026-11-23" in keys()


def test_sweeps_with_nothing_due_cost_the_same_however_many_rows_are_stored(db, django_assert_max_num_queries):
    for n in range(15):
        studio = StudioFactory(slug=f"s{n}")
        project = active_project(
            studio, deadline_on=date(2027, 6, 1), status="completed", completed_on=date(2025, 1, 1)
        )
        MilestoneFactory(project=project, due_on=date(2027, 5, 1))
        ActionItemFactory(project=project, due_on=date(2027, 5, 1))
    thursday = datetime(2026, 11, 19, 10, tzinfo=BERLIN)

    with time_machine.travel(thursday, tick=False), django_assert_max_num_queries(7):
        run_sweeps(thursday, names=["friday", "deadlines", "deposits", "surveys"])


def test_the_project_form_turns_friday_auto_send_on_and_off(berlin, owner):
    site = active_project(berlin, title="Shop")
    browser = Browser()
    browser.force_login(owner)
    data = {"client": site.client.pk, "title": "Shop", "currency": "EUR", "deposit_percent": "50",
            "extras_policy": "x", "friday_auto_send": "on"}  # fmt: skip

    assert 'name="friday_auto_send"' in browser.get(reverse("projects:edit", args=[site.pk])).content.decode()
    browser.post(reverse("projects:edit", args=[site.pk]), data)
    assert Project.objects.get(pk=site.pk).friday_auto_send is True
    browser.post(reverse("projects:edit", args=[site.pk]), {k: v for k, v in data.items() if k != "friday_auto_send"})
    assert Project.objects.get(pk=site.pk).friday_auto_send is False


def test_a_deposit_asked_for_again_gets_its_reminders_again(awaiting):
    run(reminders.deposit_sweep, at(REQUESTED.date() + timedelta(days=3)))
    asked_again = REQUESTED + timedelta(days=14)  # Monday 16 November
    type(awaiting).objects.filter(pk=awaiting.pk).update(deposit_requested_at=asked_again)
    run(reminders.deposit_sweep, at(asked_again.date() + timedelta(days=3)))

    assert keys() == [
        f"deposit-reminder:{awaiting.pk}:{REQUESTED_ON}:3",
        f"deposit-reminder:{awaiting.pk}:2026-11-16:3",
    ]


def test_the_deadline_sweep_reads_projects_by_status_and_date_whatever_the_studios():
    """SQLite uses a partial index only when the query spells its condition with literals, never ``?``."""
    index = next(index for index in Project._meta.indexes if index.name == "project_status_deadline")
    assert (index.fields, index.condition) == (["status", "deadline_on"], None)

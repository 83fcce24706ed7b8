"""Staying in touch (R14) sweeps: touchpoints due, past clients, the yearly card list, anniversaries."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.models import Client, Touchpoint
from comms.models import OutboxEmail
from desk.stay_in_touch import (
    anniversary_days,
    silence,
    sweep_anniversaries,
    sweep_past_clients,
    sweep_touchpoints_due,
    sweep_yearly_card,
    week_end,
    years_together,
)
from kernel.models import SweepSchedule
from kernel.sweeps import SWEEPS, run_sweeps
from tests.factories import ClientFactory, ContactFactory, MembershipFactory, StudioFactory, TouchpointFactory

BERLIN = ZoneInfo("Europe/Berlin")
STAY_IN_TOUCH = ("touchpoints", "past-clients", "yearly-card", "anniversaries")


def local(tz: ZoneInfo | str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(tz) if isinstance(tz, str) else tz)


def every_studio_looked_at_now(now: datetime) -> None:
    """These tests jump around the calendar (even backwards); the studio schedule is an optimisation
    tested in tests/crm/test_sweeps.py, so here every studio is due at every tick and the keys alone
    must keep each note to once."""
    SweepSchedule.objects.update(next_run_at=now)


def run(sweep, now: datetime) -> int:
    every_studio_looked_at_now(now)
    with time_machine.travel(now, tick=False):
        return sweep(now)


def run_all(now: datetime) -> dict:
    every_studio_looked_at_now(now)
    with time_machine.travel(now, tick=False):
        return run_sweeps(now, names=STAY_IN_TOUCH)


def last_seen(day: date, tz: ZoneInfo = BERLIN) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=tz)


def keys() -> list[str]:
    return sorted(OutboxEmail.objects.values_list("idempotency_key", flat=True))


# --- Pure rules ---------------------------------------------------------------------------------


def test_the_week_ends_on_its_sunday():
    assert week_end(date(2026, 3, 2)) == date(2026, 3, 8)
    assert week_end(date(2026, 3, 8)) == date(2026, 3, 8)


def test_a_note_covers_its_day_and_the_non_working_days_just_before_it():
    weekdays = lambda day: day.weekday() < 5  # noqa: E731
    assert anniversary_days(date(2026, 3, 2), is_working_day=weekdays) == [
        date(2026, 2, 28),
        date(2026, 3, 1),
        date(2026, 3, 2),
    ]
    assert anniversary_days(date(2026, 3, 3), is_working_day=weekdays) == [date(2026, 3, 3)]
    easter_monday_off = lambda day: weekdays(day) and day != date(2026, 4, 6)  # noqa: E731
    assert anniversary_days(date(2026, 4, 7), is_working_day=easter_monday_off) == [
        date(2026, 4, 4),
        date(2026, 4, 5),
        date(2026, 4, 6),
        date(2026, 4, 7),
    ]


def test_anniversaries_count_whole_years_and_29_february_falls_on_28_february_in_common_years():
    assert years_together(date(2023, 3, 3), date(2026, 3, 3)) == 3
    assert years_together(date(2026, 3, 3), date(2026, 3, 3)) is None  # the first day is not an anniversary
    assert years_together(date(2023, 3, 3), date(2026, 3, 4)) is None
    assert years_together(date(2024, 2, 29), date(2027, 2, 28)) == 3
    assert years_together(date(2024, 2, 29), date(2028, 2, 28)) is None
    assert years_together(date(2024, 2, 29), date(2028, 2, 29)) == 4


def test_silence_is_said_roughly():
    assert [silence(days) for days in (1, 12, 20, 95, 800)] == ["1 day", "12 days", "2 weeks", "3 months", "2 years"]


def test_the_four_sweeps_are_registered():
    assert set(STAY_IN_TOUCH) <= set(SWEEPS)


# --- Touchpoints due ----------------------------------------------------------------------------

MONDAY = date(2026, 3, 2)  # ISO week 2026-W10; Berlin is on CET (UTC+1) until 29 March


@pytest.fixture
def due_clients(studio):
    """An angel 12 days overdue, a regular 33 days overdue, one due on Wednesday, one not due."""
    return {
        "angel": ClientFactory(
            studio=studio, name="Kite Legal", tier=Client.Tier.ANGEL, last_interaction_at=last_seen(date(2025, 11, 20))
        ),
        "overdue": ClientFactory(studio=studio, name="Acme", last_interaction_at=last_seen(date(2025, 8, 1))),
        "wednesday": ClientFactory(studio=studio, name="Bolt", last_interaction_at=last_seen(date(2025, 9, 5))),
        "recent": ClientFactory(studio=studio, name="Calm", last_interaction_at=last_seen(date(2026, 1, 10))),
    }


def test_touchpoints_due_this_week_go_out_on_the_first_working_day_at_the_digest_hour(studio, owner, due_clients):
    assert run(sweep_touchpoints_due, local(BERLIN, 2026, 3, 2, 7, 55)) == 0

    assert run(sweep_touchpoints_due, local(BERLIN, 2026, 3, 2, 8, 0)) == 1

    email = OutboxEmail.objects.get()
    assert email.kind == email.template == "touchpoints-due"
    assert email.idempotency_key == f"touchpoints-due:{studio.pk}:2026-W10"
    assert email.to == ["owner@northlight.example"]
    assert email.send_after == local(BERLIN, 2026, 3, 2, 9, 0)  # R5: waits for the opening
    assert email.subject == "3 clients to get in touch with this week"
    text = email.text
    assert text.index("Kite Legal") < text.index("Acme") < text.index("Bolt")  # angels first, most overdue first
    assert "Calm" not in text
    assert "• Kite Legal (angel) — 12 days overdue" in text
    assert "Angel client: time for a personal call, lunch or note." in text
    assert "Last contact 3 months ago (Thursday 20 November 2025)." in text
    assert "• Acme — 33 days overdue" in text
    assert "• Bolt — due Wednesday 4 March" in text
    assert f"http://127.0.0.1:8000/clients/{due_clients['angel'].pk}/\n" in text  # settings.SITE_URL
    assert f'/clients/{due_clients["angel"].pk}/touchpoints/new/"' in email.html


def test_touchpoints_due_twice_or_later_in_the_week_add_nothing_and_next_week_brings_a_new_list(
    studio, owner, due_clients
):
    assert run(sweep_touchpoints_due, local(BERLIN, 2026, 3, 2, 8, 0)) == 1
    assert run(sweep_touchpoints_due, local(BERLIN, 2026, 3, 2, 8, 5)) == 0
    assert run(sweep_touchpoints_due, local(BERLIN, 2026, 3, 4, 11, 0)) == 0
    assert run(sweep_touchpoints_due, local(BERLIN, 2026, 3, 9, 8, 0)) == 1
    assert keys() == [f"touchpoints-due:{studio.pk}:2026-W10", f"touchpoints-due:{studio.pk}:2026-W11"]


def test_no_touchpoints_list_when_nobody_is_due_or_nobody_to_tell(studio, owner):
    ClientFactory(studio=studio, last_interaction_at=last_seen(date(2026, 2, 1)))
    assert run(sweep_touchpoints_due, local(BERLIN, 2026, 3, 2, 8, 0)) == 0

    lonely = StudioFactory(slug="lonely")  # no owner
    ClientFactory(studio=lonely, last_interaction_at=last_seen(date(2024, 1, 1)))
    assert run(sweep_touchpoints_due, local(BERLIN, 2026, 3, 2, 8, 0)) == 0
    assert not OutboxEmail.objects.exists()


def test_archived_clients_and_leads_are_not_on_the_touchpoints_list(studio, owner):
    long_ago = last_seen(date(2024, 1, 1))
    ClientFactory(studio=studio, name="Archived", last_interaction_at=long_ago, archived_at=long_ago)
    ClientFactory(studio=studio, name="Lead", status=Client.Status.LEAD, last_interaction_at=long_ago)
    assert run(sweep_touchpoints_due, local(BERLIN, 2026, 3, 2, 8, 0)) == 0


# --- Past clients -------------------------------------------------------------------------------


def test_past_clients_to_call_weekly_longest_silence_first_as_many_as_the_studio_chose(studio, owner):
    studio.past_clients_per_week = 2
    studio.save()
    quiet = ClientFactory(
        studio=studio, name="Quiet Ltd", status="past", last_interaction_at=last_seen(date(2025, 1, 5))
    )
    ContactFactory(client=quiet, name="Ada Quiet", phone="+49 30 123", email="ada@quiet.example", is_primary=True)
    ClientFactory(studio=studio, name="Never", status="past", last_interaction_at=None)
    ClientFactory(studio=studio, name="Recent", status="past", last_interaction_at=last_seen(date(2026, 2, 1)))
    ClientFactory(studio=studio, name="Current", last_interaction_at=None)

    assert run(sweep_past_clients, local(BERLIN, 2026, 3, 2, 8, 0)) == 1
    assert run(sweep_past_clients, local(BERLIN, 2026, 3, 2, 8, 5)) == 0

    email = OutboxEmail.objects.get()
    assert email.kind == "past-clients"
    assert email.idempotency_key == f"past-clients:{studio.pk}:2026-W10"
    assert email.subject == "2 past clients to call this week"
    assert email.text.index("Never") < email.text.index("Quiet Ltd")
    assert "Recent" not in email.text
    assert "Current" not in email.text
    assert "• Quiet Ltd — Ada Quiet, +49 30 123, ada@quiet.example" in email.text
    assert "Silent for 14 months, since Sunday 5 January 2025." in email.text
    assert "Never contacted." in email.text
    assert 'href="tel:+49 30 123"' in email.html


def test_no_past_clients_list_without_past_clients(studio, owner):
    ClientFactory(studio=studio, last_interaction_at=None)
    assert run(sweep_past_clients, local(BERLIN, 2026, 3, 2, 8, 0)) == 0


# --- Yearly card --------------------------------------------------------------------------------

CARD_DAY = local(BERLIN, 2026, 12, 1, 8, 0)  # Tuesday 1 December 2026, card month 12 (the default)


@pytest.fixture
def card_clients(studio):
    recent, added = last_seen(date(2026, 11, 1)), last_seen(date(2025, 6, 1))
    clients = {
        "regular": ClientFactory(studio=studio, name="Bolt", last_interaction_at=recent, added_at=added),
        "angel": ClientFactory(
            studio=studio, name="Zephyr", tier=Client.Tier.ANGEL, last_interaction_at=recent, added_at=added
        ),
        "past": ClientFactory(studio=studio, name="Acme", status="past", last_interaction_at=recent, added_at=added),
        "carded": ClientFactory(studio=studio, name="Carded", last_interaction_at=recent, added_at=added),
    }
    ContactFactory(client=clients["angel"], name="Zoe Zephyr", email="zoe@zephyr.example", is_primary=True)
    TouchpointFactory(client=clients["carded"], kind=Touchpoint.Kind.CARD, happened_on=date(2026, 1, 10))
    ClientFactory(studio=studio, name="Archived", archived_at=recent, last_interaction_at=recent)
    ClientFactory(studio=studio, name="Lead", status="lead", last_interaction_at=recent)
    return clients


def test_yearly_card_list_on_the_first_working_day_of_the_card_month_angels_first(studio, owner, card_clients):
    assert run(sweep_yearly_card, local(BERLIN, 2026, 11, 30, 8, 0)) == 0  # November
    assert run(sweep_yearly_card, CARD_DAY) == 1
    assert run(sweep_yearly_card, CARD_DAY) == 0

    email = OutboxEmail.objects.get()
    assert email.kind == "yearly-card"
    assert email.idempotency_key == f"yearly-card:{studio.pk}:2026"
    assert email.subject == "Yearly cards: 3 clients to send one to"
    text = email.text
    assert "It is December: time for this year's card to your clients." in text
    assert "• Zephyr (angel) — Zoe Zephyr, zoe@zephyr.example" in text
    assert text.index("Zephyr") < text.index("Acme") < text.index("Bolt")
    for absent in ("Carded", "Archived", "Lead"):
        assert absent not in text


def test_the_yearly_card_month_is_the_studios_choice(studio, owner, card_clients):
    studio.yearly_card_month = 11
    studio.save()
    assert run(sweep_yearly_card, CARD_DAY) == 0
    assert run(sweep_yearly_card, local(BERLIN, 2026, 11, 2, 8, 0)) == 1


def test_a_missed_yearly_card_day_is_caught_up_in_the_month_never_after_it(studio, owner, card_clients):
    assert run(sweep_yearly_card, local(BERLIN, 2027, 1, 4, 10, 0)) == 0  # beat down all December
    assert run(sweep_yearly_card, local(BERLIN, 2026, 12, 9, 10, 0)) == 1  # down 1–8 December
    assert run(sweep_yearly_card, local(BERLIN, 2026, 12, 10, 10, 0)) == 0
    assert keys() == [f"yearly-card:{studio.pk}:2026"]


# --- Anniversaries ------------------------------------------------------------------------------


def test_an_anniversary_note_on_the_day(studio, owner):
    kite = ClientFactory(studio=studio, name="Kite Legal", client_since=date(2023, 3, 3))
    ClientFactory(studio=studio, name="Not yet", client_since=date(2026, 3, 3))
    ClientFactory(studio=studio, name="Other day", client_since=date(2023, 3, 4))

    assert run(sweep_anniversaries, local(BERLIN, 2026, 3, 3, 8, 0)) == 1
    assert run(sweep_anniversaries, local(BERLIN, 2026, 3, 3, 15, 0)) == 0

    email = OutboxEmail.objects.get()
    assert email.kind == "anniversary"
    assert email.idempotency_key == f"anniversary:{studio.pk}:2026-03-03"
    assert email.subject == "Kite Legal: 3 years with you today"
    assert "• Kite Legal: 3 years with you today" in email.text
    assert f"/clients/{kite.pk}/" in email.text
    assert "Not yet" not in email.text
    assert "Other day" not in email.text
    assert email.send_after == local(BERLIN, 2026, 3, 3, 9, 0)


def test_weekend_anniversaries_are_in_mondays_note_and_29_february_is_kept_on_28_february(studio, owner):
    ClientFactory(studio=studio, name="Leap", client_since=date(2024, 2, 29))  # Saturday 28 Feb 2026
    ClientFactory(studio=studio, name="Monday", status="past", client_since=date(2025, 3, 2))
    ClientFactory(studio=studio, name="Archived", client_since=date(2025, 3, 2), archived_at=last_seen(MONDAY))
    ClientFactory(studio=studio, name="Lead", status="lead", client_since=date(2025, 3, 2))

    assert run(sweep_anniversaries, local(BERLIN, 2026, 2, 28, 10, 0)) == 0  # Saturday: no note
    assert run(sweep_anniversaries, local(BERLIN, 2026, 3, 2, 8, 0)) == 1

    email = OutboxEmail.objects.get()
    assert email.subject == "2 client anniversaries"
    assert "• Leap: 2 years with you on Saturday 28 February\n" in email.text
    assert "• Monday: 1 year with you today\n" in email.text
    assert "Archived" not in email.text
    assert "Lead" not in email.text


def test_no_anniversary_note_on_a_day_without_anniversaries(studio, owner):
    ClientFactory(studio=studio, client_since=date(2023, 3, 4))
    assert run(sweep_anniversaries, local(BERLIN, 2026, 3, 3, 8, 0)) == 0
    assert not OutboxEmail.objects.exists()


# --- Downtime, repetition, time zones -----------------------------------------------------------


def test_beat_down_three_days_sends_this_weeks_lists_once_and_nothing_stale(studio, owner, due_clients):
    """Down from Friday 27 February to Wednesday 4 March: Monday's and Tuesday's notes are lost."""
    ClientFactory(studio=studio, name="Old Friend", status="past", last_interaction_at=last_seen(date(2025, 5, 5)))
    ClientFactory(studio=studio, name="Monday Co", client_since=date(2024, 3, 2))
    ClientFactory(studio=studio, name="Tuesday Co", client_since=date(2024, 3, 3))
    ClientFactory(studio=studio, name="Wednesday Co", client_since=date(2024, 3, 4))

    restart = local(BERLIN, 2026, 3, 4, 10, 0)
    assert run_all(restart) == {"touchpoints": 1, "past-clients": 1, "yearly-card": 0, "anniversaries": 1}
    assert run_all(restart) == dict.fromkeys(STAY_IN_TOUCH, 0)

    assert keys() == sorted(
        [
            f"touchpoints-due:{studio.pk}:2026-W10",
            f"past-clients:{studio.pk}:2026-W10",
            f"anniversary:{studio.pk}:2026-03-04",
        ]
    )
    anniversary = OutboxEmail.objects.get(kind="anniversary")
    assert "Wednesday Co" in anniversary.text
    assert "Monday Co" not in anniversary.text
    assert "Tuesday Co" not in anniversary.text


def test_a_past_weeks_lists_are_never_sent(studio, owner, due_clients):
    """Down over the whole of week 10: on Monday of week 11, before the hour, nothing is sent."""
    assert run_all(local(BERLIN, 2026, 3, 9, 7, 30)) == dict.fromkeys(STAY_IN_TOUCH, 0)
    assert run_all(local(BERLIN, 2026, 3, 9, 8, 0))["touchpoints"] == 1
    assert keys() == [f"touchpoints-due:{studio.pk}:2026-W11"]


def test_a_row_already_written_by_another_beat_is_not_written_again(studio, owner, due_clients):
    OutboxEmail.objects.create(
        studio=studio,
        kind="touchpoints-due",
        idempotency_key=f"touchpoints-due:{studio.pk}:2026-W10",
        from_email="a@b.example",
        to=["owner@northlight.example"],
        subject="written by the other beat",
    )
    assert run(sweep_touchpoints_due, local(BERLIN, 2026, 3, 2, 8, 0)) == 0
    assert OutboxEmail.objects.count() == 1


@pytest.fixture
def tokyo_and_new_york(db):
    studios = {}
    for slug, tz in (("tokyo", "Asia/Tokyo"), ("new-york", "America/New_York")):
        studio = StudioFactory(slug=slug, timezone=tz)
        MembershipFactory(studio=studio, user__email=f"owner@{slug}.example")
        ClientFactory(
            studio=studio, name=f"Angel of {slug}", tier="angel", last_interaction_at=last_seen(date(2025, 1, 1))
        )
        ClientFactory(studio=studio, name=f"Since of {slug}", client_since=date(2024, 3, 2))
        ClientFactory(studio=studio, name=f"Since of {slug} later", client_since=date(2024, 3, 9))
        studios[slug] = studio
    return studios


def sent_to(slug: str, kind: str) -> list[str]:
    return list(
        OutboxEmail.objects.filter(studio__slug=slug, kind=kind)
        .order_by("pk")
        .values_list("idempotency_key", flat=True)
    )


@pytest.mark.parametrize(
    ("sweep", "kind"), [(sweep_touchpoints_due, "touchpoints-due"), (sweep_anniversaries, "anniversary")]
)
def test_tokyo_and_new_york_hear_at_their_own_local_hour_across_the_us_dst_change(tokyo_and_new_york, sweep, kind):
    """New York moves to EDT on Sunday 8 March 2026; Tokyo has no DST. Digest hour 08:00."""
    # Monday 2 March: 08:00 in Tokyo is 23:00 UTC on Sunday; 08:00 EST is 13:00 UTC.
    assert run(sweep, datetime(2026, 3, 1, 22, 55, tzinfo=UTC)) == 0
    assert run(sweep, datetime(2026, 3, 1, 23, 0, tzinfo=UTC)) == 1
    assert len(sent_to("tokyo", kind)) == 1
    assert run(sweep, datetime(2026, 3, 2, 12, 55, tzinfo=UTC)) == 0
    assert run(sweep, datetime(2026, 3, 2, 13, 0, tzinfo=UTC)) == 1
    assert len(sent_to("new-york", kind)) == 1

    # Monday 9 March, after the change: 08:00 EDT is 12:00 UTC (07:00 EST would have been too early).
    assert run(sweep, datetime(2026, 3, 8, 23, 0, tzinfo=UTC)) == 1
    assert run(sweep, datetime(2026, 3, 9, 11, 55, tzinfo=UTC)) == 0
    assert run(sweep, datetime(2026, 3, 9, 12, 0, tzinfo=UTC)) == 1

    new_york = tokyo_and_new_york["new-york"]
    last = OutboxEmail.objects.filter(studio=new_york, kind=kind).latest("pk")
    assert last.send_after == local("America/New_York", 2026, 3, 9, 9, 0)
    expected_period = "2026-W11" if kind == "touchpoints-due" else "2026-03-09"
    assert last.idempotency_key == f"{kind}:{new_york.pk}:{expected_period}"


def test_every_email_renders_text_and_html_with_client_names_escaped_only_in_html(studio, owner):
    name = '<b>Kite & "Legal"</b>'
    client = ClientFactory(
        studio=studio,
        name=name,
        status="past",
        tier="angel",
        client_since=date(2024, 12, 1),
        last_interaction_at=last_seen(date(2025, 6, 1)),
    )
    ContactFactory(client=client, name="Jo <Boss>", email="jo@kite.example", is_primary=True)

    assert run_all(CARD_DAY) == dict.fromkeys(STAY_IN_TOUCH, 1)

    for email in OutboxEmail.objects.all():
        assert name in email.text, email.kind
        assert "&lt;b&gt;Kite &amp; &quot;Legal&quot;&lt;/b&gt;" in email.html, email.kind
        assert "<b>Kite" not in email.html, email.kind
        assert email.html.startswith("<!doctype html>")
        assert "{{" not in email.text + email.html
        assert "{%" not in email.text + email.html
    assert OutboxEmail.objects.get(kind="anniversary").subject == f"{name}: 2 years with you today"
    assert "Jo &lt;Boss&gt;" in OutboxEmail.objects.get(kind="past-clients").html


# --- Cost ---------------------------------------------------------------------------------------


def queries_for(sweep, now: datetime) -> int:
    every_studio_looked_at_now(now)
    with time_machine.travel(now, tick=False), CaptureQueriesContext(connection) as captured:
        sweep(now)
    return len(captured)


def add_due_studio(slug: str, tz: str = "Europe/Berlin") -> None:
    studio = StudioFactory(slug=slug, timezone=tz)
    MembershipFactory(studio=studio, user__email=f"owner@{slug}.example")
    for n in range(3):
        client = ClientFactory(
            studio=studio,
            status="past",
            client_since=date(2024, 3, 2),
            last_interaction_at=last_seen(date(2024, 1, 1 + n)),
        )
        ContactFactory(client=client)


MONDAY_8 = local(BERLIN, 2026, 3, 2, 8, 0)


@pytest.mark.parametrize(
    ("sweep", "now", "shared"),
    [
        # the schedule, the keys already written, the owners' addresses, rescheduling (+ all anniversaries)
        (sweep_touchpoints_due, MONDAY_8, 4),
        (sweep_past_clients, MONDAY_8, 4),
        (sweep_anniversaries, MONDAY_8, 5),
        (sweep_yearly_card, CARD_DAY, 4),
    ],
)
def test_queries_are_constant_per_due_studio_and_nothing_for_studios_not_at_their_hour(db, sweep, now, shared):
    add_due_studio("first")
    one = queries_for(sweep, now)
    OutboxEmail.objects.all().delete()

    for slug in ("second", "third"):
        add_due_studio(slug)
    for n in range(5):
        add_due_studio(f"asleep-{n}", tz="America/Los_Angeles")  # the day before there, 23:00
    three = queries_for(sweep, now)
    assert OutboxEmail.objects.count() == 3

    per_studio = (three - one) / 2
    assert per_studio == int(per_studio)
    assert one - per_studio == shared
    assert queries_for(sweep, now) == 3  # nothing left to write: the schedule, the keys, rescheduling

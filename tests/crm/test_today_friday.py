"""Today's "Friday updates due" reads the stored cover and says what the Friday rule (R2) says.

Every scenario compares Today's section (count and lines) with ``projects_due_friday_update``, the
rule over the week's mail, after the mail or the change went through the app's own write paths.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from clients.forms import ContactForm
from clients.models import Client, Contact
from clients.services import contact_save
from comms.conversation import log_sent_email, record_message
from comms.inbound import receive
from comms.models import Message
from desk.today import SHOWN, friday_updates, section_counts
from projects.covered_week import refresh_covered_weeks
from projects.friday_query import projects_due_friday_update
from projects.models import StatusUpdate
from tests.crm.test_signup_and_settings import settings_post
from tests.factories import ClientFactory, ContactFactory, OutboxEmailFactory, ProjectFactory

BERLIN = ZoneInfo("Europe/Berlin")
AUCKLAND = ZoneInfo("Pacific/Auckland")
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)
WEDNESDAY = datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN)
FRIDAY_NIGHT = datetime(2026, 11, 27, 23, 59, tzinfo=BERLIN)
SATURDAY = datetime(2026, 11, 28, 10, 0, tzinfo=BERLIN)
SHOP = "Shop (Ann's Bakery)"
SITE = "Site (Bloom)"


def today_friday(studio, now) -> tuple[int, list[str]]:
    return section_counts(studio, now=now)["friday"], [line["title"] for line in friday_updates(studio, now=now)]


def rule_friday(studio, now) -> tuple[int, list[str]]:
    _week, due = projects_due_friday_update(studio=studio, now=now)
    return len(due), [f"{project.title} ({project.client.name})" for project in due[:SHOWN]]


def due_titles(studio, now) -> list[str]:
    """Today's lines, once checked against the rule."""
    today = today_friday(studio, now)
    assert today == rule_friday(studio, now)
    return today[1]


def send(studio, sent_at, *, to=(), cc=(), bcc=()) -> Message:
    return record_message(
        studio, direction=Message.Direction.OUTBOUND, client=None, sent_at=sent_at, subject="News",
        from_email="hello@northlight.example", to=list(to), cc=list(cc), bcc=list(bcc),
    )  # fmt: skip


@pytest.fixture
def bakery(studio) -> Client:
    client = ClientFactory(studio=studio, name="Ann's Bakery")
    ContactFactory(client=client, email="ann@bakery.example", other_emails=["orders@bakery.example"])
    ProjectFactory(client=client, title="Shop", active_from=date(2026, 10, 1))
    return client


@pytest.fixture
def bloom(studio) -> Client:
    """Never written to: due in every scenario, so no scenario is trivially empty."""
    client = ClientFactory(studio=studio, name="Bloom")
    ContactFactory(client=client, email="flo@bloom.example")
    ProjectFactory(client=client, title="Site", active_from=date(2026, 10, 1))
    return client


@pytest.mark.parametrize(
    ("sent_at", "recipients", "now", "covered"),
    [
        (MONDAY, {"to": ["orders@bakery.example"]}, WEDNESDAY, True),
        (MONDAY, {"to": ["someone@else.example"], "cc": ["ann@bakery.example"]}, WEDNESDAY, True),
        (MONDAY, {"bcc": ["ann@bakery.example"]}, WEDNESDAY, True),
        (MONDAY, {"to": ["ANN@Bakery.Example"]}, WEDNESDAY, True),
        (FRIDAY_NIGHT, {"to": ["ann@bakery.example"]}, SATURDAY, True),
        (SATURDAY, {"to": ["ann@bakery.example"]}, SATURDAY + timedelta(days=1), False),
        (datetime(2026, 11, 20, 15, 0, tzinfo=BERLIN), {"to": ["ann@bakery.example"]}, WEDNESDAY, False),
        (MONDAY, {"to": ["someone@else.example"]}, WEDNESDAY, False),
    ],
    ids=["other-email", "cc", "bcc", "uppercase", "friday-night", "saturday", "previous-week", "someone-else"],
)  # fmt: skip
def test_sent_mail_covers_the_client_as_the_rule_says(studio, bakery, bloom, sent_at, recipients, now, covered):
    with time_machine.travel(sent_at, tick=False):
        send(studio, sent_at, **recipients)

    with time_machine.travel(now, tick=False):
        titles = due_titles(studio, now)

    assert titles == ([SITE] if covered else [SHOP, SITE])


def test_mail_the_outbox_sent_covers_and_mail_still_scheduled_does_not(studio, bakery, bloom):
    with time_machine.travel(MONDAY, tick=False):
        sent = OutboxEmailFactory(
            studio=studio, to=["ann@bakery.example"], status="sent", sent_at=MONDAY, send_after=MONDAY
        )
        OutboxEmailFactory(studio=studio, to=["flo@bloom.example"], send_after=WEDNESDAY + timedelta(days=1))
        log_sent_email(sent)

    with time_machine.travel(WEDNESDAY, tick=False):
        assert due_titles(studio, WEDNESDAY) == [SITE]


def test_the_freelancers_bcc_copy_from_the_inbound_pipeline_covers(studio, bakery, bloom):
    raw = (
        f"From: Northlight <{studio.sender_email.upper()}>\nTo: Ann <ann@bakery.example>\nSubject: Progress\n"
        "Message-ID: <copy-1@northlight.example>\nContent-Type: text/plain; charset=utf-8\n\nAll on track.\n"
    ).encode()
    with time_machine.travel(MONDAY, tick=False):
        assert receive(studio, raw, received_at=MONDAY).direction == Message.Direction.OUTBOUND

    with time_machine.travel(WEDNESDAY, tick=False):
        assert due_titles(studio, WEDNESDAY) == [SITE]


def test_a_contact_added_after_the_mail_was_sent_covers_its_client(owner_client, studio, bakery, bloom):
    with time_machine.travel(MONDAY, tick=False):
        send(studio, MONDAY, to=["flo.new@bloom.example"])

    with time_machine.travel(WEDNESDAY, tick=False):
        assert due_titles(studio, WEDNESDAY) == [SHOP, SITE]
        response = owner_client.post(
            reverse("clients:contact_add", args=[bloom.pk]),
            {"name": "Flo", "email": "flo.new@bloom.example", "preferred_channel": "email"},
        )
        assert response.status_code == 302
        assert due_titles(studio, WEDNESDAY) == [SHOP]


def test_an_other_email_added_to_a_contact_covers_its_client(owner_client, studio, bakery, bloom):
    flo = Contact.objects.get(client=bloom)
    with time_machine.travel(MONDAY, tick=False):
        send(studio, MONDAY, cc=["Flo.Private@Bloom.example"])

    with time_machine.travel(WEDNESDAY, tick=False):
        owner_client.post(
            reverse("clients:contact_edit", args=[bloom.pk, flo.pk]),
            {"name": flo.name, "email": flo.email, "preferred_channel": "email",
             "other_emails_text": "flo.private@bloom.example"},
        )  # fmt: skip
        assert due_titles(studio, WEDNESDAY) == [SHOP]


def test_a_contact_moved_to_another_client_takes_the_cover_with_it(studio, bakery, bloom):
    with time_machine.travel(MONDAY, tick=False):
        send(studio, MONDAY, to=["ann@bakery.example"])
    ann = Contact.objects.get(client=bakery)

    with time_machine.travel(WEDNESDAY, tick=False):
        assert due_titles(studio, WEDNESDAY) == [SITE]
        form = ContactForm(
            {"name": ann.name, "email": ann.email, "preferred_channel": "email", "other_emails_text": ""},
            instance=ann,
            client=bloom,
        )
        assert form.is_valid(), form.errors
        contact_save(contact=form.instance, client=bloom, other_emails=form.cleaned_data["other_emails_text"])
        assert due_titles(studio, WEDNESDAY) == [SHOP]


def test_a_deleted_contact_no_longer_covers_its_client(studio, bakery, bloom):
    with time_machine.travel(MONDAY, tick=False):
        send(studio, MONDAY, to=["ann@bakery.example"])

    with time_machine.travel(WEDNESDAY, tick=False):
        assert due_titles(studio, WEDNESDAY) == [SITE]
        Contact.objects.filter(client=bakery).delete()
        refresh_covered_weeks(studio, now=WEDNESDAY, client_ids=[bakery.pk])
        assert due_titles(studio, WEDNESDAY) == [SHOP, SITE]


def test_weeks_start_at_the_studios_local_monday_midnight(studio, bakery, bloom):
    studio.timezone = "Pacific/Auckland"  # UTC+13 in November: Monday 00:00 is Sunday 11:00 UTC
    studio.save()
    monday_midnight = datetime(2026, 11, 30, 0, 0, tzinfo=AUCKLAND)
    with time_machine.travel(monday_midnight - timedelta(minutes=10), tick=False):
        send(studio, monday_midnight - timedelta(minutes=10), to=["flo@bloom.example"])  # Sunday night: no week
        send(studio, monday_midnight + timedelta(minutes=5), to=["ann@bakery.example"])

    now = monday_midnight + timedelta(minutes=30)
    with time_machine.travel(now, tick=False):
        assert due_titles(studio, now) == [SITE]


def test_changing_the_studios_time_zone_moves_the_week(owner_client, studio, bakery, bloom):
    # Sunday 23:30 in Berlin is already Monday 11:30 in Auckland: that mail covers Auckland's new week.
    sunday_night = datetime(2026, 11, 29, 23, 30, tzinfo=BERLIN)
    now = sunday_night + timedelta(minutes=10)
    with time_machine.travel(sunday_night, tick=False):
        send(studio, sunday_night, to=["ann@bakery.example"])

    with time_machine.travel(now, tick=False):
        assert due_titles(studio, now) == [SHOP, SITE]
        owner_client.post(reverse("settings"), settings_post(studio, timezone="Pacific/Auckland"))
        studio.refresh_from_db()
        assert studio.timezone == "Pacific/Auckland"
        assert due_titles(studio, now) == [SITE]


def test_the_friday_sweep_heals_a_cover_that_went_stale(studio, bakery, bloom):
    from projects.reminders import friday_for_studio

    with time_machine.travel(MONDAY, tick=False):
        send(studio, MONDAY, to=["ann@bakery.example"])
    Client.objects.filter(pk=bakery.pk).update(covered_week="")  # e.g. mail written past the app
    Client.objects.filter(pk=bloom.pk).update(covered_week="2026-W48")

    friday = datetime(2026, 11, 27, 10, 0, tzinfo=BERLIN)
    with time_machine.travel(friday, tick=False):
        friday_for_studio(studio, now=friday, to=["owner@northlight.example"])
        assert due_titles(studio, friday) == [SITE]


def test_the_lines_keep_their_states_and_turn_overdue_after_friday(studio, bakery, bloom):
    shop = bakery.projects.get()
    StatusUpdate.objects.create(project=shop, week="2026-W48")

    with time_machine.travel(WEDNESDAY, tick=False):
        counts = section_counts(studio, now=WEDNESDAY)
        lines = friday_updates(studio, now=WEDNESDAY)
    assert (counts["friday"], counts["friday_alarm"]) == (2, 0)
    assert [(line["detail"], line["flag"]) for line in lines] == [("draft saved", ""), ("no draft yet", "")]

    with time_machine.travel(SATURDAY, tick=False):
        counts = section_counts(studio, now=SATURDAY)
        lines = friday_updates(studio, now=SATURDAY)
    assert (counts["friday"], counts["friday_alarm"]) == (2, 2)
    assert [line["flag"] for line in lines] == ["overdue", "overdue"]


def test_the_page_shows_the_section_from_the_stored_cover(owner_client, studio, bakery, bloom):
    with time_machine.travel(MONDAY, tick=False):
        send(studio, MONDAY, to=["ann@bakery.example"])

    with time_machine.travel(WEDNESDAY, tick=False):
        page = owner_client.get(reverse("today")).content.decode()

    assert "Site (Bloom)" in page
    assert "Shop (Ann&#x27;s Bakery)" not in page


def test_many_projects_are_listed_first_by_client_name_in_constant_queries(studio, django_assert_max_num_queries):
    for index in range(12):
        client = ClientFactory(studio=studio, name=f"Client {index:02d}")
        ContactFactory(client=client, email=f"c{index}@example.com")
        ProjectFactory(client=client, title="B", active_from=date(2026, 10, 1))
        ProjectFactory(client=client, title="A", active_from=date(2026, 10, 1))
    with time_machine.travel(MONDAY, tick=False):
        send(studio, MONDAY, to=["c0@example.com", "c3@example.com"])

    with time_machine.travel(WEDNESDAY, tick=False), django_assert_max_num_queries(1):
        lines = friday_updates(studio, now=WEDNESDAY)

    assert [line["title"] for line in lines] == [
        "A (Client 01)", "B (Client 01)", "A (Client 02)", "B (Client 02)",
        "A (Client 04)", "B (Client 04)", "A (Client 05)", "B (Client 05)",
    ]  # fmt: skip
    with time_machine.travel(WEDNESDAY, tick=False):
        assert due_titles(studio, WEDNESDAY) == [line["title"] for line in lines]
        assert section_counts(studio, now=WEDNESDAY)["friday"] == 20

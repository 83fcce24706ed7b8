"""Today: every section with the right items (and only the studio's), overdue first, undo, the light endpoint."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from clients.selectors import clients_due
from comms.models import Commitment, OutboxEmail
from desk.today import COUNT_CAP, COUNTS, Section, section_counts
from projects.models import Call, PortalActivity
from tests.factories import (
    ActionItemFactory,
    ClientFactory,
    ContactFactory,
    MessageFactory,
    MilestoneFactory,
    OutboxEmailFactory,
    ProjectFactory,
)

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN)  # a Wednesday


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


TODAY = date(2026, 11, 25)


def promise(client, description: str, by: datetime) -> Commitment:
    return Commitment.objects.create(studio=client.studio, client=client, description=description, promised_by=by)


def owed(client, subject: str, due: datetime):
    return MessageFactory(
        studio=client.studio, client=client, direction="in", subject=subject, needs_reply=True, reply_due_at=due
    )


def fill(studio, count: int, *, start_at: int = 0) -> None:
    for index in range(start_at, start_at + count):
        client = ClientFactory(studio=studio, name=f"Client {index}")
        contact = ContactFactory(client=client, email=f"c{index}@example.com")
        owed(client, f"Question {index}", NOW + timedelta(hours=index + 1))
        start = NOW + timedelta(hours=1, minutes=20 * index)
        Call.objects.create(
            studio=studio, client=client, contact=contact, starts_at=start, ends_at=start + timedelta(minutes=15),
            topic=f"Topic {index}",
        )  # fmt: skip
        project = ProjectFactory(
            client=client, title=f"Site {index}", active_from=date(2026, 9, 1), deadline_on=TODAY - timedelta(days=1)
        )
        PortalActivity.objects.create(
            studio=studio, client=client, contact=contact, project=project,
            kind=PortalActivity.Kind.STEP_DONE, summary=f"Step {index}",
        )  # fmt: skip
        promise(client, f"Promise {index}", NOW + timedelta(hours=index - 1))
        MilestoneFactory(project=project, title=f"Milestone {index}", due_on=TODAY + timedelta(days=2))
        ActionItemFactory(project=project, text=f"Send the texts {index}", due_on=TODAY - timedelta(days=2))
        ProjectFactory(client=client, title=f"Deposit {index}", status="awaiting_deposit", deposit_amount_minor=50_000)
        OutboxEmailFactory(
            studio=studio, client=client, subject=f"Leaving {index}", send_after=NOW + timedelta(hours=1)
        )
        MessageFactory(
            thread__client=client, client=None, subject=f"Stranger {index}", from_email=f"s{index}@x.example"
        )


def test_today_lists_replies_breached_first_todays_calls_and_unseen_portal_activity(owner_client, studio):
    bakery = ClientFactory(studio=studio, name="Ann's Bakery")
    ann = ContactFactory(client=bakery, name="Ann Baker", email="ann@bakery.example")
    owed(bakery, "Logo colours", NOW + timedelta(hours=3))
    owed(bakery, "Invoice question", NOW - timedelta(hours=2))
    start = datetime(2026, 11, 25, 14, 30, tzinfo=BERLIN)
    Call.objects.create(
        studio=studio, client=bakery, contact=ann, starts_at=start, ends_at=start + timedelta(minutes=15),
        topic="Menu photos",
    )  # fmt: skip
    tomorrow = start + timedelta(days=1)
    Call.objects.create(
        studio=studio, client=bakery, starts_at=tomorrow, ends_at=tomorrow + timedelta(minutes=15), topic="Tomorrow"
    )
    PortalActivity.objects.create(
        studio=studio, client=bakery, contact=ann, kind=PortalActivity.Kind.AGREEMENT_ACCEPTED, summary="Bakery site"
    )
    PortalActivity.objects.create(
        studio=studio, client=bakery, kind=PortalActivity.Kind.MESSAGE, summary="Seen already", seen_at=NOW
    )

    page = owner_client.get(reverse("today")).content.decode()

    assert page.index("Invoice question") < page.index("Logo colours")
    assert "1 overdue" in page
    assert "14:30–14:45" in page
    assert "Menu photos" in page
    assert "Tomorrow" not in page
    assert "Ann Baker" in page
    assert "accepted the agreement" in page
    assert "Seen already" not in page


def test_today_sees_only_its_own_studio(owner_client, studio, other_studio):
    fill(other_studio, 2)
    page = owner_client.get(reverse("today")).content.decode()
    assert "Question 0" not in page
    assert "Topic 0" not in page
    assert "Step 0" not in page


def test_today_keeps_a_constant_number_of_queries(owner_client, studio, django_assert_max_num_queries):
    fill(studio, 2)
    owner_client.get(reverse("today"))  # warm the session and the scheduler check
    with CaptureQueriesContext(connection) as few:
        assert owner_client.get(reverse("today")).status_code == 200
    fill(studio, 12, start_at=2)
    with django_assert_max_num_queries(len(few)):
        assert owner_client.get(reverse("today")).status_code == 200


def test_marking_activity_seen_takes_it_off_today(owner_client, studio, other_studio):
    bakery = ClientFactory(studio=studio, name="Ann's Bakery")
    item = PortalActivity.objects.create(
        studio=studio, client=bakery, kind=PortalActivity.Kind.CALL_BOOKED, summary="Menu photos"
    )
    foreign = PortalActivity.objects.create(
        studio=other_studio, client=ClientFactory(studio=other_studio), kind=PortalActivity.Kind.MESSAGE
    )

    assert owner_client.post(reverse("portal_access:activity_seen", kwargs={"pk": foreign.pk})).status_code == 404
    owner_client.post(reverse("portal_access:activity_seen", kwargs={"pk": item.pk}))

    item.refresh_from_db()
    foreign.refresh_from_db()
    assert item.seen_at is not None
    assert foreign.seen_at is None
    assert "Menu photos" not in owner_client.get(reverse("today")).content.decode()


# --- Every section ---------------------------------------------------------------------------------


def section_of(page: str, testid: str) -> str:
    """The HTML of one section of the page: a card, or its short line when empty."""
    start = page.index(f'data-testid="{testid}"')
    card = page.rfind("<section", 0, start) > page.rfind("<div", 0, start)
    return page[start : page.index("</section>" if card else "</div>", start)]


def test_each_section_lists_its_items_linked_to_their_action(owner_client, studio, other_studio):
    bakery = ClientFactory(studio=studio, name="Ann's Bakery")
    ContactFactory(client=bakery, email="ann@bakery.example")
    covered = ClientFactory(studio=studio, name="Covered Co")
    ContactFactory(client=covered, email="bob@covered.example")
    # Promises: due by the end of today (overdue included), not tomorrow's nor kept ones.
    promise(bakery, "Send the revised quote", NOW + timedelta(hours=5))
    promise(bakery, "Share the sitemap", NOW - timedelta(days=1))
    promise(bakery, "Tomorrow's promise", NOW + timedelta(days=1))
    kept = promise(bakery, "Kept promise", NOW + timedelta(hours=1))
    Commitment.objects.filter(pk=kept.pk).update(fulfilled_at=NOW)
    # Friday updates: an active project whose client has not heard from us this week; a covered one is not due.
    website = ProjectFactory(client=bakery, title="Bakery website", active_from=date(2026, 10, 1), deadline_on=TODAY)
    ProjectFactory(client=covered, title="Covered site", active_from=date(2026, 10, 1))
    MessageFactory(thread__client=covered, direction="out", to=["bob@covered.example"], sent_at=NOW - timedelta(days=1))
    # Deadlines: active projects and open milestones overdue or within 7 days.
    ProjectFactory(client=bakery, title="Late shop", deadline_on=TODAY - timedelta(days=2))
    ProjectFactory(client=bakery, title="Far away", deadline_on=TODAY + timedelta(days=10))
    ProjectFactory(client=bakery, title="Finished thing", deadline_on=TODAY, status="completed")
    MilestoneFactory(project=website, title="Home page mock-up", due_on=TODAY + timedelta(days=1))
    # Deposits awaited.
    ProjectFactory(client=bakery, title="Menu redesign", status="awaiting_deposit", deposit_amount_minor=100_000)
    # The client's overdue next steps, not ours, not done ones.
    ActionItemFactory(project=website, text="Send the photos", due_on=TODAY - timedelta(days=2))
    ActionItemFactory(project=website, text="Our own task", owner="us", due_on=TODAY - timedelta(days=2))
    # Mail waiting to leave: queued for later or cooling off; not sent mail nor reminders to ourselves.
    leaving = OutboxEmailFactory(studio=studio, subject="Re: Menu card", send_after=NOW + timedelta(minutes=20))
    cooling = OutboxEmailFactory(
        studio=studio, subject="Angry reply", send_after=NOW - timedelta(hours=1), confirm_before_sending=True
    )
    OutboxEmailFactory(studio=studio, subject="Gone already", status="sent", send_after=NOW - timedelta(hours=1))
    OutboxEmailFactory(studio=studio, subject="A reminder to me", kind="digest", send_after=NOW + timedelta(hours=1))
    # Unmatched inbound mail.
    stranger = MessageFactory(
        thread__client=bakery, client=None, subject="Who is this?", from_email="x@unknown.example"
    )
    # Touchpoints due.
    ClientFactory(studio=studio, name="Quiet Client", last_interaction_at=datetime(2026, 1, 5, 10, tzinfo=BERLIN))
    # The same things in another studio never show.
    foreign = ClientFactory(studio=other_studio, name="Foreign Client")
    promise(foreign, "Foreign promise", NOW)
    ProjectFactory(client=foreign, title="Foreign project", deadline_on=TODAY, active_from=date(2026, 10, 1))
    OutboxEmailFactory(studio=other_studio, subject="Foreign mail", send_after=NOW + timedelta(hours=1))
    MessageFactory(thread__client=foreign, client=None, subject="Foreign stranger")

    page = owner_client.get(reverse("today")).content.decode()

    promises = section_of(page, "promises")
    assert promises.index("Share the sitemap") < promises.index("Send the revised quote")
    assert "Tomorrow's promise" not in page
    assert "Kept promise" not in page
    friday = section_of(page, "friday")
    assert "Bakery website (Ann&#x27;s Bakery)" in friday
    assert reverse("projects:update", kwargs={"pk": website.pk}) in friday
    assert "no draft yet" in friday
    assert "Covered site" not in friday
    deadlines = section_of(page, "deadlines")
    assert deadlines.index("Late shop") < deadlines.index("Bakery website") < deadlines.index("Home page mock-up")
    assert "Far away" not in deadlines
    assert "Finished thing" not in deadlines
    assert "Menu redesign" in section_of(page, "deposits")
    steps = section_of(page, "steps")
    assert "Send the photos" in steps
    assert "Our own task" not in steps
    mail = section_of(page, "mail")
    assert "Re: Menu card" in mail
    assert "Angry reply" in mail
    assert "waits for your confirmation" in mail
    assert "Gone already" not in mail
    assert "A reminder to me" not in mail
    assert f'action="{reverse("comms:outbox_cancel", kwargs={"pk": leaving.pk})}"' in mail
    assert f'action="{reverse("comms:outbox_cancel", kwargs={"pk": cooling.pk})}"' in mail
    assert 'name="next" value="/"' in mail
    assert "csrfmiddlewaretoken" in mail
    unmatched = section_of(page, "unmatched")
    assert "Who is this?" in unmatched
    assert reverse("comms:message", kwargs={"pk": stranger.pk}) in unmatched
    assert "Quiet Client" in section_of(page, "stay-in-touch")
    for foreign_text in ("Foreign", "Foreign promise", "Foreign project", "Foreign mail", "Foreign stranger"):
        assert foreign_text not in page


def test_overdue_sections_come_first_in_red_with_their_counts(owner_client, studio):
    bakery = ClientFactory(studio=studio, name="Ann's Bakery")
    OutboxEmailFactory(studio=studio, subject="Re: Menu card", send_after=NOW + timedelta(minutes=20))
    ProjectFactory(client=bakery, title="Late shop", deadline_on=TODAY - timedelta(days=2))
    ProjectFactory(client=bakery, title="Soon shop", deadline_on=TODAY + timedelta(days=2))

    page = owner_client.get(reverse("today")).content.decode()

    # Deadlines come before the (earlier in reading order) mail section because one is overdue.
    assert page.index('data-testid="deadlines"') < page.index('data-testid="mail"')
    deadlines = section_of(page, "deadlines")
    assert 'class="badge text-bg-danger">2 · 1 overdue</span>' in deadlines
    assert deadlines.index("Late shop") < deadlines.index("Soon shop")
    assert 'class="link-danger">Late shop' in deadlines
    assert 'id="today-n-mail" class="badge text-bg-secondary">1</span>' in page


def test_empty_sections_collapse_to_a_short_line(owner_client, studio):
    page = owner_client.get(reverse("today")).content.decode()

    clear = page.split('data-testid="today-clear"')[1]
    assert "No client is waiting for an answer." in clear
    assert "No mail is waiting to leave." in clear
    assert "<section " not in page


def test_a_section_with_more_than_it_shows_links_to_the_full_list(owner_client, studio):
    bakery = ClientFactory(studio=studio, name="Ann's Bakery")
    for index in range(10):
        owed(bakery, f"Question {index}", NOW + timedelta(hours=index + 1))

    replies = section_of(owner_client.get(reverse("today")).content.decode(), "replies-owed")

    assert replies.count("<li ") == 8
    assert f'href="{reverse("comms:inbox")}">see all 10</a>' in replies


# --- Undo ------------------------------------------------------------------------------------------


def test_undo_cancels_a_queued_email_and_comes_back_to_today(owner_client, studio, other_studio):
    email = OutboxEmailFactory(studio=studio, subject="Re: Menu card", send_after=NOW + timedelta(seconds=30))
    foreign = OutboxEmailFactory(studio=other_studio, subject="Foreign", send_after=NOW + timedelta(seconds=30))

    response = owner_client.post(
        reverse("comms:outbox_cancel", kwargs={"pk": email.pk}), {"next": reverse("today")}, follow=True
    )

    assert response.redirect_chain == [(reverse("today"), 302)]
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.CANCELLED
    page = response.content.decode()
    assert "will not be sent" in page
    assert "Re: Menu card" not in section_of(page, "mail")
    assert owner_client.post(reverse("comms:outbox_cancel", kwargs={"pk": foreign.pk})).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == OutboxEmail.Status.QUEUED


# --- The light endpoint ----------------------------------------------------------------------------


def test_the_page_polls_the_counts_endpoint_every_minute(owner_client, studio):
    page = owner_client.get(reverse("today")).content.decode()

    assert f'hx-get="{reverse("today_counts")}" hx-trigger="every 60s" hx-swap="none"' in page


def test_the_counts_endpoint_refreshes_countdowns_and_counts_of_the_studio_only(owner_client, studio, other_studio):
    bakery = ClientFactory(studio=studio, name="Ann's Bakery")
    owed(bakery, "Invoice question", NOW - timedelta(hours=2))
    owed(bakery, "Logo colours", NOW + timedelta(hours=3))
    ProjectFactory(client=bakery, title="Late shop", deadline_on=TODAY - timedelta(days=2))
    fill(other_studio, 3)

    with time_machine.travel(NOW + timedelta(minutes=30), tick=False):
        response = owner_client.get(reverse("today_counts"))

    assert response.status_code == 200
    fragment = response.content.decode()
    # The replies card comes again with fresh countdowns, swapped in by id; other counts too.
    assert '<section class="card mb-3 border-danger today-alarm" id="today-replies"' in fragment
    assert 'hx-swap-oob="true"' in fragment
    assert fragment.index("Invoice question") < fragment.index("Logo colours")
    assert "overdue by 2 h 30 min" in fragment
    assert "in 2 h 30 min" in fragment
    assert ">2 · 1 overdue</span>" in fragment
    assert '<span id="today-n-deadlines" class="badge text-bg-danger" hx-swap-oob="true">1 overdue</span>' in fragment
    assert '<span id="today-n-unmatched" class="badge text-bg-light border d-none" hx-swap-oob="true">0</span>' in (
        fragment
    )
    assert "<html" not in fragment
    assert "Question 0" not in fragment


def test_the_counts_endpoint_needs_a_member(client, studio):
    response = client.get(reverse("today_counts"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_counts_endpoint_keeps_a_constant_number_of_queries(owner_client, studio, django_assert_max_num_queries):
    fill(studio, 2)
    owner_client.get(reverse("today_counts"))
    with CaptureQueriesContext(connection) as few:
        assert owner_client.get(reverse("today_counts")).status_code == 200
    fill(studio, 12, start_at=2)
    with django_assert_max_num_queries(len(few)):
        assert owner_client.get(reverse("today_counts")).status_code == 200
    # session, user, studio, the counts, replies, promises, mail, the scheduler heartbeat
    assert len(few) <= 8


def test_today_in_russian_renders(owner_client, studio):
    fill(studio, 2)
    with translation.override("en"):  # the middleware leaves Russian active: keep it from the next tests
        assert owner_client.get(reverse("today"), HTTP_ACCEPT_LANGUAGE="ru").status_code == 200
        assert owner_client.get(reverse("today_counts"), HTTP_ACCEPT_LANGUAGE="ru").status_code == 200


def test_counts_stop_at_the_cap_and_say_so(owner_client, studio):
    client = ClientFactory(studio=studio)
    Commitment.objects.bulk_create(
        Commitment(studio=studio, client=client, description=f"Mockup {index}", promised_by=NOW - timedelta(hours=1))
        for index in range(COUNT_CAP + 5)
    )

    counts = section_counts(studio, now=NOW)
    promises = section_of(owner_client.get(reverse("today")).content.decode(), "promises")

    assert counts["promises"] == counts["promises_alarm"] == COUNT_CAP + 1  # counting stops one past the cap
    assert f"{COUNT_CAP}+ overdue" in promises
    assert f'href="{reverse("comms:inbox")}?tab=promised">see all</a>' in promises


@pytest.mark.parametrize(
    ("count", "alarm", "badge"),
    [
        (3, 0, "3"),
        (2, 2, "2 overdue"),
        (5, 2, "5 · 2 overdue"),
        (COUNT_CAP + 1, 3, f"{COUNT_CAP}+ · 3 overdue"),
        (COUNT_CAP + 1, COUNT_CAP + 1, f"{COUNT_CAP}+ overdue"),
        (COUNT_CAP, 0, str(COUNT_CAP)),
    ],
)
def test_section_badge(count, alarm, badge):
    assert Section(key="replies", items=[], count=count, alarm=alarm).badge == badge


def test_the_counts_reuse_their_sql_for_another_studio_and_a_later_time(studio, other_studio):
    """``section_counts`` builds its SQL once per shape; the studio's id and the time are bound each call."""
    fill(studio, 3)
    fill(other_studio, 1)
    COUNTS.compiled.clear()
    assert section_counts(studio, now=NOW)["replies"] == 3
    assert len(COUNTS.compiled) == 1
    other_studio.timezone = studio.timezone
    assert section_counts(other_studio, now=NOW)["replies"] == 1
    later = NOW + timedelta(hours=2, minutes=30)  # "Question 0" and "Question 1" are now overdue
    with time_machine.travel(later, tick=False):
        counts = section_counts(studio, now=later)
    assert (counts["replies"], counts["replies_alarm"]) == (3, 2)
    assert len(COUNTS.compiled) == 1


def test_stay_in_touch_counts_a_client_due_several_touches_once(studio):
    """The count is of clients, as the Stay in touch list shows them, not of the touches they are due."""
    studio.yearly_card_month = TODAY.month
    studio.save()
    ClientFactory(studio=studio, name="Card and anniversary", client_since=date(2020, 11, 27))
    ClientFactory(studio=studio, name="New this month", client_since=date(2026, 11, 10))
    ClientFactory(studio=studio, name="Archived", client_since=date(2020, 11, 27), archived_at=NOW)
    due = clients_due(studio=studio, today=TODAY)
    assert [line.client.name for line in due if len(line.touches) > 1] == ["Card and anniversary"]
    assert section_counts(studio, now=NOW)["touchpoints"] == len(due)

"""Today: replies owed (breached first), today's calls, what clients did in the portal — in constant queries."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.models import Call, PortalActivity
from tests.factories import ClientFactory, ContactFactory, MessageFactory, ProjectFactory

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN)  # a Wednesday


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


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
        PortalActivity.objects.create(
            studio=studio, client=client, contact=contact, project=ProjectFactory(client=client),
            kind=PortalActivity.Kind.STEP_DONE, summary=f"Step {index}",
        )  # fmt: skip


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

"""The inbox's tab counts and tabs: exact numbers, read in SQL, at a cost that does not grow with the mail."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from comms import inbox
from comms.models import Commitment, Message, Thread
from tests.factories import ClientFactory, MessageFactory, ThreadFactory

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 18, 11, 0, tzinfo=BERLIN)

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def add_mail(studio, count: int) -> None:
    """``count`` of each kind: open clocks (half breached), answered mail, automatic and unmatched mail, promises."""
    client = ClientFactory(studio=studio)
    threads = Thread.objects.bulk_create(
        Thread(studio=studio, client=client, subject=f"T{n}", last_message_at=NOW) for n in range(count)
    )
    stranger = Thread.objects.create(studio=studio, client=None, subject="Hello?", last_message_at=NOW)

    def mail(thread, n, **fields):
        return Message(
            studio=studio, thread=thread, client=thread.client, direction="in", subject=f"M{n}",
            sent_at=NOW - timedelta(hours=n % 50), **fields,
        )  # fmt: skip

    messages = []
    for n, thread in enumerate(threads):
        due = NOW + timedelta(minutes=30) * (1 if n % 2 else -1)
        messages += [
            mail(thread, n, needs_reply=True, reply_due_at=due),
            mail(thread, n, needs_reply=True, reply_due_at=due, replied_at=NOW),
            mail(thread, n, is_automatic=True, automatic_reason="auto-reply"),
            mail(stranger, n),
        ]
    Message.objects.bulk_create(messages)
    opened = Message.objects.filter(studio=studio, needs_reply=True, replied_at__isnull=True).order_by("-pk")[:count]
    Commitment.objects.bulk_create(
        Commitment(studio=studio, client=client, message=message, description="d", promised_by=NOW)
        for message in opened
    )


def test_the_counts_are_one_query_and_exact(studio, other_studio, django_assert_num_queries):
    add_mail(studio, 6)
    add_mail(other_studio, 4)
    MessageFactory(thread=ThreadFactory(client=ClientFactory(studio=studio)), needs_reply=True, reply_due_at=NOW)

    with django_assert_num_queries(1):
        counts = inbox.inbox_counts(studio, NOW)

    assert counts == {"owed": 7, "any_breached": True, "promised": 6, "unmatched": 6}


def test_a_clock_due_exactly_now_is_not_breached_yet(studio):
    # As on the clock's own countdown.
    MessageFactory(thread=ThreadFactory(client=ClientFactory(studio=studio)), needs_reply=True, reply_due_at=NOW)

    assert inbox.inbox_counts(studio, NOW)["any_breached"] is False
    assert inbox.inbox_counts(studio, NOW + timedelta(seconds=1))["any_breached"] is True


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query planner")
def test_open_clocks_and_automatic_mail_are_read_through_their_partial_indexes(studio):
    assert "message_open_clock" in inbox.owed_rows(studio).explain()
    assert "message_open_clock" in inbox.inbox_rows(studio, "owed").explain()
    assert "message_automatic" in inbox.inbox_rows(studio, "automatic").explain()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query planner")
def test_each_owed_line_finds_its_queued_answer_through_the_answer_index(studio):
    """Not through the studio's queued mail, which a busy studio holds by the thousand."""
    plan = inbox.with_queued_answer(inbox.inbox_rows(studio, "owed"))[:25].explain()

    assert plan.count("outbox_queued_answer") == 2  # the answer's kind and when it leaves


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query planner")
def test_the_counts_read_each_number_through_its_index(studio):
    params = {"studio": studio.pk, "now": connection.ops.adapt_datetimefield_value(NOW), "inbound": "in"}
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + inbox.INBOX_COUNTS_SQL, params)
        plan = [row[-1] for row in cursor.fetchall()]

    assert sum("USING INDEX message_open_clock" in step for step in plan) == 2  # owed, and any breached
    assert any("USING INDEX commitment_open" in step for step in plan)
    assert not any(step.startswith(("SCAN comms_message", "SCAN comms_commitment")) for step in plan)


@pytest.mark.parametrize("tab", inbox.INBOX_TABS)
def test_each_tab_runs_the_same_queries_with_30_or_300_of_everything(owner_client, studio, tab,
                                                                       django_assert_num_queries):  # fmt: skip
    url = reverse("comms:inbox")
    add_mail(studio, 30)
    owner_client.get(url, {"tab": tab})  # the session and the studio are loaded once
    with CaptureQueriesContext(connection) as small:
        owner_client.get(url, {"tab": tab, "page": 2})
    add_mail(studio, 270)

    with django_assert_num_queries(len(small.captured_queries)):
        response = owner_client.get(url, {"tab": tab, "page": 2})
    assert len(response.context["rows"]) == 25
    assert response.context["counts"]["owed"] == 300


def test_the_automatic_tab_pages_newest_first_with_its_total(owner_client, studio):
    add_mail(studio, 30)

    first = owner_client.get(reverse("comms:inbox"), {"tab": "automatic"})
    second = owner_client.get(reverse("comms:inbox"), {"tab": "automatic", "page": 2})

    shown = [*first.context["rows"], *second.context["rows"]]
    assert len(shown) == 30
    assert all(message.is_automatic for message in shown)
    assert [message.sent_at for message in shown] == sorted((m.sent_at for m in shown), reverse=True)
    assert "Page 2 of 2" in second.content.decode()


def test_the_unmatched_tab_lists_no_clients_when_there_is_nothing_to_file(owner_client, studio):
    ClientFactory(studio=studio, name="Acme Bakery")

    response = owner_client.get(reverse("comms:inbox"), {"tab": "unmatched"})

    assert "client_choices" not in response.context
    assert "No mail from unknown senders." in response.content.decode()

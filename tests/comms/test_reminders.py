"""Reply-clock and promise reminders: a warning at the studio's share of the SLA, a breach notice, once each."""

from datetime import UTC, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from comms import reminders
from comms.conversation import record_message
from comms.models import Commitment, OutboxEmail
from comms.reminders import notice_due, sweep_reply_clocks
from kernel.sweeps import run_sweeps
from tests.factories import (
    ClientFactory,
    MembershipFactory,
    MessageFactory,
    StudioFactory,
    ThreadFactory,
)

BERLIN = ZoneInfo("Europe/Berlin")
# Monday 23 November 2026; the studio (Europe/Berlin) works 09:00–18:00, Monday to Friday.
MONDAY = datetime(2026, 11, 23, tzinfo=BERLIN)


def at(day_offset: int, hour: int, minute: int = 0) -> datetime:
    return MONDAY + timedelta(days=day_offset, hours=hour, minutes=minute)


def tick(now: datetime) -> int:
    with time_machine.travel(now, tick=False):
        return sweep_reply_clocks(now)


def rows(kind: str | None = None):
    emails = OutboxEmail.objects.order_by("pk")
    return list(emails.filter(kind=kind) if kind else emails)


@pytest.fixture
def bakery(studio):
    return ClientFactory(studio=studio, name="Ann's Bakery")


def open_clock(client, *, warn_at: datetime, due_at: datetime, sent_at: datetime | None = None, **fields):
    return MessageFactory(
        thread=ThreadFactory(client=client, subject=fields.pop("subject", "New logo")),
        sent_at=sent_at or warn_at - timedelta(hours=6),
        needs_reply=True,
        reply_warn_at=warn_at,
        reply_due_at=due_at,
        **fields,
    )


def promise(client, *, warn_at: datetime, due_at: datetime, **fields):
    return Commitment.objects.create(
        studio=client.studio,
        client=client,
        description=fields.pop("description", "The revised quote"),
        promised_by=due_at,
        warn_at=warn_at,
        **fields,
    )


# --- The rule, pure ---------------------------------------------------------------------------


def test_the_breach_supersedes_the_warning_and_goes_stale_after_a_week():
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    assert notice_due(warn_at=now + timedelta(minutes=1), due_at=now + timedelta(hours=1), now=now) is None
    assert notice_due(warn_at=now, due_at=now + timedelta(hours=1), now=now) == "warning"
    assert notice_due(warn_at=now - timedelta(hours=2), due_at=now, now=now) == "breach"
    assert notice_due(warn_at=None, due_at=now - timedelta(days=6, hours=23), now=now) == "breach"
    assert notice_due(warn_at=None, due_at=now - timedelta(days=7), now=now) is None
    assert notice_due(warn_at=None, due_at=now + timedelta(hours=1), now=now) is None


# --- Reply clocks ----------------------------------------------------------------------------


def test_the_warning_fires_once_and_says_how_long_is_left(studio, owner, bakery):
    message = open_clock(bakery, warn_at=at(0, 10), due_at=at(0, 12, 10))

    assert tick(at(0, 9, 55)) == 0
    assert tick(at(0, 10)) == 1
    assert tick(at(0, 10)) == 0
    assert tick(at(0, 10, 5)) == 0

    [warning] = rows()
    assert warning.kind == "clock-warning"
    assert warning.idempotency_key == f"clock-warning:{message.pk}"
    assert warning.to == ["owner@northlight.example"]
    assert warning.subject == "Reply owed to Ann's Bakery: due in 2 h 10 min"
    assert warning.send_after == at(0, 10)
    assert f"http://127.0.0.1:8000/comms/messages/{message.pk}/" in warning.text
    assert f"/comms/compose/?reply_to={message.pk}" in warning.text
    assert f'href="http://127.0.0.1:8000/comms/compose/?reply_to={message.pk}"' in warning.html
    assert "Mon 23 Nov, 12:10" in warning.text


def test_mail_received_at_the_opening_is_warned_when_75_percent_of_the_business_day_has_passed(studio, owner, bakery):
    message = record_message(
        studio, direction="in", client=bakery, sent_at=at(0, 9), subject="Quote?", from_email="ann@bakery.example"
    )
    assert message.reply_due_at == at(0, 18)  # one business day of 9 hours

    assert tick(at(0, 15, 40)) == 0
    assert tick(at(0, 15, 45)) == 1  # 75 % of 9 h = 6 h 45 min
    assert rows()[0].subject == "Reply owed to Ann's Bakery: due in 2 h 15 min"


def test_the_breach_notice_follows_once_and_the_warning_never_comes_again(studio, owner, bakery):
    message = open_clock(bakery, warn_at=at(0, 10), due_at=at(0, 12))
    tick(at(0, 10))

    assert tick(at(0, 12)) == 1
    assert tick(at(0, 12, 5)) == 0
    assert tick(at(1, 10)) == 0

    assert [row.kind for row in rows()] == ["clock-warning", "clock-breach"]
    breach = rows("clock-breach")[0]
    assert breach.idempotency_key == f"clock-breach:{message.pk}"
    assert breach.subject == "Reply to Ann's Bakery overdue by < 1 min"
    assert "template=acknowledgment" in breach.text


def test_a_clock_answered_before_the_tick_gets_nothing(studio, owner, bakery):
    answered = open_clock(bakery, warn_at=at(0, 10), due_at=at(0, 12))
    answered.replied_at = at(0, 9, 30)
    answered.save()

    assert tick(at(0, 10, 30)) == 0
    assert tick(at(0, 12, 30)) == 0
    assert rows() == []


def test_at_night_the_warning_waits_for_the_opening(studio, owner, bakery):
    # An urgent mail at 22:00 with a calendar SLA: warned at 01:00, due at 11:00 the next morning.
    open_clock(bakery, sent_at=at(0, 22), warn_at=at(1, 1), due_at=at(1, 11), is_urgent=True)

    for night in (at(1, 1), at(1, 4), at(1, 8, 55)):
        assert tick(night) == 0
    assert tick(at(1, 9)) == 1

    [warning] = rows()
    assert warning.send_after == at(1, 9)
    assert warning.subject == "Urgent: Reply owed to Ann's Bakery: due in 2 h"


def test_a_clock_that_breached_during_the_night_gets_only_the_breach_notice_at_the_opening(studio, owner, bakery):
    open_clock(bakery, sent_at=at(0, 20), warn_at=at(0, 23), due_at=at(1, 0))

    assert tick(at(1, 0, 5)) == 0
    assert tick(at(1, 9)) == 1
    assert [row.kind for row in rows()] == ["clock-breach"]
    assert rows()[0].subject == "Reply to Ann's Bakery overdue by 9 h"


def test_after_three_days_of_downtime_one_breach_notice_and_no_warning(studio, owner, bakery):
    overdue = open_clock(bakery, warn_at=at(0, 14), due_at=at(0, 16))
    answered_meanwhile = open_clock(bakery, warn_at=at(0, 14), due_at=at(0, 16), subject="Fonts")
    answered_meanwhile.replied_at = at(1, 10)
    answered_meanwhile.save()
    long_forgotten = open_clock(bakery, warn_at=at(-10, 14), due_at=at(-10, 16), subject="Old")

    assert tick(at(3, 10)) == 1
    assert tick(at(3, 10, 5)) == 0

    [breach] = rows()
    assert breach.idempotency_key == f"clock-breach:{overdue.pk}"
    assert breach.subject == "Reply to Ann's Bakery overdue by 2 d 18 h"
    assert not OutboxEmail.objects.filter(idempotency_key__endswith=f":{long_forgotten.pk}").exists()


def test_each_studio_is_warned_inside_its_own_working_hours(db):
    tokyo = StudioFactory(slug="tokyo", timezone="Asia/Tokyo")
    new_york = StudioFactory(slug="new-york", timezone="America/New_York")
    for studio in (tokyo, new_york):
        MembershipFactory(studio=studio)
    now = datetime(2026, 11, 24, 2, tzinfo=UTC)  # Tue 11:00 in Tokyo, Mon 21:00 in New York
    for studio in (tokyo, new_york):
        open_clock(ClientFactory(studio=studio), warn_at=now - timedelta(hours=1), due_at=now + timedelta(hours=5))

    assert tick(now) == 1
    assert [row.studio for row in rows()] == [tokyo]
    assert tick(datetime(2026, 11, 24, 14, tzinfo=UTC)) == 1  # 09:00 in New York, still before the due time
    assert [row.studio for row in rows()] == [tokyo, new_york]


def test_two_beats_at_once_write_one_row(studio, owner, bakery):
    open_clock(bakery, warn_at=at(0, 10), due_at=at(0, 12))
    tick(at(0, 10))

    # A second beat that looked for used keys before the first one wrote its row.
    with mock.patch.object(reminders, "keys_already_used", return_value=set()):
        tick(at(0, 10))

    assert len(rows()) == 1


def test_a_studio_without_working_hours_is_never_quiet(studio, owner, bakery):
    studio.working_hours_json = {}
    studio.save()
    open_clock(bakery, warn_at=at(5, 2), due_at=at(5, 4))  # Saturday night

    assert tick(at(5, 2, 30)) == 1
    assert rows()[0].send_after == at(5, 2, 30)


def test_a_studio_without_an_owner_gets_nothing_and_no_error(studio, bakery):
    open_clock(bakery, warn_at=at(0, 10), due_at=at(0, 12))
    assert tick(at(0, 10)) == 0
    assert rows() == []


def test_user_text_is_escaped_in_html_and_left_as_typed_in_text(studio, owner):
    client = ClientFactory(studio=studio, name="O'Brien & <Sons>")
    open_clock(
        client,
        warn_at=at(0, 10),
        due_at=at(0, 12),
        subject="<script>alert(1)</script> & more",
        text_new="Is the <b>logo</b> ready? Tom & Jerry",
    )
    tick(at(0, 10))

    [warning] = rows()
    assert warning.subject == "Reply owed to O'Brien & <Sons>: due in 2 h"
    assert "O'Brien & <Sons>" in warning.text
    assert "<script>alert(1)</script> & more" in warning.text
    assert "Is the <b>logo</b> ready? Tom & Jerry" in warning.text
    assert "O&#x27;Brien &amp; &lt;Sons&gt;" in warning.html
    assert "&lt;script&gt;" in warning.html
    assert "<script>" not in warning.html
    assert "Is the &lt;b&gt;logo&lt;/b&gt; ready? Tom &amp; Jerry" in warning.html


def test_run_sweeps_runs_the_reply_clock_sweep(studio, owner, bakery):
    open_clock(bakery, warn_at=at(0, 10), due_at=at(0, 12))
    with time_machine.travel(at(0, 10), tick=False):
        assert run_sweeps(at(0, 10), names=["reply-clocks"]) == {"reply-clocks": 1}


# --- Commitments -----------------------------------------------------------------------------


def test_a_promise_is_warned_then_reported_once_each(studio, owner, bakery):
    message = open_clock(bakery, warn_at=at(0, 10), due_at=at(0, 12))
    message.replied_at = at(0, 9)  # the acknowledgment stopped the clock and made the promise
    message.save()
    commitment = promise(bakery, warn_at=at(1, 11), due_at=at(1, 14), message=message)

    assert tick(at(1, 11)) == 1
    assert tick(at(1, 11, 5)) == 0
    assert tick(at(1, 14, 30)) == 1
    assert tick(at(1, 14, 35)) == 0

    warning, breach = rows()
    assert warning.idempotency_key == f"commitment-warning:{commitment.pk}"
    assert warning.subject == "Promise to Ann's Bakery due in 3 h: The revised quote"
    assert f"/comms/compose/?reply_to={message.pk}" in warning.text
    assert f"/comms/messages/{message.pk}/" in warning.text
    assert breach.idempotency_key == f"commitment-breach:{commitment.pk}"
    assert breach.subject == "Promise to Ann's Bakery overdue by 30 min: The revised quote"


def test_a_fulfilled_promise_gets_nothing_and_one_without_a_message_links_to_the_client(studio, owner, bakery):
    promise(bakery, warn_at=at(0, 10), due_at=at(0, 12), fulfilled_at=at(0, 9, 30))
    loose = promise(bakery, warn_at=at(0, 10), due_at=at(0, 12), description="Call back about hosting")

    assert tick(at(0, 10)) == 1
    [warning] = rows()
    assert warning.idempotency_key == f"commitment-warning:{loose.pk}"
    assert f"/comms/compose/?client={bakery.pk}" in warning.text
    assert f"/clients/{bakery.pk}/" in warning.text
    assert "<!doctype html>" in warning.html
    assert "Call back about hosting" in warning.html


def test_a_promise_broken_during_downtime_gets_the_breach_notice_only(studio, owner, bakery):
    promise(bakery, warn_at=at(0, 10), due_at=at(0, 12))
    assert tick(at(3, 9)) == 1
    assert [row.kind for row in rows()] == ["commitment-breach"]


# --- Cost ------------------------------------------------------------------------------------


def count_queries(now: datetime) -> int:
    with CaptureQueriesContext(connection) as queries:
        tick(now)
    return len(queries)


def test_queries_do_not_grow_with_the_history_and_grow_by_a_constant_per_notice(studio, owner, bakery):
    now = at(0, 10)
    quiet = count_queries(now)
    for _ in range(30):  # history: answered clocks, clocks not yet due, promises kept
        answered = open_clock(bakery, warn_at=at(0, 8), due_at=at(0, 9))
        answered.replied_at = at(0, 8, 30)
        answered.save()
        open_clock(bakery, warn_at=at(1, 10), due_at=at(1, 12))
        promise(bakery, warn_at=at(0, 8), due_at=at(0, 9), fulfilled_at=at(0, 8, 30))
    assert count_queries(now) == quiet == 4

    open_clock(bakery, warn_at=at(0, 9), due_at=at(0, 12))
    open_clock(bakery, warn_at=at(0, 8), due_at=at(0, 9, 30))
    with_two = count_queries(now)
    for _ in range(2):
        open_clock(bakery, warn_at=at(0, 9), due_at=at(0, 12))
        promise(bakery, warn_at=at(0, 9), due_at=at(0, 12))
    with_four = count_queries(now + timedelta(minutes=1))  # the first two were sent: four new notices
    per_notice = (with_four - with_two) / 2
    assert per_notice == int(per_notice)
    assert per_notice <= 4
    assert with_two == quiet + 3 + 2 * per_notice  # studios, used keys, owners; then each notice
    assert count_queries(now + timedelta(minutes=2)) == quiet + 2  # all sent: studios and keys only

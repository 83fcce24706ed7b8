"""The Outbox page: tabs, the freelancer's actions, the preview, and studio isolation."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.test import Client as Browser
from django.urls import reverse

from comms.models import MailboxEmail, OutboxEmail
from tests.factories import OutboxEmailFactory

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
Status = OutboxEmail.Status
OUTBOX = reverse("comms:outbox")


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def action_url(name: str, email: OutboxEmail) -> str:
    return reverse(f"comms:outbox_{name}", args=[email.pk])


def test_each_tab_lists_its_emails_with_counts(owner_client: Browser, studio):
    OutboxEmailFactory(studio=studio, subject="Scheduled later", send_after=NOW + timedelta(hours=5))
    OutboxEmailFactory(
        studio=studio, subject="Heated", send_after=NOW + timedelta(hours=3), confirm_before_sending=True
    )
    OutboxEmailFactory(
        studio=studio, subject="Cooled", send_after=NOW - timedelta(minutes=1), confirm_before_sending=True
    )
    OutboxEmailFactory(studio=studio, subject="In flight", status=Status.SENDING, claimed_at=NOW, attempts=1)
    OutboxEmailFactory(
        studio=studio,
        subject="Delivered one",
        status=Status.SENT,
        sent_at=NOW,
        delivery_status="delivered",
        delivery_detail="delivered for client@client.example",
    )
    OutboxEmailFactory(studio=studio, subject="Bounced one", status=Status.SENT, sent_at=NOW, delivery_status="bounced")
    OutboxEmailFactory(studio=studio, subject="Broken", status=Status.FAILED, attempts=5, last_error="SMTP down")
    OutboxEmailFactory(studio=studio, subject="Undone", status=Status.CANCELLED)

    scheduled = owner_client.get(OUTBOX).content.decode()
    sent = owner_client.get(OUTBOX, {"tab": "sent"}).content.decode()
    failed = owner_client.get(OUTBOX, {"tab": "failed"}).content.decode()
    cancelled = owner_client.get(OUTBOX, {"tab": "cancelled"}).content.decode()

    assert 'data-testid="count-scheduled">4<' in scheduled
    assert 'data-testid="count-sent">2<' in scheduled
    assert 'data-testid="count-failed">1<' in scheduled
    assert 'data-testid="count-cancelled">1<' in scheduled
    for subject in ("Scheduled later", "Heated", "Cooled", "In flight"):
        assert subject in scheduled
    assert "leaves in 5\xa0hours" in scheduled
    assert "3\xa0hours left, then it asks you once more" in scheduled
    assert "Cool-off over — send it?" in scheduled
    assert "Delivered one" not in scheduled
    assert "Delivered one" in sent
    assert "Bounced one" in sent
    assert (
        'text-bg-success" data-testid="delivery-status" title="delivered for client@client.example">delivered' in sent
    )
    assert 'text-bg-danger" data-testid="delivery-status">bounced' in sent
    assert "Broken" in failed
    assert "Undone" not in failed
    assert "Undone" in cancelled
    assert "Broken" not in cancelled
    assert "SMTP down" in failed
    assert "5 attempts" in failed


def test_the_page_costs_the_same_queries_for_3_or_60_rows(owner_client: Browser, studio, django_assert_max_num_queries):
    OutboxEmailFactory.create_batch(3, studio=studio)
    with django_assert_max_num_queries(6):
        owner_client.get(OUTBOX)
    OutboxEmailFactory.create_batch(57, studio=studio)
    with django_assert_max_num_queries(6):
        response = owner_client.get(OUTBOX)
    with django_assert_max_num_queries(6):
        second = owner_client.get(OUTBOX, {"page": 2})

    assert response.content.decode().count('data-testid="outbox-row"') == 50
    assert second.content.decode().count('data-testid="outbox-row"') == 10
    assert "2 / 2" in second.content.decode()


def test_an_unknown_tab_shows_the_scheduled_one(owner_client: Browser, studio):
    OutboxEmailFactory(studio=studio, subject="Waiting")

    assert "Waiting" in owner_client.get(OUTBOX, {"tab": "nope"}).content.decode()


def test_the_dev_mailbox_is_one_click_away_when_mail_stays_local(owner_client: Browser, studio, settings):
    MailboxEmail.objects.create(studio=studio, from_email="a@x.example", to="c@y.example", subject="Kept here")

    settings.OUTBOX_DELIVERY_BACKEND = "comms.mailbox.MailboxBackend"
    local = owner_client.get(OUTBOX).content.decode()
    settings.OUTBOX_DELIVERY_BACKEND = "anymail.backends.postmark.EmailBackend"
    with_esp = owner_client.get(OUTBOX).content.decode()
    mailbox = owner_client.get(OUTBOX, {"tab": "mailbox"}).content.decode()

    assert "?tab=mailbox" in local
    assert "?tab=mailbox" not in with_esp
    assert "Kept here" in mailbox
    assert reverse("comms:mailbox_email", args=[MailboxEmail.objects.get().pk]) in mailbox


@pytest.mark.parametrize(
    ("action", "fields", "expected", "message"),
    [
        ("cancel", {"send_after": NOW + timedelta(hours=1)}, {"status": Status.CANCELLED}, "will not be sent"),
        (
            "retry",
            {"status": Status.FAILED, "attempts": 5, "last_error": "boom"},
            {"status": Status.QUEUED, "attempts": 0, "last_error": "", "send_after": NOW},
            "is queued again",
        ),
        ("send_now", {"send_after": NOW + timedelta(hours=14)}, {"send_after": NOW}, "leaves now"),
        (
            "retry",
            {"status": Status.NEEDS_ATTENTION, "attempts": 1, "send_started_at": NOW, "last_error": "Interrupted"},
            {"status": Status.QUEUED, "attempts": 0, "last_error": "", "send_started_at": None},
            "is queued again",
        ),
        (
            "mark_sent",
            {
                "status": Status.NEEDS_ATTENTION,
                "send_started_at": NOW - timedelta(hours=1),
                "last_error": "Interrupted",
            },
            {"status": Status.SENT, "sent_at": NOW - timedelta(hours=1), "last_error": ""},
            "will not be sent again",
        ),
        (
            "cancel",
            {"status": Status.NEEDS_ATTENTION, "send_started_at": NOW, "last_error": "Interrupted"},
            {"status": Status.CANCELLED},
            "will not be sent",
        ),
        (
            "confirm",
            {"send_after": NOW - timedelta(hours=1), "confirm_before_sending": True},
            {"confirm_before_sending": False, "send_after": NOW - timedelta(hours=1)},
            "Confirmed",
        ),
    ],
)
def test_each_action_changes_the_email_says_so_and_goes_back(
    owner_client: Browser, studio, action, fields, expected, message
):
    email = OutboxEmailFactory(studio=studio, subject="Deposit", **fields)
    back = f"{OUTBOX}?tab=failed&page=1"

    response = owner_client.post(action_url(action, email), {"next": back})

    email.refresh_from_db()
    assert response.status_code == 302
    assert response.url == back
    assert {name: getattr(email, name) for name in expected} == expected
    (text,) = texts(response)
    assert message in text
    assert "“Deposit”" in text


def test_an_action_too_late_warns_and_changes_nothing(owner_client: Browser, studio):
    email = OutboxEmailFactory(studio=studio, subject="Gone", status=Status.SENT, sent_at=NOW)

    response = owner_client.post(action_url("cancel", email))

    email.refresh_from_db()
    assert email.status == Status.SENT
    assert response.url == OUTBOX
    assert texts(response) == ["“Gone” can no longer be cancelled: it is sent."]


def test_actions_are_post_only_and_never_redirect_off_site(owner_client: Browser, studio):
    email = OutboxEmailFactory(studio=studio)

    assert owner_client.get(action_url("cancel", email)).status_code == 405
    assert owner_client.get(action_url("mark_sent", email)).status_code == 405
    response = owner_client.post(action_url("cancel", email), {"next": "https://evil.example/"})

    assert response.url == OUTBOX


def test_a_member_who_is_not_an_owner_can_act(member, studio):
    browser = Browser()
    browser.force_login(member)
    email = OutboxEmailFactory(studio=studio)

    browser.post(action_url("cancel", email))

    email.refresh_from_db()
    assert email.status == Status.CANCELLED


def test_another_studio_gets_404_everywhere_and_nothing_changes(charlie_client: Browser, studio):
    email = OutboxEmailFactory(studio=studio, subject="Private matter", html="<p>Private</p>")

    assert "Private matter" not in charlie_client.get(OUTBOX).content.decode()
    assert charlie_client.get(reverse("comms:outbox_email", args=[email.pk])).status_code == 404
    assert charlie_client.get(reverse("comms:outbox_email_html", args=[email.pk])).status_code == 404
    for action in ("cancel", "retry", "send_now", "confirm", "mark_sent"):
        assert charlie_client.post(action_url(action, email)).status_code == 404
    email.refresh_from_db()
    assert email.status == Status.QUEUED


def test_visitors_who_are_not_signed_in_are_sent_to_sign_in(client: Browser, studio):
    email = OutboxEmailFactory(studio=studio)

    for response in (client.get(OUTBOX), client.post(action_url("cancel", email))):
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_the_preview_shows_headers_text_and_html_in_a_sandbox(owner_client: Browser, studio):
    email = OutboxEmailFactory(
        studio=studio,
        subject="Friday update",
        to=["zoe@acme.example"],
        bcc=["archive@northlight.example"],
        text="Hello Zoe,\nNext steps: send the logo.",
        html="<p>Hello <strong>Zoe</strong></p><script>alert(1)</script>",
        message_id_header="<abc@northlight.example>",
        headers={"In-Reply-To": "<q@acme.example>"},
        send_after=NOW + timedelta(hours=2),
    )

    page = owner_client.get(reverse("comms:outbox_email", args=[email.pk])).content.decode()
    html = owner_client.get(reverse("comms:outbox_email_html", args=[email.pk]))

    assert "Message-ID" in page
    assert "&lt;abc@northlight.example&gt;" in page
    assert "In-Reply-To" in page
    assert "zoe@acme.example" in page
    assert "archive@northlight.example" in page
    assert "Hello Zoe,\nNext steps: send the logo." in page
    assert '<iframe class="mailbox-frame" sandbox' in page
    assert "Leaves" in page
    assert action_url("send_now", email) in page
    assert action_url("cancel", email) in page
    assert html.content == email.html.encode()
    assert "sandbox" in html["Content-Security-Policy"]
    assert "script-src 'none'" in html["Content-Security-Policy"]
    assert html["X-Frame-Options"] == "SAMEORIGIN"


def test_the_preview_of_a_cooled_off_email_asks_to_confirm(owner_client: Browser, studio):
    email = OutboxEmailFactory(studio=studio, send_after=NOW + timedelta(hours=3), confirm_before_sending=True)

    page = owner_client.get(reverse("comms:outbox_email", args=[email.pk])).content.decode()

    assert "It will not leave until you confirm it once more." in page
    assert action_url("confirm", email) in page
    assert action_url("send_now", email) not in page


# --- needs attention -----------------------------------------------------------------------------------------


def interrupted(studio, subject: str) -> OutboxEmail:
    return OutboxEmailFactory(
        studio=studio, subject=subject, status=Status.NEEDS_ATTENTION, attempts=1,
        claimed_at=NOW - timedelta(minutes=20), send_started_at=NOW - timedelta(minutes=19),
        last_error="Found interrupted at 2026-11-20 10:00 UTC: … it may or may not have left.",
    )  # fmt: skip


def test_interrupted_emails_wait_in_needs_attention_with_the_three_choices(owner_client: Browser, studio):
    email = interrupted(studio, "Proposal <v2>")
    OutboxEmailFactory(studio=studio, subject="Broken", status=Status.FAILED, last_error="SMTP down")

    scheduled = owner_client.get(OUTBOX).content.decode()
    attention = owner_client.get(OUTBOX, {"tab": "attention"}).content.decode()
    failed = owner_client.get(OUTBOX, {"tab": "failed"}).content.decode()
    preview = owner_client.get(reverse("comms:outbox_email", args=[email.pk])).content.decode()

    assert 'data-testid="count-attention">1<' in scheduled
    assert 'data-testid="attention-alert"' in scheduled
    assert "1 email was interrupted while it was being sent and may or may not have left." in scheduled
    assert "Proposal &lt;v2&gt;" in attention
    assert "Proposal" not in failed
    assert "Broken" not in attention
    assert 'data-testid="attention-alert"' not in attention
    assert "Rapport cannot tell whether they left" in attention
    assert "it may or may not have left." in attention
    assert "20 Nov 2026, 10:41" in attention  # handed over at 09:41 UTC, shown in Berlin time
    for page in (attention, preview):
        assert "Needs attention" in page
        assert action_url("retry", email) in page
        assert action_url("mark_sent", email) in page
        assert action_url("cancel", email) in page
        assert "Send again" in page
        assert "It did leave — mark as sent" in page
    assert "Handed to the email provider 20 Nov 2026, 10:41; it may or may not have left." in preview
    assert 'data-testid="attention-reason"' in preview


def test_the_needs_attention_tab_appears_only_when_something_needs_it(owner_client: Browser, studio):
    OutboxEmailFactory(studio=studio)

    page = owner_client.get(OUTBOX).content.decode()
    empty = owner_client.get(OUTBOX, {"tab": "attention"}).content.decode()

    assert "?tab=attention" not in page
    assert "attention-alert" not in page
    assert "Nothing needs your attention." in empty


def test_the_attention_tab_costs_the_same_queries_for_2_or_40_rows(
    owner_client: Browser, studio, django_assert_max_num_queries
):
    for n in range(2):
        interrupted(studio, f"Row {n}")
    with django_assert_max_num_queries(6):
        owner_client.get(OUTBOX, {"tab": "attention"})
    for n in range(38):
        interrupted(studio, f"More {n}")
    with django_assert_max_num_queries(6):
        response = owner_client.get(OUTBOX, {"tab": "attention"})

    assert response.content.decode().count('data-testid="outbox-row"') == 40


def test_another_studios_interrupted_email_is_not_counted_or_shown(charlie_client: Browser, studio):
    interrupted(studio, "Private proposal")

    page = charlie_client.get(OUTBOX, {"tab": "attention"}).content.decode()

    assert "Private proposal" not in page
    assert 'data-testid="count-attention">0<' in page


# --- nothing is dropped silently --------------------------------------------------------------------------------


def test_an_esp_that_keeps_failing_ends_in_the_failed_tab_with_its_error(
    owner_client: Browser, studio, settings, monkeypatch, caplog
):
    """Every row a broken ESP refuses is retried with backoff, then shown as failed: none vanishes."""
    from comms.tasks import deliver_outbox
    from tests.comms.test_outbox import FailingBackend

    settings.OUTBOX_DELIVERY_BACKEND = "tests.comms.test_outbox.FailingBackend"
    settings.OUTBOX_MAX_ATTEMPTS = 5
    monkeypatch.setattr("comms.conversation.file_sent_email", lambda email, client: None)
    emails = [OutboxEmailFactory(studio=studio, subject=f"Update {n}", send_after=NOW) for n in range(3)]

    with time_machine.travel(NOW, tick=False) as clock:
        for _tick in range(4 * 60):  # four hours of beat ticks, one a minute: past every backoff
            deliver_outbox()
            clock.shift(timedelta(minutes=1))
        failed = owner_client.get(OUTBOX, {"tab": "failed"}).content.decode()

    rows = OutboxEmail.objects.filter(pk__in=[email.pk for email in emails])
    assert {(row.status, row.attempts) for row in rows} == {(Status.FAILED, 5)}
    assert 'data-testid="count-failed">3<' in failed
    assert 'data-testid="count-scheduled">0<' in failed
    for row in rows:
        assert row.last_error == f"ConnectionRefusedError: {FailingBackend.error}"
        assert row.subject in failed
    assert failed.count("SMTP server down") == 3
    assert caplog.text.count("failed after 5 attempt(s)") == 3

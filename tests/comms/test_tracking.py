"""ESP delivery tracking: events posted to our tracking URLs update the outbox row they concern."""

import hashlib
import hmac
import json
import secrets
from base64 import b64encode
from pathlib import Path

import pytest
from anymail.signals import AnymailTrackingEvent
from django.test import Client
from django.urls import reverse

from comms.models import OutboxEmail, WebhookPayload
from comms.tracking import tracking_event_apply
from kernel.models import Studio
from tests.factories import OutboxEmailFactory

PAYLOADS = Path(__file__).parent / "webhook_payloads"
SECRET = "rapport:webhook-secret-0123456789"
MAILGUN_SIGNING_KEY = "key-mailgun-test-signing"
POSTMARK_ID = "883953f4-6105-42a2-a16a-77a8eac79483"


def auth(secret: str = SECRET) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + b64encode(secret.encode()).decode()}


def post_postmark(client: Client, name: str, **headers: str):
    body = (PAYLOADS / name).read_text()
    url = reverse("hooks:tracking", kwargs={"esp": "postmark"})
    return client.post(url, data=body, content_type="application/json", **headers)


@pytest.fixture
def hooks(settings) -> None:
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_SIGNING_KEY}


@pytest.fixture
def sent(studio: Studio) -> OutboxEmail:
    return OutboxEmailFactory(studio=studio, status=OutboxEmail.Status.SENT, esp_message_id=POSTMARK_ID)


def test_a_delivery_event_marks_the_outbox_email_delivered(client: Client, hooks, sent: OutboxEmail):
    response = post_postmark(client, "postmark_delivery.json", **auth())

    assert response.status_code == 200
    sent.refresh_from_db()
    assert sent.delivery_status == "delivered"
    assert "alice@client.example" in sent.delivery_detail
    assert "250 2.0.0 OK" in sent.delivery_detail
    assert sent.last_error == ""
    assert sent.status == OutboxEmail.Status.SENT
    payload = WebhookPayload.objects.get()
    assert (payload.kind, payload.status) == ("tracking", "processed")


def test_a_bounce_after_delivery_wins_and_is_the_last_error(client: Client, hooks, sent: OutboxEmail):
    post_postmark(client, "postmark_delivery.json", **auth())
    post_postmark(client, "postmark_bounce.json", **auth())

    sent.refresh_from_db()
    assert sent.delivery_status == "bounced"
    assert "550 5.1.1" in sent.delivery_detail
    assert "unable to deliver" in sent.last_error


def test_an_open_after_a_bounce_does_not_hide_it(client: Client, hooks, sent: OutboxEmail):
    post_postmark(client, "postmark_bounce.json", **auth())
    post_postmark(client, "postmark_open.json", **auth())

    sent.refresh_from_db()
    assert sent.delivery_status == "bounced"


def test_an_event_for_mail_we_did_not_send_is_ignored(client: Client, hooks, sent: OutboxEmail):
    OutboxEmail.objects.filter(pk=sent.pk).update(esp_message_id="another-id")

    response = post_postmark(client, "postmark_bounce.json", **auth())

    assert response.status_code == 200
    sent.refresh_from_db()
    assert sent.delivery_status == ""
    payload = WebhookPayload.objects.get()
    assert payload.status == WebhookPayload.Status.PROCESSED
    assert payload.error.startswith("Ignored:")
    assert POSTMARK_ID in payload.error


def test_tracking_webhooks_need_the_secret_too(client: Client, hooks, sent: OutboxEmail, settings):
    assert post_postmark(client, "postmark_bounce.json").status_code == 403
    settings.ANYMAIL = {}
    assert post_postmark(client, "postmark_bounce.json", **auth()).status_code == 403

    assert not WebhookPayload.objects.exists()
    sent.refresh_from_db()
    assert sent.delivery_status == ""


def test_mailgun_signed_json_events_are_matched_by_message_id(client: Client, hooks, studio: Studio):
    email = OutboxEmailFactory(
        studio=studio, status="sent", esp_message_id="<20261117160000.1.ABCDEF@mg.northlight.example>"
    )
    event = json.loads((PAYLOADS / "mailgun_tracking_delivered.json").read_text())
    token, timestamp = secrets.token_hex(25), "1795000000"
    signature = hmac.new(MAILGUN_SIGNING_KEY.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    event["signature"] = {"token": token, "timestamp": timestamp, "signature": signature}

    response = client.post(
        reverse("hooks:tracking", kwargs={"esp": "mailgun"}),
        data=json.dumps(event),
        content_type="application/json",
        **auth(),
    )

    assert response.status_code == 200
    email.refresh_from_db()
    assert email.delivery_status == "delivered"


def event(event_type: str, message_id: str = "m-1", **kwargs) -> AnymailTrackingEvent:
    return AnymailTrackingEvent(event_type=event_type, message_id=message_id, recipient="a@client.example", **kwargs)


@pytest.mark.parametrize(
    ("sequence", "expected"),
    [
        (["queued", "delivered"], "delivered"),
        (["delivered", "deferred"], "delivered"),  # late news of an earlier retry
        (["deferred", "delivered", "opened", "clicked"], "clicked"),
        (["delivered", "bounced", "opened"], "bounced"),
        (["opened", "complained"], "complained"),
        (["rejected", "delivered"], "rejected"),
        (["delivered", "unknown", "inbound"], "delivered"),
    ],
)
def test_the_worst_news_is_kept(studio: Studio, sequence, expected):
    email = OutboxEmailFactory(studio=studio, status="sent", esp_message_id="m-1")

    for event_type in sequence:
        tracking_event_apply(event(event_type))

    email.refresh_from_db()
    assert email.delivery_status == expected


def test_every_row_sent_with_the_message_id_is_updated_and_others_are_not(studio: Studio, other_studio: Studio):
    ours = OutboxEmailFactory(studio=studio, status="sent", esp_message_id="m-1")
    theirs = OutboxEmailFactory(studio=other_studio, status="sent", esp_message_id="m-1")
    unrelated = OutboxEmailFactory(studio=studio, status="sent", esp_message_id="m-2")

    result = tracking_event_apply(event("rejected", reject_reason="blocked", description="On the suppression list"))

    assert result.matched == result.updated == 2
    for row in (ours, theirs, unrelated):
        row.refresh_from_db()
    assert ours.delivery_status == theirs.delivery_status == "rejected"
    assert "On the suppression list" in ours.last_error
    assert "reason: blocked" in ours.last_error
    assert unrelated.delivery_status == ""


def test_an_event_without_a_message_id_is_ignored(studio: Studio):
    OutboxEmailFactory(studio=studio, status="sent", esp_message_id="")

    assert tracking_event_apply(event("bounced", message_id=None)).matched == 0
    assert not OutboxEmail.objects.exclude(delivery_status="").exists()

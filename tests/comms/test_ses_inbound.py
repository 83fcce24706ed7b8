"""Amazon SES inbound end to end: an SNS notification posted to /hooks/amazon_ses/inbound/ is filed for the studio.

Without boto3 anymail's view could not even be built, and every SES call answered 500 "Webhook not configured".
"""

import json
from base64 import b64encode

import pytest
from django.test import Client
from django.urls import reverse

from comms.models import Message, RawEmail, WebhookPayload
from kernel.models import Studio
from tests.factories import ClientFactory, ContactFactory

SECRET = "rapport:webhook-secret-0123456789"
RAW = (
    b"From: Alice <alice@client.example>\r\n"
    b"To: northlight.0a1b2c3d4e@inbound.test\r\n"
    b"Subject: New logo files\r\n"
    b"Message-ID: <ses-1@client.example>\r\n"
    b"Date: Tue, 10 Nov 2026 09:00:00 +0000\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Could you send the logo as SVG?\r\n"
)


def sns_notification(message_id: str = "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324") -> dict:
    """An SNS Notification as SES's "SNS" receipt-rule action posts it (content included, base64)."""
    ses_event = {
        "notificationType": "Received",
        "mail": {
            "timestamp": "2026-11-10T09:00:01.000Z",
            "source": "alice@client.example",
            "messageId": "ses-message-1",
            "destination": ["northlight.0a1b2c3d4e@inbound.test"],
        },
        "receipt": {
            "timestamp": "2026-11-10T09:00:01.000Z",
            "recipients": ["northlight.0a1b2c3d4e@inbound.test"],
            "spamVerdict": {"status": "PASS"},
            "virusVerdict": {"status": "PASS"},
            "action": {
                "type": "SNS",
                "topicArn": "arn:aws:sns:eu-west-1:123456789012:rapport-inbound",
                "encoding": "BASE64",
            },
        },
        "content": b64encode(RAW).decode(),
    }
    return {
        "Type": "Notification",
        "MessageId": message_id,
        "TopicArn": "arn:aws:sns:eu-west-1:123456789012:rapport-inbound",
        "Subject": "Amazon SES Email Receipt Notification",
        "Message": json.dumps(ses_event),
        "Timestamp": "2026-11-10T09:00:02.000Z",
        "SignatureVersion": "1",
        "Signature": "not-checked-by-anymail",
        "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/cert.pem",
    }


def post_sns(client: Client, body: dict, *, with_auth: bool = True):
    headers = {"HTTP_X_AMZ_SNS_MESSAGE_TYPE": body["Type"], "HTTP_X_AMZ_SNS_MESSAGE_ID": body["MessageId"]}
    if with_auth:
        headers["HTTP_AUTHORIZATION"] = "Basic " + b64encode(SECRET.encode()).decode()
    url = reverse("hooks:inbound", kwargs={"esp": "amazon_ses"})
    return client.post(url, data=json.dumps(body), content_type="text/plain; charset=UTF-8", **headers)


@pytest.fixture
def hooks(settings, studio: Studio) -> Studio:
    settings.RAPPORT_INBOUND_DOMAIN = "inbound.test"
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    Studio.objects.filter(pk=studio.pk).update(inbound_key="0a1b2c3d4e")
    ContactFactory(client=ClientFactory(studio=studio, name="Alice & Co"), email="alice@client.example")
    return studio


def test_boto3_is_installed_so_the_ses_views_can_be_built():
    import boto3  # noqa: F401  requirements.txt: without it anymail refuses to build the SES views


def test_an_ses_inbound_notification_is_filed_for_the_studio(client: Client, hooks):
    challenge = post_sns(client, sns_notification(), with_auth=False)
    response = post_sns(client, sns_notification())

    assert challenge.status_code == 401  # SNS sends credentials only after the challenge
    assert response.status_code == 200
    message = Message.objects.get()
    assert (message.studio, message.subject, message.from_email) == (hooks, "New logo files", "alice@client.example")
    assert message.direction == Message.Direction.INBOUND
    assert message.client.name == "Alice & Co"
    assert message.needs_reply
    assert message.raw_email.source == RawEmail.Source.WEBHOOK
    assert "Could you send the logo as SVG?" in message.text
    assert WebhookPayload.objects.get().status == WebhookPayload.Status.PROCESSED


def test_sns_redelivering_the_notification_files_it_once(client: Client, hooks):
    post_sns(client, sns_notification("first-delivery"))
    again = post_sns(client, sns_notification("second-delivery"))

    assert again.status_code == 200
    assert Message.objects.count() == 1

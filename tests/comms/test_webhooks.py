"""ESP inbound webhooks end to end: real payload shapes posted to our URLs, through anymail's views, into receive()."""

import hashlib
import hmac
import json
from base64 import b64encode
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from clients.models import Client as CrmClient
from comms.models import Message, RawEmail, WebhookPayload
from comms.webhooks import ESPS, replay_webhook_payload
from kernel.models import Studio
from tests.factories import ClientFactory, ContactFactory

PAYLOADS = Path(__file__).parent / "webhook_payloads"
SECRET = "rapport:webhook-secret-0123456789"
KEY = "0a1b2c3d4e"
MAILGUN_SIGNING_KEY = "key-mailgun-test-signing"


def auth(secret: str = SECRET) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + b64encode(secret.encode()).decode()}


def mailgun_signed(fields: dict[str, str], key: str = MAILGUN_SIGNING_KEY) -> dict[str, str]:
    """Mailgun's legacy (form) signature: HMAC-SHA256 of timestamp + token."""
    signature = hmac.new(key.encode(), (fields["timestamp"] + fields["token"]).encode(), hashlib.sha256).hexdigest()
    return {**fields, "signature": signature}


def mailgun_fields() -> dict[str, str]:
    return json.loads((PAYLOADS / "mailgun_inbound_mime.json").read_text())


BOUNDARY = "b0UnDaRy42"


def multipart(fields: dict[str, str | bytes]) -> bytes:
    """A form post as an ESP sends it: field values as raw bytes (the test client would re-encode them)."""
    parts = []
    for name, value in fields.items():
        data = value if isinstance(value, bytes) else value.encode()
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + data + b"\r\n")
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def post_mailgun(client: Client, fields: dict[str, str], **headers: str):
    url = reverse("hooks:inbound_mime", kwargs={"esp": "mailgun"})
    return client.post(url, data=fields, **headers)


def post_postmark(client: Client, body: str | bytes, **headers: str):
    url = reverse("hooks:inbound", kwargs={"esp": "postmark"})
    return client.post(url, data=body, content_type="application/json", **headers)


def post_sendgrid(client: Client, body: bytes, **headers: str):
    url = reverse("hooks:inbound", kwargs={"esp": "sendgrid"})
    return client.post(url, data=body, content_type="multipart/form-data; boundary=xYzZY", **headers)


@pytest.fixture
def hooks(settings, studio: Studio) -> Studio:
    """The studio receiving at northlight.0a1b2c3d4e@inbound.test, with the webhook secret configured."""
    settings.RAPPORT_INBOUND_DOMAIN = "inbound.test"
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_SIGNING_KEY}
    Studio.objects.filter(pk=studio.pk).update(inbound_key=KEY)
    studio.refresh_from_db()
    return studio


@pytest.fixture
def alice(hooks: Studio) -> CrmClient:
    customer = ClientFactory(studio=hooks, name="Alice & Co")
    ContactFactory(client=customer, email="alice@client.example")
    return customer


def assert_filed(message: Message, customer: CrmClient, *, subject: str) -> None:
    assert message.subject == subject
    assert message.direction == Message.Direction.INBOUND
    assert message.client == customer
    assert message.from_email == "alice@client.example"
    assert message.needs_reply
    assert message.reply_due_at is not None
    assert message.raw_email.source == RawEmail.Source.WEBHOOK


# --- authentication ---------------------------------------------------------------------------


def test_without_a_configured_secret_every_call_is_refused_and_nothing_stored(client: Client, hooks, settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_SIGNING_KEY}

    response = post_mailgun(client, mailgun_signed(mailgun_fields()), **auth())

    assert response.status_code == 403
    assert not WebhookPayload.objects.exists()
    assert not RawEmail.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        auth("rapport:wrong-password"),
        auth(SECRET + "x"),
        {"HTTP_AUTHORIZATION": "Bearer " + SECRET},
        {"HTTP_AUTHORIZATION": "Basic not-base64!"},
    ],
    ids=["none", "wrong-password", "longer", "bearer", "garbage"],
)
def test_missing_or_wrong_credentials_are_refused_and_nothing_stored(client: Client, hooks, alice, headers):
    body = (PAYLOADS / "postmark_inbound.json").read_text()

    response = post_postmark(client, body, **headers)

    assert response.status_code == 403
    assert not WebhookPayload.objects.exists()
    assert not Message.objects.exists()


def test_any_of_several_configured_secrets_is_accepted(client: Client, hooks, alice, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": ["rapport:old-secret", SECRET]}

    response = post_postmark(client, (PAYLOADS / "postmark_inbound.json").read_text(), **auth("rapport:old-secret"))

    assert response.status_code == 200
    assert Message.objects.count() == 1


def test_a_wrong_esp_signature_is_refused_and_nothing_stored(client: Client, hooks, alice):
    fields = mailgun_signed(mailgun_fields(), key="someone-elses-key")

    response = post_mailgun(client, fields, **auth())

    assert response.status_code == 403
    assert not WebhookPayload.objects.exists()


def test_amazon_sns_gets_the_basic_auth_challenge_it_needs(client: Client, hooks):
    response = client.post(reverse("hooks:inbound", kwargs={"esp": "amazon_ses"}), data="{}", content_type="text/plain")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")
    assert not WebhookPayload.objects.exists()


def test_an_unknown_esp_is_a_404(client: Client, hooks):
    assert client.post("/hooks/nosuchesp/inbound/", **auth()).status_code == 404
    assert client.post(reverse("hooks:inbound", kwargs={"esp": "resend"}), **auth()).status_code == 404


def test_a_head_check_answers_without_storing(client: Client, hooks):
    assert client.head(reverse("hooks:inbound", kwargs={"esp": "postmark"}), **auth()).status_code == 200
    assert client.get(reverse("hooks:inbound", kwargs={"esp": "postmark"}), **auth()).status_code == 405
    assert not WebhookPayload.objects.exists()


def test_a_body_over_the_upload_limit_is_refused(client: Client, hooks, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100

    response = post_postmark(client, (PAYLOADS / "postmark_inbound.json").read_text(), **auth())

    assert response.status_code == 413
    assert not WebhookPayload.objects.exists()


# --- the three required ESP formats -------------------------------------------------------------


def test_mailgun_raw_mime_is_filed_for_the_studio_and_starts_the_clock(client: Client, hooks, alice):
    response = post_mailgun(client, mailgun_signed(mailgun_fields()), **auth())

    assert response.status_code == 200
    message = Message.objects.get()
    assert_filed(message, alice, subject="Homepage draft: two questions")
    assert message.studio == hooks
    assert message.message_id == "<mg-inbound-1@mail.client.example>"
    assert "contact form live yet…" in message.text
    assert message.sent_at.timestamp() == 1795000000  # Mailgun's event timestamp
    payload = WebhookPayload.objects.get()
    assert (payload.esp, payload.kind, payload.status, payload.error) == ("mailgun", "inbound", "processed", "")
    assert b"body-mime" in bytes(payload.body)
    assert payload.content_type == "multipart/form-data"
    assert "Authorization" not in payload.headers
    assert "multipart/form-data; boundary=" in payload.headers["Content-Type"]


def test_postmark_json_is_filed_for_the_studio_and_starts_the_clock(client: Client, hooks, alice):
    response = post_postmark(client, (PAYLOADS / "postmark_inbound.json").read_text(), **auth())

    assert response.status_code == 200
    message = Message.objects.get()
    assert_filed(message, alice, subject="Invoice for the launch")
    assert message.text.strip() == "Hello, where do I find the invoice for the launch?"
    assert WebhookPayload.objects.get().status == WebhookPayload.Status.PROCESSED


def test_sendgrid_raw_parse_is_filed_for_the_studio_and_starts_the_clock(client: Client, hooks, alice):
    response = post_sendgrid(client, (PAYLOADS / "sendgrid_inbound_raw.multipart").read_bytes(), **auth())

    assert response.status_code == 200
    message = Message.objects.get()
    assert_filed(message, alice, subject="Re: Friday update")
    assert "staging site" in message.text
    assert WebhookPayload.objects.get().esp == "sendgrid"


@pytest.mark.parametrize("charset", ["windows-1251", "koi8-r"])
def test_an_8bit_raw_message_reaches_receive_byte_for_byte(client: Client, hooks, alice, charset):
    raw = (
        "From: alice@client.example\r\nTo: northlight.0a1b2c3d4e@inbound.test\r\n"
        "Subject: =?utf-8?b?0KHRh9GR0YI=?=\r\nMessage-ID: <cyr-1@client.example>\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "Здравствуйте! Пришлите, пожалуйста, счёт.\r\n"
    ).encode(charset)
    fields = mailgun_signed({**mailgun_fields(), "body-mime": raw})
    url = reverse("hooks:inbound_mime", kwargs={"esp": "mailgun"})

    response = client.post(url, multipart(fields), content_type=f"multipart/form-data; boundary={BOUNDARY}", **auth())

    assert response.status_code == 200, WebhookPayload.objects.get().error
    message = Message.objects.get()
    assert bytes(message.raw_email.raw) == raw
    assert message.subject == "Счёт"
    assert "Пришлите, пожалуйста, счёт." in message.text


def test_sendgrid_raw_mime_in_a_urlencoded_post_is_kept_byte_for_byte(client: Client, hooks, alice):
    from urllib.parse import urlencode

    raw = (
        "From: alice@client.example\r\nTo: northlight.0a1b2c3d4e@inbound.test\r\nSubject: Invoice\r\n"
        "Content-Type: text/plain; charset=iso-8859-7\r\nContent-Transfer-Encoding: 8bit\r\n\r\nΚαλημέρα σας\r\n"
    ).encode("iso-8859-7")
    body = urlencode({"email": raw, "envelope": '{"to":["northlight.0a1b2c3d4e@inbound.test"],"from":"a@b"}'})
    url = reverse("hooks:inbound", kwargs={"esp": "sendgrid"})

    response = client.post(url, data=body, content_type="application/x-www-form-urlencoded", **auth())

    assert response.status_code == 200
    message = Message.objects.get()
    assert bytes(message.raw_email.raw) == raw
    assert "Καλημέρα σας" in message.text


def test_mail_to_the_bcc_address_from_the_studio_is_logged_as_sent(client: Client, hooks, alice, owner):
    fields = mailgun_fields()
    fields["recipient"] = "northlight.0a1b2c3d4e+bcc@inbound.test"
    fields["body-mime"] = (
        f"From: {owner.email}\r\nTo: alice@client.example\r\nSubject: Re: Homepage draft\r\n"
        "Message-ID: <own-1@northlight.example>\r\n\r\nDone: the logo is on the left now.\r\n"
    )

    response = post_mailgun(client, mailgun_signed(fields), **auth())

    assert response.status_code == 200
    message = Message.objects.get()
    assert message.direction == Message.Direction.OUTBOUND
    assert message.client == alice


def test_the_same_mail_delivered_twice_is_filed_once(client: Client, hooks, alice):
    body = (PAYLOADS / "postmark_inbound.json").read_text()

    assert post_postmark(client, body, **auth()).status_code == 200
    assert post_postmark(client, body, **auth()).status_code == 200

    assert Message.objects.count() == 1
    assert WebhookPayload.objects.filter(status="processed").count() == 2


# --- failures: kept for replay ------------------------------------------------------------------


def test_mail_for_an_unknown_address_is_kept_failed_but_answered_200(client: Client, hooks, alice):
    body = (PAYLOADS / "postmark_inbound.json").read_text().replace(KEY, "ffffffffff")

    response = post_postmark(client, body, **auth())

    assert response.status_code == 200  # a retry by the ESP could not help
    payload = WebhookPayload.objects.get()
    assert payload.status == WebhookPayload.Status.FAILED
    assert "No studio receives mail at" in payload.error
    assert "northlight.ffffffffff@inbound.test" in payload.error
    assert not Message.objects.exists()
    assert not RawEmail.objects.exists()


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("{not json", "JSONDecodeError"),
        ('{"RecordType": "Delivery", "MessageID": "x"}', "Postmark's *Delivery* webhook"),
        ("[1, 2, 3]", "AttributeError"),
    ],
    ids=["not-json", "tracking-posted-to-inbound", "wrong-shape"],
)
def test_a_malformed_payload_is_a_400_and_kept_failed_for_replay(client: Client, hooks, body, error):
    response = post_postmark(client, body, **auth())

    assert response.status_code == 400
    payload = WebhookPayload.objects.get()
    assert payload.status == WebhookPayload.Status.FAILED
    assert error in payload.error
    assert bytes(payload.body) == body.encode()


def test_a_malformed_mailgun_form_is_a_400(client: Client, hooks):
    fields = mailgun_signed({"timestamp": "1795000000", "token": "t" * 50, "event": "delivered"})

    response = post_mailgun(client, fields, **auth())

    assert response.status_code == 400
    assert "tracking* webhook" in WebhookPayload.objects.get().error


def test_mail_receive_cannot_file_is_a_400_with_the_raw_mail_kept(client: Client, hooks, alice, monkeypatch):
    from comms import inbound

    def broken_parser(raw: bytes):
        raise RuntimeError("parser bug")

    monkeypatch.setattr(inbound, "parse_email", broken_parser)

    response = post_postmark(client, (PAYLOADS / "postmark_inbound.json").read_text(), **auth())

    assert response.status_code == 400
    payload = WebhookPayload.objects.get()
    assert payload.status == WebhookPayload.Status.FAILED
    assert "parser bug" in payload.error
    raw = RawEmail.objects.get()
    assert raw.status == RawEmail.Status.FAILED
    assert f"raw email #{raw.pk}" in payload.error


def test_an_unexpected_error_is_a_500_so_the_esp_retries(client: Client, hooks, alice, monkeypatch):
    from comms import inbound

    def database_down(*args, **kwargs):
        raise ConnectionError("database is down")

    monkeypatch.setattr(inbound, "receive", database_down)

    response = post_postmark(client, (PAYLOADS / "postmark_inbound.json").read_text(), **auth())

    assert response.status_code == 500
    payload = WebhookPayload.objects.get()
    assert payload.status == WebhookPayload.Status.FAILED
    assert "database is down" in payload.error


# --- replay -------------------------------------------------------------------------------------


def test_replay_files_a_payload_once_its_address_exists(client: Client, hooks, alice):
    body = (PAYLOADS / "postmark_inbound.json").read_text().replace(KEY, "5a5a5a5a5a")
    post_postmark(client, body, **auth())
    payload = WebhookPayload.objects.get()
    assert payload.status == WebhookPayload.Status.FAILED

    Studio.objects.filter(pk=hooks.pk).update(inbound_key="5a5a5a5a5a")  # the fix
    call_command("replay_webhooks", "--failed")

    payload.refresh_from_db()
    assert (payload.status, payload.error) == (WebhookPayload.Status.PROCESSED, "")
    assert_filed(Message.objects.get(), alice, subject="Invoice for the launch")


def test_replay_works_for_multipart_payloads_after_a_parser_fix(client: Client, hooks, alice, monkeypatch):
    from comms import inbound

    real_parser = inbound.parse_email
    monkeypatch.setattr(inbound, "parse_email", lambda raw: (_ for _ in ()).throw(RuntimeError("parser bug")))
    assert post_mailgun(client, mailgun_signed(mailgun_fields()), **auth()).status_code == 400
    payload = WebhookPayload.objects.get()

    monkeypatch.setattr(inbound, "parse_email", real_parser)  # the fix
    replay_webhook_payload(payload)

    assert payload.status == WebhookPayload.Status.PROCESSED
    payload.refresh_from_db()
    assert payload.status == WebhookPayload.Status.PROCESSED
    message = Message.objects.get()
    assert_filed(message, alice, subject="Homepage draft: two questions")
    assert message.sent_at.timestamp() == 1795000000


def test_replay_by_id_reports_payloads_that_still_fail(client: Client, hooks):
    post_postmark(client, "{not json", **auth())
    payload = WebhookPayload.objects.get()

    with pytest.raises(CommandError, match="1 payload"):
        call_command("replay_webhooks", "--id", str(payload.pk))
    with pytest.raises(CommandError, match="No webhook payload with id 999999"):
        call_command("replay_webhooks", "--id", "999999")
    with pytest.raises(CommandError, match="--failed"):
        call_command("replay_webhooks")


def test_every_esp_has_the_views_anymail_offers():
    assert {"mailgun", "postmark", "sendgrid", "mailjet", "mandrill", "sparkpost", "amazon_ses", "brevo"} <= {
        slug for slug, esp in ESPS.items() if esp.inbound
    }
    assert all(esp.tracking for esp in ESPS.values())


def test_an_esp_whose_signing_key_is_missing_is_a_500_and_nothing_is_stored(client: Client, hooks, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}

    response = post_mailgun(client, mailgun_signed(mailgun_fields()), **auth())

    assert response.status_code == 500  # the ESP retries once the key is configured
    assert not WebhookPayload.objects.exists()

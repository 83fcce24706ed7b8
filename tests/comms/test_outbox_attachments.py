"""The outbox carries files: text (an .ics) and bytes (a PDF), stored in the row, sent as they came."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMessage
from django.urls import reverse

from comms import outbox
from comms.models import OutboxEmail
from tests.factories import OutboxEmailFactory

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
ANYMAIL_TEST = "anymail.backends.test.EmailBackend"
PDF = b"%PDF-1.4\n\x00\xff\xfe binary \x80\x81 bytes\n%%EOF\n"
Status = OutboxEmail.Status


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def no_conversation_log(monkeypatch):
    monkeypatch.setattr("comms.conversation.file_sent_email", lambda email, client: None)


class DownBackend:
    def __init__(self, **kwargs):
        pass

    def open(self):
        pass

    def close(self):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server down")


def queue_with_pdf(studio, **fields) -> OutboxEmail:
    return outbox.enqueue(
        studio=studio,
        to=["client@client.example"],
        subject="Invoice 2026-0001",
        text="Attached.",
        attachments=[{"filename": "Счёт 2026-0001.pdf", "mimetype": "application/pdf", "content": PDF}],
        **fields,
    )


def test_bytes_are_stored_base64_in_the_row_and_text_stays_text(studio):
    email = outbox.enqueue(
        studio=studio,
        to=["client@client.example"],
        subject="Files",
        text="x",
        attachments=[
            {"filename": "invoice.pdf", "mimetype": "application/pdf", "content": PDF},
            {"filename": "call.ics", "mimetype": "text/calendar", "content": "BEGIN:VCALENDAR"},
        ],
    )

    email.refresh_from_db()
    pdf, ics = email.attachments
    assert pdf == {
        "filename": "invoice.pdf",
        "mimetype": "application/pdf",
        "content_b64": base64.b64encode(PDF).decode(),
        "size": len(PDF),
    }
    assert ics == {"filename": "call.ics", "mimetype": "text/calendar", "content": "BEGIN:VCALENDAR"}
    assert outbox.attachment_bytes(pdf) == PDF
    assert (outbox.attachment_size(pdf), outbox.attachment_size(ics)) == (len(PDF), 15)


def test_base64_content_is_accepted_as_given_and_checked(studio):
    email = outbox.enqueue(
        studio=studio,
        to=["client@client.example"],
        subject="Files",
        text="x",
        attachments=[{"filename": "a.bin", "mimetype": "application/octet-stream", "content_b64": "AAEC"}],
    )
    assert outbox.attachment_bytes(email.attachments[0]) == b"\x00\x01\x02"

    with pytest.raises(ValueError, match="base64"):
        outbox.enqueue(
            studio=studio,
            to=["client@client.example"],
            subject="Files",
            text="x",
            attachments=[{"filename": "a.bin", "mimetype": "application/octet-stream", "content_b64": "no!"}],
        )


@pytest.mark.parametrize(
    "attachment",
    [
        {"filename": "", "mimetype": "application/pdf", "content": PDF},
        {"filename": "a.pdf", "mimetype": "pdf", "content": PDF},
        {"filename": "a.pdf", "mimetype": "application/pdf", "content": 42},
        {"filename": "a\n.pdf", "mimetype": "application/pdf", "content": PDF},
    ],
)
def test_an_attachment_without_a_name_a_type_or_content_is_refused(studio, attachment):
    with pytest.raises(ValueError, match="attachment"):
        outbox.enqueue(studio=studio, to=["c@client.example"], subject="S", text="x", attachments=[attachment])
    assert not OutboxEmail.objects.exists()


def test_attachments_too_large_together_are_refused(studio, monkeypatch):
    monkeypatch.setattr(outbox, "MAX_ATTACHMENTS_BYTES", 1024 * 1024)
    big = {"filename": "big.pdf", "mimetype": "application/pdf", "content": b"x" * (600 * 1024)}

    with pytest.raises(ValueError, match="larger than 1 MB"):
        outbox.enqueue(studio=studio, to=["c@client.example"], subject="S", text="x", attachments=[big, big])


def test_the_anymail_test_backend_gets_the_same_bytes(studio, settings):
    settings.OUTBOX_DELIVERY_BACKEND = ANYMAIL_TEST
    email = queue_with_pdf(studio, idempotency_key="invoice:1")

    assert outbox.deliver_due() == 1

    (message,) = mail.outbox
    assert message.attachments == [("Счёт 2026-0001.pdf", PDF, "application/pdf")]
    email.refresh_from_db()
    assert email.status == Status.SENT
    assert outbox.attachment_bytes(email.attachments[0]) == PDF  # kept after sending, for the record
    assert b"%PDF-1.4" in message.message().as_bytes() or base64.b64encode(PDF[:12]) in message.message().as_bytes()


def test_a_failed_attempt_keeps_the_attachment_and_the_error_and_the_retry_sends_it(studio, settings, frozen_clock):
    settings.OUTBOX_DELIVERY_BACKEND = f"{__name__}.DownBackend"
    email = queue_with_pdf(studio)

    assert outbox.deliver_due() == 0
    email.refresh_from_db()
    assert email.status == Status.QUEUED
    assert "SMTP server down" in email.last_error
    assert outbox.attachment_bytes(email.attachments[0]) == PDF

    settings.OUTBOX_DELIVERY_BACKEND = ANYMAIL_TEST
    frozen_clock.shift(outbox.retry_delay(1))
    assert outbox.deliver_due() == 1
    assert mail.outbox[0].attachments[0][1] == PDF


def test_the_idempotency_key_returns_the_first_row_with_its_attachment(studio):
    first = queue_with_pdf(studio, idempotency_key="invoice:7")
    again = outbox.enqueue(
        studio=studio, to=["x@client.example"], subject="Other", text="y", idempotency_key="invoice:7"
    )

    assert again.pk == first.pk
    assert OutboxEmail.objects.count() == 1
    assert outbox.attachment_bytes(again.attachments[0]) == PDF


def test_django_mail_with_a_file_goes_through_the_outbox_with_its_bytes(settings, studio):
    settings.EMAIL_BACKEND = "comms.backends.OutboxBackend"
    settings.OUTBOX_DELIVERY_BACKEND = ANYMAIL_TEST
    message = EmailMessage("Invoice", "See attached", "a@x.example", ["b@y.example"])
    message.attach("invoice.pdf", PDF, "application/pdf")

    assert message.send() == 1
    assert outbox.deliver_due() == 1
    assert mail.outbox[0].attachments == [("invoice.pdf", PDF, "application/pdf")]


def test_the_outbox_page_lists_the_attachment_and_downloads_it(owner_client, studio):
    email = queue_with_pdf(studio)
    ics = OutboxEmailFactory(
        studio=studio,
        attachments=[{"filename": "x.html", "mimetype": "text/html", "content": "<script>alert(1)</script>"}],
    )

    page = owner_client.get(reverse("comms:outbox_email", args=[email.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    url = reverse("comms:outbox_attachment", args=[email.pk, 0])
    assert url in html
    assert "Счёт 2026-0001.pdf" in html

    download = owner_client.get(url)
    assert download.status_code == 200
    assert download.content == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")

    untrusted = owner_client.get(reverse("comms:outbox_attachment", args=[ics.pk, 0]))
    assert untrusted["Content-Type"] == "application/octet-stream"
    assert owner_client.get(reverse("comms:outbox_attachment", args=[email.pk, 1])).status_code == 404
    assert owner_client.get(reverse("comms:outbox")).status_code == 200


def test_another_studios_attachment_is_a_404(owner_client, other_studio):
    theirs = queue_with_pdf(other_studio)

    assert owner_client.get(reverse("comms:outbox_attachment", args=[theirs.pk, 0])).status_code == 404

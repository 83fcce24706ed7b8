"""billing.sending: the invoice and the signed agreement leave through the outbox with their PDF."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.utils import translation
from pypdf import PdfReader

from billing.models import Agreement, Invoice
from billing.pdf import invoice_pdf
from billing.sending import SendingError, agreement_send, invoice_recipients, invoice_send
from comms import outbox
from comms.models import OutboxEmail
from tests.billing.test_pdf import RUB_SELLER, make_invoice
from tests.factories import ClientFactory, ContactFactory, MembershipFactory, ProjectFactory

# A Friday, in working hours in Berlin (09:00-18:00, the factory's studio).
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
FRIDAY_NIGHT = datetime(2026, 11, 20, 21, 0, tzinfo=UTC)
MONDAY_OPENING = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
ANYMAIL_TEST = "anymail.backends.test.EmailBackend"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def anymail_test_backend(settings):
    settings.OUTBOX_DELIVERY_BACKEND = ANYMAIL_TEST


def issued_invoice(studio, *, email="jane@acme.example", **fields) -> Invoice:
    invoice = make_invoice(studio, **fields)
    ContactFactory(client=invoice.client, name="Jane Roe", email=email, is_primary=True)
    return invoice


def test_the_invoice_goes_to_the_primary_contact_with_its_pdf_and_the_esp_gets_the_same_bytes(studio):
    invoice = issued_invoice(studio)

    email = invoice_send(invoice=invoice, now=NOW)

    assert (email.to, email.kind, email.client, email.send_after) == (
        ["jane@acme.example"],
        "invoice",
        invoice.client,
        NOW,
    )
    assert email.idempotency_key == f"invoice:{invoice.pk}"
    assert email.subject == "Invoice 2026-0042 from Northlight: €676.00 due 4 December 2026"
    assert "Hello Jane," in email.text
    assert "NEXT STEPS\nPay €676.00 by 4 December 2026." in email.text
    (attachment,) = email.attachments
    assert (attachment["filename"], attachment["mimetype"]) == ("Invoice-2026-0042.pdf", "application/pdf")
    stored = outbox.attachment_bytes(attachment)
    assert stored == invoice_pdf(invoice)
    assert stored.startswith(b"%PDF")

    assert outbox.deliver_due() == 1
    (message,) = mail.outbox
    assert message.attachments == [("Invoice-2026-0042.pdf", stored, "application/pdf")]
    assert "2026-0042" in PdfReader(io.BytesIO(message.attachments[0][1])).pages[0].extract_text()
    email.refresh_from_db()
    assert email.message.attachments == [
        {"name": "Invoice-2026-0042.pdf", "size": len(stored), "content_type": "application/pdf"}
    ]  # the client's conversation lists the file it was sent


def test_sending_again_returns_the_email_already_queued(studio):
    invoice = issued_invoice(studio)

    first = invoice_send(invoice=invoice, now=NOW)
    again = invoice_send(invoice=invoice, now=NOW)

    assert again.pk == first.pk
    assert OutboxEmail.objects.count() == 1


def test_outside_working_hours_the_invoice_waits_for_the_next_opening(studio, frozen_clock):
    frozen_clock.move_to(FRIDAY_NIGHT)
    invoice = issued_invoice(studio)

    email = invoice_send(invoice=invoice, now=FRIDAY_NIGHT)

    assert email.send_after == MONDAY_OPENING
    assert outbox.deliver_due() == 0


def test_a_draft_or_cancelled_invoice_or_one_without_a_contact_is_not_sent(studio):
    draft = issued_invoice(studio, status=Invoice.Status.DRAFT, number="")
    cancelled = issued_invoice(studio, status=Invoice.Status.CANCELLED, number="2026-0050", email="other@acme.example")
    nobody = make_invoice(studio, number="2026-0051")

    with pytest.raises(SendingError, match="draft"):
        invoice_send(invoice=draft, now=NOW)
    with pytest.raises(SendingError, match="credit note"):
        invoice_send(invoice=cancelled, now=NOW)
    with pytest.raises(SendingError, match="no contact"):
        invoice_send(invoice=nobody, now=NOW)
    assert not OutboxEmail.objects.exists()


def test_a_billing_contact_gets_the_invoice_with_the_primary_contact_in_copy(studio):
    client = ClientFactory(studio=studio)
    ContactFactory(client=client, name="Jane Roe", email="jane@acme.example", is_primary=True)
    ContactFactory(client=client, name="Bob Books", email="books@acme.example", role="Accounting")

    assert invoice_recipients(client) == (["books@acme.example"], ["jane@acme.example"])


def test_a_russian_client_gets_a_russian_email_and_pdf(studio):
    invoice = make_invoice(studio, currency="RUB", seller=RUB_SELLER, language="ru", client_name="ООО «Ромашка»")
    ContactFactory(client=invoice.client, name="Иван Петров", email="ivan@romashka.example", is_primary=True)

    email = invoice_send(invoice=invoice, now=NOW)

    assert email.attachments[0]["filename"] == "Счёт-2026-0042.pdf"
    assert "Здравствуйте, Иван!" in email.text
    assert "Оплатите 676,00\u00a0₽ до 4 декабря 2026." in email.text
    assert "Счёт 2026-0042" in email.subject
    pdf = outbox.attachment_bytes(email.attachments[0])
    assert "ООО «Ромашка»" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def signed_agreement(studio, **fields) -> Agreement:
    client = ClientFactory(studio=studio, name="Acme")
    ContactFactory(client=client, name="Jane Roe", email="jane@acme.example", is_primary=True)
    project = ProjectFactory(studio=studio, client=client, title="New site")
    text = "The studio designs five pages."
    return Agreement.objects.create(
        **{
            "studio": studio,
            "project": project,
            "text": text,
            "text_sha256": hashlib.sha256(text.encode()).hexdigest(),
            "signed_name": "Sam Signer",
            "signed_email": "sam@acme.example",
            "signed_at": NOW,
            "signed_ip": "203.0.113.7",
            "signed_user_agent": "Mozilla/5.0",
            **fields,
        }
    )


def test_the_signed_agreement_goes_to_the_signer_and_to_the_studio(studio, owner):
    MembershipFactory(studio=studio, user__email="partner@northlight.example")
    agreement = signed_agreement(studio)

    to_client, to_studio = agreement_send(agreement=agreement, now=NOW)

    assert (to_client.to, to_client.cc, to_client.client) == (
        ["sam@acme.example"],
        ["jane@acme.example"],
        agreement.project.client,
    )
    assert (to_client.kind, to_client.idempotency_key) == ("agreement-signed", f"agreement-signed:{agreement.pk}")
    assert sorted(to_studio.to) == ["owner@northlight.example", "partner@northlight.example"]
    assert (to_studio.kind, to_studio.client) == ("agreement-signed-copy", None)
    assert "Sam Signer (Acme) signed version 1" in to_studio.text
    assert to_client.attachments[0]["filename"] == "Agreement-New-site-version-1.pdf"
    assert outbox.attachment_bytes(to_client.attachments[0]) == outbox.attachment_bytes(to_studio.attachments[0])

    assert outbox.deliver_due() == 2
    assert all(message.attachments[0][1].startswith(b"%PDF") for message in mail.outbox)
    assert [email.pk for email in agreement_send(agreement=agreement, now=NOW)] == [to_client.pk, to_studio.pk]
    assert OutboxEmail.objects.count() == 2


def test_an_unsigned_agreement_is_not_sent(studio, owner):
    agreement = signed_agreement(studio, signed_at=None, signed_name="", signed_email="")

    with pytest.raises(SendingError, match="not signed"):
        agreement_send(agreement=agreement, now=NOW)
    assert not OutboxEmail.objects.exists()


def test_a_russian_signer_reads_russian_and_the_studio_its_own_language(studio, owner):
    agreement = signed_agreement(studio)
    client = agreement.project.client
    client.language = "ru"
    client.save()

    with translation.override("ru"):  # the client signed on a Russian portal page
        to_client, to_studio = agreement_send(agreement=agreement, now=NOW)

    assert to_client.subject == "Ваш подписанный договор по проекту «New site»"
    assert to_client.attachments[0]["filename"] == "Договор-New-site-версия-1.pdf"
    assert to_studio.subject == "Acme signed the agreement for New site"

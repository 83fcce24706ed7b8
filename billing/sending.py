"""Invoices and signed agreements leave by email, with their PDF attached, through the outbox.

``invoice_send`` writes to the client (the billing contact, else the primary one) in the client's
language; ``agreement_send`` sends the signed agreement to both sides. Each email has an idempotency
key per document, so a double click or a repeated call queues one email; client mail waits for the
studio's working hours (R5), like every other email Rapport writes to a client.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.conf import settings
from django.utils import translation
from django.utils.translation import pgettext

from billing.models import Agreement, Invoice
from billing.pdf import agreement_pdf, invoice_language, invoice_pdf
from clients.models import Client, Contact
from comms.mail import studio_email_send
from comms.models import OutboxEmail
from comms.notify import next_working_time
from comms.scheduling import quiet_hours_send_after
from kernel.dates import day_date
from kernel.i18n import supported_language
from kernel.models import Membership, Studio
from kernel.money import format_money

INVOICE_TEMPLATE = "invoice"
AGREEMENT_TEMPLATE = "agreement-signed"
AGREEMENT_STUDIO_TEMPLATE = "agreement-signed-copy"
PDF = "application/pdf"
# A contact whose role says this receives the invoices (the primary contact gets a copy).
BILLING_ROLE = re.compile(r"billing|invoice|accounts|accounting|finance|бухгалт|финанс|счет|счёт", re.IGNORECASE)
UNSAFE_FILENAME = re.compile(r"[^\w.\-]+")


class SendingError(ValueError):
    """A document that cannot be sent yet (a draft invoice, an unsigned agreement, no one to write to)."""


def invoice_recipients(client: Client) -> tuple[list[str], list[str]]:
    """``(to, cc)`` for an invoice: the billing contacts (by role) with the primary one in copy, else the
    primary contact (or, with none marked, the first by name); each address once."""
    contacts = list(
        Contact.objects.filter(studio_id=client.studio_id, client=client).order_by("-is_primary", "name", "pk")
    )
    if not contacts:
        return [], []
    billing = [contact.email for contact in contacts if contact.role and BILLING_ROLE.search(contact.role)]
    primary = contacts[0].email
    to = _unique(billing) if billing else [primary]
    cc = [primary] if billing and primary.lower() not in {address.lower() for address in to} else []
    return to, cc


def invoice_send(*, invoice: Invoice, now: datetime) -> OutboxEmail:
    """Queue the invoice (or credit note) to the client with its PDF attached; returns the outbox row.

    Raises ``SendingError`` for a draft (no number yet), a cancelled invoice (its credit note is what
    goes) and when the client has no contact. Keyed per invoice: sending again returns the email already queued.
    """
    if invoice.status == Invoice.Status.DRAFT or not invoice.number:
        raise SendingError(pgettext("billing document", "A draft invoice cannot be sent: issue it first."))
    if invoice.status == Invoice.Status.CANCELLED:
        raise SendingError(pgettext("billing document", "A cancelled invoice is not sent: send its credit note."))
    studio = invoice.studio
    client = invoice.client
    to, cc = invoice_recipients(client)
    if not to:
        raise SendingError(pgettext("billing document", "The client has no contact to send the invoice to."))
    language = invoice_language(invoice)
    pdf = invoice_pdf(invoice)
    with translation.override(language):
        credit = invoice.kind == Invoice.Kind.CREDIT_NOTE
        document = (
            pgettext("billing document", "Credit note %(number)s")
            if credit
            else pgettext("billing document", "Invoice %(number)s")
        ) % {"number": invoice.number}
        context = {
            "first_name": _first_name(client, to[0]),
            "document": document,
            "number": invoice.number,
            "is_credit_note": credit,
            "total": format_money(invoice.total_minor, invoice.currency, language=language),
            "balance": format_money(invoice.balance_minor, invoice.currency, language=language),
            "is_open": not credit and invoice.status == Invoice.Status.ISSUED and invoice.balance_minor > 0,
            "due_on": day_date(invoice.due_on, language=language) if invoice.due_on else "",
            "payment_instructions": invoice.payment_instructions,
            "project_title": invoice.project.title if invoice.project_id else "",
        }
        filename = _filename(document)
    return studio_email_send(
        studio=studio,
        to=to,
        cc=cc,
        template=INVOICE_TEMPLATE,
        context=context,
        idempotency_key=f"{INVOICE_TEMPLATE}:{invoice.pk}",
        send_after=_client_send_after(studio, now),
        client=client,
        project=invoice.project,
        language=language,
        attachments=[{"filename": filename, "mimetype": PDF, "content": pdf}],
    )


def agreement_send(*, agreement: Agreement, now: datetime, key_suffix: str = "") -> list[OutboxEmail]:
    """Queue the signed agreement's PDF to the client (the signer, with the primary contact) and to the studio.

    Returns the outbox rows: the client's first, then the studio's copy to its members (none when the
    studio has nobody with an address). Raises ``SendingError`` when it is not signed yet. Keyed per
    agreement version: calling again returns the emails already queued; a ``key_suffix`` (e.g.
    "countersigned") sends the PDF again, once per suffix.
    """
    if agreement.signed_at is None:
        raise SendingError(pgettext("billing document", "The agreement is not signed yet."))
    studio = agreement.studio
    project = agreement.project
    client = project.client
    pdf = agreement_pdf(agreement)
    rows = []

    client_language = supported_language(client.language)
    to, cc = _agreement_client_recipients(agreement, client)
    if to:
        with translation.override(client_language):
            filename = _filename(_agreement_document(agreement))
            context = _agreement_context(agreement, first_name=_first_name(client, to[0]))
        rows.append(
            studio_email_send(
                studio=studio,
                to=to,
                cc=cc,
                template=AGREEMENT_TEMPLATE,
                context=context,
                idempotency_key=f"{AGREEMENT_TEMPLATE}:{agreement.pk}{':' if key_suffix else ''}{key_suffix}",
                send_after=_client_send_after(studio, now),
                client=client,
                project=project,
                language=client_language,
                attachments=[{"filename": filename, "mimetype": PDF, "content": pdf}],
            )
        )

    members = member_addresses(studio)
    if members:
        with translation.override(settings.LANGUAGE_CODE):  # like every notification to the studio's people
            filename = _filename(_agreement_document(agreement))
            context = _agreement_context(agreement, first_name="")
        rows.append(
            studio_email_send(
                studio=studio,
                to=members,
                template=AGREEMENT_STUDIO_TEMPLATE,
                context=context,
                idempotency_key=f"{AGREEMENT_STUDIO_TEMPLATE}:{agreement.pk}{':' if key_suffix else ''}{key_suffix}",
                send_after=next_working_time(studio, now),
                language=settings.LANGUAGE_CODE,
                attachments=[{"filename": filename, "mimetype": PDF, "content": pdf}],
            )
        )
    return rows


def member_addresses(studio: Studio) -> list[str]:
    """The studio's people's addresses (owners first), each once: where notes to the studio go."""
    emails = (
        Membership.objects.filter(studio=studio).order_by("-role", "created_at").values_list("user__email", flat=True)
    )
    return _unique([email for email in emails if email])


def _agreement_client_recipients(agreement: Agreement, client: Client) -> tuple[list[str], list[str]]:
    """The signer, with the client's primary contact in copy when that is someone else."""
    primary = (
        Contact.objects.filter(studio_id=client.studio_id, client=client)
        .order_by("-is_primary", "name", "pk")
        .values_list("email", flat=True)
        .first()
    )
    if agreement.signed_email:
        to = [agreement.signed_email]
        cc = [primary] if primary and primary.lower() != agreement.signed_email.lower() else []
        return to, cc
    return ([primary], []) if primary else ([], [])


def _agreement_document(agreement: Agreement) -> str:
    return pgettext("billing document", "Agreement: %(project)s, version %(version)s") % {
        "project": agreement.project.title,
        "version": agreement.version,
    }


def _agreement_context(agreement: Agreement, *, first_name: str) -> dict[str, object]:
    return {
        "first_name": first_name,
        "project_title": agreement.project.title,
        "version": agreement.version,
        "signed_name": agreement.signed_name,
        "signed_on": day_date(agreement.signed_at.astimezone(agreement.studio.zoneinfo).date()),
        "client_name": agreement.project.client.name,
    }


def _client_send_after(studio: Studio, now: datetime) -> datetime:
    """Client mail leaves in working hours (R5); a studio without opening hours is never quiet."""
    if not studio.working_hours:
        return now
    return quiet_hours_send_after(
        now, tz=studio.zoneinfo, working_hours=studio.working_hours, holidays=studio.holiday_spec
    )


def _first_name(client: Client, address: str) -> str:
    contact = Contact.objects.filter(studio_id=client.studio_id, email__iexact=address).only("name").first()
    return (contact.name.split() or [""])[0] if contact is not None else ""


def _filename(document: str) -> str:
    """A file name from a document's title: letters (any script), digits, dots and dashes; ``.pdf``."""
    return UNSAFE_FILENAME.sub("-", document).strip("-")[:120] + ".pdf"


def _unique(addresses: list[str]) -> list[str]:
    seen: set[str] = set()
    unique = []
    for address in addresses:
        if address.lower() not in seen:
            seen.add(address.lower())
            unique.append(address)
    return unique

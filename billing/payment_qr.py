"""The bank-transfer QR code an invoice carries: the payload from the invoice's frozen seller details.

Euro invoices get an EPC069-12 (SEPA) payload, rouble invoices a ГОСТ Р 56042-2014 one, both for
the balance still open; ``billing.qr`` builds and checks them. Bank details that do not pass those
checks give no code (logged): the invoice still prints, with its payment instructions in words.
"""

from __future__ import annotations

import logging

from django.utils.safestring import mark_safe
from django.utils.translation import pgettext

from billing import qr
from billing.models import Invoice

logger = logging.getLogger("rapport.billing")

EPC_TEXT_LIMIT = 140
GOST_PURPOSE_LIMIT = 210


def invoice_qr_payload(invoice: Invoice) -> str | None:
    """The payload to draw for ``invoice``, in the active language; None when it gets no code.

    No code for a credit note, a paid-up invoice, a currency other than EUR or RUB, or a seller
    without the bank details that currency needs (or with details the payload's checks refuse).
    """
    if invoice.kind == Invoice.Kind.CREDIT_NOTE or invoice.balance_minor <= 0:
        return None
    seller = invoice.seller or {}
    name = str(seller.get("name") or "").strip()
    reference = pgettext("billing document", "Invoice %(number)s") % {"number": invoice.number or invoice.pk}
    try:
        if invoice.currency == "EUR" and seller.get("iban"):
            return qr.epc_payload(
                name=name[:70],
                iban=str(seller["iban"]),
                bic=str(seller.get("bic") or ""),
                amount_minor=invoice.balance_minor,
                text=reference[:EPC_TEXT_LIMIT],
            )
        if invoice.currency == "RUB" and seller.get("ru_account"):
            return qr.gost_payload(
                name=name,
                personal_acc=str(seller["ru_account"]),
                bank_name=str(seller.get("ru_bank_name") or ""),
                bic=str(seller.get("ru_bic") or ""),
                corresp_acc=str(seller.get("ru_corresp_account") or ""),
                amount_minor=invoice.balance_minor,
                purpose=(
                    pgettext("billing document", "Payment for invoice %(number)s")
                    % {"number": invoice.number or invoice.pk}
                )[:GOST_PURPOSE_LIMIT],
                payee_inn=str(seller.get("inn") or ""),
                kpp=str(seller.get("kpp") or ""),
            )
    except ValueError as error:
        logger.warning("Invoice %s gets no QR code: the bank details are not valid (%s).", invoice.pk, error)
    return None


def invoice_qr_png(invoice: Invoice, *, scale: int = 8) -> bytes | None:
    """The QR code of ``invoice`` as PNG bytes, or None (see ``invoice_qr_payload``)."""
    payload = invoice_qr_payload(invoice)
    if payload is None:
        return None
    return qr.qr_png(payload, scale=scale)


def invoice_qr_svg(invoice: Invoice, *, scale: int = 4) -> str:
    """The QR code of an issued ``invoice`` as inline SVG for a page, or "" when it gets none.

    segno draws it from the payload as path data only: the markup is ours, no user text is in it,
    so it is marked safe here, once, for every page that shows it.
    """
    if invoice.status != Invoice.Status.ISSUED:
        return ""
    payload = invoice_qr_payload(invoice)
    return mark_safe(qr.qr_svg(payload, scale=scale)) if payload else ""  # noqa: S308

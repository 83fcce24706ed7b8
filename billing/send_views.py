"""Sending an issued invoice to the client from its page ("Send to client", "Issue and send"). Thin."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing import services
from billing.models import Invoice
from billing.sending import SendingError, invoice_send
from kernel.access import get_for_member, studio_required


def _send(request: HttpRequest, invoice: Invoice) -> None:
    try:
        email = invoice_send(invoice=invoice, now=timezone.now())
    except SendingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Invoice queued for %(to)s.") % {"to": ", ".join(email.to)})


@studio_required
@require_POST
def invoice_send_view(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_for_member(request, Invoice, pk=pk)
    _send(request, invoice)
    return redirect("billing:detail", pk=invoice.pk)


@studio_required
@require_POST
def invoice_issue_and_send(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_for_member(request, Invoice, pk=pk)
    try:
        invoice = services.invoice_issue(invoice=invoice, now=timezone.now())
    except services.InvoiceError as error:
        messages.error(request, str(error))
        return redirect("billing:detail", pk=invoice.pk)
    messages.success(request, _("Invoice issued."))
    _send(request, invoice)
    return redirect("billing:detail", pk=invoice.pk)

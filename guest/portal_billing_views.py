"""The portal's invoices (R13): the client's issued, paid and cancelled invoices, their PDF, QR code and receipts.

Only invoices of the visitor's client reach here (`visitor_invoices`): never a draft, never another
client's, and only those of projects the visitor sees (or of no project, e.g. maintenance).
Anything else is a 404. "Pay now" opens a Stripe Checkout Session when the studio has its keys; an
attempt to pay an invoice that cannot be paid is refused in words and noted for the freelancer.
"""

from __future__ import annotations

import logging

import stripe
from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from billing import stripe_pay
from billing.models import BillingProfile, Invoice
from billing.payment_qr import invoice_qr_svg
from billing.pdf import invoice_pdf
from guest.portal_views import SHOWN_STATUSES
from projects import portal_activity
from projects.portal_access import PortalVisitor, portal_required, visitor_projects

logger = logging.getLogger("rapport.portal")


def visitor_invoices(visitor: PortalVisitor):
    """The invoices the visitor may see: their client's, not drafts, of a visible project or of none."""
    return Invoice.objects.filter(
        Q(project__isnull=True) | Q(project__in=visitor_projects(visitor).values("pk")),
        studio=visitor.studio,
        client=visitor.client,
        status__in=SHOWN_STATUSES,
    ).select_related("project")


def _invoice(request: HttpRequest, pk: int) -> Invoice:
    return get_object_or_404(visitor_invoices(request.portal).select_related("client", "studio"), pk=pk)


def _profile(visitor: PortalVisitor) -> BillingProfile | None:
    return BillingProfile.objects.filter(studio=visitor.studio).first()


@portal_required
@require_GET
def invoices(request: HttpRequest) -> HttpResponse:
    rows = list(visitor_invoices(request.portal).order_by("-issue_date", "-pk"))
    return render(request, "portal/invoices.html", {"invoices": rows, "today": timezone.localdate()})


@portal_required
@require_GET
def invoice(request: HttpRequest, pk: int) -> HttpResponse:
    current = _invoice(request, pk)
    lines = list(current.lines.all())
    for line in lines:
        line.amount_minor = line.quantity * line.unit_price_minor
    return render(
        request,
        "portal/invoice.html",
        {
            "invoice": current,
            "lines": lines,
            "payments": list(current.payments.select_related("payment").order_by("created_at", "pk")),
            "qr_code": invoice_qr_svg(current),
            "today": timezone.localdate(),
            "can_pay": stripe_pay.card_payable(current) and stripe_pay.stripe_enabled(_profile(request.portal)),
        },
    )


@portal_required
@require_GET
def invoice_download(request: HttpRequest, pk: int) -> HttpResponse:
    current = _invoice(request, pk)
    response = HttpResponse(invoice_pdf(current), content_type="application/pdf")
    name = f"{_('invoice')}-{current.number or current.pk}.pdf".replace("/", "-")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    return response


@portal_required
@require_POST
def invoice_pay(request: HttpRequest, pk: int) -> HttpResponse:
    visitor: PortalVisitor = request.portal
    current = _invoice(request, pk)
    page = reverse("portal:invoice", kwargs={"pk": current.pk})
    try:
        url = stripe_pay.checkout_session_create(
            invoice=current,
            success_url=request.build_absolute_uri(page + "?paid=1"),
            cancel_url=request.build_absolute_uri(page),
            customer_email=visitor.contact.email,
        )
    except stripe_pay.PaymentRefused as refused:
        messages.info(request, str(refused))
        portal_activity.record(
            visitor,
            kind=portal_activity.Kind.PAY_REFUSED,
            summary=_("Invoice %(number)s (%(status)s)")
            % {"number": current.number, "status": current.get_status_display()},
            project=current.project,
            url=reverse("billing:detail", kwargs={"pk": current.pk}),
        )
        return redirect(page)
    except stripe_pay.StripeNotConfigured:
        messages.info(request, _("Card payment isn't available for this invoice: please pay by bank transfer."))
        return redirect(page)
    except stripe.StripeError as error:
        logger.warning("Stripe refused a Checkout Session for invoice %s: %s", current.pk, error)
        messages.error(
            request, _("Card payment isn't available right now. Please try again later or pay by bank transfer.")
        )
        return redirect(page)
    return redirect(url)

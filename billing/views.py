"""The freelancer's invoice pages and the studio's billing settings. Thin: services write."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing import services
from billing.forms import BillingProfileForm, InvoiceForm, LineForm, LineFormSet, PaymentForm
from billing.models import Invoice
from billing.payment_qr import invoice_qr_svg
from billing.reminders import invoice_emails
from kernel.access import get_for_member, owner_required, scoped, studio_required
from projects.forms import to_major, to_minor
from projects.models import ChangeRequest, Installment, Project

PER_PAGE = 50
EMAILS_SHOWN = 10
MAX_ID_DIGITS = 18  # below 2**63


def _invoices(request: HttpRequest):
    return scoped(request, Invoice).select_related("client", "project")


def _id_param(request: HttpRequest, name: str) -> str:
    """A row id from the query string, or "" (junk, or too big for the database's integers)."""
    value = request.GET.get(name, "")
    return value if value.isdigit() and len(value) <= MAX_ID_DIGITS else ""


@studio_required
def invoice_list(request: HttpRequest) -> HttpResponse:
    today = request.studio.local_now().date()
    invoices = _invoices(request)
    status = request.GET.get("status", "")
    if status in Invoice.Status.values:
        invoices = invoices.filter(status=status)
    else:
        status = ""
    client = _id_param(request, "client")
    if client:
        invoices = invoices.filter(client_id=int(client))
    project = _id_param(request, "project")
    if project:
        invoices = invoices.filter(project_id=int(project))
    overdue = request.GET.get("overdue") == "1"
    if overdue:
        invoices = invoices.filter(status=Invoice.Status.ISSUED, due_on__lt=today)
    page = Paginator(invoices.order_by("-created_at", "-pk"), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "billing/invoice_list.html",
        {
            "page": page,
            "status": status,
            "overdue": overdue,
            "statuses": Invoice.Status.choices,
            "today": today,
            "project": project,
            "client": client,
        },  # fmt: skip
    )


@studio_required
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_for_member(request, _invoices(request).select_related("credit_for"), pk=pk)
    credit_note = Invoice.objects.filter(credit_for=invoice).only("pk", "number").first()
    today = request.studio.local_now().date()
    overdue = invoice.status == Invoice.Status.ISSUED and invoice.due_on is not None and invoice.due_on < today
    return render(
        request,
        "billing/invoice_detail.html",
        {
            "invoice": invoice,
            "lines": list(invoice.lines.all()),
            "payments": list(invoice.payments.select_related("payment").order_by("created_at", "pk")),
            "credit_note": credit_note,
            "payment_form": PaymentForm(
                initial={
                    "amount": to_major(invoice.balance_minor) if invoice.balance_minor > 0 else None,
                    "paid_on": today,
                }
            ),
            "overdue": overdue,
            # Issuing freezes the seller's details into the invoice: say so while they are still empty.
            "seller_missing": invoice.status == Invoice.Status.DRAFT
            and not services.billing_profile(request.studio).legal_name.strip(),
            "emails": list(invoice_emails(invoice)[:EMAILS_SHOWN]),
            "qr_code": invoice_qr_svg(invoice),
        },
    )


def _draft_page(request: HttpRequest, invoice: Invoice | None) -> HttpResponse:
    if invoice is not None and invoice.status != Invoice.Status.DRAFT:
        messages.error(request, _("Only a draft can be edited: an issued invoice is cancelled by a credit note."))
        return redirect("billing:detail", pk=invoice.pk)
    if request.method == "POST":
        form = InvoiceForm(request.POST, studio=request.studio)
        formset = LineFormSet(request.POST, prefix="lines")
        if form.is_valid() and formset.is_valid():
            data = form.cleaned_data
            common = {
                "lines": formset.specs(), "now": timezone.now(), "project": data["project"],
                "currency": data["currency"], "due_on": data["due_on"], "notes": data["notes"], "buyer": form.buyer(),
            }  # fmt: skip
            try:
                if invoice is None:
                    invoice = services.invoice_create(client=data["client"], kind=Invoice.Kind.MANUAL, **common)
                else:
                    if data["client"].pk != invoice.client_id:
                        raise services.InvoiceError(_("The client of a draft cannot change: make a new invoice."))
                    invoice = services.invoice_update_draft(invoice=invoice, **common)
            except services.InvoiceError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("Draft saved."))
                return redirect("billing:detail", pk=invoice.pk)
    elif invoice is not None:
        form = InvoiceForm(initial=InvoiceForm.initial_for(invoice), studio=request.studio)
        formset = LineFormSet(initial=[LineForm.initial_for(line) for line in invoice.lines.all()], prefix="lines")
    else:
        profile = services.billing_profile(request.studio)
        rate = profile.tax_rate_bp / 100 if profile.tax_rate_bp else None
        initial = {"client": request.GET.get("client")} if request.GET.get("client", "").isdigit() else {}
        form = InvoiceForm(initial=initial, studio=request.studio)
        formset = LineFormSet(initial=[{"quantity": 1, "tax_rate": rate}], prefix="lines")
    title = _("New invoice") if invoice is None else _("Edit draft")
    # A new studio has no client to bill yet: the page says so instead of an empty list to pick from.
    no_clients = invoice is None and not form.fields["client"].queryset.exists()
    context = {"form": form, "formset": formset, "invoice": invoice, "title": title, "no_clients": no_clients}
    return render(request, "billing/invoice_form.html", context)


@studio_required
def invoice_new(request: HttpRequest) -> HttpResponse:
    return _draft_page(request, None)


@studio_required
def invoice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _draft_page(request, get_for_member(request, Invoice, pk=pk))


def _act(request: HttpRequest, pk: int, action, success: str) -> HttpResponse:
    invoice = get_for_member(request, Invoice, pk=pk)
    try:
        result = action(invoice)
    except services.InvoiceError as error:
        messages.error(request, str(error))
        return redirect("billing:detail", pk=invoice.pk)
    messages.success(request, success)
    return redirect("billing:detail", pk=result.pk if isinstance(result, Invoice) else invoice.pk)


@studio_required
@require_POST
def invoice_issue(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda invoice: services.invoice_issue(invoice=invoice, now=timezone.now()),
                _("Invoice issued."))  # fmt: skip


@studio_required
@require_POST
def invoice_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, lambda invoice: services.invoice_cancel(invoice=invoice, now=timezone.now(), by=request.user),
        _("Invoice cancelled."),
    )  # fmt: skip


@studio_required
@require_POST
def invoice_delete(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_for_member(request, Invoice, pk=pk)
    try:
        services.invoice_delete_draft(invoice=invoice)
    except services.InvoiceError as error:
        messages.error(request, str(error))
        return redirect("billing:detail", pk=invoice.pk)
    messages.success(request, _("Draft deleted."))
    return redirect("billing:index")


@studio_required
@require_POST
def invoice_pay(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_for_member(request, Invoice, pk=pk)
    form = PaymentForm(request.POST)
    if not form.is_valid():
        errors = " ".join(str(error) for errors in form.errors.values() for error in errors)
        messages.error(request, _("Payment not recorded: %(errors)s") % {"errors": errors})
        return redirect("billing:detail", pk=invoice.pk)
    try:
        services.invoice_record_payment(
            invoice=invoice, amount_minor=to_minor(form.cleaned_data["amount"]), paid_on=form.cleaned_data["paid_on"],
            method=form.cleaned_data["method"], now=timezone.now(), by=request.user,
        )  # fmt: skip
    except services.InvoiceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Payment recorded."))
    return redirect("billing:detail", pk=invoice.pk)


@studio_required
def invoice_sources(request: HttpRequest) -> HttpResponse:
    """ "New invoice from…": the studio's un-invoiced installments and approved change requests."""
    project_ids = list(scoped(request, Project).values_list("pk", flat=True))
    return render(
        request,
        "billing/invoice_sources.html",
        {
            "installments": services.uninvoiced_installments(project_ids),
            "changes": services.uninvoiced_changes(project_ids),
        },
    )


@studio_required
@require_POST
def invoice_from_source(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    now = timezone.now()
    if kind == "installment":
        installment = get_object_or_404(Installment, project__studio=request.studio, pk=pk)
        invoice = services.invoice_from_installment(installment=installment, now=now)
    elif kind == "change":
        change = get_object_or_404(ChangeRequest, project__studio=request.studio, pk=pk)
        try:
            invoice = services.invoice_from_change_request(change_request=change, now=now)
        except services.InvoiceError as error:
            messages.error(request, str(error))
            return redirect("billing:sources")
    else:
        raise Http404
    messages.success(request, _("Draft made: check it, then issue it."))
    return redirect("billing:detail", pk=invoice.pk)


@owner_required
def billing_settings(request: HttpRequest) -> HttpResponse:
    profile = services.billing_profile(request.studio)
    form = BillingProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        services.billing_profile_update(studio=request.studio, values=form.profile_values(), now=timezone.now())
        messages.success(request, _("Billing settings saved."))
        return redirect("billing:settings")
    return render(request, "billing/settings.html", {"form": form})

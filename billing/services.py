"""Invoices: drafted, issued (numbered and frozen), paid, cancelled by a credit note.

Every write goes through these functions; ``now`` is always passed in. An issued invoice is never
edited: the services refuse it. Money received goes through ``clients.services.payment_record``
(linked to the invoice's project), so tiering, revenue and the deposit rule (R11) see it.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from billing.models import BillingProfile, Invoice, InvoiceLine, InvoicePayment, Proposal
from billing.notify import deposit_paid_notify
from billing.numbering import next_number
from billing.reminders import REMINDERS_JOB, invoice_mail_cancel
from billing.totals import divide_half_up, invoice_totals
from clients.models import Client, Payment
from clients.services import payment_record
from kernel.models import Studio, User
from kernel.sweeps import schedule_due_now
from projects.models import ChangeRequest, Installment, MaintenancePlan, Project

# What a draft may carry about the buyer beyond the client's name (the Client model has no billing fields).
BUYER_FIELDS = ("address", "vat_id", "inn", "kpp")


class InvoiceError(ValueError):
    """An invoice action refused, with a message fit for the freelancer."""


class InvoiceNotEditable(InvoiceError):
    pass


class InvoiceNotPayable(InvoiceError):
    pass


@dataclass(frozen=True)
class LineSpec:
    description: str
    quantity: int
    unit_price_minor: int
    tax_rate_bp: int = 0


def billing_profile(studio: Studio) -> BillingProfile:
    """The studio's seller details (created empty on first use)."""
    profile, _created = BillingProfile.objects.get_or_create(studio=studio)
    return profile


def _check_lines(lines: Sequence[LineSpec]) -> None:
    for line in lines:
        if not line.description.strip():
            raise InvoiceError(_("Every line needs a description."))
        if line.quantity < 1:
            raise InvoiceError(_("A line's quantity must be at least 1."))
        if line.tax_rate_bp < 0 or line.tax_rate_bp > 10_000:
            raise InvoiceError(_("A tax rate must be between 0 and 100 %."))


def _write_lines(invoice: Invoice, lines: Sequence[LineSpec]) -> None:
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice=invoice,
                description=line.description.strip(),
                quantity=line.quantity,
                unit_price_minor=line.unit_price_minor,
                tax_rate_bp=line.tax_rate_bp,
                order=index,
            )
            for index, line in enumerate(lines)
        ]
    )


def _apply_totals(invoice: Invoice, lines: Sequence[LineSpec]) -> None:
    totals = invoice_totals(lines)
    invoice.subtotal_minor, invoice.tax_minor, invoice.total_minor = (
        totals.subtotal_minor,
        totals.tax_minor,
        totals.total_minor,
    )


def _clean_buyer(buyer: dict[str, Any] | None) -> dict[str, str]:
    return {key: str((buyer or {}).get(key, "") or "").strip() for key in BUYER_FIELDS}


def invoice_create(
    *,
    client: Client,
    kind: str,
    lines: Sequence[LineSpec],
    now: datetime,
    project: Project | None = None,
    currency: str | None = None,
    due_on: date | None = None,
    notes: str = "",
    buyer: dict[str, Any] | None = None,
    **sources: Any,
) -> Invoice:
    """A draft invoice for ``client``; ``sources`` are the model's source links (proposal, installment, …)."""
    if project is not None and project.client_id != client.pk:
        raise InvoiceError(_("The project belongs to another client."))
    if kind == Invoice.Kind.CREDIT_NOTE:
        raise InvoiceError(_("A credit note is made by cancelling an invoice."))
    _check_lines(lines)
    allowed = {"proposal", "installment", "change_request", "maintenance_plan", "period"}
    if unknown := set(sources) - allowed:
        raise TypeError(f"Unknown invoice sources: {sorted(unknown)}")
    if currency is None:
        currency = project.currency if project is not None else "EUR"
    invoice = Invoice(
        studio_id=client.studio_id,
        client=client,
        project=project,
        kind=kind,
        currency=currency.upper(),
        due_on=due_on,
        notes=notes,
        buyer=_clean_buyer(buyer),
        created_at=now,
        **sources,
    )
    _apply_totals(invoice, lines)
    with transaction.atomic():
        invoice.save()
        _write_lines(invoice, lines)
    return invoice


def _locked(invoice: Invoice) -> Invoice:
    """The invoice re-read under a row lock (call inside a transaction)."""
    return (
        Invoice.objects.select_for_update(of=("self",)).select_related("studio", "client", "project").get(pk=invoice.pk)
    )


def invoice_update_draft(
    *,
    invoice: Invoice,
    lines: Sequence[LineSpec],
    now: datetime,
    project: Project | None = None,
    currency: str | None = None,
    due_on: date | None = None,
    notes: str = "",
    buyer: dict[str, Any] | None = None,
) -> Invoice:
    """Replace a draft's lines and details; an issued invoice is never edited."""
    _check_lines(lines)
    with transaction.atomic():
        current = _locked(invoice)
        if current.status != Invoice.Status.DRAFT:
            raise InvoiceNotEditable(_("Only a draft can be edited: an issued invoice is cancelled by a credit note."))
        if project is not None and project.client_id != current.client_id:
            raise InvoiceError(_("The project belongs to another client."))
        current.project = project
        current.currency = (currency or current.currency).upper()
        current.due_on = due_on
        current.notes = notes
        current.buyer = _clean_buyer(buyer)
        _apply_totals(current, lines)
        current.save()
        current.lines.all().delete()
        _write_lines(current, lines)
    return current


def invoice_delete_draft(*, invoice: Invoice) -> None:
    """A draft never got a number, so it can simply go."""
    with transaction.atomic():
        current = _locked(invoice)
        if current.status != Invoice.Status.DRAFT:
            raise InvoiceNotEditable(_("Only a draft can be deleted."))
        current.delete()


def seller_snapshot(studio: Studio, profile: BillingProfile) -> dict[str, str]:
    return {
        "name": profile.legal_name or studio.name,
        "studio_name": studio.name,
        "address": profile.address,
        "vat_id": profile.vat_id,
        "inn": profile.inn,
        "kpp": profile.kpp,
        "iban": profile.iban,
        "bic": profile.bic,
        "ru_bank_name": profile.ru_bank_name,
        "ru_bic": profile.ru_bic,
        "ru_account": profile.ru_account,
        "ru_corresp_account": profile.ru_corresp_account,
    }


def buyer_snapshot(invoice: Invoice) -> dict[str, str]:
    return {"name": invoice.client.name, **_clean_buyer(invoice.buyer)}


def payment_instructions(profile: BillingProfile, *, currency: str, number: str, name: str) -> str:
    """How to pay by bank transfer, in the words the invoice prints (empty without bank details)."""
    if currency == "RUB" and profile.ru_account:
        rows = [
            _("Recipient: %(name)s") % {"name": name},
            _("INN: %(inn)s") % {"inn": profile.inn} if profile.inn else "",
            _("KPP: %(kpp)s") % {"kpp": profile.kpp} if profile.kpp else "",
            _("Bank: %(bank)s") % {"bank": profile.ru_bank_name} if profile.ru_bank_name else "",
            _("BIK: %(bic)s") % {"bic": profile.ru_bic} if profile.ru_bic else "",
            _("Settlement account: %(account)s") % {"account": profile.ru_account},
            _("Correspondent account: %(account)s") % {"account": profile.ru_corresp_account}
            if profile.ru_corresp_account
            else "",
        ]
    elif profile.iban:
        rows = [
            _("Account holder: %(name)s") % {"name": name},
            _("IBAN: %(iban)s") % {"iban": profile.iban},
            _("BIC: %(bic)s") % {"bic": profile.bic} if profile.bic else "",
        ]
    else:
        return ""
    rows.append(_("Reference: invoice %(number)s") % {"number": number})
    return "\n".join(row for row in rows if row)


def invoice_issue(*, invoice: Invoice, now: datetime) -> Invoice:
    """Number the draft and freeze it: seller, buyer, lines, totals, due date, payment instructions."""
    with transaction.atomic():
        current = _locked(invoice)
        if current.status != Invoice.Status.DRAFT:
            raise InvoiceNotEditable(_("Only a draft can be issued; this invoice is %(status)s.")
                                     % {"status": current.get_status_display()})  # fmt: skip
        lines = list(current.lines.all())
        if not lines:
            raise InvoiceError(_("An invoice needs at least one line."))
        return _issue_locked(current, lines, now=now, profile=billing_profile(current.studio))


def _issue_locked(current: Invoice, lines: Sequence[Any], *, now: datetime, profile: BillingProfile) -> Invoice:
    _issue_fields(current, lines, now=now, profile=profile)
    current.save()
    return current


def _issue_fields(current: Invoice, lines: Sequence[Any], *, now: datetime, profile: BillingProfile) -> None:
    """Number ``current`` and freeze its details (not saved)."""
    studio = current.studio
    issue_date = now.astimezone(studio.zoneinfo).date()
    _seq, number = next_number(studio=studio, year=issue_date.year, pattern=profile.number_pattern)
    totals = invoice_totals(lines)
    current.number = number
    current.status = Invoice.Status.ISSUED
    current.issued_at = now
    current.issue_date = issue_date
    if current.due_on is None or current.due_on < issue_date:
        current.due_on = issue_date + timedelta(days=profile.payment_terms_days)
    current.seller = seller_snapshot(studio, profile)
    current.buyer = buyer_snapshot(current)
    current.subtotal_minor, current.tax_minor, current.total_minor = (
        totals.subtotal_minor,
        totals.tax_minor,
        totals.total_minor,
    )
    has_untaxed = any(line.tax_rate_bp == 0 for line in lines)
    current.tax_exemption_text = profile.tax_exemption_text if has_untaxed else ""
    if current.kind != Invoice.Kind.CREDIT_NOTE:
        current.payment_instructions = payment_instructions(
            profile, currency=current.currency, number=number, name=current.seller["name"]
        )


def invoice_cancel(*, invoice: Invoice, now: datetime, by: User | None = None) -> Invoice:
    """Cancel an issued invoice with a credit note (its lines negated); a draft is just marked cancelled.

    Returns the credit note (or the cancelled draft). A paid or part-paid invoice is refused: the money
    must be refunded first.
    """
    with transaction.atomic():
        current = _locked(invoice)
        if current.kind == Invoice.Kind.CREDIT_NOTE:
            raise InvoiceError(_("A credit note cannot be cancelled."))
        if current.status == Invoice.Status.CANCELLED:
            raise InvoiceError(_("This invoice is already cancelled."))
        if current.status == Invoice.Status.PAID or current.paid_minor:
            raise InvoiceError(
                _("A paid invoice cannot be cancelled: refund the payment first, then issue a new invoice.")
            )
        current.status = Invoice.Status.CANCELLED
        current.save(update_fields=["status"])
        invoice_mail_cancel(current)
        if not current.number:
            return current
        credit = Invoice(
            studio=current.studio,
            client=current.client,
            project=current.project,
            kind=Invoice.Kind.CREDIT_NOTE,
            currency=current.currency,
            credit_for=current,
            buyer=_clean_buyer(current.buyer),
            notes=_("Cancels invoice %(number)s.") % {"number": current.number},
            created_at=now,
        )
        credit.save()
        negated = [
            LineSpec(
                description=line.description,
                quantity=line.quantity,
                unit_price_minor=-line.unit_price_minor,
                tax_rate_bp=line.tax_rate_bp,
            )
            for line in current.lines.all()
        ]
        _write_lines(credit, negated)
        credit.due_on = None
        return _issue_locked(credit, negated, now=now, profile=billing_profile(current.studio))


def invoice_record_payment(
    *,
    invoice: Invoice,
    amount_minor: int,
    paid_on: date,
    method: str,
    now: datetime,
    source: str = InvoicePayment.Source.MANUAL,
    by: User | None = None,
    stripe_event_id: str | None = None,
) -> InvoicePayment:
    """Money received for an issued invoice: a ``clients.Payment`` (project linked) and its link here.

    The invoice row is locked, so two recordings at once (a double click, a webhook redelivered) are
    applied one after the other; the same ``stripe_event_id`` twice returns the first recording.
    """
    with transaction.atomic():
        current = _locked(invoice)
        if stripe_event_id:
            existing = InvoicePayment.objects.filter(stripe_event_id=stripe_event_id).first()
            if existing is not None:
                return existing
        if current.kind == Invoice.Kind.CREDIT_NOTE:
            raise InvoiceNotPayable(_("A credit note is not paid."))
        if current.status == Invoice.Status.DRAFT:
            raise InvoiceNotPayable(_("This invoice is a draft: issue it before recording a payment."))
        if current.status == Invoice.Status.CANCELLED:
            raise InvoiceNotPayable(_("This invoice is cancelled: it cannot be paid."))
        if current.status == Invoice.Status.PAID:
            raise InvoiceNotPayable(_("This invoice is already paid."))
        if amount_minor <= 0:
            raise InvoiceNotPayable(_("The amount must be more than zero."))
        if amount_minor > current.balance_minor:
            raise InvoiceNotPayable(_("The amount is more than the balance due on this invoice."))
        if method not in Payment.Method.values:
            raise InvoiceNotPayable(_("Unknown payment method."))
        payment = payment_record(
            client=current.client,
            amount_minor=amount_minor,
            currency=current.currency,
            paid_on=paid_on,
            method=method,
            note=_("Invoice %(number)s") % {"number": current.number},
            project=current.project,
            by=by,
        )
        link = InvoicePayment.objects.create(
            invoice=current, payment=payment, source=source, stripe_event_id=stripe_event_id or None, created_at=now
        )
        current.paid_minor += amount_minor
        fields = ["paid_minor"]
        if current.paid_minor >= current.total_minor:
            current.status, current.paid_at = Invoice.Status.PAID, now
            fields += ["status", "paid_at"]
            invoice_mail_cancel(current)
        current.save(update_fields=fields)
        if current.status == Invoice.Status.PAID and current.installment_id:
            Installment.objects.filter(pk=current.installment_id, paid_at__isnull=True).update(paid_at=now)
        if current.status == Invoice.Status.PAID and current.kind == Invoice.Kind.DEPOSIT:
            deposit_paid_notify(invoice=current, now=now)  # after payment_record: R11 has moved the project
    return link


# --- Invoices made from what the project already says --------------------------------------------


def _default_rate(studio: Studio) -> int:
    return billing_profile(studio).tax_rate_bp


def _issue_new(
    *, client: Client, kind: str, lines: Sequence[LineSpec], now: datetime, **options: Any
) -> Invoice:  # fmt: skip
    return invoice_issue(invoice=invoice_create(client=client, kind=kind, lines=lines, now=now, **options), now=now)


def deposit_invoice_for_proposal(*, proposal: Proposal, now: datetime) -> Invoice:
    """The issued deposit invoice of an accepted proposal: its deposit % of the accepted (net) total.

    Idempotent: a proposal has one deposit invoice (a unique constraint), returned when it exists.
    The tax rate is the one the proposal's selected items share, else the studio's default rate.
    """
    existing = Invoice.objects.filter(proposal=proposal, kind=Invoice.Kind.DEPOSIT).first()
    if existing is not None:
        return existing
    if proposal.status != Proposal.Status.ACCEPTED or proposal.accepted_total_minor is None:
        raise InvoiceError(_("Only an accepted proposal has a deposit to invoice."))
    project = Project.objects.select_related("client").get(pk=proposal.project_id)
    rates = {item.tax_rate_bp for item in proposal.items.all() if item.selected or not item.optional}
    rate = rates.pop() if len(rates) == 1 else _default_rate(project.studio)
    amount = divide_half_up(proposal.accepted_total_minor * proposal.deposit_percent, 100)
    line = LineSpec(
        description=_("Deposit (%(percent)s %%) for %(title)s") % {"percent": proposal.deposit_percent,
                                                                    "title": proposal.title},
        quantity=1, unit_price_minor=amount, tax_rate_bp=rate,
    )  # fmt: skip
    try:
        with transaction.atomic():
            return _issue_new(
                client=project.client, kind=Invoice.Kind.DEPOSIT, lines=[line], now=now, project=project,
                currency=proposal.currency, proposal=proposal,
            )  # fmt: skip
    except IntegrityError:
        # Made at the same moment by another request: theirs stands.
        return Invoice.objects.get(proposal=proposal, kind=Invoice.Kind.DEPOSIT)


def uninvoiced_installments(project_ids: Sequence[int]) -> list[Installment]:
    return list(
        Installment.objects.filter(project_id__in=project_ids, invoice__isnull=True, paid_at__isnull=True)
        .select_related("project")
        .order_by("due_on", "pk")
    )


def uninvoiced_changes(project_ids: Sequence[int]) -> list[ChangeRequest]:
    return list(
        ChangeRequest.objects.filter(
            project_id__in=project_ids, status=ChangeRequest.Status.APPROVED, invoice__isnull=True
        )
        .select_related("project")
        .order_by("decided_at", "pk")
    )


def invoice_from_installment(*, installment: Installment, now: datetime) -> Invoice:
    """A draft invoice for an installment (one per installment), to check and issue."""
    existing = Invoice.objects.filter(installment=installment).first()
    if existing is not None:
        return existing
    project = Project.objects.select_related("client", "studio").get(pk=installment.project_id)
    line = LineSpec(
        description=_("Installment for %(project)s") % {"project": project.title},
        quantity=1,
        unit_price_minor=installment.amount_minor,
        tax_rate_bp=_default_rate(project.studio),
    )
    return invoice_create(
        client=project.client, kind=Invoice.Kind.INSTALLMENT, lines=[line], now=now, project=project,
        due_on=installment.due_on, installment=installment,
    )  # fmt: skip


def invoice_from_change_request(*, change_request: ChangeRequest, now: datetime) -> Invoice:
    """A draft invoice for an approved change request (one per change), to check and issue."""
    existing = Invoice.objects.filter(change_request=change_request).first()
    if existing is not None:
        return existing
    if change_request.status != ChangeRequest.Status.APPROVED:
        raise InvoiceError(_("Only an approved change request is invoiced."))
    project = Project.objects.select_related("client", "studio").get(pk=change_request.project_id)
    line = LineSpec(
        description=_("Change request: %(title)s") % {"title": change_request.title},
        quantity=1,
        unit_price_minor=change_request.price_minor,
        tax_rate_bp=_default_rate(project.studio),
    )
    return invoice_create(
        client=project.client, kind=Invoice.Kind.CHANGE, lines=[line], now=now, project=project,
        change_request=change_request,
    )  # fmt: skip


# --- Maintenance plans, invoiced monthly ----------------------------------------------------------


def billing_day(plan_start: date, year: int, month: int) -> date:
    """The plan's day in a month: its start's day, clamped to the month's last day (31 → 30 April)."""
    return date(year, month, min(plan_start.day, calendar.monthrange(year, month)[1]))


def maintenance_due(plan: MaintenancePlan, today: date) -> str | None:
    """The period ``YYYY-MM`` to invoice for ``plan`` on the studio-local ``today``, or None.

    Only the current month is ever invoiced: after downtime, a missed month is not made up by itself.
    """
    day = billing_day(plan.start_on, today.year, today.month)
    if today < day or day < plan.start_on or (plan.end_on is not None and day > plan.end_on):
        return None
    return f"{today.year:04d}-{today.month:02d}"


def maintenance_invoice(*, plan: MaintenancePlan, period: str, now: datetime, profile: BillingProfile) -> Invoice:
    """The plan's issued invoice for ``period``; call inside a transaction (the sweep's, one per plan).

    Written directly rather than through ``invoice_create`` + ``invoice_issue``: a new row nobody
    else sees needs no lock, and the sweep issues hundreds of these in a tick.
    """
    line = LineSpec(
        description=_("Maintenance, %(period)s") % {"period": period},
        quantity=1,
        unit_price_minor=plan.monthly_price_minor,
        tax_rate_bp=profile.tax_rate_bp,
    )
    invoice = Invoice(
        studio=plan.studio, client=plan.client, kind=Invoice.Kind.MAINTENANCE, currency=plan.currency.upper(),
        maintenance_plan=plan, period=period, created_at=now,
    )  # fmt: skip
    _issue_fields(invoice, [line], now=now, profile=profile)
    invoice.save()
    _write_lines(invoice, [line])
    return invoice


def billing_profile_update(*, studio: Studio, values: dict[str, Any], now: datetime) -> BillingProfile:
    """Save the studio's seller details; issued invoices keep the ones frozen in them."""
    profile = billing_profile(studio)
    ladder = profile.reminder_days
    for name, value in values.items():
        setattr(profile, name, value)
    profile.updated_at = now
    profile.save()
    if profile.reminder_days != ladder:
        schedule_due_now(studio.pk, REMINDERS_JOB, now)  # a new step may be reached already
    return profile

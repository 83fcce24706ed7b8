"""The demo studio's money: its billing details and three invoices (paid, open, overdue). Idempotent."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from billing.models import BillingProfile, Invoice
from billing.services import LineSpec, invoice_create, invoice_issue, invoice_record_payment
from clients.models import Client
from kernel.models import Studio
from projects.models import Project

# The IBAN of the EPC's and ECBS's documentation examples: a valid checksum, nobody's account.
DEMO_IBAN = "DE89370400440532013000"
DEMO_BIC = "COBADEFFXXX"
# (days ago issued, line, amount in cents, paid?) — issued 45, 30 and 3 days ago with 14 days to pay.
DEMO_INVOICES = (
    (45, "Brand workshop and moodboards", 180_000, True),
    (30, "Website design, second installment", 240_000, False),
    (3, "Monthly care plan", 45_000, False),
)


def demo_billing_seed(studio: Studio, *, now: datetime) -> None:
    BillingProfile.objects.get_or_create(
        studio=studio,
        defaults={
            "legal_name": "Northlight Studio — Mira Lindqvist",
            "address": "Oranienstraße 12\n10999 Berlin\nGermany",
            "vat_id": "DE123456789",
            "iban": DEMO_IBAN,
            "bic": DEMO_BIC,
            "tax_rate_bp": 1_900,
            "payment_terms_days": 14,
        },
    )
    if Invoice.objects.filter(studio=studio).exists():
        return
    # Not a project awaiting its deposit: a paid invoice there would start it (R11) behind the story's back.
    projects = list(
        Project.objects.filter(studio=studio)
        .exclude(status=Project.Status.AWAITING_DEPOSIT)
        .select_related("client")
        .order_by("pk")[:3]
    )
    clients = [project.client for project in projects] or list(Client.objects.filter(studio=studio)[:3])
    if not clients:
        return
    for index, (days_ago, description, amount, paid) in enumerate(DEMO_INVOICES):
        project = projects[index % len(projects)] if projects else None
        client = project.client if project is not None else clients[index % len(clients)]
        issued_at = now - timedelta(days=days_ago)
        invoice = invoice_create(
            client=client,
            kind=Invoice.Kind.MANUAL,
            project=project,
            currency="EUR",
            lines=[LineSpec(description=description, quantity=1, unit_price_minor=amount, tax_rate_bp=1_900)],
            now=issued_at,
        )
        invoice = invoice_issue(invoice=invoice, now=issued_at)
        if paid:
            paid_on: date = (issued_at + timedelta(days=10)).date()
            invoice_record_payment(
                invoice=invoice, amount_minor=invoice.total_minor, paid_on=paid_on, method="bank",
                now=issued_at + timedelta(days=10),
            )  # fmt: skip

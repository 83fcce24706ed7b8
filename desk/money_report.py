"""The money report (from Reports): per issue month and currency, invoiced, paid, outstanding, overdue.

Rows come from one grouped query, whatever the studio's size. Months are the invoices' issue dates
(the studio's local date, frozen at issue), the last ``MONTHS`` months up to today. What counts:

- invoiced: the totals of issued and paid invoices (cancelled ones and credit notes are out: a
  cancelled invoice and its credit note add up to nothing);
- paid: what was paid on those invoices (by the invoice's month, not the payment's);
- outstanding: the balance still open on the issued ones;
- overdue: the part of it past its due date (studio-local today).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Case, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth

from billing.models import Invoice
from desk.reports import last_months
from kernel.models import Studio
from kernel.money import ZERO_DECIMAL_CURRENCIES

MONTHS = 12


@dataclass(frozen=True)
class MoneyRow:
    month: date
    currency: str
    invoiced_minor: int
    paid_minor: int
    outstanding_minor: int
    overdue_minor: int
    count: int


def money_rows(studio: Studio, *, today: date, months: int = MONTHS) -> list[MoneyRow]:
    """Newest month first, then by currency; only months with invoices (one query)."""
    first = last_months(today, months)[0]
    open_balance = Case(When(status=Invoice.Status.ISSUED, then=F("total_minor") - F("paid_minor")), default=Value(0))
    overdue_balance = Case(
        When(Q(status=Invoice.Status.ISSUED, due_on__lt=today), then=F("total_minor") - F("paid_minor")),
        default=Value(0),
    )
    rows = (
        Invoice.objects.filter(
            studio=studio, status__in=[Invoice.Status.ISSUED, Invoice.Status.PAID], issue_date__gte=first
        )
        .exclude(kind=Invoice.Kind.CREDIT_NOTE)
        .annotate(month=TruncMonth("issue_date"))
        .values("month", "currency")
        .annotate(
            invoiced=Coalesce(Sum("total_minor"), 0),
            paid=Coalesce(Sum("paid_minor"), 0),
            outstanding=Coalesce(Sum(open_balance), 0),
            overdue=Coalesce(Sum(overdue_balance), 0),
            count=Sum(Value(1)),
        )
        .order_by("-month", "currency")
    )
    return [
        MoneyRow(
            month=_as_date(row["month"]),
            currency=row["currency"],
            invoiced_minor=row["invoiced"],
            paid_minor=row["paid"],
            outstanding_minor=row["outstanding"],
            overdue_minor=row["overdue"],
            count=row["count"],
        )
        for row in rows
    ]


def totals_by_currency(rows: list[MoneyRow]) -> list[MoneyRow]:
    """One row per currency adding up every month (``month`` is the first one's), by currency."""
    totals: dict[str, MoneyRow] = {}
    for row in rows:
        seen = totals.get(row.currency)
        totals[row.currency] = (
            row
            if seen is None
            else MoneyRow(
                month=min(seen.month, row.month),
                currency=row.currency,
                invoiced_minor=seen.invoiced_minor + row.invoiced_minor,
                paid_minor=seen.paid_minor + row.paid_minor,
                outstanding_minor=seen.outstanding_minor + row.outstanding_minor,
                overdue_minor=seen.overdue_minor + row.overdue_minor,
                count=seen.count + row.count,
            )
        )
    return [totals[currency] for currency in sorted(totals)]


def major(minor: int, currency: str) -> str:
    """``123456, "EUR"`` → ``"1234.56"``: a plain decimal for spreadsheets."""
    exponent = 0 if currency in ZERO_DECIMAL_CURRENCIES else 2
    return str(Decimal(minor).scaleb(-exponent)) if exponent else str(minor)


def _as_date(value: object) -> date:
    # TruncMonth of a DateField is a date on every backend; a datetime would be a backend's quirk.
    return value.date() if hasattr(value, "date") and callable(value.date) else value  # type: ignore[return-value]

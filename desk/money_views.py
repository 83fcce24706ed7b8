"""The money report page and its CSV (``desk.money_report``): a constant number of queries."""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from desk.money_report import MONTHS, major, money_rows, totals_by_currency
from kernel.access import studio_required


@studio_required
def money_report(request: HttpRequest) -> HttpResponse:
    today = request.studio.local_now().date()
    rows = money_rows(request.studio, today=today)
    return render(
        request,
        "crm/money_report.html",
        {"rows": rows, "totals": totals_by_currency(rows), "months": MONTHS, "today": today},
    )


@studio_required
def money_report_csv(request: HttpRequest) -> HttpResponse:
    studio = request.studio
    today = studio.local_now().date()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"money-{studio.slug}-{today.isoformat()}.csv"
    )
    writer = csv.writer(response)
    writer.writerow(
        [_("Month"), _("Currency"), _("Invoices"), _("Invoiced"), _("Paid"), _("Outstanding"), _("Overdue")]
    )
    for row in money_rows(studio, today=today):
        writer.writerow(
            [
                f"{row.month:%Y-%m}",
                row.currency,
                row.count,
                *(
                    major(amount, row.currency)
                    for amount in (row.invoiced_minor, row.paid_minor, row.outstanding_minor, row.overdue_minor)
                ),
            ]
        )
    return response

"""The Revenue page: the last 12 months as a Pareto chart, the angels, and the same table as CSV.

Constant queries whatever the number of clients or payments: one aggregate for the nets, one for
the listed clients (names, tiers, pins), plus the request's own (session, user, studio).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.http import content_disposition_header

from clients.models import Client, Payment
from clients.pareto import Entry, Pareto, chart_geometry, format_money_whole, pareto
from clients.services import net_revenue_by_client
from clients.tiering import AngelSummary, angel_summary, window_start
from kernel.access import studio_required
from kernel.models import Studio
from kernel.money import ZERO_DECIMAL_CURRENCIES, format_money


@dataclass(frozen=True)
class Row:
    entry: Entry
    client: Client | None
    url: str
    net_label: str


def _detail_url(pk: int) -> str:
    return reverse("clients:detail", args=[pk])


def revenue_figures(studio: Studio, as_of: date) -> tuple[Pareto, AngelSummary, list[Row]]:
    nets = net_revenue_by_client(studio=studio, as_of=as_of)
    in_window = Payment.objects.filter(
        studio=studio, currency=studio.currency, paid_on__gt=window_start(as_of), paid_on__lte=as_of
    ).values("client_id")
    # A subquery rather than `pk__in=<ids>`: one query with a bounded parameter count at any size.
    clients = {
        client.pk: client
        for client in Client.objects.filter(studio=studio, pk__in=in_window)
        .only("id", "name", "tier", "tier_pin", "tier_reason", "archived_at")
        .order_by()
    }
    chart = pareto(nets, {pk: client.name for pk, client in clients.items()})
    rows = [
        Row(
            entry=entry,
            client=clients.get(entry.client_id),
            url=_detail_url(entry.client_id),
            net_label=format_money(entry.net, studio.currency),
        )
        for entry in chart.entries
    ]
    return chart, angel_summary(nets), rows


@studio_required
def revenue(request: HttpRequest) -> HttpResponse:
    studio: Studio = request.studio
    as_of = studio.local_now().date()
    chart, summary, rows = revenue_figures(studio, as_of)
    currency = studio.currency
    return render(
        request,
        "clients/revenue.html",
        {
            "as_of": as_of,
            "since": window_start(as_of),
            "currency": currency,
            "total_label": format_money_whole(summary.total_net, currency),
            "angel_net_label": format_money_whole(summary.angel_net, currency),
            "summary": summary,
            "chart": chart,
            "geometry": chart_geometry(chart, currency=currency) if chart.has_chart else None,
            "rows": rows,
            "nonpositive_label": format_money_whole(chart.nonpositive_net, currency),
        },
    )


def _decimal(minor: int, currency: str) -> str:
    """``-123456`` → ``-1234.56``: a plain number any spreadsheet reads, no separators."""
    exponent = 0 if currency in ZERO_DECIMAL_CURRENCIES else 2
    sign = "-" if minor < 0 else ""
    units, remainder = divmod(abs(minor), 10**exponent)
    return f"{sign}{units}.{remainder:0{exponent}d}" if exponent else f"{sign}{units}"


def percent_two_decimals(share: Fraction) -> str:
    """``Fraction(8123, 10000)`` → ``81.23``: percent with two decimals, rounded down."""
    hundredths = share.numerator * 10_000 // share.denominator
    whole, rest = divmod(abs(hundredths), 100)
    return f"{'-' if hundredths < 0 else ''}{whole}.{rest:02d}"


def csv_cell(text: str) -> str:
    """Neutralise spreadsheet formulas in free text (CSV injection): prefix with a quote."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@studio_required
def revenue_csv(request: HttpRequest) -> HttpResponse:
    studio: Studio = request.studio
    as_of = studio.local_now().date()
    chart, _summary, rows = revenue_figures(studio, as_of)
    currency = studio.currency
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"revenue-{studio.slug}-{as_of.isoformat()}.csv"
    )
    writer = csv.writer(response)
    writer.writerow(
        [
            "rank",
            "client_id",
            "client",
            f"net_revenue_{currency.lower()}",
            "share_percent",
            "cumulative_percent",
            "angel_by_revenue",
            "tier",
            "tier_pin",
        ]
    )
    for row in rows:
        entry = row.entry
        writer.writerow(
            [
                entry.rank,
                entry.client_id,
                csv_cell(entry.name),
                _decimal(entry.net, currency),
                percent_two_decimals(entry.share) if chart.has_chart else "",
                percent_two_decimals(entry.cumulative_share) if chart.has_chart else "",
                "yes" if entry.is_angel else "no",
                row.client.tier if row.client else "",
                row.client.tier_pin if row.client else "",
            ]
        )
    return response


urlpatterns: list[URLPattern] = [
    path("revenue/", revenue, name="revenue"),
    path("revenue.csv", revenue_csv, name="revenue_csv"),
]

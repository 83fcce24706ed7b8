"""The money report: per issue month and currency, invoiced, paid, outstanding and overdue, with its CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.models import Invoice
from desk.money_report import major, money_rows
from tests.factories import ClientFactory

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN)
TODAY = date(2026, 11, 25)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def invoice(studio, number, *, issued, due, total, paid=0, status="issued", currency="EUR", **fields):
    return Invoice.objects.create(
        studio=studio, client=ClientFactory(studio=studio), number=number, status=status, currency=currency,
        issue_date=issued, due_on=due, total_minor=total, subtotal_minor=total, paid_minor=paid, **fields,
    )  # fmt: skip


@pytest.fixture
def ledger(studio, other_studio):
    invoice(studio, "N-1", issued=date(2026, 11, 2), due=date(2026, 11, 16), total=10_000)  # overdue
    invoice(studio, "N-2", issued=date(2026, 11, 20), due=date(2026, 12, 4), total=5_000, paid=1_000)
    invoice(studio, "N-3", issued=date(2026, 11, 3), due=date(2026, 11, 17), total=2_000, paid=2_000, status="paid")
    invoice(studio, "N-4", issued=date(2026, 11, 3), due=date(2026, 11, 17), total=7_000, status="cancelled")
    invoice(studio, "N-5", issued=date(2026, 11, 3), due=None, total=-7_000, kind=Invoice.Kind.CREDIT_NOTE)
    invoice(studio, "R-1", issued=date(2026, 11, 5), due=date(2026, 11, 30), total=300_000, currency="RUB")
    invoice(studio, "O-1", issued=date(2026, 9, 30), due=date(2026, 10, 14), total=4_000, paid=4_000, status="paid")
    invoice(studio, "OLD", issued=date(2025, 1, 10), due=date(2025, 1, 24), total=99_999)  # before the 12 months
    invoice(other_studio, "X-1", issued=date(2026, 11, 2), due=date(2026, 11, 16), total=50_000)


def test_rows_per_issue_month_and_currency(studio, ledger):
    rows = [
        (f"{row.month:%Y-%m}", row.currency, row.invoiced_minor, row.paid_minor, row.outstanding_minor,
         row.overdue_minor, row.count)
        for row in money_rows(studio, today=TODAY)
    ]  # fmt: skip
    assert rows == [
        ("2026-11", "EUR", 17_000, 3_000, 14_000, 10_000, 3),
        ("2026-11", "RUB", 300_000, 0, 300_000, 0, 1),
        ("2026-09", "EUR", 4_000, 4_000, 0, 0, 1),
    ]


def test_the_page_shows_them_in_constant_queries(owner_client, studio, ledger, django_assert_max_num_queries):
    owner_client.get(reverse("money_report"))
    with CaptureQueriesContext(connection) as few:
        page = owner_client.get(reverse("money_report")).content.decode()
    assert page.count('data-testid="money-row"') == 3
    assert page.count('data-testid="money-total"') == 2
    assert "€100.00" in page  # November's overdue
    for index in range(20):
        invoice(studio, f"M-{index}", issued=TODAY - timedelta(days=40 * (index % 8)), due=TODAY, total=100)
    with django_assert_max_num_queries(len(few)):
        assert owner_client.get(reverse("money_report")).status_code == 200
    assert reverse("money_report") in owner_client.get(reverse("reports")).content.decode()


def test_the_csv_has_one_line_per_row_in_major_units(owner_client, studio, ledger):
    response = owner_client.get(reverse("money_report_csv"))
    assert response["Content-Disposition"].startswith("attachment")
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert lines[0] == ["Month", "Currency", "Invoices", "Invoiced", "Paid", "Outstanding", "Overdue"]
    assert lines[1:] == [
        ["2026-11", "EUR", "3", "170.00", "30.00", "140.00", "100.00"],
        ["2026-11", "RUB", "1", "3000.00", "0.00", "3000.00", "0.00"],
        ["2026-09", "EUR", "1", "40.00", "40.00", "0.00", "0.00"],
    ]


def test_an_empty_studio_gets_the_empty_text(owner_client):
    page = owner_client.get(reverse("money_report")).content.decode()
    assert "No invoice issued in these months yet." in page


def test_major_units():
    assert (major(123456, "EUR"), major(-5, "EUR"), major(500, "JPY")) == ("1234.56", "-0.05", "500")

"""On PostgreSQL, invoices issued at the same moment: consecutive numbers, no gap, no twin; one payment.

Runs when DATABASE_URL points to PostgreSQL (CI sets it). Each issuer is a thread with its own
database connection, as two web processes (or a web process and the beat) would have; a barrier
starts them together. The first race also creates the year's number row at the same moment.
"""

import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from django.db import connection

from billing import services
from billing.models import Invoice, NumberSequence
from billing.services import InvoiceNotPayable, LineSpec
from tests.factories import ClientFactory, StudioFactory

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="DATABASE_URL does not point to PostgreSQL: the number row lock (SELECT … FOR UPDATE) is not exercised",
    ),
]

NOW = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("comms.outbox.kick_delivery", lambda: None)


def at_once(*work: Callable[[], object]) -> list[object]:
    """Run each callable in its own thread and connection, started together; a result or the exception raised."""
    results: list[object] = [None] * len(work)
    barrier = threading.Barrier(len(work))

    def run(index: int, job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=60)
            results[index] = job()
        except BaseException as error:  # examined in the test thread
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, job)) for index, job in enumerate(work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def drafts(count: int) -> list[Invoice]:
    client = ClientFactory(studio=StudioFactory(timezone="Europe/Berlin"))
    return [
        services.invoice_create(client=client, kind="manual", lines=[LineSpec("Work", 1, 10_000)], now=NOW)
        for _ in range(count)
    ]


def issuer(invoice: Invoice) -> Callable[[], object]:
    return lambda: services.invoice_issue(invoice=invoice, now=NOW).number


@pytest.mark.django_db(transaction=True)
def test_two_invoices_issued_at_once_get_consecutive_numbers():
    first, second = drafts(2)
    results = at_once(issuer(first), issuer(second))
    assert sorted(results) == ["2026-0001", "2026-0002"], results
    assert NumberSequence.objects.get(studio=first.studio, period=2026).last == 2


@pytest.mark.django_db(transaction=True)
def test_many_issuers_leave_no_gap_and_no_twin():
    invoices = drafts(8)
    results = at_once(*(issuer(invoice) for invoice in invoices))
    assert sorted(results) == [f"2026-{seq:04d}" for seq in range(1, 9)], results
    assert Invoice.objects.filter(status="issued").count() == 8


@pytest.mark.django_db(transaction=True)
def test_the_same_draft_issued_twice_at_once_is_numbered_once():
    (invoice,) = drafts(1)
    results = at_once(issuer(invoice), issuer(invoice))
    assert {type(result) for result in results} == {str, services.InvoiceNotEditable}, results
    assert NumberSequence.objects.get(studio=invoice.studio).last == 1


@pytest.mark.django_db(transaction=True)
def test_a_full_payment_recorded_twice_at_once_counts_once():
    (draft,) = drafts(1)
    invoice = services.invoice_issue(invoice=draft, now=NOW)

    def pay() -> object:
        return services.invoice_record_payment(
            invoice=invoice, amount_minor=10_000, paid_on=NOW.date(), method="bank", now=NOW
        )

    results = at_once(pay, pay)
    assert sum(isinstance(result, InvoiceNotPayable) for result in results) == 1, results
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_minor) == ("paid", 10_000)
    assert invoice.payments.count() == 1

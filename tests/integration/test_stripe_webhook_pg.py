"""On PostgreSQL, two deliveries of the same Stripe event at the same moment record one payment.

Runs when DATABASE_URL points to PostgreSQL (CI sets it). Each delivery is a real request through
the test client in its own thread and database connection, as two web processes would serve
Stripe's retries; a barrier starts them together.
"""

import os
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client as Browser
from django.urls import reverse

from billing import services, stripe_pay
from billing.models import Invoice, InvoicePayment, StripeEvent
from billing.services import LineSpec
from clients.models import Payment
from tests.billing.stripe_helpers import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET, session_completed, sign
from tests.factories import ClientFactory, StudioFactory
from tests.integration.test_invoice_numbers_pg import at_once

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="DATABASE_URL does not point to PostgreSQL: concurrent deliveries need real row locks",
    ),
]

NOW = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("comms.outbox.kick_delivery", lambda: None)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def issued_invoice() -> Invoice:
    studio = StudioFactory(slug="pg-stripe", timezone="Europe/Berlin")
    stripe_pay.stripe_keys_update(
        studio=studio, publishable=PUBLISHABLE_KEY, secret=SECRET_KEY, webhook_secret=WEBHOOK_SECRET, now=NOW
    )
    draft = services.invoice_create(
        client=ClientFactory(studio=studio), kind="manual", lines=[LineSpec("Work", 1, 10_000)], now=NOW
    )
    return services.invoice_issue(invoice=draft, now=NOW)


def delivery(invoice: Invoice, payload: str):
    url = reverse("stripe_webhook", kwargs={"key": invoice.studio.slug})
    signature = sign(payload, timestamp=int(NOW.timestamp()))

    def post() -> int:
        return (
            Browser()
            .post(url, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)
            .status_code
        )

    return post


@pytest.mark.django_db(transaction=True)
def test_the_same_event_delivered_twice_at_once_pays_once(frozen):
    invoice = issued_invoice()
    payload = session_completed(invoice, event_id="evt_twice", created=int(NOW.timestamp()))

    results = at_once(delivery(invoice, payload), delivery(invoice, payload))

    assert results == [200, 200], results
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_minor) == ("paid", 10_000)
    assert Payment.objects.count() == 1
    assert InvoicePayment.objects.get().stripe_event_id == "evt_twice"
    assert list(StripeEvent.objects.values_list("event_id", "status")) == [("evt_twice", "processed")]


@pytest.mark.django_db(transaction=True)
def test_two_events_paying_the_same_invoice_at_once_record_one_payment(frozen):
    invoice = issued_invoice()
    first = session_completed(invoice, event_id="evt_a", created=int(NOW.timestamp()))
    second = session_completed(invoice, event_id="evt_b", created=int(NOW.timestamp()))

    results = at_once(delivery(invoice, first), delivery(invoice, second))

    assert results == [200, 200], results
    invoice.refresh_from_db()
    assert invoice.paid_minor == 10_000
    assert Payment.objects.count() == 1
    statuses = sorted(StripeEvent.objects.values_list("status", flat=True))
    assert statuses == ["failed", "processed"]  # the card charged twice: the freelancer refunds it in Stripe

from datetime import UTC, datetime

import pytest
import time_machine

from billing.models import BillingProfile

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def profile(studio):
    return BillingProfile.objects.create(
        studio=studio,
        legal_name="Northlight GmbH",
        address="Hauptstr. 1\n10115 Berlin",
        vat_id="DE123456789",
        iban="DE89370400440532013000",
        bic="COBADEFFXXX",
        tax_rate_bp=1_900,
        tax_exemption_text="Reverse charge: the recipient owes the VAT.",
        payment_terms_days=14,
    )


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("comms.outbox.kick_delivery", lambda: None)

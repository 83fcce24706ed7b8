"""Stripe webhook deliveries built in the test, signed the way Stripe signs them (no network, ever)."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from billing.models import Invoice

WEBHOOK_SECRET = "whsec_testsecret123"
SECRET_KEY = "sk_test_abc123def456"
PUBLISHABLE_KEY = "pk_test_abc123def456"


def sign(payload: str, *, secret: str = WEBHOOK_SECRET, timestamp: int) -> str:
    """The Stripe-Signature header: t=<unix time>,v1=HMAC-SHA256(secret, "<t>.<payload>")."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def session_completed(
    invoice: Invoice, *, event_id: str = "evt_1", amount: int | None = None, created: int, **session: Any
) -> str:
    body = {
        "id": event_id,
        "object": "event",
        "type": "checkout.session.completed",
        "created": created,
        "data": {
            "object": {
                "id": "cs_test_1",
                "object": "checkout.session",
                "payment_status": "paid",
                "amount_total": invoice.balance_minor if amount is None else amount,
                "currency": invoice.currency.lower(),
                "client_reference_id": str(invoice.pk),
                "metadata": {"invoice_id": str(invoice.pk), "studio_id": str(invoice.studio_id)},
                **session,
            }
        },
    }
    return json.dumps(body)

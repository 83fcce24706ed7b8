"""Card payments through Stripe Checkout: the studio's keys, the Checkout Session, the signed webhook.

The studio's secret key and webhook signing secret are stored encrypted (``comms.secrets``); the
publishable key is not a secret. Nothing here talks to Stripe except ``checkout_session_create``
(one API call through the ``stripe`` library); tests mock ``stripe.checkout.Session.create``.

The webhook (``stripe_webhook_receive``), in this order:

1. The raw body is stored as a ``StripeEvent`` before anything else, so any delivery can be replayed.
2. The signature is checked with ``stripe.Webhook.construct_event`` (HMAC-SHA256 of ``t.payload``
   with the studio's signing secret, timestamp within ``TOLERANCE_SECONDS``). A bad signature, a
   stale timestamp or a body that is not JSON: the event is kept ``failed`` with the reason, 400,
   and nothing else changes.
3. The event id is written on the row; a unique constraint (studio, event id) makes a redelivered
   event a duplicate: the row just made is dropped and the first one is the event.
4. ``checkout.session.completed`` (or ``…async_payment_succeeded``) with ``payment_status`` "paid"
   records the payment through ``billing.services.invoice_record_payment`` with the event id, which
   is unique on ``InvoicePayment``: the same event twice, even at the same moment, pays once. The
   payment goes through ``clients.services.payment_record``, so a paid deposit starts the project (R11).

``stripe_event_replay`` (``manage.py replay_stripe_events``, or the button on the Stripe settings
page) runs a stored event again: the signature is checked again with the current signing secret,
its timestamp against the moment the event was received.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stripe
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from billing.models import BillingProfile, Invoice, InvoicePayment, StripeEvent
from billing.services import InvoiceNotPayable, billing_profile, invoice_record_payment
from clients.models import Payment
from comms import secrets
from kernel.models import Studio

logger = logging.getLogger("rapport.billing")

TOLERANCE_SECONDS = 300
KEY_PREFIX = re.compile(r"[a-z]+_(?:(?:test|live)_)?")
PAID_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")


class StripeNotConfigured(Exception):
    """The studio has not added its Stripe keys."""


class PaymentRefused(Exception):
    """The invoice cannot be paid by card now; the message is fit for the client."""


# --- keys ------------------------------------------------------------------------------------------


def stripe_enabled(profile: BillingProfile | None) -> bool:
    """Card payments are on: the studio has its publishable and secret keys."""
    return bool(profile and profile.stripe_publishable_key and profile.stripe_secret_key_encrypted)


def mask(value: str) -> str:
    """A key shown without giving it away: its prefix and last four characters."""
    if not value:
        return ""
    found = KEY_PREFIX.match(value)
    prefix = found.group(0) if found else ""
    return f"{prefix}…{value[-4:]}" if len(value) > len(prefix) + 4 else "…"


@dataclass(frozen=True)
class StripeKeys:
    publishable: str
    secret: str
    webhook_secret: str


def stripe_keys(profile: BillingProfile) -> StripeKeys:
    return StripeKeys(
        publishable=profile.stripe_publishable_key,
        secret=secrets.decrypt(profile.stripe_secret_key_encrypted),
        webhook_secret=secrets.decrypt(profile.stripe_webhook_secret_encrypted),
    )


def stripe_keys_update(
    *,
    studio: Studio,
    publishable: str,
    secret: str = "",
    webhook_secret: str = "",
    remove: bool = False,
    now: datetime,
) -> BillingProfile:
    """Save the studio's Stripe keys, the secret ones encrypted; a blank secret keeps the stored one."""
    profile = billing_profile(studio)
    if remove:
        profile.stripe_publishable_key = ""
        profile.stripe_secret_key_encrypted = ""
        profile.stripe_webhook_secret_encrypted = ""
    else:
        profile.stripe_publishable_key = publishable.strip()
        if secret.strip():
            profile.stripe_secret_key_encrypted = secrets.encrypt(secret.strip())
        if webhook_secret.strip():
            profile.stripe_webhook_secret_encrypted = secrets.encrypt(webhook_secret.strip())
    profile.updated_at = now
    profile.save(
        update_fields=[
            "stripe_publishable_key", "stripe_secret_key_encrypted", "stripe_webhook_secret_encrypted", "updated_at",
        ]
    )  # fmt: skip
    return profile


# --- paying ----------------------------------------------------------------------------------------


def card_payable(invoice: Invoice) -> bool:
    """The invoice can be paid by card: issued (not a credit note) with something left to pay."""
    return (
        invoice.status == Invoice.Status.ISSUED
        and invoice.kind != Invoice.Kind.CREDIT_NOTE
        and invoice.balance_minor > 0
    )


def refusal(invoice: Invoice) -> str | None:
    """Why the client cannot pay ``invoice`` now, in their words; None when they can."""
    if invoice.status == Invoice.Status.CANCELLED:
        return _("This invoice was cancelled, so there is nothing to pay.")
    if invoice.status == Invoice.Status.PAID or (
        invoice.status == Invoice.Status.ISSUED and invoice.balance_minor <= 0
    ):
        return _("This invoice is already paid. Thank you!")
    if not card_payable(invoice):
        return _("This invoice cannot be paid by card.")
    return None


def checkout_session_create(*, invoice: Invoice, success_url: str, cancel_url: str, customer_email: str = "") -> str:
    """A Stripe Checkout Session for the invoice's balance; returns the URL to send the client to.

    Raises ``PaymentRefused`` (cancelled, paid…), ``StripeNotConfigured``, or ``stripe.StripeError``.
    """
    with transaction.atomic():
        current = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if (reason := refusal(current)) is not None:
            raise PaymentRefused(reason)
        profile = BillingProfile.objects.filter(studio_id=current.studio_id).first()
        if not stripe_enabled(profile):
            raise StripeNotConfigured
        keys = stripe_keys(profile)
    title = pgettext("billing document", "Invoice %(number)s") % {"number": current.number}
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": current.currency.lower(),
                    "unit_amount": current.balance_minor,
                    "product_data": {"name": title},
                },
            }
        ],
        "client_reference_id": str(current.pk),
        "metadata": {"invoice_id": str(current.pk), "studio_id": str(current.studio_id)},
        "payment_intent_data": {
            "metadata": {"invoice_id": str(current.pk), "studio_id": str(current.studio_id)},
            "description": title,
        },
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    if customer_email:
        params["customer_email"] = customer_email
    session = stripe.checkout.Session.create(api_key=keys.secret, **params)
    Invoice.objects.filter(pk=current.pk).update(stripe_session_id=str(session["id"])[:255])
    return str(session["url"])


# --- the webhook -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookResult:
    status_code: int
    event: StripeEvent


def _fail(row: StripeEvent, error: str, *, now: datetime) -> StripeEvent:
    row.status, row.error, row.processed_at = StripeEvent.Status.FAILED, error[:2000], now
    row.save(update_fields=["status", "error", "processed_at"])
    logger.warning("Stripe event %s (row %s) failed: %s", row.event_id or "?", row.pk, error)
    return row


def _verified(row: StripeEvent, *, secret: str, replay: bool) -> dict[str, Any]:
    """The event as a dict once its signature checks out; raises ValueError with why not."""
    if not secret:
        raise ValueError("No webhook signing secret is set on the Stripe settings page.")
    payload = bytes(row.raw).decode("utf-8")  # UnicodeDecodeError is a ValueError
    try:
        if replay:
            # A replay checks the signature with the current secret, and the timestamp against the
            # moment the event arrived (not now).
            stripe.WebhookSignature.verify_header(payload, row.signature, secret, tolerance=None)
            stamp = _signed_at(row.signature)
            if abs(stamp - row.received_at.timestamp()) > TOLERANCE_SECONDS:
                raise ValueError("The signature's timestamp was stale when the event arrived.")
        else:
            stripe.Webhook.construct_event(payload, row.signature, secret, tolerance=TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError as error:
        raise ValueError(f"Signature: {error.user_message or error}") from None
    data = json.loads(payload)
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
        raise ValueError("The event has no id.")
    return data


def _signed_at(header: str) -> int:
    for part in header.split(","):
        key, _sep, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    raise ValueError("The signature has no timestamp.")


def stripe_webhook_receive(*, studio: Studio, body: bytes, signature: str, now: datetime) -> WebhookResult:
    """Store, verify and apply one webhook delivery for ``studio`` (see the module's docstring)."""
    row = StripeEvent.objects.create(studio=studio, raw=body, signature=signature[:500], received_at=now)
    return _run(row, now=now, replay=False)


def stripe_event_replay(*, event: StripeEvent, now: datetime) -> WebhookResult:
    """Run a stored event again (a failed one, once its cause is fixed); a processed one changes nothing."""
    if event.status in (StripeEvent.Status.PROCESSED, StripeEvent.Status.IGNORED):
        return WebhookResult(200, event)
    return _run(event, now=now, replay=True)


def _run(row: StripeEvent, *, now: datetime, replay: bool) -> WebhookResult:
    profile = BillingProfile.objects.filter(studio_id=row.studio_id).first()
    try:
        secret = secrets.decrypt(profile.stripe_webhook_secret_encrypted) if profile else ""
        data = _verified(row, secret=secret, replay=replay)
    except (ValueError, secrets.SecretError) as error:
        return WebhookResult(400, _fail(row, str(error), now=now))
    event_id, event_type = data["id"][:255], str(data.get("type") or "")[:100]
    if row.event_id != event_id:
        try:
            with transaction.atomic():
                StripeEvent.objects.filter(pk=row.pk).update(event_id=event_id, event_type=event_type)
        except IntegrityError:
            # Delivered before: that row is the event. This copy goes; the first one is applied
            # (again) unless it is done, and applying is idempotent by event id.
            first = StripeEvent.objects.get(studio_id=row.studio_id, event_id=event_id)
            row.delete()
            if first.status in (StripeEvent.Status.PROCESSED, StripeEvent.Status.IGNORED):
                return WebhookResult(200, first)
            row = first
        else:
            row.event_id, row.event_type = event_id, event_type
    try:
        status, error = _apply(row, data, now=now)
    except Exception as unexpected:
        _fail(row, f"{type(unexpected).__name__}: {unexpected}", now=now)
        raise
    row.status, row.error, row.processed_at = status, error, now
    row.save(update_fields=["status", "error", "processed_at"])
    if status == StripeEvent.Status.FAILED:
        logger.warning("Stripe event %s failed: %s", row.event_id, error)
    return WebhookResult(200, row)


def _apply(row: StripeEvent, data: dict[str, Any], *, now: datetime) -> tuple[str, str]:
    """Apply a verified event; returns (status, error)."""
    if data.get("type") not in PAID_EVENTS:
        return StripeEvent.Status.IGNORED, ""
    session = (data.get("data") or {}).get("object") or {}
    if session.get("payment_status") != "paid":
        return StripeEvent.Status.IGNORED, ""
    metadata = session.get("metadata") or {}
    if str(metadata.get("studio_id", "")) != str(row.studio_id):
        return StripeEvent.Status.FAILED, "The session belongs to another studio."
    invoice_id = str(metadata.get("invoice_id") or session.get("client_reference_id") or "")
    invoice = (
        Invoice.objects.filter(studio_id=row.studio_id, pk=int(invoice_id)).first() if invoice_id.isdigit() else None
    )
    if invoice is None:
        return StripeEvent.Status.FAILED, f"No invoice {invoice_id!r} in this studio."
    if InvoicePayment.objects.filter(stripe_event_id=row.event_id).exists():
        return StripeEvent.Status.PROCESSED, ""
    amount, currency = session.get("amount_total"), str(session.get("currency") or "").upper()
    if not isinstance(amount, int) or isinstance(amount, bool) or currency != invoice.currency:
        return StripeEvent.Status.FAILED, f"Amount {amount!r} {currency} does not fit invoice {invoice.number}."
    created = data.get("created")
    paid_at = datetime.fromtimestamp(created, tz=UTC) if isinstance(created, int) else now
    try:
        invoice_record_payment(
            invoice=invoice,
            amount_minor=amount,
            paid_on=paid_at.astimezone(invoice.studio.zoneinfo).date(),
            method=Payment.Method.CARD,
            now=now,
            source=InvoicePayment.Source.STRIPE,
            stripe_event_id=row.event_id,
        )
    except InvoiceNotPayable as error:
        # Money taken for an invoice that cannot take it (paid meanwhile, cancelled): the freelancer
        # refunds it in Stripe; the failed event shows on the Stripe settings page.
        return StripeEvent.Status.FAILED, f"Invoice {invoice.number}: {error}"
    except IntegrityError:  # the same event recorded at this very moment by another delivery
        return StripeEvent.Status.PROCESSED, ""
    return StripeEvent.Status.PROCESSED, ""

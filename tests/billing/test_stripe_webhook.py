"""The Stripe webhook: raw body kept first, signature checked, the invoice paid once per event."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from billing import services, stripe_pay
from billing.models import Invoice, InvoicePayment, StripeEvent
from billing.services import LineSpec
from clients.models import Payment
from projects.models import Project
from tests.billing.stripe_helpers import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET, session_completed, sign
from tests.factories import ClientFactory, ProjectFactory, StudioFactory


@pytest.fixture
def keys(studio, profile, now):
    return stripe_pay.stripe_keys_update(
        studio=studio, publishable=PUBLISHABLE_KEY, secret=SECRET_KEY, webhook_secret=WEBHOOK_SECRET, now=now
    )


@pytest.fixture
def project(studio):
    return ProjectFactory(
        client=ClientFactory(studio=studio), status=Project.Status.AWAITING_DEPOSIT, price_minor=100_000,
        deposit_percent=50, currency="EUR",
    )  # fmt: skip


@pytest.fixture
def invoice(project, profile, now):
    draft = services.invoice_create(
        client=project.client, kind=Invoice.Kind.DEPOSIT, lines=[LineSpec("Deposit", 1, 50_000, 0)], now=now,
        project=project,
    )  # fmt: skip
    return services.invoice_issue(invoice=draft, now=now)


def deliver(client, studio, payload: str, signature: str):
    return client.post(
        reverse("stripe_webhook", kwargs={"key": studio.slug}),
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
    )


def stamp(now) -> int:
    return int(now.timestamp())


def test_a_signed_paid_session_pays_the_invoice_through_payment_record(client, studio, keys, invoice, now):
    payload = session_completed(invoice, created=stamp(now))

    response = deliver(client, studio, payload, sign(payload, timestamp=stamp(now)))

    assert response.status_code == 200
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert invoice.paid_minor == 50_000
    link = InvoicePayment.objects.get()
    assert (link.source, link.stripe_event_id) == ("stripe", "evt_1")
    assert (link.payment.method, link.payment.amount_minor, link.payment.project_id) == (
        Payment.Method.CARD, 50_000, invoice.project_id,
    )  # fmt: skip
    event = StripeEvent.objects.get()
    assert (event.status, event.event_id, event.event_type) == ("processed", "evt_1", "checkout.session.completed")
    assert bytes(event.raw) == payload.encode()


def test_a_paid_deposit_starts_the_project_r11(client, studio, keys, invoice, project, now):
    studio.start_work_on_deposit = True
    studio.save()
    payload = session_completed(invoice, created=stamp(now))

    deliver(client, studio, payload, sign(payload, timestamp=stamp(now)))

    project.refresh_from_db()
    assert project.status == Project.Status.IN_PROGRESS


def test_a_replayed_event_changes_nothing(client, studio, keys, invoice, now):
    payload = session_completed(invoice, created=stamp(now), amount=20_000)
    first = deliver(client, studio, payload, sign(payload, timestamp=stamp(now)))

    with time_machine.travel(now + timedelta(seconds=60), tick=False):
        again = deliver(client, studio, payload, sign(payload, timestamp=stamp(now) + 60))

    assert (first.status_code, again.status_code) == (200, 200)
    invoice.refresh_from_db()
    assert invoice.paid_minor == 20_000
    assert Payment.objects.count() == 1
    assert StripeEvent.objects.count() == 1


@pytest.mark.parametrize(
    "signature",
    [
        "t=1,v1=deadbeef",
        "",
        "garbage",
    ],
)
def test_a_badly_signed_delivery_is_kept_failed_and_changes_nothing(client, studio, keys, invoice, now, signature):
    payload = session_completed(invoice, created=stamp(now))

    response = deliver(client, studio, payload, signature)

    assert response.status_code == 400
    event = StripeEvent.objects.get()
    assert event.status == StripeEvent.Status.FAILED
    assert event.error
    assert bytes(event.raw) == payload.encode()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.ISSUED
    assert not Payment.objects.exists()


def test_another_secret_is_a_bad_signature(client, studio, keys, invoice, now):
    payload = session_completed(invoice, created=stamp(now))

    response = deliver(client, studio, payload, sign(payload, secret="whsec_other", timestamp=stamp(now)))

    assert response.status_code == 400
    assert not Payment.objects.exists()


def test_a_stale_timestamp_is_refused(client, studio, keys, invoice, now):
    payload = session_completed(invoice, created=stamp(now))

    response = deliver(client, studio, payload, sign(payload, timestamp=stamp(now) - 301))

    assert response.status_code == 400
    assert "timestamp" in StripeEvent.objects.get().error.lower()
    assert not Payment.objects.exists()


def test_an_unparseable_body_is_kept_and_refused(client, studio, keys, now):
    payload = "{not json"

    response = deliver(client, studio, payload, sign(payload, timestamp=stamp(now)))

    assert response.status_code == 400
    event = StripeEvent.objects.get()
    assert (event.status, bytes(event.raw)) == ("failed", b"{not json")


def test_without_a_signing_secret_nothing_is_paid(client, studio, profile, invoice, now):
    payload = session_completed(invoice, created=stamp(now))

    response = deliver(client, studio, payload, sign(payload, timestamp=stamp(now)))

    assert response.status_code == 400
    assert "signing secret" in StripeEvent.objects.get().error
    assert not Payment.objects.exists()


def test_an_unknown_studio_is_a_404_and_stores_nothing(client, keys, invoice, now):
    payload = session_completed(invoice, created=stamp(now))

    response = client.post("/hooks/stripe/nobody/", data=payload, content_type="application/json")

    assert response.status_code == 404
    assert not StripeEvent.objects.exists()


def test_the_webhook_takes_only_post(client, studio, keys):
    assert client.get(reverse("stripe_webhook", kwargs={"key": studio.slug})).status_code == 405


def test_an_invoice_of_another_studio_is_not_paid(client, studio, keys, now):
    other = StudioFactory(slug="other-studio")
    foreign = services.invoice_issue(
        invoice=services.invoice_create(
            client=ClientFactory(studio=other), kind="manual", lines=[LineSpec("Work", 1, 1_000)], now=now
        ),
        now=now,
    )
    payload = session_completed(foreign, created=stamp(now))

    response = deliver(client, studio, payload, sign(payload, timestamp=stamp(now)))

    assert response.status_code == 200  # retrying cannot help: kept failed for the freelancer
    assert StripeEvent.objects.get().status == StripeEvent.Status.FAILED
    foreign.refresh_from_db()
    assert foreign.status == Invoice.Status.ISSUED


def test_money_for_an_invoice_paid_meanwhile_is_kept_failed(client, studio, keys, invoice, now):
    services.invoice_record_payment(invoice=invoice, amount_minor=50_000, paid_on=now.date(), method="bank", now=now)
    payload = session_completed(invoice, created=stamp(now), amount=50_000)

    response = deliver(client, studio, payload, sign(payload, timestamp=stamp(now)))

    assert response.status_code == 200
    event = StripeEvent.objects.get()
    assert event.status == StripeEvent.Status.FAILED
    assert "already paid" in event.error
    assert Payment.objects.count() == 1


def test_other_events_and_unpaid_sessions_are_ignored(client, studio, keys, invoice, now):
    unpaid = session_completed(invoice, created=stamp(now), event_id="evt_unpaid", payment_status="unpaid")
    deliver(client, studio, unpaid, sign(unpaid, timestamp=stamp(now)))
    other = '{"id": "evt_other", "type": "customer.created", "data": {"object": {}}}'
    deliver(client, studio, other, sign(other, timestamp=stamp(now)))

    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"ignored"}
    assert not Payment.objects.exists()


def test_a_failed_event_is_replayed_once_the_secret_is_fixed(client, studio, profile, invoice, now):
    payload = session_completed(invoice, created=stamp(now))
    deliver(client, studio, payload, sign(payload, timestamp=stamp(now)))  # no signing secret yet
    event = StripeEvent.objects.get()
    assert event.status == StripeEvent.Status.FAILED

    with time_machine.travel(now + timedelta(days=1), tick=False):
        stripe_pay.stripe_keys_update(
            studio=studio, publishable=PUBLISHABLE_KEY, secret=SECRET_KEY, webhook_secret=WEBHOOK_SECRET, now=now
        )
        call_command("replay_stripe_events", "--failed")
        call_command("replay_stripe_events", "--id", str(event.pk))  # again: nothing more

    event.refresh_from_db()
    assert event.status == StripeEvent.Status.PROCESSED
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert Payment.objects.count() == 1


def test_a_replay_does_not_accept_a_badly_signed_event(client, studio, keys, invoice, now):
    payload = session_completed(invoice, created=stamp(now))
    deliver(client, studio, payload, sign(payload, secret="whsec_forged", timestamp=stamp(now)))

    with pytest.raises(CommandError):
        call_command("replay_stripe_events", "--failed")

    assert StripeEvent.objects.get().status == StripeEvent.Status.FAILED
    assert not Payment.objects.exists()


def test_the_replay_button_is_the_owners_of_the_studio(owner_client, charlie_client, studio, profile, invoice, now):
    payload = session_completed(invoice, created=stamp(now))
    event = stripe_pay.stripe_webhook_receive(
        studio=studio, body=payload.encode(), signature=sign(payload, timestamp=stamp(now)), now=now
    ).event
    url = reverse("billing:stripe_replay", kwargs={"pk": event.pk})

    assert charlie_client.post(url).status_code == 404
    stripe_pay.stripe_keys_update(
        studio=studio, publishable=PUBLISHABLE_KEY, secret=SECRET_KEY, webhook_secret=WEBHOOK_SECRET, now=now
    )
    assert owner_client.post(url).status_code == 302

    event.refresh_from_db()
    assert event.status == StripeEvent.Status.PROCESSED


def test_the_webhook_needs_no_csrf_token(studio, keys, invoice, now):
    browser = Client(enforce_csrf_checks=True)
    payload = session_completed(invoice, created=stamp(now))

    response = deliver(browser, studio, payload, sign(payload, timestamp=stamp(now)))

    assert response.status_code == 200
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID

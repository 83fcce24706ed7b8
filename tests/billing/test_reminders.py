"""billing.reminders: the reminder ladder of open invoices, as an idempotent sweep."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from billing import reminders as ladder
from billing.forms import BillingProfileForm
from billing.models import BillingProfile, Invoice
from billing.reminders import reminder_key, step_due
from billing.sending import invoice_send
from billing.services import invoice_cancel, invoice_record_payment
from comms.conversation import AUTOMATED_KINDS
from comms.kinds import KIND_LABELS
from comms.models import OutboxEmail
from kernel.models import SweepSchedule
from tests.billing.test_pdf import make_invoice
from tests.factories import ContactFactory

# The invoice of make_invoice: issued 20 November 2026, due Friday 4 December 2026 (Berlin studio).
DUE = date(2026, 12, 4)
THREE_BEFORE = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # Tuesday 11:00 in Berlin
AFTER_DOWNTIME = datetime(2026, 12, 14, 10, 0, tzinfo=UTC)  # Monday: steps -3, 0 and 7 all passed


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("comms.outbox.kick_delivery", lambda: None)


def reminders_sweep(now: datetime) -> int:
    """The sweep at ``now`` with every studio due: the studio schedule is tested in tests/crm/test_sweeps.py."""
    SweepSchedule.objects.update(next_run_at=now)
    return ladder.reminders_sweep(now)


def open_invoice(studio, **fields) -> Invoice:
    invoice = make_invoice(studio, **fields)
    ContactFactory(client=invoice.client, name="Jane Roe", email="jane@acme.example", is_primary=True)
    return invoice


def reminders(invoice):
    return list(
        OutboxEmail.objects.filter(idempotency_key__startswith=f"invoice-reminder:{invoice.pk}:").order_by("pk")
    )


def test_the_latest_step_reached_is_the_one_due_and_none_on_or_before_the_issue_day():
    steps = (-3, 0, 7, 14)
    assert step_due(due_on=DUE, issue_date=date(2026, 11, 20), steps=steps, today=date(2026, 11, 30)) is None
    assert step_due(due_on=DUE, issue_date=date(2026, 11, 20), steps=steps, today=date(2026, 12, 1)) == -3
    assert step_due(due_on=DUE, issue_date=date(2026, 11, 20), steps=steps, today=date(2026, 12, 4)) == 0
    assert step_due(due_on=DUE, issue_date=date(2026, 11, 20), steps=steps, today=date(2027, 3, 1)) == 14
    # Issued two days before it is due: "due in three days" would come with the invoice itself.
    assert step_due(due_on=DUE, issue_date=date(2026, 12, 2), steps=steps, today=date(2026, 12, 2)) is None


def test_three_days_before_the_due_date_one_friendly_reminder_and_a_second_run_writes_nothing(studio):
    invoice = open_invoice(studio)

    assert reminders_sweep(datetime(2026, 11, 30, 10, 0, tzinfo=UTC)) == 0
    assert reminders_sweep(THREE_BEFORE) == 1
    assert reminders_sweep(THREE_BEFORE) == 0

    [email] = reminders(invoice)
    assert email.idempotency_key == reminder_key(invoice.pk, -3)
    assert email.to == ["jane@acme.example"]
    assert email.client_id == invoice.client_id
    assert email.send_after == THREE_BEFORE
    assert email.subject == "Invoice 2026-0042 is due on 4 December 2026"
    assert "Hello Jane," in email.text
    assert "/portal/" in email.text
    assert email.attachments == []


def test_after_downtime_only_the_latest_step_goes_out_with_the_pdf_attached(studio):
    invoice = open_invoice(studio)

    assert reminders_sweep(AFTER_DOWNTIME) == 1

    [email] = reminders(invoice)
    assert email.idempotency_key == reminder_key(invoice.pk, 7)
    assert email.subject == "Invoice 2026-0042 is overdue"
    assert "10 days ago" in email.text
    [attachment] = email.attachments
    assert attachment["mimetype"] == "application/pdf"


def test_a_russian_client_is_reminded_in_russian(studio):
    invoice = open_invoice(studio, language="ru")

    reminders_sweep(AFTER_DOWNTIME)

    [email] = reminders(invoice)
    assert "просрочен" in email.subject


def test_at_night_the_reminder_waits_for_the_studio_s_working_hours(studio):
    invoice = open_invoice(studio)
    night = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)

    reminders_sweep(night)

    [email] = reminders(invoice)
    assert email.send_after == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "fields",
    [
        {"status": Invoice.Status.PAID, "paid_minor": 10**9},
        {"status": Invoice.Status.CANCELLED},
        {"status": Invoice.Status.DRAFT, "number": ""},
        {"kind": Invoice.Kind.CREDIT_NOTE},
    ],
)
def test_paid_cancelled_draft_invoices_and_credit_notes_get_no_reminder(studio, fields):
    invoice = open_invoice(studio, **fields)

    assert reminders_sweep(AFTER_DOWNTIME) == 0
    assert reminders(invoice) == []


def test_a_reminder_still_queued_is_cancelled_when_the_invoice_is_paid(studio):
    invoice = open_invoice(studio)
    night = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)
    reminders_sweep(night)

    invoice_record_payment(
        invoice=invoice, amount_minor=invoice.total_minor, paid_on=date(2026, 12, 1), method="bank", now=night
    )

    [email] = reminders(invoice)
    assert email.status == OutboxEmail.Status.CANCELLED
    assert reminders_sweep(AFTER_DOWNTIME) == 0


def test_a_reminder_still_queued_is_cancelled_when_the_invoice_is_cancelled(studio):
    invoice = open_invoice(studio)
    night = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)
    reminders_sweep(night)

    invoice_cancel(invoice=invoice, now=night)

    [email] = reminders(invoice)
    assert email.status == OutboxEmail.Status.CANCELLED


def test_the_studio_s_own_ladder_is_followed_and_an_empty_one_sends_nothing(studio):
    invoice = open_invoice(studio)
    profile = BillingProfile.objects.create(studio=studio, reminder_days=[1])

    assert reminders_sweep(THREE_BEFORE) == 0
    assert reminders_sweep(datetime(2026, 12, 5, 10, 0, tzinfo=UTC)) == 1
    assert [email.idempotency_key for email in reminders(invoice)] == [reminder_key(invoice.pk, 1)]

    profile.reminder_days = []
    profile.save()
    assert reminders_sweep(AFTER_DOWNTIME) == 0


def test_the_settings_form_reads_the_ladder_and_names_the_field_when_it_is_wrong(studio):
    profile = BillingProfile(studio=studio)
    data = {"number_pattern": "{year}-{seq:04d}", "payment_terms_days": 14}

    form = BillingProfileForm({**data, "reminders": "7, -3, 0 14"}, instance=profile)
    assert form.is_valid(), form.errors
    assert form.profile_values()["reminder_days"] == [-3, 0, 7, 14]
    assert BillingProfileForm(instance=profile).fields["reminders"].initial == "-3, 0, 7, 14"

    form = BillingProfileForm({**data, "reminders": "3 days"}, instance=profile)
    assert not form.is_valid()
    assert "Payment reminders" in form.errors["reminders"][0]


def test_an_invoice_due_longer_ago_than_any_step_is_not_read_any_more(studio):
    invoice = open_invoice(studio)

    assert reminders_sweep(datetime(2027, 6, 1, 10, 0, tzinfo=UTC)) == 0
    assert reminders(invoice) == []


def test_a_reminder_is_automated_mail_with_its_own_label():
    assert "invoice-reminder" in AUTOMATED_KINDS
    assert str(KIND_LABELS["invoice-reminder"]) == "Invoice reminder"


def test_the_invoice_email_still_held_for_working_hours_is_cancelled_once_the_invoice_is_paid(studio):
    invoice = open_invoice(studio)
    night = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)
    held = invoice_send(invoice=invoice, now=night)
    assert held.status == OutboxEmail.Status.QUEUED

    invoice_record_payment(
        invoice=invoice, amount_minor=invoice.total_minor, paid_on=date(2026, 12, 1), method="bank", now=night
    )

    held.refresh_from_db()
    assert held.status == OutboxEmail.Status.CANCELLED

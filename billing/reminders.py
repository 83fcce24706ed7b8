"""The ``invoice-reminders`` sweep: the reminder ladder of every open invoice.

A studio's ladder is ``BillingProfile.reminder_days``: days relative to the due date (``-3`` three
days before, ``0`` on the day, ``7`` a week late). Each step is one outbox email to the client, keyed
``invoice-reminder:{invoice}:{step}``, so a sweep run twice, or by two beats at once, writes one row.

Decisions (documented, tested):

- Only issued invoices (not credit notes) with a balance left and a due date are reminded; drafts,
  paid and cancelled ones never are. When an invoice is paid or cancelled, its reminders still
  waiting in the outbox are cancelled (``invoice_mail_cancel``, called by the billing services).
- After downtime only the latest step reached goes out, never two or three at once; an earlier step
  missed is not sent late. Invoices due more than ``MAX_STEP_DAYS`` days ago are not read at all (no
  step can fall due any more), so a tick's cost does not grow with years of unpaid invoices.
- A step whose day is on or before the issue date is skipped: the invoice email itself just told the
  client (an invoice issued two days before its due date gets no "due in three days").
- The day counts in the studio's local date; the email waits for the studio's working hours (R5),
  like all client mail, through ``send_after``.
- Overdue steps (after the due date) attach the invoice PDF; the friendly ones before it do not.
- The client's language (English or Russian), the portal link to the project's payments page.

Cost of a tick: one indexed query for the studios due (their local midnight came), then 3 to find what
is due there (their open invoices near their steps with client and project, the billing profiles, the
keys already used), then per email the recipients, the PDF and the row; one to reschedule the studios.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from django.db.models import F, Q
from django.utils import translation
from django.utils.translation import gettext

from billing.models import BillingProfile, Invoice, default_reminder_days
from billing.pdf import invoice_language, invoice_pdf
from billing.sending import INVOICE_TEMPLATE, PDF, _client_send_after, _filename, _first_name, invoice_recipients
from comms import outbox
from comms.mail import studio_email_send
from comms.models import OutboxEmail
from comms.notify import keys_already_used
from kernel.dates import day_date
from kernel.links import absolute_url
from kernel.money import format_money
from kernel.sweeps import due_studios, reschedule, sweep

logger = logging.getLogger("rapport.billing")

REMINDERS_JOB = "invoice-reminders"
TEMPLATE = "invoice-reminder"
KEY_PREFIX = "invoice-reminder"
# Steps are kept within a quarter of the due date either way (the settings page refuses more).
MAX_STEP_DAYS = 90
BATCH = 500


def reminder_key(invoice_id: int, step: int) -> str:
    return f"{KEY_PREFIX}:{invoice_id}:{step}"


def clean_steps(days: object) -> tuple[int, ...]:
    """The ladder from a stored value: distinct integers within ``MAX_STEP_DAYS``, in order."""
    if not isinstance(days, list | tuple):
        return ()
    steps = set()
    for day in days:
        if isinstance(day, int) and not isinstance(day, bool) and -MAX_STEP_DAYS <= day <= MAX_STEP_DAYS:
            steps.add(day)
    return tuple(sorted(steps))


def step_due(*, due_on: date, issue_date: date | None, steps: Sequence[int], today: date) -> int | None:
    """The latest step reached by ``today`` (after downtime only that one), or None.

    A step falling on or before the issue date is never due: the invoice itself was the news.
    """
    reached = [
        step
        for step in steps
        if due_on + timedelta(days=step) <= today and (issue_date is None or due_on + timedelta(days=step) > issue_date)
    ]
    return max(reached) if reached else None


def open_invoices():
    """Issued invoices (not credit notes) with a balance left and a due date, of clients not archived."""
    return Invoice.objects.filter(
        status=Invoice.Status.ISSUED,
        due_on__isnull=False,
        total_minor__gt=F("paid_minor"),
        client__archived_at__isnull=True,
    ).exclude(kind=Invoice.Kind.CREDIT_NOTE)


@sweep(REMINDERS_JOB)
def reminders_sweep(now: datetime, *, batch: int = BATCH) -> int:
    """Queue the latest step reached of each open invoice of the studios due, at most ``batch`` emails.

    A step is reached at a local midnight, so the studio schedule (``kernel.sweeps.AT_MIDNIGHT``) hands
    a tick only the studios whose midnight has come since they were last looked at; a changed ladder
    makes the studio due at once. Studios left over by the batch stay due for the next tick.
    """
    checked = due_studios(REMINDERS_JOB, now)
    studios = {moment.studio.pk: moment.studio for moment in checked}
    # Any studio's local date is within a day of UTC's; steps reach at most MAX_STEP_DAYS before the due date.
    latest_due = now.date() + timedelta(days=MAX_STEP_DAYS + 1)
    earliest_due = now.date() - timedelta(days=MAX_STEP_DAYS + 1)  # no step is left for older ones
    invoices = list(
        open_invoices()
        .filter(studio_id__in=list(studios), due_on__lte=latest_due, due_on__gte=earliest_due)
        .select_related("client", "project")
        .order_by("due_on", "pk")
    )
    for invoice in invoices:
        invoice.studio = studios[invoice.studio_id]
    written, left_over = send_steps_due(invoices, now=now, batch=batch)
    reschedule(REMINDERS_JOB, [moment for moment in checked if moment.studio.pk not in left_over], now)
    return written


def send_steps_due(invoices: list[Invoice], *, now: datetime, batch: int) -> tuple[int, set[int]]:
    """Queue each invoice's step due, at most ``batch``: (emails written, studios with some left over)."""
    if not invoices:
        return 0, set()
    profiles = {
        studio_id: clean_steps(days)
        for studio_id, days in BillingProfile.objects.filter(
            studio_id__in={invoice.studio_id for invoice in invoices}
        ).values_list("studio_id", "reminder_days")
    }
    default = clean_steps(default_reminder_days())
    due: list[tuple[Invoice, int, str]] = []
    for invoice in invoices:
        steps = profiles.get(invoice.studio_id, default)
        today = now.astimezone(invoice.studio.zoneinfo).date()
        step = step_due(due_on=invoice.due_on, issue_date=invoice.issue_date, steps=steps, today=today)
        if step is not None:
            due.append((invoice, step, reminder_key(invoice.pk, step)))
    used = keys_already_used((invoice.studio_id, key) for invoice, _step, key in due)
    written = 0
    left_over: set[int] = set()
    for invoice, step, key in due:
        if (invoice.studio_id, key) in used:
            continue
        if written >= batch:
            left_over.add(invoice.studio_id)  # the rest at the next tick
            continue
        try:
            if invoice_reminder_send(invoice=invoice, step=step, now=now) is not None:
                written += 1
        except ValueError:
            logger.warning("Invoice reminder %s not queued", key, exc_info=True)
    return written, left_over


def invoice_reminder_send(*, invoice: Invoice, step: int, now: datetime) -> OutboxEmail | None:
    """Queue the reminder of ``step`` for an open invoice (None when the client has nobody to write to)."""
    to, cc = invoice_recipients(invoice.client)
    if not to:
        return None
    language = invoice_language(invoice)
    overdue = step > 0
    attachments = []
    with translation.override(language):
        today = now.astimezone(invoice.studio.zoneinfo).date()
        days = abs((today - invoice.due_on).days)
        context = {
            "first_name": _first_name(invoice.client, to[0]),
            "number": invoice.number,
            "step": step,
            "days": days,
            "total": format_money(invoice.total_minor, invoice.currency, language=language),
            "balance": format_money(invoice.balance_minor, invoice.currency, language=language),
            "due_on": day_date(invoice.due_on, language=language),
            "payment_instructions": invoice.payment_instructions,
            "project_title": invoice.project.title if invoice.project_id else "",
            "portal_url": absolute_url("portal:invoice", pk=invoice.pk),
        }
        if overdue:
            attachments.append(
                {
                    "filename": _filename(gettext("Invoice %(number)s") % {"number": invoice.number}),
                    "mimetype": PDF,
                    "content": invoice_pdf(invoice),
                }
            )
    return studio_email_send(
        studio=invoice.studio,
        to=to,
        cc=cc,
        template=TEMPLATE,
        context=context,
        idempotency_key=reminder_key(invoice.pk, step),
        send_after=_client_send_after(invoice.studio, now),
        client=invoice.client,
        project=invoice.project,
        language=language,
        attachments=attachments,
    )


def invoice_emails(invoice: Invoice):
    """The invoice's own email and its reminders, newest first (one query)."""
    return (
        OutboxEmail.objects.filter(studio_id=invoice.studio_id)
        .filter(
            Q(idempotency_key=f"{INVOICE_TEMPLATE}:{invoice.pk}")
            | Q(idempotency_key__startswith=f"{KEY_PREFIX}:{invoice.pk}:")
        )
        .order_by("-created_at", "-pk")
    )


def invoice_mail_cancel(invoice: Invoice) -> int:
    """Cancel this invoice's mail still waiting in the outbox once it is paid or cancelled.

    Its reminders, and the invoice email itself when it is still held for working hours: a client
    who has paid meanwhile must not get "due by…" with the unpaid PDF.
    """
    waiting = OutboxEmail.objects.filter(
        Q(idempotency_key__startswith=f"{KEY_PREFIX}:{invoice.pk}:")
        | Q(idempotency_key=f"{INVOICE_TEMPLATE}:{invoice.pk}"),
        studio_id=invoice.studio_id,
        status=OutboxEmail.Status.QUEUED,
    )
    return sum(outbox.cancel(email) for email in waiting)

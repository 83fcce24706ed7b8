"""The freelancer told that a deposit invoice is paid (R11: "both sides are told").

The client hears from ``projects.services.work_started_notify`` when work starts on the deposit; the
studio's people get this note whether work started by itself (``Studio.start_work_on_deposit``) or
waits for them to start it. One email per invoice; it waits for the studio's working hours (R5).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import translation

from billing.models import Invoice
from billing.sending import member_addresses
from comms.mail import studio_email_send
from comms.models import OutboxEmail
from comms.notify import next_working_time
from kernel.links import absolute_url
from kernel.money import format_money
from projects.models import Project

DEPOSIT_PAID_TEMPLATE = "deposit-paid"


def deposit_paid_notify(*, invoice: Invoice, now: datetime) -> OutboxEmail | None:
    """Tell the studio's members that ``invoice`` (a paid deposit) has arrived, and whether work started."""
    if invoice.kind != Invoice.Kind.DEPOSIT or invoice.project_id is None:
        return None
    studio = invoice.studio
    members = member_addresses(studio)
    if not members:
        return None
    project = Project.objects.select_related("client").get(pk=invoice.project_id)
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "project_title": project.title,
            "client_name": project.client.name,
            "number": invoice.number,
            "amount": format_money(invoice.paid_minor, invoice.currency),
            "started": project.status == Project.Status.IN_PROGRESS,
            "project_url": absolute_url("projects:detail", pk=project.pk),
        }
    return studio_email_send(
        studio=studio,
        to=members,
        template=DEPOSIT_PAID_TEMPLATE,
        context=context,
        idempotency_key=f"{DEPOSIT_PAID_TEMPLATE}:{invoice.pk}",
        send_after=next_working_time(studio, now),
        language=settings.LANGUAGE_CODE,
    )

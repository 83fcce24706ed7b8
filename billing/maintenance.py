"""The ``maintenance-invoices`` sweep: each maintenance plan invoiced once a month, on its day.

A plan's day is its start's day of the month (clamped to the month's end), in the studio's zone.
One issued invoice per plan and month: the ``(maintenance_plan, period)`` unique constraint makes a
sweep run twice, or by two beats at once, write it once. A tick issues at most ``BATCH`` invoices;
the rest follow at the next ticks.

Cost of a tick: one indexed query for the studios due (their local midnight came, or a plan was saved),
then 3 to find what is due there (their invoices of the months in question, their active plans with the
client, the billing profiles), one to reschedule the studios, then about 7 per
invoice issued (savepoint, invoice, lines, the period's number row created once and locked, the
number saved, the invoice frozen).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q

from billing.models import BillingProfile, Invoice
from billing.services import maintenance_due, maintenance_invoice
from kernel.models import Studio
from kernel.sweeps import due_studios, reschedule, sweep
from projects.models import MaintenancePlan

logger = logging.getLogger("rapport.billing")

MAINTENANCE_JOB = "maintenance-invoices"
BATCH = 200


def _months_around(now: datetime) -> set[str]:
    """Every studio's local month at ``now`` is one of these (zones are within ±14 hours of UTC)."""
    return {f"{moment:%Y-%m}" for moment in (now - timedelta(hours=15), now, now + timedelta(hours=15))}


@sweep(MAINTENANCE_JOB)
def maintenance_sweep(now: datetime, *, batch: int = BATCH) -> int:
    """Invoice the active plans of the studios due whose day has come this month, at most ``batch``.

    A plan's day begins at a local midnight, so the studio schedule (``kernel.sweeps.AT_MIDNIGHT``)
    hands a tick only the studios whose midnight has come since they were last looked at; a plan
    saved makes its studio due at once. Studios left over by the batch stay due for the next tick.
    """
    checked = due_studios(MAINTENANCE_JOB, now)
    studios = {moment.studio.pk: moment.studio for moment in checked}
    written, left_over = invoice_plans_due(studios, now=now, batch=batch)
    reschedule(MAINTENANCE_JOB, [moment for moment in checked if moment.studio.pk not in left_over], now)
    return written


def invoice_plans_due(studios: dict[int, Studio], *, now: datetime, batch: int) -> tuple[int, set[int]]:
    """Issue this month's invoice of each plan of ``studios`` due: (invoices issued, studios left over)."""
    if not studios:
        return 0, set()
    months = _months_around(now)
    done = set(
        Invoice.objects.filter(studio_id__in=list(studios), maintenance_plan__isnull=False, period__in=months)
        .values_list("maintenance_plan_id", "period")
    )  # fmt: skip
    latest = (now + timedelta(days=1)).date()
    earliest = (now - timedelta(days=62)).date()
    plans = (
        MaintenancePlan.objects.filter(studio_id__in=list(studios), start_on__lte=latest)
        .filter(Q(end_on__isnull=True) | Q(end_on__gte=earliest))
        .select_related("client")
        .order_by("pk")
    )
    due: list[tuple[MaintenancePlan, str]] = []
    left_over: set[int] = set()
    for plan in plans:
        plan.studio = studios[plan.studio_id]
        period = maintenance_due(plan, now.astimezone(plan.studio.zoneinfo).date())
        if period is not None and (plan.pk, period) not in done:
            if len(due) >= batch:
                left_over.add(plan.studio_id)  # the rest at the next tick
                continue
            due.append((plan, period))
    if not due:
        return 0, left_over
    profiles = {
        profile.studio_id: profile
        for profile in BillingProfile.objects.filter(studio_id__in={plan.studio_id for plan, _ in due})
    }
    written = 0
    for plan, period in due:
        profile = profiles.get(plan.studio_id) or BillingProfile(studio=plan.studio)
        try:
            with transaction.atomic():
                maintenance_invoice(plan=plan, period=period, now=now, profile=profile)
        except IntegrityError:
            continue  # invoiced at the same moment by another sweep
        except ValueError:
            logger.exception("Maintenance plan %s could not be invoiced for %s", plan.pk, period)
            continue
        written += 1
    return written, left_over

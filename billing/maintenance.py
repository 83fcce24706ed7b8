"""The ``maintenance-invoices`` sweep: each maintenance plan invoiced once a month, on its day.

A plan's day is its start's day of the month (clamped to the month's end), in the studio's zone.
One issued invoice per plan and month: the ``(maintenance_plan, period)`` unique constraint makes a
sweep run twice, or by two beats at once, write it once. A tick issues at most ``BATCH`` invoices;
the rest follow at the next ticks.

Cost of a tick: 3 queries to find what is due (existing invoices of the months in question, the
active plans with their studio and client, the studios' billing profiles), then about 7 per
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
from kernel.sweeps import sweep
from projects.models import MaintenancePlan

logger = logging.getLogger("rapport.billing")

MAINTENANCE_JOB = "maintenance-invoices"
BATCH = 200


def _months_around(now: datetime) -> set[str]:
    """Every studio's local month at ``now`` is one of these (zones are within ±14 hours of UTC)."""
    return {f"{moment:%Y-%m}" for moment in (now - timedelta(hours=15), now, now + timedelta(hours=15))}


@sweep(MAINTENANCE_JOB)
def maintenance_sweep(now: datetime, *, batch: int = BATCH) -> int:
    months = _months_around(now)
    done = set(
        Invoice.objects.filter(maintenance_plan__isnull=False, period__in=months).values_list(
            "maintenance_plan_id", "period"
        )
    )
    latest = (now + timedelta(days=1)).date()
    earliest = (now - timedelta(days=62)).date()
    plans = (
        MaintenancePlan.objects.filter(start_on__lte=latest)
        .filter(Q(end_on__isnull=True) | Q(end_on__gte=earliest))
        .select_related("studio", "client")
        .order_by("pk")
    )
    due: list[tuple[MaintenancePlan, str]] = []
    for plan in plans.iterator(chunk_size=2000):
        period = maintenance_due(plan, now.astimezone(plan.studio.zoneinfo).date())
        if period is not None and (plan.pk, period) not in done:
            due.append((plan, period))
            if len(due) >= batch:
                break
    if not due:
        return 0
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
    return written

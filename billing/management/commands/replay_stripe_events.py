"""``manage.py replay_stripe_events [--id N ...] [--failed]``: run stored Stripe webhook events again.

For events that failed (the signing secret was missing or wrong, an invoice was not found…) once
the cause is fixed. The signature is checked again with the studio's current signing secret; an
event already applied is not applied twice (payments are unique by Stripe event id).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from billing.models import StripeEvent
from billing.stripe_pay import stripe_event_replay


class Command(BaseCommand):
    help = "Process stored Stripe webhook events again (by id, or every failed one)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--id", type=int, action="append", dest="ids", metavar="N", help="An event row id (repeatable)."
        )
        parser.add_argument("--failed", action="store_true", help="Every event whose status is failed.")

    def handle(self, *args: Any, ids: list[int] | None = None, failed: bool = False, **options: Any) -> None:
        if not ids and not failed:
            raise CommandError("Say which events to replay: --id N (repeatable) and/or --failed.")
        events = StripeEvent.objects.none()
        if ids:
            events = StripeEvent.objects.filter(pk__in=ids)
            missing = set(ids) - set(events.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"No Stripe event with id {', '.join(map(str, sorted(missing)))}.")
        if failed:
            events = events | StripeEvent.objects.filter(status=StripeEvent.Status.FAILED)
        still_failed = 0
        for event in events.order_by("pk"):
            result = stripe_event_replay(event=event, now=timezone.now())
            row = result.event
            if row.status == StripeEvent.Status.FAILED:
                still_failed += 1
                self.stdout.write(f"event {row.pk} ({row.event_id or '?'}): failed: {row.error}")
            else:
                self.stdout.write(f"event {row.pk} ({row.event_id}): {row.status}")
        if still_failed:
            raise CommandError(f"{still_failed} event(s) still failed.")

"""``manage.py replay_webhooks [--id N ...] [--failed]``: process stored ESP webhook payloads again.

For payloads that failed (an address no studio had, a parser bug…) once the cause is fixed.
Mail already filed from a payload is not filed twice (``receive`` is idempotent on Message-ID).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from comms.models import WebhookPayload
from comms.webhooks import replay_webhook_payload


class Command(BaseCommand):
    help = "Process stored ESP webhook payloads again (by id, or every failed one)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--id", type=int, action="append", dest="ids", metavar="N", help="A payload id (repeatable)."
        )
        parser.add_argument("--failed", action="store_true", help="Every payload whose status is failed.")

    def handle(self, *args: Any, ids: list[int] | None = None, failed: bool = False, **options: Any) -> None:
        if not ids and not failed:
            raise CommandError("Say which payloads to replay: --id N (repeatable) and/or --failed.")
        payloads = WebhookPayload.objects.none()
        if ids:
            payloads = WebhookPayload.objects.filter(pk__in=ids)
            missing = set(ids) - set(payloads.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"No webhook payload with id {', '.join(map(str, sorted(missing)))}.")
        if failed:
            payloads = payloads | WebhookPayload.objects.filter(status=WebhookPayload.Status.FAILED)
        still_failed = 0
        for payload in payloads.order_by("pk"):
            replay_webhook_payload(payload)
            if payload.status == WebhookPayload.Status.FAILED:
                still_failed += 1
                self.stdout.write(f"payload {payload.pk} ({payload.esp} {payload.kind}): failed: {payload.error}")
            else:
                self.stdout.write(f"payload {payload.pk} ({payload.esp} {payload.kind}): {payload.status}")
        if still_failed:
            raise CommandError(f"{still_failed} payload(s) still failed.")

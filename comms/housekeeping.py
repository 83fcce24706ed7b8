"""Keeping stored mail data to what is needed: webhook bodies carry whole messages with attachments."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from comms.models import WebhookPayload
from comms.webhooks import replay_stranded
from kernel.sweeps import sweep

# Rows deleted per tick at most, so one tick stays short even after a long outage.
PRUNE_BATCH = 1_000


@sweep("prune-webhook-payloads")
def prune_webhook_payloads(now: datetime) -> int:
    """Delete webhook bodies processed more than ``WEBHOOK_PAYLOAD_RETENTION_DAYS`` ago.

    A processed payload is already a message (whose raw email is kept) or a delivery status on an
    outbox row; failed payloads stay until someone replays them, however old.
    """
    cutoff = now - timedelta(days=settings.WEBHOOK_PAYLOAD_RETENTION_DAYS)
    old = WebhookPayload.objects.filter(status=WebhookPayload.Status.PROCESSED, received_at__lt=cutoff)
    pks = list(old.order_by("received_at").values_list("pk", flat=True)[:PRUNE_BATCH])
    deleted, _ = WebhookPayload.objects.filter(pk__in=pks).delete()
    return deleted


@sweep("stranded-webhook-payloads")
def stranded_webhook_payloads(now: datetime) -> int:
    """File webhook bodies stored but never processed (the database dropped mid-request), or fail them with why."""
    return replay_stranded(now)

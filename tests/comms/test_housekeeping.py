from datetime import UTC, datetime, timedelta

import time_machine

from comms.housekeeping import prune_webhook_payloads
from comms.models import WebhookPayload

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


def payload(status: str, age_days: int) -> WebhookPayload:
    with time_machine.travel(NOW - timedelta(days=age_days), tick=False):
        return WebhookPayload.objects.create(esp="mailgun", kind="inbound", body=b"x" * 100, status=status)


def test_old_processed_webhook_bodies_are_pruned_and_failed_ones_kept(db):
    old = payload("processed", 31)
    recent = payload("processed", 29)
    failed = payload("failed", 400)

    assert prune_webhook_payloads(NOW) == 1
    assert set(WebhookPayload.objects.values_list("pk", flat=True)) == {recent.pk, failed.pk}
    assert not WebhookPayload.objects.filter(pk=old.pk).exists()
    assert prune_webhook_payloads(NOW) == 0

"""Delivery events from the ESP (anymail's ``tracking`` signal) written onto the outbox row they concern.

Events arrive late, out of order and once per recipient, so the row keeps the *worst* news
rather than the latest: a bounce after "delivered" wins, an "opened" after a bounce does not
hide it. Among equally bad events the latest one is kept.
"""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

from anymail.signals import AnymailTrackingEvent, EventType
from django.db import transaction

from comms.models import OutboxEmail
from comms.webhooks import current_outcome

logger = logging.getLogger("rapport.tracking")

# Higher is worse (or further along); an event replaces the stored status when its rank is >=.
SEVERITY = {
    EventType.QUEUED: 1,
    EventType.SENT: 1,
    EventType.DEFERRED: 2,
    EventType.DELIVERED: 3,
    EventType.AUTORESPONDED: 3,
    EventType.OPENED: 4,
    EventType.CLICKED: 5,
    EventType.UNSUBSCRIBED: 6,
    EventType.COMPLAINED: 7,
    EventType.REJECTED: 8,
    EventType.FAILED: 8,
    EventType.BOUNCED: 8,
}


class TrackingResult(NamedTuple):
    matched: int  # outbox rows sent with the event's message id
    updated: int  # of those, rows whose delivery status changed


# Events that mean the mail did not reach the client: also written to ``last_error``.
UNDELIVERED = frozenset({EventType.BOUNCED, EventType.REJECTED, EventType.FAILED})


def tracking_event_apply(event: AnymailTrackingEvent, *, esp_name: str = "") -> TrackingResult:
    """Record one tracking event on the outbox rows sent with its ESP message id.

    Unknown event types and message ids nobody here sent are ignored (and logged): ESPs also
    report mail sent by other systems sharing the account.
    """
    status = str(event.event_type or "")
    message_id = str(event.message_id or "").strip()
    if status not in SEVERITY or not message_id:
        logger.info("Ignoring %s tracking event %r (message id %r)", esp_name, status, message_id)
        return TrackingResult(matched=0, updated=0)
    detail = describe(event)
    matched = updated = 0
    with transaction.atomic():
        for email in OutboxEmail.objects.select_for_update().filter(esp_message_id=message_id):
            matched += 1
            if SEVERITY[status] < SEVERITY.get(email.delivery_status, 0):
                continue
            email.delivery_status = status
            email.delivery_detail = detail
            fields = ["delivery_status", "delivery_detail"]
            if status in UNDELIVERED:
                email.last_error = detail
                fields.append("last_error")
            email.save(update_fields=fields)
            updated += 1
    if not matched:
        logger.info("Ignoring %s %s event for unknown message id %s", esp_name, status, message_id)
    return TrackingResult(matched=matched, updated=updated)


def describe(event: AnymailTrackingEvent) -> str:
    """One line for the outbox page: what happened, to whom, and the ESP's or mail server's words."""
    parts = [str(event.event_type)]
    if event.recipient:
        parts.append(f"for {event.recipient}")
    if event.timestamp:
        parts.append(f"at {event.timestamp.isoformat()}")
    words = [text for text in (event.description, event.mta_response) if text]
    if event.reject_reason and event.event_type in UNDELIVERED:
        words.append(f"reason: {event.reject_reason}")
    line = " ".join(parts)
    return f"{line}: {'; '.join(str(word) for word in words)}" if words else line


def on_tracking(sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any) -> None:
    """Receiver for ``anymail.signals.tracking`` (connected in ``CommsConfig.ready``)."""
    result = tracking_event_apply(event, esp_name=esp_name)
    outcome = current_outcome()
    if outcome is None:
        return
    if result.matched:
        outcome.handled += 1
    else:
        outcome.ignored.append(f"{event.event_type} event for unknown message id {event.message_id!r}")

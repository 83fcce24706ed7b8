"""Telling the freelancer: when a notification may leave (R5), which keys a sweep already used, and the queueing.

Every sweep that writes to the studio's people goes through here, so each notification waits for
working hours the same way and a repeated tick queues nothing new.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from comms.mail import studio_email_send
from comms.models import OutboxEmail
from comms.scheduling import quiet_hours_send_after
from kernel.models import Studio

# Pairs per query when asking which keys are used (see keys_already_used).
KEY_CHUNK = 50


def keys_already_used(pairs: Iterable[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which of these (studio id, idempotency key) pairs already have an outbox row.

    ``studio_id IN … AND idempotency_key IN …`` probes the unique (studio, key) index once per
    combination of the two lists, so the pairs go ``KEY_CHUNK`` at a time: one query for the handful a
    reminder tick finds, a few for a thousand studios at their digest hour.
    """
    pairs = sorted(set(pairs))
    used: set[tuple[int, str]] = set()
    for start in range(0, len(pairs), KEY_CHUNK):
        chunk = pairs[start : start + KEY_CHUNK]
        rows = OutboxEmail.objects.filter(
            studio_id__in={studio_id for studio_id, _key in chunk}, idempotency_key__in={key for _id, key in chunk}
        )
        used.update(rows.order_by().values_list("studio_id", "idempotency_key"))
    return used & set(pairs)


def next_working_time(studio: Studio, now: datetime) -> datetime:
    """When a notification to the freelancer may go out: ``now`` in working time, else the next opening.

    The one rule (R5) for everything Rapport tells the freelancer, the digest included. A studio
    without any opening hours is never quiet.
    """
    if not studio.working_hours:
        return now
    return quiet_hours_send_after(
        now, tz=studio.zoneinfo, working_hours=studio.working_hours, holidays=studio.holiday_spec
    )


def may_notify_freelancer(studio: Studio, now: datetime) -> bool:
    """True when a notification to the freelancer would leave at once (``next_working_time``)."""
    return next_working_time(studio, now) <= now


def notify_freelancer(
    studio: Studio,
    *,
    to: list[str],
    kind: str,
    key: str,
    template: str,
    context: Mapping[str, Any],
    now: datetime,
) -> OutboxEmail | None:
    """Queue a reminder to the studio's people, keyed so a repeated sweep queues nothing new.

    It leaves at ``next_working_time``: outside working hours it waits for the next opening (R5).
    Returns the outbox row (the existing one when ``key`` was already used), or None when the studio
    has nobody to tell.
    """
    if not to:
        return None
    return studio_email_send(
        studio=studio,
        to=to,
        template=template,
        context=context,
        kind=kind,
        idempotency_key=key,
        send_after=next_working_time(studio, now),
    )

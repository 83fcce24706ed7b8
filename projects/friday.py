"""The Friday rule: every active project's client hears from the studio once per ISO week.

Pure functions only: no ORM, no clock. Weeks are ISO weeks in the studio's local time zone.
A project is active for the week when it is active on that week's Friday (local calendar dates,
both ends inclusive). Its update is due unless the client is covered: an outbound message was
sent to any of the client's contacts (To, Cc or Bcc) from local Monday 00:00 (inclusive) to
local Saturday 00:00 (exclusive), whatever project it was about, and not after ``now``: mail
scheduled for later is not sent yet. Holidays do not move the rule.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from kernel.dates import iso_week_key, local_midnight

FRIDAY_OFFSET = timedelta(days=4)
SATURDAY_OFFSET = timedelta(days=5)


@dataclass(frozen=True, slots=True)
class WeekBounds:
    """One local ISO week: its key, its Monday and Friday, and the covering interval.

    ``starts_at`` is local Monday 00:00 and ``covered_until`` local Saturday 00:00, both aware in
    the studio's zone; a message covers the week when ``starts_at <= sent_at < covered_until``.
    """

    key: str
    monday: date
    friday: date
    starts_at: datetime
    covered_until: datetime


def normalize_email(address: str) -> str:
    """Return ``address`` as compared by the rule: surrounding whitespace stripped, lower-cased."""
    return address.strip().lower()


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {moment!r}")


def week_bounds(now: datetime, tz: ZoneInfo) -> WeekBounds:
    """Return the bounds of the ISO week that contains ``now`` in ``tz``.

    ``now`` must be aware (``ValueError`` otherwise). Saturday and Sunday belong to the week that
    started on the preceding Monday.
    """
    _require_aware(now, "now")
    local_day = now.astimezone(tz).date()
    monday = local_day - timedelta(days=local_day.weekday())
    return WeekBounds(
        key=iso_week_key(monday),
        monday=monday,
        friday=monday + FRIDAY_OFFSET,
        starts_at=local_midnight(monday, tz),
        covered_until=local_midnight(monday + SATURDAY_OFFSET, tz),
    )


def is_active_on(day: date, *, active_from: date, active_until: date | None) -> bool:
    """Return whether a project active from ``active_from`` to ``active_until`` (inclusive) is on ``day``."""
    return active_from <= day and (active_until is None or active_until >= day)


def covered_addresses(
    bounds: WeekBounds, outbound: Iterable[tuple[datetime, Collection[str]]], *, now: datetime | None = None
) -> set[str]:
    """Return the normalized recipients of messages sent within ``bounds``' covering interval.

    ``outbound`` is ``(sent at, all recipients)``; ``sent at`` must be aware (``ValueError``).
    With ``now``, mail whose ``sent at`` is later than ``now`` is ignored (``sent_at <= now``).
    Instants are compared in UTC, so wall-clock folds cannot blur the bounds.
    """
    starts_at = bounds.starts_at.astimezone(UTC)
    covered_until = bounds.covered_until.astimezone(UTC)
    if now is not None:
        _require_aware(now, "now")
    latest = None if now is None else now.astimezone(UTC)
    addresses: set[str] = set()
    for sent_at, recipients in outbound:
        _require_aware(sent_at, "sent_at")
        moment = sent_at.astimezone(UTC)
        if starts_at <= moment < covered_until and (latest is None or moment <= latest):
            addresses.update(normalize_email(recipient) for recipient in recipients)
    addresses.discard("")
    return addresses


def updates_due(
    *,
    now: datetime,
    tz: ZoneInfo,
    projects: Iterable[tuple[int, Collection[str], date, date | None]],
    outbound: Iterable[tuple[datetime, Collection[str]]],
) -> tuple[str, set[int]]:
    """Return the key of the local ISO week containing ``now`` and the ids of projects due an update.

    ``projects`` is ``(id, the client's contact emails, active from, active until or None)``.
    A project is due when it is active on the week's Friday and none of its client's contacts
    received an outbound message from Monday 00:00 to Saturday 00:00 local; mail whose ``sent at``
    is later than ``now`` is ignored. A project whose
    client has no contact email is never covered.
    """
    bounds = week_bounds(now, tz)
    covered = covered_addresses(bounds, outbound, now=now)
    due: set[int] = set()
    for project_id, contact_emails, active_from, active_until in projects:
        if not is_active_on(bounds.friday, active_from=active_from, active_until=active_until):
            continue
        if any(normalize_email(email) in covered for email in contact_emails):
            continue
        due.add(project_id)
    return bounds.key, due

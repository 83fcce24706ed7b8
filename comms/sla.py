"""Reply SLA: when an answer to an inbound message is due. Pure: no ORM, no settings, no clock."""

from __future__ import annotations

import math
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from kernel.workhours import add_working_time


class SlaMode(StrEnum):
    """How an SLA amount of hours is counted."""

    CALENDAR = "calendar"
    """Elapsed hours, around the clock (weekends, holidays and opening hours ignored)."""
    BUSINESS = "business"
    """Working hours only, per the studio's working calendar."""


def due_at(
    received_at: datetime,
    *,
    tz: ZoneInfo,
    working_hours: dict[int, tuple[time, time]],
    holidays: tuple[str, str | None] | None,
    mode: str,
    amount: float,
) -> datetime:
    """The instant a reply to a message received at ``received_at`` is due, expressed in ``tz``.

    * ``calendar``: ``received_at`` plus ``amount`` hours of elapsed time (UTC arithmetic, so a DST
      change moves the local wall-clock result by the shift).
    * ``business``: the clock starts at ``received_at`` if that is working time, else at the next
      opening, and runs only during working time (wall-clock hours, see ``kernel.workhours``); the result
      is the earliest instant at which ``amount`` working hours have elapsed. Landing exactly on a
      closing instant gives that closing instant, not the next opening.

    ``mode`` is a ``SlaMode`` or its string value; ``amount`` is a positive, possibly fractional, number
    of hours. Raises ``ValueError`` for a naive ``received_at``, an unknown mode, a non-positive or
    non-finite amount, invalid working hours, an unknown holiday calendar, or (business mode) a
    calendar without any working day.
    """
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise ValueError(f"received_at must be an aware datetime, got naive {received_at!r}.")
    sla_mode = _parse_mode(mode)
    if not math.isfinite(amount) or amount <= 0:
        raise ValueError(f"SLA amount must be a positive number of hours, got {amount!r}.")
    duration = timedelta(hours=amount)
    if sla_mode is SlaMode.CALENDAR:
        return (received_at.astimezone(UTC) + duration).astimezone(tz)
    return add_working_time(received_at, duration, tz=tz, working_hours=working_hours, holidays=holidays)


def _parse_mode(mode: str) -> SlaMode:
    try:
        return SlaMode(mode)
    except ValueError:
        choices = ", ".join(repr(member.value) for member in SlaMode)
        raise ValueError(f"Unknown SLA mode {mode!r}; expected one of {choices}.") from None

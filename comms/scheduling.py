"""When client mail may leave: quiet hours (R5) and the cool-off for heated emails (R6).

Pure functions over the studio's working calendar (``kernel.workhours``): no ORM, no clock. Every
datetime taken must be aware; every datetime returned is aware and expressed in ``tz``. The outbox
carries the result as ``send_after``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

from kernel.workhours import HolidaySpec, WorkingHours, next_opening, next_working_instant


@dataclass(frozen=True)
class CoolOff:
    """The two send times a heated email is offered (R6)."""

    later: datetime
    """``hours`` of elapsed time from now (the caller applies quiet hours to it for client mail)."""
    next_morning: datetime
    """The first working opening on a later local day than now: the morning after tonight."""


def quiet_hours_send_after(
    now: datetime, *, tz: tzinfo, working_hours: WorkingHours, holidays: HolidaySpec | None
) -> datetime:
    """``now`` if it is working time, else the studio's next opening (R5: mail waits for working hours)."""
    return next_working_instant(now, tz=tz, working_hours=working_hours, holidays=holidays)


# Before this local time, "tomorrow morning" means the coming morning, not the one after.
NIGHT_ENDS = timedelta(hours=5)


def cool_off_options(
    now: datetime, *, hours: float, tz: tzinfo, working_hours: WorkingHours, holidays: HolidaySpec | None
) -> CoolOff:
    """Offer "``hours`` later" and "next morning" for a heated email.

    ``later`` is elapsed time (UTC arithmetic), so a DST change does not stretch or shrink the wait.
    ``next_morning`` skips the rest of today even when today's opening is still ahead: an email written
    at 07:00 waits for tomorrow's opening, not for 09:00 the same day. The small hours still belong to
    the evening before (``NIGHT_ENDS``): written at 02:00, it waits for that same morning's opening.
    """
    if hours <= 0:
        raise ValueError(f"A cool-off must last a positive number of hours, got {hours}.")
    later = (now.astimezone(UTC) + timedelta(hours=hours)).astimezone(tz)
    tomorrow = (now.astimezone(tz) - NIGHT_ENDS).date() + timedelta(days=1)
    start_of_tomorrow = datetime.combine(tomorrow, time()).replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
    morning = next_opening(start_of_tomorrow, tz=tz, working_hours=working_hours, holidays=holidays)
    return CoolOff(later=later, next_morning=morning)

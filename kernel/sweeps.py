"""Scheduled work as idempotent sweeps: what is due *now*, in each studio's own local time.

Beat runs ``run_sweeps`` every few minutes. Each registered sweep asks the database what is due
and writes outbox rows whose idempotency key is ``kind:object:period`` — so a sweep run twice, by
two beats at once, or after days of downtime produces the same rows, and nothing else sends
scheduled mail. A sweep decides itself what is stale (a digest for a past day is never sent).

Each app registers its own sweeps: its ``AppConfig.ready`` imports the modules that hold them, so
they run in the order of ``INSTALLED_APPS`` (the desk's digest last) and the kernel names none.
Helpers here are shared by the sweeps of every app: which studios are due at their local hour and
who the freelancer is; ``comms.notify`` tells them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from kernel import workhours
from kernel.models import Membership, Studio, SweepSchedule

logger = logging.getLogger("rapport.sweeps")

Sweep = Callable[[datetime], int]
SWEEPS: dict[str, Sweep] = {}


def sweep(name: str) -> Callable[[Sweep], Sweep]:
    """Register ``function(now) -> rows written`` to run on every beat tick under ``name``."""

    def register(function: Sweep) -> Sweep:
        SWEEPS[name] = function
        return function

    return register


def run_sweeps(now: datetime, *, names: Iterable[str] | None = None) -> dict[str, int | str]:
    """Run every registered sweep (or ``names``); one failing sweep is logged and never stops the others."""
    results: dict[str, int | str] = {}
    for name in names or list(SWEEPS):
        try:
            results[name] = SWEEPS[name](now)
        except Exception as error:
            logger.exception("Sweep %s failed", name)
            results[name] = f"failed: {type(error).__name__}: {error}"
    return results


def load_sweeps() -> list[str]:
    """The names of every registered sweep, in running order (each app registers its own in ``ready``)."""
    return list(SWEEPS)


@dataclass(frozen=True)
class LocalMoment:
    """A studio's local view of an instant: its date, whether it is a working day, the local time."""

    studio: Studio
    local: datetime
    schedule: SweepSchedule | None = None

    @property
    def today(self) -> date:
        return self.local.date()

    @property
    def is_working_day(self) -> bool:
        return workhours.is_working_day(
            self.today, working_hours=self.studio.working_hours, holidays=self.studio.holiday_spec
        )

    def reached(self, hour: int) -> bool:
        """True once the local clock has passed ``hour``:00 today (so a late tick still counts today)."""
        return self.local.hour >= hour


def studios_local(now: datetime, studios: QuerySet[Studio] | None = None) -> Iterable[LocalMoment]:
    """Every studio (one query) with its local moment at ``now``."""
    for studio in (studios if studios is not None else Studio.objects.all()).order_by("pk"):
        yield LocalMoment(studio=studio, local=now.astimezone(studio.zoneinfo))


# When a scheduled job looks at a studio again once it has handled it: at a local hour held by a studio
# setting, at local midnight (items that fall due by the local date), or at the studio's next opening
# (items due by the local date and written only inside working hours).
AT_MIDNIGHT = "midnight"
AT_OPENING = "opening"
SCHEDULED_JOBS: dict[str, str] = {
    "daily-digest": "digest_hour",
    "friday": "friday_update_hour",
    "touchpoints": "digest_hour",
    "past-clients": "digest_hour",
    "yearly-card": "digest_hour",
    "anniversaries": "digest_hour",
    "deposits": AT_OPENING,
    "surveys": AT_OPENING,
    "invoice-reminders": AT_MIDNIGHT,
    "maintenance-invoices": AT_MIDNIGHT,
}
# Settings that move a studio's local hours or days: saving any of them makes every scheduled job due again.
SCHEDULE_FIELDS = frozenset(
    {"timezone", "working_hours_json", "holiday_country", "holiday_subdivision", "digest_hour", "friday_update_hour",
     "yearly_card_month", "past_clients_per_week", "deposit_reminder_days", "survey_after_days"}
)  # fmt: skip


def due_studios(job: str, now: datetime) -> list[LocalMoment]:
    """Studios whose next check for ``job`` has come, with their local moment: one indexed query.

    Cost follows the studios due, not the studios stored. A sweep reschedules the ones it handled
    (``reschedule``); one that failed stays due and is tried again at the next tick.
    """
    schedules = SweepSchedule.objects.filter(job=job, next_run_at__lte=now).select_related("studio").order_by("pk")
    return [
        LocalMoment(studio=schedule.studio, local=now.astimezone(schedule.studio.zoneinfo), schedule=schedule)
        for schedule in schedules
    ]


def next_check_at(studio: Studio, job: str, now: datetime) -> datetime:
    """When to look at the studio next for ``job``: its local hour today if still ahead, else tomorrow's.

    A job checked at the opening is next checked at the next opening after ``now`` (the next working
    day's when the studio is open now).
    """
    tz = studio.zoneinfo
    when = SCHEDULED_JOBS[job]
    if when == AT_OPENING:
        try:
            return workhours.next_opening(now, tz=tz, working_hours=studio.working_hours, holidays=studio.holiday_spec)
        except ValueError:  # never opens: nothing it holds is written, look again tomorrow
            when = AT_MIDNIGHT
    hour = 0 if when == AT_MIDNIGHT else getattr(studio, when)
    local = now.astimezone(tz)
    day = local.date() if local.hour < hour else local.date() + timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=tz).astimezone(UTC)


def reschedule(job: str, moments: Iterable[LocalMoment], now: datetime) -> None:
    """After handling the studios of one tick: each is next due at its next local hour (one query)."""
    schedules = [moment.schedule for moment in moments if moment.schedule is not None]
    for schedule in schedules:
        schedule.next_run_at = next_check_at(schedule.studio, job, now)
    if schedules:
        SweepSchedule.objects.bulk_update(schedules, ["next_run_at"])


@contextmanager
def scheduled(job: str, now: datetime) -> Iterator[list[LocalMoment]]:
    """The studios due for ``job`` this tick; rescheduled when the block finishes, kept due if it raises."""
    checked = due_studios(job, now)
    yield checked
    reschedule(job, checked, now)


def schedules_reset(studio: Studio, now: datetime | None = None) -> None:
    """Make every scheduled job due for ``studio`` (a new studio, or its hours changed)."""
    at = now or timezone.now()
    SweepSchedule.objects.bulk_create(
        [SweepSchedule(studio=studio, job=job, next_run_at=at) for job in SCHEDULED_JOBS],
        update_conflicts=True,
        unique_fields=["studio", "job"],
        update_fields=["next_run_at"],
    )


def schedule_due_now(studio_id: int, job: str, now: datetime | None = None) -> None:
    """Look at the studio for ``job`` at the next tick: something it holds may have fallen due already."""
    at = now or timezone.now()
    SweepSchedule.objects.filter(studio_id=studio_id, job=job, next_run_at__gt=at).update(next_run_at=at)


def freelancer_addresses(studio_ids: Iterable[int]) -> dict[int, list[str]]:
    """Each studio's active owners' emails, oldest membership first: one query for many studios."""
    addresses: dict[int, list[str]] = {}
    rows = (
        Membership.objects.filter(studio_id__in=list(studio_ids), role=Membership.Role.OWNER, user__is_active=True)
        .order_by("studio_id", "created_at")
        .values_list("studio_id", "user__email")
    )
    for studio_id, email in rows:
        addresses.setdefault(studio_id, []).append(email)
    return addresses

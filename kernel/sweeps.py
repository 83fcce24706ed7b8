"""Scheduled work as idempotent sweeps: what is due *now*, in each studio's own local time.

Beat runs ``run_sweeps`` every few minutes. Each registered sweep asks the database what is due
and writes outbox rows whose idempotency key is ``kind:object:period`` — so a sweep run twice, by
two beats at once, or after days of downtime produces the same rows, and nothing else sends
scheduled mail. A sweep decides itself what is stale (a digest for a past day is never sent).

Helpers here are shared by the sweeps of every app: which studios are at a given local hour, who
the freelancer is, and one function to notify them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet

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
    load_sweeps()
    results: dict[str, int | str] = {}
    for name in names or list(SWEEPS):
        try:
            results[name] = SWEEPS[name](now)
        except Exception as error:
            logger.exception("Sweep %s failed", name)
            results[name] = f"failed: {type(error).__name__}: {error}"
    return results


SWEEP_MODULES = ("comms.reminders", "projects.reminders", "clients.reminders", "desk.digest", "comms.housekeeping")


def load_sweeps() -> list[str]:
    """Import every module that registers sweeps; the names of all sweeps, in running order."""
    from importlib import import_module

    for module in SWEEP_MODULES:
        import_module(module)
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


# The hour-based sweeps, each with the studio setting that holds its local hour.
SCHEDULED_JOBS: dict[str, str] = {
    "daily-digest": "digest_hour",
    "friday": "friday_update_hour",
    "touchpoints": "digest_hour",
    "past-clients": "digest_hour",
    "yearly-card": "digest_hour",
    "anniversaries": "digest_hour",
}
# Settings that move a studio's local hours: saving any of them makes every scheduled job due again.
SCHEDULE_FIELDS = frozenset(
    {"timezone", "working_hours_json", "holiday_country", "holiday_subdivision", "digest_hour", "friday_update_hour",
     "yearly_card_month", "past_clients_per_week"}
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
    """The job's local hour today if it is still ahead, else tomorrow's: when to look at the studio next."""
    tz = studio.zoneinfo
    local = now.astimezone(tz)
    hour = getattr(studio, SCHEDULED_JOBS[job])
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
    from django.utils import timezone

    at = now or timezone.now()
    SweepSchedule.objects.bulk_create(
        [SweepSchedule(studio=studio, job=job, next_run_at=at) for job in SCHEDULED_JOBS],
        update_conflicts=True,
        unique_fields=["studio", "job"],
        update_fields=["next_run_at"],
    )


# Pairs per query when asking which keys are used (see keys_already_used).
KEY_CHUNK = 50


def keys_already_used(pairs: Iterable[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which of these (studio id, idempotency key) pairs already have an outbox row.

    ``studio_id IN … AND idempotency_key IN …`` probes the unique (studio, key) index once per
    combination of the two lists, so the pairs go ``KEY_CHUNK`` at a time: one query for the handful a
    reminder tick finds, a few for a thousand studios at their digest hour.
    """
    from comms.models import OutboxEmail

    pairs = sorted(set(pairs))
    used: set[tuple[int, str]] = set()
    for start in range(0, len(pairs), KEY_CHUNK):
        chunk = pairs[start : start + KEY_CHUNK]
        rows = OutboxEmail.objects.filter(
            studio_id__in={studio_id for studio_id, _key in chunk}, idempotency_key__in={key for _id, key in chunk}
        )
        used.update(rows.order_by().values_list("studio_id", "idempotency_key"))
    return used & set(pairs)


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


def next_working_time(studio: Studio, now: datetime) -> datetime:
    """When a notification to the freelancer may go out: ``now`` in working time, else the next opening.

    The one rule (R5) for everything Rapport tells the freelancer, the digest included. A studio
    without any opening hours is never quiet.
    """
    from comms.scheduling import quiet_hours_send_after

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
):
    """Queue a reminder to the studio's people, keyed so a repeated sweep queues nothing new.

    It leaves at ``next_working_time``: outside working hours it waits for the next opening (R5).
    Returns the outbox row (the existing one when ``key`` was already used), or None when the studio
    has nobody to tell.
    """
    from comms.mail import studio_email_send

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

"""The Celery app. Beat is a metronome, the database is the calendar.

Every scheduled job is a sweep that asks the database what is due now, so a
tick run twice, late or by two beat processes produces the same rows. Enqueue
work from request code with `task.delay_on_commit(...)`, never plain `.delay`
inside a transaction.
"""

import logging
import os
import time
from pathlib import Path
from typing import Any

from celery import Celery, signals
from celery.beat import PersistentScheduler
from celery.schedules import crontab
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

app = Celery("rapport")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_scheduler = "crm.celery:HeartbeatScheduler"
app.conf.beat_schedule = {
    "heartbeat": {"task": "kernel.tasks.heartbeat", "schedule": crontab(minute="*")},
    # Each sweep asks the database what is due in each studio's own timezone.
    "tier-recompute-sweep": {"task": "clients.tasks.sweep_tier_recompute", "schedule": crontab(minute="*/15")},
    # Sends due outbox emails; `expires` keeps ticks missed while no worker ran from piling up.
    "outbox-deliver": {
        "task": "comms.tasks.deliver_outbox",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    # Reminders, digests and surveys: each sweep writes what is due now as keyed outbox rows.
    "sweeps": {"task": "kernel.tasks.sweep", "schedule": crontab(minute="*/5"), "options": {"expires": 280}},
    # Only UIDs above the last one seen are fetched, so a tick run twice files nothing twice.
    "imap-poll": {"task": "comms.tasks.poll_imap", "schedule": crontab(minute="*/2"), "options": {"expires": 110}},
}

HEARTBEAT_EVERY_SECONDS = 30


def _ensure_filesystem_broker_folders() -> None:
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        if key in options:
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@signals.celeryd_init.connect
@signals.beat_init.connect
def _prepare_broker(**_: Any) -> None:
    _ensure_filesystem_broker_folders()


class HeartbeatScheduler(PersistentScheduler):
    """Beat's scheduler that also records "beat is alive" every half minute."""

    _last_heartbeat = 0.0

    def tick(self, *args: Any, **kwargs: Any) -> float:
        delay = super().tick(*args, **kwargs)
        if time.monotonic() - self._last_heartbeat >= HEARTBEAT_EVERY_SECONDS:
            from kernel.heartbeat import heartbeat_record  # models load only once Django is set up

            heartbeat_record(source="beat")
            self._last_heartbeat = time.monotonic()
        return min(delay, HEARTBEAT_EVERY_SECONDS)


_last_worker_heartbeat = 0.0


@signals.worker_ready.connect
def _worker_ready_heartbeat(**_: Any) -> None:
    """Say "alive" at start-up, not only after the first scheduled task a minute later."""
    from kernel.heartbeat import heartbeat_record  # models load only once Django is set up

    heartbeat_record(source="worker", detail="started")


@signals.worker_ready.connect
def _reclaim_outbox_at_start(**_: Any) -> None:
    """Settle outbox rows a dead worker left in "sending", once at start-up (every tick does it too).

    The rule is the timeout of ``comms.outbox.reclaim_stuck``, never "claimed before I started":
    other workers sharing the database may be alive and busy with their own rows.
    """
    from comms.outbox import reclaim_stuck  # models load only once Django is set up, after this module

    try:
        reclaim_stuck()
    except Exception:  # the database is not reachable yet: the first delivery tick reclaims instead
        logging.getLogger("rapport.outbox").warning("Could not reclaim stuck outbox rows at start-up.", exc_info=True)


@signals.task_postrun.connect
def _worker_heartbeat(**_: Any) -> None:
    global _last_worker_heartbeat
    if time.monotonic() - _last_worker_heartbeat < HEARTBEAT_EVERY_SECONDS:
        return
    from kernel.heartbeat import heartbeat_record  # models load only once Django is set up

    heartbeat_record(source="worker")
    _last_worker_heartbeat = time.monotonic()

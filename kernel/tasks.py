from celery import shared_task
from django.utils import timezone

from kernel.heartbeat import heartbeat_record
from kernel.sweeps import run_sweeps


@shared_task
def heartbeat() -> None:
    """Scheduled every minute: proves beat enqueues and a worker consumes."""
    heartbeat_record(source="worker")


@shared_task(ignore_result=False)
def ping(token: str) -> str:
    """Round trip through the broker into the database (used by the integration test)."""
    heartbeat_record(source="worker", detail=f"ping {token}")
    return token


@shared_task(ignore_result=True)
def sweep() -> dict:
    """Every few minutes: each registered sweep (kernel.sweeps) writes what is due now as keyed outbox rows."""
    return run_sweeps(timezone.now())

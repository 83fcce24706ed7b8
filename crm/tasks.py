from celery import shared_task

from crm.heartbeat import heartbeat_record


@shared_task
def heartbeat() -> None:
    """Scheduled every minute: proves beat enqueues and a worker consumes."""
    heartbeat_record(source="worker")


@shared_task(ignore_result=False)
def ping(token: str) -> str:
    """Round trip through the broker into the database (used by the integration test)."""
    heartbeat_record(source="worker", detail=f"ping {token}")
    return token

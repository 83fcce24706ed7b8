"""Celery tasks of the comms app."""

from celery import shared_task

from comms.imap import poll_all
from comms.outbox import deliver_due

# Stop sending after this long (the rest of a batch goes back to the queue), well inside
# CELERY_TASK_SOFT_TIME_LIMIT: at most one send more can run past it.
DELIVERY_TIME_BUDGET_SECONDS = 120


@shared_task(ignore_result=True)
def deliver_outbox() -> int:
    """Send every due outbox email. Beat runs it every minute and enqueue() kicks it after a commit.

    Safe to run twice at once or again after a worker died (acks_late): each row is claimed by
    one worker only, and a row left in "sending" is reclaimed after OUTBOX_SENDING_TIMEOUT.
    """
    return deliver_due(time_budget=DELIVERY_TIME_BUDGET_SECONDS)


@shared_task(ignore_result=True)
def poll_imap() -> dict[str, int]:
    """Fetch new mail from every enabled studio mailbox. Errors are recorded on the account, never raised."""
    return poll_all()

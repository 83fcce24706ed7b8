from celery import shared_task
from django.utils import timezone


@shared_task
def sweep_tier_recompute() -> int:
    """Beat entry point: recompute tiers for studios whose local midnight has passed."""
    from clients.services import sweep_tier_recompute as sweep

    return sweep(now=timezone.now())

from celery import shared_task
from django.utils import timezone

from clients import services


@shared_task
def sweep_tier_recompute() -> int:
    """Beat entry point: recompute tiers for studios whose local midnight has passed."""
    return services.sweep_tier_recompute(now=timezone.now())

"""Fixed-window counters in the Django cache (Redis in production), shared by every rate limit."""

import hashlib
import logging

from django.core.cache import cache

logger = logging.getLogger("rapport.ratelimit")


def count_exceeds(key: str, *, limit: int, window: int) -> bool:
    """Count one more event under ``key``; True once more than ``limit`` fell in the ``window`` (seconds).

    Raises whatever the cache raises when it is unreachable: each caller decides to fail open or closed.
    """
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: this event opens a new window
        cache.add(key, 1, timeout=window)
        count = 1
    return count > limit


def any_exceeded(*limits: tuple[str, int, int], what: str) -> bool:
    """Count one event against each ``(key, limit, window)`` in turn; True at the first exceeded.

    Fails open: with the cache down the event is let through and the outage logged, because losing
    a client's message or a lead is worse than a burst. ``what`` names the limits in that log line.
    """
    try:
        return any(count_exceeds(key, limit=limit, window=window) for key, limit, window in limits)
    except Exception:
        logger.warning("%s rate limits are off: the cache is unreachable", what, exc_info=True)
        return False


def address_key(email: str) -> str:
    """An email address as a cache-key part: case-folded and hashed (no address in Redis)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()

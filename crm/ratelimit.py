"""Fixed-window counters in the Django cache (Redis in production), shared by every rate limit."""

from django.core.cache import cache


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

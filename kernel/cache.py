"""The embedded default cache: files under var/, with counters that every process on the machine shares.

Without ``REDIS_URL`` the rate limits (kernel/ratelimit.py) must still hold across gunicorn workers
and the runserver, so the cache cannot live in one process's memory. Django's file cache is
shared, but its ``add`` and ``incr`` are a read then a write, and ``incr`` resets the key's
expiry; here both run under one exclusive lock file and ``incr`` keeps the expiry, so a fixed
window counts every event from every process. One machine only: several hosts need Redis.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache

LOCK_NAME = "counters.lock"


class SharedFileCache(FileBasedCache):
    """``FileBasedCache`` whose ``add`` and ``incr`` are atomic across processes."""

    @contextmanager
    def _locked(self) -> Iterator[None]:
        os.makedirs(self._dir, 0o700, exist_ok=True)
        with open(os.path.join(self._dir, LOCK_NAME), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def add(self, key: str, value: Any, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        with self._locked():
            return super().add(key, value, timeout, version)

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        """Add ``delta`` to a stored number, keeping its expiry; ValueError when the key is missing or expired."""
        with self._locked():
            path = self._key_to_file(key, version)
            try:
                with open(path, "rb") as handle:
                    expires_at = pickle.load(handle)  # noqa: S301  our own cache file, as Django reads it
                    if expires_at is not None and expires_at < time.time():
                        raise ValueError(f"Key '{key}' not found")
            except FileNotFoundError:
                raise ValueError(f"Key '{key}' not found") from None
            value = self.get(key, version=version)
            if value is None:
                raise ValueError(f"Key '{key}' not found")
            value += delta
            timeout = None if expires_at is None else max(expires_at - time.time(), 0.001)
            self.set(key, value, timeout=timeout, version=version)
            return value

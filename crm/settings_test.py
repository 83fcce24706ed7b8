"""Settings for the test suite: production settings with test-only relaxations."""

import os
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-any-deployment")
os.environ.setdefault("SITE_URL", "http://127.0.0.1:8000")

from crm.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "devtools"]  # noqa: F405

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# Tests serve static files straight from static/ (no collectstatic step).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # noqa: F405
# Calendars in the tests are served on loopback; tests/projects/test_busy_calendars.py turns this off.
RAPPORT_FETCH_PRIVATE_ADDRESSES = True
# The outbox worker hands mail to locmem (django.core.mail.outbox, pytest's `mailoutbox`).
OUTBOX_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The suite's counters stay apart from those of a `make run` in the same worktree.
if not REDIS_URL:  # noqa: F405
    CACHES["default"]["LOCATION"] = str(VAR_DIR / "test-cache")  # noqa: F405

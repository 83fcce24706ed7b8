"""Secret path segments (portal, survey, invitation, calendar-feed links, password resets) never reach a log line.

The token in such a URL is the whole key to what it opens, so every log line masks it: Django's
request warnings ("Too Many Requests: /portal/enter/<token>/"), runserver's and gunicorn's access
logs, and anything of ours that logs a path. ``SecretMask`` is a logging filter; settings attach it
to the console handler, ``CrmConfig.ready`` to the loggers that write request paths (so that every
handler of theirs, a test's capture included, sees the masked line), and ``gunicorn.conf.py`` to
gunicorn's access and error logs through ``GunicornLogger``.
"""

from __future__ import annotations

import logging
import re

MASK = "********"

# The segment after each prefix is a secret; "set-password" is the token-free page a reset redirects to.
# A calendar feed's segment is "<token>.ics" (only that: Google's own "/calendar/ical/…" paths are not ours).
SECRET_PATHS = re.compile(
    r"(?P<prefix>/portal/enter/|/survey/|/invitations/|/calendar/(?=[^/\s?#\"']+\.ics)"
    r"|/accounts/reset/[^/\s?#\"']+/)(?!set-password/)"
    r"(?P<secret>[^/\s?#\"']+)"
)

# Loggers that write request paths; the filter goes on each (records are filtered where they are made).
REQUEST_LOGGERS = ("django.request", "django.server", "django.security.csrf", "gunicorn.access", "gunicorn.error")


def secret_segments(text: str) -> list[str]:
    """The secret segments of every such path in ``text``, each once: what an email must not keep at rest."""
    return list(dict.fromkeys(match["secret"] for match in SECRET_PATHS.finditer(text)))


def mask_secrets(text: str) -> str:
    """``text`` with the secret segment of every portal, survey, feed and password-reset path masked."""
    return SECRET_PATHS.sub(lambda match: match["prefix"] + MASK, text)


class SecretMask(logging.Filter):
    """Rewrite a record whose message holds a secret URL segment into the masked message (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logging's to report, not ours
            return True
        masked = mask_secrets(message)
        if masked != message:
            record.msg, record.args = masked, ()
        request = getattr(record, "request", None)
        if request is not None and SECRET_PATHS.search(getattr(request, "path", "") or ""):
            record.request = _MaskedRequest(request)
        return True


class _MaskedRequest:
    """Stands in for ``record.request`` where a handler (Django's AdminEmailHandler) prints its path."""

    def __init__(self, request: object) -> None:
        self._request = request

    def __getattr__(self, name: str) -> object:
        value = getattr(self._request, name)
        if name in {"path", "path_info", "get_full_path"}:
            return mask_secrets(value) if isinstance(value, str) else (lambda *a, **k: mask_secrets(value(*a, **k)))
        return value

    def __repr__(self) -> str:
        return mask_secrets(repr(self._request))


def install(names: tuple[str, ...] = REQUEST_LOGGERS) -> None:
    """Attach one ``SecretMask`` to each named logger (again on every call: no duplicates)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, SecretMask) for existing in logger.filters):
            logger.addFilter(SecretMask())


try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # gunicorn is a production server: not every environment has it
    _GunicornLogger = None

if _GunicornLogger is not None:

    class GunicornLogger(_GunicornLogger):
        """Gunicorn's logger with the access and error logs masked (``logger_class`` in gunicorn.conf.py)."""

        def setup(self, cfg) -> None:
            super().setup(cfg)
            for logger in (self.access_log, self.error_log):
                if not any(isinstance(existing, SecretMask) for existing in logger.filters):
                    logger.addFilter(SecretMask())

"""Absolute links, for emails and calendar files read away from the site."""

from typing import Any

from django.conf import settings
from django.urls import reverse


def site_url(path: str) -> str:
    """``path`` under ``SITE_URL``, the address Rapport is served from."""
    return settings.SITE_URL + path


def absolute_url(name: str, *args: Any, **kwargs: Any) -> str:
    """The URL named ``name`` (with positional ``args`` or keyword ``kwargs``) under ``SITE_URL``."""
    return site_url(reverse(name, args=args or None, kwargs=kwargs or None))

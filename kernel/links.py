"""Absolute links, for emails and calendar files read away from the site."""

from typing import Any

from django.conf import settings
from django.urls import reverse


def absolute_url(name: str, **kwargs: Any) -> str:
    """The URL named ``name`` (with ``kwargs``) under ``SITE_URL``, the address Rapport is served from."""
    return settings.SITE_URL + reverse(name, kwargs=kwargs or None)

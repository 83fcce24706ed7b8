"""Absolute links, for emails and calendar files read away from the site."""

from functools import lru_cache
from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse


def site_url(path: str) -> str:
    """``path`` under ``SITE_URL``, the address Rapport is served from."""
    return settings.SITE_URL + path


def absolute_url(name: str, *args: Any, **kwargs: Any) -> str:
    """The URL named ``name`` (with positional ``args`` or keyword ``kwargs``) under ``SITE_URL``."""
    return site_url(reverse(name, args=args or None, kwargs=kwargs or None))


_KEY_MARK = 7_012_345_678_901  # an id no route contains, replaced by the real one


@lru_cache(maxsize=1024)
def _around_key(name: str, prefix: str, urlconf: str | None) -> tuple[str, str]:
    path = reverse(name, args=[_KEY_MARK], urlconf=urlconf)
    head, mark, tail = path.rpartition(str(_KEY_MARK))
    if not mark:
        raise NoReverseMatch(f"{name!r} does not take one id")
    return head, tail


def url_with_id(name: str, pk: int) -> str:
    """``reverse(name, args=[pk])`` for a route taking one integer id, reversed once per process.

    Long lists link every row; a full ``reverse()`` per row was a measurable share of the pages.
    """
    head, tail = _around_key(name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    return f"{head}{int(pk)}{tail}"


@lru_cache(maxsize=256)
def _fixed(name: str, prefix: str, urlconf: str | None) -> str:
    return reverse(name, urlconf=urlconf)


def fixed_url(name: str) -> str:
    """``reverse(name)`` for a route taking no argument, reversed once per process."""
    return _fixed(name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)

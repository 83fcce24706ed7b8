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


_KEY_MARK = 7_012_345_678_901  # ids no route contains, replaced by the real ones


@lru_cache(maxsize=1024)
def _around_keys(name: str, count: int, prefix: str, urlconf: str | None) -> tuple[str, ...]:
    marks = [str(_KEY_MARK + index) for index in range(count)]
    rest = reverse(name, args=[_KEY_MARK + index for index in range(count)], urlconf=urlconf)
    pieces = []
    for mark in marks:
        head, found, rest = rest.partition(mark)
        if not found:
            raise NoReverseMatch(f"{name!r} does not take {count} ids in order")
        pieces.append(head)
    return (*pieces, rest)


def url_with_id(name: str, pk: int) -> str:
    """``reverse(name, args=[pk])`` for a route taking one integer id, reversed once per process.

    Long lists link every row; a full ``reverse()`` per row was a measurable share of the pages.
    """
    head, tail = _around_keys(name, 1, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    return f"{head}{int(pk)}{tail}"


def url_with_ids(name: str, *pks: int) -> str:
    """``reverse(name, args=pks)`` for a route taking only integer ids, reversed once per process."""
    pieces = _around_keys(name, len(pks), get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    return "".join(piece + str(int(pk)) for piece, pk in zip(pieces, pks, strict=False)) + pieces[-1]


@lru_cache(maxsize=256)
def _fixed(name: str, prefix: str, urlconf: str | None) -> str:
    return reverse(name, urlconf=urlconf)


def fixed_url(name: str) -> str:
    """``reverse(name)`` for a route taking no argument, reversed once per process."""
    return _fixed(name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)

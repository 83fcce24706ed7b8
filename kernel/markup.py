"""HTML written in Python for the long lists: Django's escaping, without its per-value overhead."""

from html import escape
from typing import Any

from django.utils.safestring import SafeString


def escaped(value: Any) -> str:
    """``conditional_escape(value)``: safe text as it is, anything else as escaped text."""
    if type(value) is str:
        return escape(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return escape(str(value))


def html_format(template: str, /, *args: Any, **values: Any) -> SafeString:
    """``format_html(template, …)``, every value escaped the same way, for lines a list writes by the hundred.

    ``format_html`` goes through Django's lazy-text wrappers once per value: on the inbox and the
    client list, a fifth of the page.
    """
    return SafeString(template.format(*map(escaped, args), **{name: escaped(value) for name, value in values.items()}))

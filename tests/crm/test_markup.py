"""`kernel.markup.html_format` escapes exactly as Django's `format_html`: the long lists rely on it."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy, override

from kernel.markup import html_format

VALUES = [
    "<script>alert('x')</script> & \"quotes\"",
    mark_safe("<b>already safe</b>"),
    7,
    None,
    Decimal("1.50"),
    date(2027, 2, 8),
    gettext_lazy("Client"),
    mark_safe(gettext_lazy("Client")),  # noqa: S308 - a constant, as the lists pass their labels
    "",
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_html_format_escapes_as_format_html(value):
    with override("ru"):
        expected = format_html('<a title="{}">{}</a> {named}', value, value, named=value)
        written = html_format('<a title="{}">{}</a> {named}', value, value, named=value)
    assert written == expected
    assert isinstance(written, SafeString)

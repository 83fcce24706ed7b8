"""Date and time inputs that carry ISO values in every language.

Browsers accept only ISO in ``<input type="date|time|datetime-local">`` (``2026-12-07``,
``10:30``, ``2026-12-07T10:30``) and show the field empty for anything else, such as the
Russian ``07.12.2026`` a localized widget would render; a form saved unchanged would then
erase the date. These widgets always render ISO; Django's date fields always accept ISO
input too (``get_format`` appends the ISO input formats in every language).
"""

from typing import Any

from django import forms

ISO_DATE = "%Y-%m-%d"
ISO_TIME = "%H:%M"
ISO_DATETIME = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=ISO_DATE)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=ISO_TIME)


class DateTimeInput(forms.DateTimeInput):
    """A ``datetime-local`` input: wall-clock time in the active time zone, no offset."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=ISO_DATETIME)

"""Adding a busy calendar: a name and the calendar's private ICS address (checked, not fetched, here)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from projects.busy_calendars import NAME_MAX_LENGTH, URL_MAX_LENGTH, clean_url


class BusyCalendarForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=NAME_MAX_LENGTH,
        help_text=_("How you know it, e.g. “Personal” or “Family”."),
        error_messages={"required": _("Please give the calendar a name.")},
    )
    url = forms.CharField(
        label=_("Private address (ICS)"),
        max_length=URL_MAX_LENGTH,
        strip=True,
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "off", "spellcheck": "false"}),
        help_text=_(
            "Google Calendar: Settings → your calendar → “Secret address in iCal format”. "
            "iCloud: share the calendar as a public calendar and copy its link (webcal://…)."
        ),
        error_messages={"required": _("Please paste the calendar's private address.")},
    )

    def clean_url(self) -> str:
        try:
            return clean_url(self.cleaned_data["url"])
        except ValueError as error:
            raise forms.ValidationError(str(error), code="invalid") from None

"""Adding a busy calendar: a private ICS address, or a CalDAV account and one of its calendars.

Checked here, not fetched: the views ask the server."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from projects.busy_calendars import NAME_MAX_LENGTH, URL_MAX_LENGTH, USERNAME_MAX_LENGTH, RemoteCalendar, clean_url


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


class CalDAVAccountForm(forms.Form):
    """A CalDAV account: checked against the server by the view (which lists its calendars), not here."""

    name = forms.CharField(
        label=_("Name"),
        max_length=NAME_MAX_LENGTH,
        help_text=_("How you know it, e.g. “Work” or “iCloud”."),
        error_messages={"required": _("Please give the calendar a name.")},
    )
    url = forms.CharField(
        label=_("Server address"),
        max_length=URL_MAX_LENGTH,
        strip=True,
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "off", "spellcheck": "false"}),
        help_text=_("e.g. https://caldav.icloud.com/ or https://cloud.example.com/remote.php/dav/"),
        error_messages={"required": _("Please give the CalDAV server's address.")},
    )
    username = forms.CharField(
        label=_("Username"),
        max_length=USERNAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": _("Please give the account's username and password.")},
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        # Never shown back, not even after an error.
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Use an app password where the provider offers one (iCloud, Fastmail, Nextcloud)."),
        error_messages={"required": _("Please give the account's username and password.")},
    )
    calendar_url = forms.CharField(
        label=_("Calendar address (optional)"),
        max_length=URL_MAX_LENGTH,
        required=False,
        strip=True,
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "off", "spellcheck": "false"}),
        help_text=_("Leave empty to pick one of the account's calendars next."),
    )
    write_calls = forms.BooleanField(
        label=_("Also write booked calls to this calendar"),
        required=False,
        help_text=_("Booked calls appear there, and move or disappear with the call."),
    )

    def clean_url(self) -> str:
        return _clean_server_url(self.cleaned_data["url"])

    def clean_calendar_url(self) -> str:
        value = self.cleaned_data["calendar_url"]
        if not value:
            return ""
        return _clean_server_url(value)


def _clean_server_url(value: str) -> str:
    """A CalDAV address: http(s) only. webcal:// is a subscription link, not a server, so the
    subscription form's wording (which offers webcal://) would send the freelancer the wrong way."""
    if value.split("://", 1)[0].lower() not in ("http", "https"):
        raise forms.ValidationError(
            _("Please paste the server's address: it starts with https:// (or http://)."), code="invalid"
        )
    try:
        return clean_url(value)
    except ValueError as error:
        raise forms.ValidationError(str(error), code="invalid") from None


class ChooseCalendarForm(forms.Form):
    """One of the account's calendars, as the server listed them just now."""

    calendar_url = forms.ChoiceField(
        label=_("Calendar"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose a calendar."), "invalid_choice": _("Please choose a calendar.")},
    )
    write_calls = forms.BooleanField(
        label=_("Also write booked calls to this calendar"),
        required=False,
        help_text=_("Booked calls appear there, and move or disappear with the call."),
    )

    def __init__(self, *args: object, calendars: list[RemoteCalendar], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["calendar_url"].choices = [(calendar.url, calendar.name) for calendar in calendars]

from datetime import time
from functools import cache
from typing import Any
from zoneinfo import available_timezones

import holidays
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Fieldset, Layout, Row, Submit
from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _
from holidays.registry import COUNTRIES

from kernel import workhours
from kernel.models import Studio, User
from kernel.widgets import TimeInput

WEEKDAYS = [
    (0, "mon", _("Monday")),
    (1, "tue", _("Tuesday")),
    (2, "wed", _("Wednesday")),
    (3, "thu", _("Thursday")),
    (4, "fri", _("Friday")),
    (5, "sat", _("Saturday")),
    (6, "sun", _("Sunday")),
]
FRIDAY = 4
MONTH_CHOICES = [(month, name) for month, name in enumerate(
    [_("January"), _("February"), _("March"), _("April"), _("May"), _("June"), _("July"), _("August"),
     _("September"), _("October"), _("November"), _("December")], start=1)]  # fmt: skip
HOUR_CHOICES = [(hour, f"{hour:02d}:00") for hour in range(24)]


@cache
def timezone_choices() -> list[tuple[str, str]]:
    names = sorted(name for name in available_timezones() if "/" in name or name == "UTC")
    return [(name, name.replace("_", " ")) for name in names]


@cache
def holiday_country_choices() -> list[tuple[str, str]]:
    countries = {code: module.replace("_", " ").title() for module, (_cls, code, *_rest) in COUNTRIES.items()}
    return [("", _("No public holidays"))] + sorted(countries.items(), key=lambda item: item[1])


class LongSelect(forms.Select):
    """A select for hundreds of options: one template loop instead of an include per option."""

    template_name = "crm/widgets/long_select.html"


class CurrencyField(forms.RegexField):
    """An ISO 4217 code: three letters, cleaned to capitals."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Currency"))
        kwargs.setdefault("error_messages", {"invalid": _("Three letters, e.g. EUR.")})
        super().__init__(regex=r"^\s*[A-Za-z]{3}\s*$", **kwargs)

    def clean(self, value: Any) -> str:
        return super().clean(value).strip().upper()


class IdsMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A multiple choice of rows whose ids are checked before the query: past 64 bits one overflows it."""

    def _check_values(self, value: Any) -> Any:
        for pk in value:
            text = str(pk).strip()
            if text.isascii() and text.isdigit() and int(text) > 2**63 - 1:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)


class TimezoneField(forms.ChoiceField):
    widget = LongSelect

    default_error_messages = {
        "invalid_choice": _("“%(value)s” is not a time zone we know. Pick one from the list, such as Europe/Berlin."),
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=timezone_choices, **kwargs)


class EmailLoginForm(AuthenticationForm):
    username = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autofocus": True}))


class SignupForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(label=_("Email"))
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    studio_name = forms.CharField(label=_("Studio name"), max_length=120, help_text=_("Your business name."))
    timezone = TimezoneField(label=_("Time zone"), initial="Europe/London")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Create my studio"), css_class="w-100"))

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this email already exists. Sign in instead."))
        return email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if password := cleaned.get("password"):
            user = User(email=cleaned.get("email", ""), name=cleaned.get("name", ""))
            try:
                password_validation.validate_password(password, user)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class StudioCreateForm(forms.ModelForm):
    timezone = TimezoneField(label=_("Time zone"), initial="Europe/London")

    class Meta:
        model = Studio
        fields = ["name", "timezone"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Create studio")))


class StudioSettingsForm(forms.ModelForm):
    """Studio settings, with the weekly working hours as one open/close pair per weekday."""

    timezone = TimezoneField(label=_("Time zone"))
    holiday_country = forms.ChoiceField(
        label=_("Public holidays of"), choices=holiday_country_choices, required=False, widget=LongSelect
    )
    friday_update_hour = forms.TypedChoiceField(
        label=_("Friday update reminder at"),
        choices=HOUR_CHOICES,
        coerce=int,
        help_text=_("Like every reminder to you, it waits for your working hours."),
    )
    digest_hour = forms.TypedChoiceField(
        label=_("Daily digest at"),
        choices=HOUR_CHOICES,
        coerce=int,
        help_text=_("On working days. Like every reminder to you, it waits for your working hours."),
    )
    currency = CurrencyField(help_text=_("Revenue and tiers count payments in this currency."))
    yearly_card_month = forms.TypedChoiceField(label=_("Yearly card in"), choices=MONTH_CHOICES, coerce=int)
    difficulty_markups_text = forms.CharField(
        label=_("Quote markup by client difficulty (%)"),
        help_text=_("Four numbers for difficulty 0, 1, 2 and 3, e.g. 0, 10, 20, 30."),
    )

    class Meta:
        model = Studio
        fields = [
            "name",
            "timezone",
            "holiday_country",
            "holiday_subdivision",
            "sla_mode",
            "sla_hours",
            "urgent_sla_mode",
            "urgent_sla_hours",
            "friday_update_hour",
            "digest_hour",
            "sender_name",
            "sender_email",
            "payment_options",
            "contact_card",
            "currency",
            "angel_cadence_days",
            "regular_cadence_days",
            "yearly_card_month",
            "past_clients_per_week",
            "reply_warning_percent",
            "cool_off_hours",
            "client_action_reminders",
            "deposit_reminder_days",
            "start_work_on_deposit",
            "survey_after_days",
            "survey_questions",
            "survey_follow_up_below",
            "portal_link_days",
            "call_durations",
            "call_buffer_minutes",
            "call_min_notice_hours",
            "call_max_per_day",
            "call_days_ahead",
            "call_location",
        ]
        widgets = {
            "survey_questions": forms.Textarea(attrs={"rows": 4}),
            "payment_options": forms.Textarea(attrs={"rows": 3}),
            "contact_card": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "holiday_subdivision": _("State or region code, e.g. BY for Bavaria; leave empty for national holidays."),
            "sla_hours": _("9 working hours = one business day on 09:00–18:00."),
            "payment_options": _("Shown to clients in their portal: bank transfer, card, PayPal…"),
            "contact_card": _("How and when clients can reach you."),
            "sender_email": _("Client emails are sent from this address."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        hours = self.instance.working_hours if self.instance.pk else {}
        rows = []
        for day, key, label in WEEKDAYS:
            opens, closes = hours.get(day, (None, None))
            self.fields[f"{key}_open"] = forms.TimeField(
                label=_("%(day)s opens") % {"day": label},
                required=False,
                initial=opens,
                widget=TimeInput(),
            )
            self.fields[f"{key}_close"] = forms.TimeField(
                label=_("closes"),
                required=False,
                initial=closes,
                widget=TimeInput(),
            )
            rows.append(Row(Column(f"{key}_open"), Column(f"{key}_close")))
        self.fields["difficulty_markups_text"].initial = ", ".join(
            str(markup) for markup in self.instance.difficulty_markups
        )
        for field in ("angel_cadence_days", "regular_cadence_days", "past_clients_per_week"):
            self.fields[field].min_value = 1
            self.fields[field].validators.append(MinValueValidator(1))
        for field in ("sla_hours", "urgent_sla_hours"):
            self.fields[field].widget.attrs.update({"min": "0.25", "max": "720", "step": "0.25"})

        if self.instance.pk:
            for name, note in reminder_hour_notes(self.instance).items():
                self.fields[name].help_text = note

        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset(_("Studio"), "name", "timezone", Row(Column("holiday_country"), Column("holiday_subdivision"))),
            Fieldset(
                _("Working hours"),
                HTML(
                    '<p class="text-body-secondary small">'
                    + str(_("Leave both times empty for a day off. Closing time is not included."))
                    + "</p>"
                ),
                *rows,
            ),
            Fieldset(
                _("Reply time"),
                Row(Column("sla_mode"), Column("sla_hours")),
                Row(Column("urgent_sla_mode"), Column("urgent_sla_hours")),
            ),
            Fieldset(
                _("Reminders"),
                Row(Column("friday_update_hour"), Column("digest_hour")),
                Row(Column("reply_warning_percent"), Column("cool_off_hours")),
                Row(Column("deposit_reminder_days"), Column("survey_after_days")),
                "client_action_reminders",
                "start_work_on_deposit",
            ),
            Fieldset(
                _("Guest portal and calls"),
                "portal_link_days",
                Row(Column("call_durations"), Column("call_buffer_minutes")),
                Row(Column("call_min_notice_hours"), Column("call_max_per_day")),
                Row(Column("call_days_ahead"), Column("call_location")),
            ),
            Fieldset(
                _("Feedback survey"),
                "survey_follow_up_below",
                "survey_questions",
            ),
            Fieldset(
                _("Clients"),
                Row(Column("currency"), Column("difficulty_markups_text")),
                Row(Column("angel_cadence_days"), Column("regular_cadence_days")),
                Row(Column("yearly_card_month"), Column("past_clients_per_week")),
            ),
            Fieldset(
                _("Sender and client-facing text"),
                Row(Column("sender_name"), Column("sender_email")),
                "payment_options",
                "contact_card",
            ),
        )
        self.helper.add_input(Submit("submit", _("Save settings")))

    def clean_difficulty_markups_text(self) -> list[int]:
        parts = [part.strip().rstrip("%") for part in self.cleaned_data["difficulty_markups_text"].split(",")]
        try:
            markups = [int(part) for part in parts]
        except ValueError:
            markups = []
        if len(markups) != 4 or not all(0 <= markup <= 200 for markup in markups):
            raise forms.ValidationError(_("Give four whole percentages from 0 to 200, e.g. 0, 10, 20, 30."))
        return markups

    def clean_survey_questions(self) -> str:
        questions = [line.strip() for line in self.cleaned_data["survey_questions"].splitlines() if line.strip()]
        if len(questions) > 10:
            raise forms.ValidationError(_("At most 10 questions; you wrote %(count)d.") % {"count": len(questions)})
        if any(len(question) > 300 for question in questions):
            raise forms.ValidationError(_("Keep each question under 300 characters."))
        return "\n".join(questions)

    def clean_call_durations(self) -> str:
        """Call lengths in minutes, ascending, each 5–240: "15,30"."""
        raw = self.cleaned_data["call_durations"]
        try:
            minutes = sorted({int(part) for part in raw.replace(" ", "").split(",") if part})
        except ValueError:
            minutes = []
        if not minutes or not all(5 <= value <= 240 for value in minutes) or len(minutes) > 6:
            raise forms.ValidationError(_("Give up to six lengths in minutes from 5 to 240, e.g. 15,30."))
        return ",".join(str(value) for value in minutes)

    def clean_deposit_reminder_days(self) -> str:
        """Whole days after the deposit was asked for, ascending and without repeats: "3,7,14"."""
        raw = self.cleaned_data["deposit_reminder_days"]
        try:
            days = sorted({int(part) for part in raw.replace(" ", "").split(",") if part})
        except ValueError:
            days = []
        if not days or days[0] < 1 or days[-1] > 365:
            raise forms.ValidationError(_("Give whole days from 1 to 365 separated by commas, e.g. 3, 7, 14."))
        return ",".join(str(day) for day in days)

    def clean_sla_hours(self) -> Any:
        return _positive_hours(self.cleaned_data["sla_hours"])

    def clean_urgent_sla_hours(self) -> Any:
        return _positive_hours(self.cleaned_data["urgent_sla_hours"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        working_hours: dict[int, tuple[time, time]] = {}
        for day, key, label in WEEKDAYS:
            opens, closes = cleaned.get(f"{key}_open"), cleaned.get(f"{key}_close")
            if opens is None and closes is None:
                continue
            if opens is None or closes is None:
                self.add_error(f"{key}_open", _("Give both an opening and a closing time, or neither for a day off."))
            elif opens >= closes:
                self.add_error(
                    f"{key}_close",
                    _("%(day)s closes at %(closes)s, before it opens at %(opens)s.")
                    % {"day": label, "closes": closes.strftime("%H:%M"), "opens": opens.strftime("%H:%M")},
                )
            else:
                working_hours[day] = (opens, closes)
        if not working_hours and not self.errors:
            raise forms.ValidationError(_("Set working hours on at least one day: reply times count in them."))
        cleaned["working_hours"] = working_hours

        country = cleaned.get("holiday_country") or ""
        subdivision = (cleaned.get("holiday_subdivision") or "").strip().upper()
        if subdivision and not country:
            self.add_error("holiday_subdivision", _("Choose the country first."))
        elif subdivision:
            known = holidays.list_supported_countries().get(country, [])
            if subdivision not in known:
                self.add_error(
                    "holiday_subdivision",
                    _("“%(code)s” is not a region of this country. Known: %(known)s.")
                    % {"code": subdivision, "known": ", ".join(known) or _("none")},
                )
        cleaned["holiday_subdivision"] = subdivision
        return cleaned

    def changed_studio_fields(self) -> set[str]:
        """The ``Studio`` fields this edit changes (the weekday times all land in ``working_hours_json``)."""
        hour_fields = {f"{key}_{end}" for _day, key, _label in WEEKDAYS for end in ("open", "close")}
        renamed = {"difficulty_markups_text": "difficulty_markups"}
        return {"working_hours_json" if name in hour_fields else renamed.get(name, name) for name in self.changed_data}

    def save(self, commit: bool = True) -> Studio:
        self.instance.working_hours = self.cleaned_data["working_hours"]
        self.instance.difficulty_markups = self.cleaned_data["difficulty_markups_text"]
        return super().save(commit=commit)


def reminder_hour_notes(studio: Studio) -> dict[str, str]:
    """What quiet hours do to the reminder hours the studio chose, per field, when they fall outside working hours.

    Every notification to the freelancer waits for working hours (R5, ``comms.notify.next_working_time``).
    """
    notes: dict[str, str] = {}
    hours = studio.working_hours
    names = {day: label for day, _key, label in WEEKDAYS}
    digest_at = f"{studio.digest_hour:02d}:00"
    closed = workhours.weekdays_closed_at(studio.digest_hour, hours)
    if closed and len(closed) == len(hours):
        notes["digest_hour"] = _(
            "%(hour)s is outside your working hours: the digest waits until they next start, "
            "like every reminder to you. Choose an hour inside them to get it at that hour."
        ) % {"hour": digest_at}
    elif closed:
        notes["digest_hour"] = _(
            "%(hour)s is outside your working hours on %(days)s: on those days the digest waits until "
            "they next start, like every reminder to you."
        ) % {"hour": digest_at, "days": ", ".join(str(names[day]) for day in closed)}
    friday_at = f"{studio.friday_update_hour:02d}:00"
    if FRIDAY not in hours:
        notes["friday_update_hour"] = _(
            "Friday is not a working day for you: the Friday reminder waits until your working hours next "
            "start, like every reminder to you."
        )
    elif FRIDAY in workhours.weekdays_closed_at(studio.friday_update_hour, hours):
        notes["friday_update_hour"] = _(
            "%(hour)s is outside your Friday working hours: the Friday reminder waits until they next start, "
            "like every reminder to you."
        ) % {"hour": friday_at}
    return notes


def _positive_hours(value: Any) -> Any:
    if value is not None and value <= 0:
        raise forms.ValidationError(_("Give a number of hours greater than zero."))
    return value


class InvitationAccountForm(forms.Form):
    """The account an invitee without one creates when accepting: the email is the invited one."""

    name = forms.CharField(label=_("Your name"), max_length=150)
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        password_validation.validate_password(password, User(email=self.email, name=self.data.get("name", "")))
        return password


class MemberAddForm(forms.Form):
    email = forms.EmailField(label=_("Email of the person to invite"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_class = "row g-2 align-items-end"
        self.helper.add_input(Submit("submit", _("Add member")))

    def clean_email(self) -> str:
        return self.cleaned_data["email"].lower()

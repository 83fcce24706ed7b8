"""The public inquiry form a studio links from its own website."""

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Div, Field, Layout, Row, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from kernel.models import Studio

BUDGET_NOT_SURE = "not-sure"
BUDGET_CHOICES = [
    ("", _("Choose one (optional)")),
    ("under-1k", _("Under 1,000")),
    ("1-5k", _("1–5k")),
    ("5-15k", _("5–15k")),
    ("15k-plus", _("15k+")),
    (BUDGET_NOT_SURE, _("Not sure yet")),
]

# The honeypot: hidden from people (visually and from the keyboard), filled in by form-filling bots.
HONEYPOT_FIELD = "website"


class InquiryForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(
        label=_("Your email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("We reply to this address."),
    )
    company = forms.CharField(
        label=_("Company"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    phone = forms.CharField(
        label=_("Phone"), max_length=40, required=False, widget=forms.TextInput(attrs={"autocomplete": "tel"})
    )
    budget = forms.ChoiceField(label=_("Budget"), choices=BUDGET_CHOICES, required=False)
    message = forms.CharField(
        label=_("How can we help?"),
        min_length=10,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("A few words about your project: what you need, and by when."),
        error_messages={
            "min_length": _("Please tell us a little more (at least %(limit_value)d characters)."),
            "max_length": _("Please keep it under %(limit_value)d characters; we can talk details later."),
        },
    )
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, studio: Studio, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.studio = studio
        self.fields["budget"].label = _("Budget (%(currency)s)") % {"currency": studio.currency}
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Row(Column("name"), Column("email")),
            Row(Column("company"), Column("phone")),
            "budget",
            "message",
            Div(Field(HONEYPOT_FIELD), css_class="visually-hidden"),
        )
        self.helper.add_input(Submit("submit", _("Send message"), css_class="w-100"))

    @property
    def is_honeypot_filled(self) -> bool:
        """Whether a bot filled the hidden field: checked on the raw data, valid form or not."""
        return bool(self.is_bound and str(self.data.get(HONEYPOT_FIELD, "")).strip())

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def clean_company(self) -> str:
        return " ".join(self.cleaned_data["company"].split())

    def clean_phone(self) -> str:
        return " ".join(self.cleaned_data["phone"].split())

    def budget_text(self) -> str:
        """The chosen budget in words for notes and emails, with the studio's currency; "" if none."""
        value = self.cleaned_data.get("budget") or ""
        if not value:
            return ""
        label = str(dict(BUDGET_CHOICES)[value])
        return label if value == BUDGET_NOT_SURE else f"{label} {self.studio.currency}"

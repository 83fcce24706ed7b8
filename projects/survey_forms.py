"""The post-project survey form (R16): two ratings as radio buttons and an optional comment."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

CSAT_CHOICES = [(score, str(score)) for score in range(1, 6)]
NPS_CHOICES = [(score, str(score)) for score in range(0, 11)]
COMMENT_MAX_LENGTH = 5000


class SurveyForm(forms.Form):
    csat = forms.TypedChoiceField(
        label=_("How satisfied are you with the project?"),
        help_text=_("1 = not at all, 5 = very satisfied"),
        choices=CSAT_CHOICES,
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages={"required": _("Choose a score from 1 to 5.")},
    )
    nps = forms.TypedChoiceField(
        label=_("How likely are you to recommend us to a friend or colleague?"),
        help_text=_("0 = not at all likely, 10 = extremely likely"),
        choices=NPS_CHOICES,
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages={"required": _("Choose a score from 0 to 10.")},
    )
    comment = forms.CharField(
        label=_("Anything else you'd like to tell us?"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
    )

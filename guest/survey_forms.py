"""The post-project survey forms (R16): the one-click rating's confirmation and the full survey."""

from __future__ import annotations

from collections.abc import Sequence

from django import forms
from django.utils.translation import gettext_lazy as _

from projects.survey import (
    ANSWER_MAX_LENGTH,
    COMMENT_MAX_LENGTH,
    MAX_QUESTIONS,
    NPS_SCORES,
    RATING_SCORES,
    answer_field,
)

CSAT_CHOICES = [(score, str(score)) for score in RATING_SCORES]
NPS_CHOICES = [(score, str(score)) for score in NPS_SCORES]


def csat_field() -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=_("How satisfied are you with the project?"),
        help_text=_("1 = not at all satisfied, 10 = extremely satisfied"),
        choices=CSAT_CHOICES,
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        error_messages={"required": _("Choose a score from 1 to 10.")},
    )


class RatingForm(forms.Form):
    """Confirms the rating a link in the invitation chose (or another one)."""

    csat = csat_field()


class SurveyForm(forms.Form):
    """The rating, the recommendation score, the studio's further questions (frozen) and a comment."""

    csat = csat_field()
    nps = forms.TypedChoiceField(
        label=_("How likely are you to recommend us to a friend or colleague?"),
        help_text=_("0 = not at all likely, 10 = extremely likely"),
        choices=NPS_CHOICES,
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        error_messages={"required": _("Choose a score from 0 to 10.")},
    )
    comment = forms.CharField(
        label=_("Anything else you'd like to tell us?"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, questions: Sequence[str] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        comment = self.fields.pop("comment")
        for index, question in enumerate(list(questions)[:MAX_QUESTIONS]):
            self.fields[answer_field(index)] = forms.CharField(
                label=question,
                required=False,
                max_length=ANSWER_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        self.fields["comment"] = comment

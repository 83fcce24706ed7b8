"""Forms for booking and moving calls (R8). Whether a time is free is the service's check, not the form's."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from projects.calls import TOPIC_MAX_LENGTH
from projects.models import Project


class SlotField(forms.CharField):
    """A start time as offered on the page: an ISO 8601 instant with its UTC offset."""

    default_error_messages = {
        "required": _("Please pick a time."),
        "invalid": _("Please pick one of the offered times."),
    }

    def to_python(self, value: str | None) -> datetime | None:  # type: ignore[override]
        value = super().to_python(value)
        if not value:
            return None
        try:
            start = datetime.fromisoformat(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if start.tzinfo is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return start


class BookCallForm(forms.Form):
    duration = forms.TypedChoiceField(label=_("Length"), coerce=int)
    topic = forms.CharField(
        label=_("What would you like to talk about?"),
        max_length=TOPIC_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
        error_messages={"required": _("Please say in a few words what the call is about.")},
    )
    project = forms.ModelChoiceField(
        label=_("Project"),
        queryset=Project.objects.none(),
        required=False,
        empty_label=_("No particular project"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    start = SlotField(label=_("Time"))

    def __init__(self, *args, durations: list[int], projects: QuerySet[Project], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["duration"].choices = [
            (minutes, _("%(minutes)d minutes") % {"minutes": minutes}) for minutes in durations
        ]
        self.fields["project"].queryset = projects

    def clean_topic(self) -> str:
        topic = " ".join(self.cleaned_data["topic"].split())
        if not topic:
            raise forms.ValidationError(_("Please say in a few words what the call is about."))
        return topic


class MoveCallForm(forms.Form):
    start = SlotField(label=_("New time"))


class CancelCallForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )

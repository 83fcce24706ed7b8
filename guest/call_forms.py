"""The form a client books a call with in the portal (R8)."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from projects.call_forms import SlotField
from projects.calls import TOPIC_MAX_LENGTH
from projects.models import Project


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

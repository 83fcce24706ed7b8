"""The form behind the Friday update page (R2): the drafted text, edited before it is sent."""

from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from kernel.forms import IdsMultipleChoiceField
from kernel.models import Studio
from projects.models import Resource, StatusUpdate


def _rows(count: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": count})


class StatusUpdateForm(forms.ModelForm):
    """Summary, the sections and the resources to share; resources only from the studio's library."""

    class Meta:
        model = StatusUpdate
        fields = ["summary", "done_this_week", "next_up", "blockers", "client_next_steps", "resources"]
        field_classes = {"resources": IdsMultipleChoiceField}
        labels = {
            "summary": _("Summary"),
            "done_this_week": _("Done this week"),
            "next_up": _("Next up"),
            "blockers": _("Blockers"),
            "client_next_steps": _("Next steps for the client"),
            "resources": _("Resources to watch or read"),
        }
        help_texts = {
            "blockers": _("Left out of the email when empty."),
            "client_next_steps": _("Empty: the email says nothing is needed from them this week."),
        }
        widgets = {
            "summary": _rows(2),
            "done_this_week": _rows(3),
            "next_up": _rows(3),
            "blockers": _rows(2),
            "client_next_steps": _rows(3),
            "resources": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, studio: Studio, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["resources"].queryset = Resource.objects.for_studio(studio).order_by("kind", "title", "pk")
        self.helper = FormHelper()
        # The page renders its own <form> with the two buttons (save, send).
        self.helper.form_tag = False
        if self.instance.pk and self.instance.sent_at is not None:
            for field in self.fields.values():
                field.disabled = True

"""Forms of the template management pages: placeholders are checked against the whitelist."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from comms.email_templates import BUILTIN, template_problems
from comms.models import EmailTemplate
from kernel.models import Studio

MAX_BODY_LENGTH = 20_000


def _normalised(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


class EmailTemplateForm(forms.Form):
    """Name, subject and body of a template; an unknown placeholder is refused with its name."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=300)
    body = forms.CharField(
        label=gettext_lazy("Body"),
        max_length=MAX_BODY_LENGTH,
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "true"}),
        help_text=gettext_lazy("Plain text. A line starting with “Next steps:” opens the bold Next steps block."),
    )

    def clean_subject(self) -> str:
        subject = " ".join(self.cleaned_data["subject"].split())
        if problems := template_problems(subject):
            raise forms.ValidationError(problems)
        return subject

    def clean_body(self) -> str:
        body = _normalised(self.cleaned_data["body"])
        if problems := template_problems(body):
            raise forms.ValidationError(problems)
        return body


class NewEmailTemplateForm(EmailTemplateForm):
    """A template of the studio's own, under a new key."""

    key = forms.SlugField(
        label=gettext_lazy("Key"),
        max_length=40,
        help_text=gettext_lazy("A short identifier, e.g. “invoice_reminder”."),
    )
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=EmailTemplate.Language.choices)

    field_order = ["key", "language", "name", "subject", "body"]

    def __init__(self, *args: Any, studio: Studio, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.studio = studio

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        key, language = data.get("key"), data.get("language")
        if key and language:
            exists = (key, language) in BUILTIN or EmailTemplate.objects.filter(
                studio=self.studio, key=key, language=language
            ).exists()
            if exists:
                self.add_error("key", _("This template already exists in that language: edit it instead."))
        return data

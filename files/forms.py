"""Forms for project files: the freelancer's deliverables and versions, the client's uploads.

They only read the request; keeping a file is ``files.services`` / ``files.reviews``.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from files.models import ProjectFile

NOTE_MAX_LENGTH = 2000
FILES_PER_UPLOAD = 10


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one ``<input type="file" multiple>`` (Django's "Uploading multiple files")."""

    def __init__(self, *args, max_files: int = FILES_PER_UPLOAD, **kwargs):
        self.max_files = max_files
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            files = [single(item, initial) for item in data if item]
            if not files and self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
        else:
            files = [single(data, initial)] if data or self.required else []
        if len(files) > self.max_files:
            raise forms.ValidationError(
                _("Send at most %(count)d files at once."), code="too_many", params={"count": self.max_files}
            )
        return files


class DeliverableForm(forms.Form):
    """A new deliverable from the studio."""

    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("What it is, e.g. 'Homepage mock-up'. The file's name when left empty."),
    )
    note = forms.CharField(
        label=_("Note for the client"),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    file = forms.FileField(label=_("File"))
    ask_review = forms.BooleanField(label=_("Ask the client to approve it"), required=False, initial=True)


class VersionForm(forms.Form):
    """The next version of one deliverable (it replaces the current one for review)."""

    note = forms.CharField(
        label=_("What changed"),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    file = forms.FileField(label=_("New version"))
    ask_review = forms.BooleanField(label=_("Ask the client to approve it"), required=False, initial=True)


def version_form(file: ProjectFile, data=None, files=None) -> VersionForm:
    return VersionForm(data, files, prefix=f"v{file.pk}")


class ClientUploadForm(forms.Form):
    """The client's content: one or several files and a note."""

    uploads = MultipleFileField(label=_("Files"))
    note = forms.CharField(
        label=_("Note"),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional: what the files are, or where they go."),
    )


class ChangesForm(forms.Form):
    """The client's change request on a deliverable: the comment is the request."""

    comment = forms.CharField(
        label=_("What should change?"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Tell us what should change.")},
    )


def changes_form(file: ProjectFile, data=None) -> ChangesForm:
    return ChangesForm(data, prefix=f"c{file.pk}")

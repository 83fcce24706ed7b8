"""CSV import (upload → preview → commit), CSV export of clients and vCard export of contacts.

The logic lives in `clients/csv_io.py`; these views glue it to forms, the session and responses.
The upload is carried from preview to commit in the server-side session (see `csv_io.stash`):
the commit form posts back only a random token.
"""

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse_lazy
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clients import csv_io
from kernel.access import studio_required


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy("Up to 2 MB and 5,000 rows, with a header row."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    encoding = forms.ChoiceField(
        label=gettext_lazy("Encoding"),
        choices=csv_io.ENCODING_CHOICES,
        initial=csv_io.ENCODING_AUTO,
        help_text=gettext_lazy("Excel in Russian saves CSV files in Windows-1251; most other programs use UTF-8."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = reverse_lazy("clients:import")
        self.helper.add_input(Submit("submit", gettext_lazy("Preview import")))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        upload, encoding = cleaned.get("file"), cleaned.get("encoding")
        if upload is None or encoding is None:
            return cleaned
        if upload.size > csv_io.MAX_BYTES:
            self.add_error("file", csv_io.too_big_message(upload.size))
            return cleaned
        try:
            cleaned["text"] = csv_io.decode(upload.read(csv_io.MAX_BYTES + 1), encoding)
            cleaned["parsed"] = csv_io.parse(cleaned["text"])
        except csv_io.CsvFileError as error:
            self.add_error("file", error.messages)
        return cleaned


class ImportCommitForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: Any, submit_label: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = reverse_lazy("clients:import_commit")
        self.helper.add_input(Submit("submit", submit_label or _("Import")))


@studio_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    if request.method == "POST" and form.is_valid():
        plan = csv_io.validate(form.cleaned_data["parsed"], studio=request.studio)
        token = None
        if plan.is_valid and plan.has_changes:
            token = csv_io.stash(
                request.session,
                studio=request.studio,
                text=form.cleaned_data["text"],
                filename=form.cleaned_data["file"].name,
            )
        return _preview_page(request, plan, token=token, filename=form.cleaned_data["file"].name)
    return render(request, "clients/import.html", {"form": form})


@studio_required
@require_POST
def import_commit(request: HttpRequest) -> HttpResponse:
    form = ImportCommitForm(request.POST)
    waiting = form.is_valid() and csv_io.pending(
        request.session, token=form.cleaned_data["token"], studio=request.studio
    )
    if not waiting:
        messages.error(
            request,
            _("That import is no longer waiting (it was imported, replaced or expired). Upload the file again."),
        )
        return redirect("clients:import")
    result = csv_io.commit_import(waiting.text, studio=request.studio)
    if not result.committed:
        if not result.retryable:
            csv_io.discard(request.session)
        token = waiting.token if result.retryable else None
        return _preview_page(request, result.plan, token=token, filename=waiting.filename)
    csv_io.discard(request.session)
    messages.success(
        request,
        _("Imported %(what)s.") % {"what": _counts_text(result.clients_created, result.contacts_created)},
    )
    return redirect("clients:index")


def _counts_text(clients: int, contacts: int) -> str:
    return _("%(clients)s and %(contacts)s") % {
        "clients": ngettext("%(count)s new client", "%(count)s new clients", clients) % {"count": clients},
        "contacts": ngettext("%(count)s contact", "%(count)s contacts", contacts) % {"count": contacts},
    }


def _preview_page(request: HttpRequest, plan: csv_io.ImportPlan, *, token: str | None, filename: str) -> HttpResponse:
    commit_form = None
    if token:
        label = _("Import %(what)s") % {"what": _counts_text(plan.new_client_count, plan.contact_count)}
        commit_form = ImportCommitForm(initial={"token": token}, submit_label=label)
    return render(
        request,
        "clients/import_preview.html",
        {
            "plan": plan,
            "filename": filename,
            "commit_form": commit_form,
            "summary": _counts_text(plan.new_client_count, plan.contact_count),
            "form": ImportForm(),
            "max_rows": csv_io.MAX_ROWS,
        },
    )


def _attachment(body: bytes | str, *, content_type: str, filename: str) -> HttpResponse:
    return HttpResponse(
        body,
        content_type=content_type,
        headers={"Content-Disposition": content_disposition_header(as_attachment=True, filename=filename)},
    )


@studio_required
@require_GET
@never_cache
def export_csv(request: HttpRequest) -> HttpResponse:
    studio = request.studio
    filename = f"{studio.slug}-clients-{studio.local_now():%Y-%m-%d}.csv"
    return _attachment(csv_io.export_csv(studio), content_type="text/csv; charset=utf-8", filename=filename)


@studio_required
@require_GET
@never_cache
def export_vcard(request: HttpRequest) -> HttpResponse:
    studio = request.studio
    filename = f"{studio.slug}-contacts.vcf"
    return _attachment(
        csv_io.export_vcards(studio).encode("utf-8"), content_type="text/vcard; charset=utf-8", filename=filename
    )


urlpatterns: list[URLPattern] = [
    path("import/", import_upload, name="import"),
    path("import/commit/", import_commit, name="import_commit"),
    path("export.csv", export_csv, name="export_csv"),
    path("contacts.vcf", export_vcard, name="export_vcard"),
]

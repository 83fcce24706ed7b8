"""The freelancer's page of a project's files: deliverables and their versions, the client's files, the timeline.

Every view reaches the project or file through the member's studio (another studio's id is a 404).
Opening the page marks the client's files of the project seen. A form that fails re-renders the
whole page with its errors, so nothing the page showed is lost.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from files.checks import FileRefused
from files.forms import DeliverableForm, VersionForm, version_form
from files.models import ProjectFile
from files.reviews import deliverable_share
from files.seen import files_mark_seen
from files.selectors import project_files
from files.services import file_delete
from files.uploads import refuse_oversized_upload
from kernel.access import get_for_member, studio_required
from projects.models import Project

NEW_PREFIX = "new"


def _project(request: HttpRequest, pk: int) -> Project:
    return get_for_member(request, Project.objects.select_related("client"), pk=pk)


def _page(
    request: HttpRequest,
    project: Project,
    *,
    form: DeliverableForm | None = None,
    bound_version: VersionForm | None = None,
    version_of: int | None = None,
    status: int = 200,
) -> HttpResponse:
    files = project_files(project)
    for item in files.deliverables:
        current = item.current
        if current.pk == version_of and bound_version is not None:
            item.version_form = bound_version
        elif current.is_current:
            item.version_form = version_form(current)
        else:
            item.version_form = None
    return render(
        request,
        "files/project.html",
        {
            "project": project,
            "files": files,
            "form": form or DeliverableForm(prefix=NEW_PREFIX),
        },
        status=status,
    )


def _back(project: Project, anchor: str = "") -> HttpResponse:
    return redirect(reverse("files:project", kwargs={"pk": project.pk}) + anchor)


@studio_required
@require_GET
def project(request: HttpRequest, pk: int) -> HttpResponse:
    current = _project(request, pk)
    response = _page(request, current)
    files_mark_seen(studio=request.studio, now=timezone.now(), project=current)
    return response


@studio_required
@refuse_oversized_upload
@require_POST
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    current = _project(request, pk)
    form = DeliverableForm(request.POST, request.FILES, prefix=NEW_PREFIX)
    if form.is_valid():
        try:
            kept = deliverable_share(
                project=current,
                upload=form.cleaned_data["file"],
                now=timezone.now(),
                user=request.user,
                title=form.cleaned_data["title"],
                note=form.cleaned_data["note"],
                ask_review=form.cleaned_data["ask_review"],
            )
        except FileRefused as refused:
            form.add_error("file", str(refused))
        else:
            _shared_message(request, kept)
            return _back(current, f"#file-{kept.pk}")
    return _page(request, current, form=form, status=400)


@studio_required
@refuse_oversized_upload
@require_POST
def version(request: HttpRequest, pk: int) -> HttpResponse:
    previous = get_for_member(
        request,
        ProjectFile.objects.filter(side=ProjectFile.Side.STUDIO, is_current=True).select_related("project__client"),
        pk=pk,
    )
    current = previous.project
    form = version_form(previous, request.POST, request.FILES)
    if form.is_valid():
        try:
            kept = deliverable_share(
                project=current,
                upload=form.cleaned_data["file"],
                now=timezone.now(),
                user=request.user,
                note=form.cleaned_data["note"],
                previous=previous,
                ask_review=form.cleaned_data["ask_review"],
            )
        except FileRefused as refused:
            form.add_error("file", str(refused))
        else:
            _shared_message(request, kept)
            return _back(current, f"#file-{kept.pk}")
    return _page(request, current, bound_version=form, version_of=previous.pk, status=400)


def _shared_message(request: HttpRequest, kept: ProjectFile) -> None:
    if kept.review == ProjectFile.Review.PENDING:
        messages.success(request, _("“%(file)s” is shared; the client is asked to approve it.") % {"file": kept.label})
    else:
        messages.success(request, _("“%(file)s” is shared with the client.") % {"file": kept.label})


@studio_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    file = get_for_member(request, ProjectFile.objects.select_related("project__client"), pk=pk)
    if request.method == "POST":
        file_delete(file=file)
        messages.success(request, _("“%(file)s” is deleted.") % {"file": file.label})
        return _back(file.project)
    return render(request, "files/delete.html", {"file": file, "project": file.project})

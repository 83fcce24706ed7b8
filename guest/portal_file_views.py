"""The portal's files section (R13): the client uploads content, approves a deliverable or asks for changes.

Every view reaches the project or file through the visitor's client (`visitor_project`,
`visitor_deliverables`): another client's id is a 404. A client upload is kept for the freelancer
(Today lists new client files); an approval or a change request is noted as portal activity by the
services in ``files.reviews``, and a change request is a portal message with a reply clock.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from files.checks import FileRefused
from files.forms import ClientUploadForm, changes_form
from files.models import ProjectFile
from files.reviews import ReviewClosed, deliverable_approve, deliverable_ask_changes
from files.services import file_upload
from files.uploads import refuse_oversized_upload
from guest import portal_selectors
from guest.portal_views import message_limit_reached, project_page
from kernel.dates import long_datetime
from kernel.ratelimit import any_exceeded
from projects.portal_access import PortalVisitor, portal_required, visitor_project, visitor_projects

UPLOAD_LIMIT = 60  # files a contact may upload in an hour
UPLOAD_WINDOW_SECONDS = 60 * 60


def visitor_deliverables(visitor: PortalVisitor):
    """The studio's files on the visitor's projects: the only ones the client may review."""
    return ProjectFile.objects.filter(
        studio=visitor.studio, side=ProjectFile.Side.STUDIO, project__in=visitor_projects(visitor).values("pk")
    ).select_related("project__client")


def _back(project_pk: int, anchor: str = "#files") -> HttpResponse:
    return redirect(reverse("portal:project", kwargs={"pk": project_pk}) + anchor)


def upload_limit_reached(visitor: PortalVisitor, count: int) -> bool:
    key = f"portal:upload:{visitor.contact.pk}"
    return any(any_exceeded((key, UPLOAD_LIMIT, UPLOAD_WINDOW_SECONDS), what="Portal upload") for _ in range(count))


@portal_required
@refuse_oversized_upload
@require_POST
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    visitor: PortalVisitor = request.portal
    current = visitor_project(request, pk)
    form = ClientUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return project_page(request, current, upload_form=form, status=400)
    uploads = form.cleaned_data["uploads"]
    if upload_limit_reached(visitor, len(uploads)):
        form.add_error(None, _("You've uploaded a lot of files in the last hour. Please wait a little."))
        return project_page(request, current, upload_form=form, status=429)
    kept = 0
    now = timezone.now()
    for upload_file in uploads:
        try:
            file_upload(
                project=current,
                side=ProjectFile.Side.CLIENT,
                upload=upload_file,
                now=now,
                note=form.cleaned_data["note"],
                contact=visitor.contact,
            )
        except FileRefused as refused:
            form.add_error("uploads", str(refused))
        else:
            kept += 1
    if kept:
        messages.success(
            request,
            ngettext("Thank you: %(count)d file is uploaded.", "Thank you: %(count)d files are uploaded.", kept)
            % {"count": kept},
        )
    if form.errors:
        return project_page(request, current, upload_form=form, status=400)
    return _back(current.pk, "#your-files")


@portal_required
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    visitor: PortalVisitor = request.portal
    file = get_object_or_404(visitor_deliverables(visitor), pk=pk)
    if deliverable_approve(file=file, contact=visitor.contact, now=timezone.now()):
        messages.success(request, _("Approved. Thank you!"))
    else:
        messages.info(request, _("This version is not waiting for your approval any more."))
    return _back(file.project_id, f"#file-{file.pk}")


@portal_required
@require_POST
def ask_changes(request: HttpRequest, pk: int) -> HttpResponse:
    visitor: PortalVisitor = request.portal
    file = get_object_or_404(visitor_deliverables(visitor), pk=pk)
    form = changes_form(file, request.POST)
    if not form.is_valid():
        return project_page(request, file.project, changes=form, changes_of=file.pk, status=400)
    if message_limit_reached(visitor):
        form.add_error(None, _("You've sent a lot of messages in the last hour. Please wait a little."))
        return project_page(request, file.project, changes=form, changes_of=file.pk, status=429)
    try:
        message = deliverable_ask_changes(
            file=file,
            contact=visitor.contact,
            comment=form.cleaned_data["comment"],
            now=timezone.now(),
            studio_address=portal_selectors.studio_address(visitor),
        )
    except ReviewClosed:
        messages.info(request, _("This version is not waiting for your approval any more."))
        return _back(file.project_id, f"#file-{file.pk}")
    if message.reply_due_at:
        messages.success(
            request,
            _("Thank you: we'll answer by %(when)s.")
            % {"when": long_datetime(timezone.localtime(message.reply_due_at), with_year=False)},
        )
    else:
        messages.success(request, _("Thank you: we'll answer soon."))
    return _back(file.project_id, f"#file-{file.pk}")

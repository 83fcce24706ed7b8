"""The studio's pages for an email's attachments and for the client's new files: save to a project, mark seen.

Every view is a studio member's; another studio's message or file is a 404.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from comms.models import Message
from files.from_message import (
    MailAttachment,
    RawEmailGone,
    attachments_save,
    message_attachments,
    preselected_project,
    project_choices,
)
from files.models import ProjectFile
from files.seen import files_mark_seen
from kernel.access import get_for_member, safe_next, studio_required


class FromMessageForm(forms.Form):
    """Which project, and which of the message's attachments (by their place in the message)."""

    project = forms.TypedChoiceField(coerce=int, label=gettext_lazy("Project"))
    attachments = forms.TypedMultipleChoiceField(
        coerce=int,
        label=gettext_lazy("Attachments"),
        error_messages={"required": gettext_lazy("Tick at least one attachment to save.")},
    )

    def __init__(self, *args, projects, attachments: list[MailAttachment], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].choices = [(project.pk, project.title) for project in projects]
        self.fields["attachments"].choices = [(attachment.index, attachment.name) for attachment in attachments]


@studio_required
@require_http_methods(["GET", "POST"])
def from_message(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the message's attachments, all ticked, and the client's projects; POST: save the ticked ones."""
    message = get_for_member(request, Message.objects.select_related("client", "project", "raw_email"), pk=pk)
    context = {"message": message, "problem": "", "attachments": [], "refused": {}}
    if message.client_id is None:
        context["problem"] = _(
            "File this email under a client first: its attachments go to one of the client's projects."
        )
        return render(request, "files/from_message.html", context)
    try:
        attachments = message_attachments(message)
    except RawEmailGone:
        attachments = []
        context["problem"] = _(
            "The original of this email is no longer stored in Rapport, so its attachments cannot be read "
            "again. They are still in your mailbox: download them there and upload them to the project."
        )
    if not context["problem"] and not attachments:
        context["problem"] = _("This email has no attachments to save.")
    projects = list(project_choices(message))
    if not context["problem"] and not projects:
        context["no_project"] = True
        context["problem"] = _("%(client)s has no project yet: create one, then save the attachments to it.") % {
            "client": message.client.name
        }
    if context["problem"]:
        return render(request, "files/from_message.html", context)

    preselected = preselected_project(message, projects)
    if request.method == "POST":
        form = FromMessageForm(request.POST, projects=projects, attachments=attachments)
        if form.is_valid():
            project = next(project for project in projects if project.pk == form.cleaned_data["project"])
            ticked = set(form.cleaned_data["attachments"])
            outcome = attachments_save(
                message=message,
                project=project,
                attachments=[attachment for attachment in attachments if attachment.index in ticked],
                now=timezone.now(),
                user=request.user,
            )
            if outcome.saved or outcome.already:
                _report(request, outcome, project=project)
                return redirect("files:project", pk=project.pk)
            context["refused"] = outcome.refused
        preselected = next((p for p in projects if str(p.pk) == str(form.data.get("project"))), preselected)
        ticked = {str(value) for value in form.data.getlist("attachments")}
    else:
        form = FromMessageForm(projects=projects, attachments=attachments)
        ticked = {str(attachment.index) for attachment in attachments}
    context.update(
        form=form,
        projects=projects,
        preselected=preselected,
        attachments=[
            {
                "index": attachment.index,
                "name": attachment.name,
                "size": attachment.size,
                "content_type": attachment.content_type,
                "ticked": str(attachment.index) in ticked,
                "refused": context["refused"].get(attachment.index, ""),
            }
            for attachment in attachments
        ],
    )
    return render(request, "files/from_message.html", context)


def _report(request: HttpRequest, outcome, *, project) -> None:
    if outcome.saved:
        messages.success(
            request,
            ngettext(
                "%(count)d file saved to %(project)s.", "%(count)d files saved to %(project)s.", len(outcome.saved)
            )
            % {"count": len(outcome.saved), "project": project.title},
        )
    if outcome.already:
        messages.info(
            request,
            _("Already saved from this email to %(project)s: %(names)s.")
            % {"project": project.title, "names": ", ".join(outcome.already)},
        )
    for why in outcome.refused.values():
        messages.error(request, why)


@studio_required
@require_POST
def seen(request: HttpRequest, pk: int) -> HttpResponse:
    """One of the client's files is seen: it leaves Today and the digest."""
    kept = get_for_member(request, ProjectFile, pk=pk)
    files_mark_seen(studio=request.studio, now=timezone.now(), pks=[kept.pk])
    return _done(request)


@studio_required
@require_POST
def seen_all(request: HttpRequest) -> HttpResponse:
    files_mark_seen(studio=request.studio, now=timezone.now())
    return _done(request)


def _done(request: HttpRequest) -> HttpResponse:
    """htmx swaps the row away with an empty fragment; a plain form goes back where it came from."""
    if request.headers.get("HX-Request"):
        return HttpResponse("")
    return redirect(safe_next(request, reverse("today")))

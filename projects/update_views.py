"""The Friday update (R2) pages: edit this week's draft, preview the email, send it; the week's list."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from comms.mail import render_text, studio_email_send
from comms.scheduling import quiet_hours_send_after
from kernel.access import get_for_member, studio_required
from kernel.dates import long_date
from kernel.models import Studio
from projects.drafts import status_update_get_or_draft, status_update_or_unsaved_draft
from projects.friday_query import projects_due_friday_update
from projects.models import Project, StatusUpdate
from projects.update_email import (
    EDITABLE_FIELDS,
    TEMPLATE,
    client_contacts,
    email_context,
    saved_update_context,
    split_recipients,
    week_label,
)
from projects.update_forms import StatusUpdateForm


def _save_edits(form: StatusUpdateForm) -> bool:
    """Save the edits unless the update was sent meanwhile; never touches ``sent_at``."""
    if not StatusUpdate.objects.select_for_update().filter(pk=form.instance.pk, sent_at__isnull=True).exists():
        return False
    update = form.save(commit=False)
    update.save(update_fields=EDITABLE_FIELDS)
    form.save_m2m()
    return True


def _local_when(update: StatusUpdate, studio: Studio) -> str:
    local = timezone.localtime(update.sent_at, studio.zoneinfo)
    return f"{long_date(local.date())}, {local:%H:%M}"


def _already_sent(request: HttpRequest, update: StatusUpdate) -> None:
    messages.error(
        request,
        _("This update was sent on %(when)s: it can't be edited or sent again.")
        % {"when": _local_when(update, request.studio)},
    )


@studio_required
def update(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_for_member(request, Project.objects.select_related("client", "studio"), pk=pk)
    if request.method == "POST":  # the first save creates the week's draft; opening the page never writes
        status_update = status_update_get_or_draft(project=project, now=timezone.now())
    else:
        status_update = status_update_or_unsaved_draft(project=project, now=timezone.now())
    initial = {} if status_update.pk else {"resources": list(project.resources.all())}
    form = StatusUpdateForm(request.POST or None, instance=status_update, studio=request.studio, initial=initial)
    if request.method == "POST":
        if status_update.sent_at is not None:
            _already_sent(request, status_update)
            return redirect("projects:update", pk=project.pk)
        if form.is_valid():
            if "send" in request.POST:
                return _send(request, project, form)
            with transaction.atomic():
                saved = _save_edits(form)
            if saved:
                messages.success(request, _("Friday update saved."))
            else:
                _already_sent(request, StatusUpdate.objects.get(pk=status_update.pk))
            return redirect("projects:update", pk=project.pk)
    contacts = client_contacts(project)
    to, cc = split_recipients(contacts)
    context = {
        "studio_name": request.studio.name,
        "sender_name": request.studio.sender_name or request.studio.name,
        **_update_context(project, status_update, contacts, initial.get("resources")),
    }
    return render(
        request,
        "projects/update.html",
        {
            "project": project,
            "status_update": status_update,
            "form": form,
            "to": to,
            "cc": cc,
            **_email_preview(context, language=project.client.language),
        },
    )


def _update_context(project: Project, update: StatusUpdate, contacts: list, resources: list | None) -> dict[str, Any]:
    """The email's context from the saved update, or from the unsaved draft with the project's resources."""
    if update.pk:
        return saved_update_context(project, update, contacts)
    resources = sorted(resources or [], key=lambda resource: (resource.kind, resource.title, resource.pk))
    fields = {name: getattr(update, name) for name in EDITABLE_FIELDS}
    return email_context(project=project, week=update.week, fields=fields, resources=resources, contacts=contacts)


def _email_preview(context: dict[str, Any], *, language: str) -> dict[str, str]:
    """The email as the client will read it: in the client's language, whatever the freelancer's."""
    with translation.override(language):
        return {
            "preview_subject": " ".join(render_text(f"emails/{TEMPLATE}-subject.txt", context).split()),
            "preview_text": render_text(f"emails/{TEMPLATE}-body.txt", context),
        }


def _send(request: HttpRequest, project: Project, form: StatusUpdateForm) -> HttpResponse:
    contacts = client_contacts(project)
    with transaction.atomic():
        if not _save_edits(form):
            _already_sent(request, StatusUpdate.objects.get(pk=form.instance.pk))
            return redirect("projects:update", pk=project.pk)
        if not contacts:
            messages.error(
                request,
                _("Not sent: %(client)s has no contact to send it to. Your edits are saved; add a contact first.")
                % {"client": project.client.name},
            )
            return redirect("projects:update", pk=project.pk)
        # Claim the update before sending: of two concurrent sends, only one gets here.
        now = timezone.now()
        claimed = StatusUpdate.objects.filter(pk=form.instance.pk, sent_at__isnull=True).update(sent_at=now)
        if not claimed:
            _already_sent(request, StatusUpdate.objects.get(pk=form.instance.pk))
            return redirect("projects:update", pk=project.pk)
        to, cc = split_recipients(contacts)
        # Outside working hours the update waits for the next opening (R5). An error while queueing
        # rolls the claim back, so the update can be sent again.
        leaves_at = quiet_hours_send_after(
            now, tz=request.studio.zoneinfo, working_hours=request.studio.working_hours,
            holidays=request.studio.holiday_spec,
        )  # fmt: skip
        studio_email_send(
            studio=request.studio,
            to=to,
            cc=cc,
            template=TEMPLATE,
            context=saved_update_context(project, StatusUpdate.objects.get(pk=form.instance.pk), contacts),
            idempotency_key=f"status-update:{form.instance.pk}",
            send_after=leaves_at,
            client=project.client,
            project=project,
            language=project.client.language,
        )
    recipients = ", ".join([*to, *cc])
    if leaves_at > now:
        messages.success(
            request,
            _("Friday update to %(recipients)s is in the outbox: it leaves %(when)s, when your working hours start.")
            % {"recipients": recipients, "when": date_format(leaves_at.astimezone(request.studio.zoneinfo), "l H:i")},
        )
    else:
        messages.success(request, _("Friday update sent to %(recipients)s.") % {"recipients": recipients})
    return redirect("projects:detail", pk=project.pk)


def _week_rows(studio: Studio, key: str, projects: list[Project]) -> list[tuple[Project, dict[str, Any] | None]]:
    """Each due project with its StatusUpdate of the week (``project_id``, ``sent_at``) or None: one query."""
    updates = {
        row["project_id"]: row
        for row in StatusUpdate.objects.filter(
            project__studio=studio, project__in=[project.pk for project in projects], week=key
        ).values("project_id", "sent_at")
    }
    return [(project, updates.get(project.pk)) for project in projects]


@studio_required
def friday(request: HttpRequest) -> HttpResponse:
    key, projects = projects_due_friday_update(studio=request.studio, now=timezone.now())
    rows = _week_rows(request.studio, key, projects) if projects else []
    return render(request, "projects/friday.html", {"rows": rows, "week": key, "week_label": week_label(key)})


urlpatterns: list[URLPattern] = [
    path("friday/", friday, name="friday"),
    path("<int:pk>/update/", update, name="update"),
]

"""The guest portal's pages (R13): a client's projects, agreement, payments, contact card and messages.

Every view runs for a portal visitor only (`portal_required`) and reaches rows through the visitor's
client (`visitor_projects` / `visitor_project`): anything else is a 404. Pages show times in the
client's time zone when it is known. Every act the client takes here is noted for the freelancer as
a `PortalActivity` pointing at the page where they act on it.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from datetime import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comms.conversation import record_message
from comms.models import Message
from files.forms import ChangesForm, ClientUploadForm, changes_form
from files.reviews import reviewable
from files.selectors import project_files
from guest import portal_selectors
from guest.portal_forms import (
    MESSAGE_MAX_LENGTH,
    AcceptAgreementForm,
    ChangeDecisionForm,
    PortalMessageForm,
    StepForm,
)
from kernel.dates import long_datetime
from kernel.money import format_money
from kernel.ratelimit import any_exceeded
from projects import portal_activity, services
from projects.models import ActionItem, ChangeRequest, Project
from projects.portal_access import PortalVisitor, portal_required, visitor_project

logger = logging.getLogger("rapport.portal")

Kind = portal_activity.Kind
MESSAGE_LIMIT = 20
MESSAGE_WINDOW_SECONDS = 60 * 60

View = Callable[..., HttpResponse]


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _freelancer_project_url(project: Project) -> str:
    return reverse("projects:detail", kwargs={"pk": project.pk})


# --- projects ---------------------------------------------------------------------------------------


@portal_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    visitor: PortalVisitor = request.portal
    return render(request, "portal/home.html", {"projects": portal_selectors.home_projects(visitor)})


@portal_required
@require_GET
def project(request: HttpRequest, pk: int) -> HttpResponse:
    return project_page(request, visitor_project(request, pk))


def project_page(
    request: HttpRequest,
    current: Project,
    *,
    upload_form: ClientUploadForm | None = None,
    changes: ChangesForm | None = None,
    changes_of: int | None = None,
    status: int = 200,
) -> HttpResponse:
    """The project page; a form of its files section that failed comes back bound, with its errors."""
    page = portal_selectors.project_page(current)
    files = project_files(current)
    for item in files.deliverables:
        file = item.current
        if file.pk == changes_of and changes is not None:
            item.changes_form = changes
        else:
            item.changes_form = changes_form(file) if reviewable(file) else None
    return render(
        request,
        "portal/project.html",
        {
            "page": page,
            "project": page.project,
            "today": timezone.localdate(),
            "tab": "project",
            "files": files,
            "upload_form": upload_form or ClientUploadForm(),
        },
        status=status,
    )


def step_set_done(visitor: PortalVisitor, *, project: Project, item: ActionItem, done: bool, now: datetime) -> bool:
    """Tick (or untick) one of the client's next steps; False when it already was so.

    A conditional update: two taps at once record one activity.
    """
    changed = ActionItem.objects.filter(pk=item.pk, done_at__isnull=done).update(done_at=now if done else None)
    item.done_at = now if done else None
    if not changed:
        return False
    portal_activity.record(
        visitor,
        kind=Kind.STEP_DONE if done else Kind.STEP_REOPENED,
        summary=item.text,
        project=project,
        url=_freelancer_project_url(project),
    )
    return True


@portal_required
@require_POST
def step_toggle(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    current = visitor_project(request, pk)
    item = get_object_or_404(portal_selectors.client_steps(current), pk=item_pk)
    form = StepForm(request.POST)
    done = form.cleaned_data["done"] if form.is_valid() else item.done_at is None
    step_set_done(request.portal, project=current, item=item, done=done, now=timezone.now())
    if _is_htmx(request):
        return render(request, "portal/_step.html", {"step": item, "project": current, "today": timezone.localdate()})
    return redirect(reverse("portal:project", kwargs={"pk": current.pk}) + "#steps")


# --- agreement and change requests ------------------------------------------------------------------


def agreement_ready(project: Project) -> bool:
    """There is something to accept: an agreed price or a written scope."""
    return project.price_minor is not None or bool(project.scope.strip())


def _agreement_page(request: HttpRequest, current: Project, form: AcceptAgreementForm | None = None) -> HttpResponse:
    return render(
        request,
        "portal/agreement.html",
        {
            "project": current,
            "tab": "agreement",
            "ready": agreement_ready(current),
            "form": form or AcceptAgreementForm(initial={"full_name": request.portal.contact.name}),
            "changes": portal_selectors.proposed_and_decided_changes(current),
        },
    )


@portal_required
@require_GET
def agreement(request: HttpRequest, pk: int) -> HttpResponse:
    return _agreement_page(request, visitor_project(request, pk))


def _client_ip(request: HttpRequest) -> str | None:
    raw = request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None


@portal_required
@require_POST
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    visitor: PortalVisitor = request.portal
    current = visitor_project(request, pk)
    back = redirect("portal:agreement", pk=current.pk)
    if current.agreement_accepted_at is not None:
        messages.info(request, _("This agreement is already accepted."))
        return back
    if not agreement_ready(current):
        messages.info(request, _("The agreement isn't ready yet: we'll let you know when it is."))
        return back
    form = AcceptAgreementForm(request.POST)
    if not form.is_valid():
        return _agreement_page(request, current, form)
    name = form.cleaned_data["full_name"]
    try:
        services.agreement_accept(
            project=current, name=name, email=visitor.contact.email, ip=_client_ip(request), now=timezone.now()
        )
    except services.ProjectError:  # accepted a moment ago, in another tab
        messages.info(request, _("This agreement is already accepted."))
        return back
    portal_activity.record(
        visitor,
        kind=Kind.AGREEMENT_ACCEPTED,
        summary=f"{current.title}: {name}",
        project=current,
        url=_freelancer_project_url(current),
    )
    messages.success(request, _("Thank you: the agreement is accepted."))
    return back


@portal_required
@require_POST
def change_decide(request: HttpRequest, pk: int, change_pk: int) -> HttpResponse:
    visitor: PortalVisitor = request.portal
    current = visitor_project(request, pk)
    change = get_object_or_404(ChangeRequest.objects.filter(project=current), pk=change_pk)
    back = redirect(reverse("portal:agreement", kwargs={"pk": current.pk}) + "#changes")
    form = ChangeDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether to approve or decline the change."))
        return back
    try:
        services.change_request_decide(
            change_request=change,
            approve=form.approved,
            by_name=visitor.contact.name or visitor.contact.email,
            now=timezone.now(),
        )
    except services.ProjectError:
        messages.info(request, _("This change request was already decided."))
        return back
    portal_activity.record(
        visitor,
        kind=Kind.CHANGE_APPROVED if form.approved else Kind.CHANGE_DECLINED,
        summary=f"{change.title} ({format_money(change.price_minor, current.currency)})",
        project=current,
        url=_freelancer_project_url(current),
    )
    if form.approved:
        messages.success(request, _("Approved. Thank you: we'll plan it in."))
    else:
        messages.success(request, _("Declined. Thank you for letting us know."))
    return back


# --- payments and contact ---------------------------------------------------------------------------


@portal_required
@require_GET
def payments(request: HttpRequest, pk: int) -> HttpResponse:
    visitor: PortalVisitor = request.portal
    page = portal_selectors.payments_page(
        visitor_project(request, pk), today=timezone.localdate(), tz=visitor.studio.zoneinfo
    )
    return render(
        request,
        "portal/payments.html",
        {"page": page, "project": page.project, "tab": "payments", "payment_options": visitor.studio.payment_options},
    )


@portal_required
@require_GET
def contact(request: HttpRequest) -> HttpResponse:
    visitor: PortalVisitor = request.portal
    return render(
        request,
        "portal/contact.html",
        {"week": portal_selectors.working_week(visitor, now=timezone.now()), "studio": visitor.studio},
    )


# --- messages ---------------------------------------------------------------------------------------


def message_write(visitor: PortalVisitor, *, subject: str, text: str, now: datetime) -> Message:
    """File a message the client wrote in the portal, as if they had emailed it: it starts a reply clock."""
    contact = visitor.contact
    message = record_message(
        visitor.studio,
        direction=Message.Direction.INBOUND,
        client=visitor.client,
        sent_at=now,
        subject=subject or _("Message from the client portal"),
        from_email=contact.email,
        from_name=contact.name,
        to=[portal_selectors.studio_address(visitor)],
        text=text,
        channel=Message.Channel.PORTAL,
    )
    portal_activity.record(
        visitor,
        kind=Kind.MESSAGE,
        summary=message.subject,
        url=reverse("comms:message", kwargs={"pk": message.pk}),
    )
    return message


def message_limit_reached(visitor: PortalVisitor) -> bool:
    """Count one portal message of this contact; True past `MESSAGE_LIMIT` an hour. Fails open."""
    key = f"portal:message:{visitor.contact.pk}"
    return any_exceeded((key, MESSAGE_LIMIT, MESSAGE_WINDOW_SECONDS), what="Portal message")


@portal_required
@require_http_methods(["GET", "POST"])
def conversation(request: HttpRequest) -> HttpResponse:
    visitor: PortalVisitor = request.portal
    form = PortalMessageForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if message_limit_reached(visitor):
            form.add_error(
                None,
                _("You've sent a lot of messages in the last hour. Please wait a little, or email us at %(email)s.")
                % {"email": portal_selectors.studio_address(visitor)},
            )
            status = 429
        else:
            message = message_write(
                visitor, subject=form.cleaned_data["subject"], text=form.cleaned_data["text"], now=timezone.now()
            )
            if message.reply_due_at:
                messages.success(
                    request,
                    _("Sent. We'll answer by %(when)s.")
                    % {"when": long_datetime(timezone.localtime(message.reply_due_at), with_year=False)},
                )
            else:
                messages.success(request, _("Sent. We'll answer soon."))
            return redirect(reverse("portal:messages") + "#write")
    return render(
        request,
        "portal/messages.html",
        {
            "conversation": portal_selectors.conversation(visitor),
            "form": form,
            "studio": visitor.studio,
            "max_length": MESSAGE_MAX_LENGTH,
        },
        status=status,
    )

"""The client's call pages in the portal (R8): list, book, move and cancel.

The rules live in ``projects.calls``; these views only ask and answer. Every view runs for a portal
visitor only and reaches calls through the visitor's client; each act is noted for the freelancer as
a ``PortalActivity`` pointing at their calls page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from comms.models import Message
from guest.call_forms import BookCallForm
from kernel.models import Studio
from projects import portal_activity
from projects.call_forms import CancelCallForm, MoveCallForm, chosen_start, slot_days
from projects.calls import (
    CallError,
    SlotTaken,
    book_call,
    call_minutes,
    cancel_call,
    format_when,
    move_call,
    open_slots,
    reader_zone,
)
from projects.models import Call
from projects.portal_access import PortalVisitor, portal_required, visitor_projects

RECENT_LIMIT = 20


def _zone_context(zone: ZoneInfo, *, own: bool) -> dict[str, Any]:
    return {"zone": zone.key, "zone_is_own": own}


def _for_studio(at: datetime, studio: Studio) -> str:
    """A time for the freelancer's activity list: their zone and language, whatever the visitor's."""
    with translation.override(settings.LANGUAGE_CODE):
        return format_when(at, studio.zoneinfo)


def _chosen_duration(raw: str | None, durations: list[int]) -> int:
    return int(raw) if raw and raw.isdigit() and int(raw) in durations else durations[0]


def _visitor_calls(visitor: PortalVisitor) -> QuerySet[Call]:
    """The calls of the visitor's client (another client's call is a 404 through this)."""
    return Call.objects.filter(studio=visitor.studio, client=visitor.client)


def _visitor_zone(visitor: PortalVisitor) -> tuple[ZoneInfo, bool]:
    """The zone the visitor reads times in, and whether it is their own (else the studio's)."""
    zone = reader_zone(visitor.studio, visitor.client)
    return zone, bool(visitor.client.timezone) and zone.key == visitor.client.timezone


@portal_required
def portal_list(request: HttpRequest) -> HttpResponse:
    visitor: PortalVisitor = request.portal
    now = timezone.now()
    calls = _visitor_calls(visitor).select_related("project")
    upcoming = calls.filter(status=Call.Status.BOOKED, ends_at__gt=now).order_by("starts_at", "pk")
    past = calls.filter(Q(status=Call.Status.CANCELLED) | Q(ends_at__lte=now)).order_by("-starts_at", "-pk")
    zone, own = _visitor_zone(visitor)
    return render(
        request,
        "portal/calls.html",
        {
            "upcoming": list(upcoming),
            "past": list(past[:RECENT_LIMIT]),
            "now": now,
            **_zone_context(zone, own=own),
        },
    )


def _proposal(visitor: PortalVisitor, raw: str | None) -> Message | None:
    """The studio's message a "let's talk" link came from, when it is about this client."""
    if not raw or not raw.isdigit():
        return None
    return Message.objects.filter(studio=visitor.studio, client=visitor.client, pk=int(raw)).first()


@portal_required
def portal_book(request: HttpRequest) -> HttpResponse:
    visitor: PortalVisitor = request.portal
    studio = visitor.studio
    durations = studio.call_duration_choices
    projects = visitor_projects(visitor)
    now = timezone.now()
    if request.method == "POST":
        form = BookCallForm(request.POST, durations=durations, projects=projects)
        duration = _chosen_duration(request.POST.get("duration"), durations)
        proposal = request.POST.get("proposal", "")
        if form.is_valid():
            data = form.cleaned_data
            try:
                call = book_call(
                    studio=studio,
                    client=visitor.client,
                    contact=visitor.contact,
                    starts_at=data["start"],
                    duration_minutes=data["duration"],
                    topic=data["topic"],
                    project=data["project"],
                    booked_by=Call.Side.CLIENT,
                    proposed_from=_proposal(visitor, proposal),
                    now=now,
                )
            except CallError as error:
                form.add_error("start" if isinstance(error, SlotTaken) else None, str(error))
            else:
                zone, _own = _visitor_zone(visitor)
                portal_activity.record(
                    visitor,
                    kind=portal_activity.Kind.CALL_BOOKED,
                    summary=f"{_for_studio(call.starts_at, studio)}: {call.topic}",
                    project=call.project,
                    url=reverse("calls:index"),
                )
                messages.success(
                    request,
                    _("Your call is booked for %(when)s. The invitation is on its way to %(email)s.")
                    % {"when": format_when(call.starts_at, zone), "email": visitor.contact.email},
                )
                return redirect("portal:calls")
    else:
        duration = _chosen_duration(request.GET.get("duration"), durations)
        proposal = request.GET.get("proposal", "")
        form = BookCallForm(
            initial={
                "duration": duration,
                "topic": request.GET.get("topic", "")[:300],
                "project": request.GET.get("project", ""),
            },
            durations=durations,
            projects=projects,
        )
    zone, own = _visitor_zone(visitor)
    slots = open_slots(studio, duration_minutes=duration, now=now)
    return render(
        request,
        "portal/call_book.html",
        {
            "form": form,
            "durations": durations,
            "duration": duration,
            "days": slot_days(slots, zone, chosen=chosen_start(request, form)),
            "chosen": chosen_start(request, form),
            "proposal": proposal if proposal.isdigit() else "",
            "location": studio.call_location,
            **_zone_context(zone, own=own),
        },
    )


@portal_required
@require_POST
def portal_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    visitor: PortalVisitor = request.portal
    call = get_object_or_404(_visitor_calls(visitor).select_related("studio", "client", "contact", "project"), pk=pk)
    form = CancelCallForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        cancel_call(call, by=Call.Side.CLIENT, reason=reason)
    except CallError as error:
        messages.error(request, str(error))
    else:
        portal_activity.record(
            visitor,
            kind=portal_activity.Kind.CALL_CANCELLED,
            summary=f"{_for_studio(call.starts_at, call.studio)}: {call.topic}" + (f" ({reason})" if reason else ""),
            project=call.project,
            url=reverse("calls:index"),
        )
        messages.success(request, _("The call is cancelled. We have let them know."))
    return redirect("portal:calls")


@portal_required
def portal_move(request: HttpRequest, pk: int) -> HttpResponse:
    visitor: PortalVisitor = request.portal
    call = get_object_or_404(
        _visitor_calls(visitor)
        .filter(status=Call.Status.BOOKED)
        .select_related("studio", "client", "contact", "project"),
        pk=pk,
    )
    zone, own = _visitor_zone(visitor)
    form = MoveCallForm(request.POST or None)
    now = timezone.now()
    if request.method == "POST" and form.is_valid():
        previous = call.starts_at
        try:
            move_call(call, starts_at=form.cleaned_data["start"], by=Call.Side.CLIENT, now=now)
        except CallError as error:
            form.add_error("start", str(error))
        else:
            moved = f"{_for_studio(previous, call.studio)} → {_for_studio(call.starts_at, call.studio)}"
            portal_activity.record(
                visitor,
                kind=portal_activity.Kind.CALL_MOVED,
                summary=f"{moved}: {call.topic}",
                project=call.project,
                url=reverse("calls:index"),
            )
            messages.success(
                request, _("Your call is moved to %(when)s.") % {"when": format_when(call.starts_at, zone)}
            )
            return redirect("portal:calls")
    slots = open_slots(call.studio, duration_minutes=call_minutes(call), now=now, exclude=call)
    return render(
        request,
        "portal/call_move.html",
        {
            "call": call,
            "form": form,
            "days": slot_days(slots, zone, chosen=chosen_start(request, form)),
            "chosen": chosen_start(request, form),
            "now": now,
            **_zone_context(zone, own=own),
        },
    )

"""Call pages (R8): clients book, move and cancel in the portal; the freelancer lists, moves, cancels, proposes.

The rules live in ``projects.calls``; these views only ask and answer.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
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
from kernel.access import get_for_member, safe_next, scoped, studio_required
from projects import portal_activity
from projects.call_forms import BookCallForm, CancelCallForm, MoveCallForm
from projects.calls import (
    CallError,
    SlotTaken,
    book_call,
    call_minutes,
    cancel_call,
    client_contact,
    format_when,
    move_call,
    open_slots,
    reader_zone,
    slots_by_day,
)
from projects.models import Call
from projects.portal_access import PortalVisitor, portal_required, visitor_projects

RECENT_DAYS = 30
RECENT_LIMIT = 20
LANDING_MAX_LENGTH = 200
_DOTS = re.compile(r"\.{2,}")
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?|fw|aw|wg|ответ|отв|пересл)\s*:\s*)+", re.IGNORECASE)


# --- Shared -----------------------------------------------------------------------------------


def _slot_days(slots: list[datetime], zone: ZoneInfo, *, chosen: str = "") -> list[dict[str, Any]]:
    """Slots grouped by local day for the page, each with the value the form posts back (UTC ISO).

    The day holding ``chosen`` (else the first day) is shown open.
    """
    days = [
        {"day": day, "slots": [{"value": slot.astimezone(UTC).isoformat(), "at": slot} for slot in day_slots]}
        for day, day_slots in slots_by_day(slots, zone)
    ]
    for group in days:
        group["open"] = any(slot["value"] == chosen for slot in group["slots"])
    if days and not any(group["open"] for group in days):
        days[0]["open"] = True
    return days


def _zone_context(zone: ZoneInfo, *, own: bool) -> dict[str, Any]:
    return {"zone": zone.key, "zone_is_own": own}


def _for_studio(at: datetime, studio: Any) -> str:
    """A time for the freelancer's activity list: their zone and language, whatever the visitor's."""
    with translation.override(settings.LANGUAGE_CODE):
        return format_when(at, studio.zoneinfo)


def _chosen_start(request: HttpRequest, form: Any) -> str:
    """The start the visitor picked, to keep it selected on a re-render, unless it was the problem."""
    return "" if form.has_error("start") else request.POST.get("start", "")


def _chosen_duration(raw: str | None, durations: list[int]) -> int:
    return int(raw) if raw and raw.isdigit() and int(raw) in durations else durations[0]


# --- Portal -----------------------------------------------------------------------------------


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
            "days": _slot_days(slots, zone, chosen=_chosen_start(request, form)),
            "chosen": _chosen_start(request, form),
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
            "days": _slot_days(slots, zone, chosen=_chosen_start(request, form)),
            "chosen": _chosen_start(request, form),
            "now": now,
            **_zone_context(zone, own=own),
        },
    )


# --- The freelancer's side --------------------------------------------------------------------


def _studio_calls(request: HttpRequest) -> QuerySet[Call]:
    return scoped(request, Call).select_related("client", "contact", "project")


def _list_context(request: HttpRequest, now: datetime) -> dict[str, Any]:
    """Upcoming calls grouped by local day (today first) and the recent past (two queries)."""
    zone = request.studio.zoneinfo
    calls = _studio_calls(request)
    upcoming = calls.filter(status=Call.Status.BOOKED, ends_at__gt=now).order_by("starts_at", "pk")
    recent = (
        calls.filter(starts_at__gte=now - timedelta(days=RECENT_DAYS))
        .filter(Q(status=Call.Status.CANCELLED) | Q(ends_at__lte=now))
        .order_by("-starts_at", "-pk")
    )
    return {
        "days": _calls_by_day(list(upcoming), zone),
        "recent": list(recent[:RECENT_LIMIT]),
        "today": now.astimezone(zone).date(),
        "now": now,
        "zone": zone.key,
    }


def _calls_by_day(calls: list[Call], zone: ZoneInfo) -> list[dict[str, Any]]:
    days: dict[date, list[Call]] = {}
    for call in calls:
        days.setdefault(call.starts_at.astimezone(zone).date(), []).append(call)
    return [{"day": day, "calls": day_calls} for day, day_calls in days.items()]


@studio_required
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "projects/calls.html", _list_context(request, timezone.now()))


@studio_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_for_member(request, _studio_calls(request).select_related("studio"), pk=pk)
    form = CancelCallForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        cancel_call(call, by=Call.Side.STUDIO, reason=reason)
    except CallError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("Call with %(client)s cancelled; they have been told.") % {"client": call.client.name}
        )
    return redirect(safe_next(request, reverse("calls:index")))


@studio_required
def move(request: HttpRequest, pk: int) -> HttpResponse:
    """The calls page with a slot picker for one call: the freelancer may take any free time, at no notice."""
    call = get_for_member(request, _studio_calls(request).filter(status=Call.Status.BOOKED), pk=pk)
    form = MoveCallForm(request.POST or None)
    now = timezone.now()
    zone = request.studio.zoneinfo
    if request.method == "POST" and form.is_valid():
        try:
            move_call(call, starts_at=form.cleaned_data["start"], by=Call.Side.STUDIO, now=now)
        except CallError as error:
            form.add_error("start", str(error))
        else:
            messages.success(
                request,
                _("Call with %(client)s moved to %(when)s; they have been sent the new time.")
                % {"client": call.client.name, "when": format_when(call.starts_at, zone)},
            )
            return redirect("calls:index")
    slots = open_slots(request.studio, duration_minutes=call_minutes(call), now=now, by=Call.Side.STUDIO, exclude=call)
    return render(
        request,
        "projects/calls.html",
        {
            **_list_context(request, now),
            "moving": call,
            "form": form,
            "slot_days": _slot_days(slots, zone, chosen=_chosen_start(request, form)),
            "chosen": _chosen_start(request, form),
        },
    )


def proposal_topic(message: Message) -> str:
    """The call's topic a message suggests: its subject without "Re:"; runs of dots become "…"."""
    topic = _REPLY_PREFIX.sub("", " ".join(message.subject.split()))
    return _DOTS.sub("…", topic)[:300]


def proposal_landing(message: Message, topic: str | None = None) -> str:
    """The portal booking page, topic prefilled (from the message subject by default), in at most 200 characters.

    Runs of dots become "…": a portal landing may not contain "..".
    """
    topic = _DOTS.sub("…", " ".join((topic if topic is not None else proposal_topic(message)).split()))[:300]
    base = reverse("portal:call_book")
    while True:
        landing = f"{base}?{urlencode({'topic': topic, 'proposal': message.pk})}"
        if len(landing) <= LANDING_MAX_LENGTH or not topic:
            return landing
        topic = topic[:-1].rstrip()


@studio_required
@require_POST
def propose(request: HttpRequest, message_pk: int) -> HttpResponse:
    """Email the client a call proposal: the topic, and a portal link that opens on the slot picker."""
    from projects.portal_links import send_call_proposal  # written alongside; imported late on purpose

    message = get_for_member(request, Message.objects.select_related("client"), pk=message_pk, client__isnull=False)
    sender = message.from_email if message.direction == Message.Direction.INBOUND else ""
    contact = client_contact(message.client, email=sender)
    typed = request.POST.get("topic", "").replace("\x00", "")
    topic = _DOTS.sub("…", " ".join(typed.split()))[:300] or proposal_topic(message)
    if contact is None:
        messages.error(request, _("%(client)s has no contact to send the link to.") % {"client": message.client.name})
    else:
        try:
            send_call_proposal(
                contact,
                topic=topic or _("a quick question"),
                minutes=request.studio.call_duration_choices[0],
                landing=proposal_landing(message, topic),
                by=request.user,
            )
        except ValueError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("%(name)s has been sent a link to pick a time for a call.") % {"name": contact.name or contact.email},
            )
    return redirect("comms:message", pk=message.pk)

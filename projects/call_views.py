"""The freelancer's call pages (R8): list, move, cancel, and propose a call to a client.

The rules live in ``projects.calls``; these views only ask and answer. Clients book, move and
cancel in the portal (``guest.call_views``).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from comms.models import Message
from kernel.access import get_for_member, safe_next, scoped, studio_required
from kernel.i18n import supported_language
from kernel.links import absolute_url
from kernel.ratelimit import any_exceeded
from projects import ics_feed
from projects.busy_calendar_forms import BusyCalendarForm, CalDAVAccountForm, ChooseCalendarForm
from projects.busy_calendars import (
    FetchError,
    RemoteCalendar,
    account_secrets,
    add_caldav_calendar,
    add_calendar,
    caldav_calendars,
    choose_caldav_calendar,
    refresh_calendar,
    remove_calendar,
    set_write_calls,
    stale_calendars,
    studio_calendars,
)
from projects.call_forms import CancelCallForm, MoveCallForm, chosen_start, slot_days
from projects.calls import CallError, call_minutes, cancel_call, client_contact, format_when, move_call, open_slots
from projects.models import BusyCalendar, Call
from projects.portal_access import with_no_store
from projects.portal_links import send_call_proposal

RECENT_DAYS = 30
RECENT_LIMIT = 20
LANDING_MAX_LENGTH = 200
_DOTS = re.compile(r"\.{2,}")
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?|fw|aw|wg|ответ|отв|пересл)\s*:\s*)+", re.IGNORECASE)


def _studio_calls(request: HttpRequest) -> QuerySet[Call]:
    return scoped(request, Call).select_related("client", "contact", "project")


def _list_context(request: HttpRequest, now: datetime) -> dict[str, Any]:
    """Upcoming calls by local day (today first), the recent past, unreadable busy calendars and the
    member's calendar feed: four queries whatever their number."""
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
        "stale_calendars": stale_calendars(request.studio, now),
        "feed": ics_feed.active_feeds(request.studio, request.user).first(),
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
            "slot_days": slot_days(slots, zone, chosen=chosen_start(request, form)),
            "chosen": chosen_start(request, form),
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


# --- The freelancer's calendar feed ------------------------------------

FEED_GUESS_LIMIT = 30
FEED_GUESS_WINDOW_SECONDS = 10 * 60


def feed_urls(token: str) -> dict[str, str]:
    """The feed's https URL and the same as ``webcal://`` (one-click subscribe in Apple and Outlook)."""
    url = absolute_url("calendar:feed", token=token)
    return {"feed_url": url, "webcal_url": "webcal://" + url.split("://", 1)[-1]}


@studio_required
@require_POST
def feed_new(request: HttpRequest) -> HttpResponse:
    """Make (or replace) the member's feed link and show it this once: it is never shown again."""
    language = supported_language(getattr(request, "LANGUAGE_CODE", None))
    _feed, token = ics_feed.issue_feed(request.studio, request.user, language=language, now=timezone.now())
    response = render(request, "projects/calendar_feed.html", feed_urls(token))
    return with_no_store(response)


@studio_required
@require_POST
def feed_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    feed = get_object_or_404(ics_feed.active_feeds(request.studio, request.user), pk=pk)
    ics_feed.revoke_feed(feed, now=timezone.now())
    messages.success(request, _("Calendar link revoked: calendars subscribed to it stop updating."))
    return redirect(reverse("calls:index") + "#calendar-feed")


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The private feed: no sign-in, the token is the key; unknown and revoked tokens are the same 404."""
    key = f"calendar:guess:{request.META.get('REMOTE_ADDR') or 'unknown'}"
    if _feed_guesses_exhausted(key):
        return HttpResponse(status=429)
    feed = ics_feed.find_feed(token)
    if feed is None:
        any_exceeded((key, FEED_GUESS_LIMIT, FEED_GUESS_WINDOW_SECONDS), what="Calendar feed")
        raise Http404
    now = timezone.now()
    ics_feed.mark_used(feed, now=now)
    with translation.override(feed.language):
        body = ics_feed.feed_calendar(ics_feed.studio_feed(feed.studio, now=now), now=now)
    response = HttpResponse(body, content_type=ics_feed.CONTENT_TYPE)
    response["Content-Disposition"] = 'inline; filename="rapport.ics"'
    return with_no_store(response)


def _feed_guesses_exhausted(key: str) -> bool:
    try:
        return (cache.get(key) or 0) >= FEED_GUESS_LIMIT
    except Exception:  # the cache is down: fail open, as every rate limit does
        return False


# --- Busy calendars ----------------------------------------------------------------------------


@studio_required
def calendars(request: HttpRequest) -> HttpResponse:
    """The studio's busy calendars: add one (read at once), see each one's status, remove one."""
    now = timezone.now()
    form = BusyCalendarForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            calendar = add_calendar(
                request.studio, name=form.cleaned_data["name"], url=form.cleaned_data["url"], now=now
            )
        except ValueError as error:
            form.add_error("url", str(error))
        else:
            _say_refreshed(request, calendar, added=True)
            return redirect("calls:calendars")
    return _calendars_page(request, form=form, caldav_form=CalDAVAccountForm(), now=now)


def _calendars_page(
    request: HttpRequest, *, form: BusyCalendarForm, caldav_form: CalDAVAccountForm, now: datetime
) -> HttpResponse:
    rows = studio_calendars(request.studio, now)
    return render(
        request,
        "projects/busy_calendars.html",
        {
            "rows": rows,
            "stale_rows": [row.calendar for row in rows if row.stale],
            "form": form,
            "caldav_form": caldav_form,
            "zone": request.studio.zoneinfo.key,
        },
    )


@studio_required
@require_POST
def calendar_add_caldav(request: HttpRequest) -> HttpResponse:
    """Add a CalDAV account: the credentials are checked by listing its calendars (or by reading the one
    given); with several calendars and none given, the freelancer picks one next."""
    now = timezone.now()
    form = CalDAVAccountForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        account = {"url": data["url"], "username": data["username"], "password": data["password"]}
        found: list[RemoteCalendar] = []
        try:
            if not data["calendar_url"]:
                found = caldav_calendars(**account)
        except FetchError as error:
            form.add_error(None, _("Rapport could not sign in: %(error)s.") % {"error": error.worded()})
        else:
            if not data["calendar_url"] and not found:
                form.add_error(None, _("This account has no calendar."))
            else:
                calendar_url = data["calendar_url"] or (found[0].url if len(found) == 1 else "")
                try:
                    calendar = add_caldav_calendar(
                        request.studio,
                        name=data["name"],
                        calendar_url=calendar_url,
                        write_calls=data["write_calls"],
                        now=now,
                        **account,
                    )
                except ValueError as error:
                    form.add_error(None, str(error))
                else:
                    if not calendar_url:
                        query = "?write=1" if data["write_calls"] else ""
                        return redirect(reverse("calls:calendar_choose", args=[calendar.pk]) + query)
                    _say_refreshed(request, calendar, added=True)
                    return redirect("calls:calendars")
    return _calendars_page(request, form=BusyCalendarForm(), caldav_form=form, now=now)


@studio_required
def calendar_choose(request: HttpRequest, pk: int) -> HttpResponse:
    """Pick which of a CalDAV account's calendars blocks booking (listed from the server just now)."""
    calendar = get_for_member(
        request, BusyCalendar.objects.select_related("studio").filter(kind=BusyCalendar.Kind.CALDAV), pk=pk
    )
    now = timezone.now()
    problem = ""
    found: list[RemoteCalendar] = []
    try:
        url, password = account_secrets(calendar)
        found = caldav_calendars(url=url, username=calendar.username, password=password)
    except FetchError as error:
        problem = error.worded()
    initial = {"calendar_url": calendar.calendar_url, "write_calls": calendar.write_calls or "write" in request.GET}
    form = ChooseCalendarForm(request.POST or None, calendars=found, initial=initial)
    if request.method == "POST" and not problem and form.is_valid():
        choose_caldav_calendar(
            calendar,
            calendar_url=form.cleaned_data["calendar_url"],
            write_calls=form.cleaned_data["write_calls"],
            now=now,
        )
        _say_refreshed(request, calendar, added=True)
        return redirect("calls:calendars")
    return render(
        request, "projects/busy_calendar_choose.html", {"calendar": calendar, "form": form, "problem": problem}
    )


@studio_required
@require_POST
def calendar_write_calls(request: HttpRequest, pk: int) -> HttpResponse:
    """Start or stop writing booked calls to a CalDAV calendar."""
    calendar = get_for_member(request, BusyCalendar, pk=pk)
    on = request.POST.get("on") == "1"
    try:
        set_write_calls(calendar, on=on, now=timezone.now())
    except ValueError as error:
        messages.error(request, str(error))
    else:
        if on:
            messages.success(
                request, _("Booked calls are now written to “%(name)s” within minutes.") % {"name": calendar.name}
            )
        else:
            messages.success(request, _("Booked calls are no longer written to “%(name)s”.") % {"name": calendar.name})
    return redirect("calls:calendars")


@studio_required
@require_POST
def calendar_remove(request: HttpRequest, pk: int) -> HttpResponse:
    calendar = get_for_member(request, BusyCalendar, pk=pk)
    remove_calendar(calendar)
    messages.success(
        request, _("Calendar “%(name)s” removed: its busy times no longer block booking.") % {"name": calendar.name}
    )
    return redirect("calls:calendars")


@studio_required
@require_POST
def calendar_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    calendar = get_for_member(request, BusyCalendar.objects.select_related("studio"), pk=pk)
    refresh_calendar(calendar, now=timezone.now())
    _say_refreshed(request, calendar, added=False)
    return redirect("calls:calendars")


def _say_refreshed(request: HttpRequest, calendar: BusyCalendar, *, added: bool) -> None:
    if calendar.last_error:
        messages.warning(
            request,
            _("Rapport could not read “%(name)s”: %(error)s. It tries again every few minutes.")
            % {"name": calendar.name, "error": calendar.get_last_error_display()},
        )
    elif added:
        messages.success(
            request, _("Calendar “%(name)s” added: its busy times block booking.") % {"name": calendar.name}
        )
    else:
        messages.success(request, _("Calendar “%(name)s” read again.") % {"name": calendar.name})

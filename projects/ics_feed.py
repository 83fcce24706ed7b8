"""Calendar out: the freelancer's private ICS feed and the client's ICS of their project dates.

Two halves:

* ``feed_calendar``: pure. Plain rows (``CallRow``, ``DayRow``, ``WeeklyRow``) in, RFC 5545 bytes out,
  texts in the active language. Every event has a stable UID (``call-<id>@host``,
  ``deadline-<project>@host``, ``milestone-<id>@host``, ``friday-<studio>@host``), so a calendar that
  fetches again updates its events instead of doubling them; a call carries its SEQUENCE and a
  cancelled one STATUS:CANCELLED. Calls are in UTC, deadlines and milestones all-day DATE events, the
  Friday reminder a weekly rule in the studio's zone (with its VTIMEZONE).
* ``studio_feed`` / ``client_feed``: selectors. They read one studio's (or one client's) rows inside a
  fixed window (``WINDOW_BACK_DAYS`` back, ``WINDOW_AHEAD_DAYS`` ahead) in four queries, whatever the
  number of projects.

Calendar apps fetch without a language, so the freelancer's feed speaks the language its link was
made in (``CalendarFeed.language``) and the client's the client's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from clients.models import Client
from kernel.dates import as_utc
from kernel.links import absolute_url
from kernel.models import Studio
from kernel.tokens import hash_token, new_token
from projects.calls import reader_zone
from projects.models import CalendarFeed, Call, Milestone, Project

PRODID = "-//Rapport//Calendar feed//EN"
WINDOW_BACK_DAYS = 60
WINDOW_AHEAD_DAYS = 365
REFRESH = timedelta(hours=1)
FRIDAY_MINUTES = 30
CONTENT_TYPE = "text/calendar; charset=utf-8"
USED_EVERY = timedelta(minutes=15)


@dataclass(frozen=True)
class CallRow:
    uid: str
    sequence: int
    starts_at: datetime
    ends_at: datetime
    summary: str
    cancelled: bool
    url: str
    location: str = ""


@dataclass(frozen=True)
class DayRow:
    """An all-day event: a deadline or a milestone."""

    uid: str
    day: date
    summary: str
    url: str


@dataclass(frozen=True)
class WeeklyRow:
    """A weekly event at a local wall-clock time (the Friday update reminder)."""

    uid: str
    first: datetime  # aware, in the zone the rule repeats in
    minutes: int
    byday: str
    summary: str
    description: str
    url: str


@dataclass
class FeedRows:
    name: str
    zone: str
    calls: list[CallRow] = field(default_factory=list)
    days: list[DayRow] = field(default_factory=list)
    weekly: list[WeeklyRow] = field(default_factory=list)


def site_host() -> str:
    """The host UIDs are made unique under: ``SITE_URL``'s."""
    return urlsplit(settings.SITE_URL).hostname or "rapport"


# --- Pure ----------------------------------------------------------------------------------------


def feed_calendar(rows: FeedRows, *, now: datetime) -> bytes:
    """``rows`` as one VCALENDAR (RFC 5545), ready to serve as ``text/calendar``."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", rows.name)
    calendar.add("x-wr-timezone", rows.zone)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    stamp = as_utc(now).replace(microsecond=0)
    for call in rows.calls:
        event = _event(call.uid, call.summary, call.url, stamp)
        event.add("sequence", call.sequence)
        event.add("dtstart", as_utc(call.starts_at))
        event.add("dtend", as_utc(call.ends_at))
        if call.location:
            event.add("location", call.location)
        event.add("status", "CANCELLED" if call.cancelled else "CONFIRMED")
        calendar.add_component(event)
    for row in rows.days:
        event = _event(row.uid, row.summary, row.url, stamp)
        event.add("dtstart", row.day)
        event.add("dtend", row.day + timedelta(days=1))
        event.add("transp", "TRANSPARENT")  # a due date is not busy time
        calendar.add_component(event)
    for row in rows.weekly:
        event = _event(row.uid, row.summary, row.url, stamp)
        event.add("dtstart", row.first)
        event.add("duration", timedelta(minutes=row.minutes))
        event.add("rrule", {"freq": "weekly", "byday": row.byday})
        if row.description:
            event.add("description", row.description)
        calendar.add_component(event)
    if rows.weekly:
        calendar.add_missing_timezones()
    return calendar.to_ical()


def _event(uid: str, summary: str, url: str, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("summary", summary)
    if url:
        event.add("url", url)
    return event


def first_friday(on_or_after: date, *, hour: int, zone: ZoneInfo) -> datetime:
    """The first Friday on or after ``on_or_after`` at ``hour`` o'clock in ``zone`` (aware)."""
    day = on_or_after + timedelta(days=(4 - on_or_after.weekday()) % 7)
    return datetime.combine(day, time(min(max(hour, 0), 23)), tzinfo=zone)


# --- Selectors -----------------------------------------------------------------------------------


def window(now: datetime) -> tuple[datetime, datetime]:
    """``[start, end)`` of what a feed holds around ``now``."""
    return now - timedelta(days=WINDOW_BACK_DAYS), now + timedelta(days=WINDOW_AHEAD_DAYS)


def _calls(calls: QuerySet[Call], *, now: datetime) -> QuerySet[Call]:
    start, end = window(now)
    return (
        calls.filter(starts_at__gte=start, starts_at__lt=end)
        .select_related("client")
        .only("uid", "sequence", "starts_at", "ends_at", "topic", "status", "client__name")
        .order_by("starts_at", "pk")
    )


def _dated(projects: QuerySet[Project], milestones: QuerySet[Milestone], *, now: datetime):
    start, end = window(now)
    first, last = start.date(), end.date()
    deadlines = projects.filter(deadline_on__gte=first, deadline_on__lte=last).only("id", "title", "deadline_on")
    due = (
        milestones.filter(due_on__gte=first, due_on__lte=last)
        .select_related("project")
        .only("id", "title", "due_on", "done_at", "project__id", "project__title")
        .order_by("due_on", "pk")
    )
    return deadlines.order_by("deadline_on", "pk"), due


def _call_row(call: Call, *, host: str, summary: str, url: str, location: str) -> CallRow:
    """A call as the feeds show it; its UID is the feed's own (``call-…@host``), not the invitation's."""
    return CallRow(
        uid=f"call-{call.uid.split('@')[0]}@{host}",
        sequence=call.sequence,
        starts_at=call.starts_at,
        ends_at=call.ends_at,
        summary=summary,
        cancelled=call.status == Call.Status.CANCELLED,
        url=url,
        location=location,
    )


def studio_feed(studio: Studio, *, now: datetime) -> FeedRows:
    """Everything the freelancer's feed shows for ``studio`` (four queries)."""
    host = site_host()
    rows = FeedRows(name=f"{studio.name} — Rapport", zone=studio.timezone)
    calls_url = absolute_url("calls:index")
    for call in _calls(Call.objects.filter(studio=studio), now=now):
        summary = _("Call: %(client)s — %(topic)s") % {"client": call.client.name, "topic": call.topic}
        rows.calls.append(_call_row(call, host=host, summary=summary, url=calls_url, location=studio.call_location))
    projects = Project.objects.filter(studio=studio).exclude(status=Project.Status.CANCELLED)
    milestones = Milestone.objects.filter(project__in=projects)
    deadlines, due = _dated(projects, milestones, now=now)
    _add_days(rows, deadlines, due, host=host, url=lambda pk: absolute_url("projects:detail", pk=pk))
    if Project.objects.filter(studio=studio, status__in=Project.ACTIVE_STATUSES).exists():
        zone = studio.zoneinfo
        # A fixed first Friday (from the studio's start), so the event stays the same from fetch to fetch.
        since = studio.created_at.astimezone(zone).date()
        rows.weekly.append(
            WeeklyRow(
                uid=f"friday-{studio.pk}@{host}",
                first=first_friday(since, hour=studio.friday_update_hour, zone=zone),
                minutes=FRIDAY_MINUTES,
                byday="FR",
                summary=_("Friday updates to clients"),
                description=_("Send every active project a status update, unless you already wrote this week."),
                url=absolute_url("today"),
            )
        )
    return rows


def client_feed(studio: Studio, client: Client, projects: QuerySet[Project], *, now: datetime) -> FeedRows:
    """A client's dates: deadlines and milestones of ``projects`` (theirs) and their calls (three queries).

    Only what the portal shows the client: titles, dates, the call's topic and where it happens.
    """
    host = site_host()
    zone = reader_zone(studio, client)
    rows = FeedRows(name=_("%(studio)s — your project dates") % {"studio": studio.name}, zone=zone.key)
    calls_url = absolute_url("portal:calls")
    for call in _calls(Call.objects.filter(studio=studio, client=client), now=now):
        summary = _("Call with %(studio)s — %(topic)s") % {
            "studio": studio.sender_name or studio.name,
            "topic": call.topic,
        }
        rows.calls.append(_call_row(call, host=host, summary=summary, url=calls_url, location=studio.call_location))
    deadlines, due = _dated(projects, Milestone.objects.filter(project__in=projects), now=now)
    _add_days(rows, deadlines, due, host=host, url=lambda pk: absolute_url("portal:project", pk=pk))
    return rows


def _add_days(rows: FeedRows, deadlines: Iterable[Project], due: Iterable[Milestone], *, host: str, url) -> None:
    for project in deadlines:
        rows.days.append(
            DayRow(
                uid=f"deadline-{project.pk}@{host}",
                day=project.deadline_on,
                summary=_("Deadline: %(project)s") % {"project": project.title},
                url=url(project.pk),
            )
        )
    for milestone in due:
        done = milestone.done_at is not None
        text = _("Done: %(milestone)s (%(project)s)") if done else _("Milestone: %(milestone)s (%(project)s)")
        rows.days.append(
            DayRow(
                uid=f"milestone-{milestone.pk}@{host}",
                day=milestone.due_on,
                summary=text % {"milestone": milestone.title, "project": milestone.project.title},
                url=url(milestone.project.pk),
            )
        )


# --- The freelancer's feed links -----------------------------------------------------------------


def issue_feed(studio: Studio, user: Any, *, language: str, now: datetime) -> tuple[CalendarFeed, str]:
    """A new feed link for ``user`` in ``studio``, revoking the one they had; returns the row and the raw token.

    The raw token exists only in this return value and the one page that shows it.
    """
    token = new_token()
    with transaction.atomic():
        Studio.objects.select_for_update().filter(pk=studio.pk).first()  # one issue at a time per studio
        active_feeds(studio, user).update(revoked_at=now)
        feed = CalendarFeed.objects.create(
            studio=studio, user=user, token_hash=hash_token(token), language=language, created_at=now
        )
    return feed, token


def revoke_feed(feed: CalendarFeed, *, now: datetime) -> None:
    CalendarFeed.objects.filter(pk=feed.pk, revoked_at__isnull=True).update(revoked_at=now)


def active_feeds(studio: Studio, user: Any) -> QuerySet[CalendarFeed]:
    return CalendarFeed.objects.filter(studio=studio, user=user, revoked_at__isnull=True)


def find_feed(token: str) -> CalendarFeed | None:
    """The active feed a raw token opens (with its studio), or None: unknown and revoked look the same.

    A feed works only while its user is active and still a member of its studio: one who leaves takes
    no calendar of the studio's along.
    """
    if not token or len(token) > 100:
        return None
    return (
        CalendarFeed.objects.select_related("studio")
        .filter(token_hash=hash_token(token), revoked_at__isnull=True, user__is_active=True)
        .filter(studio__memberships__user=F("user"))
        .first()
    )


def mark_used(feed: CalendarFeed, *, now: datetime) -> None:
    """Note the fetch, at most once per ``USED_EVERY`` (calendar apps poll often)."""
    if feed.last_used_at is None or now - feed.last_used_at >= USED_EVERY:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
        feed.last_used_at = now

"""Calls instead of long threads (R8): free slots, booking under a lock, .ics invitations, emails.

Three layers, top to bottom:

* ``available_slots`` / ``slot_is_free``: pure slot logic over the studio's working calendar
  (``kernel.workhours``): no ORM, no clock; every datetime taken must be aware.
* ``book_call`` / ``move_call`` / ``cancel_call``: services. Each locks the studio row, re-reads the
  booked calls around the chosen time and re-checks the slot with the pure function, so two
  clients racing for one slot cannot both get it (the lock serialises them; the second one sees
  the first one's call).
* ``call_ics`` and the emails: both sides get an invitation (or a cancellation) with the same UID
  and a growing SEQUENCE, so one calendar event follows every change.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from clients.models import Client, Contact
from comms.mail import studio_email_send
from comms.models import Message
from comms.notify import next_working_time
from kernel import workhours
from kernel.dates import as_utc, local_midnight, long_datetime
from kernel.links import absolute_url
from kernel.models import Studio
from kernel.signals import interaction_recorded
from kernel.sweeps import freelancer_addresses
from projects.busy import merge_intervals
from projects.models import BusyBlock, Call, Project

Interval = tuple[datetime, datetime]

STEP_MINUTES = 15
TOPIC_MAX_LENGTH = 300
PRODID = "-//Rapport//Calls//EN"
CLIENT_INVITE_TEMPLATE = "call-invite"
CLIENT_CANCELLED_TEMPLATE = "call-cancelled"
STUDIO_NOTICE_TEMPLATE = "call-notice"
"""The freelancer's copy of every change: a freelancer-only kind (``comms.outbox.FREELANCER_KINDS``)."""


class CallError(ValueError):
    """A booking, move or cancellation that cannot happen; the message is for the person who tried."""


class SlotTaken(CallError):
    """The chosen time is no longer free (someone else took it, or it no longer fits the rules)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("That time is no longer free. Please pick another one."))


# --- Pure slot logic -------------------------------------------------------------------------


def available_slots(
    *,
    now: datetime,
    tz: tzinfo,
    working_hours: workhours.WorkingHours,
    holidays: workhours.HolidaySpec | None,
    duration_minutes: int,
    buffer_minutes: int,
    min_notice_hours: float,
    max_per_day: int,
    days_ahead: int,
    booked: Iterable[Interval],
    busy: Iterable[Interval] = (),
    step_minutes: int = STEP_MINUTES,
) -> list[datetime]:
    """The start times a call of ``duration_minutes`` can be booked at, ascending, aware in ``tz``.

    A slot
    * lies fully inside ``[open, close)`` of a working day (weekday with hours, not a holiday; the
      call may end exactly at closing time);
    * starts on the grid ``opening + k × step_minutes`` (elapsed time from that day's opening);
    * starts at or after ``now + min_notice_hours``;
    * falls on a local date from today through today + ``days_ahead`` (in ``tz``);
    * overlaps no ``booked`` call widened by ``buffer_minutes`` on both sides;
    * overlaps no ``busy`` interval (time the freelancer's own calendars mark busy), exactly: no
      buffer around it, and it does not count toward ``max_per_day``;
    * is on a local day that has fewer than ``max_per_day`` booked calls.

    ``booked`` holds the ``(start, end)`` of every booked call of the studio around the period
    (aware datetimes). DST-safe: opening hours are local wall-clock times (``kernel.workhours``), the
    rest is elapsed-time arithmetic on instants. Each slot costs O(log n) in the busy intervals
    (merged once, then bisected), so 10,000 of them stay cheap.
    """
    rules = _SlotRules.build(
        now=now,
        tz=tz,
        working_hours=working_hours,
        holidays=holidays,
        duration_minutes=duration_minutes,
        buffer_minutes=buffer_minutes,
        min_notice_hours=min_notice_hours,
        max_per_day=max_per_day,
        days_ahead=days_ahead,
        booked=booked,
        busy=busy,
        step_minutes=step_minutes,
    )
    slots: list[datetime] = []
    for offset in range(days_ahead + 1):
        slots.extend(rules.slots_on(rules.today + timedelta(days=offset)))
    return slots


def slot_is_free(
    start: datetime,
    *,
    now: datetime,
    tz: tzinfo,
    working_hours: workhours.WorkingHours,
    holidays: workhours.HolidaySpec | None,
    duration_minutes: int,
    buffer_minutes: int,
    min_notice_hours: float,
    max_per_day: int,
    days_ahead: int,
    booked: Iterable[Interval],
    busy: Iterable[Interval] = (),
    step_minutes: int = STEP_MINUTES,
) -> bool:
    """Whether ``start`` is one of ``available_slots(...)`` with the same arguments (checked on booking)."""
    rules = _SlotRules.build(
        now=now,
        tz=tz,
        working_hours=working_hours,
        holidays=holidays,
        duration_minutes=duration_minutes,
        buffer_minutes=buffer_minutes,
        min_notice_hours=min_notice_hours,
        max_per_day=max_per_day,
        days_ahead=days_ahead,
        booked=booked,
        busy=busy,
        step_minutes=step_minutes,
    )
    instant = as_utc(start)
    day = instant.astimezone(tz).date()
    if not rules.today <= day <= rules.today + timedelta(days=days_ahead):
        return False
    return any(as_utc(slot) == instant for slot in rules.slots_on(day))


@dataclass(frozen=True)
class _SlotRules:
    """The arguments of ``available_slots``, validated and turned into UTC instants once."""

    tz: tzinfo
    working_hours: workhours.WorkingHours
    holidays: workhours.HolidaySpec | None
    today: date
    earliest: datetime
    duration: timedelta
    step: timedelta
    busy_starts: list[datetime]
    busy_ends: list[datetime]
    calls_per_day: Counter[date]
    max_per_day: int

    @classmethod
    def build(
        cls,
        *,
        now: datetime,
        tz: tzinfo,
        working_hours: workhours.WorkingHours,
        holidays: workhours.HolidaySpec | None,
        duration_minutes: int,
        buffer_minutes: int,
        min_notice_hours: float,
        max_per_day: int,
        days_ahead: int,
        booked: Iterable[Interval],
        busy: Iterable[Interval],
        step_minutes: int,
    ) -> _SlotRules:
        if duration_minutes <= 0 or step_minutes <= 0:
            raise ValueError("Call length and slot step must be positive.")
        if buffer_minutes < 0 or min_notice_hours < 0 or days_ahead < 0:
            raise ValueError("Buffer, notice and days ahead cannot be negative.")
        workhours.validate_working_hours(working_hours)
        buffer = timedelta(minutes=buffer_minutes)
        booked = [(as_utc(start), as_utc(end)) for start, end in booked]
        now = as_utc(now)
        merged = merge_intervals(
            [(start - buffer, end + buffer) for start, end in booked]
            + [(as_utc(start), as_utc(end)) for start, end in busy]
        )
        return cls(
            tz=tz,
            working_hours=working_hours,
            holidays=holidays,
            today=now.astimezone(tz).date(),
            earliest=now + timedelta(hours=min_notice_hours),
            duration=timedelta(minutes=duration_minutes),
            step=timedelta(minutes=step_minutes),
            busy_starts=[start for start, _end in merged],
            busy_ends=[end for _start, end in merged],
            calls_per_day=Counter(start.astimezone(tz).date() for start, _end in booked),
            max_per_day=max_per_day,
        )

    def slots_on(self, day: date) -> list[datetime]:
        if self.calls_per_day[day] >= self.max_per_day:
            return []
        hours = workhours.opening_hours_on(day, tz=self.tz, working_hours=self.working_hours, holidays=self.holidays)
        if hours is None:
            return []
        opening, closing = as_utc(hours[0]), as_utc(hours[1])
        slots = []
        start = opening
        while start + self.duration <= closing:
            end = start + self.duration
            if start >= self.earliest and not self.overlaps_busy(start, end):
                slots.append(start.astimezone(self.tz))
            start += self.step
        return slots

    def overlaps_busy(self, start: datetime, end: datetime) -> bool:
        # The merged intervals are disjoint and sorted, so their ends are sorted too: only the last
        # one starting before ``end`` can reach past ``start``.
        index = bisect_left(self.busy_starts, end) - 1
        return index >= 0 and self.busy_ends[index] > start


# --- Reading --------------------------------------------------------------------------------


def reader_zone(studio: Studio, client: Client | None = None) -> ZoneInfo:
    """The zone a client reads times in: their own when set (and valid), else the studio's."""
    return client.zone_or(studio.zoneinfo) if client is not None else studio.zoneinfo


def day_bounds(day: date, tz: tzinfo) -> Interval:
    """``[start, end)`` of the local date ``day`` as aware instants (23 or 25 hours on DST days)."""
    start = local_midnight(day, tz).astimezone(UTC)
    end = local_midnight(day + timedelta(days=1), tz).astimezone(UTC)
    return start, end


def booked_calls(studio: Studio) -> QuerySet[Call]:
    return Call.objects.filter(studio=studio, status=Call.Status.BOOKED)


def calls_on_day(studio: Studio, day: date) -> QuerySet[Call]:
    """The studio's booked calls on its local date ``day``, in order, with client and contact (one query)."""
    start, end = day_bounds(day, studio.zoneinfo)
    return (
        booked_calls(studio)
        .filter(starts_at__gte=start, starts_at__lt=end)
        .select_related("client", "contact", "project")
        .order_by("starts_at", "pk")
    )


def booked_intervals(studio: Studio, *, start: datetime, end: datetime, exclude: Call | None = None) -> list[Interval]:
    """``(start, end)`` of the studio's booked calls starting in ``[start, end)`` (one query)."""
    calls = booked_calls(studio).filter(starts_at__gte=start, starts_at__lt=end)
    if exclude is not None:
        calls = calls.exclude(pk=exclude.pk)
    return list(calls.values_list("starts_at", "ends_at"))


def calendar_busy(studio: Studio, *, start: datetime, end: datetime) -> list[Interval]:
    """The busy blocks of the studio's busy calendars that overlap ``[start, end)`` (one query, any count)."""
    blocks = BusyBlock.objects.filter(studio=studio, starts_at__lt=end, ends_at__gt=start)
    return list(blocks.values_list("starts_at", "ends_at"))


def open_slots(
    studio: Studio,
    *,
    duration_minutes: int,
    now: datetime,
    by: str = Call.Side.CLIENT,
    exclude: Call | None = None,
) -> list[datetime]:
    """The free starts for a new (or moved) call in the studio's calendar, from one query.

    The freelancer (``by="studio"``) needs no notice; clients need ``call_min_notice_hours``. Time
    the studio's busy calendars block is never offered (one more query, whatever their size).
    """
    tz = studio.zoneinfo
    first_day = now.astimezone(tz).date()
    start = day_bounds(first_day - timedelta(days=1), tz)[0]
    end = day_bounds(first_day + timedelta(days=studio.call_days_ahead + 1), tz)[1]
    return available_slots(
        now=now,
        booked=booked_intervals(studio, start=start, end=end, exclude=exclude),
        busy=calendar_busy(studio, start=start, end=end),
        duration_minutes=duration_minutes,
        **_studio_rules(studio, by=by),
    )


def slots_by_day(slots: Sequence[datetime], tz: tzinfo) -> list[tuple[date, list[datetime]]]:
    """Slots grouped by their local date in ``tz`` (a client's zone may differ from the studio's)."""
    days: dict[date, list[datetime]] = {}
    for slot in slots:
        local = slot.astimezone(tz)
        days.setdefault(local.date(), []).append(local)
    return list(days.items())


def _studio_rules(studio: Studio, *, by: str) -> dict[str, object]:
    return {
        "tz": studio.zoneinfo,
        "working_hours": studio.working_hours,
        "holidays": studio.holiday_spec,
        "buffer_minutes": studio.call_buffer_minutes,
        "min_notice_hours": 0 if by == Call.Side.STUDIO else studio.call_min_notice_hours,
        "max_per_day": studio.call_max_per_day,
        "days_ahead": studio.call_days_ahead,
    }


# --- Services -------------------------------------------------------------------------------


def book_call(
    *,
    studio: Studio,
    client: Client,
    contact: Contact | None,
    starts_at: datetime,
    duration_minutes: int,
    topic: str,
    project: Project | None = None,
    booked_by: str = Call.Side.CLIENT,
    proposed_from: Message | None = None,
    now: datetime | None = None,
) -> Call:
    """Book a call at ``starts_at`` and send both sides an invitation; raises ``CallError``/``SlotTaken``.

    Checks and booking happen under a lock on the studio row, so of two people booking the same
    slot at once exactly one gets it. The invitations are queued in the same transaction, and the
    client's last contact (``kernel.signals.interaction_recorded``) moves to ``now``.
    """
    now = now or timezone.now()
    topic = _valid_topic(topic)
    if duration_minutes not in studio.call_duration_choices:
        raise CallError(_("Please choose one of the offered call lengths."))
    if client.studio_id != studio.pk:
        raise CallError(_("This client does not belong to this studio."))
    if contact is not None and contact.client_id != client.pk:
        raise CallError(_("This contact does not belong to this client."))
    if project is not None and project.client_id != client.pk:
        raise CallError(_("This project does not belong to this client."))
    with transaction.atomic():
        locked = _lock(studio)
        _check_free(locked, starts_at=starts_at, duration_minutes=duration_minutes, by=booked_by, now=now)
        call = Call.objects.create(
            studio=locked,
            client=client,
            contact=contact,
            project=project,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=duration_minutes),
            topic=topic,
            booked_by=booked_by,
            proposed_from=proposed_from,
        )
        call.studio = studio
        call.client = client
        _send_invitations(call, action="booked", by=booked_by, now=now)
        # Booking is itself contact with the client (R14), whoever booked it; counted when it is booked.
        interaction_recorded.send(sender=Call, studio=studio, client_id=client.pk, at=now)
    return call


def move_call(
    call: Call, *, starts_at: datetime, duration_minutes: int | None = None, by: str, now: datetime | None = None
) -> Call:
    """Move a booked call to a free ``starts_at`` (same check as booking, the call itself aside).

    Bumps ``sequence`` and re-sends the invitation with the same UID: calendars move the event.
    """
    now = now or timezone.now()
    duration_minutes = duration_minutes or call_minutes(call)
    if duration_minutes not in call.studio.call_duration_choices and duration_minutes != call_minutes(call):
        raise CallError(_("Please choose one of the offered call lengths."))
    with transaction.atomic():
        locked = _lock(call.studio)
        current = _current(call, now=now)
        _check_free(locked, starts_at=starts_at, duration_minutes=duration_minutes, by=by, now=now, exclude=current)
        previous = current.starts_at
        current.starts_at = starts_at
        current.ends_at = starts_at + timedelta(minutes=duration_minutes)
        current.sequence += 1
        _calendar_pending(current)
        current.save(update_fields=["starts_at", "ends_at", "sequence", *CALENDAR_SYNC_FIELDS, "updated_at"])
        _sync(call, current)
        _send_invitations(call, action="moved", by=by, now=now, previous=previous)
    return call


def cancel_call(call: Call, *, by: str, reason: str = "", now: datetime | None = None) -> Call:
    """Cancel a booked call that has not started; both sides get a METHOD:CANCEL for their calendars."""
    now = now or timezone.now()
    with transaction.atomic():
        _lock(call.studio)
        current = _current(call, now=now)
        current.status = Call.Status.CANCELLED
        current.cancelled_at = now
        current.cancelled_by = by
        current.cancel_reason = " ".join(reason.split())[:300]
        current.sequence += 1
        _calendar_pending(current)
        current.save(
            update_fields=[
                "status",
                "cancelled_at",
                "cancelled_by",
                "cancel_reason",
                "sequence",
                *CALENDAR_SYNC_FIELDS,
                "updated_at",
            ]
        )
        _sync(call, current)
        _send_invitations(call, action="cancelled", by=by, now=now)
    return call


def call_minutes(call: Call) -> int:
    """The call's length in minutes (the model stores both ends)."""
    return int((call.ends_at - call.starts_at).total_seconds() // 60)


def _valid_topic(topic: str) -> str:
    topic = " ".join((topic or "").split())
    if not topic:
        raise CallError(_("Please say in a few words what the call is about."))
    if len(topic) > TOPIC_MAX_LENGTH:
        raise CallError(_("Please keep the topic under %(count)d characters.") % {"count": TOPIC_MAX_LENGTH})
    return topic


def _lock(studio: Studio) -> Studio:
    # Race condition: every booking, move and cancel of a studio queues here, so the check below
    # sees every call committed before it and no other booking can slip in before ours commits.
    return Studio.objects.select_for_update().get(pk=studio.pk)


def _current(call: Call, *, now: datetime) -> Call:
    """The call as it is now in the database (under the studio lock); it must still be booked and ahead."""
    current = Call.objects.get(pk=call.pk)
    if current.status != Call.Status.BOOKED:
        raise CallError(_("This call was cancelled."))
    if current.starts_at <= now:
        raise CallError(_("This call has already started."))
    return current


CALENDAR_SYNC_FIELDS = ("calendar_pending", "calendar_retry_at")


def _calendar_pending(call: Call) -> None:
    """The call changed: its copy in the freelancer's CalDAV calendar (if any) is rewritten by the next
    ``caldav-calls`` sweep, outside this transaction (a calendar server down never blocks booking)."""
    call.calendar_pending = True
    call.calendar_retry_at = None


def _sync(call: Call, current: Call) -> None:
    fields = ("starts_at", "ends_at", "sequence", "status", "cancelled_at", "cancelled_by", "cancel_reason")
    for field in (*fields, *CALENDAR_SYNC_FIELDS):
        setattr(call, field, getattr(current, field))


def _check_free(
    studio: Studio,
    *,
    starts_at: datetime,
    duration_minutes: int,
    by: str,
    now: datetime,
    exclude: Call | None = None,
) -> None:
    if starts_at.tzinfo is None:
        raise CallError(_("Please pick one of the offered times."))
    tz = studio.zoneinfo
    day = starts_at.astimezone(tz).date()
    start = day_bounds(day - timedelta(days=1), tz)[0]
    end = day_bounds(day + timedelta(days=1), tz)[1]
    booked = booked_intervals(studio, start=start, end=end, exclude=exclude)
    busy = calendar_busy(studio, start=start, end=end)
    if not slot_is_free(
        starts_at, now=now, booked=booked, busy=busy, duration_minutes=duration_minutes, **_studio_rules(studio, by=by)
    ):
        raise SlotTaken()


# --- Invitations ----------------------------------------------------------------------------


def call_ics(
    call: Call,
    *,
    method: str = "REQUEST",
    studio: Studio,
    contact: Contact | None = None,
    now: datetime | None = None,
) -> str:
    """The call as an iCalendar invitation (``REQUEST``) or cancellation (``CANCEL``), in the active language.

    UID and SEQUENCE come from the call, so a later REQUEST moves the event and a CANCEL removes it.
    Times are UTC. The attendee is ``contact`` (default: the call's contact).
    """
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"Unknown iTIP method {method!r}.")
    contact = contact or call.contact
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", call.uid)
    event.add("sequence", call.sequence)
    event.add("dtstamp", as_utc(now or timezone.now()))
    event.add("dtstart", as_utc(call.starts_at))
    event.add("dtend", as_utc(call.ends_at))
    event.add("summary", _("Call: %(topic)s") % {"topic": call.topic})
    event.add("description", _ics_description(call, studio))
    if studio.call_location:
        event.add("location", studio.call_location)
    organizer = vCalAddress(f"mailto:{parseaddr(studio.from_email)[1]}")
    organizer.params["CN"] = vText(studio.sender_name or studio.name)
    event.add("organizer", organizer)
    if contact is not None:
        attendee = vCalAddress(f"mailto:{contact.email}")
        if contact.name:
            attendee.params["CN"] = vText(contact.name)
        attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
        attendee.params["PARTSTAT"] = vText("NEEDS-ACTION")
        attendee.params["RSVP"] = vText("FALSE")
        event.add("attendee", attendee)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical().decode()


def _ics_description(call: Call, studio: Studio) -> str:
    lines = [_("Topic: %(topic)s") % {"topic": call.topic}]
    if studio.call_location:
        lines.append(_("Where: %(location)s") % {"location": studio.call_location})
    lines.append(_("With %(studio)s") % {"studio": studio.sender_name or studio.name})
    return "\n".join(lines)


def client_contact(client: Client, *, email: str = "") -> Contact | None:
    """The client's contact with this address, else its primary contact, else its first one."""
    contacts = list(client.contacts.all())
    if email:
        for contact in contacts:
            if email.lower() in (address.lower() for address in contact.all_emails):
                return contact
    return next((contact for contact in contacts if contact.is_primary), contacts[0] if contacts else None)


def _send_invitations(call: Call, *, action: str, by: str, now: datetime, previous: datetime | None = None) -> None:
    """Queue the client's and the freelancer's email about ``action``, each with the .ics attached.

    Keyed per (call, sequence, side, action): a retried request queues nothing new.
    """
    studio, client = call.studio, call.client
    method = "CANCEL" if action == "cancelled" else "REQUEST"
    key = f"call:{call.pk}:{call.sequence}:{{side}}:{action}"
    contact = call.contact or client_contact(client)
    if contact is not None:
        language = client.language or settings.LANGUAGE_CODE
        with translation.override(language):
            ics = call_ics(call, method=method, studio=studio, contact=contact, now=now)
            context = _email_context(call, tz=reader_zone(studio, client), action=action, by=by, previous=previous)
        template = CLIENT_CANCELLED_TEMPLATE if action == "cancelled" else CLIENT_INVITE_TEMPLATE
        studio_email_send(
            studio=studio,
            to=[contact.email],
            template=template,
            context={**context, "first_name": _first_name(contact), "calls_url": absolute_url("portal:calls")},
            idempotency_key=key.format(side="client"),
            client=client,
            project=call.project,
            kind=template,
            language=language,
            attachments=[_attachment(ics, method)],
        )
    addresses = freelancer_addresses([studio.pk]).get(studio.pk, [])
    if addresses:
        language = settings.LANGUAGE_CODE
        with translation.override(language):
            ics = call_ics(call, method=method, studio=studio, contact=contact, now=now)
            context = _email_context(call, tz=studio.zoneinfo, action=action, by=by, previous=previous)
        studio_email_send(
            studio=studio,
            to=addresses,
            reply_to=[contact.email] if contact is not None else [],
            template=STUDIO_NOTICE_TEMPLATE,
            context={
                **context,
                "client_name": client.name,
                "contact_name": contact.name if contact is not None else "",
                "contact_email": contact.email if contact is not None else "",
                "calls_url": absolute_url("calls:index"),
            },
            idempotency_key=key.format(side="studio"),
            # R5: what a client did at night reaches the freelancer at the next opening (still
            # before the call, which lies in working hours); their own changes are confirmed at once.
            send_after=next_working_time(studio, now) if by == Call.Side.CLIENT else now,
            kind=STUDIO_NOTICE_TEMPLATE,
            language=language,
            attachments=[_attachment(ics, method)],
        )


def _email_context(call: Call, *, tz: ZoneInfo, action: str, by: str, previous: datetime | None) -> dict[str, str]:
    """Plain strings for the email templates, with times in ``tz`` in the active language."""
    return {
        "action": action,
        "by_client": "yes" if by == Call.Side.CLIENT else "",
        "topic": call.topic,
        "when": format_when(call.starts_at, tz),
        "previous_when": format_when(previous, tz) if previous is not None else "",
        "zone": str(tz.key),
        "minutes": str(call_minutes(call)),
        "location": call.studio.call_location,
        "project_title": call.project.title if call.project_id else "",
        "reason": call.cancel_reason,
    }


def format_when(at: datetime, tz: tzinfo) -> str:
    """ "Monday 5 October 2026, 09:00" in ``tz`` and the active language ("понедельник, 5 октября 2026, 09:00")."""
    return long_datetime(at.astimezone(tz))


def _attachment(ics: str, method: str) -> dict[str, str]:
    return {"filename": "call.ics", "mimetype": f"text/calendar; method={method}", "content": ics}


def _first_name(contact: Contact) -> str:
    parts = contact.name.split()
    return parts[0] if parts else ""

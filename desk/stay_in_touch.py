"""Staying in touch (R14) as sweeps: notes to the freelancer at the studio's digest hour.

Four sweeps, each keyed ``kind:studio:period`` so a repeated, concurrent or late run queues
nothing new:

* ``touchpoints`` (``touchpoints-due:{studio}:{ISO week}``): once a week, the clients due a
  personal touch or a check-in by the end of that week, angels first, most overdue first.
* ``past-clients`` (``past-clients:{studio}:{ISO week}``): once a week, the past clients to call.
* ``yearly-card`` (``yearly-card:{studio}:{year}``): once a year, in ``yearly_card_month``, the
  clients to send a card to.
* ``anniversaries`` (``anniversary:{studio}:{date}``): on a working day, the clients who have
  been with the studio a whole number of years (1 or more) that day.

When: every sweep fires on a working day of the studio once its local clock has reached
``digest_hour``, and queues through ``notify_freelancer`` (R5: a digest hour before opening waits
for the opening). So the weekly lists leave on the first working day of the local ISO week, the
yearly list on the first working day of the card month.

Staleness after downtime (each period is judged on the studio's local date when the beat returns):
* weekly lists: sent on a later working day of the same ISO week if the first was missed; never
  for a past week (its key is never written once the week is over);
* yearly card list: any working day of the card month, once; never after the month;
* anniversaries: only on the day of their note. An anniversary on a non-working day (weekend,
  holiday) is in the note of the next working day, as "on Saturday 14 March"; a note whose
  working day was missed is not sent later.

Cost: the studio schedule (``kernel.sweeps.scheduled``) hands a tick only the studios whose digest hour
has come since they were last looked at, one indexed query; for those at their hour on the right day,
one query for the keys already written, one for the owners' addresses and a constant number per
studio (anniversaries: one query for all of them). A studio with nothing to say gets no email and is
looked at again the next day at its hour. The touchpoints list looks at the whole week ahead (due on
or before Sunday): a week with nobody due on Monday stays quiet unless the clients themselves change.
Before it, the studio's stored cadence clocks (``clients.touch_clock``) are refreshed: one query over
the studio's clients, plus writes for any a write path missed.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils.translation import ngettext

from clients.cadence import DueKind, anniversary_on
from clients.models import Client, Contact
from clients.selectors import first_contacts, past_clients_to_call, touchpoints_due
from clients.touch_clock import refresh_next_touch
from comms.notify import keys_already_used, notify_freelancer
from kernel import workhours
from kernel.dates import MONTH_NAMES, iso_week_key, local_date, long_date
from kernel.links import absolute_url
from kernel.sweeps import LocalMoment, freelancer_addresses, scheduled, sweep

CADENCE_KINDS = frozenset({DueKind.PERSONAL, DueKind.CHECK_IN})
# How far back a note looks for anniversaries on non-working days before it (a long holiday).
ANNIVERSARY_LOOKBACK_DAYS = 14
IN_TOUCH_STATUSES = (Client.Status.ACTIVE, Client.Status.PAST)


# --- Pure rules ---------------------------------------------------------------------------------


def week_end(today: date) -> date:
    """The Sunday closing the ISO week of ``today``."""
    return today + timedelta(days=6 - today.weekday())


def anniversary_days(today: date, *, is_working_day: Callable[[date], bool]) -> list[date]:
    """The days whose anniversaries go in the note of working day ``today``, oldest first.

    ``today`` and the non-working days just before it (no note went out on those), at most
    ``ANNIVERSARY_LOOKBACK_DAYS`` back.
    """
    days = [today]
    for back in range(1, ANNIVERSARY_LOOKBACK_DAYS + 1):
        day = today - timedelta(days=back)
        if is_working_day(day):
            break
        days.append(day)
    return sorted(days)


def years_together(since: date, day: date) -> int | None:
    """Whole years since ``since`` if ``day`` is its anniversary (1 year or more), else None.

    29 February is celebrated on 28 February in common years.
    """
    years = day.year - since.year
    if years >= 1 and anniversary_on(since, day.year) == day:
        return years
    return None


def silence(days: int) -> str:
    """How long since the last contact, roughly: "12 days", "5 weeks", "4 months", "2 years"."""
    if days < 14:
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    if days < 61:
        weeks = days // 7
        return ngettext("%(count)d week", "%(count)d weeks", weeks) % {"count": weeks}
    if days < 730:
        months = days // 30
        return ngettext("%(count)d month", "%(count)d months", months) % {"count": months}
    years = days // 365
    return ngettext("%(count)d year", "%(count)d years", years) % {"count": years}


# --- Which studios are due ----------------------------------------------------------------------


@dataclass(frozen=True)
class Pending:
    """A studio at its hour whose note for the period is not written yet."""

    moment: LocalMoment
    key: str

    @property
    def studio_id(self) -> int:
        return self.moment.studio.pk


def at_digest_hour(moment: LocalMoment) -> bool:
    return moment.is_working_day and moment.reached(moment.studio.digest_hour)


def pending_studios(checked: list[LocalMoment], key_for: Callable[[LocalMoment], str | None]) -> list[Pending]:
    """Of the studios the schedule hands this tick, those at their digest hour on a working day with a
    period key not used yet (one query)."""
    candidates = [Pending(moment, key) for moment in checked if at_digest_hour(moment) and (key := key_for(moment))]
    if not candidates:
        return []
    written = keys_already_used((pending.studio_id, pending.key) for pending in candidates)
    return [pending for pending in candidates if (pending.studio_id, pending.key) not in written]


def notify_each(
    pending: list[Pending], now: datetime, *, kind: str, context_for: Callable[[LocalMoment], dict | None]
) -> int:
    """Queue ``kind`` for each pending studio that has someone to tell and something to say."""
    if not pending:
        return 0
    addresses = freelancer_addresses(item.studio_id for item in pending)
    queued = 0
    for item in pending:
        to = addresses.get(item.studio_id)
        if not to:
            continue
        context = context_for(item.moment)
        if context is None:
            continue
        notify_freelancer(item.moment.studio, to=to, kind=kind, key=item.key, template=kind, context=context, now=now)
        queued += 1
    return queued


# --- Context helpers ----------------------------------------------------------------------------


def last_contact_fields(client: Client, moment: LocalMoment) -> dict[str, str]:
    """The client's last contact as words: its date ("" when never) and how long ago ("" when today)."""
    last_on = local_date(client.last_interaction_at, moment.studio.zoneinfo) if client.last_interaction_at else None
    if last_on is None:
        return {"last_contact_on": "", "silence": ""}
    days = (moment.today - last_on).days
    return {"last_contact_on": long_date(last_on), "silence": silence(days) if days > 0 else ""}


def client_entry(client: Client, moment: LocalMoment) -> dict[str, Any]:
    return {
        "name": client.name,
        "url": absolute_url("clients:detail", client.pk),
        "is_angel": client.is_angel,
        **last_contact_fields(client, moment),
    }


# --- Sweeps -------------------------------------------------------------------------------------


@sweep("touchpoints")
def sweep_touchpoints_due(now: datetime) -> int:
    """Weekly, first working day of the ISO week: who is due a personal touch or check-in by Sunday.

    Missed (beat down): sent on a later working day of the same week, never for a past week.
    """
    with scheduled("touchpoints", now) as checked:
        pending = pending_studios(
            checked, lambda moment: f"touchpoints-due:{moment.studio.pk}:{iso_week_key(moment.today)}"
        )
        return notify_each(pending, now, kind="touchpoints-due", context_for=touchpoints_context)


def touchpoints_context(moment: LocalMoment) -> dict | None:
    """Due on or before the week's Sunday, so the list plans the week; None when nobody is.

    The stored clocks are refreshed first: whatever a write path missed is right again for the list.
    """
    refresh_next_touch(moment.studio)
    today = moment.today
    due = [
        (touch, client)
        for touch, client in touchpoints_due(studio=moment.studio, today=week_end(today))
        if touch.kind in CADENCE_KINDS
    ]
    if not due:
        return None
    due.sort(key=lambda pair: (not pair[1].is_angel, pair[0].due_on, pair[1].name.casefold(), pair[1].pk))
    return {
        "week": iso_week_key(today),
        "clients": [
            {
                **client_entry(client, moment),
                "log_url": absolute_url("clients:touchpoint_add", client.pk),
                "reason": touch.reason,
                "days_overdue": max(0, (today - touch.due_on).days),
                "due_later_on": long_date(touch.due_on, with_year=False) if touch.due_on > today else "",
            }
            for touch, client in due
        ],
        "touchpoints_url": absolute_url("clients:touchpoints"),
    }


@sweep("past-clients")
def sweep_past_clients(now: datetime) -> int:
    """Weekly, first working day of the ISO week: the week's past clients to call.

    Missed (beat down): sent on a later working day of the same week, never for a past week.
    """
    with scheduled("past-clients", now) as checked:
        pending = pending_studios(
            checked, lambda moment: f"past-clients:{moment.studio.pk}:{iso_week_key(moment.today)}"
        )
        return notify_each(pending, now, kind="past-clients", context_for=past_clients_context)


def contact_entry(contact: Contact | None) -> dict[str, str]:
    if contact is None:
        return {"contact_name": "", "contact_email": "", "contact_phone": ""}
    return {"contact_name": contact.name, "contact_email": contact.email, "contact_phone": contact.phone}


def past_clients_context(moment: LocalMoment) -> dict | None:
    clients = list(past_clients_to_call(studio=moment.studio))
    if not clients:
        return None
    return {
        "week": iso_week_key(moment.today),
        "clients": [
            {**client_entry(client, moment), **contact_entry(next(iter(client.contacts.all()), None))}
            for client in clients
        ],
        "touchpoints_url": absolute_url("clients:touchpoints"),
    }


@sweep("yearly-card")
def sweep_yearly_card(now: datetime) -> int:
    """Yearly, first working day of the card month: the clients to send a card to.

    Missed (beat down): sent on a later working day of that month, never after it.
    """

    def key_for(moment: LocalMoment) -> str | None:
        if moment.today.month != moment.studio.yearly_card_month:
            return None
        return f"yearly-card:{moment.studio.pk}:{moment.today.year}"

    with scheduled("yearly-card", now) as checked:
        return notify_each(pending_studios(checked, key_for), now, kind="yearly-card", context_for=yearly_card_context)


def yearly_card_context(moment: LocalMoment) -> dict | None:
    """Current and past clients, not archived, without a card logged this year; angels first."""
    clients = [
        client
        for touch, client in touchpoints_due(studio=moment.studio, today=moment.today)
        if touch.kind == DueKind.YEARLY_CARD
    ]
    if not clients:
        return None
    clients.sort(key=lambda client: (not client.is_angel, client.name.casefold(), client.pk))
    contacts = first_contacts([client.pk for client in clients])
    return {
        "month": MONTH_NAMES[moment.today.month - 1],
        "year": moment.today.year,
        "clients": [{**client_entry(client, moment), **contact_entry(contacts.get(client.pk))} for client in clients],
        "angels": sum(client.is_angel for client in clients),
        "touchpoints_url": absolute_url("clients:touchpoints"),
    }


@sweep("anniversaries")
def sweep_anniversaries(now: datetime) -> int:
    """Working days: the anniversaries of today and of the non-working days just before it.

    Missed (beat down that working day): not sent later; the next note covers only its own days.
    """
    with scheduled("anniversaries", now) as checked:
        pending = pending_studios(checked, lambda moment: f"anniversary:{moment.studio.pk}:{moment.today.isoformat()}")
        found = anniversaries_by_studio(pending)
        return notify_each(
            [item for item in pending if found.get(item.studio_id)],
            now,
            kind="anniversary",
            context_for=lambda moment: anniversary_context(moment, found[moment.studio.pk]),
        )


@dataclass(frozen=True)
class Anniversary:
    client_id: int
    name: str
    day: date
    years: int


def month_day_filter(days: Iterable[date]) -> Q:
    """Clients whose ``client_since`` falls on the month and day of one of ``days`` (29 Feb included)."""
    condition = Q()
    for day in days:
        condition |= Q(client_since__month=day.month, client_since__day=day.day)
        if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
            condition |= Q(client_since__month=2, client_since__day=29)
    return condition


def anniversaries_by_studio(pending: list[Pending]) -> dict[int, list[Anniversary]]:
    """Every pending studio's anniversaries for its note's days: one query for all studios."""
    days_of: dict[int, list[date]] = {}
    studios_by_days: dict[tuple[date, ...], list[int]] = {}
    for item in pending:
        studio = item.moment.studio
        days = anniversary_days(
            item.moment.today,
            is_working_day=lambda day, studio=studio: workhours.is_working_day(
                day, working_hours=studio.working_hours, holidays=studio.holiday_spec
            ),
        )
        days_of[item.studio_id] = days
        studios_by_days.setdefault(tuple(days), []).append(item.studio_id)
    if not studios_by_days:
        return {}
    condition = Q()
    for days, studio_ids in studios_by_days.items():
        condition |= Q(studio_id__in=studio_ids) & month_day_filter(days)
    rows = (
        Client.objects.filter(condition, archived_at__isnull=True, status__in=IN_TOUCH_STATUSES)
        .exclude(client_since__isnull=True)
        .values_list("studio_id", "pk", "name", "client_since")
    )
    found: dict[int, list[Anniversary]] = {}
    for studio_id, client_id, name, since in rows:
        for day in days_of[studio_id]:
            if (years := years_together(since, day)) is not None:
                found.setdefault(studio_id, []).append(Anniversary(client_id, name, day, years))
    for anniversaries in found.values():
        anniversaries.sort(key=lambda item: (item.day, item.name.casefold(), item.client_id))
    return found


def anniversary_context(moment: LocalMoment, anniversaries: list[Anniversary]) -> dict:
    """Worded relative to the note's day: "today", or "on Saturday 14 March" for a day before it."""
    return {
        "anniversaries": [
            {
                "name": item.name,
                "url": absolute_url("clients:detail", item.client_id),
                "years": item.years,
                "is_today": item.day == moment.today,
                "day": long_date(item.day, with_year=False),
            }
            for item in anniversaries
        ],
        "count": len(anniversaries),
    }

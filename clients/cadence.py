"""Staying in touch (R14), pure: who is due a touchpoint on a given local day, and why.

The clock counts from the latest interaction of ANY kind (a touchpoint, a message, a
call), not only from the last touchpoint: writing to a client this week means they are
not forgotten. It never counts from before the client was added to Rapport, so a client
added today is not overdue today, whatever their "client since" says (that date only
gives the anniversary and the card). The yearly card goes to the clients who were clients
before the card month began (``client_since``, else the day they were added): one that
became a client during it waits for next year's. The card is due all that month and is
never "overdue" within it.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from django.utils.formats import date_format
from django.utils.translation import gettext as _


class DueKind(StrEnum):
    PERSONAL = "personal"
    CHECK_IN = "check_in"
    YEARLY_CARD = "yearly_card"
    ANNIVERSARY = "anniversary"


@dataclass(frozen=True, slots=True)
class Cadence:
    angel_days: int = 90
    regular_days: int = 180
    card_month: int = 12
    anniversary_lead_days: int = 7


@dataclass(frozen=True, slots=True)
class ClientClock:
    """What the rule needs to know about one client, all as local dates."""

    client_id: int
    is_angel: bool
    last_interaction_on: date | None
    client_since: date | None
    card_sent_this_year: bool = False
    added_on: date | None = None


@dataclass(frozen=True, slots=True)
class TouchDue:
    client_id: int
    kind: DueKind
    due_on: date
    days_overdue: int

    @property
    def reason(self) -> str:
        """In the active language (the freelancer's page, or the reminder's)."""
        match self.kind:
            case DueKind.PERSONAL:
                return _("Angel client: time for a personal call, lunch or note.")
            case DueKind.CHECK_IN:
                return _("Time for a friendly check-in.")
            case DueKind.YEARLY_CARD:
                return _("Send this year's card.")
            case DueKind.ANNIVERSARY:
                return _("Anniversary of working together on %(date)s.") % {"date": date_format(self.due_on, "j E")}


def next_touch_on(clock: ClientClock, cadence: Cadence) -> date | None:
    """The day the next touchpoint is due: a cadence after the last contact, or after the day the client was
    added if that is later; None when there is nothing to count from."""
    known = [day for day in (clock.last_interaction_on, clock.added_on) if day is not None]
    if not known:
        return None
    start = max(known)
    return start + timedelta(days=cadence.angel_days if clock.is_angel else cadence.regular_days)


def gets_yearly_card(clock: ClientClock, *, today: date, cadence: Cadence) -> bool:
    """In the card month, for a client without this year's card who was a client before the month began."""
    if today.month != cadence.card_month or clock.card_sent_this_year:
        return False
    return clock.client_since is None or clock.client_since < today.replace(day=1)


def anniversary_on(since: date, year: int) -> date:
    """The anniversary in `year`; 29 February falls on 28 February in other years."""
    day = min(since.day, calendar.monthrange(year, since.month)[1])
    return date(year, since.month, day)


def due_order(item: TouchDue) -> tuple[int, int, str]:
    """Most overdue first, then by client id, then by kind: how every list of touches is ordered."""
    return (-item.days_overdue, item.client_id, item.kind)


def anniversary_window(today: date, cadence: Cadence) -> list[date]:
    """The days of ``today``'s year whose anniversaries are due on ``today`` (today and the lead days after it)."""
    days = (today + timedelta(days=offset) for offset in range(cadence.anniversary_lead_days + 1))
    return [day for day in days if day.year == today.year]


def touches_due(clocks: Iterable[ClientClock], *, today: date, cadence: Cadence) -> list[TouchDue]:
    """Everything due on or before `today`, most overdue first, then by client id."""
    due: list[TouchDue] = []
    for clock in clocks:
        next_on = next_touch_on(clock, cadence)
        if next_on is not None and next_on <= today:
            kind = DueKind.PERSONAL if clock.is_angel else DueKind.CHECK_IN
            due.append(TouchDue(clock.client_id, kind, next_on, (today - next_on).days))
        if gets_yearly_card(clock, today=today, cadence=cadence):
            # Due all month, never overdue within it: a card on the 20th is on time.
            due.append(TouchDue(clock.client_id, DueKind.YEARLY_CARD, today.replace(day=1), 0))
        if clock.client_since is not None and clock.client_since.year < today.year:
            anniversary = anniversary_on(clock.client_since, today.year)
            if today <= anniversary <= today + timedelta(days=cadence.anniversary_lead_days):
                due.append(TouchDue(clock.client_id, DueKind.ANNIVERSARY, anniversary, 0))
    return sorted(due, key=due_order)

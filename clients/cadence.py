"""Staying in touch (R14), pure: who is due a touchpoint on a given local day, and why.

The clock counts from the latest interaction of ANY kind (a touchpoint, a message, a
call), not only from the last touchpoint: writing to a client this week means they are
not forgotten. A client never contacted counts from when they became a client.
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
    """The day the next touchpoint is due; None when there is nothing to count from."""
    start = clock.last_interaction_on or clock.client_since
    if start is None:
        return None
    return start + timedelta(days=cadence.angel_days if clock.is_angel else cadence.regular_days)


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
        if today.month == cadence.card_month and not clock.card_sent_this_year:
            first_of_month = today.replace(day=1)
            due.append(TouchDue(clock.client_id, DueKind.YEARLY_CARD, first_of_month, (today - first_of_month).days))
        if clock.client_since is not None and clock.client_since.year < today.year:
            anniversary = anniversary_on(clock.client_since, today.year)
            if today <= anniversary <= today + timedelta(days=cadence.anniversary_lead_days):
                due.append(TouchDue(clock.client_id, DueKind.ANNIVERSARY, anniversary, 0))
    return sorted(due, key=due_order)

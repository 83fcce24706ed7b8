"""Drafting the Friday update (R2): one StatusUpdate per project and local ISO week.

The draft is plain text with "• " bullets, filled from the project's milestones and the client's
open action items; an empty section is the empty string. "This week" and "overdue" are read in the
studio's local time.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kernel.dates import long_date, short_date
from projects.friday import WeekBounds, week_bounds
from projects.models import ActionItem, Milestone, Project, StatusUpdate
from projects.update_email import EDITABLE_FIELDS

BULLET = "• "
NEXT_UP_COUNT = 2


def _bullets(lines: list[str]) -> str:
    return "\n".join(f"{BULLET}{line}" for line in lines)


def _done_this_week(milestones: list[Milestone], bounds: WeekBounds) -> str:
    return _bullets(
        [
            milestone.title
            for milestone in milestones
            if milestone.done_at is not None and bounds.starts_at <= milestone.done_at < bounds.covered_until
        ]
    )


def _next_up(open_milestones: list[Milestone]) -> str:
    lines = []
    for milestone in open_milestones[:NEXT_UP_COUNT]:
        if milestone.due_on:
            lines.append(
                _("%(title)s (due %(date)s)") % {"title": milestone.title, "date": short_date(milestone.due_on)}
            )
        else:
            lines.append(milestone.title)
    return _bullets(lines)


def _client_next_steps(items: list[ActionItem]) -> str:
    return _bullets(
        [
            _("%(text)s (by %(date)s)") % {"text": item.text, "date": short_date(item.due_on)}
            if item.due_on
            else item.text
            for item in items
        ]
    )


def _blockers(items: list[ActionItem], today: date) -> str:
    return _bullets(
        [
            _("Waiting on you: %(text)s (was due %(date)s)") % {"text": item.text, "date": short_date(item.due_on)}
            for item in items
            if item.due_on is not None and item.due_on < today
        ]
    )


def _summary(deadline: date | None, overdue: list[Milestone], today: date) -> str:
    if deadline is None:
        return _("No deadline set yet.")
    when = long_date(deadline, with_year=False)
    if overdue:
        late = [_("%(title)s (due %(date)s)") % {"title": m.title, "date": short_date(m.due_on)} for m in overdue]
        listed = (
            late[0]
            if len(late) == 1
            else _("%(items)s and %(last)s") % {"items": ", ".join(late[:-1]), "last": late[-1]}
        )
        if deadline < today:
            return ngettext(
                "The deadline of %(date)s has passed: %(items)s is still open.",
                "The deadline of %(date)s has passed: %(items)s are still open.",
                len(late),
            ) % {"date": when, "items": listed}
        return ngettext(
            "The deadline of %(date)s is at risk: %(items)s is overdue.",
            "The deadline of %(date)s is at risk: %(items)s are overdue.",
            len(late),
        ) % {"date": when, "items": listed}
    if deadline < today:
        return _("The deadline of %(date)s has passed.") % {"date": when}
    return _("On track for launch on %(date)s.") % {"date": when}


def _draft_fields(project: Project, now: datetime) -> dict[str, str]:
    tz = project.studio.zoneinfo
    bounds = week_bounds(now, tz)
    today = now.astimezone(tz).date()
    milestones = list(project.milestones.order_by("order", "due_on", "pk"))
    open_milestones = [milestone for milestone in milestones if milestone.done_at is None]
    overdue = [milestone for milestone in open_milestones if milestone.due_on is not None and milestone.due_on < today]
    client_items = list(
        project.action_items.filter(owner=ActionItem.Owner.CLIENT, done_at__isnull=True).order_by(
            "due_on", "created_at", "pk"
        )
    )
    # Dated items first, soonest first; undated ones after them.
    client_items.sort(key=lambda item: item.due_on is None)
    return {
        "summary": _summary(project.deadline_on, overdue, today),
        "done_this_week": _done_this_week(milestones, bounds),
        "next_up": _next_up(open_milestones),
        "blockers": _blockers(client_items, today),
        "client_next_steps": _client_next_steps(client_items),
    }


def status_update_get_or_draft(*, project: Project, now: datetime) -> StatusUpdate:
    """Return the project's StatusUpdate for the studio's local ISO week containing ``now``.

    An existing one (drafted, edited or sent) is returned untouched. Otherwise a draft is saved,
    in the client's language, filled from the milestones done this week (local Monday 00:00 to Saturday 00:00), the next
    open milestones, the client's open action items (overdue ones are also blockers), a sentence
    about the deadline, and the project's resources attached.
    """
    update = status_update_or_unsaved_draft(project=project, now=now)
    if update.pk is not None:
        return update
    fields = {name: getattr(update, name) for name in EDITABLE_FIELDS}
    with transaction.atomic():
        update, created = StatusUpdate.objects.get_or_create(project=project, week=update.week, defaults=fields)
        if created:
            update.resources.set(project.resources.all())
    return update


def status_update_or_unsaved_draft(*, project: Project, now: datetime) -> StatusUpdate:
    """The week's StatusUpdate if one is saved, else the draft ``status_update_get_or_draft`` would save, unsaved.

    For pages that only show the draft: opening a page never writes. The unsaved draft's resources
    are the project's (``project.resources``), attached when it is saved.
    """
    key = week_bounds(now, project.studio.zoneinfo).key
    existing = StatusUpdate.objects.filter(project=project, week=key).first()
    if existing is not None:
        return existing
    with translation.override(project.client.language):  # the client reads it
        fields = _draft_fields(project, now)
    return StatusUpdate(project=project, week=key, **fields)

"""Scheduled project reminders (``kernel.sweeps``): Friday updates, deadlines, deposits, surveys.

Each sweep asks the database what is due now in each studio's local time and writes outbox rows
keyed ``kind:object:period``, so running it twice, from two beats at once or after downtime writes
the same rows. The decisions (which window, which threshold, which day) are pure functions over
plain values; the sweeps only gather rows, call them and queue mail.

What each sweep considers stale after downtime is in its docstring.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy, ngettext

from clients.models import Contact
from clients.selectors import first_contacts
from comms.mail import studio_email_send
from comms.notify import keys_already_used, next_working_time, notify_freelancer
from kernel.dates import long_date
from kernel.links import absolute_url
from kernel.models import Studio
from kernel.money import format_money
from kernel.sweeps import due_studios, freelancer_addresses, reschedule, scheduled, sweep
from projects.covered_week import refresh_covered_weeks
from projects.drafts import status_update_get_or_draft
from projects.friday import week_bounds
from projects.friday_query import projects_due_friday_update, week_outbound
from projects.models import ActionItem, Milestone, Project, StatusUpdate, Survey
from projects.survey import invitation_context, issue_token, survey_for_invitation
from projects.update_email import TEMPLATE as FRIDAY_UPDATE_TEMPLATE
from projects.update_email import client_contacts, saved_update_context, split_recipients, week_label

logger = logging.getLogger("rapport.sweeps")

Status = Project.Status

FRIDAY = 4
# Any studio's local date is within a day of the UTC date (zones run from UTC−12 to UTC+14).
ZONE_SLACK = timedelta(days=1)
DEADLINE_WINDOWS = (("3d", 2, 3), ("1d", 0, 1))
ACTION_ITEM_DAYS_BEFORE = 1
SURVEY_STALE_AFTER_DAYS = 60
# Projects whose client is not waiting for anything from us any more: no client reminders.
CLOSED_STATUSES = (Status.COMPLETED, Status.CANCELLED, Status.ON_HOLD)


def working_studios(studios: Iterable[Studio], now: datetime) -> dict[int, Studio]:
    """The given studios (each once) that are inside their working hours at ``now``, by id."""
    by_id = {studio.pk: studio for studio in studios}
    return {pk: studio for pk, studio in by_id.items() if studio.is_working_time(now)}


def first_name(contact: Contact) -> str:
    parts = contact.name.split()
    return parts[0] if parts else ""


def queue_safely(send: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
    """Queue one email with ``send``: 1 if queued, 0 if not (a bad address is logged, the sweep goes on)."""
    try:
        queued = send(*args, **kwargs)
    except ValueError as error:
        logger.warning("Not queued (%s): %s", kwargs.get("idempotency_key") or kwargs.get("key"), error)
        return 0
    return int(queued is not None)


# --- Friday reminder and auto-send (R2) ----------------------------------------------------------


def is_friday_reminder_time(local: datetime, hour: int) -> bool:
    """True on the local Friday from ``hour``:00 until midnight: the only time the reminder is relevant."""
    return local.weekday() == FRIDAY and local.hour >= hour


def friday_reminder_key(studio_id: int, week: str) -> str:
    return f"friday-reminder:{studio_id}:{week}"


def friday_auto_key(project_id: int, week: str) -> str:
    return f"friday-update:{project_id}:{week}"


@dataclass(frozen=True)
class AutoSend:
    sent: bool
    problem: str | Promise = ""  # lazy: read in the freelancer's language when the reminder is written


def friday_auto_send(project: Project, *, week: str, now: datetime) -> AutoSend:
    """Send the week's draft to the client as the manual send does, claiming ``sent_at`` first.

    Of a manual and an automatic send only the first to claim ``StatusUpdate.sent_at`` goes out;
    the other finds it taken (``sent=False`` with no problem). Client mail waits for working hours
    (R5). An error while queueing rolls the claim back, so the freelancer can still send by hand.
    """
    contacts = client_contacts(project)
    if not contacts:
        return AutoSend(sent=False, problem=gettext_lazy("not sent automatically: the client has no contact"))
    try:
        with transaction.atomic():
            update = status_update_get_or_draft(project=project, now=now)
            if not StatusUpdate.objects.filter(pk=update.pk, sent_at__isnull=True).update(sent_at=now):
                return AutoSend(sent=False)
            update.refresh_from_db()
            to, cc = split_recipients(contacts)
            studio_email_send(
                studio=project.studio,
                to=to,
                cc=cc,
                template=FRIDAY_UPDATE_TEMPLATE,
                context=saved_update_context(project, update, contacts),
                idempotency_key=friday_auto_key(project.pk, week),
                send_after=next_working_time(project.studio, now),
                client=project.client,
                project=project,
                kind="friday-update-auto",
                language=project.client.language,
            )
    except ValueError as error:
        logger.warning("Friday update for project %s not sent automatically: %s", project.pk, error)
        return AutoSend(sent=False, problem=format_lazy("{}: {}", gettext_lazy("not sent automatically"), error))
    return AutoSend(sent=True)


def _friday_row(project: Project, note: str | Promise = "") -> dict[str, str | Promise]:
    return {
        "project_title": project.title,
        "client_name": project.client.name,
        "url": absolute_url("projects:update", project.pk),
        "note": note,
    }


def friday_for_studio(studio: Studio, *, now: datetime, to: list[str]) -> int:
    """Auto-send the due drafts that may go, then remind the freelancer of the rest. Rows written.

    First sets the stored cover (``Client.covered_week``, which Today reads) right again from the rule.
    """
    outbound = week_outbound(studio, week_bounds(now, studio.zoneinfo), now=now)
    refresh_covered_weeks(studio, now=now, outbound=outbound)
    week, due = projects_due_friday_update(studio=studio, now=now, outbound=outbound)
    if not due:
        return 0
    for project in due:
        project.studio = studio  # already loaded: spares a query per project
    sent_at = dict(StatusUpdate.objects.filter(project__in=due, week=week).values_list("project_id", "sent_at"))
    auto_done = {key for _, key in keys_already_used((studio.pk, friday_auto_key(p.pk, week)) for p in due)}
    to_write: list[dict[str, str]] = []
    sent_automatically: list[dict[str, str]] = []
    written = 0
    for project in due:
        if friday_auto_key(project.pk, week) in auto_done:
            sent_automatically.append(_friday_row(project))
            continue
        if sent_at.get(project.pk) is not None:
            continue  # sent by hand, waiting in the outbox: nothing left to do this week
        note = ""
        if project.friday_auto_send:
            outcome = friday_auto_send(project, week=week, now=now)
            if outcome.sent:
                sent_automatically.append(_friday_row(project))
                written += 1
                continue
            if not outcome.problem:
                continue  # sent by hand meanwhile
            note = outcome.problem
        to_write.append(_friday_row(project, note))
    if not to_write and not sent_automatically:
        return written
    context = {
        "week_label": week_label(week),
        "to_write": to_write,
        "sent_automatically": sent_automatically,
        "friday_url": absolute_url("projects:friday"),
    }
    return written + queue_safely(
        notify_freelancer,
        studio,
        to=to,
        kind="friday-reminder",
        key=friday_reminder_key(studio.pk, week),
        template="friday-reminder",
        context=context,
        now=now,
    )


FRIDAY_JOB = "friday"


@sweep(FRIDAY_JOB)
def friday_sweep(now: datetime) -> int:
    """Job 2 (R2): the Friday reminder to the freelancer, and the auto-sent drafts.

    Key ``friday-reminder:{studio id}:{week}`` (one per studio and local ISO week); auto-sent
    updates ``friday-update:{project id}:{week}``. Relevant only on the studio's local Friday from
    ``friday_update_hour`` until midnight: after downtime, a past Friday's reminder (and its
    auto-sends) is never sent. Nothing is written when no project is due. The studio schedule
    (``kernel.sweeps.due_studios``) hands a tick only the studios whose Friday hour has come since they
    were last looked at, so the other ticks of the week cost one indexed query.
    """
    checked = due_studios(FRIDAY_JOB, now)
    moments = [moment for moment in checked if is_friday_reminder_time(moment.local, moment.studio.friday_update_hour)]
    if not moments:
        reschedule(FRIDAY_JOB, checked, now)
        return 0
    keys = {
        moment.studio.pk: friday_reminder_key(moment.studio.pk, week_bounds(now, moment.studio.zoneinfo).key)
        for moment in moments
    }
    done = keys_already_used(keys.items())
    pending = [moment.studio for moment in moments if (moment.studio.pk, keys[moment.studio.pk]) not in done]
    addresses = freelancer_addresses(studio.pk for studio in pending)
    written = sum(friday_for_studio(studio, now=now, to=addresses.get(studio.pk, [])) for studio in pending)
    reschedule(FRIDAY_JOB, checked, now)
    return written


# --- Deadlines and the client's action items ------------------------------------------------------


def deadline_window(days_left: int) -> str | None:
    """``"3d"`` while 2–3 local days remain, ``"1d"`` while 0–1 remain, else None.

    After downtime only the window in force now is sent: a 3-day reminder missed is not sent once
    only one day remains, and nothing is sent for a date already past.
    """
    for name, low, high in DEADLINE_WINDOWS:
        if low <= days_left <= high:
            return name
    return None


def deadline_reminder_key(what: str, pk: int, window: str, due_on: date) -> str:
    return f"deadline-reminder:{what}:{pk}:{window}:{due_on.isoformat()}"


@dataclass(frozen=True)
class DeadlineDue:
    key: str
    studio: Studio
    context: dict[str, Any]


def _days_phrase(days_left: int) -> str:
    """When something is due, in words of the active language: today, tomorrow, in 3 days."""
    if days_left == 0:
        return gettext("today")
    if days_left == 1:
        return gettext("tomorrow")
    return ngettext("in %(count)d day", "in %(count)d days", days_left) % {"count": days_left}


def deadlines_due(
    projects: Iterable[Project], milestones: Iterable[Milestone], *, now: datetime, studios: dict[int, Studio]
) -> list[DeadlineDue]:
    """The freelancer reminders in their window now, for the studios in ``studios`` (in working hours)."""
    due: list[DeadlineDue] = []
    rows = [("project", project.pk, project, project.deadline_on, project.title) for project in projects] + [
        ("milestone", milestone.pk, milestone.project, milestone.due_on, milestone.title) for milestone in milestones
    ]
    for what, pk, project, due_on, title in rows:
        studio = studios.get(project.studio_id)
        if studio is None or due_on is None:
            continue
        days_left = (due_on - now.astimezone(studio.zoneinfo).date()).days
        window = deadline_window(days_left)
        if window is None:
            continue
        due.append(
            DeadlineDue(
                key=deadline_reminder_key(what, pk, window, due_on),
                studio=studio,
                context={
                    "what": what,
                    "title": title,
                    "project_title": project.title,
                    "client_name": project.client.name,
                    "due_label": long_date(due_on),
                    "days_left": days_left,
                    "when": _days_phrase(days_left),
                    "url": absolute_url("projects:detail", project.pk),
                },
            )
        )
    return due


def deadline_reminders(now: datetime) -> int:
    """Freelancer reminders 3 days and 1 day before a project deadline or an open milestone's due date.

    Only active projects. Key ``deadline-reminder:{project|milestone}:{id}:{3d|1d}:{due date}`` (a
    moved date is a new date, reminded again). Written only inside the studio's working hours (R5),
    so each reminder reflects the state when it leaves; a window spent outside them (a weekend)
    is simply not sent, and the one in force at the opening is.
    """
    today_utc = now.astimezone(UTC).date()
    span = (today_utc - ZONE_SLACK, today_utc + ZONE_SLACK + timedelta(days=3))
    projects = list(
        Project.objects.filter(status__in=Project.ACTIVE_STATUSES, deadline_on__range=span).select_related(
            "studio", "client"
        )
    )
    milestones = list(
        Milestone.objects.filter(
            done_at__isnull=True, due_on__range=span, project__status__in=Project.ACTIVE_STATUSES
        ).select_related("project__studio", "project__client")
    )
    studios = working_studios([p.studio for p in projects] + [m.project.studio for m in milestones], now)
    due = deadlines_due(projects, milestones, now=now, studios=studios)
    done = keys_already_used((item.studio.pk, item.key) for item in due)
    due = [item for item in due if (item.studio.pk, item.key) not in done]
    addresses = freelancer_addresses({item.studio.pk for item in due})
    written = 0
    for item in due:
        written += queue_safely(
            notify_freelancer, item.studio, to=addresses.get(item.studio.pk, []), kind="deadline-reminder",
            key=item.key, template="deadline-reminder", context=item.context, now=now,
        )  # fmt: skip
    return written


def action_item_reminder_key(item_id: int, due_on: date) -> str:
    return f"action-item-reminder:{item_id}:{due_on.isoformat()}"


def action_item_reminders(now: datetime) -> int:
    """To the client's primary contact (else the first), their own open action items due within a day.

    Only for studios with ``client_action_reminders`` and projects still under way. Key
    ``action-item-reminder:{item id}:{due date}``. Written inside the studio's working hours (R5)
    while 0–1 local day remains ("tomorrow", or "today" when the day before was missed); never
    for an item already overdue.
    """
    today_utc = now.astimezone(UTC).date()
    items = list(
        ActionItem.objects.filter(
            owner=ActionItem.Owner.CLIENT,
            done_at__isnull=True,
            due_on__range=(today_utc - ZONE_SLACK, today_utc + ZONE_SLACK + timedelta(days=ACTION_ITEM_DAYS_BEFORE)),
            project__studio__client_action_reminders=True,
            project__client__archived_at__isnull=True,
        )
        .exclude(project__status__in=CLOSED_STATUSES)
        .select_related("project__studio", "project__client")
    )
    studios = working_studios([item.project.studio for item in items], now)
    due = []
    for item in items:
        studio = studios.get(item.project.studio_id)
        if studio is None:
            continue
        days_left = (item.due_on - now.astimezone(studio.zoneinfo).date()).days
        if 0 <= days_left <= ACTION_ITEM_DAYS_BEFORE:
            due.append((item, studio, days_left, action_item_reminder_key(item.pk, item.due_on)))
    done = keys_already_used((studio.pk, key) for _, studio, _, key in due)
    due = [row for row in due if (row[1].pk, row[3]) not in done]
    contacts = first_contacts({item.project.client_id for item, *_ in due})
    written = 0
    for item, studio, days_left, key in due:
        contact = contacts.get(item.project.client_id)
        if contact is None:
            continue
        language = item.project.client.language
        with translation.override(language):
            context = {
                "first_name": first_name(contact),
                "project_title": item.project.title,
                "item_text": item.text,
                "due_label": long_date(item.due_on),
                "when": _days_phrase(days_left),
            }
        written += queue_safely(
            studio_email_send, studio=studio, to=[contact.email], template="action-item-reminder", context=context,
            idempotency_key=key, send_after=now, client=item.project.client, project=item.project,
            kind="action-item-reminder", language=language,
        )  # fmt: skip
    return written


@sweep("deadlines")
def deadlines_sweep(now: datetime) -> int:
    """Job 4: deadline reminders to the freelancer; action-item reminders to clients who opted in."""
    return deadline_reminders(now) + action_item_reminders(now)


# --- Deposits (R11) ------------------------------------------------------------------------------


def parse_reminder_days(text: str) -> tuple[int, ...]:
    """``"3,7,14"`` → ``(3, 7, 14)``: positive whole days, sorted, each once; anything else ignored."""
    days = set()
    for part in (text or "").split(","):
        part = part.strip()
        if part.isdigit() and int(part) > 0:
            days.add(int(part))
    return tuple(sorted(days))


def deposit_threshold_due(days_waiting: int, thresholds: Sequence[int]) -> int | None:
    """The latest threshold reached after ``days_waiting`` days, or None before the first.

    After downtime only this one is sent: never two or three reminders at once.
    """
    reached = [day for day in thresholds if day <= days_waiting]
    return max(reached) if reached else None


def deposit_reminder_key(project_id: int, requested_on: date, day: int) -> str:
    """Keyed by the request's local date too: a project asked for its deposit again starts over."""
    return f"deposit-reminder:{project_id}:{requested_on.isoformat()}:{day}"


DEPOSITS_JOB = "deposits"


@sweep(DEPOSITS_JOB)
def deposit_sweep(now: datetime) -> int:
    """Job 5 (R11): remind the client of an unpaid deposit ``deposit_reminder_days`` after it was asked for.

    Projects awaiting their deposit since ``deposit_requested_at`` with less received than due.
    Days count in the studio's local dates. Key ``deposit-reminder:{project id}:{requested on}:{day}``. After
    downtime only the latest threshold reached is sent, never the earlier ones with it. Written
    only inside the studio's working hours (R5). Stops once the deposit is paid in full (or the
    project leaves "awaiting deposit", which clears ``deposit_requested_at``). A threshold is reached
    at a local midnight and written inside working hours, so the studio schedule hands a tick only
    the studios at their opening (``kernel.sweeps.AT_OPENING``).
    """
    with scheduled(DEPOSITS_JOB, now) as checked:
        return deposit_reminders(working_studios([moment.studio for moment in checked], now), now)


def deposit_reminders(studios: dict[int, Studio], now: datetime) -> int:
    """The deposit reminders due now in ``studios`` (those inside their working hours)."""
    if not studios:
        return 0
    projects = list(
        Project.objects.filter(
            studio_id__in=list(studios),
            status=Status.AWAITING_DEPOSIT,
            deposit_requested_at__isnull=False,
            client__archived_at__isnull=True,
        )
        .select_related("client")
        .annotate(received=Coalesce(Sum("payments__amount_minor", filter=Q(payments__currency=F("currency"))), 0))
    )
    due = []
    for project in projects:
        studio = project.studio = studios[project.studio_id]
        outstanding = project.deposit_due_minor - project.received
        if outstanding <= 0:
            continue
        tz = studio.zoneinfo
        requested_on = project.deposit_requested_at.astimezone(tz).date()
        days_waiting = (now.astimezone(tz).date() - requested_on).days
        day = deposit_threshold_due(days_waiting, parse_reminder_days(studio.deposit_reminder_days))
        if day is not None:
            due.append((project, studio, outstanding, deposit_reminder_key(project.pk, requested_on, day)))
    done = keys_already_used((studio.pk, key) for _, studio, _, key in due)
    due = [row for row in due if (row[1].pk, row[3]) not in done]
    contacts = first_contacts({project.client_id for project, *_ in due})
    written = 0
    for project, studio, outstanding, key in due:
        contact = contacts.get(project.client_id)
        if contact is None:
            continue
        language = project.client.language
        context = {
            "first_name": first_name(contact),
            "project_title": project.title,
            "amount": format_money(outstanding, project.currency, language=language),
            "deposit": format_money(project.deposit_due_minor, project.currency, language=language),
            "received": format_money(project.received, project.currency, language=language)
            if project.received > 0
            else "",
            "requested_label": long_date(
                project.deposit_requested_at.astimezone(studio.zoneinfo).date(), language=language
            ),
            "payment_options": studio.payment_options.strip(),
        }
        written += queue_safely(
            studio_email_send, studio=studio, to=[contact.email], template="deposit-reminder", context=context,
            idempotency_key=key, send_after=now, client=project.client, project=project, kind="deposit-reminder",
            language=language,
        )  # fmt: skip
    return written


# --- Surveys (R16) -------------------------------------------------------------------------------


def survey_invite_due(*, completed_on: date, after_days: int, today: date) -> bool:
    """From ``after_days`` local days after completion, for ``SURVEY_STALE_AFTER_DAYS`` more.

    After a longer downtime the invitation is stale: asking about a project finished that long
    ago reads oddly, so it is never sent.
    """
    due_day = completed_on + timedelta(days=after_days)
    return due_day <= today <= due_day + timedelta(days=SURVEY_STALE_AFTER_DAYS)


def survey_key(project_id: int) -> str:
    return f"survey:{project_id}"


def _completed_window(studios: Iterable[Studio], today_utc: date) -> Q:
    """Completed projects of ``studios`` whose invitation window may be open today, per setting in use."""
    by_setting: dict[int, list[int]] = {}
    for studio in studios:
        by_setting.setdefault(studio.survey_after_days, []).append(studio.pk)
    window = Q(pk__in=[])
    for after_days, studio_ids in by_setting.items():
        latest_due = today_utc + ZONE_SLACK - timedelta(days=after_days)
        earliest = today_utc - ZONE_SLACK - timedelta(days=after_days + SURVEY_STALE_AFTER_DAYS)
        window |= Q(studio_id__in=studio_ids, completed_on__range=(earliest, latest_due))
    return window


SURVEYS_JOB = "surveys"


@sweep(SURVEYS_JOB)
def survey_sweep(now: datetime) -> int:
    """Job 7 (R16): invite the client to the satisfaction survey ``survey_after_days`` after completion.

    Creates the project's ``Survey`` (``projects.survey``) and emails its rating links to the
    client's primary contact (else the first), in the client's language. Key ``survey:{project id}``;
    ``invited_at`` is set, so never twice. Written inside the studio's working hours (R5). Stale:
    more than ``SURVEY_STALE_AFTER_DAYS`` days after the day the invitation was due (after downtime,
    or a project marked completed long after the fact), nobody is invited. The studio schedule hands
    a tick the studios at their opening (``kernel.sweeps.AT_OPENING``); completing a project makes its
    studio due at once (``survey_after_days`` may be 0).
    """
    with scheduled(SURVEYS_JOB, now) as checked:
        return survey_invitations(working_studios([moment.studio for moment in checked], now), now)


def survey_invitations(studios: dict[int, Studio], now: datetime) -> int:
    """The survey invitations due now in ``studios`` (those inside their working hours)."""
    if not studios:
        return 0
    today_utc = now.astimezone(UTC).date()
    projects = list(
        Project.objects.filter(
            _completed_window(studios.values(), today_utc), status=Status.COMPLETED, client__archived_at__isnull=True
        )
        .filter(Q(survey__isnull=True) | Q(survey__invited_at__isnull=True))
        .select_related("client")
    )
    due = []
    for project in projects:
        studio = project.studio = studios[project.studio_id]
        if survey_invite_due(
            completed_on=project.completed_on,
            after_days=studio.survey_after_days,
            today=now.astimezone(studio.zoneinfo).date(),
        ):
            due.append((project, studio))
    contacts = first_contacts({project.client_id for project, _ in due})
    written = 0
    for project, studio in due:
        contact = contacts.get(project.client_id)
        if contact is not None:
            written += queue_safely(survey_invite, project, studio=studio, contact=contact, now=now)
    return written


def survey_invite(project: Project, *, studio: Studio, contact: Contact, now: datetime) -> Survey:
    """Create the project's survey (once, questions frozen) and queue its invitation; marks it invited.

    The invitation is in the client's language and carries one rating link per score 1–10.
    """
    with transaction.atomic():
        survey = survey_for_invitation(project, studio=studio, contact=contact)
        token = issue_token(survey)
        studio_email_send(
            studio=studio,
            to=[contact.email],
            template="survey",
            context=invitation_context(survey, token=token, first_name=first_name(contact)),
            idempotency_key=survey_key(project.pk),
            send_after=now,
            client=project.client,
            project=project,
            kind="survey",
            language=survey.language,
            secrets=[token],
        )
        Survey.objects.filter(pk=survey.pk, invited_at__isnull=True).update(invited_at=now)
    return survey

"""The daily digest (job 3): on each working day, at the studio's digest hour, what needs the freelancer.

Sweep ``daily-digest`` (every beat tick). A studio is due once its local clock has reached
``digest_hour`` on a local working day (holidays and closed weekdays get none) and its digest for that
local date has not been written yet (key ``digest:{studio_id}:{YYYY-MM-DD}``). The digest goes to the
studio's owners like every notification to the freelancer (``comms.notify.notify_freelancer``, R5): a
digest hour outside working hours waits for the next opening (Settings says so when the hour is chosen).

Sections: replies owed (open clocks, soonest first, breached flagged), promises due (open commitments
promised by the end of the local day, overdue included), deadlines within ``DEADLINE_HORIZON_DAYS`` and
overdue (active projects' deadlines, their open milestones), deposits awaited (amount outstanding, days
waiting), the clients' overdue next steps, touchpoints due, and mail to clients leaving today. Calls
today are left out: there is no call model yet. Each section lists at most ``SECTION_LIMIT`` items.

Stale, hence never sent: a digest for a past day (after downtime only today's goes; a tick that finds
the studio after its hour on the same day still sends it). Nothing to say (every section empty):
nothing is queued.

Cost: the studio schedule (``kernel.sweeps.due_studios``) hands each tick only the studios whose digest
hour has come since they were last looked at; each is then checked again at its next local digest hour.
One query for those studios, one for the keys already used, one for their owners, then a constant
number of queries per studio due (about ten), whatever the data stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from billing.models import Invoice
from clients.models import Client
from clients.selectors import ClientTouches, clients_due
from comms.inbox import format_duration
from comms.models import Commitment, Message, OutboxEmail
from comms.notify import keys_already_used, notify_freelancer
from comms.outbox import FREELANCER_KINDS
from files.seen import unseen_client_files
from kernel.dates import last_contact_day, local_midnight, long_date, short_date
from kernel.links import absolute_url, fixed_url, site_url, url_with_id
from kernel.models import Studio
from kernel.money import format_money
from kernel.sweeps import LocalMoment, due_studios, freelancer_addresses, reschedule, sweep
from projects.calls import calls_on_day
from projects.models import ActionItem, Milestone, Project
from projects.services import projects_awaiting_deposit

DIGEST_KIND = "digest"
SECTION_LIMIT = 20
DEADLINE_HORIZON_DAYS = 7


def digest_key(studio_id: int, day: date) -> str:
    return f"digest:{studio_id}:{day.isoformat()}"


# --- Which studios are due (one query each for studios, keys and owners) --------------------------


def at_digest_hour(moments: Iterable[LocalMoment]) -> list[LocalMoment]:
    """The studios whose local digest hour has come today, on a working day."""
    return [moment for moment in moments if moment.reached(moment.studio.digest_hour) and moment.is_working_day]


def without_digest(moments: list[LocalMoment]) -> list[LocalMoment]:
    """Those whose digest for their local today was not written yet."""
    if not moments:
        return []
    keys = {moment.studio.pk: digest_key(moment.studio.pk, moment.today) for moment in moments}
    written = keys_already_used(keys.items())
    return [moment for moment in moments if (moment.studio.pk, keys[moment.studio.pk]) not in written]


DIGEST_JOB = "daily-digest"


@sweep("daily-digest")
def sweep_daily_digest(now: datetime) -> int:
    """Queue today's digest for every studio at its hour that has something to say; see the module docstring."""
    checked = due_studios(DIGEST_JOB, now)
    due = without_digest(at_digest_hour(checked))
    if not due:
        reschedule(DIGEST_JOB, checked, now)
        return 0
    studios = {moment.studio.pk: moment.studio for moment in due}
    addresses = freelancer_addresses(studios)
    written = 0
    for moment in due:
        studio, to = studios[moment.studio.pk], addresses.get(moment.studio.pk, [])
        if not to:
            continue
        sections = digest_sections(studio, today=moment.today, now=now)
        if not sections:
            continue
        row = notify_freelancer(
            studio,
            to=to,
            kind=DIGEST_KIND,
            key=digest_key(studio.pk, moment.today),
            template="digest",
            context=digest_context(sections, today=moment.today),
            now=now,
        )
        written += row is not None
    reschedule(DIGEST_JOB, checked, now)
    return written


# --- What the digest says ---------------------------------------------------------------------


def digest_sections(studio: Studio, *, today: date, now: datetime) -> list[dict[str, Any]]:
    """The digest's non-empty sections, in reading order: a constant number of queries."""
    sections = [
        section(_("Calls today"), calls_today(studio, today=today), more_url=reverse("calls:index")),
        section(_("Replies owed"), replies_owed(studio, now=now), more_url=reverse("comms:inbox")),
        section(_("Promises due"), promises_due(studio, today=today, now=now), more_url=reverse("comms:inbox")),
        section(_("Deadlines"), deadlines(studio, today=today), more_url=reverse("projects:index")),
        section(_("Deposits awaited"), deposits_awaited(studio, today=today), more_url=reverse("projects:index")),
        section(
            _("Clients' overdue next steps"),
            client_steps_overdue(studio, today=today),
            more_url=reverse("projects:index"),
        ),
        section(_("New files from your clients"), client_files(studio, now=now), more_url=reverse("today")),
        section(
            _("Overdue invoices"),
            overdue_invoices(studio, today=today),
            more_url=reverse("billing:index") + "?overdue=1",
        ),
        section(_("Touchpoints due"), touchpoints_due(studio, today=today), more_url=reverse("clients:touchpoints")),
        section(_("Mail leaving today"), mail_leaving_today(studio, today=today), more_url=reverse("comms:outbox")),
    ]
    return [entry for entry in sections if entry["items"]]


def section(title: str, items: list[dict[str, Any]], *, more_url: str) -> dict[str, Any]:
    shown = [{**entry, "url": site_url(entry["url"])} for entry in items[:SECTION_LIMIT]]
    more = len(items) > SECTION_LIMIT
    return {
        "title": title,
        "items": shown,
        "count": f"{SECTION_LIMIT}+" if more else str(len(shown)),
        "more": more,
        "more_url": site_url(more_url),
    }


SUBJECT_SECTIONS = 3


def digest_context(sections: list[dict[str, Any]], *, today: date) -> dict[str, Any]:
    summary = " · ".join(f"{entry['title']}: {entry['count']}" for entry in sections[:SUBJECT_SECTIONS])
    if len(sections) > SUBJECT_SECTIONS:
        summary += " · …"
    return {
        "date_label": long_date(today, with_year=False),
        "short_date_label": short_date(today),
        "summary": summary,
        "sections": sections,
        "today_url": absolute_url("today"),
    }


def item(title: str, detail: str, url: str, *, flag: str = "", **extra: Any) -> dict[str, Any]:
    """One line of a section: what, the detail under it, where to act (a path), an optional alarm word.

    The section functions below are shared with the Today page (``desk.today``), which shows the same
    lines with at most ``limit`` rows each; the digest makes the paths absolute in ``section``.
    """
    return {"title": title, "detail": detail, "url": url, "flag": flag, **ITEM_EXTRAS, **extra}


# What the Today page may add to a line; every line carries them, so templates never miss a key.
ITEM_EXTRAS: dict[str, Any] = {
    "urgent": False,
    "angel": False,
    "kind": "",
    "cancel_url": "",
    "seen_url": "",
    "download_url": "",
}


# Each section below is its rows (a queryset, unsliced) and its lines from those rows: the digest
# reads the rows through the ORM, Today through SQL compiled once (``desk.today``).


def calls_today(studio: Studio, *, today: date, limit: int = SECTION_LIMIT + 1) -> list[dict[str, Any]]:
    """Calls booked for the studio's local ``today``, in order, with their topic (R8)."""
    return call_items(calls_today_rows(studio, today=today)[:limit], zone=studio.zoneinfo)


def calls_today_rows(studio: Studio, *, today: date) -> QuerySet:
    return calls_on_day(studio, today).values("starts_at", "ends_at", "topic", "client__name")


def call_items(calls: Iterable[dict[str, Any]], *, zone: tzinfo) -> list[dict[str, Any]]:
    calls_url = fixed_url("calls:index")
    return [
        item(
            f"{call['starts_at'].astimezone(zone):%H:%M}–{call['ends_at'].astimezone(zone):%H:%M} "
            f"{call['client__name']}",
            call["topic"],
            calls_url,
        )
        for call in calls
    ]


def replies_owed(studio: Studio, *, now: datetime, limit: int = SECTION_LIMIT + 1) -> list[dict[str, Any]]:
    return reply_items(replies_owed_listed(studio)[:limit], studio=studio, now=now)


def replies_owed_listed(studio: Studio) -> QuerySet:
    return (
        Message.objects.for_studio(studio)
        .open_clocks()
        .filter(reply_due_at__isnull=False)
        .order_by("reply_due_at", "pk")
        .values("pk", "subject", "from_email", "reply_due_at", "is_urgent", "client_id", "client__name")
    )


def reply_items(clocks: Iterable[dict[str, Any]], *, studio: Studio, now: datetime) -> list[dict[str, Any]]:
    overdue = _("overdue")
    return [
        item(
            f"{message['client__name'] if message['client_id'] else message['from_email']}: "
            f"“{message['subject'] or _('(no subject)')}”",
            due_detail(message["reply_due_at"], studio=studio, now=now),
            url_with_id("comms:message", message["pk"]),
            flag=overdue if message["reply_due_at"] <= now else "",
            urgent=message["is_urgent"],
        )
        for message in clocks
    ]


def promises_due(studio: Studio, *, today: date, now: datetime, limit: int = SECTION_LIMIT + 1) -> list[dict[str, Any]]:
    return promise_items(promises_due_listed(studio, today=today)[:limit], studio=studio, now=now)


def promises_due_listed(studio: Studio, *, today: date) -> QuerySet:
    return (
        promises_due_rows(studio, today=today)
        .order_by("promised_by", "pk")
        .values("message_id", "client_id", "description", "promised_by", "client__name")
    )


def promise_items(commitments: Iterable[dict[str, Any]], *, studio: Studio, now: datetime) -> list[dict[str, Any]]:
    overdue = _("overdue")
    return [
        item(
            f"{commitment['client__name']}: {commitment['description']}",
            due_detail(commitment["promised_by"], studio=studio, now=now),
            url_with_id("comms:message", commitment["message_id"])
            if commitment["message_id"]
            else url_with_id("clients:detail", commitment["client_id"]),
            flag=overdue if commitment["promised_by"] <= now else "",
        )
        for commitment in commitments
    ]


def deadlines(studio: Studio, *, today: date, limit: int = SECTION_LIMIT + 1) -> list[dict[str, Any]]:
    """Active projects' deadlines and their open milestones, overdue or within the horizon, soonest first."""
    projects, milestones = deadlines_listed(studio, today=today)
    return deadline_items(projects[:limit], milestones[:limit], today=today, limit=limit)


def deadlines_listed(studio: Studio, *, today: date) -> tuple[QuerySet, QuerySet]:
    project_rows, milestone_rows = deadline_rows(studio, today=today)
    projects = project_rows.order_by("active_deadline_on", "pk").values("pk", "title", "deadline_on", "client__name")
    milestones = milestone_rows.order_by("due_on", "pk").values(
        "pk", "title", "due_on", "project_id", "project__title", "project__client__name"
    )
    return projects, milestones


def deadline_items(
    projects: Iterable[dict[str, Any]], milestones: Iterable[dict[str, Any]], *, today: date, limit: int
) -> list[dict[str, Any]]:
    """The soonest ``limit`` of both, merged by day."""
    deadline, milestone_word, overdue = _("deadline"), _("milestone"), _("overdue")
    dated = [
        (
            project["deadline_on"],
            0,
            project["pk"],
            f"{project['title']} ({project['client__name']})",
            deadline,
            project["pk"],
        )
        for project in projects
    ] + [
        (
            milestone["due_on"],
            1,
            milestone["pk"],
            f"{milestone['title']} — {milestone['project__title']} ({milestone['project__client__name']})",
            milestone_word,
            milestone["project_id"],
        )
        for milestone in milestones
    ]
    dated.sort()
    return [
        item(
            title,
            f"{what} {short_date(day)}, {relative_day(day, today)}",
            url_with_id("projects:detail", project_id),
            flag=overdue if day < today else "",
        )
        for day, _order, _pk, title, what, project_id in dated[:limit]
    ]


def deposits_awaited(studio: Studio, *, today: date, limit: int | None = None) -> list[dict[str, Any]]:
    return deposit_items(projects_awaiting_deposit(studio=studio, today=today, limit=limit))


def deposit_items(awaiting: Iterable[tuple[Project, int, int]]) -> list[dict[str, Any]]:
    """One line per ``projects.services.projects_awaiting_deposit`` row: what is outstanding, for how long."""
    rows = []
    for project, days_waiting, received_minor in awaiting:
        due_minor = project.deposit_due_minor
        paid = bool(due_minor) and received_minor >= due_minor
        if paid:
            # The studio starts work by hand: the deposit is in, so the project waits on us, not the client.
            amount = _("deposit paid in full: start the work")
        elif due_minor:
            amount = _("%(amount)s outstanding") % {
                "amount": format_money(max(due_minor - received_minor, 0), project.currency)
            }
        else:
            amount = _("amount not set")
        waiting = ngettext("waiting %(days)d day", "waiting %(days)d days", days_waiting) % {"days": days_waiting}
        rows.append(
            item(
                f"{project.title} ({project.client.name})",
                amount if paid else f"{amount}, {waiting}",
                url_with_id("projects:detail", project.pk),
            )
        )
    return rows


def client_steps_overdue(studio: Studio, *, today: date, limit: int = SECTION_LIMIT + 1) -> list[dict[str, Any]]:
    """The clients' own open action items past their date, on projects not completed or cancelled."""
    return client_step_items(client_steps_listed(studio, today=today)[:limit], today=today)


def client_steps_listed(studio: Studio, *, today: date) -> QuerySet:
    return (
        client_steps_overdue_rows(studio, today=today)
        .order_by("due_on", "pk")
        .values("text", "due_on", "project_id", "project__title", "project__client__name")
    )


def client_step_items(actions: Iterable[dict[str, Any]], *, today: date) -> list[dict[str, Any]]:
    due, overdue = _("due"), _("overdue")
    return [
        item(
            f"{action['project__client__name']}: {action['text']}",
            f"{due} {short_date(action['due_on'])}, {relative_day(action['due_on'], today)} · "
            f"{action['project__title']}",
            url_with_id("projects:detail", action["project_id"]),
            flag=overdue,
        )
        for action in actions
    ]


def touchpoints_due(studio: Studio, *, today: date, limit: int = SECTION_LIMIT + 1) -> list[dict[str, Any]]:
    return touchpoint_items(clients_due(studio=studio, today=today, limit=limit), zone=studio.zoneinfo)


def touchpoint_items(lines: Iterable[ClientTouches], *, zone: tzinfo) -> list[dict[str, Any]]:
    """One line per client due a touch (``clients.selectors.clients_due``): its reasons and last contact."""
    return [
        item(
            line.client.name,
            touch_detail(line, zone=zone),
            url_with_id("clients:detail", line.client.pk),
            angel=line.client.is_angel,
        )
        for line in lines
    ]


def touch_detail(line: ClientTouches, *, zone: tzinfo) -> str:
    """The line under the client: every reason, how overdue the first is, then the last contact."""
    parts = [touch.reason for touch in line.touches]
    if days := line.days_overdue:
        parts.append(ngettext("(%(days)d day overdue)", "(%(days)d days overdue)", days) % {"days": days})
    parts.append(last_contact_words(line.client, zone=zone))
    return " ".join(parts)


def last_contact_words(client: Client, *, zone: tzinfo) -> str:
    if day := last_contact_day(client.last_interaction_at, zone):
        return _("Last contact: %(day)s.") % {"day": day}
    return _("Last contact: never.")


def client_files(studio: Studio, *, now: datetime, limit: int = SECTION_LIMIT + 1) -> list[dict[str, Any]]:
    """The client's files nobody in the studio has seen yet, newest first (one query), linked to the project's files.

    The same list on Today (with a download and "seen") and in the digest: a file stays until it is seen.
    """
    return client_file_items(client_files_listed(studio)[:limit], now=now)


def client_files_listed(studio: Studio) -> QuerySet:
    return unseen_client_files(studio).values(
        "pk", "title", "name", "size", "created_at", "project_id", "project__title", "project__client__name",
        "uploaded_by_contact__name",
    )  # fmt: skip


def client_file_items(rows: Iterable[dict[str, Any]], *, now: datetime) -> list[dict[str, Any]]:
    lines = []
    for row in rows:
        detail = " · ".join(
            part
            for part in (
                row["project__client__name"],
                row["project__title"],
                row["uploaded_by_contact__name"] or "",
                _("%(since)s ago") % {"since": timesince(row["created_at"], now)},
            )
            if part
        )
        lines.append(
            item(
                row["title"] or row["name"],
                detail,
                url_with_id("files:project", row["project_id"]),
                download_url=url_with_id("files:download", row["pk"]),
                seen_url=url_with_id("files:seen", row["pk"]),
            )
        )
    return lines


def overdue_invoice_rows(studio: Studio, *, today: date) -> QuerySet[Invoice]:
    """Issued invoices past their due date (studio-local ``today``) with a balance left; no credit notes."""
    return (
        Invoice.objects.filter(studio=studio, status=Invoice.Status.ISSUED, due_on__lt=today)
        .filter(total_minor__gt=F("paid_minor"))
        .exclude(kind=Invoice.Kind.CREDIT_NOTE)
    )


def overdue_invoices(studio: Studio, *, today: date, limit: int = SECTION_LIMIT + 1) -> list[dict[str, Any]]:
    """The overdue invoices, longest overdue first (one query): client, number, balance, days late."""
    return overdue_invoice_items(overdue_invoices_listed(studio, today=today)[:limit], today=today)


def overdue_invoices_listed(studio: Studio, *, today: date) -> QuerySet:
    return (
        overdue_invoice_rows(studio, today=today)
        .order_by("due_on", "pk")
        .values("pk", "number", "currency", "total_minor", "paid_minor", "due_on", "client__name")
    )


def overdue_invoice_items(rows: Iterable[dict[str, Any]], *, today: date) -> list[dict[str, Any]]:
    lines = []
    for row in rows:
        days = (today - row["due_on"]).days
        late = ngettext("%(days)d day overdue", "%(days)d days overdue", days) % {"days": days}
        amount = format_money(row["total_minor"] - row["paid_minor"], row["currency"])
        lines.append(
            item(
                f"{row['client__name']}: {row['number']}",
                f"{amount} · {late}",
                url_with_id("billing:detail", row["pk"]),
                flag=_("overdue"),
            )
        )
    return lines


def mail_leaving_today(studio: Studio, *, today: date) -> list[dict[str, Any]]:
    """Mail to clients still queued to leave during the local day (cool-off, send later, reminders)."""
    emails = (
        OutboxEmail.objects.for_studio(studio)
        .filter(
            status=OutboxEmail.Status.QUEUED,
            send_after__gte=local_midnight(today, studio.zoneinfo),
            send_after__lt=local_midnight(today + timedelta(days=1), studio.zoneinfo),
        )
        .exclude(kind__in=FREELANCER_KINDS)
        .only("subject", "to", "send_after", "confirm_before_sending")
        .order_by("send_after", "pk")[: SECTION_LIMIT + 1]
    )
    rows = []
    for email in emails:
        detail = _("to %(to)s at %(time)s") % {
            "to": ", ".join(email.to),
            "time": f"{email.send_after.astimezone(studio.zoneinfo):%H:%M}",
        }
        if email.confirm_before_sending:
            detail += " · " + _("waits for your confirmation")
        rows.append(item(email.subject, detail, url_with_id("comms:outbox_email", email.pk)))
    return rows


# --- The rows behind the sections, also counted by the Today page --------------------------------


def promises_due_rows(studio: Studio, *, today: date) -> QuerySet[Commitment]:
    """Open commitments promised by the end of the local ``today``, overdue ones included."""
    return Commitment.objects.for_studio(studio).filter(
        fulfilled_at__isnull=True, promised_by__lt=local_midnight(today + timedelta(days=1), studio.zoneinfo)
    )


def deadline_rows(studio: Studio, *, today: date) -> tuple[QuerySet[Project], QuerySet[Milestone]]:
    """Active projects due within the horizon (or overdue), and their open milestones likewise."""
    horizon = today + timedelta(days=DEADLINE_HORIZON_DAYS)
    projects = Project.objects.for_studio(studio).filter(active_deadline_on__lte=horizon)
    milestones = Milestone.objects.filter(
        project__studio=studio,
        project__status__in=Project.ACTIVE_STATUSES,
        done_at__isnull=True,
        due_on__lte=horizon,
    )
    return projects, milestones


def client_steps_overdue_rows(studio: Studio, *, today: date) -> QuerySet[ActionItem]:
    """The clients' open action items past their date, on projects neither completed nor cancelled."""
    return ActionItem.objects.filter(
        project__studio=studio, owner=ActionItem.Owner.CLIENT, done_at__isnull=True, due_on__lt=today
    ).exclude(project__status__in=[Project.Status.COMPLETED, Project.Status.CANCELLED])


# --- Small helpers ------------------------------------------------------------------------------


def relative_day(day: date, today: date) -> str:
    """ "today", "tomorrow", "in 3 days", "yesterday", "4 days ago"."""
    delta = (day - today).days
    if delta == 0:
        return _("today")
    if delta == 1:
        return _("tomorrow")
    if delta == -1:
        return _("yesterday")
    if delta > 0:
        return ngettext("in %(days)d day", "in %(days)d days", delta) % {"days": delta}
    return ngettext("%(days)d day ago", "%(days)d days ago", -delta) % {"days": -delta}


def due_detail(due_at: datetime, *, studio: Studio, now: datetime) -> str:
    """ "due Wed 4 Mar, 17:00 (in 2 h 10 min)" or "was due Mon 2 Mar, 18:00 (overdue by 1 d 16 h)"."""
    local = due_at.astimezone(studio.zoneinfo)
    when = f"{short_date(local.date())}, {local:%H:%M}"
    if due_at <= now:
        return _("was due %(when)s (overdue by %(duration)s)") % {
            "when": when,
            "duration": format_duration(now - due_at),
        }
    return _("due %(when)s (in %(duration)s)") % {"when": when, "duration": format_duration(due_at - now)}

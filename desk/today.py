"""What the Today page shows, gathered in a fixed number of queries whatever the studio's size.

Each section lists at most ``SHOWN`` lines, most urgent first, with its full count in the header
and a link to the page that lists them all. The lines are the daily digest's (``desk.digest``), so
the page and the email say the same thing; the counts of every section come from one query
(``section_counts``), which the page's light endpoint polls to keep the headers and countdowns fresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from clients.cadence import DueKind
from clients.selectors import ClientTouches, due_clients, touch_pairs, touch_rows, touches_by_client
from comms.inbox import format_duration, inbox_rows
from comms.models import Message, OutboxEmail
from comms.outbox import FREELANCER_KINDS
from desk import digest
from files.seen import unseen_client_files
from kernel.dates import short_date
from kernel.links import fixed_url, url_with_id
from kernel.models import Studio
from kernel.queries import RowCount, StudioQuery
from projects import portal_activity
from projects.calls import booked_calls, day_bounds
from projects.covered_week import due_rows as friday_due_rows
from projects.friday import week_bounds
from projects.models import PortalActivity, Project, StatusUpdate
from projects.services import awaiting_deposit_rows, awaiting_deposit_waits

SHOWN = 8
COUNT_CAP = 99

# key → (title, the short line when nothing is due). The order is the page's reading order.
SECTIONS: dict[str, tuple[Any, Any]] = {
    "replies": (gettext_lazy("Replies owed"), gettext_lazy("No client is waiting for an answer.")),
    "promises": (gettext_lazy("Promises due"), gettext_lazy("No promise falls due today.")),
    "calls": (gettext_lazy("Calls today"), gettext_lazy("No calls booked today.")),
    "mail": (gettext_lazy("Mail waiting to leave"), gettext_lazy("No mail is waiting to leave.")),
    "friday": (gettext_lazy("Friday updates due"), gettext_lazy("Every active client has heard from you this week.")),
    "deadlines": (gettext_lazy("Deadlines"), gettext_lazy("Nothing overdue or due in the next 7 days.")),
    "steps": (gettext_lazy("Clients' overdue next steps"), gettext_lazy("No client is late with a next step.")),
    "deposits": (gettext_lazy("Deposits awaited"), gettext_lazy("No deposit is awaited.")),
    "unmatched": (gettext_lazy("Mail from unknown senders"), gettext_lazy("Every email is matched to a client.")),
    "activity": (gettext_lazy("From your clients' portal"), gettext_lazy("Nothing new from the portal.")),
    "files": (gettext_lazy("New files from your clients"), gettext_lazy("No new files from your clients.")),
    "invoices": (gettext_lazy("Overdue invoices"), gettext_lazy("No invoice is overdue.")),
    "touchpoints": (gettext_lazy("Stay in touch"), gettext_lazy("Everyone has heard from you recently.")),
}
# Test ids kept from the page's first version (the end-to-end tests look for them).
TEST_IDS = {
    "replies": "replies-owed",
    "calls": "calls-today",
    "activity": "client-activity",
    "files": "client-files",
    "touchpoints": "stay-in-touch",
}
# Sections empty on most days: their lines are asked for only when their count says there are some.
RARE = ("files", "invoices")
# The sections whose lines change with the clock: the light endpoint renders them again.
LIVE = ("replies", "promises", "mail")


@dataclass
class Section:
    key: str
    items: list[dict[str, Any]]
    count: int
    alarm: int = 0  # how many are overdue or breached
    more_url: str = ""

    @property
    def title(self) -> str:
        return str(SECTIONS[self.key][0])

    @property
    def empty_text(self) -> str:
        return str(SECTIONS[self.key][1])

    @property
    def testid(self) -> str:
        return TEST_IDS.get(self.key, self.key)

    @property
    def more(self) -> bool:
        return self.count > len(self.items)

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP

    @property
    def badge(self) -> str:
        """ "3", "2 overdue" (all of them), "5 · 2 overdue", or "99+ · 99+ overdue" past the cap."""
        if not self.alarm:
            return capped_number(self.count)
        if self.alarm > COUNT_CAP:
            overdue = _("%(count)s overdue") % {"count": capped_number(self.alarm)}
        else:
            overdue = ngettext("%(count)d overdue", "%(count)d overdue", self.alarm) % {"count": self.alarm}
        return overdue if self.alarm == self.count else f"{capped_number(self.count)} · {overdue}"


def capped_number(count: int) -> str:
    return f"{COUNT_CAP}+" if count > COUNT_CAP else str(count)


@dataclass
class TodayBoard:
    sections: list[Section] = field(default_factory=list)

    @property
    def busy(self) -> list[Section]:
        """The sections with something in them, overdue or breached ones first, then in reading order."""
        return sorted((section for section in self.sections if section.count), key=lambda section: not section.alarm)

    @property
    def clear(self) -> list[Section]:
        return [section for section in self.sections if not section.count]


# --- Counts: one query for every section that SQL can count ---------------------------------------


def counted(rows: QuerySet, *, capped: bool = True) -> RowCount:
    """The number of ``rows`` as a column of ``section_counts``' one query, stopping one past ``COUNT_CAP``.

    Past the cap the page says "99+" (``Section.badge``), so a studio ten times busier costs no more
    to count. ``capped=False`` for the few sets that are usually empty: told that a hundred rows will
    do, PostgreSQL's planner picks a scan it expects to stop early, and when almost nothing matches
    that scan reads the whole table.
    """
    return RowCount(rows, at_most=COUNT_CAP + 1 if capped else None)


def waiting_mail_rows(studio: Studio, *, now: datetime) -> QuerySet[OutboxEmail]:
    """Mail to clients still queued: due later (undo, quiet hours, send later) or cooling off for a confirmation."""
    return (
        OutboxEmail.objects.for_studio(studio)
        .filter(status=OutboxEmail.Status.QUEUED)
        .filter(Q(send_after__gt=now) | Q(confirm_before_sending=True))
        .exclude(kind__in=FREELANCER_KINDS)
    )


def unseen_activity_rows(studio: Studio) -> QuerySet[PortalActivity]:
    return PortalActivity.objects.filter(studio=studio, seen_at__isnull=True)


def section_counts(studio: Studio, *, now: datetime) -> dict[str, int]:
    """The count of each section (and its overdue part, ``<key>_alarm``), in one query."""
    today = studio.local_now(now).date()
    week = week_bounds(now, studio.zoneinfo)
    row = COUNTS.rows(studio, now, shape=query_shape(studio, today))[0]
    row["deadlines"] = row.pop("project_deadlines") + row.pop("milestones")
    row["deadlines_alarm"] = row.pop("project_deadlines_alarm") + row.pop("milestones_alarm")
    row["steps_alarm"] = row["steps"]  # every one of them is late
    row["invoices_alarm"] = row["invoices"]  # likewise
    row["friday_alarm"] = row["friday"] if today > week.friday else 0  # Friday is over: every one is late
    return row


def query_shape(studio: Studio, today: date) -> tuple:
    """What Today's queries depend on besides the studio's id and the time (``kernel.queries.StudioQuery``)."""
    return (today, studio.timezone, studio.angel_cadence_days, studio.regular_cadence_days, studio.yearly_card_month)


def counts_query(studio: Studio, now: datetime) -> QuerySet[Studio]:
    """``section_counts``' one query: a row of counts, each over its own index.

    ``COUNTS`` builds it once per process and ``query_shape``.
    """
    today = studio.local_now(now).date()
    # "Due time set" lets every planner walk the partial index of open clocks, not the studio's whole mail.
    open_clocks = Message.objects.for_studio(studio).open_clocks().filter(reply_due_at__isnull=False)
    promised = digest.promises_due_rows(studio, today=today)
    projects, milestones = digest.deadline_rows(studio, today=today)
    start, end = day_bounds(today, studio.zoneinfo)
    week = week_bounds(now, studio.zoneinfo)
    return (
        Studio.objects.filter(pk=studio.pk)
        .order_by()
        .values(
            replies=counted(open_clocks),
            replies_alarm=counted(open_clocks.filter(reply_due_at__lte=now)),
            promises=counted(promised),
            promises_alarm=counted(promised.filter(promised_by__lte=now)),
            calls=counted(booked_calls(studio).filter(starts_at__gte=start, starts_at__lt=end)),
            mail=counted(waiting_mail_rows(studio, now=now)),
            friday=counted(friday_due_rows(studio, week)),
            project_deadlines=counted(projects),
            project_deadlines_alarm=counted(projects.filter(active_deadline_on__lt=today), capped=False),
            milestones=counted(milestones),
            milestones_alarm=counted(milestones.filter(due_on__lt=today), capped=False),
            steps=counted(digest.client_steps_overdue_rows(studio, today=today)),
            deposits=counted(Project.objects.for_studio(studio).filter(status=Project.Status.AWAITING_DEPOSIT)),
            unmatched=counted(inbox_rows(studio, "unmatched")),
            activity=counted(unseen_activity_rows(studio), capped=False),
            files=counted(unseen_client_files(studio), capped=False),
            invoices=counted(digest.overdue_invoice_rows(studio, today=today), capped=False),
            touchpoints=counted(due_clients(touch_rows(studio=studio, today=today))),
        )
    )


COUNTS = StudioQuery(counts_query)


# --- The lines of the sections that only Today shows ----------------------------------------------


def waiting_mail_listed(studio: Studio, now: datetime) -> QuerySet:
    return (
        waiting_mail_rows(studio, now=now)
        .order_by("send_after", "pk")
        .values("pk", "subject", "to", "send_after", "confirm_before_sending")
    )


def waiting_mail_items(emails: list[dict[str, Any]], *, studio: Studio, now: datetime) -> list[dict[str, Any]]:
    """Mail waiting to leave, soonest first, each with its Undo (the outbox's cancel)."""
    zone = studio.zoneinfo
    waits = _("waits for your confirmation")
    rows = []
    for email in emails:
        if email["confirm_before_sending"]:
            when = waits
        else:
            local = email["send_after"].astimezone(zone)
            when = _("leaves %(when)s (in %(duration)s)") % {
                "when": f"{short_date(local.date())}, {local:%H:%M}",
                "duration": format_duration(email["send_after"] - now),
            }
        rows.append(
            digest.item(
                email["subject"] or _("(no subject)"),
                _("to %(to)s") % {"to": ", ".join(email["to"])} + f" · {when}",
                url_with_id("comms:outbox_email", email["pk"]),
                cancel_url=url_with_id("comms:outbox_cancel", email["pk"]),
            )
        )
    return rows


def friday_listed(studio: Studio, now: datetime) -> QuerySet:
    """The projects due a Friday update this week (R2), by client name then title as on the Friday page.

    Read through the clients' stored cover (``projects.covered_week``), whatever the studio's size;
    each with whether its update is drafted and when it was sent (one per project and week).
    """
    bounds = week_bounds(now, studio.zoneinfo)
    update = StatusUpdate.objects.filter(project=OuterRef("pk"), week=bounds.key)
    return (
        friday_due_rows(studio, bounds)
        .order_by("client__name", "title", "pk")
        .values("pk", "title", "client__name")
        .annotate(drafted=Exists(update), sent_at=Subquery(update.values("sent_at")[:1]))
    )


def friday_updates(studio: Studio, *, now: datetime) -> list[dict[str, Any]]:
    """The first ``SHOWN`` projects due a Friday update this week, each linked to its draft: one query."""
    return friday_items(Listed(studio, now)("friday"), studio=studio, now=now)


def friday_items(shown: list[dict[str, Any]], *, studio: Studio, now: datetime) -> list[dict[str, Any]]:
    """``friday_listed``'s first lines, each with the state of its update."""
    late = studio.local_now(now).date() > week_bounds(now, studio.zoneinfo).friday
    flag = _("overdue") if late and shown else ""
    rows = []
    for project in shown:
        if not project["drafted"]:
            state = _("no draft yet")
        elif project["sent_at"] is None:
            state = _("draft saved")
        else:
            state = _("sent: waiting in the outbox")
        rows.append(
            digest.item(
                f"{project['title']} ({project['client__name']})",
                state,
                url_with_id("projects:update", project["pk"]),
                flag=flag,
            )
        )
    return rows


def unmatched_listed(studio: Studio) -> QuerySet:
    """The latest inbound mail from senders no client knows (the inbox's "unmatched" tab)."""
    return inbox_rows(studio, "unmatched").values("pk", "subject", "from_email", "from_name", "sent_at")


def unmatched_items(messages: list[dict[str, Any]], *, studio: Studio) -> list[dict[str, Any]]:
    return [
        digest.item(
            f"{message['from_name'] or message['from_email']}: “{message['subject'] or _('(no subject)')}”",
            _("%(sender)s · received %(when)s") % {
                "sender": message["from_email"],
                "when": short_date(message["sent_at"].astimezone(studio.zoneinfo).date()),
            },
            url_with_id("comms:message", message["pk"]),
        )
        for message in messages
    ]  # fmt: skip


def portal_news_listed(studio: Studio) -> QuerySet:
    """What clients did in the portal and the freelancer hasn't seen, newest first: the first ``SHOWN``."""
    return portal_activity.unseen(studio, limit=SHOWN).values(
        "pk", "kind", "summary", "url", "created_at", "client_id", "client__name", "contact__name", "project__title"
    )  # fmt: skip


def portal_news_items(rows: list[dict[str, Any]], *, now: datetime) -> list[dict[str, Any]]:
    """``portal_news_listed``'s lines, each with "seen"."""
    lines = []
    for row in rows:
        who = row["contact__name"] or row["client__name"]
        what = PortalActivity.Kind(row["kind"]).label if row["kind"] in PortalActivity.Kind.values else row["kind"]
        title = f"{who} {what}" + (f": {row['summary']}" if row["summary"] else "")
        detail = " · ".join(
            part
            for part in (
                row["client__name"],
                row["project__title"] or "",
                _("%(since)s ago") % {"since": timesince(row["created_at"], now)},
            )
            if part
        )
        url = row["url"] or url_with_id("clients:detail", row["client_id"])
        lines.append(
            digest.item(
                title,
                detail,
                url,
                kind=row["kind"],
                seen_url=url_with_id("portal_access:activity_seen", row["pk"]),
            )
        )
    return lines


def local_today(studio: Studio, now: datetime) -> date:
    return studio.local_now(now).date()


# As ``clients.selectors.clients_due`` reads them: a client is due at most one touch of each kind.
TOUCH_PAIRS = SHOWN * len(DueKind)
# What ``touch_pairs`` and ``digest.touchpoint_items`` read of each client.
TOUCH_FIELDS = ("name", "tier", "next_touch_on", "client_since", "created_at", "last_interaction_at")


def touch_kind(kind: str) -> Any:
    """The first clients due one kind of touch (``clients.selectors.touch_rows``), None if none can be."""

    def listed(studio: Studio, now: datetime) -> QuerySet | None:
        rows = getattr(touch_rows(studio=studio, today=local_today(studio, now)), kind)
        return None if rows is None else rows.only(*TOUCH_FIELDS)[:TOUCH_PAIRS]

    return listed


# What ``projects.services.awaiting_deposit_waits`` and ``digest.deposit_items`` read of each project.
DEPOSIT_FIELDS = (
    "title", "currency", "deposit_amount_minor", "deposit_percent", "price_minor", "agreement_accepted_at",
    "created_at", "client__name",
)  # fmt: skip

# The first ``SHOWN`` lines of each section, compiled once per process and shape like the counts.
LISTED = {
    "replies": StudioQuery(lambda studio, now: digest.replies_owed_listed(studio)[:SHOWN]),
    "promises": StudioQuery(
        lambda studio, now: digest.promises_due_listed(studio, today=local_today(studio, now))[:SHOWN]
    ),
    "mail": StudioQuery(lambda studio, now: waiting_mail_listed(studio, now)[:SHOWN]),
    "calls": StudioQuery(lambda studio, now: digest.calls_today_rows(studio, today=local_today(studio, now))[:SHOWN]),
    "friday": StudioQuery(lambda studio, now: friday_listed(studio, now)[:SHOWN]),
    "projects": StudioQuery(
        lambda studio, now: digest.deadlines_listed(studio, today=local_today(studio, now))[0][:SHOWN]
    ),
    "milestones": StudioQuery(
        lambda studio, now: digest.deadlines_listed(studio, today=local_today(studio, now))[1][:SHOWN]
    ),
    "steps": StudioQuery(
        lambda studio, now: digest.client_steps_listed(studio, today=local_today(studio, now))[:SHOWN]
    ),
    "deposits": StudioQuery(
        lambda studio, now: awaiting_deposit_rows(studio=studio, limit=SHOWN).only(*DEPOSIT_FIELDS)
    ),
    "unmatched": StudioQuery(lambda studio, now: unmatched_listed(studio)[:SHOWN]),
    "activity": StudioQuery(lambda studio, now: portal_news_listed(studio)),
    "files": StudioQuery(lambda studio, now: digest.client_files_listed(studio)[:SHOWN]),
    "invoices": StudioQuery(
        lambda studio, now: digest.overdue_invoices_listed(studio, today=local_today(studio, now))[:SHOWN]
    ),
    "cadence": StudioQuery(touch_kind("cadence")),
    "cards": StudioQuery(touch_kind("cards")),
    "anniversaries": StudioQuery(touch_kind("anniversaries")),
}


# --- The board -------------------------------------------------------------------------------------


MORE_URLS = {
    "replies": ("comms:inbox", ""),
    "promises": ("comms:inbox", "?tab=promised"),
    "calls": ("calls:index", ""),
    "mail": ("comms:outbox", ""),
    "friday": ("projects:friday", ""),
    "deadlines": ("projects:index", ""),
    "steps": ("projects:index", ""),
    "deposits": ("projects:index", ""),
    "unmatched": ("comms:inbox", "?tab=unmatched"),
    "activity": ("", ""),  # no list page: "Mark all as seen" instead
    "files": ("", ""),  # likewise
    "invoices": ("billing:index", "?overdue=1"),
    "touchpoints": ("clients:touchpoints", ""),
}


def more_url(key: str) -> str:
    name, query = MORE_URLS[key]
    return fixed_url(name) + query if name else ""


def live_sections(studio: Studio, *, now: datetime, counts: dict[str, int]) -> list[Section]:
    """The sections whose lines carry countdowns: replies owed, promises due, mail waiting to leave."""
    listed = Listed(studio, now)
    lines = {
        "replies": lambda: digest.reply_items(listed("replies"), studio=studio, now=now),
        "promises": lambda: digest.promise_items(listed("promises"), studio=studio, now=now),
        "mail": lambda: waiting_mail_items(listed("mail"), studio=studio, now=now),
    }
    return [section(key, lines[key](), counts) for key in LIVE]


class Listed:
    """``LISTED``'s rows for one studio at one moment."""

    def __init__(self, studio: Studio, now: datetime) -> None:
        self.studio, self.now = studio, now
        self.shape = query_shape(studio, local_today(studio, now))

    def __call__(self, key: str) -> list[Any]:
        return LISTED[key].rows(self.studio, self.now, shape=self.shape)


def counted_sections(counts: dict[str, int]) -> list[Section]:
    """The other sections, without lines: what the light endpoint needs to refresh their headers' counts."""
    return [section(key, [], counts) for key in SECTIONS if key not in LIVE and key in counts]


def section(key: str, items: list[dict[str, Any]], counts: dict[str, int]) -> Section:
    return Section(
        key=key,
        items=items,
        count=counts.get(key, len(items)),
        alarm=counts.get(f"{key}_alarm", 0),
        more_url=more_url(key),
    )


def today_board(studio: Studio, now: datetime) -> TodayBoard:
    """Every section of the page, in a constant number of queries (one more in the yearly card's month), any size."""
    today = local_today(studio, now)
    zone = studio.zoneinfo
    counts = section_counts(studio, now=now)
    live = {entry.key: entry for entry in live_sections(studio, now=now, counts=counts)}
    listed = Listed(studio, now)
    lines = {
        "calls": lambda: digest.call_items(listed("calls"), zone=zone),
        "friday": lambda: friday_items(listed("friday"), studio=studio, now=now),
        "deadlines": lambda: digest.deadline_items(listed("projects"), listed("milestones"), today=today, limit=SHOWN),
        "steps": lambda: digest.client_step_items(listed("steps"), today=today),
        "deposits": lambda: digest.deposit_items(
            awaiting_deposit_waits(listed("deposits"), studio=studio, today=today)
        ),
        "unmatched": lambda: unmatched_items(listed("unmatched"), studio=studio),
        "activity": lambda: portal_news_items(listed("activity"), now=now),
        "files": lambda: digest.client_file_items(listed("files"), now=now),
        "invoices": lambda: digest.overdue_invoice_items(listed("invoices"), today=today),
        "touchpoints": lambda: digest.touchpoint_items(touchpoint_lines(listed, zone=zone, today=today), zone=zone),
    }
    return TodayBoard(
        sections=[
            live[key] if key in live else section(key, lines[key]() if counts[key] or key not in RARE else [], counts)
            for key in SECTIONS
        ]
    )


def touchpoint_lines(listed: Listed, *, zone: tzinfo, today: date) -> list[ClientTouches]:
    """The first ``SHOWN`` clients due a touch, one line each, as ``clients.selectors.clients_due`` lists them."""
    pairs = touch_pairs(listed("cadence"), listed("cards"), listed("anniversaries"), zone=zone, today=today)
    return touches_by_client(pairs[:TOUCH_PAIRS], limit=SHOWN)

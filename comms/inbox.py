"""What the Inbox shows: its tabs' rows and counts, reply clocks and promise countdowns, the client's latest mail.

Selectors only: they read, and the pages (``comms.inbox_views``, Today, the digest, the client page)
render what they return. Clocks are computed once, server-side, against the ``now`` the caller passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _

from clients.models import Client
from comms.models import Commitment, Message, OutboxEmail, Thread
from kernel.models import Studio
from kernel.queries import StudioQuery

# --- Clocks (pure) ------------------------------------------------------------------------


def format_duration(delta: timedelta) -> str:
    """``3 h 20 min``, ``2 d 5 h``, ``45 min``; under a minute is ``< 1 min``. Sign ignored."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    units = {"d": days, "h": hours, "min": minutes}
    if days:
        return (_("%(d)s d %(h)s h") if hours else _("%(d)s d")) % units
    if hours:
        return (_("%(h)s h %(min)s min") if minutes else _("%(h)s h")) % units
    return _("%(min)s min") % units if minutes else _("< 1 min")


def countdown(due: datetime, now: datetime) -> tuple[str, bool]:
    """("due in 3 h 20 min", False) or ("overdue by 2 h", True). Due exactly now is not yet breached."""
    if now > due:
        return _("overdue by %(duration)s") % {"duration": format_duration(now - due)}, True
    return _("due in %(duration)s") % {"duration": format_duration(due - now)}, False


@dataclass(frozen=True)
class Clock:
    """What the inbox and the message page show about one reply clock or promise."""

    state: str  # open, breached, replied, automatic, unmatched, none
    text: str = ""
    breached: bool = False
    due: datetime | None = None
    urgent: bool = False


def clock_for(message: Message, now: datetime) -> Clock:
    """The clock state of a message, for display."""
    if message.needs_reply and message.reply_due_at is not None:
        if message.replied_at is not None:
            late = message.replied_at > message.reply_due_at
            return Clock("replied", breached=late, due=message.reply_due_at, urgent=message.is_urgent)
        text, breached = countdown(message.reply_due_at, now)
        state = "breached" if breached else "open"
        return Clock(state, text=text, breached=breached, due=message.reply_due_at, urgent=message.is_urgent)
    if message.direction != Message.Direction.INBOUND:
        return Clock("none")
    if message.is_automatic:
        return Clock("automatic")
    if message.client_id is None:
        return Clock("unmatched")
    return Clock("none")


def with_clocks(messages, now: datetime) -> list[Message]:
    """The messages, each with a ``clock`` attribute: the countdowns are computed once, server-side."""
    rows = list(messages)
    for message in rows:
        message.clock = clock_for(message, now)
    return rows


def with_promise_countdowns(commitments, now: datetime) -> list[Commitment]:
    rows = list(commitments)
    for commitment in rows:
        text, breached = countdown(commitment.promised_by, now)
        commitment.clock = Clock("breached" if breached else "open", text=text, breached=breached)
    return rows


# --- The inbox ---------------------------------------------------------------------------------

INBOX_TABS = ("owed", "promised", "unmatched", "automatic", "all")
_LIST_DEFERRED = ("text", "safe_html", "references", "in_reply_to", "to", "cc", "bcc", "attachments")
# What an inbox line and its clock read of a message (`clock_for`); the rest stays in the database.
_LINE_FIELDS = (
    "subject", "from_name", "from_email", "sent_at", "client", "direction", "is_automatic", "automatic_reason",
    "needs_reply", "reply_due_at", "replied_at", "is_urgent",
)  # fmt: skip


def owed_rows(studio: Studio) -> QuerySet[Message]:
    """The open reply clocks, read through the partial index ``message_open_clock``.

    "Due time set" holds for every clock; saying it makes SQLite's planner pick that index even for a
    bare COUNT, instead of reading the studio's whole mail.
    """
    return Message.objects.open_clocks().filter(studio=studio, reply_due_at__isnull=False)


def inbox_rows(studio: Studio, tab: str):
    """The rows of one inbox tab, in display order; each query reads one page, whatever the data size."""
    if tab == "owed":
        return (
            owed_rows(studio)
            .select_related("client")
            .only(*_LINE_FIELDS, "client__name")
            .order_by("reply_due_at", "pk")
        )
    if tab == "promised":
        return (
            Commitment.objects.filter(studio=studio, fulfilled_at__isnull=True)
            .select_related("client", "message")
            .only("description", "promised_by", "client__name", "message__id")
            .order_by("promised_by", "pk")
        )
    if tab == "unmatched":
        return (
            Message.objects.filter(
                studio=studio, client__isnull=True, direction=Message.Direction.INBOUND, is_automatic=False
            )
            .only(*_LINE_FIELDS)
            .order_by("-sent_at", "-pk")
        )
    if tab == "automatic":
        return (
            # The partial index ``message_automatic`` serves the page and its count.
            Message.objects.filter(studio=studio, is_automatic=True)
            .select_related("client")
            .only(*_LINE_FIELDS, "client__name")
            .order_by("-sent_at", "-pk")
        )
    return Thread.objects.filter(studio=studio).select_related("client").order_by("-last_message_at", "-pk")


def inbox_page_rows(studio: Studio, tab: str, page: QuerySet, now: datetime) -> list:
    """The rows of ``page``, a slice of ``inbox_rows(studio, tab)``: its SQL built once per process, tab and page.

    Owed messages carry their queued answer (`with_queued_answer`).
    """
    bounds = page.query
    return INBOX_PAGE.rows(studio, now, shape=None, args=(tab, bounds.low_mark, bounds.high_mark))


def with_queued_answer(messages: QuerySet[Message]) -> QuerySet[Message]:
    """Each message with the reply or acknowledgment queued to answer it, the earliest if several.

    ``answer_kind`` and ``answer_leaves`` (its ``send_after``) are None without one. Read per row
    through the index on the answered message, so a page costs a page of lookups.
    """
    queued = OutboxEmail.objects.filter(reply_to_message=OuterRef("pk"), status=OutboxEmail.Status.QUEUED).order_by(
        "send_after", "pk"
    )
    return messages.annotate(
        answer_kind=Subquery(queued.values("kind")[:1]), answer_leaves=Subquery(queued.values("send_after")[:1])
    )


def _page_query(studio: Studio, now: datetime, tab: str, low: int, high: int | None) -> QuerySet:
    rows = inbox_rows(studio, tab)
    return (with_queued_answer(rows) if tab == "owed" else rows)[low:high]


INBOX_PAGE = StudioQuery(_page_query)

INBOX_COUNTS_SQL = """
    SELECT
        (SELECT COUNT(*) FROM (
            SELECT 1 FROM comms_message
            WHERE studio_id = %(studio)s AND needs_reply AND replied_at IS NULL AND reply_due_at IS NOT NULL
            LIMIT 1000000) open_clocks),
        EXISTS (SELECT 1 FROM comms_message
                WHERE studio_id = %(studio)s AND needs_reply AND replied_at IS NULL AND reply_due_at < %(now)s),
        (SELECT COUNT(*) FROM comms_commitment WHERE studio_id = %(studio)s AND fulfilled_at IS NULL),
        (SELECT COUNT(*) FROM comms_message
         WHERE studio_id = %(studio)s AND client_id IS NULL AND direction = %(inbound)s AND NOT is_automatic)
"""


def inbox_counts(studio: Studio, now: datetime) -> dict[str, int]:
    """The numbers on the tabs: replies owed (and whether any is breached), promises open, unmatched mail.

    One query, each number a COUNT over its own index (the rows of `owed_rows`, the open promises,
    the "unmatched" tab): no row reaches Python, whatever the studio's size. Breached clocks are only
    asked for their existence (the badge turns red): counting them would read the index a second time.
    Plain SQL: built by the ORM, this query took thirty times longer to write than to answer.

    The open clocks are counted through a LIMIT far above any studio's (so the count stays exact): it keeps
    PostgreSQL, which overestimates the partial index tenfold, from starting a parallel worker that cost
    ten times the count itself (12 ms instead of 1.5 at 20,000 open clocks).
    """
    params = {
        "studio": studio.pk,
        "now": connection.ops.adapt_datetimefield_value(now),
        "inbound": Message.Direction.INBOUND.value,
    }
    with connection.cursor() as cursor:
        cursor.execute(INBOX_COUNTS_SQL, params)
        owed, any_breached, promised, unmatched = cursor.fetchone()
    return {"owed": owed, "any_breached": bool(any_breached), "promised": promised, "unmatched": unmatched}


def client_choices(studio: Studio) -> list[tuple[int, str]]:
    return list(
        Client.objects.filter(studio=studio, archived_at__isnull=True).order_by("name", "pk").values_list("pk", "name")
    )


def recent_mail(client: Client, limit: int = 5) -> list[Message]:
    """The client's latest messages, in and out, for the client page: one query, served by an index."""
    return list(
        Message.objects.filter(studio_id=client.studio_id, client=client)
        .defer(*_LIST_DEFERRED, "text_new")
        .order_by("-sent_at", "-pk")[:limit]
    )

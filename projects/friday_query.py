"""The Friday rule (``projects.friday``) over the database.

The query only narrows the studio's projects down to the week's candidates and collects their
clients' contact emails; the decision itself is the pure ``updates_due``, so the database and the
rule cannot disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import date, datetime

from django.db.models import Q

from clients.models import Contact
from comms.models import Message
from kernel.models import Studio
from projects.friday import WeekBounds, updates_due, week_bounds
from projects.models import Project

CandidateRow = tuple[int, list[str], date, date | None]


def contact_emails_by_client(studio: Studio, client_ids) -> dict[int, list[str]]:
    """Every address of every contact of the given clients (a set or a subquery), by client: one query.

    The Friday rule counts mail to any of them, other addresses included.
    """
    emails: defaultdict[int, list[str]] = defaultdict(list)
    contacts = (
        Contact.objects.for_studio(studio)
        .filter(client_id__in=client_ids)
        .order_by("pk")
        .values_list("client_id", "email", "other_emails")
    )
    for client_id, email, other_emails in contacts:
        emails[client_id].append(email)
        emails[client_id].extend(other for other in other_emails or () if isinstance(other, str))
    return emails


def friday_candidates(*, studio: Studio, now: datetime) -> tuple[WeekBounds, list[CandidateRow]]:
    """Return the bounds of the studio's local week containing ``now`` and its candidate projects.

    A candidate is one of the studio's projects active on the week's Friday (``active_from <=
    Friday`` and ``active_until`` empty or ``>= Friday``; a project never started has no
    ``active_from`` and is never a candidate). Each row is shaped as ``updates_due`` takes it:
    ``(project id, every email of every contact of its client, active from, active until)``.
    Two queries, whatever the number of projects.
    """
    bounds = week_bounds(now, studio.zoneinfo)
    projects = list(
        Project.objects.for_studio(studio)
        .filter(active_from__isnull=False, active_from__lte=bounds.friday)
        .filter(Q(active_until__isnull=True) | Q(active_until__gte=bounds.friday))
        .order_by("pk")
        .values_list("pk", "client_id", "active_from", "active_until")
    )
    client_ids = {client_id for _, client_id, _, _ in projects}
    emails_by_client = contact_emails_by_client(studio, client_ids) if client_ids else {}
    rows = [
        (pk, list(emails_by_client.get(client_id, ())), active_from, active_until)
        for pk, client_id, active_from, active_until in projects
    ]
    return bounds, rows


def week_outbound(
    studio: Studio, bounds: WeekBounds, *, where: Q | None = None, now: datetime | None = None
) -> list[tuple[datetime, list[str]]]:
    """The studio's emails sent within the covering interval of the week, as ``(sent at, recipients)``.

    Only mail actually sent counts (the outbox logs a ``Message`` once it has left), by email, from
    local Monday 00:00 to Saturday 00:00, and with ``now`` no later than it (``sent_at <= now``, as
    ``updates_due`` reads it). ``where`` narrows the mail further. One query.
    """
    rows = Message.objects.for_studio(studio).filter(
        where or Q(),
        Q() if now is None else Q(sent_at__lte=now),
        direction=Message.Direction.OUTBOUND,
        channel=Message.Channel.EMAIL,
        sent_at__gte=bounds.starts_at,
        sent_at__lt=bounds.covered_until,
    )
    return [(sent_at, [*to, *cc, *bcc]) for sent_at, to, cc, bcc in rows.values_list("sent_at", "to", "cc", "bcc")]


def projects_due_friday_update(
    *, studio: Studio, now: datetime, outbound: Iterable[tuple[datetime, Collection[str]]] | None = None
) -> tuple[str, list[Project]]:
    """Return the key of the studio's local ISO week containing ``now`` and the projects due an update.

    ``outbound`` is ``(sent at (aware), all recipients: To, Cc and Bcc)`` for the studio's sent
    messages; it may hold messages from any time, only those sent within the week count. By default
    it is the week's sent mail from the Message table (``week_outbound``).

    The projects come with their client, ordered by client name, then title. At most four queries.
    """
    bounds, rows = friday_candidates(studio=studio, now=now)
    if outbound is None:
        outbound = week_outbound(studio, bounds, now=now) if rows else []
    key, due_ids = updates_due(now=now, tz=studio.zoneinfo, projects=rows, outbound=outbound)
    if not due_ids:
        return key, []
    due = list(
        Project.objects.for_studio(studio)
        .filter(pk__in=due_ids)
        .select_related("client")
        .order_by("client__name", "title", "pk")
    )
    return key, due

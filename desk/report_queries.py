"""The database side of the reports (``desk.reports``): a fixed number of queries per report.

Each function reads one studio's rows as plain tuples or the small dataclasses ``desk.reports``
takes, and decides nothing: the pure functions do. Query counts are given per function; none
grows with the data.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from django.db.models import Count, Q

from comms.models import Message
from desk.reports import FridayProject, ProjectDeadline, ReplyClock
from kernel.models import Studio
from projects.friday import WeekBounds
from projects.friday_query import contact_emails_by_client, week_outbound
from projects.models import DeadlineChange, Project, Survey

NOT_WON = (Project.Status.LEAD, Project.Status.QUOTED, Project.Status.CANCELLED)


def reply_clocks(studio: Studio, *, since: datetime) -> list[ReplyClock]:
    """Inbound messages received from ``since`` on that started a reply clock. One query."""
    rows = (
        Message.objects.for_studio(studio)
        .filter(direction=Message.Direction.INBOUND, needs_reply=True, sent_at__gte=since)
        .order_by()
        .values_list("sent_at", "reply_due_at", "replied_at")
    )
    return [ReplyClock(sent_at=sent, reply_due_at=due, replied_at=replied) for sent, due, replied in rows]


def friday_inputs(
    studio: Studio, *, weeks: list[WeekBounds]
) -> tuple[list[FridayProject], list[tuple[datetime, list[str]]]]:
    """The rows ``projects.friday.updates_due`` takes, for every week of ``weeks`` at once. Three queries.

    Projects: those active on at least one of the weeks' Fridays, with every email of every
    contact of their client (as ``projects.friday_query.friday_candidates`` collects them). Outbound:
    the studio's sent mail from the first Monday to the last Saturday, read by
    ``projects.friday_query.week_outbound`` so it is the very mail the Friday rule counts.
    """
    first, last = weeks[0], weeks[-1]
    projects = (
        Project.objects.for_studio(studio)
        .filter(active_from__isnull=False, active_from__lte=last.friday)
        .filter(Q(active_until__isnull=True) | Q(active_until__gte=first.friday))
    )
    rows = list(projects.order_by("pk").values_list("pk", "client_id", "active_from", "active_until"))
    if not rows:
        return [], []
    emails = contact_emails_by_client(studio, projects.values("client_id"))
    span = WeekBounds(
        key=f"{first.key}..{last.key}",
        monday=first.monday,
        friday=last.friday,
        starts_at=first.starts_at,
        covered_until=last.covered_until,
    )
    candidates = [(pk, emails.get(client_id, []), since, until) for pk, client_id, since, until in rows]
    return candidates, week_outbound(studio, span)


def deadline_projects(studio: Studio, *, since: date) -> list[ProjectDeadline]:
    """Started, not cancelled projects whose deadline is ``since`` or later, with their moves. Two queries.

    Started: it was ever active (``active_from``) or has been launched or completed. Moves are the
    project's own ``DeadlineChange`` rows (milestones' are not the project's deadline).
    """
    projects = (
        Project.objects.for_studio(studio)
        .exclude(status=Project.Status.CANCELLED)
        .filter(deadline_on__gte=since)
        .filter(Q(active_from__isnull=False) | Q(launched_on__isnull=False) | Q(completed_on__isnull=False))
    )
    rows = list(projects.order_by("pk").values_list("pk", "title", "deadline_on", "launched_on", "completed_on"))
    if not rows:
        return []
    moves: defaultdict[int, list[tuple[date | None, date]]] = defaultdict(list)
    changes = (
        DeadlineChange.objects.filter(project__in=projects.values("pk"), milestone__isnull=True)
        .order_by("project_id", "changed_at", "pk")
        .values_list("project_id", "old_date", "new_date")
    )
    for project_id, old, new in changes:
        moves[project_id].append((old, new))
    return [
        ProjectDeadline(
            project_id=pk,
            title=title,
            deadline_on=deadline,
            launched_on=launched,
            completed_on=completed,
            moves=tuple(moves.get(pk, ())),
        )
        for pk, title, deadline, launched, completed in rows
    ]


def survey_rows(studio: Studio) -> list[tuple[datetime, int | None, int | None]]:
    """Every rated survey of the studio as ``(rated at, csat, nps)``. One query."""
    rows = (
        Survey.objects.for_studio(studio)
        .filter(rated_at__isnull=False)
        .filter(Q(csat__isnull=False) | Q(nps__isnull=False))
        .order_by()
        .values_list("rated_at", "csat", "nps")
    )
    return list(rows)


def won_projects_per_client(studio: Studio) -> dict[int, tuple[str, int]]:
    """Client id → (name, number of won projects: not lead, quoted or cancelled). One query."""
    rows = (
        Project.objects.for_studio(studio)
        .exclude(status__in=NOT_WON)
        .values("client_id", "client__name")
        .annotate(won=Count("pk"))
        .order_by("client_id")
        .values_list("client_id", "client__name", "won")
    )
    return {client_id: (name, won) for client_id, name, won in rows}

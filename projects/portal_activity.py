"""What clients did in the portal, for the freelancer: one row per act, listed on Today until seen."""

from __future__ import annotations

from django.utils import timezone

from clients.models import Client, Contact
from kernel.models import Studio
from projects.models import PortalActivity, Project
from projects.portal_access import PortalVisitor

Kind = PortalActivity.Kind


def record(
    visitor: PortalVisitor | None,
    *,
    kind: str,
    summary: str = "",
    project: Project | None = None,
    url: str = "",
    client: Client | None = None,
    contact: Contact | None = None,
    studio: Studio | None = None,
) -> PortalActivity:
    """Note one client act. Without a visitor (a survey answer, a link request) pass client/contact."""
    client = client or (visitor.client if visitor else None)
    if client is None:
        raise ValueError("An activity needs a visitor or a client.")
    return PortalActivity.objects.create(
        studio_id=(studio.pk if studio else client.studio_id),
        client=client,
        contact=contact or (visitor.contact if visitor else None),
        project=project,
        kind=kind,
        summary=summary[:300],
        url=url[:200],
    )


def unseen(studio: Studio, *, limit: int = 20):
    """The studio's unseen client activity, newest first (one query)."""
    return (
        PortalActivity.objects.filter(studio=studio, seen_at__isnull=True)
        .select_related("client", "contact", "project")
        .order_by("-created_at", "-pk")[:limit]
    )


def mark_seen(studio: Studio, pks=None) -> int:
    """Mark the given activity rows (or all) of the studio as seen; returns how many."""
    rows = PortalActivity.objects.filter(studio=studio, seen_at__isnull=True)
    if pks is not None:
        rows = rows.filter(pk__in=list(pks))
    return rows.update(seen_at=timezone.now())

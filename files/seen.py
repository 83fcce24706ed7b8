"""The client's files the studio has not looked at yet: what Today and the digest list, and "seen".

A file the client sends (from the portal, or one the freelancer saved from an email and so has seen)
carries ``seen_at``; one with none is new. Reads are one query each, whatever the studio's size.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from files.models import ProjectFile
from kernel.models import Studio


def unseen_client_files(studio: Studio) -> QuerySet[ProjectFile]:
    """The studio's client-side files nobody in the studio has seen, newest first (index ``projectfile_unseen``)."""
    return ProjectFile.objects.filter(studio=studio, side=ProjectFile.Side.CLIENT, seen_at__isnull=True).order_by(
        "-created_at", "-pk"
    )


def files_mark_seen(*, studio: Studio, now: datetime, project=None, pks=None) -> int:
    """Mark the studio's unseen client files as seen at ``now``: all, one project's, or the given ``pks``.

    Another studio's file or one already seen is left alone; returns how many were marked.
    """
    rows = unseen_client_files(studio).order_by()
    if project is not None:
        rows = rows.filter(project=project)
    if pks is not None:
        rows = rows.filter(pk__in=list(pks))
    return rows.update(seen_at=now)

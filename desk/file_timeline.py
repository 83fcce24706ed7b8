"""The client's files on the dossier's timeline: each upload (either side) and each review, composed here.

``clients`` may not import ``files`` (it sits below), so the dossier (``desk.dossier_views``) adds these
entries to ``clients.selectors.client_timeline``'s, in one more query whatever the number of files.
"""

from __future__ import annotations

from datetime import tzinfo

from django.urls import reverse
from django.utils.translation import gettext as _

from clients.models import Client
from clients.selectors import TimelineEntry, client_timeline
from files.models import ProjectFile


def file_entries(*, client: Client, zone: tzinfo) -> list[TimelineEntry]:
    """An entry per file sent (by the client or to them) and per review the client gave, newest first."""
    files = (
        ProjectFile.objects.filter(studio_id=client.studio_id, project__client=client)
        .select_related("project", "uploaded_by_contact", "reviewed_by_contact")
        .order_by("-created_at", "-pk")
    )
    dated = []
    for kept in files:
        url = reverse("files:project", kwargs={"pk": kept.project_id})
        if kept.reviewed_at and kept.review in (ProjectFile.Review.APPROVED, ProjectFile.Review.CHANGES):
            approved = kept.review == ProjectFile.Review.APPROVED
            title = (_("Approved: %(file)s") if approved else _("Changes asked: %(file)s")) % {"file": kept.label}
            detail = _join(
                kept.project.title,
                kept.reviewed_by_contact.name if kept.reviewed_by_contact else "",
                "" if approved else kept.review_comment,
            )
            dated.append((kept.reviewed_at, "file-approved" if approved else "file-changes", title, detail, url))
        if kept.side == ProjectFile.Side.CLIENT:
            title = _("File from the client: %(file)s") % {"file": kept.label}
            who = kept.uploaded_by_contact.name if kept.uploaded_by_contact else ""
            how = _("saved from an email") if kept.source_message_id else ""
            dated.append((kept.created_at, "file-in", title, _join(kept.project.title, who, how), url))
        else:
            if kept.version > 1:
                title = _("Version %(version)d sent: %(file)s") % {"version": kept.version, "file": kept.label}
            else:
                title = _("File sent: %(file)s") % {"file": kept.label}
            dated.append((kept.created_at, "file-out", title, _join(kept.project.title, kept.note), url))
    dated.sort(key=lambda entry: entry[0], reverse=True)
    return [
        TimelineEntry(on=when.astimezone(zone).date(), kind=kind, title=title, detail=detail, url=url)
        for when, kind, title, detail, url in dated
    ]


def dossier_timeline(*, client: Client, zone: tzinfo) -> list[TimelineEntry]:
    """The client's timeline with the files in it, newest first; on one day, the files come first."""
    entries = file_entries(client=client, zone=zone) + client_timeline(client=client)
    return sorted(entries, key=lambda entry: entry.on, reverse=True)


def _join(*parts: str) -> str:
    return " · ".join(part for part in parts if part)

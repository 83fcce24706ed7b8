"""What the files pages show, read in one query whatever the number of files.

``project_files`` groups a project's files: each deliverable's current version with the versions it
replaced, the client's uploads, and the timeline (uploads, approvals, change requests, newest first).
The portal uses the same grouping; it shows nothing the client may not see (every row is of their
own project, and no studio member's name leaves here for the portal).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from files.models import ProjectFile
from kernel.queries import Prepared

Side = ProjectFile.Side
Review = ProjectFile.Review


@dataclass
class Deliverable:
    current: ProjectFile
    older: list[ProjectFile] = field(default_factory=list)  # newest first


@dataclass
class TimelineEntry:
    at: datetime
    kind: str  # "client_upload" | "studio_upload" | "approved" | "changes"
    file: ProjectFile

    @property
    def who(self) -> str:
        if self.kind in ("approved", "changes"):
            contact = self.file.reviewed_by_contact
        elif self.kind == "client_upload":
            contact = self.file.uploaded_by_contact
        else:
            return str(self.file.uploaded_by or "")
        return (contact.name or contact.email) if contact else ""


@dataclass
class ProjectFiles:
    deliverables: list[Deliverable]
    client_files: list[ProjectFile]
    timeline: list[TimelineEntry]

    @property
    def unseen(self) -> int:
        return sum(1 for file in self.client_files if file.seen_at is None)

    @property
    def pending(self) -> list[ProjectFile]:
        return [item.current for item in self.deliverables if item.current.review == Review.PENDING]


PROJECT_FILES = Prepared(
    lambda studio, project: ProjectFile.objects.filter(studio_id=studio, project=project)
    .select_related("uploaded_by", "uploaded_by_contact", "reviewed_by_contact")
    .order_by("-created_at", "-pk")
)


def project_files(project) -> ProjectFiles:
    """The project's files grouped for a page (one query)."""
    rows = PROJECT_FILES(studio=project.studio_id, project=project.pk)
    by_pk = {row.pk: row for row in rows}
    deliverables = []
    for row in rows:
        if row.side != Side.STUDIO or not row.is_current:
            continue
        item = Deliverable(current=row)
        seen = {row.pk}
        older = by_pk.get(row.previous_id)
        while older is not None and older.pk not in seen:
            seen.add(older.pk)
            item.older.append(older)
            older = by_pk.get(older.previous_id)
        deliverables.append(item)
    # A version whose newer version was removed, with no current one above it, still shows.
    listed = {row.pk for item in deliverables for row in [item.current, *item.older]}
    deliverables += [Deliverable(current=row) for row in rows if row.side == Side.STUDIO and row.pk not in listed]
    timeline = []
    for row in rows:
        uploaded = "client_upload" if row.side == Side.CLIENT else "studio_upload"
        timeline.append(TimelineEntry(row.created_at, uploaded, row))
        if row.reviewed_at is not None and row.review in (Review.APPROVED, Review.CHANGES):
            decided = "approved" if row.review == Review.APPROVED else "changes"
            timeline.append(TimelineEntry(row.reviewed_at, decided, row))
    timeline.sort(key=lambda entry: (entry.at, entry.file.pk, entry.kind in ("approved", "changes")), reverse=True)
    return ProjectFiles(
        deliverables=deliverables,
        client_files=[row for row in rows if row.side == Side.CLIENT],
        timeline=timeline,
    )

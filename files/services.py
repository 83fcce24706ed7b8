"""Writes for project files: keeping an upload, a new version of a deliverable, deleting a file."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Sum

from comms.models import OutboxEmail
from files.checks import HEAD_BYTES, FileRefused, content_type, safe_name, within_limits
from files.models import ProjectFile
from files.storage import file_storage, storage_name
from kernel.models import Studio

__all__ = ["FileRefused", "file_delete", "file_upload", "studio_bytes_used"]

logger = logging.getLogger("rapport.files")


def studio_bytes_used(studio: Studio) -> int:
    return ProjectFile.objects.filter(studio=studio).aggregate(total=Sum("size"))["total"] or 0


def file_upload(
    *,
    project,
    side: str,
    upload: File,
    now: datetime,
    title: str = "",
    note: str = "",
    user=None,
    contact=None,
    previous: ProjectFile | None = None,
    source_message=None,
    ask_review: bool = False,
) -> ProjectFile:
    """Check an upload and keep it on the project; ``previous`` makes it that deliverable's next version.

    Raises ``FileRefused`` (worded) for a file too big, a studio out of room, or bytes that are not
    what the name says. The bytes are stored before the row; if the row cannot be written they are
    deleted again, so storage holds no file the app does not know.
    """
    name = safe_name(upload.name)
    size = upload.size
    within_limits(
        size=size,
        used=studio_bytes_used(project.studio),
        file_limit=settings.RAPPORT_FILE_MAX_BYTES,
        studio_limit=settings.RAPPORT_STUDIO_FILES_MAX_BYTES,
        name=name,
    )
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    kind = content_type(name=name, head=head)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    storage = file_storage()
    stored = storage.save(storage_name(studio_id=project.studio_id, project_id=project.pk, name=name), upload)
    try:
        with transaction.atomic():
            version = 1
            if previous is not None:
                previous = ProjectFile.objects.select_for_update().get(pk=previous.pk, project=project)
                version = previous.version + 1
                title = title or previous.title
                ProjectFile.objects.filter(pk=previous.pk).update(is_current=False)
            return ProjectFile.objects.create(
                studio_id=project.studio_id,
                project=project,
                side=side,
                title=title[:200],
                note=note,
                name=name,
                storage_name=stored,
                size=size,
                content_type=kind,
                sha256=digest.hexdigest(),
                version=version,
                previous=previous,
                uploaded_by=user,
                uploaded_by_contact=contact,
                source_message=source_message,
                review=ProjectFile.Review.PENDING if ask_review else ProjectFile.Review.NONE,
                created_at=now,
                seen_at=now if side == ProjectFile.Side.STUDIO else None,
            )
    except BaseException:
        storage.delete(stored)
        raise


def _delete_bytes(name: str) -> None:
    try:
        file_storage().delete(name)
    except Exception:  # the row is gone: an orphan object costs room, not correctness
        logger.exception("Could not delete the bytes of a deleted file (%s)", name)


REVIEW_TEMPLATE = (
    "deliverable-review"  # templates/emails/deliverable-review-*; keys "<template>:<file pk>:<contact pk>"
)


def review_requests_withdraw(*, studio_id: int, file_pk: int) -> int:
    """Cancel the "for your approval" emails of one deliverable version that have not left yet.

    They wait for the studio's working hours, so a version deleted, replaced or already decided a
    few minutes after its upload would still reach the client, about a file that is gone or settled.
    Sent ones stay as they are. Returns how many were withdrawn.
    """
    return OutboxEmail.objects.filter(
        studio_id=studio_id,
        kind=REVIEW_TEMPLATE,
        idempotency_key__startswith=f"{REVIEW_TEMPLATE}:{file_pk}:",
        status__in=[OutboxEmail.Status.QUEUED, OutboxEmail.Status.NEEDS_ATTENTION],
    ).update(status=OutboxEmail.Status.CANCELLED, claimed_at=None)


def file_delete(*, file: ProjectFile) -> None:
    """Delete a file: the row now, its bytes once the transaction commits (a rollback keeps both).

    A deliverable's versions stay one chain: the version after the deleted one now follows the
    one before it, and when the current version is deleted the one before it becomes current
    again (with its review as it was). Version numbers are kept as the client saw them.
    """
    with transaction.atomic():
        row = ProjectFile.objects.select_for_update().filter(pk=file.pk).first()
        if row is None:  # deleted a moment ago, in another tab
            return
        before_id = row.previous_id
        after = ProjectFile.objects.filter(previous_id=row.pk).first()
        review_requests_withdraw(studio_id=row.studio_id, file_pk=row.pk)
        row.delete()
        if after is not None and before_id is not None:
            ProjectFile.objects.filter(pk=after.pk).update(previous_id=before_id)
        if row.is_current and before_id is not None:
            ProjectFile.objects.filter(pk=before_id).update(is_current=True)
        name = row.storage_name
        transaction.on_commit(lambda: _delete_bytes(name))

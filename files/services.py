"""Writes for project files: keeping an upload, a new version of a deliverable."""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Sum

from files.checks import HEAD_BYTES, FileRefused, content_type, safe_name, within_limits
from files.models import ProjectFile
from files.storage import file_storage, storage_name
from kernel.models import Studio

__all__ = ["FileRefused", "file_delete", "file_upload", "studio_bytes_used"]


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


def file_delete(*, file: ProjectFile) -> None:
    """Remove a file: its row now, its bytes once the transaction commits.

    Removing the current version of a deliverable makes the version before it current again.
    """
    storage_key = file.storage_name
    with transaction.atomic():
        locked = ProjectFile.objects.select_for_update().filter(pk=file.pk).first()
        if locked is None:
            return
        if locked.is_current and locked.previous_id is not None:
            ProjectFile.objects.filter(pk=locked.previous_id).update(is_current=True)
        elif not locked.is_current:  # a version in the middle: the next one now follows the one before
            ProjectFile.objects.filter(pk=locked.pk).update(previous=None)
            ProjectFile.objects.filter(previous_id=locked.pk).update(previous_id=locked.previous_id)
        locked.delete()
        transaction.on_commit(lambda: file_storage().delete(storage_key))

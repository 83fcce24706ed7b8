"""Saving an email's attachments to one of the client's projects, in one click from the message page.

The message row keeps only the attachments' names and sizes; their bytes are read again from the raw
email it came from (``comms.parsing.attachment_parts``, in the same order as ``Message.attachments``).
Each ticked attachment goes through ``files.services.file_upload`` like any upload, so a file Rapport
does not keep (an .exe, bytes that are not what the name says) is refused on its own and the rest are
saved. Saving twice is harmless: an attachment already saved from this message to this project (same
SHA-256) is not saved again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from django.core.files.base import ContentFile
from django.db.models import QuerySet

from comms.models import Message
from comms.parsing import AttachmentPart, ParseError, attachment_parts
from files.checks import FileRefused, safe_name
from files.models import ProjectFile
from files.seen import files_mark_seen
from files.services import file_upload
from projects.models import Project


class RawEmailGone(LookupError):
    """The message's original bytes are no longer stored (or never were), so its files cannot be read."""


@dataclass(frozen=True)
class MailAttachment:
    index: int
    name: str
    content_type: str
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class SaveOutcome:
    saved: list[ProjectFile] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # names already saved from this message to this project
    refused: dict[int, str] = field(default_factory=dict)  # attachment index → why (worded for the reader)


def message_attachments(message: Message) -> list[MailAttachment]:
    """The message's attachments with their bytes (names made safe); ``RawEmailGone`` without the raw email."""
    raw = message.raw_email.raw if message.raw_email_id else None
    if not raw:
        raise RawEmailGone(message.pk)
    try:
        parts: list[AttachmentPart] = attachment_parts(bytes(raw))
    except ParseError as error:
        raise RawEmailGone(message.pk) from error
    return [
        MailAttachment(index=index, name=safe_name(part.name), content_type=part.content_type, data=part.data)
        for index, part in enumerate(parts)
    ]


def project_choices(message: Message) -> QuerySet[Project]:
    """The projects the files may go to: the message's client's, newest first."""
    return Project.objects.filter(studio_id=message.studio_id, client_id=message.client_id).order_by(
        "-created_at", "-pk"
    )


def preselected_project(message: Message, projects: list[Project]) -> Project | None:
    """The message's own project when it is one of the client's, else the most recent active one, else the newest."""
    by_pk = {project.pk: project for project in projects}
    if message.project_id in by_pk:
        return by_pk[message.project_id]
    active = [project for project in projects if project.status in Project.ACTIVE_STATUSES]
    return (active or projects or [None])[0]


def attachments_save(
    *,
    message: Message,
    project: Project,
    attachments: list[MailAttachment],
    now: datetime,
    user=None,
) -> SaveOutcome:
    """Save ``attachments`` (read from ``message``) to ``project``; each refused one is reported, not raised.

    The files are the client's (an outbound message's, the studio's) and already seen: the freelancer
    is the one saving them.
    """
    if project.studio_id != message.studio_id or project.client_id != message.client_id:
        raise ValueError("The project is not the message's client's.")
    outcome = SaveOutcome()
    known = set(ProjectFile.objects.filter(project=project, source_message=message).values_list("sha256", flat=True))
    contact = message.client.contacts.filter(email__iexact=message.from_email).first() if message.from_email else None
    inbound = message.direction == Message.Direction.INBOUND
    for attachment in attachments:
        if attachment.sha256 in known:
            outcome.already.append(attachment.name)
            continue
        try:
            kept = file_upload(
                project=project,
                side=ProjectFile.Side.CLIENT if inbound else ProjectFile.Side.STUDIO,
                upload=ContentFile(attachment.data, name=attachment.name),
                now=now,
                user=user,
                contact=contact if inbound else None,
                source_message=message,
            )
        except FileRefused as refusal:
            outcome.refused[attachment.index] = str(refusal)
            continue
        known.add(kept.sha256)
        outcome.saved.append(kept)
    if outcome.saved:
        files_mark_seen(studio=project.studio, now=now, pks=[kept.pk for kept in outcome.saved])
    return outcome

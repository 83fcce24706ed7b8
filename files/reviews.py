"""A deliverable in front of the client: shared for review, approved, or sent back with a comment.

The freelancer shares a deliverable (``deliverable_share``): it is kept like any upload and, when
the client is asked to approve it, each contact with portal access gets an email with a link that
opens the project's files. In the portal the client approves the current version
(``deliverable_approve``) or asks for changes (``deliverable_ask_changes``); a change request is
also an inbound portal message, so it has a reply clock like any other. Both are noted for the
freelancer as a ``PortalActivity``.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from clients.models import Contact
from comms.conversation import record_message
from comms.mail import studio_email_send
from comms.models import Message, OutboxEmail
from comms.scheduling import quiet_hours_send_after
from files.models import ProjectFile
from files.services import REVIEW_TEMPLATE, file_upload, review_requests_withdraw
from kernel.dates import day_date, local_date
from kernel.i18n import supported_language
from kernel.links import absolute_url
from projects import portal_activity
from projects.models import Project
from projects.portal_access import issue_link
from projects.portal_links import client_zoneinfo, portal_recipients, safe_landing
from projects.reminders import first_name

logger = logging.getLogger("rapport.files")

__all__ = [
    "REVIEW_TEMPLATE",
    "ReviewClosed",
    "deliverable_approve",
    "deliverable_ask_changes",
    "deliverable_review_request",
    "deliverable_share",
]


Review = ProjectFile.Review
Kind = portal_activity.Kind


class ReviewClosed(Exception):
    """The deliverable is not waiting for the client: already decided, or not the current version."""


def reviewable(file: ProjectFile) -> bool:
    return file.side == ProjectFile.Side.STUDIO and file.is_current and file.review == Review.PENDING


def review_key(file: ProjectFile, contact: Contact) -> str:
    return f"{REVIEW_TEMPLATE}:{file.pk}:{contact.pk}"


def project_files_url(project: Project) -> str:
    """The freelancer's page of the project's files, where approvals and uploads are acted on."""
    return reverse("files:project", kwargs={"pk": project.pk})


# --- the freelancer shares ------------------------------------------------------------------------


def deliverable_share(
    *,
    project: Project,
    upload,
    now: datetime,
    user=None,
    title: str = "",
    note: str = "",
    previous: ProjectFile | None = None,
    ask_review: bool = True,
) -> ProjectFile:
    """Keep a deliverable (or the next version of ``previous``) and, if asked, ask the client to approve it.

    Raises ``FileRefused`` like ``file_upload``; nothing is emailed then.
    """
    if previous is not None and (previous.project_id != project.pk or previous.side != ProjectFile.Side.STUDIO):
        raise ValueError("A new version replaces a deliverable of the same project.")
    file = file_upload(
        project=project,
        side=ProjectFile.Side.STUDIO,
        upload=upload,
        now=now,
        title=title,
        note=note,
        user=user,
        previous=previous,
        ask_review=ask_review,
    )
    if previous is not None:  # the client reviews the new version: the old one's unsent request is moot
        review_requests_withdraw(studio_id=project.studio_id, file_pk=previous.pk)
    if ask_review:
        deliverable_review_request(file=file, now=now, by=user)
    return file


def deliverable_review_request(*, file: ProjectFile, now: datetime, by=None) -> list[OutboxEmail]:
    """Email each recipient a portal link that opens the project's files, asking for an approval.

    One email per file and contact (key ``deliverable-review:{file}:{contact}``): asked twice, nothing
    new is queued and no new link is made. Written in the studio's working hours (R5), in the
    client's language. An address the outbox refuses is logged and skipped.
    """
    project = file.project
    client = project.client
    studio = client.studio
    language = supported_language(client.language)
    landing = safe_landing(reverse("portal:project", kwargs={"pk": project.pk}) + "#files")
    send_after = quiet_hours_send_after(
        now, tz=studio.zoneinfo, working_hours=studio.working_hours, holidays=studio.holiday_spec
    )
    contacts = portal_recipients(project, now=now)
    used = set(
        OutboxEmail.objects.filter(
            studio=studio, idempotency_key__in=[review_key(file, contact) for contact in contacts]
        ).values_list("idempotency_key", flat=True)
    )
    queued = []
    for contact in contacts:
        key = review_key(file, contact)
        if key in used:
            continue
        try:
            with transaction.atomic():  # a link without its email is useless: both or neither
                link, token = issue_link(contact, now=now, created_by=by, landing=landing)
                with translation.override(language):
                    expires_on = day_date(local_date(link.expires_at, client_zoneinfo(contact)))
                queued.append(
                    studio_email_send(
                        studio=studio,
                        to=[contact.email],
                        template=REVIEW_TEMPLATE,
                        context={
                            "first_name": first_name(contact),
                            "project_title": project.title,
                            "file_title": file.label,
                            "version": str(file.version),
                            "note": file.note,
                            "portal_url": absolute_url("portal:enter", token=token),
                            "expires_on": expires_on,
                        },
                        idempotency_key=key,
                        send_after=send_after,
                        client=client,
                        project=project,
                        kind=REVIEW_TEMPLATE,
                        language=language,
                        secrets=[token],
                    )
                )
        except ValueError:
            logger.warning("Deliverable review email not queued for contact %s", contact.pk, exc_info=True)
    return queued


# --- the client decides ---------------------------------------------------------------------------


def deliverable_approve(*, file: ProjectFile, contact: Contact, now: datetime) -> bool:
    """The client approves the current version; False when it is not waiting for them (idempotent).

    A conditional update: two taps at once approve once and note one activity.
    """
    changed = ProjectFile.objects.filter(
        pk=file.pk, side=ProjectFile.Side.STUDIO, is_current=True, review=Review.PENDING
    ).update(review=Review.APPROVED, reviewed_at=now, reviewed_by_contact=contact, review_comment="")
    if not changed:
        return False
    file.review, file.reviewed_at, file.reviewed_by_contact = Review.APPROVED, now, contact
    review_requests_withdraw(studio_id=file.studio_id, file_pk=file.pk)
    project = file.project
    portal_activity.record(
        None,
        kind=Kind.FILE_APPROVED,
        summary=f"{file.label} (v{file.version})",
        project=project,
        url=project_files_url(project),
        client=project.client,
        contact=contact,
    )
    return True


def deliverable_ask_changes(
    *, file: ProjectFile, contact: Contact, comment: str, now: datetime, studio_address: str
) -> Message:
    """The client sends the current version back with ``comment``: an inbound portal message with a reply clock.

    The message is filed on the project's client and project like any portal message; the file keeps
    the comment and points at the message. Raises ``ReviewClosed`` when the file is not waiting for
    the client (decided already, or a newer version exists).
    """
    comment = comment.strip()
    if not comment:
        raise ValueError("A change request needs a comment.")
    project = file.project
    with transaction.atomic():
        locked = ProjectFile.objects.select_for_update().filter(pk=file.pk).first()
        if locked is None or not reviewable(locked):
            raise ReviewClosed
        message = record_message(
            project.studio,
            direction=Message.Direction.INBOUND,
            client=project.client,
            sent_at=now,
            subject=_("Changes asked: %(file)s (version %(version)s)") % {"file": file.label, "version": file.version},
            from_email=contact.email,
            from_name=contact.name,
            to=[studio_address],
            text=comment,
            channel=Message.Channel.PORTAL,
            project=project,
        )
        ProjectFile.objects.filter(pk=file.pk).update(
            review=Review.CHANGES,
            reviewed_at=now,
            reviewed_by_contact=contact,
            review_comment=comment,
            review_message=message,
        )
        file.review, file.reviewed_at, file.reviewed_by_contact = Review.CHANGES, now, contact
        file.review_comment, file.review_message = comment, message
        review_requests_withdraw(studio_id=file.studio_id, file_pk=file.pk)
        portal_activity.record(
            None,
            kind=Kind.FILE_CHANGES,
            summary=f"{file.label} (v{file.version}): {comment}",
            project=project,
            url=reverse("comms:message", kwargs={"pk": message.pk}),
            client=project.client,
            contact=contact,
        )
    return message


# --- the studio has seen ---------------------------------------------------------------------------

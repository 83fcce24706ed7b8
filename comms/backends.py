"""EMAIL_BACKEND for Django's own mail (password resets, member invites): it goes through the outbox too."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from email.mime.base import MIMEBase
from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import DEFAULT_ATTACHMENT_MIME_TYPE

from comms.mailbox import STUDIO_HEADER
from comms.outbox import enqueue
from kernel.logmask import secret_segments
from kernel.models import Studio

logger = logging.getLogger("rapport.outbox")


class OutboxBackend(BaseEmailBackend):
    """Turns each EmailMessage into an outbox row (kind "account"); the outbox worker sends it.

    How mail finally leaves is ``OUTBOX_DELIVERY_BACKEND``. File attachments (text or bytes) go
    along; a MIME part attached as such is refused.
    """

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        queued = 0
        for message in email_messages:
            try:
                outbox_row_for(message)
            except Exception:
                if not self.fail_silently:
                    raise
                logger.exception("Could not queue the email %r", message.subject)
                continue
            queued += 1
        return queued


def outbox_row_for(message: EmailMessage):
    """Queue ``message`` in the outbox; the studio comes from its X-Rapport-Studio header, if any.

    A secret path segment in it (a password-reset token) is sealed, never stored in clear.
    """
    attachments = [_attachment(item) for item in message.attachments]
    headers = {name: str(value) for name, value in message.extra_headers.items()}
    studio_id = headers.pop(STUDIO_HEADER, None)
    studio = Studio.objects.filter(pk=int(studio_id)).first() if studio_id else None
    is_html = message.content_subtype == "html"
    text = "" if is_html else str(message.body)
    html = str(message.body) if is_html else _html_alternative(message)
    return enqueue(
        studio=studio,
        kind="account",
        from_email=message.from_email,
        to=message.to,
        cc=message.cc,
        bcc=message.bcc,
        reply_to=message.reply_to,
        subject=str(message.subject),
        text=text,
        html=html,
        headers=headers,
        attachments=attachments,
        secrets=secret_segments(f"{text}\n{html}"),  # a reset link's token rests sealed, like a portal link's
    )


def _attachment(item: Any) -> dict[str, Any]:
    """An ``EmailMessage.attach(filename, content, mimetype)`` attachment as the outbox stores it."""
    if isinstance(item, MIMEBase):
        raise ValueError("The outbox carries attachments given as (filename, content, mimetype), not MIME parts.")
    filename, content, mimetype = item
    return {"filename": filename or "", "mimetype": mimetype or DEFAULT_ATTACHMENT_MIME_TYPE, "content": content}


def _html_alternative(message: EmailMessage) -> str:
    if isinstance(message, EmailMultiAlternatives):
        for content, mimetype in message.alternatives:
            if mimetype == "text/html":
                return str(content)
    return ""

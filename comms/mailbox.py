"""The default email backend: keep every email in the in-app mailbox and log a line."""

import logging
from collections.abc import Sequence

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend

from comms.models import MailboxEmail
from kernel.models import Membership

logger = logging.getLogger("rapport.mailbox")

STUDIO_HEADER = "X-Rapport-Studio"


def _studio_id_for(message: EmailMessage) -> int | None:
    """The studio the email belongs to: its header, else the studio of a recipient who is a member."""
    if header := message.extra_headers.get(STUDIO_HEADER):
        return int(header)
    recipients = [address.lower() for address in message.recipients()]
    membership = Membership.objects.filter(user__email__in=recipients).order_by("created_at").first()
    return membership.studio_id if membership else None


def _html_of(message: EmailMessage) -> str:
    if isinstance(message, EmailMultiAlternatives):
        for content, mimetype in message.alternatives:
            if mimetype == "text/html":
                return str(content)
    return str(message.body) if message.content_subtype == "html" else ""


class MailboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            html = _html_of(message)
            MailboxEmail.objects.create(
                studio_id=_studio_id_for(message),
                from_email=message.from_email,
                to=", ".join(message.recipients()),
                subject=message.subject,
                text_body="" if message.content_subtype == "html" else str(message.body),
                html_body=html,
                headers={key: str(value) for key, value in message.extra_headers.items()},
            )
            logger.info("Captured email %r to %s (read it on the Outbox page)", message.subject, message.to)
        return len(email_messages)

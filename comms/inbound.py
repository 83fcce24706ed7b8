"""Every inbound path (ESP webhook, mail server pipe, IMAP, BCC address) ends here: ``receive``.

The raw bytes are stored first, in their own write, so that whatever happens next (a message
no parser understands, a bug, a crash) the mail is kept and can be replayed with ``replay``.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction

from comms import conversation, urgency
from comms.models import Message, RawEmail
from comms.parsing import ParsedEmail, ParseError, latest_reply, parse_email
from comms.sanitize import safe_html
from kernel.models import Membership, Studio
from kernel.queries import Prepared

logger = logging.getLogger("rapport.inbound")


class InboundError(Exception):
    """A message could not be filed; its raw bytes are kept as ``RawEmail`` ``raw_email_id``."""

    def __init__(self, message: str, *, raw_email_id: int) -> None:
        super().__init__(message)
        self.raw_email_id = raw_email_id


def receive(
    studio: Studio,
    raw: bytes,
    *,
    received_at: datetime,
    source: str = RawEmail.Source.PIPE,
) -> Message:
    """Store one raw RFC 5322 message, parse it and file it as a Message (in or out).

    Raises ``InboundError`` when it cannot be filed; the raw message stays, marked failed.
    A second delivery of a Message-ID already filed returns the existing Message.
    """
    if received_at.tzinfo is None:
        raise ValueError("received_at must be an aware datetime.")
    raw_email = RawEmail.objects.create(studio=studio, source=source, raw=bytes(raw), received_at=received_at)
    return _file(raw_email, bytes(raw))


def replay(raw_email: RawEmail) -> Message:
    """Parse and file a stored raw message again (after a fix), with its original arrival time."""
    existing = Message.objects.filter(raw_email=raw_email).first()
    if existing is not None:
        _mark(raw_email, RawEmail.Status.PARSED, "")
        return existing
    return _file(raw_email, bytes(raw_email.raw))


def _file(raw_email: RawEmail, raw: bytes) -> Message:
    try:
        with transaction.atomic():
            parsed = parse_email(raw)
            message = _record(raw_email, parsed)
            if message.raw_email_id == raw_email.pk:
                note = ""
            elif message.raw_email_id is None:  # e.g. logged from the outbox: keep these bytes with it
                Message.objects.filter(pk=message.pk, raw_email__isnull=True).update(raw_email=raw_email)
                message.raw_email = raw_email
                note = ""
            else:
                note = f"Duplicate delivery: already stored as message #{message.pk}."
            _mark(raw_email, RawEmail.Status.PARSED, note)
            return message
    except Exception as exc:
        if isinstance(exc, ParseError):
            error = f"Not an email: {exc}"
        else:
            error = f"{type(exc).__name__}: {exc}"
            logger.exception("Inbound raw email #%s failed; kept for replay", raw_email.pk)
        _mark(raw_email, RawEmail.Status.FAILED, error)
        raise InboundError(error, raw_email_id=raw_email.pk) from exc


def _mark(raw_email: RawEmail, status: str, error: str) -> None:
    RawEmail.objects.filter(pk=raw_email.pk).update(status=status, error=error)
    raw_email.status, raw_email.error = status, error


MEMBER_ADDRESSES = Prepared(
    lambda studio: Membership.objects.filter(studio=studio).order_by().values_list("user__email", flat=True)
)


def own_addresses(studio: Studio) -> set[str]:
    """The studio's sender address and its members' addresses, lower-cased."""
    addresses = {email.lower() for email in MEMBER_ADDRESSES(studio=studio.pk)}
    if studio.sender_email:
        addresses.add(studio.sender_email.lower())
    addresses.discard("")
    return addresses


def _record(raw_email: RawEmail, parsed: ParsedEmail) -> Message:
    studio = raw_email.studio
    recipients = [*parsed.to, *parsed.cc]
    if parsed.from_email and parsed.from_email in own_addresses(studio):
        # The freelancer's own mail with Rapport in BCC: their reply to a client, which stops the clock.
        direction = Message.Direction.OUTBOUND
        client = conversation.first_client_among(studio, recipients)
    else:
        direction = Message.Direction.INBOUND
        client = conversation.client_for_address(studio, parsed.from_email) if parsed.from_email else None
    text_new = latest_reply(parsed.text)
    urgent = direction == Message.Direction.INBOUND and urgency.is_urgent(
        parsed.subject, text_new, flagged=parsed.priority_flag
    )
    return conversation.record_message(
        studio,
        direction=direction,
        client=client,
        sent_at=raw_email.received_at,
        subject=parsed.subject,
        from_email=parsed.from_email[:320],
        from_name=parsed.from_name[:200],
        to=list(parsed.to),
        cc=list(parsed.cc),
        text=parsed.text,
        text_new=text_new,
        safe_html=safe_html(parsed.html) if parsed.html else "",
        message_id=parsed.message_id[:998],
        in_reply_to=parsed.in_reply_to[:998],
        references=parsed.references,
        attachments=list(parsed.attachments),
        is_automatic=parsed.is_automatic,
        automatic_reason=parsed.automatic_reason[:60],
        is_urgent=urgent,
        raw_email=raw_email,
    )

"""Threads and reply clocks: where every message, in or out, is filed and what it starts or stops.

Every path that creates a ``Message`` goes through ``record_message``: inbound mail (``comms.inbound``),
mail the outbox sent (``log_sent_email``), BCC copies and calls the freelancer logs by hand.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from clients.models import Client, Contact
from comms import sanitize
from comms.models import Commitment, Message, OutboxEmail, Thread
from comms.signals import message_recorded
from comms.sla import due_at
from kernel.models import Studio
from kernel.signals import interaction_recorded

# Outbox kinds written by Rapport on its own, not by the freelancer: they are logged (the Friday rule
# counts any mail sent to the client) but they answer nobody, so they stop no clock, and they are no
# contact for staying in touch (R14): the Friday update Rapport sends by itself included.
AUTOMATED_KINDS = frozenset(
    {
        "account", "inquiry-ack", "inquiry-new-lead", "digest", "reminder",
        # Scheduled sweeps (kernel.sweeps): to the freelancer, or to the client without a person writing.
        "clock-warning", "clock-breach", "commitment-warning", "commitment-breach", "friday-reminder",
        "friday-update-auto", "deadline-reminder", "action-item-reminder", "deposit-reminder", "work-started", "survey",
        "touchpoints-due", "past-clients", "yearly-card", "anniversary",
        # Portal and calls: a link or a calendar invitation answers no question.
        "portal-link", "portal-link-requested", "call-proposal", "call-invite", "call-cancelled", "call-notice",
        # Files: a deliverable shared for approval is a notice, not the answer to any email.
        "deliverable-review",
        # Billing documents (billing.sending): an invoice or a signed agreement answers no question either.
        "invoice", "agreement-signed", "agreement-signed-copy", "invoice-reminder", "proposal-sent",
        "deposit-paid",
    }
)  # fmt: skip
# Kinds that are the full answer a commitment promised. An acknowledgment stops the clock but is the promise.
ANSWER_KINDS = frozenset({"email", "reply"})

# A subject seen again after this long starts a new conversation rather than reviving an old one.
SUBJECT_THREAD_WINDOW = timedelta(days=120)

_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|fw|aw|wg|sv|vs|antw|odp|tr|rif|res|ответ|отв|пересл|απ|σχετ|πρθ)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]"
    r"|\[[^\]]{1,40}\])\s*",
    re.IGNORECASE,
)


def normalize_subject(subject: str) -> str:
    """Lower-case subject without Re:/Fwd:/AW:/Ответ:/ΑΠ:… prefixes and list tags, for joining threads."""
    return bare_subject(subject).casefold()[:200]


def bare_subject(subject: str) -> str:
    """The subject without Re:/Fwd:/AW:/Ответ:/ΑΠ:… prefixes and list tags, case kept: what the mail is about."""
    text = " ".join((subject or "").split())
    while True:
        stripped = _REPLY_PREFIX.sub("", text, count=1)
        if stripped == text:
            return text
        text = stripped


def client_for_address(studio: Studio, address: str) -> Client | None:
    """The studio's client one of whose contacts uses this address (primary or other emails), if any."""
    return first_client_among(studio, [address])


def first_client_among(studio: Studio, addresses: Iterable[str]) -> Client | None:
    """The client of the first address (in order) that belongs to one of the studio's contacts. Two queries."""
    wanted = _bare_addresses(addresses)
    if not wanted:
        return None
    clients = (
        Client.objects.filter(studio=studio, contacts__studio=studio)
        .annotate(address=Lower("contacts__email"))
        .filter(address__in=wanted)
        .order_by()
    )
    by_address = {client.address: client for client in clients}
    if not by_address.keys() >= set(wanted):
        for contact in Contact.objects.filter(studio=studio).exclude(other_emails=[]).select_related("client"):
            for other in contact.other_emails or []:
                by_address.setdefault(str(other).lower(), contact.client)
    return next((by_address[address] for address in wanted if address in by_address), None)


def _bare_addresses(addresses: Iterable[str]) -> list[str]:
    """The addresses alone (no display names), lower-cased, in order; empty ones left out."""
    return [address for address in (parseaddr(raw or "")[1].strip().lower() for raw in addresses) if address]


def _referenced_ids(in_reply_to: str, references: str) -> list[str]:
    ids = re.findall(r"<[^<>\s]+>", f"{in_reply_to} {references}")
    return list(dict.fromkeys(reversed(ids)))  # the nearest ancestor first


def _earlier_messages(studio: Studio, message_id: str, referenced: list[str]) -> tuple[Message | None, Message | None]:
    """(the message already filed under ``message_id``, the nearest referenced ancestor with its thread).

    One query for both; ancestors are read without their bodies (a long thread references many).
    """
    wanted = [message_id, *referenced] if message_id else referenced
    if not wanted:
        return None, None
    found = list(
        Message.objects.filter(studio=studio, message_id__in=wanted)
        .select_related("thread")
        .only("message_id", "sent_at", "thread")
        .order_by()
    )
    duplicate = next((known for known in found if message_id and known.message_id == message_id), None)
    if duplicate is not None:
        return Message.objects.get(pk=duplicate.pk), None
    ancestors = [known for known in found if known.message_id in referenced]
    return None, max(ancestors, key=lambda known: known.sent_at, default=None)


def _find_thread(studio: Studio, *, client, subject_key: str, parent: Message | None, sent_at: datetime):
    if parent is not None:
        return parent.thread
    if client is not None and subject_key:
        return (
            Thread.objects.filter(
                studio=studio,
                client=client,
                subject_key=subject_key,
                last_message_at__gte=sent_at - SUBJECT_THREAD_WINDOW,
            )
            .order_by("-last_message_at")
            .first()
        )
    return None


def reply_due(studio: Studio, received_at: datetime, *, urgent: bool, share: float = 1.0) -> datetime:
    """When a reply to mail received at ``received_at`` is due under the studio's (urgent) SLA policy.

    ``share`` < 1 gives the instant that share of the SLA has elapsed (the freelancer's warning).
    """
    mode, hours = (studio.urgent_sla_mode, studio.urgent_sla_hours) if urgent else (studio.sla_mode, studio.sla_hours)
    return due_at(
        received_at,
        tz=studio.zoneinfo,
        working_hours=studio.working_hours,
        holidays=studio.holiday_spec,
        mode=mode,
        amount=float(hours) * share,
    )


CLOCKED_CHANNELS = frozenset({Message.Channel.EMAIL, Message.Channel.PORTAL, Message.Channel.SURVEY})
"""Written words from a client that start a reply clock: email, a portal message, a survey follow-up."""


def _starts_clock(message: Message) -> bool:
    return (
        message.direction == Message.Direction.INBOUND
        and message.channel in CLOCKED_CHANNELS
        and message.client_id is not None
        and not message.is_automatic
    )


def _start_clock(message: Message) -> None:
    studio = message.studio
    message.needs_reply = True
    message.reply_due_at = reply_due(studio, message.sent_at, urgent=message.is_urgent)
    message.reply_warn_at = reply_due(
        studio, message.sent_at, urgent=message.is_urgent, share=studio.reply_warning_percent / 100
    )


def stop_clocks(studio: Studio, client: Client, *, at: datetime, by: Message) -> int:
    """Stop the client's open clocks on mail received up to ``at``: the reply ``by`` answers them."""
    return (
        Message.objects.open_clocks()
        .filter(studio=studio, client=client, sent_at__lte=at)
        .update(replied_at=at, replied_by=by)
    )


def fulfil_commitments(studio: Studio, client: Client, *, at: datetime, by: Message) -> int:
    """Mark the client's open promises made at or before ``at`` as fulfilled by the answer ``by``.

    A promise made after the answer left (an acknowledgment written later) waits for a later answer.
    """
    return Commitment.objects.filter(
        studio=studio, client=client, fulfilled_at__isnull=True, created_at__lte=at
    ).update(fulfilled_at=at, fulfilled_by=by)


def record_message(
    studio: Studio,
    *,
    direction: str,
    client: Client | None,
    sent_at: datetime,
    subject: str = "",
    from_email: str = "",
    from_name: str = "",
    to: list[str] | None = None,
    cc: list[str] | None = None,
    bcc: list[str] | None = None,
    text: str = "",
    text_new: str = "",
    safe_html: str = "",
    message_id: str = "",
    in_reply_to: str = "",
    references: str = "",
    attachments: list[dict] | None = None,
    is_automatic: bool = False,
    automatic_reason: str = "",
    is_urgent: bool = False,
    channel: str = "email",
    project=None,
    raw_email=None,
    logged_by=None,
    stops_clock: bool = True,
    fulfils_commitments: bool = True,
    personal: bool = True,
) -> Message:
    """File a message in its thread (References/In-Reply-To first, normalized subject second).

    Inbound mail from a known client that is not automatic starts a reply clock (``needs_reply`` and
    ``reply_due_at`` from the studio's SLA policy; the urgent policy when ``is_urgent``). Outbound
    messages to a client stop that client's open clocks received before ``sent_at`` (unless
    ``stops_clock`` is False) and fulfil open commitments (unless ``fulfils_commitments`` is False).
    Sends ``comms.signals.message_recorded`` once the message is saved, in the filing transaction
    (outbound email covers its recipients' clients for the Friday rule).
    A message that counts as contact (``counts_as_contact``; ``personal`` False for mail Rapport wrote
    on its own) sends ``kernel.signals.interaction_recorded``. Idempotent on (studio, message_id) when a
    Message-ID is given: the existing message is returned.
    """
    if sent_at.tzinfo is None:
        raise ValueError("sent_at must be an aware datetime.")
    existing, parent = _earlier_messages(studio, message_id, _referenced_ids(in_reply_to, references))
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            message = _file_in_thread(
                Message(
                    studio=studio,
                    client=client,
                    project=project,
                    direction=direction,
                    channel=channel,
                    from_email=from_email,
                    from_name=from_name,
                    to=list(to or []),
                    cc=list(cc or []),
                    bcc=list(bcc or []),
                    subject=subject[:998],
                    text=text,
                    text_new=text_new or text,
                    safe_html=safe_html,
                    sent_at=sent_at,
                    message_id=message_id,
                    in_reply_to=in_reply_to,
                    references=references,
                    attachments=list(attachments or []),
                    is_automatic=is_automatic,
                    automatic_reason=automatic_reason,
                    is_urgent=is_urgent,
                    raw_email=raw_email,
                    logged_by=logged_by,
                ),
                parent=parent,
            )
            if _starts_clock(message):
                _start_clock(message)
            message.save()
            message_recorded.send(sender=Message, message=message)
            if message.direction == Message.Direction.OUTBOUND and message.client is not None:
                if stops_clock:
                    stop_clocks(studio, message.client, at=sent_at, by=message)
                if fulfils_commitments:
                    fulfil_commitments(studio, message.client, at=sent_at, by=message)
            if counts_as_contact(message, personal=personal):
                interaction_sent(message)
            return message
    except IntegrityError:
        if not message_id:
            raise
        # The same mail delivered twice at once (a webhook retry racing an IMAP poll): keep the first.
        return Message.objects.get(studio=studio, message_id=message_id)


def counts_as_contact(message: Message, *, personal: bool = True) -> bool:
    """R14: mail in, a personal mail out, a portal message, a logged call or meeting count as the client's
    last contact; auto-replies, bounces, list mail and what Rapport writes on its own do not."""
    return message.client_id is not None and personal and not message.is_automatic


def interaction_sent(message: Message) -> None:
    interaction_recorded.send(sender=Message, studio=message.studio, client_id=message.client_id, at=message.sent_at)


def _file_in_thread(message: Message, *, parent: Message | None) -> Message:
    """Give an unsaved message its thread (``parent``'s, else by subject), creating one when nothing joins it."""
    studio, subject_key = message.studio, normalize_subject(message.subject)
    thread = _find_thread(
        studio, client=message.client, subject_key=subject_key, parent=parent, sent_at=message.sent_at
    )
    if thread is not None and message.client is None and thread.client_id is not None:
        message.client = thread.client  # a colleague of the client answering in the client's thread
    if thread is None:
        thread = Thread.objects.create(
            studio=studio,
            client=message.client,
            project=message.project,
            subject=message.subject,
            subject_key=subject_key,
            last_message_at=message.sent_at,
        )
    elif message.sent_at > thread.last_message_at:
        Thread.objects.filter(pk=thread.pk).update(last_message_at=message.sent_at)
    message.thread = thread
    message.project = message.project or thread.project
    return message


def log_sent_email(email: OutboxEmail) -> Message | None:
    """After the outbox sent ``email``: log it as an outbound Message when it went to a client.

    The client is ``email.client`` or the client whose contact is a recipient. Stops that client's
    clocks unless Rapport wrote the mail on its own (``AUTOMATED_KINDS``); only a reply fulfils
    commitments (an acknowledgment is the promise, not its fulfilment). Sets ``email.message``.
    Returns None for mail that is not client mail (digests, account mail).
    """
    if email.studio is None or email.message_id is not None:
        return email.message
    return file_sent_email(email, email.client or first_client_among(email.studio, email.recipients))


def file_sent_email(email: OutboxEmail, client: Client | None) -> Message | None:
    """``log_sent_email`` with the client already known (``clients_reached``); None, no query, without one.

    The Message and the email's link to it are saved in one transaction.
    """
    if client is None or email.studio_id is None or email.message_id is not None:
        return email.message
    with transaction.atomic():
        message = _record_sent_email(email, client)
        email.save(update_fields=["message"])
    return message


def clients_reached(emails: Sequence[OutboxEmail]) -> dict[int, Client]:
    """The client each of the outbox's ``emails`` reached, by the email's pk, as ``log_sent_email`` finds it.

    Its own client, else the client of the first recipient who is a contact of its studio: three
    queries at most for a whole batch. Emails that reached no client are left out.
    """
    emails = [email for email in emails if email.studio_id is not None]
    wanted = {
        email.pk: [(email.studio_id, address) for address in _bare_addresses(email.recipients)]
        for email in emails
        if email.client_id is None
    }
    addresses = {pair for pairs in wanted.values() for pair in pairs}
    by_address: dict[tuple[int, str], int] = {}
    if addresses:
        contacts = (
            Contact.objects.filter(studio_id__in={studio_id for studio_id, _ in addresses})
            .annotate(email_lower=Lower("email"))
            .filter(email_lower__in={address for _, address in addresses})
            .values_list("studio_id", "email_lower", "client_id")
        )
        by_address = {(studio_id, address): client_id for studio_id, address, client_id in contacts}
    if missing := addresses - by_address.keys():
        others = (
            Contact.objects.filter(studio_id__in={studio_id for studio_id, _ in missing})
            .exclude(other_emails=[])
            .values_list("studio_id", "other_emails", "client_id")
        )
        for studio_id, other_emails, client_id in others:
            for other in other_emails or []:
                by_address.setdefault((studio_id, str(other).lower()), client_id)
    client_ids = {email.pk: email.client_id for email in emails if email.client_id is not None}
    for pk, pairs in wanted.items():
        if found := next((by_address[pair] for pair in pairs if pair in by_address), None):
            client_ids[pk] = found
    if not client_ids:
        return {}
    clients = Client.objects.in_bulk(set(client_ids.values()))
    return {pk: clients[client_id] for pk, client_id in client_ids.items() if client_id in clients}


def _record_sent_email(email: OutboxEmail, client: Client) -> Message:
    """File ``email`` (sent, in a studio) as an outbound Message to ``client``; sets ``email.message``, unsaved."""
    headers = email.headers or {}
    reply_to_message = email.reply_to_message
    message = record_message(
        email.studio,
        direction=Message.Direction.OUTBOUND,
        client=client,
        sent_at=email.sent_at or email.send_after,
        subject=email.subject,
        from_email=parseaddr(email.from_email)[1],
        from_name=parseaddr(email.from_email)[0],
        to=email.to,
        cc=email.cc,
        bcc=email.bcc,
        text=email.text,
        text_new=email.text,
        safe_html=_sanitized(email.html),
        message_id=email.message_id_header,
        in_reply_to=headers.get("In-Reply-To", reply_to_message.message_id if reply_to_message else ""),
        references=headers.get("References", ""),
        project=email.project,
        attachments=[_attachment_summary(attachment) for attachment in email.attachments],
        stops_clock=email.kind not in AUTOMATED_KINDS,
        fulfils_commitments=email.kind in ANSWER_KINDS,
        personal=email.kind not in AUTOMATED_KINDS,
    )
    email.message = message
    return message


def _attachment_summary(attachment: dict) -> dict:
    """An outbox attachment as a Message lists it (name, size, type), like an inbound one."""
    size = attachment.get("size") or len(str(attachment.get("content", "")).encode())
    return {"name": attachment["filename"], "size": size, "content_type": attachment["mimetype"]}


def _sanitized(html: str) -> str:
    if not html:
        return ""
    return sanitize.safe_html(html)


def assign_client(message: Message, client: Client) -> Message:
    """Assign an unmatched message (and its thread) to a client; starts its clock if it needs one.

    The clock counts from when the mail arrived, so mail left a long time in "Unmatched" can be
    breached at once: that is the truth the freelancer should see.
    """
    if client.studio_id != message.studio_id:
        raise ValueError("The client belongs to another studio.")
    with transaction.atomic():
        Thread.objects.filter(pk=message.thread_id, client__isnull=True).update(client=client)
        Message.objects.filter(thread_id=message.thread_id, client__isnull=True).update(client=client)
        message.refresh_from_db()
        if _starts_clock(message) and not message.needs_reply:
            answered = (
                Message.objects.filter(
                    studio=message.studio,
                    client=client,
                    direction=Message.Direction.OUTBOUND,
                    sent_at__gte=message.sent_at,
                )
                .order_by("sent_at")
                .first()
            )
            _start_clock(message)
            if answered is not None:
                message.replied_at, message.replied_by = answered.sent_at, answered
            message.save(update_fields=["needs_reply", "reply_due_at", "reply_warn_at", "replied_at", "replied_by"])
        if counts_as_contact(message):
            interaction_sent(message)
    return message

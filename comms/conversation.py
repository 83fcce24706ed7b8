"""Threads and reply clocks: where every message, in or out, is filed and what it starts or stops.

Implemented by the lead engineer; other modules call only these functions.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clients.models import Client
    from comms.models import Message, OutboxEmail
    from crm.models import Studio


def normalize_subject(subject: str) -> str:
    """Lower-case subject without Re:/Fwd:/AW:/Ответ:/ΑΠ:… prefixes and list tags, for joining threads."""
    raise NotImplementedError


def client_for_address(studio: Studio, address: str) -> Client | None:
    """The studio's client one of whose contacts uses this address (primary or other emails), if any."""
    raise NotImplementedError


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
) -> Message:
    """File a message in its thread (References/In-Reply-To first, normalized subject second).

    Inbound mail from a known client that is not automatic starts a reply clock (``needs_reply`` and
    ``reply_due_at`` from the studio's SLA policy; the urgent policy when ``is_urgent``). Outbound
    messages to a client stop that client's open clocks received before ``sent_at`` (unless
    ``stops_clock`` is False) and fulfil open commitments. Idempotent on (studio, message_id) when a
    Message-ID is given: the existing message is returned.
    """
    raise NotImplementedError


def log_sent_email(email: OutboxEmail) -> Message | None:
    """After the outbox sent ``email``: log it as an outbound Message when it went to a client.

    The client is ``email.client`` or the client whose contact is a recipient. Stops that client's
    clocks; an ``acknowledgment`` stops them too but does not fulfil commitments (it creates one).
    Sets ``email.message``. Returns None for mail that is not client mail (digests, account mail).
    """
    raise NotImplementedError


def assign_client(message: Message, client: Client) -> Message:
    """Assign an unmatched message (and its thread) to a client; starts its clock if it needs one."""
    raise NotImplementedError

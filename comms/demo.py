"""Demo mail for `seed_demo`: replies owed (one breached, one urgent), an acknowledged promise,
unmatched and automatic mail, and a scheduled email in the outbox.

Inbound mail goes through ``comms.inbound.receive`` like real mail. Idempotent: every message has a
fixed Message-ID and is skipped when already stored; times are relative to when the seed runs.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from clients.models import Client, Contact
from comms import outbox
from comms.conversation import record_message
from comms.inbound import receive
from comms.models import Commitment, Message
from comms.scheduling import quiet_hours_send_after
from kernel.models import Studio

DOMAIN = "demo.rapport.local"

# (key, client name or None for an unknown sender, sender, subject, body, hours ago, extra headers)
INBOUND = [
    ("hero", "Harbor & Pine Architects", None, "Homepage hero: which photo?",
     "Hi Mira,\n\nWe shot three options for the homepage hero. Which one works best with the new layout?\n"
     "I'd love to decide before our board meeting.\n\nThanks,\nLena", 1, {}),
    ("shipping", "Moss Coffee Roasters", None, "Shipping rates in the shop",
     "Hello,\n\nThe shop still charges 4.90 for shipping to Austria; it should be free above 40 EUR.\n"
     "Could you change that?\n\nTomás", 24 * 5, {}),
    ("down", "Brightside Dental", None, "URGENT: booking widget is down",
     "Hi,\n\nPatients can't book: the widget shows an error since this morning. Please help asap!\n\nPriya",
     0.5, {"Importance": "high"}),
    ("intake", "Kite Legal", None, "Intake form: can we add file uploads?",
     "Dear Mira,\n\nClients would like to upload documents with the intake form. Is that possible, and what"
     " would it cost?\n\nBest,\nOliver", 24 * 3, {}),
    ("stranger", None, "Jana Novak <jana@novak-ceramics.example>", "Website for my ceramics studio",
     "Hello, a friend recommended you. I need a small website with a shop for my ceramics. Are you"
     " available in January?\n\nJana", 3, {}),
    ("away", "Nordwind Sailing School", None, "Automatic reply: Course booking",
     "I am out of the office until Monday with limited access to email.", 2, {"Auto-Submitted": "auto-replied"}),
]  # fmt: skip


def demo_comms_seed(studio: Studio, *, now: datetime) -> None:
    for key, client_name, sender, subject, body, hours_ago, headers in INBOUND:
        message_id = f"<demo-{key}@{DOMAIN}>"
        if Message.objects.filter(studio=studio, message_id=message_id).exists():
            continue
        contact = _primary_contact(studio, client_name) if client_name else None
        if client_name and contact is None:
            continue
        raw = _raw_email(
            sender=sender or f"{contact.name} <{contact.email}>",
            to=studio.sender_email or "hello@studio.example",
            subject=subject,
            body=body,
            sent_at=now - timedelta(hours=hours_ago),
            message_id=message_id,
            headers=headers,
        )
        receive(studio, raw, received_at=now - timedelta(hours=hours_ago))
    _acknowledge_intake(studio, now=now)
    _schedule_check_in(studio, now=now)


def _primary_contact(studio: Studio, client_name: str) -> Contact | None:
    return Contact.objects.filter(studio=studio, client__name=client_name, is_primary=True).first()


def _raw_email(*, sender, to, subject, body, sent_at, message_id, headers) -> bytes:
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = sender, to, subject
    email["Date"], email["Message-ID"] = format_datetime(sent_at), message_id
    for name, value in headers.items():
        email[name] = value
    email.set_content(body)
    return email.as_bytes()


def _acknowledge_intake(studio: Studio, *, now: datetime) -> None:
    """Kite Legal's question got an acknowledgment promising the full answer in two days (R15)."""
    question = Message.objects.filter(studio=studio, message_id=f"<demo-intake@{DOMAIN}>").first()
    ack_id = f"<demo-intake-ack@{DOMAIN}>"
    if question is None or question.client is None or Message.objects.filter(studio=studio, message_id=ack_id).exists():
        return
    sent_at = now - timedelta(hours=24 * 3 - 2)
    promised_by = now + timedelta(days=2)
    record_message(
        studio,
        direction=Message.Direction.OUTBOUND,
        client=question.client,
        sent_at=sent_at,
        subject=f"Re: {question.subject}",
        from_email=studio.sender_email,
        from_name=studio.sender_name,
        to=[question.from_email],
        text=(
            "Dear Oliver,\n\nThank you — good question. I need to check the upload limits of your hosting"
            f" first; you'll have the full answer with a price by {promised_by:%A %d %B}.\n\nMira"
        ),
        in_reply_to=question.message_id,
        message_id=ack_id,
        fulfils_commitments=False,
    )
    Commitment.objects.create(
        studio=studio,
        client=question.client,
        message=question,
        description="File uploads in the intake form: feasibility and price",
        promised_by=promised_by,
        created_at=sent_at,  # the promise dates from the acknowledgment, not from the seed run
    )


def _schedule_check_in(studio: Studio, *, now: datetime) -> None:
    """A check-in written outside working hours waits in the outbox for the next opening (R5)."""
    client = Client.objects.filter(studio=studio, name="Little Fox Bookshop").first()
    contact = client and client.contacts.filter(is_primary=True).first()
    if contact is None:
        return
    opening = quiet_hours_send_after(
        now + timedelta(days=1), tz=studio.zoneinfo, working_hours=studio.working_hours, holidays=studio.holiday_spec
    )
    outbox.enqueue(
        studio=studio,
        to=[contact.email],
        subject="How is the new shop doing?",
        text=(
            f"Hi {contact.name.split()[0]},\n\nIt's been a while since the launch — how are sales going? If anything"
            " on the site slows you down, tell me and I'll have a look.\n\nThanks,\nMira"
        ),
        kind="email",
        idempotency_key="demo-check-in-little-fox",
        send_after=opening,
        client=client,
    )

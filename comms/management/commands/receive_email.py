"""``manage.py receive_email --studio SLUG < message.eml``: a mail server's pipe into Rapport.

Reads one raw RFC 5322 message from stdin. Exits non-zero with a one-line reason when the mail
could not be filed; the raw bytes are kept for ``--replay`` whenever they reached the database.
Exit statuses follow sysexits.h, which mail servers read: 67 (EX_NOUSER) for an unknown studio,
so the sender gets a bounce; 75 (EX_TEMPFAIL) when the database is unreachable, so the mail server
keeps the message and tries again; 1 for anything else.
"""

from __future__ import annotations

import sys
from typing import Any, BinaryIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from comms.inbound import InboundError, receive, replay
from comms.models import Message, RawEmail
from kernel.models import Studio

EX_NOUSER = 67
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Store one raw email read from stdin as a message of the studio (for a mail server's pipe)."
    # call_command(..., stdin=BytesIO(...)) in tests; the real command reads sys.stdin.buffer.
    stealth_options = ("stdin",)
    # A mail server's pipe must not bounce client mail over an unrelated system check, and the
    # checks (URLs, templates…) cost start-up time on every message.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--studio", required=True, metavar="SLUG", help="The studio the mail belongs to.")
        parser.add_argument(
            "--replay", type=int, metavar="RAW_ID", help="Parse a stored raw email again instead of reading stdin."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self._file(**options)
        except (OperationalError, InterfaceError) as exc:
            reason = " ".join(str(exc).split())[:200]
            raise CommandError(
                f"Rapport's database is unreachable ({reason}); the mail server should try again later.",
                returncode=EX_TEMPFAIL,
            ) from exc

    def _file(self, *, studio: str, replay: int | None = None, **options: Any) -> None:
        studio_row = Studio.objects.filter(slug=studio).first()
        if studio_row is None:
            raise CommandError(f"Unknown studio {studio!r}: no studio has this slug.", returncode=EX_NOUSER)
        try:
            if replay is not None:
                message = self._replay(studio_row, replay)
            else:
                raw = self._read(options.get("stdin"))
                message = receive(studio_row, raw, received_at=timezone.now(), source=RawEmail.Source.PIPE)
        except InboundError as exc:
            reason = " ".join(str(exc).split())[:300]  # one line for the mail server's log
            raise CommandError(
                f"Could not file the email ({reason}); kept as raw email #{exc.raw_email_id} for replay."
            ) from exc
        self.stdout.write(describe(message, studio_row))

    def _read(self, stream: BinaryIO | None) -> bytes:
        if stream is None:
            if sys.stdin is None or sys.stdin.isatty():
                raise CommandError("No email on stdin: pipe one raw message in (receive_email --studio SLUG < x.eml).")
            stream = sys.stdin.buffer
        raw = stream.read()
        if not raw or not raw.strip():
            raise CommandError("Empty stdin: expected one raw email message.")
        return raw

    def _replay(self, studio: Studio, raw_id: int) -> Message:
        raw_email = RawEmail.objects.filter(studio=studio, pk=raw_id).first()
        if raw_email is None:
            raise CommandError(f"No raw email #{raw_id} in studio {studio.slug!r}.")
        return replay(raw_email)


def describe(message: Message, studio: Studio) -> str:
    """One line for the mail server's log: what was stored and whether a reply clock started."""
    head = f"Stored message {message.pk} from {message.from_email or 'unknown sender'} in thread {message.thread_id}"
    if message.direction == Message.Direction.OUTBOUND:
        recipient = ", ".join(message.to) or "no recipient"
        return f"{head} (your own copy to {recipient}: logged as sent)"
    if message.is_automatic:
        return f"{head} (automatic: {message.automatic_reason}, no reply clock)"
    if message.client_id is None:
        return f"{head} (unmatched sender: assign a client to start the clock)"
    if message.needs_reply and message.reply_due_at:
        due = message.reply_due_at.astimezone(studio.zoneinfo)
        urgent = "urgent, " if message.is_urgent else ""
        return f"{head} ({urgent}reply due {due:%a %d %b %H:%M})"
    return f"{head} (no reply clock)"

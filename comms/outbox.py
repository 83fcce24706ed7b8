"""The outbox: every outgoing email is a row; a worker claims due rows and sends them through anymail.

Life of a row: ``queued`` (waiting for ``send_after``, and for a confirmation while cooling off)
→ ``sending`` (claimed by one worker) → ``sent``; or back to ``queued`` with a later
``send_after`` after an error, and ``failed`` once the attempts run out. ``cancelled`` is the
undo. Quiet hours, cool-off and "send later" are all just ``send_after``.

A worker that dies mid-batch leaves its rows in ``sending``. ``send_started_at`` (committed just
before the ESP call) tells the rows that never reached the ESP, which simply go back to the
queue, from the one that was in flight and may or may not have left: client mail then waits in
``attention`` ("needs attention") for the freelancer to decide, and is never resent silently;
reminders to the freelancer themselves (``FREELANCER_KINDS``) are sent again. See ``reclaim_stuck``.

A worker works in batches (``deliver_due``): one transaction claims up to ``batch`` rows, one
backend connection sends them, and what the batch needs is read once. What stays per email is
what the guarantee above needs (``_HandoverMarks``): a client email's ``send_started_at``
committed before its ESP call, and ``sent`` committed after it, before its filing in the
conversation. The freelancer's own mail, sent again after a crash whatever its marks say, is
marked started by its claim and its ``sent`` marks are written fifty to a statement. Those
commits do not wait for the disk, except a client email's ``started``; the next claim's commit
flushes them. Past the task's time budget the rest of a batch goes back to the queue unclaimed.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from datetime import datetime, timedelta
from email.utils import getaddresses, make_msgid, parseaddr
from typing import Any

from anymail.exceptions import AnymailInvalidAddress, AnymailRecipientsRefused
from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.db import connection as db_connection
from django.db.models import Case, DateTimeField, F, Q, Value, When, prefetch_related_objects
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import ReadTimeout

from clients.models import Client
from comms import conversation
from comms.mailbox import STUDIO_HEADER
from comms.models import Message, OutboxEmail
from comms.secrets import decrypt, encrypt
from kernel.models import Studio, User

logger = logging.getLogger("rapport.outbox")

Status = OutboxEmail.Status

# Wait after the 1st, 2nd, 3rd, 4th… failed attempt; the last delay repeats.
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
# Errors that will not get better by trying again: the ESP refused every recipient or an address.
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (AnymailRecipientsRefused, AnymailInvalidAddress)
MAX_ERROR_LENGTH = 2000
MAX_REFERENCES = 20
# All the attachments of one email together, in bytes (an invoice PDF is ~50 KB; ESPs stop near 10 MB).
MAX_ATTACHMENTS_BYTES = 10 * 1024 * 1024
HEADER_NAME = re.compile(r"[!-9;-~]+")
SEALED_MASK = "••••••••"
# The task that delivers due rows (``comms.tasks``), found in Celery's registry by name: the task calls
# this module, so this module does not import it back.
DELIVER_OUTBOX_TASK = "comms.tasks.deliver_outbox"
# Rows a worker claims at once, and the most "sent" marks of the freelancer's own mail that wait
# for one statement (what a worker that dies sends again).
BATCH_SIZE = 200
MARKS_PER_STATEMENT = 50

FREELANCER_KINDS = frozenset(
    {
        "account", "inquiry-new-lead", "digest", "clock-warning", "clock-breach", "commitment-warning",
        "commitment-breach", "friday-reminder", "deadline-reminder", "touchpoints-due", "past-clients",
        "yearly-card", "anniversary", "reminder", "call-notice", "portal-link-requested", "agreement-signed-copy",
    }
)  # fmt: skip
"""Kinds written to the studio's own people (or a user's own account mail), never to a client.

When a worker died while handing one of these to the ESP, ``reclaim_stuck`` sends it again: a
reminder that arrives twice is harmless, one that never arrives is not. Mail of any other kind,
or linked to a client, is client mail: it is never resent without the freelancer's say.
"""
RESENT_AFTER_A_CRASH = Q(kind__in=FREELANCER_KINDS, client__isnull=True)
"""``resent_after_a_crash`` as a query: the freelancer's own mail."""


# --- Enqueue ---------------------------------------------------------------------------------


def enqueue(
    *,
    studio: Studio | None,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str = "",
    kind: str = "email",
    idempotency_key: str | None = None,
    send_after: datetime | None = None,
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
    reply_to: Sequence[str] = (),
    template: str = "",
    client: Client | None = None,
    project: models.Model | None = None,
    reply_to_message: Message | None = None,
    confirm_before_sending: bool = False,
    created_by: User | None = None,
    headers: Mapping[str, str] | None = None,
    from_email: str | None = None,
    attachments: Sequence[Mapping[str, Any]] = (),
    secrets: Sequence[str] = (),
) -> OutboxEmail:
    """Put one email in the outbox and return its row; the only way Rapport sends email.

    ``attachments`` are ``{filename, mimetype, content}``: ``content`` is text (an .ics) or bytes
    (a PDF); bytes are stored base64-encoded (see ``attachment_bytes``) and leave as they came.

    ``secrets`` (a portal link's token…) never rest in clear: each is replaced in the subject, text
    and HTML by a mask and kept sealed (comms.secrets) until the email leaves, then wiped.

    With an ``idempotency_key`` already used in this studio, the existing row is returned
    unchanged (so a sweep or a double-click run twice queues one email). ``send_after`` (aware,
    default now) is when it may leave; ``confirm_before_sending`` holds a cooled-off email until
    the freelancer confirms it. Raises ValueError naming the first thing that is not valid.
    """
    if idempotency_key is not None and (
        existing := OutboxEmail.objects.filter(studio=studio, idempotency_key=idempotency_key).first()
    ):
        return existing
    now = timezone.now()
    sender = from_email or (studio.from_email if studio is not None else settings.DEFAULT_FROM_EMAIL)
    fields = {
        "studio": studio,
        "kind": kind,
        "template": template,
        "idempotency_key": idempotency_key if idempotency_key is not None else str(uuid.uuid4()),
        "from_email": _valid_address(sender, "From"),
        "to": _valid_addresses(to, "To"),
        "cc": _valid_addresses(cc, "Cc"),
        "bcc": _valid_addresses(bcc, "Bcc"),
        "reply_to": _valid_addresses(reply_to, "Reply-To"),
        "subject": _require_one_line(subject, "subject"),
        "text": text,
        "html": html,
        "send_after": _aware(send_after) if send_after is not None else now,
        "confirm_before_sending": confirm_before_sending,
        "client": client,
        "project": project,
        "reply_to_message": reply_to_message,
        "created_by": created_by,
        "attachments": _valid_attachments(attachments),
    }
    fields.update(seal(secrets, subject=fields["subject"], text=text, html=html))
    _check_lengths(fields)
    if not (fields["to"] or fields["cc"] or fields["bcc"]):
        raise ValueError("An email needs at least one recipient.")
    _check_same_studio(studio, client=client, project=project, reply_to_message=reply_to_message)
    extra_headers = {
        _header_name(name): _require_one_line(str(value), f"header {name}") for name, value in (headers or {}).items()
    }
    fields["message_id_header"] = extra_headers.pop("Message-ID", "") or make_msgid(domain=_domain_of(sender))
    fields["headers"] = {**extra_headers, **_thread_headers(reply_to_message)}
    if studio is not None:
        fields["headers"][STUDIO_HEADER] = str(studio.pk)

    try:
        with transaction.atomic():
            email = OutboxEmail.objects.create(**fields)
    except IntegrityError:
        # Another process queued the same key between our look-up and our insert.
        existing = OutboxEmail.objects.filter(studio=studio, idempotency_key=fields["idempotency_key"]).first()
        if existing is None:
            raise
        return existing
    if is_due(email, now):
        transaction.on_commit(kick_delivery)
    return email


def sealed_mask(index: int) -> str:
    """What stands in a stored email for its secret number ``index`` (also what a preview shows)."""
    return f"{SEALED_MASK}{index + 1}{SEALED_MASK}"


def seal(secrets: Sequence[str], *, subject: str, text: str, html: str) -> dict[str, str]:
    """The row's subject, text and HTML with each secret masked, and ``sealed``: the secrets, encrypted."""
    secrets = [secret for secret in dict.fromkeys(secrets) if secret]
    if not secrets:
        return {"subject": subject, "text": text, "html": html, "sealed": ""}
    for index, secret in enumerate(secrets):
        subject, text, html = (part.replace(secret, sealed_mask(index)) for part in (subject, text, html))
    return {"subject": subject, "text": text, "html": html, "sealed": encrypt(json.dumps(secrets))}


def unseal(email: OutboxEmail, value: str) -> str:
    """``value`` (a part of the row) with its masks replaced by the sealed secrets, as it leaves."""
    if not email.sealed or SEALED_MASK not in value:
        return value
    for index, secret in enumerate(json.loads(decrypt(email.sealed))):
        value = value.replace(sealed_mask(index), secret)
    return value


def _valid_attachments(attachments: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Attachments as stored: a filename, a MIME type, and ``content`` (text) or ``content_b64`` (bytes).

    Given ``content`` as ``bytes`` (or already as ``content_b64``), the bytes are kept base64-encoded
    in the row's JSON, so a PDF survives the database and a failed attempt unchanged.
    """
    valid: list[dict[str, Any]] = []
    total = 0
    for attachment in attachments:
        filename = _require_one_line(str(attachment.get("filename", "")), "attachment filename")
        mimetype = _require_one_line(str(attachment.get("mimetype", "")), "attachment type")
        content = attachment.get("content")
        if "content_b64" in attachment and content is None:
            content = _b64_bytes(attachment["content_b64"])
        if not filename or "/" not in mimetype or not isinstance(content, str | bytes | bytearray):
            raise ValueError("An attachment needs a filename, a MIME type and content (text or bytes).")
        if isinstance(content, str):
            total += len(content.encode())
            valid.append({"filename": filename, "mimetype": mimetype, "content": content})
        else:
            total += len(content)
            encoded = base64.b64encode(bytes(content)).decode("ascii")
            valid.append({"filename": filename, "mimetype": mimetype, "content_b64": encoded, "size": len(content)})
    if total > MAX_ATTACHMENTS_BYTES:
        raise ValueError(f"The attachments are larger than {MAX_ATTACHMENTS_BYTES // (1024 * 1024)} MB together.")
    return valid


def _b64_bytes(value: Any) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("An attachment's content_b64 is not base64.") from None


def attachment_bytes(attachment: Mapping[str, Any]) -> bytes | str:
    """A stored attachment's content as it leaves: bytes for a binary one, text for a text one."""
    if "content_b64" in attachment:
        return base64.b64decode(attachment["content_b64"])
    return attachment["content"]


def attachment_size(attachment: Mapping[str, Any]) -> int:
    """A stored attachment's size in bytes (text counted in UTF-8)."""
    if "content_b64" in attachment:
        return int(attachment.get("size") or len(base64.b64decode(attachment["content_b64"])))
    return len(str(attachment.get("content", "")).encode())


def _valid_address(address: str, field: str) -> str:
    """``address`` stripped, if it is one email address (display name allowed); else ValueError."""
    address = str(address).strip()
    parsed = getaddresses([address])
    try:
        if "\n" in address or "\r" in address or len(parsed) != 1:
            raise ValidationError("not one address")
        validate_email(parsed[0][1])
    except ValidationError:
        raise ValueError(f"{field}: {address!r} is not an email address.") from None
    return address


def _valid_addresses(addresses: Sequence[str], field: str) -> list[str]:
    if isinstance(addresses, str):  # one address given as a string, not a list of characters
        addresses = [addresses]
    return [_valid_address(address, field) for address in addresses]


def _require_one_line(value: str, what: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError(f"The {what} must be one line.")
    return value


def _header_name(name: str) -> str:
    """RFC 5322 field name: printable ASCII without a colon."""
    if not HEADER_NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a valid header name.")
    return name


def _aware(moment: datetime) -> datetime:
    if timezone.is_naive(moment):
        raise ValueError("send_after must be an aware datetime.")
    return moment


def _check_lengths(fields: dict[str, Any]) -> None:
    for name in ("kind", "template", "idempotency_key", "from_email", "subject"):
        limit = OutboxEmail._meta.get_field(name).max_length
        if len(fields[name]) > limit:
            raise ValueError(f"The {name} is longer than {limit} characters.")


def _check_same_studio(studio: Studio | None, **related: Any) -> None:
    """A row never links to another studio's client, project or message."""
    studio_id = studio.pk if studio is not None else None
    for name, obj in related.items():
        if obj is not None and obj.studio_id != studio_id:
            raise ValueError(f"The {name} belongs to another studio.")


def _domain_of(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"


def _bracketed(message_id: str) -> str:
    message_id = message_id.strip()
    return message_id if message_id.startswith("<") else f"<{message_id}>"


def _thread_headers(parent: Message | None) -> dict[str, str]:
    """In-Reply-To and References for a reply, so the client's mail program threads it."""
    if parent is None or not parent.message_id.strip():
        return {}
    parent_id = _bracketed(parent.message_id)
    chain = [*parent.references.split(), parent_id]
    if len(chain) > MAX_REFERENCES:  # keep the thread's root and the most recent ones (RFC 5322 §3.6.4)
        chain = [chain[0], *chain[-(MAX_REFERENCES - 1) :]]
    return {"In-Reply-To": parent_id, "References": " ".join(chain)}


def is_due(email: OutboxEmail, now: datetime | None = None) -> bool:
    """Whether a worker may take the row now."""
    now = now or timezone.now()
    return email.status == Status.QUEUED and not email.confirm_before_sending and email.send_after <= now


def kick_delivery() -> None:
    """Ask a worker to deliver now instead of at the next beat tick; beat catches whatever this misses."""
    try:
        current_app.tasks[DELIVER_OUTBOX_TASK].apply_async(retry=False)
    except Exception as error:  # the broker is down: the email waits for the next tick, nothing is lost
        logger.warning("Could not reach the task broker (%s); the outbox sends at the next beat tick.", error)


# --- Delivery ----------------------------------------------------------------------------------


def due_emails(now: datetime):
    """Rows a worker may take now, oldest first (served by the partial index ``outbox_due``)."""
    return OutboxEmail.objects.filter(status=Status.QUEUED, confirm_before_sending=False, send_after__lte=now).order_by(
        "send_after", "pk"
    )


def claim_due(now: datetime | None = None, limit: int = BATCH_SIZE) -> list[OutboxEmail]:
    """Mark up to ``limit`` due rows ``sending`` for this worker, in one transaction; no two workers get the same row.

    Two queries however many rows: read the due rows, then one conditional UPDATE of them all.
    PostgreSQL skips rows another worker has locked (FOR UPDATE SKIP LOCKED); SQLite runs write
    transactions one at a time (``transaction_mode`` IMMEDIATE), so the rows read are still due
    when updated. Should another writer get in between anyway, only the rows this UPDATE took are ours.

    The freelancer's own mail (``resent_after_a_crash``) is marked started by the claim: should the
    worker die anywhere in the batch, it goes again, counted as an attempt, which that mail accepts
    and which stops an email that kills its worker from going round for ever.
    """
    now = now or timezone.now()
    due = due_emails(now)
    if db_connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True)
    with transaction.atomic():
        claimed = list(due[:limit])
        pks = [email.pk for email in claimed]
        taken = (
            due_emails(now)
            .filter(pk__in=pks)
            .update(
                status=Status.SENDING,
                claimed_at=now,
                attempts=F("attempts") + 1,
                send_started_at=Case(When(RESENT_AFTER_A_CRASH, then=Value(now)), default=None),
            )
        )
        if taken != len(claimed):  # another writer got in between the read and the UPDATE: keep what we took
            mine = OutboxEmail.objects.filter(pk__in=pks, status=Status.SENDING, claimed_at=now)
            return list(mine.order_by("send_after", "pk"))
    for email in claimed:
        email.status, email.claimed_at = Status.SENDING, now
        email.send_started_at = now if resent_after_a_crash(email) else None
        email.attempts += 1
    return claimed


def build_message(email: OutboxEmail, *, connection: BaseEmailBackend | None = None) -> EmailMultiAlternatives:
    """The Django message for a row: text body, HTML alternative, stored headers and Message-ID."""
    headers = dict(email.headers)
    if email.message_id_header:
        headers["Message-ID"] = email.message_id_header
    message = EmailMultiAlternatives(
        subject=unseal(email, email.subject),
        body=unseal(email, email.text),
        from_email=email.from_email,
        to=list(email.to),
        cc=list(email.cc),
        bcc=list(email.bcc),
        reply_to=list(email.reply_to),
        headers=headers,
        connection=connection,
    )
    if email.html:
        message.attach_alternative(unseal(email, email.html), "text/html")
    for attachment in email.attachments:
        message.attach(attachment["filename"], attachment_bytes(attachment), attachment["mimetype"])
    return message


def _this_claim(email: OutboxEmail):
    """The row, as long as it still carries this worker's claim (a reclaimed and re-claimed row does not)."""
    return OutboxEmail.objects.filter(pk=email.pk, attempts=email.attempts, claimed_at=email.claimed_at)


class _HandoverMarks:
    """The writes around the ESP calls, fenced by the claim like ``_this_claim``, written as SQL.

    ``started`` is committed before the ESP sees a client email, and waits for the disk, so at
    most the one client email in flight is in doubt. ``sent`` marks wait and are written in one
    statement before anything else touches the database (the next client email's start, a
    conversation log), at the end of the batch, or once ``MARKS_PER_STATEMENT`` wait: the
    freelancer's own mail, marked started by its claim, costs one mark per fifty emails. A worker
    that dies before that statement leaves them started, so they are sent again, which that mail
    accepts.

    The statements name each row with its fence (id, attempts, claimed_at). Should fewer rows
    answer than were named (a row reclaimed while this worker was slow), one more read finds which.
    """

    STARTED = "UPDATE comms_outboxemail SET send_started_at = %s WHERE status = %s AND id IN ({ids}) AND {fence}"
    SENT = (
        "UPDATE comms_outboxemail SET status = %s, last_error = '', sealed = '',"
        " sent_at = CASE id {cases} END, esp_message_id = CASE id {cases} END"
        " WHERE status IN (%s, %s) AND id IN ({ids}) AND {fence}"
    )
    RELEASED = (
        "UPDATE comms_outboxemail SET status = %s, claimed_at = NULL, send_started_at = NULL, attempts = attempts - 1"
        " WHERE status = %s AND id IN ({ids}) AND {fence}"
    )
    HELD = "SELECT id FROM comms_outboxemail WHERE id IN ({ids}) AND {fence} AND {condition}"

    def __init__(self, cursor, durability: _Durability) -> None:
        self.cursor = cursor
        self.durability = durability
        self.adapt = db_connection.ops.adapt_datetimefield_value
        self.waiting: list[tuple[OutboxEmail, datetime, str]] = []

    def _named(self, emails: Sequence[OutboxEmail]) -> tuple[dict[str, str], list[Any]]:
        """SQL naming ``emails`` by id, each only as long as its claim is this worker's, and its parameters.

        ``cases`` is the ``WHEN id THEN value`` list a per-row value is chosen by, one pair per email.
        """
        cases = " ".join("WHEN %s THEN %s" for _ in emails)
        sql = {
            "ids": ", ".join("%s" for _ in emails),
            "fence": f"attempts = CASE id {cases} END AND claimed_at = CASE id {cases} END",
            "cases": cases,
        }
        parameters = [email.pk for email in emails]
        parameters += [value for email in emails for value in (email.pk, email.attempts)]
        parameters += [value for email in emails for value in (email.pk, self.adapt(email.claimed_at))]
        return sql, parameters

    def started(self, email: OutboxEmail, at: datetime) -> bool:
        """Mark ``email`` handed to the ESP (on disk for client mail); False when this worker no longer holds it."""
        if email.send_started_at is not None:
            return True  # marked by its claim
        self.flush()
        sql, named = self._named([email])
        started_at = self.adapt(at)
        with nullcontext() if resent_after_a_crash(email) else self.durability.flushed():
            self.cursor.execute(self.STARTED.format(**sql), [started_at, Status.SENDING.value, *named])
            marked = self.cursor.rowcount  # before the setting goes back, which is a statement too
        if not self._reached([email], marked, "send_started_at = %s", started_at):
            logger.warning("Outbox email %s is no longer claimed by this worker; not sent.", email.pk)
            return False
        email.send_started_at = at
        return True

    def sent(self, email: OutboxEmail, at: datetime, esp_message_id: str) -> None:
        """Note the row sent; written by ``flush``. "attention" too: reclaimed while this worker was slow, it left."""
        self.waiting.append((email, at, esp_message_id))
        if len(self.waiting) >= MARKS_PER_STATEMENT:
            self.flush()

    def flush(self) -> None:
        """Write the ``sent`` marks waiting, in one statement."""
        if not self.waiting:
            return
        waiting, self.waiting = self.waiting, []
        emails = [email for email, _, _ in waiting]
        sql, named = self._named(emails)
        sent_at = [value for email, at, _ in waiting for value in (email.pk, self.adapt(at))]
        esp_message_ids = [value for email, _, esp_message_id in waiting for value in (email.pk, esp_message_id)]
        held = [Status.SENDING.value, Status.NEEDS_ATTENTION.value]
        parameters = [Status.SENT.value, *sent_at, *esp_message_ids, *held, *named]
        self.cursor.execute(self.SENT.format(**sql), parameters)
        reached = self._reached(emails, self.cursor.rowcount, "status = %s", Status.SENT.value)
        for email in set(emails).difference(reached):
            logger.warning("Outbox email %s was sent but was no longer marked sending.", email.pk)

    def release(self, emails: Sequence[OutboxEmail]) -> None:
        """Give ``emails``, claimed and not sent, back to the queue as they were: the claim was not an attempt."""
        self.flush()
        if not emails:
            return
        sql, named = self._named(emails)
        self.cursor.execute(self.RELEASED.format(**sql), [Status.QUEUED.value, Status.SENDING.value, *named])
        for email in self._reached(emails, self.cursor.rowcount, "status = %s", Status.QUEUED.value):
            email.status, email.claimed_at, email.send_started_at = Status.QUEUED, None, None
            email.attempts -= 1

    def _reached(self, emails: Sequence[OutboxEmail], marked: int, condition: str, value: Any) -> Sequence[OutboxEmail]:
        """The ``emails`` a mark reached (``marked`` rows): all of them, or those read back by ``condition``."""
        if marked == len(emails):
            return emails
        sql, named = self._named(emails)
        self.cursor.execute(self.HELD.format(condition=condition, **sql), [*named, value])
        reached = {pk for (pk,) in self.cursor.fetchall()}
        return [email for email in emails if email.pk in reached]


class _Durability:
    """Whether a commit waits for the disk: relaxed for the batch's hand-over marks, flushed where it matters.

    A committed write survives the worker's death as soon as the database has it (SQLite's WAL file,
    PostgreSQL's memory); waiting for a disk flush per mark would cost more than the send. Only a crash
    of the database or its machine can lose an unflushed commit, and the next flushed one (the next
    claim, any other write) takes it to the disk. So the marks are relaxed except the one that keeps
    client mail from being resent silently: ``started`` for any email ``reclaim_stuck`` would not send
    again on its own (``resent_after_a_crash``) is flushed. Losing any other mark only means freelancer
    mail goes again, which ``FREELANCER_KINDS`` accepts, or client mail waits in "needs attention".
    """

    def __init__(self, cursor) -> None:
        self.cursor = cursor
        self.relax = self.restore = ""
        if db_connection.in_atomic_block:
            return  # inside a transaction its commit decides, not ours
        if db_connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous")
            (previous,) = cursor.fetchone()
            self.relax, self.restore = "PRAGMA synchronous = NORMAL", f"PRAGMA synchronous = {int(previous)}"
        elif db_connection.vendor == "postgresql":
            cursor.execute("SHOW synchronous_commit")
            (previous,) = cursor.fetchone()
            if previous not in {"on", "off", "local", "remote_write", "remote_apply"}:
                previous = "on"
            self.relax, self.restore = "SET synchronous_commit TO off", f"SET synchronous_commit TO {previous}"

    def _set(self, statement: str) -> None:
        if statement:
            self.cursor.execute(statement)

    @contextmanager
    def relaxed(self) -> Iterator[None]:
        self._set(self.relax)
        try:
            yield
        finally:
            self._set(self.restore)

    @contextmanager
    def flushed(self) -> Iterator[None]:
        """Inside ``relaxed``: this one commit waits for the disk."""
        self._set(self.restore)
        try:
            yield
        finally:
            self._set(self.relax)


def resent_after_a_crash(email: OutboxEmail) -> bool:
    """Mail ``reclaim_stuck`` sends again whatever its marks say: the freelancer's own, with no client."""
    return email.kind in FREELANCER_KINDS and email.client_id is None


def send_claimed(email: OutboxEmail, *, connection: BaseEmailBackend | None = None) -> bool:
    """Send one row this worker claimed; True when it left (``send_batch`` for several)."""
    return len(send_batch([email], connection=connection)) == 1


def send_batch(
    emails: list[OutboxEmail], *, connection: BaseEmailBackend | None = None, deadline: float | None = None
) -> list[OutboxEmail]:
    """Send rows this worker claimed over one backend connection; returns those that left.

    Past ``deadline`` (``time.monotonic()``) the emails not yet sent go back to the queue, so that a
    large batch behind a slow email provider still ends inside the task's time limit.

    What the batch needs is read before the first send: the client each email reached (the
    freelancer's own mail reaches none) and what its conversation log refers to. Then each email
    goes with its hand-over marks (``_HandoverMarks``), and is filed in its conversation when it
    went to a client. A message that cannot be built or sent is rescheduled or failed with its
    error (``_record_failure``); the others go on.
    """
    clients = conversation.clients_reached([email for email in emails if not resent_after_a_crash(email)])
    prefetch_related_objects(
        [email for email in emails if email.pk in clients], "studio", "project", "reply_to_message"
    )
    backend = connection
    if backend is None:
        try:
            backend = get_connection(settings.OUTBOX_DELIVERY_BACKEND)
            backend.open()
        except Exception as error:
            for email in emails:
                _record_failure(email, error)
            return []
    sent = []
    try:
        with db_connection.cursor() as cursor:
            durability = _Durability(cursor)
            with durability.relaxed():
                marks = _HandoverMarks(cursor, durability)
                try:
                    for index, email in enumerate(emails):
                        if deadline is not None and time.monotonic() >= deadline:
                            marks.release(emails[index:])
                            break
                        if not (marks.started(email, timezone.now()) and _hand_over(email, backend, marks)):
                            continue
                        sent.append(email)
                        client = clients.get(email.pk)
                        if client is not None:
                            marks.flush()
                        _log_in_conversation(email, client)
                finally:
                    marks.flush()
    finally:
        if connection is None:
            try:
                backend.close()
            except Exception:
                logger.warning("Could not close the email backend connection.", exc_info=True)
    return sent


def _hand_over(email: OutboxEmail, backend: BaseEmailBackend, marks: _HandoverMarks) -> bool:
    """Build and send an email marked started, then note it sent; True when it left. Errors reschedule or fail it."""
    try:
        message = build_message(email, connection=backend)
        message.send()
    except Exception as error:
        _record_failure(email, error)
        return False
    now = timezone.now()
    esp_message_id = _esp_message_id(message)
    marks.sent(email, now, esp_message_id)
    email.status, email.sent_at, email.esp_message_id, email.last_error = Status.SENT, now, esp_message_id, ""
    email.sealed = ""
    return True


def _esp_message_id(message: EmailMultiAlternatives) -> str:
    """anymail's id for the sent message (tracking events find the row by it); empty for other backends.

    anymail gives a set when recipients got different ids (batch sends, which the outbox does not
    use); the first is kept so that tracking still matches that recipient's events.
    """
    status = getattr(message, "anymail_status", None)
    message_id = getattr(status, "message_id", None)
    if isinstance(message_id, set):
        message_id = min((str(part) for part in message_id), default=None)
    if message_id is None:
        return ""
    return str(message_id)[: OutboxEmail._meta.get_field("esp_message_id").max_length]


def _log_in_conversation(email: OutboxEmail, client: Client | None) -> None:
    """File the sent email in its client's thread. A failure here is logged: the email already left."""
    try:
        conversation.file_sent_email(email, client)
    except Exception:
        logger.exception("Outbox email %s was sent but could not be logged in its conversation.", email.pk)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt."""
    return RETRY_DELAYS[min(max(attempts, 1), len(RETRY_DELAYS)) - 1]


def outcome_unknown(error: BaseException) -> bool:
    """True when the email went to the provider and no answer came in time: it may have left.

    A read timeout, not a refused or timed-out connection (nothing was sent then). Client mail in
    that state waits for the freelancer, like an interrupted send (see ``reclaim_stuck``).
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, RequestsConnectionError | ConnectionRefusedError):
            return False
        if isinstance(current, ReadTimeout | TimeoutError):
            return True
        current = current.__cause__ or current.__context__
    return False


def _record_failure(email: OutboxEmail, error: BaseException) -> None:
    """Reschedule with backoff, or fail for good when the error is permanent or attempts are used up."""
    now = timezone.now()
    description = _describe(error)
    permanent = isinstance(error, PERMANENT_ERRORS)
    mine = _this_claim(email).filter(status=Status.SENDING)
    settled = {"last_error": description, "claimed_at": None, "send_started_at": None}
    if not permanent and outcome_unknown(error) and not resent_after_a_crash(email):
        note = (
            f"The email provider did not answer in time ({description}), so it may or may not have left. Rapport "
            "will not send it again on its own: if it reached the recipients, mark it as sent; if not, send it "
            "again; or cancel it."
        )
        mine.update(status=Status.NEEDS_ATTENTION, last_error=note, claimed_at=None)
        email.status, email.last_error, email.claimed_at = Status.NEEDS_ATTENTION, note, None
        logger.error("Outbox email %s: the email provider did not answer in time; it needs attention.", email.pk)
        return
    if permanent or email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        mine.update(status=Status.FAILED, **settled)
        email.status = Status.FAILED
        logger.error("Outbox email %s failed after %s attempt(s): %s", email.pk, email.attempts, description)
    else:
        send_after = now + retry_delay(email.attempts)
        mine.update(status=Status.QUEUED, send_after=send_after, **settled)
        email.status, email.send_after = Status.QUEUED, send_after
        logger.warning(
            "Outbox email %s: attempt %s failed, next at %s: %s", email.pk, email.attempts, send_after, description
        )
    email.last_error, email.claimed_at, email.send_started_at = description, None, None


def reclaim_stuck(now: datetime | None = None) -> int:
    """Settle rows left in ``sending`` longer than ``OUTBOX_SENDING_TIMEOUT``: their worker is gone.

    * Never handed to the ESP (``send_started_at`` empty): back in the queue as they were; the
      claim does not count as an attempt.
    * Handed to the ESP, never marked sent: it may or may not have left. Freelancer mail
      (``FREELANCER_KINDS``, no client linked; marked started by its claim) is queued again, with
      the same Message-ID, the claim counted as an attempt; anything else becomes ``attention``
      with an explanation, and the freelancer decides on the Outbox page (send again, mark as
      sent, or cancel). It is never resent on its own.
    * Rows out of attempts fail instead of going back to the queue.

    Why a timeout, and not "every row claimed before this worker started": several workers on
    several machines share the database, and nothing in a row says whose claim is still alive.
    A row older than the timeout belongs to no live task, because the timeout is kept above
    ``CELERY_TASK_TIME_LIMIT`` (after which Celery kills a task). ``deliver_due`` runs this on
    every tick and each worker once at start-up (``crm.celery``); the claim is fenced by
    (attempts, claimed_at), so a worker that was merely slow cannot send a row someone else now holds.
    """
    now = now or timezone.now()
    timeout = settings.OUTBOX_SENDING_TIMEOUT
    stuck = OutboxEmail.objects.filter(status=Status.SENDING, claimed_at__lt=now - timedelta(seconds=timeout))
    worn_out = {"attempts__gte": settings.OUTBOX_MAX_ATTEMPTS}
    when = f"{now:%Y-%m-%d %H:%M} UTC"
    released = {"claimed_at": None, "send_started_at": None}

    not_started = stuck.filter(send_started_at__isnull=True)
    requeued = not_started.update(status=Status.QUEUED, attempts=Greatest(F("attempts") - 1, Value(0)), **released)

    in_flight = stuck.filter(send_started_at__isnull=False)
    for_freelancer = in_flight.filter(RESENT_AFTER_A_CRASH)
    interrupted = f"Found interrupted at {when}: the worker stopped while handing this email to the email provider"
    resend_note = (
        f"Found interrupted at {when}: the worker stopped while sending it. "
        "A reminder to you, so it goes again (it may arrive twice)."
    )
    failed = for_freelancer.filter(**worn_out).update(status=Status.FAILED, last_error=resend_note, **released)
    resent = for_freelancer.update(status=Status.QUEUED, last_error=resend_note, **released)
    attention = in_flight.update(
        status=Status.NEEDS_ATTENTION,
        last_error=(
            f"{interrupted}, so it may or may not have left. Rapport will not send it again on its own: "
            "if it reached the recipients, mark it as sent; if not, send it again; or cancel it."
        ),
    )
    if requeued or failed or resent:
        logger.warning(
            "Outbox: %s email(s) left by a stopped worker queued again, %s resent, %s failed for good.",
            requeued, resent, failed,
        )  # fmt: skip
    if attention:
        logger.error("Outbox: %s email(s) were interrupted while being sent; they need attention.", attention)
    return requeued + failed + resent + attention


def deliver_due(now: datetime | None = None, batch: int = BATCH_SIZE, *, time_budget: float | None = None) -> int:
    """Reclaim stuck rows, then claim and send due rows in batches until none is due; returns how many left.

    Safe to run in several workers at once. ``time_budget`` (seconds) stops sending after that
    long, inside a batch too, so a task ends inside its time limit however slow the email provider
    is; the rest goes at the next tick.
    """
    reclaim_stuck(now)
    deadline = time.monotonic() + time_budget if time_budget is not None else None
    sent = 0
    while claimed := claim_due(now, limit=batch):
        sent += len(send_batch(claimed, deadline=deadline))
        if deadline is not None and time.monotonic() >= deadline:
            break
    return sent


# --- The freelancer's actions ---------------------------------------------------------------------


def cancel(email: OutboxEmail) -> bool:
    """Undo: a queued email (cooling off or scheduled), or one that needs attention, will not leave.

    False when it is already on its way or done.
    """
    done = (
        OutboxEmail.objects.filter(pk=email.pk, status__in=[Status.QUEUED, Status.NEEDS_ATTENTION]).update(
            status=Status.CANCELLED, claimed_at=None
        )
        == 1
    )
    email.refresh_from_db()
    return done


def retry(email: OutboxEmail, *, now: datetime | None = None) -> bool:
    """Queue a failed, cancelled or interrupted ("needs attention") email again, due now, with fresh attempts.

    It keeps its Message-ID, so a mail program that already got an interrupted copy shows one.
    A cooled-off email keeps asking for confirmation: retrying is not confirming.
    """
    now = now or timezone.now()
    done = (
        OutboxEmail.objects.filter(
            pk=email.pk, status__in=[Status.FAILED, Status.CANCELLED, Status.NEEDS_ATTENTION]
        ).update(status=Status.QUEUED, send_after=now, attempts=0, last_error="", claimed_at=None, send_started_at=None)
        == 1
    )
    return _after_action(email, done)


def mark_sent(email: OutboxEmail) -> bool:
    """The freelancer found that an interrupted email did leave: it is sent, as of when it was handed over.

    It is filed in its client's conversation like any sent email; it will not be sent again.
    """
    done = (
        OutboxEmail.objects.filter(pk=email.pk, status=Status.NEEDS_ATTENTION).update(
            status=Status.SENT,
            sent_at=Coalesce(F("send_started_at"), F("claimed_at"), Value(timezone.now())),
            last_error="",
            claimed_at=None,
            sealed="",
        )
        == 1
    )
    email.refresh_from_db()
    if done:
        _log_in_conversation(email, conversation.clients_reached([email]).get(email.pk))
    return done


def confirm(email: OutboxEmail, *, now: datetime | None = None) -> bool:
    """The freelancer confirms a cooled-off email once more: it leaves now."""
    now = now or timezone.now()
    done = (
        OutboxEmail.objects.filter(pk=email.pk, status=Status.QUEUED, confirm_before_sending=True).update(
            confirm_before_sending=False, send_after=Least(F("send_after"), Value(now, output_field=DateTimeField()))
        )
        == 1
    )
    return _after_action(email, done)


def send_now(email: OutboxEmail, *, now: datetime | None = None) -> bool:
    """Skip the wait (quiet hours, send later, cool-off): a queued email leaves now."""
    now = now or timezone.now()
    done = (
        OutboxEmail.objects.filter(pk=email.pk, status=Status.QUEUED).update(
            send_after=now, confirm_before_sending=False
        )
        == 1
    )
    return _after_action(email, done)


def _after_action(email: OutboxEmail, done: bool) -> bool:
    email.refresh_from_db()
    if done and is_due(email):
        transaction.on_commit(kick_delivery)
    return done


# --- Presentation -------------------------------------------------------------------------------


def state_of(email: OutboxEmail, now: datetime) -> str:
    """What the outbox page says about a row: cooling_off, awaiting_confirmation, scheduled, due, or its status."""
    if email.status != Status.QUEUED:
        return email.status
    if email.confirm_before_sending:
        return "cooling_off" if email.send_after > now else "awaiting_confirmation"
    return "scheduled" if email.send_after > now else "due"


def rendered_headers(email: OutboxEmail) -> list[tuple[str, str]]:
    """The headers the email carries when it leaves (Date is the time of rendering; Bcc is never a header)."""
    return [(name, str(value)) for name, value in build_message(email).message().items()]

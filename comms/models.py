"""Client mail in and out: threads, messages, the outbox, templates, commitments and mail sources."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from comms.kinds import kind_label
from kernel.models import Studio, StudioScopedQuerySet


class MailboxEmail(models.Model):
    """An email as the default (development) backend captured it instead of sending it.

    Lets a newcomer read every email Rapport sends on the Outbox page without
    configuring an ESP. With a real ESP configured, nothing is written here.
    """

    studio = models.ForeignKey(Studio, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    from_email = models.CharField(max_length=320)
    to = models.TextField(help_text="Comma-separated recipients (To, Cc and Bcc).")
    subject = models.CharField(max_length=998)
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    captured_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)

    objects = StudioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-captured_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"


class RawEmail(models.Model):
    """An inbound RFC 5322 message exactly as it arrived, stored before parsing so a failure can be replayed."""

    class Source(models.TextChoices):
        WEBHOOK = "webhook", _("ESP webhook")
        PIPE = "pipe", _("mail server pipe")
        IMAP = "imap", _("IMAP mailbox")
        FORM = "form", _("inquiry form")
        REPLAY = "replay", _("replay")

    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        PARSED = "parsed", _("parsed")
        FAILED = "failed", _("failed to parse")

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=10, choices=Source, default=Source.PIPE)
    raw = models.BinaryField()
    received_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status, default=Status.RECEIVED)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = StudioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["studio", "status"], name="rawemail_studio_status")]

    def __str__(self) -> str:
        return f"raw {self.source} {self.received_at:%Y-%m-%d %H:%M} ({self.status})"


class WebhookPayload(models.Model):
    """A webhook request body as it arrived, kept whatever happens so it can be replayed."""

    class Kind(models.TextChoices):
        INBOUND = "inbound", _("inbound mail")
        TRACKING = "tracking", _("delivery tracking")

    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        PROCESSED = "processed", _("processed")
        FAILED = "failed", _("failed")

    esp = models.CharField(max_length=30)
    kind = models.CharField(max_length=10, choices=Kind)
    content_type = models.CharField(max_length=200, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    body = models.BinaryField()
    status = models.CharField(max_length=10, choices=Status, default=Status.RECEIVED)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    studio = models.ForeignKey(
        Studio,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The studio its inbound mail is addressed to, once known: its failures show on Mail sources.",
    )

    class Meta:
        ordering = ["-received_at", "-pk"]
        # The stranded sweep reads the oldest still "received": without it, every tick walks the processed ones first.
        indexes = [models.Index(fields=["status", "received_at"], name="webhookpayload_status_received")]

    def __str__(self) -> str:
        return f"{self.esp} {self.kind} webhook ({self.status})"


class Thread(models.Model):
    """One conversation with a client (optionally about one project). ``client`` is empty while unmatched."""

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="threads")
    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="threads"
    )
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="threads"
    )
    subject = models.CharField(max_length=998, blank=True)
    subject_key = models.CharField(max_length=200, blank=True, help_text="Normalized subject used to join replies.")
    last_message_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = StudioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        indexes = [
            models.Index(fields=["studio", "client", "subject_key"], name="thread_subject_lookup"),
            models.Index(fields=["studio", "-last_message_at"], name="thread_recent"),
        ]

    def __str__(self) -> str:
        return self.subject or f"thread {self.pk}"


class MessageQuerySet(StudioScopedQuerySet):
    def open_clocks(self) -> MessageQuerySet:
        """Inbound messages still owed a reply: served by the partial index ``message_open_clock``."""
        return self.filter(needs_reply=True, replied_at__isnull=True)

    def open_clock_due_times(self) -> list[datetime]:
        """The due times of the open clocks, soonest first: counts and breaches without a COUNT(*).

        Ordered by ``reply_due_at`` so every planner walks the partial index and the cost follows
        the open clocks only; asked for a bare COUNT(*), SQLite's planner picks another index and
        reads the studio's whole history (1 s at a million messages).
        """
        return list(self.open_clocks().order_by("reply_due_at").values_list("reply_due_at", flat=True))


class Message(models.Model):
    """One email (or logged call) between the studio and a client, in either direction."""

    class Direction(models.TextChoices):
        INBOUND = "in", _("received")
        OUTBOUND = "out", _("sent")

    class Channel(models.TextChoices):
        EMAIL = "email", _("email")
        CALL = "call", _("call")
        MEETING = "meeting", _("meeting")
        NOTE = "note", _("other")
        PORTAL = "portal", _("client portal")
        SURVEY = "survey", _("survey answer")

    class AutomaticReason(models.TextChoices):
        """The values ``comms.parsing.automatic_reason`` stores, with labels for people.

        Not the field's ``choices``: older rows may hold other values, shown as they are.
        """

        AUTO_REPLY = "auto-reply", pgettext_lazy("automatic mail", "auto-reply")
        AUTO_GENERATED = "auto-generated", pgettext_lazy("automatic mail", "auto-generated")
        BOUNCE = "bounce", pgettext_lazy("automatic mail", "bounce")
        BULK = "bulk", pgettext_lazy("automatic mail", "bulk mail")
        LIST = "list", pgettext_lazy("automatic mail", "mailing list")

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="messages")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    direction = models.CharField(max_length=3, choices=Direction)
    channel = models.CharField(max_length=10, choices=Channel, default=Channel.EMAIL)
    from_email = models.CharField(max_length=320, blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    to = models.JSONField(default=list, blank=True)
    cc = models.JSONField(default=list, blank=True)
    bcc = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=998, blank=True)
    text = models.TextField(blank=True, help_text="The full plain text, quoted history included.")
    text_new = models.TextField(blank=True, help_text="The text without quoted history, for display.")
    safe_html = models.TextField(blank=True, help_text="HTML sanitized by nh3: safe to show.")
    sent_at = models.DateTimeField(help_text="When it was received (inbound) or sent (outbound).")
    message_id = models.CharField(max_length=998, blank=True, db_index=True)
    in_reply_to = models.CharField(max_length=998, blank=True)
    references = models.TextField(blank=True)
    attachments = models.JSONField(default=list, blank=True, help_text="[{name, size, content_type}]")
    is_automatic = models.BooleanField(default=False, help_text="Auto-reply, bounce or list mail: no clock.")
    automatic_reason = models.CharField(max_length=60, blank=True)
    is_urgent = models.BooleanField(default=False)
    needs_reply = models.BooleanField(default=False, help_text="A reply clock started for this message.")
    reply_due_at = models.DateTimeField(null=True, blank=True)
    reply_warn_at = models.DateTimeField(
        null=True, blank=True, help_text="When the freelancer is warned (a share of the SLA elapsed)."
    )
    replied_at = models.DateTimeField(null=True, blank=True, help_text="When the clock stopped.")
    replied_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    raw_email = models.OneToOneField(RawEmail, null=True, blank=True, on_delete=models.SET_NULL, related_name="message")
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-pk"]
        indexes = [
            models.Index(
                fields=["studio", "reply_due_at"],
                name="message_open_clock",
                condition=Q(needs_reply=True, replied_at__isnull=True),
            ),
            # The reminder sweeps look across studios for clocks whose warning or breach time has come.
            models.Index(
                fields=["reply_warn_at"],
                name="message_clock_warn",
                condition=Q(needs_reply=True, replied_at__isnull=True),
            ),
            models.Index(
                fields=["reply_due_at"],
                name="message_clock_due",
                condition=Q(needs_reply=True, replied_at__isnull=True),
            ),
            models.Index(fields=["studio", "client", "direction", "sent_at"], name="message_client_time"),
            models.Index(fields=["thread", "sent_at"], name="message_thread_time"),
            # The inbox's "Automatic" tab: its page, newest first, and its count read only automatic mail.
            models.Index(fields=["studio", "sent_at"], name="message_automatic", condition=Q(is_automatic=True)),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "message_id"], condition=~Q(message_id=""), name="message_unique_message_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()}: {self.subject}"

    @property
    def automatic_reason_label(self) -> str:
        """Why the mail is automatic, in the active language ("auto-reply" → "автоответ")."""
        try:
            return self.AutomaticReason(self.automatic_reason).label
        except ValueError:
            return self.automatic_reason

    @property
    def is_open(self) -> bool:
        return self.needs_reply and self.replied_at is None


class OutboxEmail(models.Model):
    """One outgoing email. Nothing leaves Rapport any other way; ``send_after`` carries quiet hours and cool-off."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("scheduled")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")
        NEEDS_ATTENTION = "attention", _("needs attention")

    studio = models.ForeignKey(Studio, null=True, blank=True, on_delete=models.CASCADE, related_name="outbox")
    kind = models.CharField(max_length=40, default="email", help_text="reply, acknowledgment, digest, account…")
    template = models.CharField(max_length=80, blank=True)
    idempotency_key = models.CharField(max_length=200, default=uuid.uuid4)
    from_email = models.CharField(max_length=320)
    to = models.JSONField(default=list)
    cc = models.JSONField(default=list, blank=True)
    bcc = models.JSONField(default=list, blank=True)
    reply_to = models.JSONField(default=list, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    subject = models.CharField(max_length=998)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    attachments = models.JSONField(
        default=list,
        blank=True,
        help_text=(
            "[{filename, mimetype, content}] for text (an .ics); [{filename, mimetype, content_b64, size}] for "
            "bytes (a PDF)."
        ),
    )
    sealed = models.TextField(
        blank=True, help_text="Secrets masked in the text (a portal link's token), encrypted; wiped once sent."
    )
    send_after = models.DateTimeField(default=timezone.now)
    confirm_before_sending = models.BooleanField(
        default=False, help_text="Cooling off: waits for the freelancer to confirm once more."
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    send_started_at = models.DateTimeField(
        null=True, blank=True, help_text="Set just before the ESP call: a row left with it was in flight."
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id_header = models.CharField(max_length=998, blank=True, help_text="The Message-ID we sent.")
    esp_message_id = models.CharField(max_length=200, blank=True, db_index=True)
    delivery_status = models.CharField(max_length=20, blank=True, help_text="From ESP tracking: delivered, bounced…")
    delivery_detail = models.TextField(blank=True)
    client = models.ForeignKey("clients.Client", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    project = models.ForeignKey("projects.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reply_to_message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="The mail answered."
    )
    message = models.OneToOneField(
        Message,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outbox_email",
        help_text="The outbound Message logged once sent.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = StudioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-send_after", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["studio", "idempotency_key"], name="outbox_idempotency_per_studio"),
        ]
        indexes = [
            models.Index(
                fields=["send_after"],
                name="outbox_due",
                condition=Q(status="queued", confirm_before_sending=False),
            ),
            models.Index(fields=["status", "claimed_at"], name="outbox_status_claimed"),
            models.Index(fields=["studio", "status", "-send_after"], name="outbox_studio_status"),
            # The answer queued to a message, as each owed line of the inbox looks it up.
            models.Index(fields=["reply_to_message", "status", "send_after"], name="outbox_queued_answer"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)} ({self.status})"

    @property
    def recipients(self) -> list[str]:
        return [*self.to, *self.cc, *self.bcc]

    @property
    def kind_label(self) -> str:
        """The kind in words, translated (``comms.kinds``)."""
        return kind_label(self.kind)


class EmailTemplate(models.Model):
    """A studio's own version of a built-in template (``comms.email_templates.BUILTIN``), or a new one."""

    class Language(models.TextChoices):
        EN = "en", "English"
        RU = "ru", "Русский"

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="email_templates")
    key = models.SlugField(max_length=40)
    language = models.CharField(max_length=5, choices=Language, default=Language.EN)
    name = models.CharField(max_length=120)
    subject = models.CharField(max_length=300)
    body = models.TextField(help_text="Plain text with {{ placeholders }}; a “Next steps:” block renders bold.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = StudioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["key", "language"]
        constraints = [
            models.UniqueConstraint(fields=["studio", "key", "language"], name="email_template_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"


class Commitment(models.Model):
    """A promise made in an acknowledgment: the full answer by ``promised_by``. Tracked like a reply clock."""

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="commitments")
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="commitments")
    message = models.ForeignKey(
        Message,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="commitments",
        help_text="The client's message the promise answers.",
    )
    outbox_email = models.ForeignKey(
        OutboxEmail,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="commitments",
        help_text="The acknowledgment that made the promise.",
    )
    description = models.CharField(max_length=300)
    promised_by = models.DateTimeField()
    warn_at = models.DateTimeField(null=True, blank=True, help_text="When the freelancer is reminded of the promise.")
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    fulfilled_by = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # When the promise was made: a reply sent after it fulfils it (see conversation.fulfil_commitments).
    created_at = models.DateTimeField(default=timezone.now)

    objects = StudioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["promised_by", "pk"]
        indexes = [
            models.Index(
                fields=["studio", "promised_by"], name="commitment_open", condition=Q(fulfilled_at__isnull=True)
            ),
            # The reminder sweeps look across studios for promises whose warning or deadline has come.
            models.Index(fields=["warn_at"], name="commitment_warn", condition=Q(fulfilled_at__isnull=True)),
            models.Index(fields=["promised_by"], name="commitment_due", condition=Q(fulfilled_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.description} by {self.promised_by:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if self.warn_at is None and self.promised_by is not None:
            # The same share of the time promised as the studio's reply-clock warning.
            start = self.created_at or timezone.now()
            self.warn_at = start + (self.promised_by - start) * (self.studio.reply_warning_percent / 100)
        super().save(*args, **kwargs)


class ImapAccount(models.Model):
    """A mailbox Rapport polls for client mail. The password is stored encrypted (``comms.secrets``)."""

    studio = models.OneToOneField(Studio, on_delete=models.CASCADE, related_name="imap_account")
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(default=993)
    security = models.CharField(
        max_length=10,
        choices=[("ssl", "SSL/TLS"), ("starttls", "STARTTLS"), ("none", _("none (loopback only)"))],
        default="ssl",
    )
    username = models.CharField(max_length=255)
    password_encrypted = models.TextField(blank=True)
    folder = models.CharField(max_length=255, default="INBOX")
    enabled = models.BooleanField(default=True)
    uid_validity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.username}@{self.host}/{self.folder}"

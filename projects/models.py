"""Projects and everything that keeps them honest: milestones, deadlines, deposits, updates."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, F, Q, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from kernel.models import Studio, StudioScopedQuerySet
from kernel.tokens import hash_token, new_token


class Project(models.Model):
    class Status(models.TextChoices):
        LEAD = "lead", _("Lead")
        QUOTED = "quoted", _("Quoted")
        AWAITING_DEPOSIT = "awaiting_deposit", _("Awaiting deposit")
        IN_PROGRESS = "in_progress", _("In progress")
        IN_REVIEW = "in_review", _("In review")
        WAITING_ON_CLIENT = "waiting_on_client", _("Waiting on client")
        LAUNCHED = "launched", _("Launched")
        COMPLETED = "completed", _("Completed")
        ON_HOLD = "on_hold", _("On hold")
        CANCELLED = "cancelled", _("Cancelled")

    # Work is under way in these: they get a Friday update (R2).
    # A tuple, not a set: ``active_deadline_on``'s expression is written into a migration, and a set's
    # order changes from run to run.
    ACTIVE_STATUSES = (Status.IN_PROGRESS, Status.IN_REVIEW, Status.WAITING_ON_CLIENT)

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="projects")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="projects")
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.LEAD)

    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    quote_low_minor = models.BigIntegerField(_("quote from"), null=True, blank=True)
    quote_high_minor = models.BigIntegerField(_("quote up to"), null=True, blank=True)
    price_minor = models.BigIntegerField(_("agreed price"), null=True, blank=True)
    deposit_percent = models.PositiveSmallIntegerField(_("deposit (%)"), null=True, blank=True)
    deposit_amount_minor = models.BigIntegerField(_("deposit (amount)"), null=True, blank=True)
    deposit_override_reason = models.CharField(_("started without deposit because"), max_length=300, blank=True)
    deposit_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deposit_override_at = models.DateTimeField(null=True, blank=True)
    deposit_requested_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the project started waiting for its deposit (R11)."
    )

    start_on = models.DateField(_("start"), null=True, blank=True)
    deadline_on = models.DateField(_("deadline"), null=True, blank=True)
    # The deadline while work is under way, else null; kept by the database. Today reads the soonest
    # in order from one index where three status ranges had to be merged and sorted: a partial index
    # on the active statuses would do, but SQLite cannot match its condition to bound parameters.
    active_deadline_on = models.GeneratedField(
        expression=Case(When(status__in=ACTIVE_STATUSES, then=F("deadline_on"))),
        output_field=models.DateField(),
        db_persist=True,
    )
    deliverables = models.TextField(
        _("deliverables and their format"), blank=True, help_text=_("e.g. home + 4 inner page mock-ups as Figma files")
    )
    scope = models.TextField(_("scope"), blank=True)
    extras_policy = models.TextField(
        _("what counts as extra"),
        blank=True,
        default="Anything outside the scope above is extra work, quoted and billed separately.",
    )

    # The agreement the client accepts in the portal (R11, R13).
    agreement_accepted_at = models.DateTimeField(null=True, blank=True)
    agreement_accepted_name = models.CharField(max_length=200, blank=True)
    agreement_accepted_email = models.EmailField(blank=True)
    agreement_accepted_ip = models.GenericIPAddressField(null=True, blank=True)

    # Local dates the project was under way, for "active on that week's Friday" (R2).
    active_from = models.DateField(null=True, blank=True, editable=False)
    active_until = models.DateField(null=True, blank=True, editable=False)
    maintenance_offer_draft = models.TextField(_("maintenance offer (draft)"), blank=True)
    launched_on = models.DateField(null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True)
    friday_auto_send = models.BooleanField(
        _("send the Friday update draft to the client automatically"),
        default=False,
        help_text=_("At the Friday reminder hour, the week's draft goes out unless you already wrote that week."),
    )

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StudioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["deadline_on", "title"]
        indexes = [
            models.Index(fields=["studio", "status"], name="project_studio_status"),
            # Today's deadlines, soonest first (the id breaks ties), without a look at finished projects.
            models.Index(fields=["studio", "active_deadline_on", "id"], name="project_studio_active_deadline"),
            # Today's longest-waiting deposits, read in this order (``services.projects_awaiting_deposit``) to the
            # tie-breaks: projects accepted at the same moment (an import, a batch) are not sorted each time.
            models.Index(
                F("studio"),
                F("status"),
                Coalesce("agreement_accepted_at", "created_at"),
                F("title"),
                F("id"),
                name="project_waiting_order",
            ),
            # The reminder sweeps look across studios for what is due (kernel.sweeps). Not a partial index
            # on the active statuses: SQLite cannot match its condition to the sweep's bound parameters.
            models.Index(fields=["status", "deadline_on"], name="project_status_deadline"),
            models.Index(
                fields=["deposit_requested_at"], name="project_awaiting_deposit", condition=Q(status="awaiting_deposit")
            ),
            models.Index(fields=["completed_on"], name="project_completed", condition=Q(status="completed")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_on__isnull=True)
                | Q(deadline_on__isnull=True)
                | Q(deadline_on__gte=models.F("start_on")),
                name="project_deadline_after_start",
            ),
            models.CheckConstraint(
                condition=Q(deposit_percent__isnull=True) | Q(deposit_percent__lte=100), name="project_deposit_percent"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def deposit_due_minor(self) -> int:
        """The deposit asked for: a fixed amount, else a percentage of the agreed price."""
        if self.deposit_amount_minor is not None:
            return self.deposit_amount_minor
        if self.deposit_percent is not None and self.price_minor is not None:
            return self.price_minor * self.deposit_percent // 100
        return 0

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class Milestone(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("title"), max_length=200)
    due_on = models.DateField(_("due"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "due_on", "pk"]
        # In Today's order (the id breaks ties), so the soonest come without a sort; with the project,
        # counting the open milestones due soon needs no visit to their rows.
        indexes = [
            models.Index(
                fields=["due_on", "id", "project"], name="milestone_open_due_order", condition=Q(done_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return self.title


class ActionItem(models.Model):
    """Something someone has to do; the client's open items are their "Next steps" (R3)."""

    class Owner(models.TextChoices):
        CLIENT = "client", _("Client")
        US = "us", _("Us")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="action_items")
    owner = models.CharField(_("who"), max_length=10, choices=Owner, default=Owner.CLIENT)
    text = models.CharField(_("what"), max_length=300)
    due_on = models.DateField(_("due"), null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        # Open items first on every database (SQLite and PostgreSQL sort NULLs differently).
        ordering = [models.F("done_at").asc(nulls_first=True), "due_on", "pk"]
        indexes = [
            models.Index(fields=["project", "owner", "done_at"], name="actionitem_open"),
            # In Today's order (date, then id): the first overdue steps are read without sorting them all.
            models.Index(
                fields=["due_on", "id"],
                name="actionitem_client_due_id",
                condition=Q(owner="client", done_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.text


class DeadlineChange(models.Model):
    """A moved date, kept for ever with its reason (R12): the client sees this history."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="deadline_changes")
    milestone = models.ForeignKey(Milestone, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    old_date = models.DateField(null=True, blank=True)
    new_date = models.DateField()
    reason = models.TextField()
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now, editable=False)
    notice_subject = models.CharField(max_length=200, blank=True)
    notice_text = models.TextField(blank=True, help_text=_("The drafted notice to the client."))

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.old_date} → {self.new_date}"


class Installment(models.Model):
    """A payment due after the deposit: on a fixed date or a number of days after a milestone."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="installments")
    amount_minor = models.BigIntegerField(_("amount"))
    due_on = models.DateField(_("due on"), null=True, blank=True)
    after_milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("after milestone")
    )
    days_after_milestone = models.PositiveSmallIntegerField(default=0)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return f"{self.amount_minor} due {self.due_on or self.after_milestone}"


class Resource(models.Model):
    """The studio's library for educating clients (R10): screencasts, documents, FAQ answers."""

    class Kind(models.TextChoices):
        SCREENCAST = "screencast", _("Screencast")
        DOCUMENT = "document", _("Document")
        FAQ = "faq", _("FAQ")

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="resources")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind)
    title = models.CharField(_("title or question"), max_length=200)
    url = models.URLField(_("link"), blank=True)
    answer = models.TextField(_("answer"), blank=True)
    projects = models.ManyToManyField(Project, blank=True, related_name="resources")

    objects = StudioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "title"]

    def __str__(self) -> str:
        return self.title

    @property
    def web_url(self) -> str:
        """The link when it is a web address, else '': a stored ``javascript:`` URL never becomes a link."""
        return self.url if self.url.lower().startswith(("https://", "http://")) else ""


class StatusUpdate(models.Model):
    """The Friday update (R2) for one project and ISO week: drafted, edited, then sent."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="status_updates")
    week = models.CharField(max_length=8, help_text="ISO week key, e.g. 2026-W47")
    summary = models.TextField(blank=True)
    done_this_week = models.TextField(blank=True)
    next_up = models.TextField(blank=True)
    blockers = models.TextField(blank=True)
    client_next_steps = models.TextField(blank=True)
    resources = models.ManyToManyField(Resource, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-week"]
        constraints = [models.UniqueConstraint(fields=["project", "week"], name="statusupdate_one_per_week")]

    def __str__(self) -> str:
        return f"{self.project} {self.week}"


class ChangeRequest(models.Model):
    """Work outside the agreement, with its own price (R17): proposed, then approved or declined."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="change_requests")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    price_minor = models.BigIntegerField(_("price"))
    status = models.CharField(max_length=10, choices=Status, default=Status.PROPOSED)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class MaintenancePlan(models.Model):
    """Care after launch (R7), per client."""

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="maintenance_plans")
    monthly_price_minor = models.BigIntegerField(_("monthly price"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    included = models.TextField(_("what's included"))
    start_on = models.DateField(_("start"))
    end_on = models.DateField(_("end"), null=True, blank=True)

    objects = StudioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-start_on"]

    def __str__(self) -> str:
        return f"Maintenance for {self.client_id} from {self.start_on}"


def new_survey_token() -> str:
    return new_token(24)


def unissued_survey_token_hash() -> str:
    """A placeholder hash whose token nobody holds: a survey opens by link only once one is issued."""
    return hash_token(new_survey_token())


class Survey(models.Model):
    """The post-project satisfaction survey (R16): invited N days after completion, answered by link.

    The invitation carries one-click ratings 1–10; the click only opens a page that confirms with a
    POST (mail scanners follow links). ``questions`` freezes the studio's further questions (at most
    10) at invitation time so later edits don't change what this client was asked; ``answers`` holds
    the replies in the same order. A rating below the studio's threshold opens ``follow_up``, an
    inbound-style message with its own reply clock.
    """

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="+")
    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="survey")
    contact = models.ForeignKey("clients.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Only the SHA-256 of the link's token is stored; the token itself leaves in the invitation.
    token_hash = models.CharField(max_length=64, unique=True, default=unissued_survey_token_hash, editable=False)
    language = models.CharField(max_length=8, default="en")
    invited_at = models.DateTimeField(null=True, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    csat = models.PositiveSmallIntegerField(
        _("how satisfied are you (1–10)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    nps = models.PositiveSmallIntegerField(
        _("how likely are you to recommend us (0–10)"), null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    questions = models.JSONField(default=list, blank=True)
    answers = models.JSONField(default=list, blank=True)
    comment = models.TextField(_("anything else"), blank=True)
    follow_up = models.ForeignKey(
        "comms.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = StudioScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(csat__isnull=True) | Q(csat__gte=1, csat__lte=10), name="survey_csat_1_10"
            ),
        ]

    def __str__(self) -> str:
        return f"survey for {self.project}"


class PortalLink(models.Model):
    """One contact's way into the guest portal (R13). Only the SHA-256 of the token is stored.

    Links expire (studio setting, default 90 days) and can be revoked; sending a new link leaves the
    old ones working. ``landing`` is the portal path the link opens after the interstitial (a call
    proposal lands on the booking page). Revoking a link also ends the portal sessions made with it.
    """

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey("clients.Contact", on_delete=models.CASCADE, related_name="portal_links")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    landing = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = StudioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["contact", "-created_at"], name="portallink_contact")]

    def __str__(self) -> str:
        return f"portal link for {self.contact_id}"

    def is_usable(self, now) -> bool:
        return self.revoked_at is None and now < self.expires_at


class PortalActivity(models.Model):
    """Something a client did that the freelancer should know about; listed on Today until seen."""

    class Kind(models.TextChoices):
        AGREEMENT_ACCEPTED = "accepted", _("accepted the agreement")
        CHANGE_APPROVED = "change_ok", _("approved a change request")
        CHANGE_DECLINED = "change_no", _("declined a change request")
        STEP_DONE = "step_done", _("ticked a next step")
        STEP_REOPENED = "step_open", _("unticked a next step")
        MESSAGE = "message", _("wrote a message")
        CALL_BOOKED = "call_booked", _("booked a call")
        CALL_MOVED = "call_moved", _("moved a call")
        CALL_CANCELLED = "call_cancel", _("cancelled a call")
        LINK_REQUESTED = "link_asked", _("asked for a new portal link")
        SURVEY_ANSWERED = "survey", _("answered the survey")
        FILE_APPROVED = "file_ok", _("approved a deliverable")
        FILE_CHANGES = "file_changes", _("asked for changes to a deliverable")
        PAY_REFUSED = "pay_refused", _("tried to pay an invoice that cannot be paid")
        PROPOSAL_ACCEPTED = "proposal_ok", _("accepted a proposal")
        AGREEMENT_SIGNED = "agreement_ok", _("signed a new agreement version")

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="portal_activity")
    contact = models.ForeignKey("clients.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind)
    summary = models.CharField(max_length=300, blank=True)
    url = models.CharField(max_length=200, blank=True, help_text="Where the freelancer acts on it.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    seen_at = models.DateTimeField(null=True, blank=True)

    objects = StudioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["studio", "-created_at"], name="portalactivity_unseen", condition=Q(seen_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary}"


def new_call_uid() -> str:
    return f"{uuid.uuid4()}@rapport"


class Call(models.Model):
    """A short call instead of a long thread (R8), booked by the client or proposed by the studio.

    ``uid`` and ``sequence`` are the iCalendar identity: a move re-sends the same UID with a higher
    SEQUENCE and a cancel sends METHOD:CANCEL, so both calendars update the one event.
    """

    class Status(models.TextChoices):
        BOOKED = "booked", _("booked")
        CANCELLED = "cancelled", _("cancelled")

    class Side(models.TextChoices):
        CLIENT = "client", _("the client")
        STUDIO = "studio", _("the studio")

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="calls")
    contact = models.ForeignKey("clients.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    topic = models.CharField(_("topic"), max_length=300)
    status = models.CharField(max_length=10, choices=Status, default=Status.BOOKED)
    booked_by = models.CharField(max_length=10, choices=Side, default=Side.CLIENT)
    uid = models.CharField(max_length=100, unique=True, default=new_call_uid, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    proposed_from = models.ForeignKey(
        "comms.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The copy in the freelancer's CalDAV calendar (``projects.calendar_writes``): ``calendar_pending`` is
    # set by every booking, move and cancel and cleared by the ``caldav-calls`` sweep once the calendar
    # matches; ``calendar_sequence`` is the SEQUENCE written there (None: no copy on the server).
    calendar_pending = models.BooleanField(default=True)
    calendar_sequence = models.PositiveIntegerField(null=True, blank=True)
    calendar_retry_at = models.DateTimeField(null=True, blank=True)
    calendar_attempts = models.PositiveSmallIntegerField(default=0)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.CharField(max_length=10, choices=Side, blank=True)
    cancel_reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StudioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["studio", "starts_at"], name="call_booked", condition=Q(status="booked")),
            models.Index(
                fields=["calendar_retry_at"], name="call_calendar_pending", condition=Q(calendar_pending=True)
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="call_ends_after_start")
        ]

    def __str__(self) -> str:
        return f"call with {self.client_id} at {self.starts_at:%Y-%m-%d %H:%M}"


class CalendarFeed(models.Model):
    """A studio member's private calendar feed (``/calendar/<token>.ics``); only the token's SHA-256 is stored.

    The token is the whole key: calendar apps fetch the feed without signing in. A member has at most one
    active feed per studio; replacing it revokes the old one. ``language`` is the member's page language
    when the link was made: calendar apps send no useful one, so the feed's texts follow it.
    """

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    language = models.CharField(max_length=8, default="en")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = StudioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "user"], condition=Q(revoked_at__isnull=True), name="calendarfeed_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"calendar feed of {self.user_id} in {self.studio_id}"


class BusyCalendar(models.Model):
    """A calendar of the freelancer's that blocks call booking: a private ICS address or a CalDAV account.

    ICS: ``url_encrypted`` is the address, a secret (whoever has it reads the calendar). CalDAV:
    ``url_encrypted`` is the server's address, ``username`` and ``password_encrypted`` sign in and
    ``calendar_url`` is the chosen calendar (empty until the freelancer picks one); with ``write_calls``
    booked calls are written to it (``projects.calendar_writes``). Secrets are stored encrypted
    (``comms.secrets``) and shown masked (``url_masked``). ``projects.busy_calendars`` refreshes it;
    ``last_error`` and ``write_error`` are codes, turned into words in the reader's language when shown.
    """

    class Kind(models.TextChoices):
        ICS = "ics", _("ICS address")
        CALDAV = "caldav", _("CalDAV account")

    class Error(models.TextChoices):
        TIMEOUT = "timeout", _("the calendar did not answer in time")
        UNREACHABLE = "unreachable", _("the address could not be reached")
        HTTP = "http", _("the calendar's server answered with an error")
        TOO_BIG = "too_big", _("the calendar is too big")
        NOT_ICS = "not_ics", _("the address does not give a calendar (ICS)")
        UNREADABLE = "unreadable", _("the calendar has an event Rapport cannot read")
        KEY = "key", _("the stored address cannot be decrypted; please add the calendar again")
        AUTH = "auth", _("the server refused the username or password")
        NOT_FOUND = "not_found", _("the calendar was not found on the server")
        NOT_CALDAV = "not_caldav", _("the server did not answer as a CalDAV server")
        NOT_CHOSEN = "not_chosen", _("no calendar of the account is chosen yet")
        WRITE = "write", _("the server refused to save the call")

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(max_length=6, choices=Kind, default=Kind.ICS)
    url_encrypted = models.TextField()
    url_masked = models.CharField(max_length=300)
    username = models.CharField(max_length=200, blank=True)
    password_encrypted = models.TextField(blank=True)
    calendar_url = models.CharField(max_length=2000, blank=True)
    write_calls = models.BooleanField(default=False)
    write_error = models.CharField(max_length=12, choices=Error, blank=True)
    write_error_detail = models.CharField(max_length=200, blank=True)
    last_write_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=12, choices=Error, blank=True)
    last_error_detail = models.CharField(max_length=200, blank=True)

    objects = StudioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["studio", "name"], name="busycalendar_studio"),
            models.Index(fields=["last_attempt_at"], name="busycalendar_due"),
        ]

    def __str__(self) -> str:
        return self.name


class BusyBlock(models.Model):
    """A busy interval read from a ``BusyCalendar`` (UTC), replaced as a whole on each good refresh."""

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="+")
    calendar = models.ForeignKey(BusyCalendar, on_delete=models.CASCADE, related_name="blocks")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    objects = StudioScopedQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["studio", "starts_at"], name="busyblock_studio_start")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="busyblock_ends_after_start")
        ]

    def __str__(self) -> str:
        return f"busy {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"

"""Projects and everything that keeps them honest: milestones, deadlines, deposits, updates."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from crm.models import Studio, StudioScopedQuerySet


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
    ACTIVE_STATUSES = frozenset({Status.IN_PROGRESS, Status.IN_REVIEW, Status.WAITING_ON_CLIENT})

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

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StudioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["deadline_on", "title"]
        indexes = [
            models.Index(fields=["studio", "status"], name="project_studio_status"),
            models.Index(fields=["studio", "deadline_on"], name="project_studio_deadline"),
            # The reminder sweeps look across studios for what is due (crm.sweeps).
            models.Index(
                fields=["deadline_on"],
                name="project_deadline_active",
                condition=Q(status__in=["in_progress", "in_review", "waiting_on_client"]),
            ),
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
        indexes = [models.Index(fields=["due_on"], name="milestone_open_due", condition=Q(done_at__isnull=True))]

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
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # Open items first on every database (SQLite and PostgreSQL sort NULLs differently).
        ordering = [models.F("done_at").asc(nulls_first=True), "due_on", "pk"]
        indexes = [
            models.Index(fields=["project", "owner", "done_at"], name="actionitem_open"),
            models.Index(
                fields=["due_on"], name="actionitem_client_due", condition=Q(owner="client", done_at__isnull=True)
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
    changed_at = models.DateTimeField(auto_now_add=True)
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
    created_at = models.DateTimeField(auto_now_add=True)
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
    created_at = models.DateTimeField(auto_now_add=True)

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
    import secrets

    return secrets.token_urlsafe(24)


class Survey(models.Model):
    """The post-project satisfaction survey (R16): invited N days after completion, answered by link."""

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="+")
    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="survey")
    token = models.CharField(max_length=64, unique=True, default=new_survey_token, editable=False)
    invited_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    csat = models.PositiveSmallIntegerField(
        _("how satisfied are you (1–5)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    nps = models.PositiveSmallIntegerField(
        _("how likely are you to recommend us (0–10)"), null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    comment = models.TextField(_("anything else"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StudioScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"survey for {self.project}"

"""Getting paid: proposals the client accepts, the agreement they sign, invoices and what paid them.

Amounts are integers in minor units (cents, kopecks) everywhere; tax rates are basis points
(2000 = 20 %). An issued invoice never changes: its seller, buyer, lines and totals are frozen when
it gets its number, and it is cancelled only by a credit note. A signed agreement never changes
either: a new text is a new version that needs a new signature.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kernel.models import Studio, StudioScopedQuerySet


def default_reminder_days() -> list[int]:
    """Days relative to the due date when a reminder goes out: 3 before, on the day, 7 and 14 after."""
    return [-3, 0, 7, 14]


class BillingProfile(models.Model):
    """The studio as a seller: what its invoices say about it and how clients can pay it."""

    studio = models.OneToOneField(Studio, on_delete=models.CASCADE, related_name="billing_profile")
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    address = models.TextField(_("address"), blank=True, max_length=500)
    vat_id = models.CharField(_("VAT number"), max_length=20, blank=True)
    inn = models.CharField(_("INN"), max_length=12, blank=True)
    kpp = models.CharField(_("KPP"), max_length=9, blank=True)
    # SEPA transfers (EUR): the EPC QR code.
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    # Transfers in Russia (RUB): the ГОСТ Р 56042-2014 QR code.
    ru_bank_name = models.CharField(_("bank name"), max_length=45, blank=True)
    ru_bic = models.CharField(_("BIK"), max_length=9, blank=True)
    ru_account = models.CharField(_("settlement account"), max_length=20, blank=True)
    ru_corresp_account = models.CharField(_("correspondent account"), max_length=20, blank=True)
    number_pattern = models.CharField(
        _("invoice number pattern"), max_length=40, default="{year}-{seq:04d}",
        help_text=_("{year} and {seq} are replaced, e.g. {year}-{seq:04d} gives 2026-0042."),
    )  # fmt: skip
    tax_rate_bp = models.PositiveIntegerField(_("default tax rate (basis points)"), default=0)
    tax_exemption_text = models.CharField(_("tax exemption text"), max_length=300, blank=True)
    payment_terms_days = models.PositiveSmallIntegerField(_("payment due after (days)"), default=14)
    reminder_days = models.JSONField(_("reminders (days from the due date)"), default=default_reminder_days)
    agreement_template = models.TextField(_("agreement template"), blank=True)
    stripe_publishable_key = models.CharField(max_length=200, blank=True)
    stripe_secret_key_encrypted = models.TextField(blank=True)
    stripe_webhook_secret_encrypted = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.legal_name or str(self.studio_id)


class NumberSequence(models.Model):
    """The last invoice number used by a studio in a period (a year, or 0 for a pattern without one).

    Issuing locks this row, so two invoices issued at once get consecutive numbers: no gap, no twin.
    """

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="+")
    period = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["studio", "period"], name="numbersequence_one_per_period")]

    def __str__(self) -> str:
        return f"{self.studio_id}/{self.period}: {self.last}"


class Proposal(models.Model):
    """What the freelancer offers for a project: items, packages and options the client may tick."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SENT = "sent", _("sent")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        WITHDRAWN = "withdrawn", _("withdrawn")

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="proposals")
    title = models.CharField(_("title"), max_length=200)
    intro = models.TextField(_("introduction"), blank=True, max_length=5000)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    markup_percent = models.PositiveSmallIntegerField(_("markup (%)"), default=0)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    deposit_percent = models.PositiveSmallIntegerField(_("deposit (%)"), default=50)
    agreement_text = models.TextField(_("agreement"), blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_total_minor = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = StudioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class ProposalItem(models.Model):
    class Kind(models.TextChoices):
        ITEM = "item", _("item")
        PACKAGE = "package", _("package")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=8, choices=Kind, default=Kind.ITEM)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_price_minor = models.BigIntegerField(_("unit price"))
    tax_rate_bp = models.PositiveIntegerField(_("tax rate (basis points)"), default=0)
    optional = models.BooleanField(_("optional add-on"), default=False)
    selected = models.BooleanField(default=True, help_text="For an add-on: whether the client ticked it.")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.title


class Agreement(models.Model):
    """One version of a project's agreement; signed once, never changed afterwards."""

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="agreements")
    proposal = models.ForeignKey(Proposal, on_delete=models.SET_NULL, null=True, blank=True, related_name="agreements")
    version = models.PositiveIntegerField(default=1)
    text = models.TextField()
    text_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the exact text shown to the signer.")
    signed_name = models.CharField(max_length=200, blank=True)
    signed_email = models.EmailField(blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_ip = models.GenericIPAddressField(null=True, blank=True)
    signed_user_agent = models.CharField(max_length=400, blank=True)
    countersigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    countersigned_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = StudioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["project", "-version"]
        constraints = [models.UniqueConstraint(fields=["project", "version"], name="agreement_one_per_version")]

    def __str__(self) -> str:
        return f"{self.project_id} v{self.version}"


class Invoice(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        ISSUED = "issued", _("issued")
        PAID = "paid", _("paid")
        # "cancelled" alone is the neuter "отменено" (an email, a call); an invoice (счёт) is "отменён".
        CANCELLED = "cancelled", pgettext_lazy("invoice status", "cancelled")

    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("deposit")
        INSTALLMENT = "installment", _("installment")
        CHANGE = "change", _("change request")
        MAINTENANCE = "maintenance", _("maintenance")
        MANUAL = "manual", _("invoice")
        CREDIT_NOTE = "credit", _("credit note")

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="invoices")
    project = models.ForeignKey(
        "projects.Project", on_delete=models.SET_NULL, null=True, blank=True, related_name="invoices"
    )
    kind = models.CharField(max_length=12, choices=Kind, default=Kind.MANUAL)
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    number = models.CharField(max_length=40, blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    issued_at = models.DateTimeField(null=True, blank=True)
    issue_date = models.DateField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)
    seller = models.JSONField(default=dict, blank=True, help_text="The seller's details, frozen at issue.")
    buyer = models.JSONField(default=dict, blank=True, help_text="The buyer's details, frozen at issue.")
    subtotal_minor = models.BigIntegerField(default=0)
    tax_minor = models.BigIntegerField(default=0)
    total_minor = models.BigIntegerField(default=0)
    paid_minor = models.BigIntegerField(default=0)
    paid_at = models.DateTimeField(null=True, blank=True)
    tax_exemption_text = models.CharField(max_length=300, blank=True)
    payment_instructions = models.TextField(blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=2000)
    credit_for = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_note"
    )
    proposal = models.ForeignKey(Proposal, on_delete=models.SET_NULL, null=True, blank=True, related_name="invoices")
    installment = models.OneToOneField(
        "projects.Installment", on_delete=models.SET_NULL, null=True, blank=True, related_name="invoice"
    )
    change_request = models.OneToOneField(
        "projects.ChangeRequest", on_delete=models.SET_NULL, null=True, blank=True, related_name="invoice"
    )
    maintenance_plan = models.ForeignKey(
        "projects.MaintenancePlan", on_delete=models.SET_NULL, null=True, blank=True, related_name="invoices"
    )
    period = models.CharField(max_length=7, blank=True, help_text="YYYY-MM of a maintenance invoice.")
    stripe_session_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = StudioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "number"], condition=~Q(number=""), name="invoice_number_unique_per_studio"
            ),
            models.UniqueConstraint(
                fields=["maintenance_plan", "period"], condition=~Q(period=""), name="invoice_one_per_plan_month"
            ),
            models.UniqueConstraint(
                fields=["proposal"], condition=Q(kind="deposit"), name="invoice_one_deposit_per_proposal"
            ),
        ]
        indexes = [
            models.Index(fields=["studio", "status", "due_on"], name="invoice_studio_due"),
            models.Index(fields=["client", "-created_at"], name="invoice_client"),
        ]

    def __str__(self) -> str:
        return self.number or f"draft {self.pk}"

    @property
    def balance_minor(self) -> int:
        return self.total_minor - self.paid_minor


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    description = models.CharField(_("description"), max_length=300)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_price_minor = models.BigIntegerField(_("unit price"))
    tax_rate_bp = models.PositiveIntegerField(_("tax rate (basis points)"), default=0)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.description


class InvoicePayment(models.Model):
    """A payment (``clients.Payment``) that went to an invoice, and how it came."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("recorded by hand")
        STRIPE = "stripe", _("card (Stripe)")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    payment = models.OneToOneField("clients.Payment", on_delete=models.CASCADE, related_name="invoice_link")
    source = models.CharField(max_length=8, choices=Source, default=Source.MANUAL)
    stripe_event_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.invoice_id}"


class StripeEvent(models.Model):
    """A Stripe webhook delivery, kept raw before anything is done with it, so it can be replayed."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        PROCESSED = "processed", _("processed")
        IGNORED = "ignored", _("ignored")
        FAILED = "failed", _("failed")

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="+")
    event_id = models.CharField(max_length=255, blank=True)
    event_type = models.CharField(max_length=100, blank=True)
    raw = models.BinaryField()
    signature = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.RECEIVED)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "event_id"], condition=~Q(event_id=""), name="stripeevent_once_per_studio"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type or 'event'} {self.event_id}"

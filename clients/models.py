"""Clients, their contacts, the money they paid and the times we stayed in touch."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.timezone import now  # a bare name: Client's `timezone` field hides the module in its class body
from django.utils.translation import gettext_lazy as _

from kernel.models import Studio, StudioScopedQuerySet
from kernel.money import format_money
from kernel.queries import MonthDay


class Tag(models.Model):
    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="client_tags")
    name = models.CharField(max_length=40)

    objects = StudioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), "studio", name="tag_unique_name_per_studio")]

    def __str__(self) -> str:
        return self.name


class ClientQuerySet(StudioScopedQuerySet):
    def current(self) -> ClientQuerySet:
        return self.filter(archived_at__isnull=True)


class Client(models.Model):
    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        PERSON = "person", _("Person")

    class Status(models.TextChoices):
        LEAD = "lead", _("Lead")
        ACTIVE = "active", _("Active")
        PAST = "past", _("Past")

    class Source(models.TextChoices):
        REFERRAL = "referral", _("Referral")
        WEBSITE = "website", _("Website inquiry")
        SOCIAL = "social", _("Social media")
        MARKETPLACE = "marketplace", _("Marketplace")
        REPEAT = "repeat", _("Returning client")
        OTHER = "other", _("Other")

    class Tier(models.TextChoices):
        ANGEL = "angel", _("Angel")
        REGULAR = "regular", _("Regular")

    class Pin(models.TextChoices):
        AUTO = "", _("Computed from revenue")
        ANGEL = "angel", _("Always an angel")
        REGULAR = "regular", _("Never an angel")

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="clients")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.COMPANY)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.ACTIVE)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    timezone = models.CharField(_("time zone"), max_length=64, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source, blank=True)
    referred_by = models.ForeignKey(
        "self",
        verbose_name=_("referred by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals",
    )
    notes = models.TextField(_("internal notes"), blank=True)
    difficulty = models.PositiveSmallIntegerField(
        _("difficulty"), default=0, validators=[MaxValueValidator(3)], help_text=_("0 = easy … 3 = very demanding")
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="clients", verbose_name=_("tags"))
    client_since = models.DateField(_("client since"), null=True, blank=True)
    # Anniversaries compare month and day ('MM-DD'): stored by the database, so the yearly look is a
    # string test per row, not a date formatted per row (the creation date's is its UTC day, a
    # prefilter for the studio's local day, which no stored column can know).
    since_month_day = models.GeneratedField(
        expression=MonthDay("client_since"), output_field=models.CharField(max_length=5), db_persist=True
    )
    created_utc_month_day = models.GeneratedField(
        expression=MonthDay("created_at"), output_field=models.CharField(max_length=5), db_persist=True
    )

    tier = models.CharField(max_length=10, choices=Tier, default=Tier.REGULAR)
    tier_pin = models.CharField(_("tier"), max_length=10, choices=Pin, blank=True, default=Pin.AUTO)
    tier_reason = models.CharField(max_length=200, blank=True)
    # The last contact (R14): the latest interaction of any kind, written by every path through
    # ``kernel.signals.interaction_recorded`` (mail in or out, portal, calls) and by touchpoints; the cadence clock.
    last_interaction_at = models.DateTimeField(null=True, blank=True)
    # Stored forms of two pure rules, so Today reads them through an index whatever the studio's size;
    # the rules stay the authority and their sweeps set these right again (see their modules).
    # The day the next personal touch or check-in is due (``clients.cadence.next_touch_on``).
    next_touch_on = models.DateField(null=True, blank=True, editable=False)
    # The latest local ISO week ("2026-W48") whose Monday–Friday mail reached one of the contacts (R2).
    covered_week = models.CharField(max_length=8, blank=True, editable=False)

    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now, editable=False)

    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["studio", "status"], name="client_studio_status"),
            models.Index(fields=["studio", "last_interaction_at"], name="client_studio_last_interaction"),
            models.Index(fields=["studio", "next_touch_on"], name="client_studio_next_touch"),
            # The week's anniversaries: the dated clients by month-day, the undated by their UTC creation day.
            models.Index(fields=["studio", "since_month_day"], name="client_since_month_day"),
            models.Index(fields=["studio", "created_utc_month_day"], name="client_created_month_day"),
            # Today's Friday updates are listed by client name: the first few are read in that order.
            models.Index(fields=["studio", "name"], name="client_studio_name"),
            # The client list: its pages in name order and its count, read from the index alone.
            models.Index(
                fields=["studio", "name", "id"], condition=Q(archived_at__isnull=True), name="client_current_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_angel(self) -> bool:
        return self.tier == self.Tier.ANGEL

    def own_zone(self) -> ZoneInfo | None:
        """The client's own time zone when it is set and known; None otherwise."""
        if not self.timezone:
            return None
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return None

    def zone_or(self, default: ZoneInfo) -> ZoneInfo:
        """The zone the client reads times in: their own, else ``default`` (the studio's)."""
        return self.own_zone() or default

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class Contact(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        MESSENGER = "messenger", _("Messenger")
        VIDEO = "video", _("Video call")

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"))
    other_emails = models.JSONField(_("other emails"), default=list, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    role = models.CharField(_("role"), max_length=100, blank=True)
    preferred_channel = models.CharField(_("prefers"), max_length=10, choices=Channel, default=Channel.EMAIL)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    portal_last_seen_at = models.DateTimeField(_("last seen in the portal"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=now, editable=False)

    objects = StudioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-is_primary", "name"]
        constraints = [
            models.UniqueConstraint(Lower("email"), "studio", name="contact_unique_email_per_studio"),
            models.UniqueConstraint(
                fields=["client"], condition=Q(is_primary=True), name="contact_one_primary_per_client"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    @property
    def all_emails(self) -> list[str]:
        return [self.email, *self.other_emails]


class Payment(models.Model):
    class Method(models.TextChoices):
        BANK = "bank", _("Bank transfer")
        CARD = "card", _("Card")
        PAYPAL = "paypal", _("PayPal")
        CASH = "cash", _("Cash")
        OTHER = "other", _("Other")

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="payments")
    amount_minor = models.BigIntegerField(_("amount"), help_text=_("Negative for a refund."))
    currency = models.CharField(
        _("currency"), max_length=3, validators=[RegexValidator(r"^[A-Z]{3}$", _("Three capital letters, e.g. EUR."))]
    )
    paid_on = models.DateField(_("paid on"))
    method = models.CharField(_("method"), max_length=10, choices=Method, default=Method.BANK)
    project = models.ForeignKey(
        "projects.Project", verbose_name=_("project"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="payments",
    )  # fmt: skip
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=now, editable=False)

    objects = StudioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-paid_on", "-pk"]
        indexes = [
            models.Index(fields=["studio", "paid_on"], name="payment_studio_paid_on"),
            # Covering: the client list's 12-month revenue and a project's deposit received are summed
            # from the index alone, without visiting the payments themselves.
            models.Index(fields=["client", "paid_on", "currency", "amount_minor"], name="payment_client_revenue"),
            models.Index(fields=["project", "currency", "amount_minor"], name="payment_project_received"),
        ]

    def __str__(self) -> str:
        return f"{format_money(self.amount_minor, self.currency)} from client {self.client_id} on {self.paid_on}"

    @property
    def is_refund(self) -> bool:
        return self.amount_minor < 0


class Touchpoint(models.Model):
    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        MEETING = "meeting", _("Meeting or lunch")
        CARD = "card", _("Card")
        GIFT = "gift", _("Gift")
        NEWSLETTER = "newsletter", _("Newsletter")
        CHECK_IN = "check_in", _("Check-in")

    # A newsletter reaches everyone; the angel cadence asks for something personal.
    PERSONAL_KINDS = frozenset({Kind.CALL, Kind.MEETING, Kind.CARD, Kind.GIFT, Kind.CHECK_IN})

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="touchpoints")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind)
    happened_on = models.DateField(_("date"))
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=now, editable=False)

    objects = StudioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-happened_on", "-pk"]
        indexes = [
            models.Index(fields=["client", "happened_on"], name="touchpoint_client_date"),
            # The year's cards, which the card month's "who still needs one" reads whole on PostgreSQL
            # (a hashed subplan): their index, not every touchpoint of every studio.
            models.Index(fields=["happened_on", "client"], name="touchpoint_cards", condition=Q(kind="card")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} with {self.client_id} on {self.happened_on}"

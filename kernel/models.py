"""The studio core: users, the Studio tenant, membership and the scheduler heartbeat."""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta
from email.utils import formataddr
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import MaxValueValidator, MinValueValidator, validate_comma_separated_integer_list
from django.db import models
from django.utils import timezone
from django.utils.timezone import now  # a bare name: Studio's `timezone` field hides the module in its class body
from django.utils.translation import gettext_lazy as _

from kernel import workhours


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in to the dashboard: signs in with an email address."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()  # type: ignore[misc]

    def __str__(self) -> str:
        return self.name or self.email


def default_difficulty_markups() -> list[int]:
    return [0, 10, 20, 30]


def default_working_hours() -> dict[str, list[str]]:
    return {str(day): ["09:00", "18:00"] for day in range(5)}


class SlaMode(models.TextChoices):
    BUSINESS = "business", _("Working hours only")
    CALENDAR = "calendar", _("Around the clock")


def new_inbound_key() -> str:
    return secrets.token_hex(5)


class Studio(models.Model):
    """The tenant: one freelancer or small studio. Every domain row belongs to one."""

    name = models.CharField(_("studio name"), max_length=120)
    slug = models.SlugField(unique=True, max_length=60)
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    # {"0": ["09:00", "18:00"], ...}: weekday (0 = Monday) → one [open, close) interval;
    # a missing weekday is closed. Read it through `working_hours`.
    working_hours_json = models.JSONField(default=default_working_hours)
    holiday_country = models.CharField(_("public holidays of"), max_length=2, blank=True)
    holiday_subdivision = models.CharField(_("region"), max_length=10, blank=True)

    sla_mode = models.CharField(_("reply time counts"), max_length=10, choices=SlaMode, default=SlaMode.BUSINESS)
    sla_hours = models.DecimalField(_("reply within (hours)"), max_digits=5, decimal_places=2, default=9)
    urgent_sla_mode = models.CharField(
        _("urgent reply time counts"), max_length=10, choices=SlaMode, default=SlaMode.CALENDAR
    )
    urgent_sla_hours = models.DecimalField(_("urgent: reply within (hours)"), max_digits=5, decimal_places=2, default=4)

    friday_update_hour = models.PositiveSmallIntegerField(_("Friday update reminder at (hour)"), default=10)
    digest_hour = models.PositiveSmallIntegerField(_("daily digest at (hour)"), default=8)

    sender_name = models.CharField(_("sender name"), max_length=120, blank=True)
    sender_email = models.EmailField(_("sender address"), blank=True)
    payment_options = models.TextField(_("payment options"), blank=True)
    contact_card = models.TextField(_("contact card"), blank=True)

    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    # Staying in touch (R14): days between personal touchpoints for angels, check-ins for others.
    angel_cadence_days = models.PositiveSmallIntegerField(_("angels: personal contact every (days)"), default=90)
    regular_cadence_days = models.PositiveSmallIntegerField(_("others: check in every (days)"), default=180)
    yearly_card_month = models.PositiveSmallIntegerField(_("yearly card in month"), default=12)
    past_clients_per_week = models.PositiveSmallIntegerField(_("past clients to call each week"), default=3)
    # Suggested quote markup in percent for client difficulty 0, 1, 2 and 3 (R17).
    difficulty_markups = models.JSONField(default=default_difficulty_markups)
    tiers_computed_on = models.DateField(null=True, blank=True, editable=False)
    # When an owner last saved the settings page: until then the working hours are signup's defaults.
    settings_saved_at = models.DateTimeField(null=True, blank=True, editable=False)
    default_deposit_percent = models.PositiveSmallIntegerField(_("default deposit (%)"), default=50)
    # Inbound mail: the secret part of the studio's inbound address (see comms.routing).
    inbound_key = models.CharField(max_length=16, default=new_inbound_key, editable=False)
    cool_off_hours = models.PositiveSmallIntegerField(_("cool-off for heated emails (hours)"), default=3)
    # Scheduled reminders (kernel.sweeps).
    reply_warning_percent = models.PositiveSmallIntegerField(
        _("warn me when this share of the reply time has passed (%)"),
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )
    client_action_reminders = models.BooleanField(
        _("remind clients of their own next steps before they are due"), default=False
    )
    deposit_reminder_days = models.CharField(
        _("remind clients of an unpaid deposit after (days)"),
        max_length=60,
        default="3,7,14",
        validators=[validate_comma_separated_integer_list],
        help_text=_("Days after the deposit was asked for, separated by commas."),
    )
    start_work_on_deposit = models.BooleanField(
        _("start work as soon as the deposit is paid in full"),
        default=False,
        help_text=_(
            "Otherwise the project page offers to start. Either way the client is told by email when work starts."
        ),
    )
    survey_after_days = models.PositiveSmallIntegerField(
        _("ask for feedback this many days after a project completes"), default=14
    )
    survey_questions = models.TextField(
        _("further survey questions"),
        blank=True,
        help_text=_("One question per line, at most 10. The rating 1–10 is always asked first."),
    )
    survey_follow_up_below = models.PositiveSmallIntegerField(
        _("open a follow-up when the rating is below"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(11)],
    )
    # The guest portal and calls (R8, R13).
    portal_link_days = models.PositiveSmallIntegerField(
        _("portal links last (days)"), default=90, validators=[MinValueValidator(1), MaxValueValidator(3650)]
    )
    call_durations = models.CharField(
        _("call lengths clients can book (minutes)"),
        max_length=40,
        default="15",
        validators=[validate_comma_separated_integer_list],
        help_text=_("Separated by commas, e.g. 15,30."),
    )
    call_buffer_minutes = models.PositiveSmallIntegerField(
        _("free time kept between calls (minutes)"), default=15, validators=[MaxValueValidator(240)]
    )
    call_min_notice_hours = models.PositiveSmallIntegerField(
        _("calls need at least this much notice (hours)"), default=4, validators=[MaxValueValidator(24 * 30)]
    )
    call_max_per_day = models.PositiveSmallIntegerField(
        _("at most this many calls a day"), default=3, validators=[MinValueValidator(1), MaxValueValidator(24)]
    )
    call_days_ahead = models.PositiveSmallIntegerField(
        _("clients can book this many days ahead"), default=14, validators=[MinValueValidator(1), MaxValueValidator(90)]
    )
    call_location = models.CharField(
        _("where calls happen"),
        max_length=300,
        blank=True,
        help_text=_("A video-call link or a phone number; it goes into every invitation."),
    )

    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zoneinfo(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def call_duration_choices(self) -> list[int]:
        """The call lengths clients may book, in minutes, ascending (15 when the setting is empty)."""
        return sorted({int(part) for part in self.call_durations.split(",") if part.strip().isdigit()}) or [15]

    @property
    def survey_question_list(self) -> list[str]:
        """The further survey questions, at most 10, one per line of the setting."""
        return [line.strip() for line in self.survey_questions.splitlines() if line.strip()][:10]

    @property
    def working_hours(self) -> dict[int, tuple[time, time]]:
        return {
            int(day): (time.fromisoformat(opens), time.fromisoformat(closes))
            for day, (opens, closes) in self.working_hours_json.items()
        }

    @working_hours.setter
    def working_hours(self, value: dict[int, tuple[time, time]]) -> None:
        self.working_hours_json = {
            str(day): [opens.strftime("%H:%M"), closes.strftime("%H:%M")] for day, (opens, closes) in value.items()
        }

    @property
    def holiday_spec(self) -> tuple[str, str | None] | None:
        if not self.holiday_country:
            return None
        return (self.holiday_country, self.holiday_subdivision or None)

    @property
    def from_email(self) -> str:
        """The From header for mail the studio sends: its own address, or the server's."""
        if self.sender_email:
            return formataddr((self.sender_name or self.name, self.sender_email))
        return settings.DEFAULT_FROM_EMAIL

    def one_business_day_hours(self) -> float:
        """The "one business day" SLA preset: the length of the studio's most common working day."""
        return workhours.typical_day_hours(self.working_hours)

    def markup_percent(self, difficulty: int) -> int:
        """The suggested quote markup for a client of this difficulty (0–3)."""
        markups = self.difficulty_markups or default_difficulty_markups()
        return int(markups[max(0, min(difficulty, len(markups) - 1))])

    def is_working_time(self, at: datetime) -> bool:
        """Whether ``at`` falls inside the studio's working hours (R5: quiet hours otherwise)."""
        return workhours.is_working_time(
            at, tz=self.zoneinfo, working_hours=self.working_hours, holidays=self.holiday_spec
        )

    def local_now(self, now: datetime | None = None) -> datetime:
        return (now or timezone.now()).astimezone(self.zoneinfo)


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MEMBER = "member", _("Member")

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role, default=Role.MEMBER)
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["studio", "user"], name="membership_unique_user_per_studio")]
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.user} in {self.studio} ({self.role})"


class Invitation(models.Model):
    """An invitation to join a studio: the invitee becomes a member only by accepting it.

    The link carries a token from ``secrets.token_urlsafe(32)``; only its SHA-256 is stored.
    """

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email"))
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "email"],
                condition=models.Q(accepted_at__isnull=True),
                name="invitation_one_open_per_email",
            )
        ]
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.email} invited to {self.studio}"

    def is_open(self, now: datetime) -> bool:
        return self.accepted_at is None and now < self.expires_at


class StudioScopedQuerySet(models.QuerySet):
    """Base queryset for every domain model: `Model.objects.for_studio(studio)`."""

    def for_studio(self, studio: Studio) -> StudioScopedQuerySet:
        return self.filter(studio=studio)


class Heartbeat(models.Model):
    """When beat last ticked and a worker last ran a task, so the UI can say if one is down."""

    class Source(models.TextChoices):
        BEAT = "beat", _("scheduler (celery beat)")
        WORKER = "worker", _("worker (celery worker)")

    source = models.CharField(max_length=10, choices=Source, unique=True)
    last_seen_at = models.DateTimeField()
    detail = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.source} @ {self.last_seen_at:%Y-%m-%d %H:%M:%S}"

    def is_stale(self, now: datetime) -> bool:
        return now - self.last_seen_at > timedelta(seconds=settings.HEARTBEAT_STALE_AFTER_SECONDS)


class SweepSchedule(models.Model):
    """When a studio is next due for one hour-based sweep (digest, Friday reminder…), as a UTC instant.

    Lets each beat tick ask the database for the studios due *now* instead of reading every studio
    and working out its local hour: a tick's cost follows what is due, not how many studios exist.
    Every studio has one row per job, written by the services: ``studio_create`` makes them due at once,
    ``studio_settings_save`` makes them due again when a setting that moves the local hours changed.
    """

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="sweep_schedules")
    job = models.CharField(max_length=40)
    next_run_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["studio", "job"], name="sweepschedule_one_per_job")]
        indexes = [models.Index(fields=["job", "next_run_at"], name="sweepschedule_due")]

    def __str__(self) -> str:
        return f"{self.job} for studio {self.studio_id} at {self.next_run_at:%Y-%m-%d %H:%M}"

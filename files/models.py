"""Files exchanged on a project: the client's content (texts, logos, photos) and the freelancer's deliverables.

The bytes live in the ``files`` storage (``files.storage``); a row holds what the pages and the
checks need. A deliverable has versions: a new version points at the one it replaces, and only
the newest (``is_current``) can be reviewed. The client approves it or asks for changes; asking for
changes is also a portal message, so the request has a reply clock like any other.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernel.models import Studio, StudioScopedQuerySet


class ProjectFile(models.Model):
    class Side(models.TextChoices):
        CLIENT = "client", _("from the client")
        STUDIO = "studio", _("from the studio")

    class Review(models.TextChoices):
        NONE = "", _("no review asked")
        PENDING = "pending", _("waiting for the client")
        APPROVED = "approved", _("approved")
        CHANGES = "changes", _("changes asked")

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="files")
    side = models.CharField(max_length=6, choices=Side)
    title = models.CharField(
        _("title"), max_length=200, blank=True, help_text=_("What the file is, e.g. 'Homepage mock-up'.")
    )
    note = models.TextField(_("note"), blank=True, max_length=2000)
    name = models.CharField(max_length=200, help_text="The file's name, made safe.")
    storage_name = models.CharField(max_length=300, unique=True, editable=False)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100, help_text="Read from the bytes, not from the name.")
    sha256 = models.CharField(max_length=64)
    version = models.PositiveIntegerField(default=1)
    previous = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="next_version"
    )
    is_current = models.BooleanField(default=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_by_contact = models.ForeignKey(
        "clients.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source_message = models.ForeignKey(
        "comms.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The inbound email this file was saved from.",
    )
    review = models.CharField(max_length=8, choices=Review, blank=True, default=Review.NONE)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by_contact = models.ForeignKey(
        "clients.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    review_comment = models.TextField(blank=True)
    review_message = models.ForeignKey(
        "comms.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The portal message that carries a change request, with its reply clock.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    seen_at = models.DateTimeField(null=True, blank=True, help_text="When the studio saw a client's file.")

    objects = StudioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["project", "-created_at"], name="projectfile_project"),
            models.Index(fields=["studio", "side", "seen_at"], name="projectfile_unseen"),
        ]

    def __str__(self) -> str:
        return self.title or self.name

    @property
    def label(self) -> str:
        return self.title or self.name

from django.db import models

from crm.models import Studio, StudioScopedQuerySet


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
    captured_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = StudioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-captured_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"

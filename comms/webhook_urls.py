"""ESP webhooks, mounted at /hooks/: ``hooks:inbound`` and ``hooks:tracking`` (kwarg ``esp``, e.g. "postmark")."""

from django.urls import path

from comms import webhooks

app_name = "hooks"
urlpatterns = [
    path("<slug:esp>/inbound/", webhooks.inbound, name="inbound"),
    # Mailgun posts the raw MIME message (not its parsed fields) to a URL that contains "mime".
    path("<slug:esp>/inbound_mime/", webhooks.inbound, name="inbound_mime"),
    path("<slug:esp>/tracking/", webhooks.tracking, name="tracking"),
]

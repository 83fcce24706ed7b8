from django.contrib import admin

from comms.models import MailboxEmail, OutboxEmail, RawEmail, WebhookPayload


@admin.register(MailboxEmail)
class MailboxEmailAdmin(admin.ModelAdmin):
    list_display = ["subject", "to", "studio", "captured_at"]
    list_filter = ["studio"]
    search_fields = ["subject", "to"]


@admin.register(RawEmail)
class RawEmailAdmin(admin.ModelAdmin):
    """Inbound mail as it arrived; a failed row is replayed with ``receive_email --replay ID``."""

    list_display = ["pk", "studio", "source", "status", "received_at"]
    list_filter = ["status", "source", "studio"]
    readonly_fields = ["studio", "source", "received_at", "status", "error"]
    exclude = ["raw"]


@admin.register(WebhookPayload)
class WebhookPayloadAdmin(admin.ModelAdmin):
    """ESP webhook bodies as they arrived; failed ones are replayed with ``replay_webhooks --failed``."""

    list_display = ["pk", "esp", "kind", "status", "received_at"]
    list_filter = ["status", "esp", "kind"]
    readonly_fields = ["esp", "kind", "content_type", "headers", "status", "error", "received_at"]
    exclude = ["body"]


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    list_display = ["subject", "studio", "kind", "status", "send_after", "attempts"]
    list_filter = ["status", "kind", "studio"]
    search_fields = ["subject", "idempotency_key", "esp_message_id"]
    readonly_fields = ["message", "reply_to_message", "client", "project", "created_by"]

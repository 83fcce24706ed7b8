from django.contrib import admin

from comms.models import MailboxEmail


@admin.register(MailboxEmail)
class MailboxEmailAdmin(admin.ModelAdmin):
    list_display = ["subject", "to", "studio", "captured_at"]
    list_filter = ["studio"]
    search_fields = ["subject", "to"]

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from kernel.models import Heartbeat, Membership, Studio, User
from kernel.sweeps import SCHEDULE_FIELDS, schedules_reset


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "is_staff", "is_active"]
    search_fields = ["email", "name"]
    fieldsets = [
        (None, {"fields": ["email", "password", "name"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Studio)
class StudioAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "timezone", "created_at"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline]

    def save_model(self, request, obj: Studio, form, change: bool) -> None:
        """A studio added here is due for every scheduled job at once; a change of its hours, again."""
        super().save_model(request, obj, form, change)
        if not change or SCHEDULE_FIELDS.intersection(form.changed_data):
            schedules_reset(obj)


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["source", "last_seen_at", "detail"]

"""Fill the stored last contact (``Client.last_interaction_at``) from every interaction already recorded.

Before it, only touchpoints, logged calls and inquiries moved it. The rule (R14), as of this migration:
any message filed under the client except automatic ones (auto-replies, bounces, list mail) and outbound
mail Rapport wrote on its own (the outbox kinds below); a booked call, counted when it was booked; a
touchpoint, counted at the end of its local day. The stored date only moves forward. Then
``next_touch_on`` is stored again by the cadence rule: a cadence after the last contact, or after the
day the client was added when that is later. Historical models and this file's own copy of the rules.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import migrations
from django.db.models import Max

BATCH = 500
AUTOMATED_KINDS = frozenset(
    {
        "account", "inquiry-ack", "inquiry-new-lead", "digest", "reminder", "clock-warning", "clock-breach",
        "commitment-warning", "commitment-breach", "friday-reminder", "friday-update-auto", "deadline-reminder",
        "action-item-reminder", "deposit-reminder", "survey", "touchpoints-due", "past-clients", "yearly-card",
        "anniversary", "portal-link", "portal-link-requested", "call-invite", "call-cancelled", "call-notice",
    }
)  # fmt: skip


def studio_zone(name):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def latest_by_client(apps, studio, zone):
    Message = apps.get_model("comms", "Message")
    Call = apps.get_model("projects", "Call")
    Touchpoint = apps.get_model("clients", "Touchpoint")
    latest = {}

    def keep(rows):
        for client_id, at in rows:
            if at is not None and (client_id not in latest or latest[client_id] < at):
                latest[client_id] = at

    messages = (
        Message.objects.filter(studio_id=studio.pk, client__isnull=False, is_automatic=False)
        .exclude(direction="out", outbox_email__kind__in=AUTOMATED_KINDS)
        .order_by()
        .values("client_id")
        .annotate(at=Max("sent_at"))
    )
    keep((row["client_id"], row["at"]) for row in messages)
    calls = Call.objects.filter(studio_id=studio.pk).order_by().values("client_id").annotate(at=Max("created_at"))
    keep((row["client_id"], row["at"]) for row in calls)
    touchpoints = (
        Touchpoint.objects.filter(studio_id=studio.pk).order_by().values("client_id").annotate(on=Max("happened_on"))
    )
    keep((row["client_id"], datetime.combine(row["on"], datetime.max.time(), tzinfo=zone)) for row in touchpoints)
    return latest


def fill_last_contact(apps, schema_editor):
    Studio = apps.get_model("crm", "Studio")
    Client = apps.get_model("clients", "Client")
    for studio in Studio.objects.order_by("pk").iterator():
        zone = studio_zone(studio.timezone)
        latest = latest_by_client(apps, studio, zone)
        changed = []
        rows = Client.objects.filter(studio_id=studio.pk).order_by("pk")
        for client in rows.only("pk", "tier", "last_interaction_at", "created_at", "next_touch_on"):
            before = (client.last_interaction_at, client.next_touch_on)
            at = latest.get(client.pk)
            if at is not None and (client.last_interaction_at is None or client.last_interaction_at < at):
                client.last_interaction_at = at
            known = [
                moment.astimezone(zone).date() for moment in (client.last_interaction_at, client.created_at) if moment
            ]
            days = studio.angel_cadence_days if client.tier == "angel" else studio.regular_cadence_days
            client.next_touch_on = max(known) + timedelta(days=days) if known else None
            if (client.last_interaction_at, client.next_touch_on) != before:
                changed.append(client)
        Client.objects.bulk_update(changed, ["last_interaction_at", "next_touch_on"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0007_payment_covering_indexes"),
        ("comms", "0009_commitment_created_at_settable"),
        ("projects", "0007_actionitem_client_due_in_order"),
        ("crm", "0007_studio_portal_call_survey_settings"),
    ]

    operations = [migrations.RunPython(fill_last_contact, migrations.RunPython.noop)]

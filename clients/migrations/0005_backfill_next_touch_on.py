"""Fill ``Client.next_touch_on`` for the clients that existed before the column (see ``clients.touch_clock``).

Historical models, and a frozen copy of the rule (``clients.cadence.next_touch_on`` as it was when this
migration was written), so a later change to the app's code can't change what this migration does.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import migrations

BATCH = 500


def studio_zone(name):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def next_touch_on(*, is_angel, last_interaction_on, added_on, angel_days, regular_days):
    """A cadence after the last contact, or after the day the client was added if later; None without either."""
    known = [day for day in (last_interaction_on, added_on) if day is not None]
    if not known:
        return None
    return max(known) + timedelta(days=angel_days if is_angel else regular_days)


def fill_next_touch_on(apps, schema_editor):
    Studio = apps.get_model("crm", "Studio")
    Client = apps.get_model("clients", "Client")
    for studio in Studio.objects.order_by("pk").iterator():
        zone = studio_zone(studio.timezone)
        changed = []
        rows = Client.objects.filter(studio_id=studio.pk).order_by("pk")
        for client in rows.only("pk", "tier", "last_interaction_at", "client_since", "created_at", "next_touch_on"):
            wanted = next_touch_on(
                is_angel=client.tier == "angel",
                last_interaction_on=client.last_interaction_at.astimezone(zone).date()
                if client.last_interaction_at
                else None,
                added_on=client.created_at.astimezone(zone).date() if client.created_at else None,
                angel_days=studio.angel_cadence_days,
                regular_days=studio.regular_cadence_days,
            )
            if wanted != client.next_touch_on:
                client.next_touch_on = wanted
                changed.append(client)
        Client.objects.bulk_update(changed, ["next_touch_on"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0004_client_next_touch_on_covered_week"),
        ("crm", "0007_studio_portal_call_survey_settings"),
    ]

    operations = [migrations.RunPython(fill_next_touch_on, migrations.RunPython.noop)]

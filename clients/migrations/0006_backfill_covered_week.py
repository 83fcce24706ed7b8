"""Fill ``Client.covered_week`` for the current week (see ``projects.covered_week``), and index clients by name.

Historical models, and a frozen copy of the Friday rule (``projects.friday``) for the week's bounds
and the addresses its sent mail reached, as the app stores it. Only the current week matters to
readers; earlier weeks stay empty. Today lists the projects due an update by client name: the index
lets it read the first few clients in that order instead of sorting them all.
"""

from datetime import UTC, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import migrations, models
from django.utils import timezone

BATCH = 500


class WeekBounds(NamedTuple):
    key: str
    starts_at: datetime
    covered_until: datetime


def week_bounds(now, tz):
    """The local ISO week holding ``now``: its key, local Monday 00:00 and local Saturday 00:00."""
    local_day = now.astimezone(tz).date()
    monday = local_day - timedelta(days=local_day.weekday())
    iso_year, iso_week, _ = monday.isocalendar()
    return WeekBounds(
        key=f"{iso_year:04d}-W{iso_week:02d}",
        starts_at=datetime.combine(monday, time(0), tzinfo=tz),
        covered_until=datetime.combine(monday + timedelta(days=5), time(0), tzinfo=tz),
    )


def normalize_email(address):
    return address.strip().lower()


def covered_addresses(bounds, outbound):
    """The normalized recipients of mail sent from ``bounds.starts_at`` up to ``bounds.covered_until``."""
    starts_at = bounds.starts_at.astimezone(UTC)
    covered_until = bounds.covered_until.astimezone(UTC)
    addresses = set()
    for sent_at, recipients in outbound:
        if starts_at <= sent_at.astimezone(UTC) < covered_until:
            addresses.update(normalize_email(recipient) for recipient in recipients)
    addresses.discard("")
    return addresses


def studio_zone(name):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def contact_addresses(email, other_emails):
    yield email
    if isinstance(other_emails, list):
        yield from (other for other in other_emails if isinstance(other, str))


def fill_covered_week(apps, schema_editor):
    Studio = apps.get_model("crm", "Studio")
    Client = apps.get_model("clients", "Client")
    Contact = apps.get_model("clients", "Contact")
    Message = apps.get_model("comms", "Message")
    now = timezone.now()
    for studio in Studio.objects.order_by("pk").iterator():
        bounds = week_bounds(now, studio_zone(studio.timezone))
        sent = Message.objects.filter(
            studio_id=studio.pk,
            direction="out",
            channel="email",
            sent_at__gte=bounds.starts_at,
            sent_at__lt=bounds.covered_until,
        ).values_list("sent_at", "to", "cc", "bcc")
        covered = covered_addresses(bounds, ((sent_at, [*to, *cc, *bcc]) for sent_at, to, cc, bcc in sent.iterator()))
        if not covered:
            continue
        contacts = Contact.objects.filter(studio_id=studio.pk).values_list("client_id", "email", "other_emails")
        client_ids = sorted(
            {
                client_id
                for client_id, email, other_emails in contacts.iterator()
                if any(normalize_email(address) in covered for address in contact_addresses(email, other_emails))
            }
        )
        for start in range(0, len(client_ids), BATCH):
            Client.objects.filter(pk__in=client_ids[start : start + BATCH]).update(covered_week=bounds.key)


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0005_backfill_next_touch_on"),
        ("comms", "0007_message_portal_survey_channels"),
        ("crm", "0007_studio_portal_call_survey_settings"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="client",
            index=models.Index(fields=["studio", "name"], name="client_studio_name"),
        ),
        migrations.RunPython(fill_covered_week, migrations.RunPython.noop),
    ]

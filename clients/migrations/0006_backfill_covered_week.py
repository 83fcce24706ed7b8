"""Fill ``Client.covered_week`` for the current week (see ``projects.covered_week``), and index clients by name.

Historical models, and the pure Friday rule (``projects.friday``) for the week's bounds and the
addresses its sent mail reached, as the app stores it. Only the current week matters to readers;
earlier weeks stay empty. Today lists the projects due an update by client name: the index lets it
read the first few clients in that order instead of sorting them all.
"""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import migrations, models

BATCH = 500


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
    from django.utils import timezone

    from projects.friday import covered_addresses, normalize_email, week_bounds

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

from django.db import migrations

JOBS = ("deposits", "surveys", "invoice-reminders", "maintenance-invoices")


def every_studio_due_now(apps, schema_editor):
    """Existing studios get a schedule row per newly scheduled job, due at once; the first tick sets the real times."""
    from django.utils import timezone

    studio_model, schedule_model = apps.get_model("crm", "Studio"), apps.get_model("crm", "SweepSchedule")
    now = timezone.now()
    schedule_model.objects.bulk_create(
        (
            schedule_model(studio_id=studio_id, job=job, next_run_at=now)
            for studio_id in studio_model.objects.values_list("pk", flat=True)
            for job in JOBS
        ),
        batch_size=1_000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0011_created_at_default_now"),
    ]

    operations = [
        migrations.RunPython(every_studio_due_now, migrations.RunPython.noop),
    ]

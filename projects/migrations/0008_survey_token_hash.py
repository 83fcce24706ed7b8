import hashlib

from django.db import migrations, models

import projects.models


def hash_tokens(apps, schema_editor):
    """Links already sent keep working: each stored token becomes its SHA-256."""
    Survey = apps.get_model("projects", "Survey")
    for survey in Survey.objects.only("pk", "token").iterator():
        Survey.objects.filter(pk=survey.pk).update(token_hash=hashlib.sha256(survey.token.encode()).hexdigest())


class Migration(migrations.Migration):
    dependencies = [("projects", "0007_actionitem_client_due_in_order")]

    operations = [
        migrations.AddField(
            model_name="survey",
            name="token_hash",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.RunPython(hash_tokens, migrations.RunPython.noop),
        migrations.RemoveField(model_name="survey", name="token"),
        migrations.AlterField(
            model_name="survey",
            name="token_hash",
            field=models.CharField(
                default=projects.models.unissued_survey_token_hash, editable=False, max_length=64, unique=True
            ),
        ),
    ]

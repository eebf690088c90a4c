"""Import runs: a status (running / finished / interrupted) and a heartbeat updated per batch."""

import django.utils.timezone
from django.db import migrations, models


def settle_existing_runs(apps, schema_editor):
    """Runs recorded before statuses existed: finished if they say so, else they were interrupted."""
    ImportRun = apps.get_model("articles", "ImportRun")
    ImportRun.objects.filter(finished_at__isnull=False).update(status="finished")
    ImportRun.objects.filter(finished_at__isnull=True).update(status="interrupted")


class Migration(migrations.Migration):
    dependencies = [("articles", "0005_review_queue_index_editor_permissions")]

    operations = [
        migrations.AddField(
            model_name="importrun",
            name="updated_at",
            field=models.DateTimeField(
                auto_now=True,
                default=django.utils.timezone.now,
                help_text="Updated as each batch commits: a running run silent for long has stopped (see run_status).",
                verbose_name="last heartbeat",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="importrun",
            name="status",
            field=models.CharField(
                choices=[("running", "running"), ("finished", "finished"), ("interrupted", "interrupted")],
                default="running",
                help_text="Running until the last batch commits; a run whose process died stays running in the database.",
                max_length=20,
                verbose_name="status",
            ),
        ),
        migrations.RunPython(settle_existing_runs, migrations.RunPython.noop),
    ]

from datetime import UTC

from django.db import migrations, models
from django.db.models import Count, Q
from django.db.models.functions import TruncDate


def failing_runs_count(apps, schema_editor):
    """Fill the new column from the raw runs, so that existing roll-up rows
    agree with what `quality_rollup_rebuild` would compute."""
    SuiteRun = apps.get_model("quality", "SuiteRun")
    QualityDailyRollup = apps.get_model("quality", "QualityDailyRollup")
    failing = (
        SuiteRun.objects.filter(Q(failed__gt=0) | Q(errored__gt=0))
        .annotate(day=TruncDate("timestamp", tzinfo=UTC))
        .values("day", "team_id", "model", "task_type")
        .annotate(n=Count("id"))
        .order_by()
    )
    for group in failing.iterator(chunk_size=5000):
        QualityDailyRollup.objects.filter(
            day=group["day"],
            team_id=group["team_id"],
            model=group["model"],
            task_type=group["task_type"],
        ).update(failing_runs=group["n"])


class Migration(migrations.Migration):
    dependencies = [
        ("quality", "0003_suite_run_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="qualitydailyrollup",
            name="failing_runs",
            field=models.BigIntegerField(default=0),
        ),
        migrations.RunPython(failing_runs_count, migrations.RunPython.noop, elidable=True),
    ]

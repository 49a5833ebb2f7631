"""The roll-up models leave this app for governance.rollups; their tables stay."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0003_progress_job_started_at"),
        ("rollups", "0001_rollups_from_calls_and_dashboard"),
    ]

    # State only: the rollups app owns these tables now (its 0001).
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="dailyrollup",
                    name="client",
                ),
                migrations.RemoveField(
                    model_name="dailyrollup",
                    name="team",
                ),
                migrations.DeleteModel(
                    name="CostHistogramRollup",
                ),
                migrations.DeleteModel(
                    name="DailyRollup",
                ),
            ]
        )
    ]

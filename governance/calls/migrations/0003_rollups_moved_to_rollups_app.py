"""The roll-up models leave this app for governance.rollups; their tables stay."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("calls", "0002_team_hour_rollup"),
        ("rollups", "0001_rollups_from_calls_and_dashboard"),
    ]

    # State only: the rollups app owns these tables now (its 0001).
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="reporollup",
                    name="team",
                ),
                migrations.RemoveField(
                    model_name="teamhourrollup",
                    name="team",
                ),
                migrations.DeleteModel(
                    name="CallRollup",
                ),
                migrations.DeleteModel(
                    name="RepoRollup",
                ),
                migrations.DeleteModel(
                    name="TeamHourRollup",
                ),
            ]
        )
    ]

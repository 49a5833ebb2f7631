"""The call-level roll-ups move here from calls and dashboard, tables and rows untouched."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0003_api_keys_version"),
        ("calls", "0002_team_hour_rollup"),
        ("dashboard", "0003_progress_job_started_at"),
    ]

    # The tables stay where they are (db_table): only Django's idea of which
    # app owns them moves, so no row is copied. calls and dashboard drop the
    # models from their state in the same step.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CallRollup",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "granularity",
                            models.CharField(
                                choices=[("hour", "Hour"), ("day", "Day")], max_length=4
                            ),
                        ),
                        ("bucket", models.DateTimeField()),
                        ("model", models.CharField(max_length=128)),
                        ("task_type", models.CharField(max_length=64)),
                        ("environment", models.CharField(max_length=8)),
                        ("status", models.CharField(max_length=16)),
                        ("risk", models.CharField(max_length=8)),
                        ("calls", models.BigIntegerField(default=0)),
                        ("input_tokens", models.BigIntegerField(default=0)),
                        ("cached_input_tokens", models.BigIntegerField(default=0)),
                        ("output_tokens", models.BigIntegerField(default=0)),
                        ("reasoning_tokens", models.BigIntegerField(default=0)),
                        ("cost_usd_e10", models.BigIntegerField(default=0)),
                        ("unpriced_calls", models.BigIntegerField(default=0)),
                        ("latency_ms_sum", models.BigIntegerField(default=0)),
                        ("latency_count", models.BigIntegerField(default=0)),
                        ("retries", models.BigIntegerField(default=0)),
                        ("fallback_calls", models.BigIntegerField(default=0)),
                        ("fallback_cost_usd_e10", models.BigIntegerField(default=0)),
                        (
                            "client",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="accounts.client",
                            ),
                        ),
                        (
                            "team",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="accounts.team",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "calls_callrollup",
                        "indexes": [
                            models.Index(
                                fields=["granularity", "bucket"], name="rollup_gran_bucket"
                            )
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=(
                                    "granularity",
                                    "bucket",
                                    "team",
                                    "client",
                                    "model",
                                    "task_type",
                                    "environment",
                                    "status",
                                    "risk",
                                ),
                                name="rollup_unique_key",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="CostHistogramRollup",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("bucket", models.DateTimeField()),
                        ("model", models.CharField(max_length=128)),
                        ("bin", models.SmallIntegerField()),
                        ("calls", models.BigIntegerField(default=0)),
                        ("cost_usd_e10", models.BigIntegerField(default=0)),
                        ("max_cost_usd_e10", models.BigIntegerField(default=0)),
                        (
                            "team",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="accounts.team",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "dashboard_costhistogramrollup",
                        "indexes": [models.Index(fields=["bucket"], name="cost_hist_bucket")],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("bucket", "team", "model", "bin"),
                                name="cost_hist_unique_key",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="DailyRollup",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("bucket", models.DateTimeField()),
                        ("model", models.CharField(max_length=128)),
                        ("task_type", models.CharField(max_length=64)),
                        ("environment", models.CharField(max_length=8)),
                        ("calls", models.BigIntegerField(default=0)),
                        ("input_tokens", models.BigIntegerField(default=0)),
                        ("cached_input_tokens", models.BigIntegerField(default=0)),
                        ("output_tokens", models.BigIntegerField(default=0)),
                        ("reasoning_tokens", models.BigIntegerField(default=0)),
                        ("cost_usd_e10", models.BigIntegerField(default=0)),
                        ("unpriced_calls", models.BigIntegerField(default=0)),
                        ("error_calls", models.BigIntegerField(default=0)),
                        ("latency_ms_sum", models.BigIntegerField(default=0)),
                        ("latency_count", models.BigIntegerField(default=0)),
                        ("retries", models.BigIntegerField(default=0)),
                        ("fallback_calls", models.BigIntegerField(default=0)),
                        ("fallback_cost_usd_e10", models.BigIntegerField(default=0)),
                        (
                            "client",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="accounts.client",
                            ),
                        ),
                        (
                            "team",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="accounts.team",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "dashboard_dailyrollup",
                        "indexes": [models.Index(fields=["bucket"], name="dash_daily_bucket")],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=(
                                    "bucket",
                                    "team",
                                    "client",
                                    "model",
                                    "task_type",
                                    "environment",
                                ),
                                name="dash_daily_unique_key",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="RepoRollup",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("day", models.DateField()),
                        ("repo", models.CharField(max_length=255)),
                        ("calls", models.BigIntegerField(default=0)),
                        ("cost_usd_e10", models.BigIntegerField(default=0)),
                        (
                            "team",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="accounts.team",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "calls_reporollup",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("day", "team", "repo"), name="repo_rollup_unique"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="TeamHourRollup",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("bucket", models.DateTimeField()),
                        ("calls", models.BigIntegerField(default=0)),
                        ("tokens", models.BigIntegerField(default=0)),
                        ("cost_usd_e10", models.BigIntegerField(default=0)),
                        (
                            "team",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="accounts.team",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "calls_teamhourrollup",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("bucket", "team"), name="team_hour_rollup_unique"
                            )
                        ],
                    },
                ),
            ]
        )
    ]

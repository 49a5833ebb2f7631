"""The call roll-up keeps its hourly rows only, and counts error calls.

Its daily rows were written with every batch and read by nothing: the pages
read the dashboard's daily roll-up, budgets the team-hour one, the replay the
hourly rows. They go (the hourly rows still hold every call), and with them
the granularity column. error_calls joins so that every per-call roll-up has
the same measures; for existing hours it is the calls whose status was not "ok".
"""

from datetime import UTC

from django.db import migrations, models
from django.db.models import F, Sum
from django.db.models.functions import TruncDay

MEASURES = (
    "calls", "input_tokens", "cached_input_tokens", "output_tokens", "reasoning_tokens", "cost_usd_e10",
    "unpriced_calls", "latency_ms_sum", "latency_count", "retries", "fallback_calls", "fallback_cost_usd_e10",
)  # fmt: skip
DIMENSIONS = ("team_id", "client_id", "model", "task_type", "environment", "status", "risk")


def daily_rows_drop(apps, schema_editor):
    apps.get_model("rollups", "CallRollup").objects.filter(granularity="day").delete()


def daily_rows_restore(apps, schema_editor):
    """Going back: the daily rows are the sums of the day's hourly rows."""
    CallRollup = apps.get_model("rollups", "CallRollup")
    rows = (
        CallRollup.objects.filter(granularity="hour")
        .annotate(day=TruncDay("bucket", tzinfo=UTC))
        .values("day", *DIMENSIONS)
        .annotate(**{f"sum_{m}": Sum(m) for m in MEASURES})
        .order_by()
    )
    CallRollup.objects.bulk_create(
        (
            CallRollup(
                granularity="day",
                bucket=row["day"],
                **{d: row[d] for d in DIMENSIONS},
                **{m: row[f"sum_{m}"] for m in MEASURES},
            )
            for row in rows.iterator(chunk_size=5000)
        ),
        batch_size=5000,
    )


def error_calls_backfill(apps, schema_editor):
    CallRollup = apps.get_model("rollups", "CallRollup")
    CallRollup.objects.exclude(status="ok").update(error_calls=F("calls"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_api_keys_version"),
        ("rollups", "0001_rollups_from_calls_and_dashboard"),
    ]

    operations = [
        # First, while granularity still tells them apart: a day's row and its
        # midnight hour would have the same key once the column goes.
        migrations.RunPython(daily_rows_drop, daily_rows_restore, elidable=True),
        # Going back, the column returns filled with "hour", which every row left is.
        migrations.AlterField(
            model_name="callrollup",
            name="granularity",
            field=models.CharField(
                choices=[("hour", "Hour"), ("day", "Day")], default="hour", max_length=4
            ),
        ),
        migrations.RemoveConstraint(
            model_name="callrollup",
            name="rollup_unique_key",
        ),
        migrations.RemoveIndex(
            model_name="callrollup",
            name="rollup_gran_bucket",
        ),
        migrations.RemoveField(
            model_name="callrollup",
            name="granularity",
        ),
        migrations.AddField(
            model_name="callrollup",
            name="error_calls",
            field=models.BigIntegerField(default=0),
        ),
        migrations.RunPython(error_calls_backfill, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="callrollup",
            index=models.Index(fields=["bucket"], name="call_rollup_bucket"),
        ),
        migrations.AddConstraint(
            model_name="callrollup",
            constraint=models.UniqueConstraint(
                fields=(
                    "bucket",
                    "team",
                    "client",
                    "model",
                    "task_type",
                    "environment",
                    "status",
                    "risk",
                ),
                name="call_rollup_unique_key",
            ),
        ),
    ]

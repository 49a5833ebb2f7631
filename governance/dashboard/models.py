from django.db import models

from governance.core.jobs import ProgressJob


class DailyRollup(models.Model):
    """Calls per UTC day keyed by exactly the dashboard's dimensions: team,
    client, model, task type, environment.

    The call roll-ups also split by status and risk, which multiplies their
    rows about twentyfold; a 30-day page over them aggregates hundreds of
    thousands of rows at millions of calls. This table answers every spend
    chart from a few thousand rows instead. Maintained with the cost
    histogram by `rollups_dashboard_add` on the ingestion path; a test
    checks it against the raw calls and the call roll-ups.
    """

    bucket = models.DateTimeField()
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey("accounts.Client", on_delete=models.PROTECT, related_name="+")
    model = models.CharField(max_length=128)
    task_type = models.CharField(max_length=64)
    environment = models.CharField(max_length=8)
    calls = models.BigIntegerField(default=0)
    input_tokens = models.BigIntegerField(default=0)
    cached_input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    reasoning_tokens = models.BigIntegerField(default=0)
    cost_usd_e10 = models.BigIntegerField(default=0)
    unpriced_calls = models.BigIntegerField(default=0)
    error_calls = models.BigIntegerField(default=0)
    latency_ms_sum = models.BigIntegerField(default=0)
    latency_count = models.BigIntegerField(default=0)
    retries = models.BigIntegerField(default=0)
    fallback_calls = models.BigIntegerField(default=0)
    fallback_cost_usd_e10 = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["bucket", "team", "client", "model", "task_type", "environment"],
                name="dash_daily_unique_key",
            )
        ]
        indexes = [models.Index(fields=["bucket"], name="dash_daily_bucket")]

    def __str__(self) -> str:
        return f"{self.bucket:%Y-%m-%d} {self.team_id} {self.model}: {self.calls}"


class CostHistogramRollup(models.Model):
    """How many calls cost how much, per UTC day, team and model.

    Percentiles cannot be summed, so the daily roll-ups cannot give a p95 of
    cost per call. A fixed log-spaced histogram can be summed over any range
    and filter, and a percentile read from it is exact to one bucket (a
    10th of a decade, about 26 % wide); the max is kept exactly. Task type
    and environment are left out on purpose: with ~30 buckets in use they
    would multiply the rows past what a page can sum in its time budget.
    Maintained by
    `rollups_dashboard_add`, called on the ingestion path with the
    calls it stored. Unpriced calls are not counted here (they have no cost).
    """

    bucket = models.DateTimeField()
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    model = models.CharField(max_length=128)
    bin = models.SmallIntegerField()
    calls = models.BigIntegerField(default=0)
    # Money as integer 1e-10 USD, like the call roll-ups: exact sums on SQLite too.
    cost_usd_e10 = models.BigIntegerField(default=0)
    max_cost_usd_e10 = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["bucket", "team", "model", "bin"],
                name="cost_hist_unique_key",
            )
        ]
        indexes = [models.Index(fields=["bucket"], name="cost_hist_bucket")]

    def __str__(self) -> str:
        return f"{self.bucket:%Y-%m-%d} {self.model} bin {self.bin}: {self.calls}"


class ExportJob(ProgressJob):
    """A CSV export of raw calls, too large to answer in a request: a Celery
    task writes it under var/exports/ and moves `done` (rows written) towards
    `total` (rows matched) so the page can show a progress bar."""

    job_kind = "CSV export"
    job_task = "governance.dashboard.tasks.export_calls_csv"

    filters = models.JSONField(default=dict)
    file_name = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return f"export {self.id} {self.status}"

    def job_subject(self) -> str:
        return " ".join(f"{key}={value}" for key, value in sorted(self.filters.items()))

    def discard(self) -> None:
        from governance.dashboard.services import exports_dir

        if self.file_name:
            (exports_dir() / self.file_name).unlink(missing_ok=True)
        super().discard()

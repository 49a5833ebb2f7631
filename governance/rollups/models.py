"""Every call-level aggregate, owned here: written by `rollups_apply`, read through
the selectors of this app. The tables keep the names they had in calls and dashboard."""

from django.db import models

from governance.calls.models import CALL_DIMENSIONS


class CallMeasures(models.Model):
    """What every per-call roll-up sums, one column per measure; the names in
    MEASURES, in the order the upsert writes them. `rollups_apply` counts a
    call into them (`Measures.call_add`), once, for every table that has them.

    Money here is an integer count of 1e-10 USD (`*_usd_e10`), the precision of
    Call.cost_usd: sums of integers are exact on every database, where SQLite
    would add decimals as floats. Convert with catalog.pricing.e10_to_usd.
    """

    calls = models.BigIntegerField(default=0)
    input_tokens = models.BigIntegerField(default=0)
    cached_input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    reasoning_tokens = models.BigIntegerField(default=0)
    cost_usd_e10 = models.BigIntegerField(default=0)
    # Calls with no price (their cost is not in cost_usd_e10), and not "ok".
    unpriced_calls = models.BigIntegerField(default=0)
    error_calls = models.BigIntegerField(default=0)
    # Mean latency is latency_ms_sum / latency_count: calls may not report one.
    latency_ms_sum = models.BigIntegerField(default=0)
    latency_count = models.BigIntegerField(default=0)
    retries = models.BigIntegerField(default=0)
    fallback_calls = models.BigIntegerField(default=0)
    fallback_cost_usd_e10 = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


MEASURES = tuple(field.name for field in CallMeasures._meta.local_fields)


class CallDimensions(models.Model):
    """The dimensions every per-call roll-up splits by: its time bucket (UTC),
    team, client, model, task type and environment."""

    bucket = models.DateTimeField()
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey("accounts.Client", on_delete=models.PROTECT, related_name="+")
    model = models.CharField(max_length=128)
    task_type = models.CharField(max_length=64)
    environment = models.CharField(max_length=8)

    class Meta:
        abstract = True


class CallRollup(CallDimensions, CallMeasures):
    """Calls per UTC hour by every dimension a routing rule can read: team,
    client, model, task type, environment, status and risk. What the replay
    of a draft policy reads; kept by `rollups_apply` in the transaction that
    stores or re-prices the calls, so it is exact.
    """

    status = models.CharField(max_length=16)
    risk = models.CharField(max_length=8)

    class Meta:
        db_table = "calls_callrollup"
        constraints = [
            models.UniqueConstraint(
                fields=["bucket", *CALL_DIMENSIONS],
                name="call_rollup_unique_key",
            )
        ]
        indexes = [models.Index(fields=["bucket"], name="call_rollup_bucket")]

    def __str__(self) -> str:
        return f"{self.bucket:%Y-%m-%d %H:%M} {self.team_id} {self.model}"


class TeamHourRollup(models.Model):
    """Calls, tokens and cost per team and UTC hour: what budgets read.

    A budget's period starts at midnight in the budget's own time zone, so its
    spend is summed over hours; but only per team. The hourly call roll-ups
    split each hour by client, model, task type, environment, status and
    risk, so a month of them runs to hundreds of thousands of rows at millions
    of calls; this table holds at most 24 rows a day per team whatever the
    volume. Kept by `rollups_apply` with the others, so it moves with ingestion
    and re-pricing in the same transaction.
    """

    bucket = models.DateTimeField()
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    calls = models.BigIntegerField(default=0)
    # What a token budget counts: input (cached included) plus output (reasoning included).
    tokens = models.BigIntegerField(default=0)
    cost_usd_e10 = models.BigIntegerField(default=0)

    class Meta:
        db_table = "calls_teamhourrollup"
        constraints = [
            models.UniqueConstraint(fields=["bucket", "team"], name="team_hour_rollup_unique")
        ]

    def __str__(self) -> str:
        return f"{self.bucket:%Y-%m-%d %H:%M} team {self.team_id}: {self.calls}"


class RepoRollup(models.Model):
    """Calls and cost per UTC day, team and repository (from metadata.repo)."""

    day = models.DateField()
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    repo = models.CharField(max_length=255)
    calls = models.BigIntegerField(default=0)
    cost_usd_e10 = models.BigIntegerField(default=0)

    class Meta:
        db_table = "calls_reporollup"
        constraints = [
            models.UniqueConstraint(fields=["day", "team", "repo"], name="repo_rollup_unique")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.repo}"


class DailyRollup(CallDimensions, CallMeasures):
    """Calls per UTC day keyed by exactly the dashboard's dimensions: team,
    client, model, task type, environment.

    The call roll-ups also split by status and risk, which multiplies their
    rows about twentyfold; a 30-day page over them aggregates hundreds of
    thousands of rows at millions of calls. This table answers every spend
    chart from a few thousand rows instead. Kept by `rollups_apply`
    with the others; a test checks it against the raw calls.
    """

    class Meta:
        db_table = "dashboard_dailyrollup"
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
    Kept by
    `rollups_apply` with the others. Unpriced calls are not counted here (they have no cost).
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
        db_table = "dashboard_costhistogramrollup"
        constraints = [
            models.UniqueConstraint(
                fields=["bucket", "team", "model", "bin"],
                name="cost_hist_unique_key",
            )
        ]
        indexes = [models.Index(fields=["bucket"], name="cost_hist_bucket")]

    def __str__(self) -> str:
        return f"{self.bucket:%Y-%m-%d} {self.model} bin {self.bin}: {self.calls}"

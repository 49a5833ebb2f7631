from django.db import models


class Outcome(models.TextChoices):
    """What happened to a generated-test job ("mini proposes, full validates")."""

    PROMOTED = "promoted", "Promoted (tests passed and were kept)"
    ESCALATED = "escalated", "Escalated (tests failed; the work went to the full model)"


class Source(models.TextChoices):
    JSON = "json", "JSON counts"
    JUNIT = "junit", "JUnit XML report"


class SuiteRun(models.Model):
    """The CI outcome of one batch of generated tests: what the product and the
    API call a "test run". The code says "suite run" so that no model, service
    or serializer name starts with "test" and pytest never collects one.

    Written only by `suite_run_record`, which replaces a run re-uploaded with
    the same (client, run_id) instead of adding to it.

    Pass rate (defined once, in `governance.quality.stats.pass_rate`): passed /
    (passed + failed + errored); skipped tests are excluded.
    """

    client = models.ForeignKey("accounts.Client", on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    run_id = models.CharField(max_length=128)
    timestamp = models.DateTimeField()
    received_at = models.DateTimeField()
    model = models.CharField(max_length=128)
    task_type = models.CharField(max_length=64, blank=True)
    repo = models.CharField(max_length=255, blank=True)
    commit = models.CharField(max_length=64, blank=True)
    pull_request = models.CharField(max_length=64, blank=True)
    job = models.CharField(max_length=128, blank=True)
    attempt = models.PositiveIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.JSON)
    total = models.PositiveIntegerField()
    passed = models.PositiveIntegerField()
    failed = models.PositiveIntegerField()
    errored = models.PositiveIntegerField()
    skipped = models.PositiveIntegerField()
    # How many tests passed only after a rerun (Surefire flakyFailure/flakyError);
    # already counted once in `passed`.
    flaky = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "run_id"], name="test_run_unique_per_client"),
            models.CheckConstraint(
                condition=models.Q(
                    total=models.F("passed")
                    + models.F("failed")
                    + models.F("errored")
                    + models.F("skipped")
                ),
                name="test_run_counts_add_up",
            ),
        ]
        indexes = [
            models.Index(fields=["model", "task_type", "timestamp"], name="test_run_model_task_ts"),
            models.Index(fields=["team", "timestamp"], name="test_run_team_ts"),
            models.Index(fields=["timestamp"], name="test_run_ts"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} {self.model} {self.passed}/{self.total}"


class SuiteRunCall(models.Model):
    """A call that generated a run's tests, named by (client, call_id).

    `resolved_call` is set when the run arrives, or later by `suite_run_links_resolve`
    when the call log arrives after the test results; cost per passing test
    sums the cost of the resolved calls.
    """

    suite_run = models.ForeignKey(SuiteRun, on_delete=models.CASCADE, related_name="links")
    client = models.ForeignKey("accounts.Client", on_delete=models.PROTECT, related_name="+")
    call_id = models.CharField(max_length=128)
    resolved_call = models.ForeignKey(
        "calls.Call", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["suite_run", "call_id"], name="test_run_call_unique"),
        ]
        indexes = [models.Index(fields=["client", "call_id"], name="test_run_call_lookup")]

    def __str__(self) -> str:
        return f"{self.suite_run_id} <- {self.call_id}"


class AlertState(models.TextChoices):
    OPEN = "open"
    CLEARED = "cleared"


class QualityAlert(models.Model):
    """A significant drop of one team's pass rate for a model and task type,
    raised and cleared only by `quality_regressions_check`."""

    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    model = models.CharField(max_length=128)
    task_type = models.CharField(max_length=64, blank=True)
    state = models.CharField(max_length=8, choices=AlertState.choices, default=AlertState.OPEN)
    raised_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)
    # The comparison that raised it: rates are fractions in [0, 1].
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    baseline_passed = models.PositiveIntegerField()
    baseline_executed = models.PositiveIntegerField()
    recent_passed = models.PositiveIntegerField()
    recent_executed = models.PositiveIntegerField()
    baseline_rate = models.FloatField()
    recent_rate = models.FloatField()
    p_value = models.FloatField()
    threshold_pp = models.FloatField()
    # The latest check's window rate while open, and the rate it cleared at.
    last_rate = models.FloatField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [
            # At most one open alert per series; the detector relies on it.
            models.UniqueConstraint(
                fields=["team", "model", "task_type"],
                condition=models.Q(state="open"),
                name="quality_alert_one_open_per_series",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.state} {self.model}/{self.task_type or '-'} {self.team_id}"

    @property
    def drop_pp(self) -> float:
        return round((self.baseline_rate - self.recent_rate) * 100, 1)


# The measures of QualityDailyRollup, in the order the services add them.
QUALITY_ROLLUP_SUMS = (
    "runs", "total", "passed", "failed", "errored", "skipped", "flaky", "promoted_runs", "escalated_runs",
    "failing_runs", "linked_calls", "resolved_calls", "priced_calls", "cost_usd_e10",
)  # fmt: skip


class QualityDailyRollup(models.Model):
    """Test runs per UTC day (of the run's timestamp), team, model and task
    type, with the cost of the calls linked to them.

    Pages read this instead of aggregating the raw runs and joining their
    links to the calls, which grows with the data. Kept exact by
    `quality_rollup_add` from every write that changes what `pass_rates` sums:
    a run recorded, replaced or imported, a link resolved later, a linked call
    re-priced or deleted by retention. `quality_rollup_rebuild` recomputes it
    from the raw runs; a test compares the two after a mix of writes.
    """

    day = models.DateField()
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    model = models.CharField(max_length=128)
    task_type = models.CharField(max_length=64, blank=True)
    runs = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0)
    passed = models.BigIntegerField(default=0)
    failed = models.BigIntegerField(default=0)
    errored = models.BigIntegerField(default=0)
    skipped = models.BigIntegerField(default=0)
    flaky = models.BigIntegerField(default=0)
    promoted_runs = models.BigIntegerField(default=0)
    escalated_runs = models.BigIntegerField(default=0)
    # Runs with at least one failed or errored test: how often a mini model's
    # work would escalate if failing it sent the job to the full model.
    failing_runs = models.BigIntegerField(default=0)
    # The runs' links: named, pointing at a logged call, at a priced one.
    linked_calls = models.BigIntegerField(default=0)
    resolved_calls = models.BigIntegerField(default=0)
    priced_calls = models.BigIntegerField(default=0)
    # Money as integer 1e-10 USD, like the call roll-ups: exact sums on SQLite too.
    cost_usd_e10 = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "team", "model", "task_type"], name="quality_daily_unique_key"
            )
        ]
        indexes = [models.Index(fields=["day"], name="quality_daily_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.team_id} {self.model}/{self.task_type or '-'}: {self.runs} runs"


class QualityDayVersion(models.Model):
    """How often the test runs of one UTC day (or their links) have changed.

    Bumped in the transaction of every write that changes the quality
    roll-up, so a result cached per day can tell that it is stale: it was
    counted at an older version.
    """

    day = models.DateField(unique=True)
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day} v{self.version}"


class JobStepDay(models.Model):
    """A day whose job steps are counted in JobStepRollup, at that day's
    version: a cache entry, written by `job_steps_refresh` only."""

    day = models.DateField()
    version = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "version"], name="job_step_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.day} v{self.version}"


class JobStepRollup(models.Model):
    """Runs of jobs of one UTC day, grouped by their place in the job (see
    `quality.selectors.JobSteps`): the escalation chains the routing advisor
    counts, without reading every run on every request.

    Counted by `job_steps_refresh` from the raw runs of the day, at the day's
    version; a job's runs are paired within their UTC day. Rows of an older
    version are stale and left out by reads until the refresh replaces them.
    """

    day = models.DateField()
    version = models.BigIntegerField()
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    first = models.BooleanField()
    model = models.CharField(max_length=128)
    task_type = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=16, blank=True)
    previous_model = models.CharField(max_length=128, blank=True)
    previous_task_type = models.CharField(max_length=64, blank=True)
    runs = models.BigIntegerField()
    passed = models.BigIntegerField()
    executed = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "day",
                    "version",
                    "team",
                    "first",
                    "model",
                    "task_type",
                    "outcome",
                    "previous_model",
                    "previous_task_type",
                ],
                name="job_step_rollup_unique",
            )  # fmt: skip
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.model}/{self.task_type or '-'}: {self.runs} runs"

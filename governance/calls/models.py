from django.db import models

from governance.core.jobs import BackgroundJob


class Risk(models.TextChoices):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Environment(models.TextChoices):
    CI = "ci"
    IDE = "ide"
    CLI = "cli"
    API = "api"
    OTHER = "other"


class Status(models.TextChoices):
    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"
    RATE_LIMITED = "rate_limited"
    CANCELLED = "cancelled"


class PriceSource(models.TextChoices):
    GENAI_PRICES = "genai_prices", "Published price (genai-prices)"
    ALIAS = "alias", "Alias-priced (another model's published price)"
    CUSTOM = "custom", "Admin price"
    UNPRICED = "unpriced", "Unpriced (unknown model)"


# What the hourly roll-up of calls splits them by: every field of a call a
# routing rule can read.
CALL_DIMENSIONS = ("team", "client", "model", "task_type", "environment", "status", "risk")


class Call(models.Model):
    """One model call as reported by a routing client.

    Rows are written only by `calls_ingest` (bulk, idempotent on
    (client, call_id)) and re-priced only by `calls_reprice`.
    """

    client = models.ForeignKey("accounts.Client", on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    call_id = models.CharField(max_length=128)
    timestamp = models.DateTimeField()
    received_at = models.DateTimeField()
    model = models.CharField(max_length=128)
    provider = models.CharField(max_length=64, blank=True)
    task_type = models.CharField(max_length=64, blank=True)
    risk = models.CharField(max_length=8, choices=Risk.choices, default=Risk.MEDIUM)
    environment = models.CharField(
        max_length=8, choices=Environment.choices, default=Environment.OTHER
    )
    input_tokens = models.PositiveBigIntegerField(default=0)
    cached_input_tokens = models.PositiveBigIntegerField(default=0)
    output_tokens = models.PositiveBigIntegerField(default=0)
    reasoning_tokens = models.PositiveBigIntegerField(default=0)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OK)
    error_type = models.CharField(max_length=128, blank=True)
    retries = models.PositiveIntegerField(default=0)
    fallback_from = models.CharField(max_length=128, blank=True)
    decision_id = models.CharField(max_length=64, blank=True)
    reported_cost_usd = models.DecimalField(max_digits=20, decimal_places=10, null=True, blank=True)
    # NULL cost means "unpriced", never $0.
    cost_usd = models.DecimalField(max_digits=20, decimal_places=10, null=True, blank=True)
    price_source = models.CharField(max_length=16, choices=PriceSource.choices)
    repo = models.CharField(max_length=255, blank=True)
    prompt = models.TextField(blank=True)
    response = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            # Idempotency is decided here, by the database, not by a read-before-write.
            models.UniqueConstraint(fields=["client", "call_id"], name="call_unique_per_client"),
        ]
        indexes = [
            models.Index(fields=["team", "timestamp"], name="call_team_ts"),
            models.Index(fields=["model", "timestamp"], name="call_model_ts"),
            models.Index(fields=["timestamp"], name="call_ts"),
        ]

    def __str__(self) -> str:
        return f"{self.call_id} {self.model} {self.timestamp:%Y-%m-%d %H:%M}"


class RepriceRun(BackgroundJob):
    """One re-pricing of a model's stored calls, from the price change that
    asked for it to its end: `done` counts the calls examined (of `total`),
    `calls_repriced` those whose price changed; the checkpoint holds the last
    call id done."""

    job_kind = "Re-pricing"
    job_task = "governance.calls.tasks.calls_reprice_task"

    model = models.CharField(max_length=128)
    calls_repriced = models.BigIntegerField(default=0)
    calls_still_unpriced = models.BigIntegerField(default=0)
    reason = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return f"reprice {self.model} at {self.created_at:%Y-%m-%d %H:%M}"

    def job_subject(self) -> str:
        return self.model


class PurgeRun(BackgroundJob):
    """One retention purge: the calls older than `older_than`, deleted in
    batches; `done` counts the calls deleted, the checkpoint the last one."""

    job_kind = "Retention"
    job_task = "governance.ops.tasks.calls_purge_task"

    older_than = models.DateTimeField()

    def __str__(self) -> str:
        return f"purge before {self.older_than:%Y-%m-%d} {self.status}"

    def job_subject(self) -> str:
        return f"calls before {self.older_than:%Y-%m-%d %H:%M} UTC"

from django.conf import settings
from django.db import models
from django.utils import timezone

from governance.core.jobs import ProgressJob


class PolicyVersion(models.Model):
    """One published policy, immutable once written. The highest number is the
    one in force; a rollback publishes a copy of an earlier version under a new
    number (`restored_from`), so numbers only grow and clients see a change."""

    number = models.PositiveIntegerField(unique=True)
    document = models.JSONField()
    note = models.CharField(max_length=255, blank=True)
    restored_from = models.PositiveIntegerField(null=True, blank=True)
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"policy v{self.number}"


class HealthState(models.TextChoices):
    HEALTHY = "healthy", "Healthy"
    DEGRADED = "degraded", "Degraded (circuit open)"
    HALF_OPEN = "half_open", "Half-open (trial traffic)"


class ModelHealth(models.Model):
    """The circuit state of one catalogued model, from the last minutes of its
    calls: for the whole organisation (no team), or for one team's own calls.
    Written only by `model_health_evaluate`.

    The organisation's circuit opens only when a quorum of teams fail on their
    own; a team whose calls alone fail opens its own circuit, which changes
    that team's decisions and nobody else's (so one key cannot move every
    team's routing by what it reports)."""

    model = models.CharField(max_length=128)
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    state = models.CharField(
        max_length=16, choices=HealthState.choices, default=HealthState.HEALTHY
    )
    state_changed_at = models.DateTimeField(default=timezone.now)
    calls = models.PositiveIntegerField(default=0)
    error_rate = models.FloatField(default=0)
    timeout_rate = models.FloatField(default=0)
    latency_p50_ms = models.PositiveIntegerField(null=True, blank=True)
    latency_p95_ms = models.PositiveIntegerField(null=True, blank=True)
    latency_p99_ms = models.PositiveIntegerField(null=True, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["model", "team_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["model"], condition=models.Q(team=None), name="model_health_org_unique"
            ),
            models.UniqueConstraint(
                fields=["model", "team"],
                condition=models.Q(team__isnull=False),
                name="model_health_team_unique",
            ),
        ]

    def __str__(self) -> str:
        scope = f" for team {self.team_id}" if self.team_id else ""
        return f"{self.model}{scope}: {self.state}"


class PolicySnapshot(models.Model):
    """The single current snapshot (pk=1): everything a decision reads, built
    once per change by `policy_snapshot_rebuild` and served from memory."""

    generation = models.PositiveBigIntegerField(default=0)
    etag = models.CharField(max_length=64)
    body = models.JSONField()
    built_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"snapshot #{self.generation}"


class ReplayJob(ProgressJob):
    """A replay of the last `days` of calls under a draft policy, too long for
    a request at 90 days: a Celery task reads the roll-ups one day at a time,
    moving `done` (days read) towards `total` (days), and stores the replay
    as JSON (money as decimal strings). It replays up to `created_at`, so the
    result does not depend on when a worker picked it up."""

    job_kind = "Policy replay"
    job_task = "governance.policies.tasks.replay_job_run_task"

    document = models.JSONField()
    days = models.PositiveSmallIntegerField()
    result = models.JSONField(null=True, blank=True)

    def __str__(self) -> str:
        return f"replay {self.id} of {self.days} days {self.status}"

    def job_subject(self) -> str:
        return f"last {self.days} days"

from decimal import Decimal

from django.db import models

# The organisation's tolerance when nobody has set one.
DEFAULT_TOLERANCE_PP = Decimal("1.00")
ORG_SCOPE = "org"


class QualityTolerance(models.Model):
    """How many percentage points of generated-test pass rate the organisation
    (team null) or one team accepts to lose for a saving.

    `scope` is "org" or "team:<id>" so that the organisation's row is unique
    too (a unique constraint on a nullable team would allow many nulls).
    Written only by `tolerance_set`, which audits the change.
    """

    scope = models.CharField(max_length=32, unique=True)
    team = models.OneToOneField(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    tolerance_pp = models.DecimalField(max_digits=5, decimal_places=2)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.scope}: {self.tolerance_pp} pp"


class Pilot(models.Model):
    """A sticky percentage split that sends a share of one task type to an
    option under test, through the feature flag `flag_key`, until the
    advisor has the runs it needs. Written only by `pilot_start`."""

    flag_key = models.CharField(max_length=128, unique=True)
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    task_type = models.CharField(max_length=64)
    option = models.CharField(max_length=16)
    percentage = models.PositiveSmallIntegerField()
    runs_needed = models.PositiveIntegerField()
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.task_type} -> {self.option} at {self.percentage} %"


class PlanState(models.TextChoices):
    DRAFTED = "drafted"
    FOLLOWING = "following"
    BREACHED = "breached"


class AdoptedPlan(models.Model):
    """A recommended plan turned into a draft policy, and what it promised.

    The policy rules it drafted carry `plan_marker` in their names, so the
    follow-up finds the published version that holds them without the
    policies app knowing about plans. Written only by the advisor's services.
    """

    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField()
    tolerance_pp = models.DecimalField(max_digits=5, decimal_places=2)
    # {task_type: {"option", "full", "mini", "change", "variance", "traffic", "saving_usd"}}
    choices = models.JSONField(default=dict)
    promised_saving_usd = models.DecimalField(max_digits=16, decimal_places=2)
    promised_change_pp = models.FloatField()
    # The full model's pass rate the plan was measured against, per task type:
    # {task_type: [passed, executed]}.
    baseline = models.JSONField(default=dict)
    state = models.CharField(max_length=16, choices=PlanState.choices, default=PlanState.DRAFTED)
    published_version = models.PositiveIntegerField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    realised_saving_usd = models.DecimalField(
        max_digits=16, decimal_places=2, null=True, blank=True
    )
    realised_change_pp = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"plan {self.pk} ({self.state})"

    @property
    def plan_marker(self) -> str:
        return f"advisor-plan-{self.pk}"

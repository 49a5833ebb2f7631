from django.conf import settings
from django.db import models
from django.utils import timezone


class ChangeControl(models.Model):
    """The organisation's change-control settings (one row, pk=1). Written
    only by `governance.changes.services.four_eyes_set`."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    four_eyes = models.BooleanField(default=False)
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"four-eyes {'on' if self.four_eyes else 'off'}"


class ChangeKind(models.TextChoices):
    POLICY_PUBLISH = "policy.publish", "Publish a policy"
    POLICY_ROLLBACK = "policy.rollback", "Roll a policy back"
    FLAG_UPDATE = "flag.update", "Change a flag"
    FLAG_TOGGLE = "flag.toggle", "Turn a flag on or off"
    FLAG_ARCHIVE = "flag.archive", "Archive a flag"
    BUDGET_UPDATE = "budget.update", "Change a budget"
    CONFIG_APPLY = "config.apply", "Apply a configuration document"
    TOLERANCE_SET = "tolerance.set", "Change the quality tolerance"


class ChangeStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a second admin"
    APPLIED = "applied", "Applied"
    REJECTED = "rejected", "Rejected"
    STALE = "stale", "Stale (its target changed since)"


class ChangeRequest(models.Model):
    """A change that waits for a second admin (four-eyes), or an emergency
    change applied at once and waiting for review after the fact.

    `payload` is what the change applies, read back by the same service that
    applies it directly; `base_version` is the target's version (ETag) when
    the request was made: once the target has moved on, the request is stale
    and cannot be applied. Written only by `governance.changes.services`.
    """

    kind = models.CharField(max_length=32, choices=ChangeKind.choices)
    target = models.CharField(max_length=200)  # "flag peak-hours", "budget 4", "policy"
    payload = models.JSONField()
    base_version = models.CharField(max_length=64)
    diff = models.JSONField(default=list)  # sentences, in words
    reason = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # "alice" or "client:platform/ci key 1a2b3c": who asked, also for API keys.
    author_label = models.CharField(max_length=150)
    status = models.CharField(
        max_length=16, choices=ChangeStatus.choices, default=ChangeStatus.PENDING, db_index=True
    )
    emergency = models.BooleanField(default=False)
    decided_by_label = models.CharField(max_length=150, blank=True)
    decision_reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Emergency changes: the second admin who looked at it afterwards.
    reviewed_by_label = models.CharField(max_length=150, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"change #{self.pk}: {self.get_kind_display()} ({self.target})"

    @property
    def awaiting_review(self) -> bool:
        return self.emergency and not self.reviewed_at

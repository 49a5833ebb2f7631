from django.conf import settings
from django.db import models

from governance.core.egress import url_origin


class AuditEvent(models.Model):
    """One change made by a person, a client or an automatic rule.

    Written only by `governance.audit.services.audit_record`, inside the same
    transaction as the change it describes, so that a change without its
    event (or the reverse) cannot be committed.
    """

    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # "alice", "client:ci-runner", "system:budget-evaluator": readable after the
    # user row is gone.
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, db_index=True)
    target_id = models.CharField(max_length=128, blank=True)
    target_repr = models.CharField(max_length=255, blank=True)
    reason = models.TextField(blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id", "-occurred_at"])]

    def __str__(self) -> str:
        return (
            f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target_repr}"
        )


class WebhookEndpoint(models.Model):
    """A URL that receives signed JSON for the events matching its patterns."""

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=255, blank=True)
    # Patterns such as "flag.*", "budget.*", "quality.alert.*" or "*" (fnmatch, case-sensitive).
    events = models.JSONField(default=list)
    # Kept in clear: the HMAC needs it on every delivery. Shown to the admin once.
    secret = models.CharField(max_length=128)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["url", "id"]

    def __str__(self) -> str:
        # Shown in the audit log and the admin: the origin only, since the path
        # and query of an incoming-webhook URL are often its secret.
        return url_origin(self.url)

    @property
    def origin(self) -> str:
        return url_origin(self.url)


class WebhookDelivery(models.Model):
    """One event sent (or being sent) to one endpoint, with the outcome of its attempts."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=64)
    payload = models.JSONField()
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(db_index=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event} -> {self.endpoint_id} ({self.status})"

from django.conf import settings
from django.db import models
from django.utils import timezone


class Team(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=128)
    # Prompts and responses are stored (always redacted) only for teams that opted in.
    store_prompts = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class Client(models.Model):
    """A routing client: a service, CI job, CLI or IDE plugin fleet."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="clients")
    name = models.CharField(max_length=128)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["team__slug", "name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="client_unique_name_per_team")
        ]

    def __str__(self) -> str:
        return f"{self.team.slug}/{self.name}"


class Scope(models.TextChoices):
    INGEST = "ingest", "Ingest calls and test runs"
    POLICY_READ = "policy:read", "Read policy, flags and decisions"
    # The admin API (/api/v1/admin/): configuration as code from CI.
    ADMIN = "admin", "Change flags, budgets, policies and webhooks (admin API)"


class ApiKey(models.Model):
    """An API key. Only its prefix (to find it) and a SHA-256 hash are stored;
    the key itself is shown once, when it is issued."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=128, blank=True)
    prefix = models.CharField(max_length=16, unique=True)
    hashed_key = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.client} key {self.prefix}"

    def is_active_at(self, when) -> bool:
        if self.revoked_at is not None and self.revoked_at <= when:
            return False
        return self.expires_at is None or self.expires_at > when


class ApiKeysVersion(models.Model):
    """One row whose generation changes with every revocation, in the same
    transaction (see governance.core.freshness): the decision endpoints keep
    keys in process memory and check it on every request, so a revoked key is
    refused on its next request by every process."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    generation = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"api keys generation {self.generation}"


class Membership(models.Model):
    """A person belongs to teams; roles are Django groups (see accounts.roles)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "team"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"

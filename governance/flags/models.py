import uuid

from django.db import models
from django.utils import timezone

from governance.engine.flag_spec import FlagType


class Flag(models.Model):
    """A feature flag. Its evaluable part (type, enabled, variants, rules, rollout,
    schedule) is exactly a `governance.engine.flag_spec.FlagSpec`; see `Flag.spec_dict`.

    Written only by the services in `governance.flags.services`.
    """

    key = models.CharField(max_length=128, unique=True)
    description = models.TextField(blank=True)
    owner = models.CharField(max_length=150, blank=True)
    flag_type = models.CharField(
        max_length=16,
        choices=[(t.value, t.value) for t in FlagType],
        default=FlagType.BOOLEAN.value,
    )
    enabled = models.BooleanField(default=False)
    variants = models.JSONField(default=dict)
    default_variant = models.CharField(max_length=64)
    off_variant = models.CharField(max_length=64, blank=True)
    rules = models.JSONField(default=list, blank=True)
    rollout = models.JSONField(default=list, blank=True)
    schedule = models.JSONField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # An archived flag is kept for its history but no longer evaluated or listed
    # in snapshots; only `flag_archive` sets it.
    archived_at = models.DateTimeField(null=True, blank=True)
    # Updated at most once an hour per flag (see flags_mark_evaluated), for staleness only.
    last_evaluated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key

    def spec_dict(self) -> dict:
        return {
            "key": self.key,
            "type": self.flag_type,
            "enabled": self.enabled,
            "variants": self.variants,
            "default_variant": self.default_variant,
            "off_variant": self.off_variant or None,
            "rules": self.rules or [],
            "rollout": self.rollout or [],
            "schedule": self.schedule,
        }


class FlagsVersion(models.Model):
    """One row whose token changes with every flag change, in the same transaction.

    Each process compares it (one primary-key read) with the token of its
    in-process snapshot, so a change is seen by every web worker on its
    next request. A random token rather than the counter alone: a counter can
    come back to an old value after a rollback or a restore, a token cannot.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.PositiveBigIntegerField(default=0)
    token = models.CharField(max_length=32, default="initial")
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"flags v{self.version}"

    @staticmethod
    def new_token() -> str:
        return uuid.uuid4().hex

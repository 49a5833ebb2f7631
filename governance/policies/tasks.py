from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from governance.policies.services import model_health_evaluate, policy_snapshot_rebuild

TRANSIENT = (OperationalError, InterfaceError)


@shared_task(
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=3,
    acks_late=True,
    soft_time_limit=50,
    time_limit=60,
)
def model_health_evaluate_task() -> list[str]:
    """Every minute: move model circuits from the last minutes of calls."""
    return [row.model for row in model_health_evaluate()]


@shared_task(
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=3,
    acks_late=True,
    soft_time_limit=50,
    time_limit=60,
)
def policy_snapshot_refresh_task() -> int:
    """A safety net beside the rebuilds that changes trigger: a rebuild with an
    unchanged content keeps the generation (and every client's ETag)."""
    return policy_snapshot_rebuild().generation

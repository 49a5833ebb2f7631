from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from governance.calls.services import calls_purge
from governance.core.jobs import jobs_reap
from governance.core.metrics import CALLS_PURGED
from governance.core.tasking import governor_task


@governor_task(soft_time_limit=1800, time_limit=1900, max_retries=5)
def calls_purge_task(*, retention_days: int | None = None) -> int:
    """Retention: delete calls older than the retention age. Idempotent: a rerun
    (or two racing runs) only finds fewer rows to delete."""
    days = retention_days or settings.GOVERNOR_CALL_RETENTION_DAYS
    deleted = calls_purge(
        older_than=timezone.now() - timedelta(days=days), batch_size=settings.GOVERNOR_PURGE_BATCH
    )
    CALLS_PURGED.inc(deleted)
    return deleted


@governor_task(soft_time_limit=240, time_limit=300)
def jobs_reap_task() -> dict[str, int]:
    """Fail exports and replays whose worker was lost; delete old finished ones.
    Idempotent: a rerun finds nothing left to do."""
    return jobs_reap(now=timezone.now(), keep_days=settings.GOVERNOR_JOB_RETENTION_DAYS)

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from governance.calls.services import calls_purge_request, calls_purge_run
from governance.core.jobs import jobs_reap
from governance.core.tasking import governor_task, job_task
from governance.ops.services import jobs_requeue_stalled


@job_task()
def calls_purge_task(self, job_id: str | None = None, *, retention_days: int | None = None) -> int:
    """Retention: delete calls older than the retention age, a chunk at a
    time. From beat (no `job_id`): carry on the unfinished purge or start one.
    Idempotent: a rerun (or two racing runs) only finds fewer rows to delete.
    Returns the calls the job has deleted so far."""
    if job_id is None:
        days = retention_days or settings.GOVERNOR_CALL_RETENTION_DAYS
        run = calls_purge_request(older_than=timezone.now() - timedelta(days=days))
        if run is None:
            return 0
        job_id = str(run.pk)
    return calls_purge_run(
        job_id=int(job_id), holder=self.request.id, batch_size=settings.GOVERNOR_PURGE_BATCH
    ).done


@governor_task(soft_time_limit=240, time_limit=300)
def jobs_reap_task() -> dict[str, int]:
    """Fail jobs no worker ever picked up; delete old finished ones.
    Idempotent: a rerun finds nothing left to do."""
    return jobs_reap(now=timezone.now(), keep_days=settings.GOVERNOR_JOB_RETENTION_DAYS)


@governor_task(soft_time_limit=50, time_limit=60)
def jobs_requeue_stalled_task() -> int:
    """Send jobs whose worker was lost to a worker again (audited).
    Idempotent: a requeued job is queued, no longer stalled."""
    return jobs_requeue_stalled(now=timezone.now())

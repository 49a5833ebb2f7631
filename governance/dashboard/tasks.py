"""Celery tasks of the dashboard: thin wrappers around one service each."""

from __future__ import annotations

from governance.core.tasking import governor_task


@governor_task(soft_time_limit=300, time_limit=360, max_retries=5, retry_backoff_max=300)
def export_calls_csv(job_id: str) -> str:
    from governance.dashboard.services import export_job_run

    return export_job_run(job_id=job_id).status

"""Celery tasks of the dashboard: thin wrappers around one service each."""

from __future__ import annotations

from governance.core.tasking import job_task
from governance.dashboard.services import export_job_run


@job_task()
def export_calls_csv(self, job_id: str) -> str:
    """A chunk of a CSV export; it queues the next chunk itself."""
    from django.conf import settings

    return export_job_run(
        job_id=job_id, holder=self.request.id, progress_every=settings.GOVERNOR_EXPORT_BATCH
    ).status

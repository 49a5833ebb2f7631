"""Writes owned by the dashboard: CSV export jobs."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import timezone

from governance.audit.services import audit_record
from governance.core.csvsafe import csv_writer
from governance.core.jobs import job_claim, job_fail, job_finish, job_progress, job_release
from governance.dashboard.models import ExportJob

logger = logging.getLogger("governance.dashboard")

# ---------------------------------------------------------------- exports

# CSV header -> the call field it comes from.
EXPORT_COLUMNS = {
    "call_id": "call_id",
    "timestamp": "timestamp",
    "team": "team__slug",
    "client": "client__name",
    "model": "model",
    "task_type": "task_type",
    "risk": "risk",
    "environment": "environment",
    "status": "status",
    "input_tokens": "input_tokens",
    "cached_input_tokens": "cached_input_tokens",
    "output_tokens": "output_tokens",
    "reasoning_tokens": "reasoning_tokens",
    "latency_ms": "latency_ms",
    "retries": "retries",
    "fallback_from": "fallback_from",
    "cost_usd": "cost_usd",
    "repo": "repo",
}


def exports_dir() -> Path:
    path = Path(settings.VAR_DIR) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def export_job_create(*, actor: Any, filters: dict) -> ExportJob:
    """Queue a CSV export of the raw calls matching `filters` (the URL form
    of a RollupFilter). The work runs in Celery after the commit."""
    from governance.dashboard import tasks

    with transaction.atomic():
        job = ExportJob.objects.create(
            requested_by=actor, filters=filters, created_at=timezone.now()
        )
        audit_record(action="export.request", target=job, actor=actor, after={"filters": filters})
        transaction.on_commit(lambda: tasks.export_calls_csv.delay(str(job.pk)))
    return job


def export_job_run(*, job_id: str, progress_every: int = 5000) -> ExportJob:
    """Write the export file, moving `done` as it goes. Safe to run again:
    only a pending job is claimed, so a redelivered task does not write the
    file twice."""
    from governance.dashboard.filters import filter_from_query
    from governance.dashboard.selectors import calls_filter

    job, claimed = job_claim(model=ExportJob, job_id=job_id)
    if not claimed:
        return job
    file_name = f"calls-{job_id}.csv"
    try:
        done = _export_write(
            job_id=job_id,
            qs=calls_filter(filters=filter_from_query(job.filters)),
            path=exports_dir() / file_name,
            progress_every=progress_every,
        )
    except OperationalError:
        # export_calls_csv retries on this: hand the job back so that the retry
        # can claim it (it rewrites the file from the start).
        job_release(model=ExportJob, job_id=job_id)
        raise
    except OSError as exc:
        logger.warning("export.failed", extra={"export_id": job_id})
        return job_fail(model=ExportJob, job_id=job_id, error=str(exc))
    logger.info("export.done", extra={"export_id": job_id, "rows": done})
    return job_finish(model=ExportJob, job_id=job_id, done=done, file_name=file_name)


def _export_write(*, job_id: str, qs: Any, path: Path, progress_every: int) -> int:
    job_progress(model=ExportJob, job_id=job_id, done=0, total=qs.count())
    rows = (
        qs.order_by("timestamp", "pk")
        .values_list(*EXPORT_COLUMNS.values())
        .iterator(chunk_size=progress_every)
    )
    done = 0
    with path.open("w", newline="") as fh:
        writer = csv_writer(fh)
        writer.writerow(list(EXPORT_COLUMNS))
        for row in rows:
            writer.writerow(row)
            done += 1
            if done % progress_every == 0:
                job_progress(model=ExportJob, job_id=job_id, done=done)
    return done

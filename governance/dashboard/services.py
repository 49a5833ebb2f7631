"""Writes owned by the dashboard: CSV export jobs."""

from __future__ import annotations

import logging
import math
import os
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from governance.audit.services import audit_record
from governance.core.csvsafe import csv_writer
from governance.core.jobs import job_enqueue_on_commit, job_work
from governance.dashboard.filters import filter_from_query
from governance.dashboard.models import ExportJob, exports_dir
from governance.dashboard.selectors import calls_filter

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


def export_job_create(*, actor: Any, filters: dict) -> ExportJob:
    """Queue a CSV export of the raw calls matching `filters` (the URL form
    of a RollupFilter). The work runs in Celery after the commit."""
    with transaction.atomic():
        job = ExportJob.objects.create(
            requested_by=actor, filters=filters, created_at=timezone.now()
        )
        audit_record(action="export.request", target=job, actor=actor, after={"filters": filters})
        job_enqueue_on_commit(job=job)
    return job


def export_job_run(
    *,
    job_id: str,
    holder: str = "",
    progress_every: int = 5000,
    seconds: float | None = None,
) -> ExportJob:
    """Write the export file, `progress_every` rows a batch, moving `done` as
    it goes. The calls are those received before the export was asked for,
    in (timestamp, id) order; the checkpoint holds the last row written and
    the file's length after it, so a run resumed after a lost worker cuts off
    whatever it wrote past the checkpoint and carries on: every row once.
    Safe to run again: a finished job is left as it is."""

    file_name = f"calls-{job_id}.csv"
    path = exports_dir() / file_name

    def matching(job: ExportJob) -> Any:
        return calls_filter(filters=filter_from_query(job.filters)).filter(
            received_at__lte=job.created_at
        )

    def start(job: ExportJob) -> None:
        job.total = matching(job).count()
        with path.open("w", newline="") as fh:
            csv_writer(fh).writerow(list(EXPORT_COLUMNS))
        job.checkpoint = {"bytes": path.stat().st_size}

    def batch(job: ExportJob) -> bool:
        rows = matching(job)
        after = job.checkpoint.get("after")
        if after is not None:
            at = datetime.fromisoformat(after[0])
            rows = rows.filter(Q(timestamp__gt=at) | Q(timestamp=at, pk__gt=after[1]))
        chunk = list(
            rows.order_by("timestamp", "pk").values_list("pk", *EXPORT_COLUMNS.values())[
                :progress_every
            ]
        )
        # Whatever a lost run wrote past its checkpoint goes.
        os.truncate(path, job.checkpoint["bytes"])
        with path.open("a", newline="") as fh:
            writer = csv_writer(fh)
            for row in chunk:
                writer.writerow(row[1:])
            fh.flush()
            os.fsync(fh.fileno())
        if chunk:
            last = chunk[-1]
            job.checkpoint = {
                **job.checkpoint,
                "bytes": path.stat().st_size,
                "after": [last[_TIMESTAMP].isoformat(), last[0]],
            }
            job.done += len(chunk)
        return len(chunk) < progress_every

    def finish(job: ExportJob) -> None:
        job.file_name = file_name
        logger.info("export.done", extra={"export_id": job_id, "rows": job.done})

    return job_work(
        model=ExportJob,
        job_id=job_id,
        holder=holder or f"inline-{job_id}",
        batch=batch,
        start=start,
        finish=finish,
        seconds=math.inf if not holder else seconds,
    )


# The position of the timestamp in an export row (after the call's id).
_TIMESTAMP = 1 + list(EXPORT_COLUMNS).index("timestamp")

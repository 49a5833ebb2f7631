"""Writes owned by the dashboard: the cost histogram roll-up and CSV export jobs."""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from governance.audit.services import audit_record
from governance.catalog.pricing import usd_to_e10
from governance.dashboard.histogram import cost_bin
from governance.dashboard.models import CostHistogramRollup, ExportJob, ExportStatus

logger = logging.getLogger("governance.dashboard")

_HIST_TABLE = CostHistogramRollup._meta.db_table


@dataclass
class _HistCell:
    calls: int
    cost_e10: int
    max_e10: int


def _day_start(ts: datetime) -> datetime:
    ts = ts.astimezone(UTC)
    return datetime.combine(ts.date(), time.min, tzinfo=UTC)


def _cells(calls: Iterable[Any]) -> dict[tuple, _HistCell]:
    cells: dict[tuple, _HistCell] = {}
    for call in calls:
        if call.cost_usd is None:
            continue
        cost = Decimal(call.cost_usd)
        e10 = usd_to_e10(cost)
        key = (
            _day_start(call.timestamp),
            call.team_id,
            call.model,
            call.task_type,
            call.environment,
            cost_bin(cost),
        )
        cell = cells.get(key)
        if cell is None:
            cells[key] = _HistCell(calls=1, cost_e10=e10, max_e10=e10)
        else:
            cell.calls += 1
            cell.cost_e10 += e10
            cell.max_e10 = max(cell.max_e10, e10)
    return cells


@dataclass(frozen=True)
class CostSample:
    """The fields of a call the histogram needs, for callers that hold no Call
    instance (the ingestion path holds validated records and their prices)."""

    timestamp: datetime
    team_id: int
    model: str
    task_type: str
    environment: str
    cost_usd: Decimal | None


def rollups_cost_histogram_add(*, calls: Iterable[Any]) -> int:
    """Count newly stored calls into the cost histogram.

    Call it on the ingestion path, inside the transaction that stores the
    calls and with exactly the calls that were inserted (not the duplicates
    a retried batch skipped), so the histogram stays exact. Takes Call
    instances or `CostSample`s (anything with timestamp, team_id, model,
    task_type, environment and cost_usd); unpriced calls are skipped.
    Returns the number of histogram cells touched.
    """
    cells = _cells(calls)
    if not cells:
        return 0
    table = connection.ops.quote_name(_HIST_TABLE)
    # An additive upsert: concurrent batches touching the same cell both
    # land, which a read-modify-write in Python would not guarantee. Cells
    # are written in key order so racing batches lock rows in the same order.
    # The table name comes from the model's Meta; every value is a parameter.
    sql = (
        f"INSERT INTO {table} (bucket, team_id, model, task_type, environment, bin, calls, cost_usd_e10,"  # noqa: S608
        " max_cost_usd_e10) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (bucket, team_id, model, task_type, environment, bin) DO UPDATE SET"
        f" calls = {table}.calls + excluded.calls,"
        f" cost_usd_e10 = {table}.cost_usd_e10 + excluded.cost_usd_e10,"
        f" max_cost_usd_e10 = CASE WHEN excluded.max_cost_usd_e10 > {table}.max_cost_usd_e10"
        f" THEN excluded.max_cost_usd_e10 ELSE {table}.max_cost_usd_e10 END"
    )
    adapt = connection.ops.adapt_datetimefield_value
    params = [
        (
            adapt(bucket),
            team_id,
            model,
            task_type,
            environment,
            k,
            cell.calls,
            cell.cost_e10,
            cell.max_e10,
        )
        for (bucket, team_id, model, task_type, environment, k), cell in sorted(
            cells.items(), key=lambda kv: tuple(str(v) for v in kv[0])
        )
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, params)
    return len(cells)


def rollups_cost_histogram_rebuild(
    *, start: datetime, end: datetime, chunk_size: int = 5000
) -> int:
    """Rebuild the histogram for [start, end) (whole UTC days) from the raw
    calls, e.g. after a re-pricing or for data loaded without the ingestion
    path. Returns the number of calls counted."""
    from governance.calls.models import Call

    start, end = _day_start(start), _day_start(end)
    counted = 0
    with transaction.atomic():
        CostHistogramRollup.objects.filter(bucket__gte=start, bucket__lt=end).delete()
        qs = (
            Call.objects.filter(timestamp__gte=start, timestamp__lt=end, cost_usd__isnull=False)
            .only("timestamp", "team_id", "model", "task_type", "environment", "cost_usd")
            .order_by("pk")
        )
        batch: list[Any] = []
        for call in qs.iterator(chunk_size=chunk_size):
            batch.append(call)
            if len(batch) >= chunk_size:
                rollups_cost_histogram_add(calls=batch)
                counted += len(batch)
                batch = []
        if batch:
            rollups_cost_histogram_add(calls=batch)
            counted += len(batch)
    return counted


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
    """Write the export file, moving `rows_done` as it goes. Safe to run again:
    only a pending job is claimed (a conditional update), so a redelivered
    task does not write the file twice."""
    from governance.calls.selectors import calls_filter
    from governance.dashboard.filters import filter_from_query

    claimed = ExportJob.objects.filter(pk=job_id, status=ExportStatus.PENDING).update(
        status=ExportStatus.RUNNING
    )
    job = ExportJob.objects.get(pk=job_id)
    if not claimed:
        return job
    qs = calls_filter(filters=filter_from_query(job.filters))
    total = qs.count()
    ExportJob.objects.filter(pk=job_id).update(rows_total=total)
    file_name = f"calls-{job_id}.csv"
    path = exports_dir() / file_name
    rows = (
        qs.order_by("timestamp", "pk")
        .values_list(*EXPORT_COLUMNS.values())
        .iterator(chunk_size=progress_every)
    )
    done = 0
    try:
        with path.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(list(EXPORT_COLUMNS))
            for row in rows:
                writer.writerow(
                    [
                        v.isoformat() if isinstance(v, datetime) else ("" if v is None else v)
                        for v in row
                    ]
                )
                done += 1
                if done % progress_every == 0:
                    ExportJob.objects.filter(pk=job_id).update(rows_done=done)
    except OSError as exc:
        ExportJob.objects.filter(pk=job_id).update(
            status=ExportStatus.FAILED, error=str(exc)[:255], finished_at=timezone.now()
        )
        logger.warning("export.failed", extra={"export_id": job_id})
        return ExportJob.objects.get(pk=job_id)
    ExportJob.objects.filter(pk=job_id).update(
        status=ExportStatus.DONE, rows_done=done, file_name=file_name, finished_at=timezone.now()
    )
    logger.info("export.done", extra={"export_id": job_id, "rows": done})
    return ExportJob.objects.get(pk=job_id)

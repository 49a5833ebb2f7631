"""Writes owned by the dashboard: the cost histogram roll-up and CSV export jobs."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from governance.audit.services import audit_record
from governance.calls.rollups import rollup_upsert
from governance.catalog.pricing import usd_to_e10
from governance.core.csvsafe import csv_writer
from governance.core.jobs import job_enqueue_on_commit, job_work
from governance.dashboard.histogram import cost_bin
from governance.dashboard.models import CostHistogramRollup, DailyRollup, ExportJob

logger = logging.getLogger("governance.dashboard")

HIST_KEY = ("bucket", "team_id", "model", "bin")
HIST_SUMS = ("calls", "cost_usd_e10")
HIST_MAX = ("max_cost_usd_e10",)
DAILY_KEY = ("bucket", "team_id", "client_id", "model", "task_type", "environment")
DAILY_SUMS = (
    "calls", "input_tokens", "cached_input_tokens", "output_tokens", "reasoning_tokens", "cost_usd_e10",
    "unpriced_calls", "error_calls", "latency_ms_sum", "latency_count", "retries", "fallback_calls",
    "fallback_cost_usd_e10",
)  # fmt: skip


def _day_start(ts: datetime) -> datetime:
    ts = ts.astimezone(UTC)
    return datetime.combine(ts.date(), time.min, tzinfo=UTC)


@dataclass(frozen=True)
class DashboardSample:
    """The fields of a stored call the dashboard's roll-ups need, for callers
    that hold no Call instance (the ingestion path holds validated records
    and their prices). Call instances have the same attributes."""

    timestamp: datetime
    team_id: int
    client_id: int
    model: str
    task_type: str
    environment: str
    cost_usd: Decimal | None
    status: str = "ok"
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    latency_ms: int | None = None
    retries: int = 0
    fallback_from: str = ""


def _cells(
    calls: Iterable[Any], sign: int
) -> tuple[dict[tuple, list[int]], dict[tuple, list[int]]]:
    daily: dict[tuple, list[int]] = {}
    hist: dict[tuple, list[int]] = {}
    for c in calls:
        day = _day_start(c.timestamp)
        priced = c.cost_usd is not None
        e10 = usd_to_e10(Decimal(c.cost_usd)) if priced else 0
        fallback = 1 if c.fallback_from else 0
        measures = (
            1, c.input_tokens, c.cached_input_tokens, c.output_tokens, c.reasoning_tokens, e10,
            0 if priced else 1, 0 if c.status == "ok" else 1, c.latency_ms or 0,
            0 if c.latency_ms is None else 1, c.retries, fallback, e10 * fallback,
        )  # fmt: skip
        acc = daily.setdefault(
            (day, c.team_id, c.client_id, c.model, c.task_type, c.environment),
            [0] * len(DAILY_SUMS),
        )
        for i, value in enumerate(measures):
            acc[i] += sign * value
        if priced:
            cell = hist.setdefault(
                (day, c.team_id, c.model, cost_bin(Decimal(c.cost_usd))), [0, 0, 0]
            )
            cell[0] += sign
            cell[1] += sign * e10
            # A maximum cannot be taken back: on removal the stored one stays.
            cell[2] = max(cell[2], e10) if sign > 0 else 0
    return daily, hist


def rollups_dashboard_add(*, calls: Iterable[Any], sign: int = 1) -> int:
    """Count newly stored calls into the dashboard's roll-ups: the slim daily
    roll-up (DailyRollup) and the cost histogram (CostHistogramRollup).

    Call it on the ingestion path, inside the transaction that stores the
    calls and with exactly the calls that were inserted (not the duplicates
    a retried batch skipped), so both stay exact. Takes Call instances or
    `DashboardSample`s. Re-pricing takes the old prices away with sign=-1
    and adds the new ones; every sum stays exact, only a histogram cell's
    max may stay at a removed price until `rollups_dashboard_rebuild`.
    Returns the number of calls counted.
    """
    if sign not in (1, -1):
        raise ValueError("sign must be 1 or -1")
    calls = list(calls)
    daily, hist = _cells(calls, sign)
    with transaction.atomic():
        rollup_upsert(
            table=DailyRollup._meta.db_table, key_cols=DAILY_KEY, sum_cols=DAILY_SUMS, cells=daily
        )
        rollup_upsert(
            table=CostHistogramRollup._meta.db_table,
            key_cols=HIST_KEY,
            sum_cols=HIST_SUMS,
            max_cols=HIST_MAX,
            cells=hist,
        )
    return len(calls)


def rollups_dashboard_rebuild(*, start: datetime, end: datetime, chunk_size: int = 5000) -> int:
    """Rebuild the dashboard's roll-ups for [start, end) (whole UTC days) from
    the raw calls, e.g. after a re-pricing or for data loaded without the
    ingestion path. Returns the number of calls counted."""
    from governance.calls.models import Call

    start, end = _day_start(start), _day_start(end)
    counted = 0
    with transaction.atomic():
        CostHistogramRollup.objects.filter(bucket__gte=start, bucket__lt=end).delete()
        DailyRollup.objects.filter(bucket__gte=start, bucket__lt=end).delete()
        qs = (
            Call.objects.filter(timestamp__gte=start, timestamp__lt=end)
            .only(
                "timestamp",
                "team",
                "client",
                "model",
                "task_type",
                "environment",
                "cost_usd",
                "status",
                "input_tokens",
                "cached_input_tokens",
                "output_tokens",
                "reasoning_tokens",
                "latency_ms",
                "retries",
                "fallback_from",
            )  # fmt: skip
            .order_by("pk")
        )
        batch: list[Any] = []
        for call in qs.iterator(chunk_size=chunk_size):
            batch.append(call)
            if len(batch) >= chunk_size:
                rollups_dashboard_add(calls=batch)
                counted += len(batch)
                batch = []
        if batch:
            rollups_dashboard_add(calls=batch)
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
    from governance.dashboard.filters import filter_from_query
    from governance.dashboard.selectors import calls_filter

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

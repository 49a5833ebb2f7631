"""Background work that survives a lost worker and shows where it stands.

Every long piece of work (a re-pricing, a retention purge, a CSV export, a
policy replay) is one row of a `BackgroundJob` subclass, from the request that
starts it to its end; a retry, a redelivery or a requeue continues that row,
never starts a second one. The work runs in batches: each batch runs in one
transaction that locks the job row, reads its checkpoint, does the work and
stores the new checkpoint with it, so a batch is done exactly once however
many deliveries of the task race, and a task that died is resumed where its
last batch ended.

A task works for at most GOVERNOR_TASK_CHUNK_SECONDS, then hands the rest to
a new task message: every task finishes well inside its time limit, and so
inside the broker's redelivery timeout that is derived from the time limits
(see settings). A running job's heartbeat moves with each batch; one whose
heartbeat stopped for GOVERNOR_JOB_STALL_SECONDS lost its worker, is shown as
stalled (page, API, /metrics) and is requeued by `jobs_requeue_stalled`.

The pages that follow one job draw it with templates/_job_progress.html and
static/governor/job.js.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypeVar

from celery.exceptions import SoftTimeLimitExceeded
from django.apps import apps
from django.conf import settings
from django.db import InterfaceError, OperationalError, models, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from governance.core.enqueue import task_enqueue

logger = logging.getLogger("governance.jobs")

# A pending job no worker picked up in this long lost its message (or no
# worker runs at all): it is failed with a message that says so.
STALE_PENDING = timedelta(hours=2)


class JobStatus(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class BackgroundJob(models.Model):
    """One piece of background work, its progress and where to resume it.
    Subclasses name the task that runs it (`job_task`, called with `job_id`)
    and what it is for people (`job_kind`, `job_subject`)."""

    job_kind: ClassVar[str] = ""
    job_task: ClassVar[str] = ""

    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.PENDING)
    total = models.BigIntegerField(default=0)
    done = models.BigIntegerField(default=0)
    error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # When a worker first claimed it.
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Where the work stands (e.g. the last id done), written in the same
    # transaction as the batch it describes: what a new delivery resumes from.
    checkpoint = models.JSONField(default=dict, blank=True)
    # Moved by every batch: a running job whose heartbeat stopped lost its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # When its latest task message was sent (created, continued, requeued).
    queued_at = models.DateTimeField(null=True, blank=True)
    # The task delivery working on it; another delivery leaves it alone while
    # the heartbeat is fresh.
    lease = models.CharField(max_length=64, blank=True)
    # How often it was requeued after its worker was lost.
    requeues = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    def job_subject(self) -> str:
        return ""

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def percent(self) -> int:
        # 100 only once the result is stored: the last unit done is not the end.
        if self.status == JobStatus.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, int(100 * self.done / self.total))

    def discard(self) -> None:
        """Delete the job and anything it left behind (subclasses with files
        remove them too)."""
        self.delete()


class ProgressJob(BackgroundJob):
    """A job a person asked for on a page and follows with a progress bar."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True
        ordering = ["-created_at"]


J = TypeVar("J", bound=BackgroundJob)

# The helpers take the concrete model; an abstract one has no `objects` to
# type-check against, so they go through its `_default_manager`.


def job_models() -> list[type[BackgroundJob]]:
    return [m for m in apps.get_models() if issubclass(m, BackgroundJob)]


def job_stall_after() -> timedelta:
    return timedelta(seconds=settings.GOVERNOR_JOB_STALL_SECONDS)


def job_enqueue(*, job: BackgroundJob) -> bool:
    """Send the task that runs (or continues) `job`: at once, or after the
    current transaction commits. False if the broker refused (the job then
    stalls and is requeued once the broker is back)."""

    return task_enqueue(type(job).job_task, job_id=str(job.pk))


def job_enqueue_on_commit(*, job: BackgroundJob) -> None:
    type(job)._default_manager.filter(pk=job.pk).update(queued_at=timezone.now())
    transaction.on_commit(lambda: job_enqueue(job=job))


@dataclass(frozen=True)
class Lease:
    """Who works on a job now: a task delivery's id."""

    holder: str


def _claim(model: type[J], job_id: Any, lease: Lease, now: datetime) -> bool:
    # A pending job, a job this very delivery held (a redelivered message), or
    # a running one whose holder stopped beating: conditional, so of racing
    # deliveries one wins and the others leave it alone.
    claimable = (
        models.Q(status=JobStatus.PENDING)
        | models.Q(status=JobStatus.RUNNING, lease=lease.holder)
        | models.Q(status=JobStatus.RUNNING, heartbeat_at__lt=now - job_stall_after())
        | models.Q(status=JobStatus.RUNNING, heartbeat_at__isnull=True)
    )
    manager = model._default_manager
    claimed = manager.filter(claimable, pk=job_id).update(
        status=JobStatus.RUNNING, lease=lease.holder, heartbeat_at=now
    )
    if claimed:
        manager.filter(pk=job_id, started_at__isnull=True).update(started_at=now)
    return bool(claimed)


Batch = Callable[[J], bool]
"""Does one batch of the job's work inside the transaction that holds the job
row locked, from `job.checkpoint`; moves `job.checkpoint`, `job.done` and its
own fields; returns True when nothing is left."""


def job_work(
    *,
    model: type[J],
    job_id: Any,
    holder: str,
    batch: Batch,
    finish: Callable[[J], None] | None = None,
    start: Callable[[J], None] | None = None,
    seconds: float | None = None,
    max_batches: int | None = None,
) -> J:
    """Run `job_id` for about `seconds` (GOVERNOR_TASK_CHUNK_SECONDS when not
    given), batch after batch, then hand the rest to a new task message.

    `start(job)` runs once, in the transaction of the first batch (to count
    the total, say); `finish(job)` in the transaction of the last (to store
    the result and audit it). A job another live delivery holds, or one
    already finished, is returned untouched. A transient database error hands
    the job back and is raised for the task to retry; any other error fails
    the job with its message, which the jobs page shows. `max_batches` stops
    a run in this process early, the job left queued for its task to finish.
    """
    manager = model._default_manager
    lease = Lease(holder=holder)
    if not _claim(model, job_id, lease, timezone.now()):
        return manager.get(pk=job_id)
    budget = settings.GOVERNOR_TASK_CHUNK_SECONDS if seconds is None else seconds
    deadline = time.monotonic() + budget
    batches = 0
    while True:
        try:
            with transaction.atomic():
                job = manager.select_for_update().get(pk=job_id)
                if job.status != JobStatus.RUNNING or job.lease != lease.holder:
                    return job  # another delivery took it over: it carries on
                if start is not None and not job.checkpoint.get("started"):
                    start(job)
                    job.checkpoint = {**job.checkpoint, "started": True}
                finished = batch(job)
                job.heartbeat_at = timezone.now()
                if finished:
                    if finish is not None:
                        finish(job)
                    job.status, job.finished_at, job.lease = JobStatus.DONE, timezone.now(), ""
                    job.error = ""
                job.save()
        except (OperationalError, InterfaceError) as exc:
            manager.filter(pk=job_id, lease=lease.holder).update(
                status=JobStatus.PENDING, lease="", error=_error(exc)
            )
            raise
        except SoftTimeLimitExceeded:
            # A batch longer than the task may run: keep the job running (it
            # stalls and is requeued), with the reason for the page.
            manager.filter(pk=job_id, lease=lease.holder).update(
                error="A batch ran past the task's time limit."
            )
            raise
        except Exception as exc:  # noqa: BLE001 - the job fails for good, with its reason shown
            logger.exception("job.failed", extra={"job": model.__name__, "job_id": str(job_id)})
            return job_fail(model=model, job_id=job_id, error=_error(exc))
        if finished:
            logger.info("job.done", extra={"job": model.__name__, "job_id": str(job_id)})
            return job
        batches += 1
        if max_batches is not None and batches >= max_batches:
            manager.filter(pk=job_id, lease=lease.holder).update(
                status=JobStatus.PENDING, lease="", queued_at=timezone.now()
            )
            return manager.get(pk=job_id)
        if time.monotonic() >= deadline:
            return _hand_over(model, job, lease)


def _hand_over(model: type[J], job: J, lease: Lease) -> J:
    manager = model._default_manager
    now = timezone.now()
    released = manager.filter(pk=job.pk, lease=lease.holder, status=JobStatus.RUNNING).update(
        status=JobStatus.PENDING, lease="", queued_at=now
    )
    if released and not job_enqueue(job=job):
        # No message carries it on: left running, it stalls and is requeued.
        manager.filter(pk=job.pk, status=JobStatus.PENDING, lease="").update(
            status=JobStatus.RUNNING
        )
    return manager.get(pk=job.pk)


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:255]


def job_fail(*, model: type[J], job_id: Any, error: str) -> J:
    model._default_manager.filter(pk=job_id).update(
        status=JobStatus.FAILED, error=error[:255], finished_at=timezone.now(), lease=""
    )
    return model._default_manager.get(pk=job_id)


# --- where background work stands ------------------------------------------------------------


class JobState(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    STALLED = "stalled"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class JobRow:
    kind: str
    id: str
    subject: str
    state: str
    done: int
    total: int
    percent: int
    created_at: datetime
    age_seconds: int
    heartbeat_at: datetime | None
    requeues: int
    error: str


def job_state(job: BackgroundJob, *, now: datetime) -> str:
    if job.status == JobStatus.PENDING:
        return JobState.QUEUED
    if job.status == JobStatus.RUNNING:
        if job.heartbeat_at is None or job.heartbeat_at < now - job_stall_after():
            return JobState.STALLED
        return JobState.RUNNING
    return job.status


def _unfinished() -> models.Q:
    return models.Q(status__in=(JobStatus.PENDING, JobStatus.RUNNING))


def jobs_overview(*, now: datetime, failed_since: timedelta = timedelta(days=7)) -> list[JobRow]:
    """Queued, running, stalled and recently failed background work, oldest
    first: one query per kind of job."""
    rows: list[JobRow] = []
    for model in job_models():
        wanted = _unfinished() | models.Q(
            status=JobStatus.FAILED, finished_at__gte=now - failed_since
        )
        rows.extend(
            JobRow(
                kind=model.job_kind,
                id=str(job.pk),
                subject=job.job_subject(),
                state=job_state(job, now=now),
                done=job.done,
                total=job.total,
                percent=job.percent,
                created_at=job.created_at,
                age_seconds=max(0, int((now - job.created_at).total_seconds())),
                heartbeat_at=job.heartbeat_at,
                requeues=job.requeues,
                error=job.error,
            )
            for job in model._default_manager.filter(wanted).order_by("created_at")
        )
    rows.sort(key=lambda row: row.created_at)
    return rows


def jobs_gauges(*, now: datetime) -> Iterator[tuple[str, str, dict[str, str], float]]:
    """For /metrics: stalled jobs, and how long the oldest queued one waits."""
    stalled = 0
    oldest: datetime | None = None
    stale = now - job_stall_after()
    for model in job_models():
        manager = model._default_manager
        stalled += manager.filter(
            models.Q(heartbeat_at__lt=stale) | models.Q(heartbeat_at__isnull=True),
            status=JobStatus.RUNNING,
        ).count()
        queued = (
            manager.filter(status=JobStatus.PENDING)
            .aggregate(oldest=models.Min(Coalesce("queued_at", "created_at")))
            .get("oldest")
        )
        if queued is not None and (oldest is None or queued < oldest):
            oldest = queued
    yield (
        "governor_jobs_stalled",
        "Background jobs whose worker stopped beating (requeued by beat).",
        {},
        float(stalled),
    )
    yield (
        "governor_jobs_oldest_queued_seconds",
        "Age of the oldest background job waiting for a worker (0: none waits).",
        {},
        max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
    )


# --- housekeeping, run by beat ---------------------------------------------------------------


def jobs_reap(*, now: datetime, keep_days: int) -> dict[str, int]:
    """Housekeeping for every kind of job, run by Celery beat.

    A pending job older than STALE_PENDING that no worker ever started lost
    its message or has no worker: it is failed with a message that says so
    (stalled running jobs are requeued by `jobs_requeue_stalled` instead).
    Finished jobs older than `keep_days` are deleted with their files.
    Returns the counts.
    """
    counts = {"failed": 0, "deleted": 0}
    for model in job_models():
        manager = model._default_manager
        counts["failed"] += manager.filter(
            status=JobStatus.PENDING,
            started_at__isnull=True,
            created_at__lt=now - STALE_PENDING,
        ).update(
            status=JobStatus.FAILED,
            finished_at=now,
            error="No worker picked it up. Check that the Celery worker runs, then start it again.",
        )
        for job in manager.filter(
            status__in=(JobStatus.DONE, JobStatus.FAILED),
            finished_at__lt=now - timedelta(days=keep_days),
        ).iterator():
            job.discard()
            counts["deleted"] += 1
    if any(counts.values()):
        logger.info("jobs.reaped", extra=counts)
    return counts

"""Long work that a person waits for on a page (a CSV export, a policy replay):
one set of states, one progress figure and one way to claim, move and end a
job, shared by every app that has such a job. The pages show it with
templates/_job_progress.html and static/governor/job.js."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import timezone

logger = logging.getLogger(__name__)

# A running job claimed this long ago lost its worker: no job task may run
# longer (a replay's hard time limit is 16 minutes, an export's the Celery
# default of 6).
STALE_RUNNING = timedelta(minutes=45)
# A pending job no worker picked up in this long lost its message.
STALE_PENDING = timedelta(hours=2)


class JobStatus(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ProgressJob(models.Model):
    """A job run by a Celery task that moves `done` towards `total` so the
    page can draw a progress bar. Its units (rows, days) are the subclass's."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.PENDING)
    total = models.BigIntegerField(default=0)
    done = models.BigIntegerField(default=0)
    error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField()
    # When a worker claimed it (again, after a hand-back): how a job whose
    # worker died is told from one that is merely long.
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    def discard(self) -> None:
        """Delete the job and anything it left behind (subclasses with files
        remove them too)."""
        self.delete()

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


J = TypeVar("J", bound=ProgressJob)

# The helpers take the concrete model; an abstract one has no `objects` to
# type-check against, so they go through its `_default_manager`.


def job_claim(*, model: type[J], job_id: Any) -> tuple[J, bool]:
    """The job, and whether this caller claimed it. Tasks are acknowledged late,
    so one may be delivered twice: only a pending job is claimed, by a
    conditional update, and the second delivery finds it taken."""
    claimed = model._default_manager.filter(pk=job_id, status=JobStatus.PENDING).update(
        status=JobStatus.RUNNING, started_at=timezone.now()
    )
    return model._default_manager.get(pk=job_id), bool(claimed)


def job_release(*, model: type[ProgressJob], job_id: Any) -> None:
    """Hand a claimed job back (a transient error): the retry claims it again."""
    model._default_manager.filter(pk=job_id, status=JobStatus.RUNNING).update(
        status=JobStatus.PENDING, done=0
    )


def job_progress(
    *, model: type[ProgressJob], job_id: Any, done: int, total: int | None = None
) -> None:
    fields: dict[str, int] = {"done": done}
    if total is not None:
        fields["total"] = total
    model._default_manager.filter(pk=job_id).update(**fields)


def job_finish(*, model: type[J], job_id: Any, **fields: Any) -> J:
    """Mark the job done with its result `fields`."""
    model._default_manager.filter(pk=job_id).update(
        status=JobStatus.DONE, finished_at=timezone.now(), **fields
    )
    return model._default_manager.get(pk=job_id)


def job_fail(*, model: type[J], job_id: Any, error: str) -> J:
    model._default_manager.filter(pk=job_id).update(
        status=JobStatus.FAILED, error=error[:255], finished_at=timezone.now()
    )
    return model._default_manager.get(pk=job_id)


def job_models() -> list[type[ProgressJob]]:
    return [m for m in apps.get_models() if issubclass(m, ProgressJob)]


def jobs_reap(*, now: datetime, keep_days: int) -> dict[str, int]:
    """Housekeeping for every kind of job, run by Celery beat.

    A job whose worker died (killed, out of memory, a lost message) would
    otherwise show its progress bar for ever: a running job claimed longer ago
    than STALE_RUNNING, or a pending one older than STALE_PENDING, is marked
    failed with a message that says to start it again. Finished jobs older
    than `keep_days` are deleted with their files. Returns the counts.
    """
    counts = {"failed": 0, "deleted": 0}
    for model in job_models():
        manager = model._default_manager
        for lost, error in (
            (
                models.Q(status=JobStatus.RUNNING, started_at__lt=now - STALE_RUNNING),
                "Stopped without finishing: the worker running it was lost. Start it again.",
            ),
            (
                models.Q(status=JobStatus.PENDING, created_at__lt=now - STALE_PENDING),
                "No worker picked it up. Check that the Celery worker runs, then start it again.",
            ),
        ):
            counts["failed"] += manager.filter(lost).update(
                status=JobStatus.FAILED, finished_at=now, error=error
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

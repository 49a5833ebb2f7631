"""Long work that a person waits for on a page (a CSV export, a policy replay):
one set of states, one progress figure and one way to claim, move and end a
job, shared by every app that has such a job. The pages show it with
templates/_job_progress.html and static/governor/job.js."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from django.conf import settings
from django.db import models
from django.utils import timezone


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
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]

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
        status=JobStatus.RUNNING
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

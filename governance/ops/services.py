"""Writes of the operations app: keeping background work moving."""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction

from governance.audit.services import audit_record
from governance.core.jobs import BackgroundJob, JobStatus, job_enqueue, job_models, job_stall_after

logger = logging.getLogger("governance.jobs")


def jobs_requeue_stalled(*, now: datetime) -> int:
    """Send stalled jobs to a worker again, each requeue audited; a job
    requeued GOVERNOR_JOB_MAX_REQUEUES times already fails instead, so work
    that kills every worker it meets does not go round for ever."""
    requeued = 0
    stale = now - job_stall_after()
    for model in job_models():
        manager = model._default_manager
        stalled = manager.filter(
            models.Q(heartbeat_at__lt=stale) | models.Q(heartbeat_at__isnull=True),
            status=JobStatus.RUNNING,
        )
        # A queued job waiting twice the broker's redelivery timeout lost its
        # message (a broker restarted without persistence, say): sent again.
        lost = manager.filter(
            status=JobStatus.PENDING,
            started_at__isnull=False,
            queued_at__lt=now - 2 * timedelta(seconds=settings.GOVERNOR_REDELIVERY_SECONDS),
        )
        for job in [*stalled, *lost]:
            with transaction.atomic():
                give_up = job.requeues >= settings.GOVERNOR_JOB_MAX_REQUEUES
                # Conditional on the heartbeat read: a worker that beat meanwhile keeps it.
                taken = manager.filter(
                    pk=job.pk, status=job.status, heartbeat_at=job.heartbeat_at
                ).update(
                    **(
                        {
                            "status": JobStatus.FAILED,
                            "finished_at": now,
                            "lease": "",
                            "error": f"Stopped after {job.requeues} restarts: its worker "
                            "was lost each time. Start it again.",
                        }
                        if give_up
                        else {
                            "status": JobStatus.PENDING,
                            "lease": "",
                            "queued_at": now,
                            "requeues": models.F("requeues") + 1,
                        }
                    )
                )
                if not taken:
                    continue
                audit_record(
                    action="job.failed" if give_up else "job.requeue",
                    target=job,
                    actor="system:jobs",
                    before={"status": job.status, "heartbeat_at": _iso(job.heartbeat_at)},
                    after={
                        "kind": model.job_kind,
                        "done": job.done,
                        "total": job.total,
                        "requeues": job.requeues + (0 if give_up else 1),
                    },
                )
                if not give_up:
                    transaction.on_commit(functools.partial(_enqueue, job))
                    requeued += 1
    if requeued:
        logger.info("jobs.requeued", extra={"requeued": requeued})
    return requeued


def _enqueue(job: BackgroundJob) -> None:
    job_enqueue(job=job)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None

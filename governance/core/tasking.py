"""How Governor declares its Celery tasks: one policy, stated once.

Every task is acknowledged late, so a task whose worker dies is delivered
again (each task is idempotent for that reason); it is retried with
exponential backoff on a transient database error only, never waiting longer
than GOVERNOR_TASK_RETRY_MAX_SECONDS; and it is bounded in time (the soft
limit raises inside the task, the hard one kills it). The broker's redelivery
timeout is derived from the same settings (see governance/settings.py), so
`governor_task` refuses a limit that would outlast it.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import InterfaceError, OperationalError

TRANSIENT = (OperationalError, InterfaceError)


def governor_task(
    *,
    soft_time_limit: int,
    time_limit: int,
    max_retries: int = 3,
    retry_backoff_max: int | None = None,
    **options: Any,
):
    """`shared_task` with Governor's policy; `options` go to Celery as they are."""
    # CELERY_TASK_TIME_LIMIT is the ceiling of every task's own limit.
    time_limit = min(time_limit, settings.CELERY_TASK_TIME_LIMIT)
    soft_time_limit = min(soft_time_limit, settings.CELERY_TASK_SOFT_TIME_LIMIT, time_limit - 1)
    backoff_max = min(
        retry_backoff_max or settings.GOVERNOR_TASK_RETRY_MAX_SECONDS,
        settings.GOVERNOR_TASK_RETRY_MAX_SECONDS,
    )
    if max(time_limit, backoff_max) >= settings.GOVERNOR_REDELIVERY_SECONDS:
        raise ImproperlyConfigured(
            f"a task limit of {time_limit}s outlasts the broker's redelivery timeout "
            f"({settings.GOVERNOR_REDELIVERY_SECONDS}s): split the work into chunks"
        )
    return shared_task(
        autoretry_for=TRANSIENT,
        retry_backoff=True,
        retry_backoff_max=backoff_max,
        max_retries=max_retries,
        acks_late=True,
        soft_time_limit=soft_time_limit,
        time_limit=time_limit,
        **options,
    )


def job_task(**options: Any):
    """A task that runs a chunk of a long job (governance.core.jobs): bound,
    so that its delivery id holds the job, with the chunk's time limits."""
    return shared_task(
        autoretry_for=TRANSIENT,
        retry_backoff=True,
        retry_backoff_max=settings.GOVERNOR_TASK_RETRY_MAX_SECONDS,
        acks_late=True,
        soft_time_limit=settings.GOVERNOR_JOB_SOFT_TIME_LIMIT,
        time_limit=settings.GOVERNOR_JOB_TIME_LIMIT,
        max_retries=5,
        bind=True,
        **options,
    )

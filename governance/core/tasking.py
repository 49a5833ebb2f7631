"""How Governor declares its Celery tasks: one policy, stated once.

Every task is acknowledged late, so a task whose worker dies is delivered
again (each task is idempotent for that reason); it is retried with
exponential backoff on a transient database error only; and it is bounded in
time (the soft limit raises inside the task, the hard one kills it).
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError

TRANSIENT = (OperationalError, InterfaceError)


def governor_task(
    *,
    soft_time_limit: int,
    time_limit: int,
    max_retries: int = 3,
    retry_backoff_max: int = 600,
    **options: Any,
):
    """`shared_task` with Governor's policy; `options` go to Celery as they are."""
    return shared_task(
        autoretry_for=TRANSIENT,
        retry_backoff=True,
        retry_backoff_max=retry_backoff_max,
        max_retries=max_retries,
        acks_late=True,
        soft_time_limit=soft_time_limit,
        time_limit=time_limit,
        **options,
    )

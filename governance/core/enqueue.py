"""Enqueuing background work so that a broker outage never fails a request.

Work enqueued after a commit is follow-up work (budget evaluation and the
like) that the periodic tasks also perform; when the broker is down the
request still succeeds, the failure is logged and counted, and beat's next
run catches up once the broker is back.
"""

from __future__ import annotations

import importlib
import logging

from celery.app.task import Task
from django.db import transaction
from kombu.exceptions import KombuError

from governance.core.metrics import TASKS

logger = logging.getLogger("governance.tasks")

# Publishing waits at most ~1 s for a broker that is down, not kombu's default
# of retrying for as long as the connection pool likes.
PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.25,
    "interval_max": 0.5,
}


def task_enqueue(task: Task | str, /, **kwargs: object) -> bool:
    """Send `task` with keyword arguments; False (logged) if the broker refused.

    A service names its task ("governance.calls.tasks.calls_after_ingest")
    rather than importing it: the task module imports the service it runs,
    so an import the other way would be a cycle.
    """
    if isinstance(task, str):
        module, _, name = task.rpartition(".")
        task = getattr(importlib.import_module(module), name)
    if task.app.conf.task_always_eager:
        task.apply_async(kwargs=kwargs)
        return True
    try:
        task.apply_async(kwargs=kwargs, retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except (KombuError, OSError) as exc:
        logger.warning(
            "task.enqueue_failed", extra={"task": task.name, "error": type(exc).__name__}
        )
        TASKS.labels(task=task.name, outcome="not_enqueued").inc()
        return False
    return True


def task_enqueue_on_commit(task: Task | str, /, **kwargs: object) -> None:
    """Enqueue once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: task_enqueue(task, **kwargs))

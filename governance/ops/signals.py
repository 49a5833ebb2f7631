"""Celery task outcomes into metrics, and the task id as the log request id."""

from __future__ import annotations

from celery import signals

from governance.core.metrics import TASKS
from governance.ops.requestid import reset_request_id, set_request_id

_tokens: dict[str, object] = {}


@signals.task_prerun.connect
def _task_started(task_id=None, **_: object) -> None:
    if task_id:
        _tokens[task_id] = set_request_id(f"task-{task_id}")


@signals.task_postrun.connect
def _task_finished(task_id=None, **_: object) -> None:
    token = _tokens.pop(task_id, None) if task_id else None
    if token is not None:
        reset_request_id(token)


@signals.task_success.connect
def _task_succeeded(sender=None, **_: object) -> None:
    TASKS.labels(task=getattr(sender, "name", "unknown"), outcome="succeeded").inc()


@signals.task_failure.connect
def _task_failed(sender=None, **_: object) -> None:
    TASKS.labels(task=getattr(sender, "name", "unknown"), outcome="failed").inc()


@signals.task_retry.connect
def _task_retried(sender=None, **_: object) -> None:
    TASKS.labels(task=getattr(sender, "name", "unknown"), outcome="retried").inc()


@signals.setup_logging.connect
def _keep_django_logging(**_: object) -> None:
    # A receiver here tells Celery not to install its own (plain-text) log
    # handlers: worker and beat then log through Django's LOGGING, as JSON
    # with the task id as request id, like the web processes.
    return None

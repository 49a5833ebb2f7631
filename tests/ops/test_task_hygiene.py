"""Every Celery task: acknowledged late (so a lost worker's task runs again,
which is why each must be idempotent), retried only on named transient
errors with backoff, and bounded in time. Every beat entry names a real task."""

import importlib
import importlib.util

import pytest
from django.apps import apps as django_apps
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerOperationalError

from governance.celery import app, collect_beat_schedule

TRANSIENT = {
    OperationalError,
    InterfaceError,
    BrokerOperationalError,
    ConnectionError,
    TimeoutError,
}


def _tasks():
    # What a worker registers at start: every app's tasks module.
    for config in django_apps.get_app_configs():
        if config.name.startswith("governance.") and importlib.util.find_spec(
            f"{config.name}.tasks"
        ):
            importlib.import_module(f"{config.name}.tasks")
    return sorted(
        (name, task) for name, task in app.tasks.items() if not name.startswith("celery.")
    )


TASKS = _tasks()


def test_tasks__registered__governor_has_some():
    assert {name for name, _ in TASKS} >= {
        "governance.ops.tasks.calls_purge_task",
        "governance.calls.tasks.calls_after_ingest",
    }


@pytest.mark.parametrize(("name", "task"), TASKS, ids=[name for name, _ in TASKS])
def test_task__declared__acks_late_retries_only_transient_errors_with_backoff_and_has_time_limits(
    name, task
):
    assert task.acks_late is True
    retried = set(getattr(task, "autoretry_for", ()) or ())
    assert retried <= TRANSIENT, f"{name} retries on {retried - TRANSIENT}"
    if retried:
        assert task.retry_backoff, f"{name} retries without backoff"
        assert task.max_retries is not None, f"{name} retries forever"
    soft = task.soft_time_limit or app.conf.task_soft_time_limit
    hard = task.time_limit or app.conf.task_time_limit
    assert soft and hard and soft < hard, f"{name} time limits: soft={soft} hard={hard}"


def test_beat_schedule__every_entry__names_a_registered_task_and_expires():
    registered = {name for name, _ in TASKS}

    for entry_name, entry in collect_beat_schedule().items():
        assert entry["task"] in registered, entry_name
        # An entry that piled up while workers were down must not all run at once.
        assert entry.get("options", {}).get("expires"), f"{entry_name} never expires"

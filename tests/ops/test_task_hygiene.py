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


@pytest.mark.parametrize(("name", "task"), TASKS, ids=[name for name, _ in TASKS])
def test_task__time_limit_and_retry_delay__inside_the_brokers_redelivery_timeout(
    name, task, settings
):
    # A task still running (or waiting for its retry) when the broker's
    # timeout expires would be handed to a second worker.
    hard = task.time_limit or app.conf.task_time_limit
    backoff = getattr(task, "retry_backoff_max", 0) or 0

    assert max(hard, backoff) < settings.GOVERNOR_REDELIVERY_SECONDS, name


def test_redis_broker__visibility_timeout__derived_from_the_time_limits(tmp_path):
    import json
    import os
    import subprocess
    import sys

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "GOVERNOR_"))},
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/9",
        "CELERY_TASK_TIME_LIMIT": "200",
        "CELERY_TASK_SOFT_TIME_LIMIT": "150",
        "GOVERNOR_TASK_CHUNK_SECONDS": "30",
        "GOVERNOR_JOB_BATCH_SECONDS": "20",
        "GOVERNOR_TASK_RETRY_MAX_SECONDS": "100",
        "GOVERNOR_REDELIVERY_MARGIN_SECONDS": "10",
        "GOVERNOR_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "governance.settings",
    }
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, django; django.setup(); from django.conf import settings; "
            "print(json.dumps(settings.CELERY_BROKER_TRANSPORT_OPTIONS))",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    # The longest hold: the default task limit (200 s) beats a job chunk
    # (30 + 20 + 20 s) and the longest retry delay (100 s); then the margin.
    assert json.loads(out.strip().splitlines()[-1]) == {"visibility_timeout": 210}

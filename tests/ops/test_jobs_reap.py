"""Housekeeping of background jobs: a job no worker ever picked up ends as
failed with a message instead of a progress bar that never moves, and old
finished jobs go, with their files. (Jobs whose worker was lost are requeued:
tests/ops/test_jobs_stalled.py.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from governance.core.jobs import JobStatus, jobs_reap
from governance.dashboard.models import ExportJob, exports_dir
from governance.ops.tasks import jobs_reap_task
from governance.policies.models import ReplayJob
from tests.policies.factories import ReplayJobFactory

pytestmark = pytest.mark.django_db


def export_job(**fields) -> ExportJob:
    return ExportJob.objects.create(created_at=fields.pop("created_at", timezone.now()), **fields)


def test_reap__jobs_running_or_waiting_for_a_short_while__left_alone():
    now = timezone.now()
    # Long, but its worker beats: a retry claimed it just now.
    running = ReplayJobFactory(
        created_at=now - timedelta(hours=3), status=JobStatus.RUNNING, heartbeat_at=now
    )
    waiting = export_job(created_at=now - timedelta(minutes=30))

    counts = jobs_reap(now=now, keep_days=7)

    assert counts == {"failed": 0, "deleted": 0}
    running.refresh_from_db()
    waiting.refresh_from_db()
    assert (running.status, waiting.status) == (JobStatus.RUNNING, JobStatus.PENDING)


def test_reap__export_no_worker_picked_up__failed_naming_the_worker():
    now = timezone.now()
    job = export_job(created_at=now - timedelta(hours=3))

    jobs_reap(now=now, keep_days=7)

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "Celery worker" in job.error


def test_reap__finished_jobs_past_retention__deleted_with_their_files_recent_kept():
    now = timezone.now()
    old_file = exports_dir() / "calls-reap-old.csv"
    old_file.write_text("call_id\n")
    old = export_job(
        status=JobStatus.DONE, file_name=old_file.name, finished_at=now - timedelta(days=8)
    )
    old_replay = ReplayJobFactory(status=JobStatus.FAILED, finished_at=now - timedelta(days=9))
    recent = export_job(status=JobStatus.DONE, finished_at=now - timedelta(days=2))

    counts = jobs_reap(now=now, keep_days=7)

    assert counts == {"failed": 0, "deleted": 2}
    assert not old_file.exists()
    assert not ExportJob.objects.filter(pk=old.pk).exists()
    assert not ReplayJob.objects.filter(pk=old_replay.pk).exists()
    assert ExportJob.objects.filter(pk=recent.pk).exists()


def test_reap_task__run_twice__second_run_finds_nothing(settings):
    settings.GOVERNOR_JOB_RETENTION_DAYS = 7
    export_job(created_at=timezone.now() - timedelta(hours=3))

    first = jobs_reap_task.delay().get()
    second = jobs_reap_task.delay().get()

    assert first == {"failed": 1, "deleted": 0}
    assert second == {"failed": 0, "deleted": 0}

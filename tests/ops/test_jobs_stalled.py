"""Background work whose worker was lost: seen (jobs page, API, /metrics)
while its heartbeat is stale, then requeued by beat, audited, and carried on
from its checkpoint by the next worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from governance.audit.models import AuditEvent
from governance.calls.models import RepriceRun
from governance.core.jobs import JobStatus
from governance.ops.tasks import jobs_requeue_stalled_task

pytestmark = pytest.mark.django_db


def _metric(client, name: str) -> float:
    for line in client.get("/metrics").content.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


@pytest.fixture
def stalled_run():
    """A re-pricing whose worker died a while ago, four calls in."""
    now = timezone.now()
    return RepriceRun.objects.create(
        model="gpt-5-codex-mini",
        status=JobStatus.RUNNING,
        total=10,
        done=4,
        checkpoint={"started": True, "last_id": 0},
        created_at=now - timedelta(minutes=20),
        started_at=now - timedelta(minutes=20),
        heartbeat_at=now - timedelta(minutes=15),
        lease="a-worker-that-is-gone",
    )


def test_stalled_job__heartbeat_stopped__on_the_jobs_page_and_in_metrics_before_it_is_requeued(
    client, admin_user, stalled_run, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)

    page = client.get("/jobs/").content.decode()
    stalled_before = _metric(client, "governor_jobs_stalled")
    with django_capture_on_commit_callbacks(execute=True):
        requeued = jobs_requeue_stalled_task.delay().get()
    stalled_run.refresh_from_db()

    assert 'data-state="stalled"' in page
    assert "Re-pricing" in page and "gpt-5-codex-mini" in page
    assert stalled_before == 1
    assert requeued == 1
    # The eager worker carried it on from its checkpoint to the end: one run.
    assert stalled_run.status == JobStatus.DONE
    assert stalled_run.requeues == 1
    assert RepriceRun.objects.count() == 1
    event = AuditEvent.objects.get(action="job.requeue")
    assert event.actor_label == "system:jobs"
    assert event.after["kind"] == "Re-pricing"
    assert _metric(client, "governor_jobs_stalled") == 0


def test_jobs_api__admin__lists_the_stalled_job_with_progress_age_and_state(
    client, admin_user, stalled_run
):
    client.force_login(admin_user)

    body = client.get("/api/v1/jobs").json()

    (job,) = body["jobs"]
    assert job["kind"] == "Re-pricing"
    assert job["state"] == "stalled"
    assert (job["done"], job["total"], job["percent"]) == (4, 10, 40)
    assert job["age_seconds"] >= 20 * 60


def test_jobs_page_and_api__manager__refused(client, manager_user, stalled_run):
    client.force_login(manager_user)

    assert client.get("/jobs/").status_code == 403
    assert client.get("/api/v1/jobs").status_code == 403


def test_jobs_nav__admin_sees_jobs_manager_does_not(client, admin_user, manager_user):
    client.force_login(admin_user)
    admin_page = client.get("/jobs/").content.decode()
    client.force_login(manager_user)
    manager_page = client.get("/").content.decode()

    assert 'href="/jobs/"' in admin_page
    assert 'href="/jobs/"' not in manager_page


def test_requeue__job_that_lost_its_worker_too_often__failed_saying_so(settings, stalled_run):
    settings.GOVERNOR_JOB_MAX_REQUEUES = 2
    RepriceRun.objects.filter(pk=stalled_run.pk).update(requeues=2)

    assert jobs_requeue_stalled_task.delay().get() == 0

    stalled_run.refresh_from_db()
    assert stalled_run.status == JobStatus.FAILED
    assert "Stopped after 2 restarts" in stalled_run.error


def test_queued_job__oldest__its_age_in_metrics(client, stalled_run):
    RepriceRun.objects.create(model="gpt-5-codex", queued_at=timezone.now() - timedelta(minutes=3))

    assert _metric(client, "governor_jobs_oldest_queued_seconds") >= 180


def test_openapi__jobs_list__documented(client, admin_user):
    client.force_login(admin_user)

    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()

    assert "/api/v1/jobs" in schema
    assert "jobs_list" in schema

"""Long CSV exports of raw calls: requested on a page, written by Celery,
followed with a progress bar, downloaded when done."""

from __future__ import annotations

import csv
import io

import pytest

from governance.audit.models import AuditEvent
from governance.calls.models import Call
from governance.core.jobs import JobStatus
from governance.dashboard.models import ExportJob
from governance.dashboard.services import export_job_run
from tests.dashboard.conftest import login

pytestmark = pytest.mark.django_db


def test_export__manager_requests_calls_of_a_team__file_holds_exactly_those_calls(
    client, org, manager_user, django_capture_on_commit_callbacks
):
    login(client, manager_user)

    # The task is queued after the commit; Celery runs it eagerly in tests.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/exports/", {"range": "30d", "team": "search"})

    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/exports/{job.pk}/"
    assert job.status == JobStatus.DONE
    status = client.get(f"/api/v1/dashboard/exports/{job.pk}").json()
    assert status == {
        "id": str(job.pk),
        "status": "done",
        "rows_total": 11,
        "rows_done": 11,
        "percent": 100,
        "error": "",
    }
    download = client.get(f"/exports/{job.pk}/download")
    rows = list(csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert sorted(r["call_id"] for r in rows) == sorted(
        Call.objects.filter(team__slug="search").values_list("call_id", flat=True)
    )
    assert {r["team"] for r in rows} == {"search"}


def test_export__request__recorded_in_the_audit_log(client, org, manager_user):
    login(client, manager_user)

    client.post("/exports/", {"range": "7d"})

    event = AuditEvent.objects.get(action="export.request")
    assert event.actor_label == manager_user.username


def test_export__progress_page__shows_a_progress_bar_and_the_download_when_done(
    client, org, manager_user, django_capture_on_commit_callbacks
):
    login(client, manager_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/exports/", {"range": "7d"})
    job = ExportJob.objects.get()

    html = client.get(f"/exports/{job.pk}/").content.decode()

    assert 'role="progressbar"' in html
    assert 'aria-valuenow="100"' in html
    assert f"/exports/{job.pk}/download" in html


def test_export__pending_job__shows_zero_progress_and_no_download(client, manager_user):
    from django.utils import timezone

    job = ExportJob.objects.create(filters={"range": "7d"}, created_at=timezone.now())
    login(client, manager_user)

    html = client.get(f"/exports/{job.pk}/").content.decode()
    download = client.get(f"/exports/{job.pk}/download")

    assert 'aria-valuenow="0"' in html
    assert download.status_code == 404


def test_export_job_run__task_delivered_twice__writes_the_file_once(org):
    from django.utils import timezone

    job = ExportJob.objects.create(filters={"range": "30d"}, created_at=timezone.now())

    first = export_job_run(job_id=str(job.pk), progress_every=5)
    second = export_job_run(job_id=str(job.pk), progress_every=5)

    assert first.status == second.status == JobStatus.DONE
    assert second.done == 32


def test_export_task__database_drops_during_the_export__the_retry_claims_it_and_writes_the_file(
    org, monkeypatch
):
    from celery.exceptions import Retry
    from django.utils import timezone

    from governance.dashboard import services, tasks
    from tests.faults import DropsOnce

    job = ExportJob.objects.create(filters={"range": "30d"}, created_at=timezone.now())
    calls_filter = DropsOnce(services.calls_filter)
    monkeypatch.setattr(services, "calls_filter", calls_filter)

    with pytest.raises(Retry) as retry:
        tasks.export_calls_csv.delay(str(job.pk))
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING  # handed back, not stuck "running"
    # What the broker delivers after the backoff (eager Celery hands it back instead).
    retry.value.sig.apply()

    job.refresh_from_db()
    assert calls_filter.calls > 1  # the dropped read, then the retry's
    assert (job.status, job.done) == (JobStatus.DONE, 32)


def test_export__bad_filter__400_naming_the_field(client, manager_user):
    login(client, manager_user)

    response = client.post("/exports/", {"start": "yesterday", "end": "2026-01-01"})

    assert response.status_code == 400
    assert b"start" in response.content
    assert not ExportJob.objects.exists()

"""Uploads of the same run racing each other leave one run: the database decides."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from governance.audit.models import AuditEvent
from governance.quality.models import SuiteRun, SuiteRunCall


@pytest.mark.django_db(transaction=True)
def test_test_run_post__same_run_id_races__one_run_with_one_uploads_counts_and_links(issue_key):
    raw, key = issue_key(scopes=["ingest"])
    statuses: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def upload(n: int) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        body = {
            "run_id": "ci-1",
            "model": "m",
            "passed": n,
            "failed": 1,
            "call_ids": [f"c-{n}-a", f"c-{n}-b"],
        }
        try:
            barrier.wait()
            response = client.post("/api/v1/test-runs", body, format="json")
            statuses.append(response.status_code)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not errors, errors
    assert sorted(statuses) == [200, 200, 200, 201]
    run = SuiteRun.objects.get(client=key.client)
    links = sorted(SuiteRunCall.objects.filter(suite_run=run).values_list("call_id", flat=True))
    assert links == [f"c-{run.passed}-a", f"c-{run.passed}-b"]
    actions = sorted(
        AuditEvent.objects.filter(target_type="quality.suiterun").values_list("action", flat=True)
    )
    assert actions == ["test_run.recorded"] + ["test_run.replaced"] * 3

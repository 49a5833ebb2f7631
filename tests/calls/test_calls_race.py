"""Two identical batches racing each other are stored once: the database decides."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from governance.calls.models import Call
from governance.rollups.models import CallRollup
from tests.calls.factories import call_record, post_calls


@pytest.mark.django_db(transaction=True)
def test_calls_ingest__identical_batches_race__each_call_stored_and_rolled_up_once(issue_key):
    raw, _ = issue_key(scopes=["ingest"])
    records = [call_record(call_id=f"race-{i}") for i in range(300)]
    results: list[dict] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def send() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        try:
            barrier.wait()
            response = post_calls(client, records)
            assert response.status_code == 200, response.content
            results.append(response.json())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not errors, errors
    assert sum(r["accepted"] for r in results) == 300
    assert sum(r["duplicates"] for r in results) == 900
    assert Call.objects.count() == 300
    assert sum(CallRollup.objects.values_list("calls", flat=True)) == 300

"""POST /api/v1/test-runs with {"runs": [...]}: a CI fleet or a back-fill in one request."""

from __future__ import annotations

import pytest

from governance.quality.models import QualityDailyRollup, SuiteRun

pytestmark = pytest.mark.django_db
URL = "/api/v1/test-runs"


def run(n, **overrides):
    return {"run_id": f"batch-{n}", "model": "gpt-5-codex", "task_type": "docs", "passed": 9,
            "failed": 1, **overrides}  # fmt: skip


def test_test_runs_batch__all_valid__stored_and_rolled_up(key_client):
    response = key_client.post(URL, {"runs": [run(n) for n in range(50)]}, format="json")

    assert response.status_code == 200, response.content
    assert response.json() == {"accepted": 50, "replaced": 0, "rejected": []}
    assert SuiteRun.objects.count() == 50
    assert sum(r.runs for r in QualityDailyRollup.objects.all()) == 50


def test_test_runs_batch__some_invalid__207_names_index_and_field_others_stored(key_client):
    runs = [run(0), run(1, passed=-1), run(2), run(0)]

    response = key_client.post(URL, {"runs": runs}, format="json")

    assert response.status_code == 207
    body = response.json()
    assert body["accepted"] == 2
    assert [(r["index"], list(r["errors"])) for r in body["rejected"]] == [
        (1, ["passed"]),
        (3, ["run_id"]),
    ]
    assert set(SuiteRun.objects.values_list("run_id", flat=True)) == {"batch-0", "batch-2"}


def test_test_runs_batch__sent_again__nothing_counted_twice(key_client):
    batch = {"runs": [run(n) for n in range(5)]}
    key_client.post(URL, batch, format="json")

    again = key_client.post(URL, {"runs": [run(n, passed=10, failed=0) for n in range(5)]},
                            format="json")  # fmt: skip

    assert again.json() == {"accepted": 0, "replaced": 5, "rejected": []}
    assert SuiteRun.objects.count() == 5
    rollup = QualityDailyRollup.objects.get()
    assert (rollup.runs, rollup.passed, rollup.failed) == (5, 50, 0)


@pytest.mark.parametrize("body", [{"runs": "many"}, {"runs": [run(n) for n in range(1001)]}])
def test_test_runs_batch__not_a_list_or_too_many__400_names_runs(key_client, body):
    response = key_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert "runs" in response.json()
    assert not SuiteRun.objects.exists()

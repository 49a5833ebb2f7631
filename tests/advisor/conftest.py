"""A month of traffic as a routing client sends it: calls over the API, test
runs linked to them, so the advisor reads exactly what it would in production."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from governance.quality.services import SuiteRunInput, suite_run_record
from tests.calls.factories import call_record, post_calls
from tests.quality.factories import catalog_pair

FULL, MINI = "gpt-5-codex", "gpt-5-codex-mini"
_jobs = itertools.count(1)


@pytest.fixture
def manager_client(api_client, manager_user):
    manager_user.refresh_from_db()
    api_client.force_login(manager_user)
    return api_client


@pytest.fixture
def traffic(key_client):
    """traffic(task_type, model, runs=, tests=, pass_rate=, escalate=None):
    `runs` calls and linked runs of `tests` tests; with `escalate`, mini runs
    report an outcome and escalated ones are redone on the full model."""
    catalog_pair()
    client = key_client.api_key.client

    def send(task_type, model, *, runs, tests=200, pass_rate, escalate=None, at=None):
        ts = at or timezone.now() - timedelta(hours=1)
        records, plans = [], []
        for i in range(runs):
            passed = round(tests * pass_rate)
            # Spread the failures so the rate is exact over the runs.
            if i % 2 and 0 < passed < tests:
                passed -= 1
            elif passed < tests and i % 2 == 0 and i + 1 < runs:
                passed += 1
            rec = call_record(model=model, task_type=task_type, ts=ts)
            records.append(rec)
            plans.append((rec["call_id"], passed))
        assert post_calls(key_client, records).status_code in (200, 201, 207)
        for n, (call_id, passed) in enumerate(plans):
            outcome, job = "", ""
            if escalate is not None and model == MINI:
                job = f"job-{next(_jobs)}"
                outcome = "escalated" if n < escalate * runs else "promoted"
            run(client, model, task_type, passed, tests, ts, job, 1, outcome, (call_id,))
            if outcome == "escalated":
                run(client, FULL, task_type, tests, tests, ts, job, 2, "", ())

    return send


def run(client, model, task_type, passed, tests, ts, job, attempt, outcome, call_ids):
    suite_run_record(
        client=client,
        run=SuiteRunInput(
            run_id=f"run-{next(_jobs)}", timestamp=ts, model=model, task_type=task_type,
            total=tests, passed=passed, failed=tests - passed, errored=0, skipped=0,
            job=job, attempt=attempt if job else None, outcome=outcome, call_ids=call_ids,
        ),
    )  # fmt: skip

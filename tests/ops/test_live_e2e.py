"""End to end, as production runs it: the web server (Granian), a Celery worker on a real
broker, and beat. Against PostgreSQL and the configured broker when the suite
runs on them (CI's second pass), otherwise against an SQLite file and kombu's
filesystem broker — never eagerly, never skipped."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest

from tests.ops.live import (
    Database,
    RecordingTransport,
    Stack,
    batch,
    live_database,
    new_workdir,
)
from tests.waiting import wait_for

pytestmark = pytest.mark.live

BUDGET_SCRIPT = """
from decimal import Decimal
from governance.accounts.models import Team
from governance.budgets.services import budget_save
budget_save(team=Team.objects.get(slug="payments"), actor="system:e2e", name="payments e2e", limit=Decimal("0.01"))
"""
REVOKE_SCRIPT = """
from governance.accounts.models import ApiKey
from governance.accounts.services import api_key_revoke
api_key_revoke(api_key=ApiKey.objects.get(prefix="{prefix}"), reason="leaked")
"""
AFTER_INGEST = "governance.calls.tasks.calls_after_ingest"
PURGE = "governance.ops.tasks.calls_purge_task"


@pytest.fixture(scope="module")
def stack():
    workdir = new_workdir()
    configured_broker = os.environ.get("CELERY_BROKER_URL", "")
    broker_url = (
        configured_broker
        if configured_broker.startswith(("redis://", "amqp://"))
        else "filesystem://"
    )
    with live_database(workdir, prefix="gov_ops_live") as database_url:
        stack = Stack(
            database_url=database_url,
            broker_url=broker_url,
            workdir=workdir,
            extra_env={
                "GOVERNOR_PURGE_INTERVAL_SECONDS": "2",
                "GOVERNOR_CALL_RETENTION_DAYS": "30",
                # Longer than the whole run: only revocation can make a key go.
                "GOVERNOR_DECISION_KEY_CACHE_SECONDS": "3600",
            },
        )
        with stack.running():
            yield stack


def test_production_stack__calls_ingested_over_http__stored_once_rolled_up_and_budget_moved_by_the_worker(
    stack,
):
    key = stack.issue_key(team="payments", name="ci-runner")
    client = RecordingTransport(stack.base_url, key, backoff_base=0.2, backoff_max=2)
    db = Database(stack.database_url)
    stack.manage("shell", "-c", BUDGET_SCRIPT)
    assert db.scalar("SELECT state FROM budgets_budget WHERE name = %s", "payments e2e") == "normal"
    assert stack.get("/readyz").status == 200

    for index in range(10):
        client.request("POST", "/api/v1/calls", body=batch("e2e", index, 25))
    # The same batch again, as a client whose answer was lost would resend it.
    client.request("POST", "/api/v1/calls", body=batch("e2e", 0, 25))
    # Three calls old enough for retention, which beat schedules every 2 s here.
    client.request("POST", "/api/v1/calls", body=batch("e2e-old", 0, 3, age=timedelta(days=40)))

    assert db.rolled_up_calls() == 253
    # The follow-up work ran in the worker process (eager mode would not count
    # it in the shared multiprocess metrics), once per ingesting request.
    wait_for(
        lambda: (
            stack.metric("governor_celery_tasks_total", task=AFTER_INGEST, outcome="succeeded")
            >= 12
        ),
        timeout=60,
        what="the worker to run after-ingest tasks",
    )
    # Beat → broker → worker: retention deleted the old calls, roll-ups stay.
    wait_for(lambda: db.stored_calls() == 250, timeout=60, what="retention to delete the old calls")
    assert db.rolled_up_calls() == 253
    assert stack.metric("governor_celery_tasks_total", task=PURGE, outcome="succeeded") >= 1
    assert stack.metric("governor_calls_ingested_total", outcome="stored") == 253
    assert stack.metric("governor_calls_ingested_total", outcome="duplicate") == 25
    assert set(client.statuses) == {200}
    # Budgets moved through the worker: the spend exhausted the budget, which
    # was recorded (and alerted) as an automatic state change.
    wait_for(
        lambda: (
            db.scalar("SELECT state FROM budgets_budget WHERE name = %s", "payments e2e")
            == "exhausted"
        ),
        timeout=60,
        what="the worker to evaluate the budget",
    )
    assert (
        db.scalar("SELECT COUNT(*) FROM audit_auditevent WHERE action = %s", "budget.state_change")
        >= 1
    )
    assert stack.metric("governor_budgets", state="exhausted") == 1


def test_production_stack__key_revoked_by_another_process__refused_by_every_web_worker_at_once(
    stack,
):
    key = stack.issue_key(team="revocation", name="router", scopes="policy:read")
    client = RecordingTransport(stack.base_url, key, max_attempts=1)
    answered = frozenset({200, 401})

    def decide_many(times: int) -> list[int | None]:
        # A new connection each time, spread over both web workers.
        client.statuses.clear()
        for _ in range(times):
            client.request("POST", "/api/v1/decide", body=b'{"risk": "low"}', ok_statuses=answered)
            client.request("GET", "/api/v1/policy", ok_statuses=answered)
        return list(client.statuses)

    assert set(decide_many(10)) == {200}  # every worker now remembers the key
    stack.manage("shell", "-c", REVOKE_SCRIPT.format(prefix=key.split("_")[1]))

    assert set(decide_many(10)) == {401}


def test_production_stack__static_files__served_by_the_app_with_debug_off(stack):
    response = stack.get("/static/governor/governor.css")

    assert response.status == 200
    assert "max-age" in response.headers.get("cache-control", "") or response.headers.get("etag")


def test_production_stack__every_log_line_of_a_request__is_json_with_its_request_id(stack):
    response = stack.get("/healthz", **{"X-Request-ID": "probe-request-0001"})

    assert response.headers["x-request-id"] == "probe-request-0001"
    line = wait_for(
        lambda: next(
            (ln for ln in stack.log("web").splitlines() if "probe-request-0001" in ln), None
        ),
        timeout=10,
        what="the request log line",
    )
    parsed = json.loads(line)
    assert parsed["event"] == "http.request"
    assert parsed["request_id"] == "probe-request-0001"
    # The worker logs as JSON too, each task's lines under the task's id: send
    # one call so that this test does not depend on another having run first.
    key = stack.issue_key(team="logging", name="probe")
    RecordingTransport(stack.base_url, key).request(
        "POST", "/api/v1/calls", body=batch("log-probe", 0, 1)
    )

    def task_line():
        lines = [json.loads(ln) for ln in stack.log("worker").splitlines() if ln.startswith("{")]
        return next((entry for entry in lines if entry["request_id"].startswith("task-")), None)

    assert wait_for(task_line, timeout=30, what="a worker log line under a task id")

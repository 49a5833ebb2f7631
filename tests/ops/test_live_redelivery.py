"""A worker lost in the middle of a long job, as an operator meets it: on
PostgreSQL with a real broker and a real Celery worker, the worker's main
process is killed (SIGKILL) while a batch is under way and started again at
once. The job then finishes exactly once, within a bound derived from the
configured timeouts: one record, one run with the full count, one audit
event, and every roll-up equal to the sum of the stored calls.

"Mid-job" is made certain, not timed: the test holds a row lock that the job
reaches part-way (a call in the middle of the range, or the job row itself
once it has progressed), so the worker is killed with its batch waiting on
it; the lock is let go once the worker is back.
"""

from __future__ import annotations

import csv
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

from tests.ops.live import (
    Database,
    RedisServer,
    Stack,
    live_database,
    new_workdir,
    postgres_or_skip,
)
from tests.waiting import wait_for

pytestmark = pytest.mark.live

MINI = "gpt-5-codex-mini"
# Short limits so that the drill takes seconds: a task works 3 s before it
# hands the rest on, a batch may take 2 s, a heartbeat 4 s old is stalled.
TIMEOUTS = {
    "CELERY_TASK_SOFT_TIME_LIMIT": "8",
    "CELERY_TASK_TIME_LIMIT": "10",
    "GOVERNOR_TASK_CHUNK_SECONDS": "3",
    "GOVERNOR_JOB_BATCH_SECONDS": "2",
    "GOVERNOR_JOB_STALL_SECONDS": "4",
    "GOVERNOR_JOB_REQUEUE_INTERVAL_SECONDS": "1",
    "GOVERNOR_TASK_RETRY_MAX_SECONDS": "5",
    "GOVERNOR_REDELIVERY_MARGIN_SECONDS": "2",
}
# What the settings derive from TIMEOUTS (governance/settings.py).
REDELIVERY_SECONDS = max(10, 3 + 2 + 2, 5) + 2
# kombu's Redis transport looks for messages past their visibility timeout
# every 10 s; a worker takes a few seconds to start on a loaded machine.
RESTORE_CYCLE_SECONDS = 10
START_ALLOWANCE_SECONDS = 30
BOUND_SECONDS = REDELIVERY_SECONDS + RESTORE_CYCLE_SECONDS + START_ALLOWANCE_SECONDS

SEED = """
from datetime import timedelta
from django.utils import timezone
from governance.accounts.models import Client, Team
from governance.calls.serializers import ValidCall
from governance.calls.services import calls_ingest

team, _ = Team.objects.get_or_create(slug="{team}", defaults={{"name": "{team}"}})
client, _ = Client.objects.get_or_create(team=team, name="drill")
now = timezone.now()
calls = [
    ValidCall(
        call_id=f"{team}-{{n}}", timestamp=now - timedelta(days={age_days}, minutes=n % 600),
        model="{model}", provider="openai", task_type="unit_tests", risk="low", environment="ci",
        input_tokens=1000 + n, cached_input_tokens=0, output_tokens=200 + n % 7,
        reasoning_tokens=0, latency_ms=900, status="ok", error_type="", retries=0,
        fallback_from="", decision_id="", reported_cost_usd=None, prompt="", response="",
        metadata={{}}, metadata_json="{{}}", repo="",
    )
    for n in range({count})
]
for start in range(0, len(calls), 1000):
    calls_ingest(client=client, calls=calls[start:start + 1000])
"""
PRICE = """
from datetime import datetime, UTC
from decimal import Decimal
from governance.catalog.models import Model
from governance.catalog.services import model_price_add
model_price_add(
    model=Model.objects.get(name="{model}"), effective_from=datetime(2020, 1, 1, tzinfo=UTC),
    input_per_mtok=Decimal("0.0123"), cached_input_per_mtok=Decimal("0.001"),
    output_per_mtok=Decimal("0.0456"), note="negotiated",
)
"""
EXPORT = """
from governance.dashboard.services import export_job_create
print(export_job_create(actor=None, filters={"range": "90d"}).pk)
"""
REPLAY = """
from governance.engine.default_policy import DEFAULT_POLICY
from governance.policies.services import replay_job_create
print(replay_job_create(actor=None, document=DEFAULT_POLICY, days=90).pk)
"""


@pytest.fixture(scope="module")
def redis_stack():
    postgres_or_skip()
    server = RedisServer()
    server.start()
    try:
        with _stack(server.url, prefix="gov_redelivery") as stack:
            yield stack
    finally:
        server.stop()


@pytest.fixture(scope="module")
def rabbitmq_stack():
    postgres_or_skip()
    url = os.environ.get("GOVERNOR_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
    with _stack(url, prefix="gov_redelivery_amqp") as stack:
        yield stack


@contextmanager
def _stack(broker_url: str, *, prefix: str) -> Iterator[Stack]:
    workdir = new_workdir()
    with live_database(workdir, prefix=prefix) as database_url:
        stack = Stack(
            database_url=database_url,
            broker_url=broker_url,
            workdir=workdir,
            extra_env={
                **TIMEOUTS,
                "GOVERNOR_REPRICE_BATCH": "40",
                "GOVERNOR_PURGE_BATCH": "40",
                "GOVERNOR_EXPORT_BATCH": "40",
                "GOVERNOR_CALL_RETENTION_DAYS": "30",
                "GOVERNOR_PURGE_INTERVAL_SECONDS": "1",
                "CACHE_URL": "",
            },
        )
        try:
            stack.prepare()
            stack.start_worker()
            stack.start_beat()
            yield stack
        finally:
            stack.stop_all()
            shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def row_locked(db: Database, sql: str, *params) -> Iterator[None]:
    """Hold `SELECT ... FOR UPDATE` on the rows `sql` names until the block ends."""
    with psycopg.connect(db.url.replace("postgres://", "postgresql://", 1)) as conn:
        with conn.transaction():
            rows = conn.execute(sql + " FOR UPDATE", params).fetchall()
            assert rows, "nothing to lock"
            yield


def _job(db: Database, table: str, job_id) -> dict:
    with psycopg.connect(db.url.replace("postgres://", "postgresql://", 1)) as conn:
        conn.row_factory = psycopg.rows.dict_row
        row = conn.execute(f"SELECT * FROM {table} WHERE id = %s", (job_id,)).fetchone()  # noqa: S608 - test constant
    assert row is not None
    return row


def _kill_and_restart_while_locked(stack: Stack) -> float:
    stack.kill_main("worker")
    stack.start_worker()
    return time.monotonic()


def _finished_in_bound(db: Database, table: str, job_id, restarted: float, what: str) -> dict:
    """The job, once done: within BOUND_SECONDS of the worker's restart."""
    wait_for(
        lambda: _job(db, table, job_id)["status"] == "done",
        timeout=BOUND_SECONDS,
        what=f"{what} to finish within {BOUND_SECONDS} s of the restart",
    )
    assert time.monotonic() - restarted <= BOUND_SECONDS
    return _job(db, table, job_id)


def _job_drill(
    stack: Stack, table: str, create: str, *, going: int, what: str
) -> tuple[dict, dict]:
    """Start the job (the shell snippet `create`), kill the worker while it
    runs (its row locked, so the kill lands mid-batch), start another, and
    wait for the job to finish within the bound: (the job as the kill found
    it, the job done).

    The job is created while the test already looks at its table, under the
    lock and on one connection, every few milliseconds: a short job cannot
    finish between being seen under way and being locked, nor while the shell
    that created it is still exiting."""
    db = Database(stack.database_url)
    created: list[str] = []
    creating = threading.Thread(
        target=lambda: created.append(stack.manage("shell", "-c", create)), daemon=True
    )
    deadline = time.monotonic() + 60
    with psycopg.connect(db.url.replace("postgres://", "postgresql://", 1)) as conn:
        conn.row_factory = psycopg.rows.dict_row
        creating.start()
        while True:
            with conn.transaction():
                before = conn.execute(f"SELECT * FROM {table} FOR UPDATE").fetchone()  # noqa: S608 - test constant
                if before is not None:
                    assert before["status"] != "done", (
                        f"the {what} finished before the drill could lock it under way"
                    )
                    if before["done"] >= going:
                        restarted = _kill_and_restart_while_locked(stack)
                        break
            assert time.monotonic() < deadline, f"the {what} did not get going within 60 s"
            time.sleep(0.002)
    creating.join(timeout=60)
    assert created and created[0].strip().splitlines()[-1] == str(before["id"])

    return before, _finished_in_bound(db, table, before["id"], restarted, f"the {what}")


def _rollup_mismatches(db: Database) -> list[str]:
    """Every roll-up against the sum of the stored calls it aggregates."""
    checks = {
        "hourly call roll-up": (
            "SELECT team_id, model, SUM(calls), SUM(cost_usd_e10) FROM calls_callrollup "
            "GROUP BY 1, 2"
        ),
        "dashboard daily roll-up": (
            "SELECT team_id, model, SUM(calls), SUM(cost_usd_e10) FROM dashboard_dailyrollup "
            "GROUP BY 1, 2"
        ),
        "team-hour roll-up": (
            "SELECT team_id, '', SUM(calls), SUM(cost_usd_e10) FROM calls_teamhourrollup GROUP BY 1"
        ),
    }
    stored = {
        "by_model": "SELECT team_id, model, COUNT(*), COALESCE(SUM(cost_usd * 10000000000), 0) "
        "FROM calls_call GROUP BY 1, 2",
        "by_team": "SELECT team_id, '', COUNT(*), COALESCE(SUM(cost_usd * 10000000000), 0) "
        "FROM calls_call GROUP BY 1",
    }
    with psycopg.connect(db.url.replace("postgres://", "postgresql://", 1)) as conn:
        calls_by_model = {
            (t, m): (int(n), int(c)) for t, m, n, c in conn.execute(stored["by_model"]).fetchall()
        }
        calls_by_team = {
            (t, m): (int(n), int(c)) for t, m, n, c in conn.execute(stored["by_team"]).fetchall()
        }
        mismatches = []
        for name, sql in checks.items():
            expected = calls_by_team if name == "team-hour roll-up" else calls_by_model
            got = {(t, m): (int(n), int(c)) for t, m, n, c in conn.execute(sql).fetchall()}
            got = {key: value for key, value in got.items() if value != (0, 0)}
            if got != expected:
                mismatches.append(f"{name}: {got} != stored {expected}")
    return mismatches


def _reprice_drill(stack: Stack, team: str) -> None:
    db = Database(stack.database_url)
    stack.manage("shell", "-c", SEED.format(team=team, model=MINI, count=1200, age_days=2))
    assert not _rollup_mismatches(db)
    middle = db.scalar(
        "SELECT id FROM calls_call WHERE call_id = %s", f"{team}-600"
    )  # the 16th batch of 40 waits on it

    with row_locked(db, "SELECT id FROM calls_call WHERE id = %s", middle):
        stack.manage("shell", "-c", PRICE.format(model=MINI))
        run_id = db.scalar("SELECT MAX(id) FROM calls_repricerun WHERE model = %s", MINI)
        wait_for(
            lambda: _job(db, "calls_repricerun", run_id)["done"] >= 400,
            timeout=60,
            what="the re-pricing to reach the locked call",
        )
        before = _job(db, "calls_repricerun", run_id)
        restarted = _kill_and_restart_while_locked(stack)

    run = _finished_in_bound(db, "calls_repricerun", run_id, restarted, "the re-pricing")
    assert before["status"] in ("running", "pending") and 0 < before["done"] < 1200
    assert db.scalar("SELECT COUNT(*) FROM calls_repricerun WHERE model = %s", MINI) == 1
    assert (run["calls_repriced"], run["done"], run["total"]) == (1200, 1200, 1200)
    assert (
        db.scalar(
            "SELECT COUNT(*) FROM calls_call WHERE model = %s AND price_source <> 'custom'", MINI
        )
        == 0
    )
    assert db.scalar("SELECT COUNT(*) FROM audit_auditevent WHERE action = 'calls.reprice'") == 1
    assert _rollup_mismatches(db) == []


def test_redis__worker_killed_mid_repricing__finishes_once_with_the_full_count(redis_stack):
    _reprice_drill(redis_stack, "reprice-redis")


def test_redis__worker_killed_mid_retention__every_old_call_deleted_once(redis_stack):
    stack = redis_stack
    db = Database(stack.database_url)
    stack.stop("beat")  # retention waits until the old calls are locked
    stack.manage("shell", "-c", SEED.format(team="old", model=MINI, count=600, age_days=40))
    stack.manage("shell", "-c", SEED.format(team="recent", model=MINI, count=50, age_days=1))
    rollups_before = db.scalar("SELECT SUM(calls) FROM calls_callrollup")
    middle = db.scalar("SELECT id FROM calls_call WHERE call_id = %s", "old-300")

    with row_locked(db, "SELECT id FROM calls_call WHERE id = %s", middle):
        stack.start_beat()
        wait_for(
            lambda: db.scalar("SELECT COALESCE(MAX(done), 0) FROM calls_purgerun") >= 200,
            timeout=60,
            what="retention to reach the locked call",
        )
        run_id = db.scalar("SELECT MAX(id) FROM calls_purgerun")
        before = _job(db, "calls_purgerun", run_id)
        restarted = _kill_and_restart_while_locked(stack)

    run = _finished_in_bound(db, "calls_purgerun", run_id, restarted, "retention")
    assert before["status"] in ("running", "pending") and 0 < before["done"] < 600
    assert db.scalar("SELECT COUNT(*) FROM calls_purgerun") == 1
    assert (run["done"], run["total"]) == (600, 600)
    assert db.scalar("SELECT COUNT(*) FROM calls_call WHERE call_id LIKE %s", "old-%") == 0
    assert db.scalar("SELECT COUNT(*) FROM calls_call WHERE call_id LIKE %s", "recent-%") == 50
    (event_after,) = [db.scalar("SELECT after FROM audit_auditevent WHERE action = 'calls.purge'")]
    assert event_after["deleted"] == 600
    # Retention keeps the roll-ups: they still sum every call ever stored.
    assert db.scalar("SELECT SUM(calls) FROM calls_callrollup") == rollups_before


def test_redis__worker_killed_mid_export__every_row_written_once(redis_stack):
    stack = redis_stack
    db = Database(stack.database_url)
    stack.manage("shell", "-c", SEED.format(team="export", model=MINI, count=800, age_days=3))
    before, job = _job_drill(stack, "dashboard_exportjob", EXPORT, going=120, what="export")

    assert before["status"] in ("running", "pending") and before["done"] < job["total"]
    with (stack.workdir / "exports" / job["file_name"]).open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    expected = db.scalar(
        "SELECT COUNT(*) FROM calls_call WHERE received_at <= %s", job["created_at"]
    )
    assert db.scalar("SELECT COUNT(*) FROM dashboard_exportjob") == 1
    assert job["done"] == job["total"] == len(rows) == expected
    assert len({row["call_id"] for row in rows}) == len(rows)


def test_redis__worker_killed_mid_replay__replays_every_day_once(redis_stack):
    stack = redis_stack
    db = Database(stack.database_url)
    before, job = _job_drill(stack, "policies_replayjob", REPLAY, going=5, what="replay")

    assert before["status"] in ("running", "pending") and before["done"] < 90
    assert db.scalar("SELECT COUNT(*) FROM policies_replayjob") == 1
    assert (job["done"], job["total"]) == (90, 90)
    in_range = db.scalar(
        "SELECT COALESCE(SUM(calls), 0) FROM calls_callrollup "
        "WHERE bucket >= %s - interval '90 days' AND bucket < %s",
        job["created_at"],
        job["created_at"],
    )
    assert job["result"]["calls"] == in_range > 0


def test_rabbitmq__worker_killed_mid_repricing__finishes_once_with_the_full_count(
    rabbitmq_stack,
):
    _reprice_drill(rabbitmq_stack, "reprice-amqp")

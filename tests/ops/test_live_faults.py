"""Faults survived, each ending with an exact count: every call sent is stored
exactly once, none lost, none doubled.

The stack runs on a PostgreSQL cluster and a Redis broker started for this
module alone, so restarting them never disturbs anything else.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from tests.ops.live import (
    Database,
    PgCluster,
    RecordingTransport,
    RedisServer,
    Stack,
    batch,
    new_workdir,
)
from tests.waiting import wait_for

pytestmark = pytest.mark.live

BATCH = 20


@pytest.fixture(scope="module")
def pg():
    cluster = PgCluster()
    try:
        cluster.start()
        cluster.create_database()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(scope="module")
def broker():
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stack(pg, broker):
    workdir = new_workdir()
    stack = Stack(
        database_url=pg.url,
        broker_url=broker.url,
        workdir=workdir,
        extra_env={
            "GOVERNOR_PURGE_INTERVAL_SECONDS": "1",
            "GOVERNOR_CALL_RETENTION_DAYS": "30",
            "CACHE_URL": "",
        },
    )
    with stack.running():
        yield stack


@pytest.fixture
def db(pg) -> Database:
    return Database(pg.url)


def _client(stack: Stack, team: str) -> RecordingTransport:
    key = stack.issue_key(team=team, name="streamer")
    return RecordingTransport(
        stack.base_url, key, max_attempts=40, backoff_base=0.1, backoff_max=1.0, timeout=10
    )


class Stream(threading.Thread):
    """A routing client sending `batches` batches one after another, retrying."""

    def __init__(self, client: RecordingTransport, prefix: str, batches: int) -> None:
        super().__init__(daemon=True)
        self.client, self.prefix, self.batches = client, prefix, batches
        self.sent = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for index in range(self.batches):
                self.client.request("POST", "/api/v1/calls", body=batch(self.prefix, index, BATCH))
                self.sent += 1
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            self.error = exc

    def finish(self) -> None:
        self.join(timeout=120)
        assert not self.is_alive(), "the stream did not finish"
        assert self.error is None, f"the client gave up: {self.error}"


def _team_calls(db: Database, prefix: str) -> int:
    return int(db.scalar("SELECT COUNT(*) FROM calls_call WHERE call_id LIKE %s", f"{prefix}-%"))


def _team_rollup(db: Database, team: str) -> int:
    return int(
        db.scalar(
            "SELECT COALESCE(SUM(r.calls), 0) FROM calls_callrollup r JOIN accounts_team t ON t.id = r.team_id "
            "WHERE t.slug = %s",
            team,
        )
    )


def test_web_server__killed_mid_stream_and_restarted__every_call_stored_exactly_once(stack, db):
    client = _client(stack, "kill-web")
    stream = Stream(client, "killweb", batches=30)

    stream.start()
    wait_for(lambda: stream.sent >= 5 or stream.error, timeout=60, what="the first batches")
    stack.kill("web")
    stack.start_web()
    stream.finish()

    assert None in client.statuses, "the client never saw the server gone"
    assert _team_calls(db, "killweb") == 30 * BATCH
    assert _team_rollup(db, "kill-web") == 30 * BATCH


def test_postgresql__restarted_during_ingestion__503_with_retry_after_then_every_call_stored_once(
    stack, pg, db
):
    client = _client(stack, "pg-restart")
    stream = Stream(client, "pgrestart", batches=20)

    stream.start()
    wait_for(lambda: stream.sent >= 3 or stream.error, timeout=60, what="the first batches")
    pg.stop()
    try:
        during = stack.get("/api/v1/calls", Authorization=f"Bearer {client.api_key}")
        # A page whose session must be read from the database.
        page = stack.get("/flags/", Cookie="sessionid=abcdefghijklmnopqrstuvwxyz012345")
        ready = stack.get("/readyz")
        wait_for(lambda: 503 in client.statuses, timeout=30, what="the stream to meet the outage")
    finally:
        pg.start()
    stream.finish()

    assert during.status == 503
    assert int(during.headers["retry-after"]) >= 1
    assert page.status == 503
    assert int(page.headers["retry-after"]) >= 1
    assert ready.status == 503
    assert 500 not in client.statuses
    assert _team_calls(db, "pgrestart") == 20 * BATCH
    assert _team_rollup(db, "pg-restart") == 20 * BATCH
    wait_for(
        lambda: stack.get("/readyz").status == 200, timeout=30, what="readiness after the restart"
    )


def test_broker__stopped__ingestion_succeeds_and_background_work_catches_up(stack, broker, db):
    client = _client(stack, "no-broker")
    purged_before = stack.metric(
        "governor_celery_tasks_total",
        task="governance.ops.tasks.calls_purge_task",
        outcome="succeeded",
    )

    broker.stop()
    try:
        for index in range(5):
            client.request("POST", "/api/v1/calls", body=batch("nobroker", index, BATCH))
        # Old enough for retention, which cannot run while the broker is down.
        client.request("POST", "/api/v1/calls", body=batch("oldnb", 0, 4, age=timedelta(days=45)))
        ready = stack.get("/readyz")
        stored_during_outage = _team_calls(db, "nobroker") + _team_calls(db, "oldnb")
    finally:
        broker.start()

    assert set(client.statuses) == {200}
    assert ready.status == 503
    assert ready.json()["checks"]["broker"]["ok"] is False
    assert stored_during_outage == 5 * BATCH + 4
    assert stack.metric("governor_celery_tasks_total", outcome="not_enqueued") >= 1
    # Beat and the worker reconnect; retention runs again and deletes the old calls.
    # The worker's reconnect backs off up to 30 s between attempts (kombu's
    # default), and a loaded CI machine is slower still: allow several rounds.
    wait_for(lambda: _team_calls(db, "oldnb") == 0, timeout=180, what="retention to catch up")
    assert (
        stack.metric(
            "governor_celery_tasks_total",
            task="governance.ops.tasks.calls_purge_task",
            outcome="succeeded",
        )
        > purged_before
    )
    assert _team_calls(db, "nobroker") == 5 * BATCH
    assert _team_rollup(db, "no-broker") == 5 * BATCH + 4
    wait_for(
        lambda: stack.get("/readyz").status == 200,
        timeout=30,
        what="readiness after the broker returns",
    )


def test_governor__stopped__routing_client_keeps_deciding_from_its_last_snapshot_and_ships_logs_after(
    stack, db, tmp_path
):
    from governance.client.http import GovernorError
    from governance.client.routing import SOURCE_DISK, SOURCE_SERVER, GovernorClient

    key = stack.issue_key(team="offline", name="router")
    client = GovernorClient(
        stack.base_url,
        key,
        cache_dir=tmp_path,
        start=False,
        backoff_base=0.1,
        backoff_max=1.0,
        request_timeout=2,
    )
    client.refresh()
    before = client.decide(task_type="unit_test_draft", risk="low", environment="ci")
    assert client.source == SOURCE_SERVER

    stack.kill("web")
    try:
        with pytest.raises(GovernorError):
            client.refresh()
        during = [
            client.decide(task_type="unit_test_draft", risk="low", environment="ci")
            for _ in range(50)
        ]
        call_ids = [
            client.log_call(
                {
                    "model": d.model,
                    "decision_id": d.decision_id,
                    "task_type": "unit_test_draft",
                    "risk": "low",
                    "input_tokens": 10,
                    "output_tokens": 5,
                    "status": "ok",
                }
            )
            for d in during
        ]
        assert client.flush(timeout=1) is False
        # A process started while Governor is down decides from the snapshot on disk.
        restarted = GovernorClient(stack.base_url, key, cache_dir=tmp_path, start=False)
        assert restarted.source == SOURCE_DISK
        assert (
            restarted.decide(task_type="unit_test_draft", risk="low", environment="ci").model
            == before.model
        )
    finally:
        stack.start_web()

    assert {(d.model, d.policy_version) for d in during} == {(before.model, before.policy_version)}
    assert client.source == SOURCE_SERVER
    assert client.flush(timeout=30) is True
    stored = int(db.scalar("SELECT COUNT(*) FROM calls_call WHERE call_id = ANY(%s)", call_ids))
    assert stored == len(call_ids) == 50

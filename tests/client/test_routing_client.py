"""The routing client: local decisions, offline behaviour, log shipping."""

from __future__ import annotations

import pytest

from governance.client.routing import GovernorClient
from governance.engine.context import ContextInvalid
from governance.engine.default_policy import MINI_MODEL, empty_snapshot
from tests.client.fake_governor import FakeGovernor
from tests.waiting import wait_for

KEY = "gov_test_key"


def snapshot(model: str, version: int) -> dict:
    data = empty_snapshot(
        policy={
            "defaults": {"model": model},
            "rules": [
                {
                    "name": "crit",
                    "when": [{"kind": "risk", "op": "eq", "value": "critical"}],
                    "then": {"model": "big"},
                }
            ],
        },
        policy_version=version,
    )
    data.update(team="payments", client="ci-runner")
    return data


@pytest.fixture
def governor():
    fake = FakeGovernor(snapshot("model-a", 7))
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def make_client(tmp_path):
    made = []

    def _make(url: str, **kwargs) -> GovernorClient:
        options = {
            "cache_dir": tmp_path,
            "poll_interval": 0.05,
            "backoff_base": 0.02,
            "backoff_max": 0.1,
            "log_flush_interval": 0.02,
            "request_timeout": 1.0,
        }
        client = GovernorClient(url, KEY, **{**options, **kwargs})
        made.append(client)
        return client

    yield _make
    for client in made:
        client.close(timeout=0.5)


def test_client__server_up__decides_locally_from_the_fetched_snapshot(governor, make_client):
    client = make_client(governor.url)

    wait_for(lambda: client.policy_version == 7)

    assert client.source == "server"
    assert client.decide(risk="low").model == "model-a"
    assert client.decide(risk="critical").rule == "crit"


def test_client__policy_changes__picked_up_by_etag_polling(governor, make_client):
    client = make_client(governor.url)
    wait_for(lambda: client.policy_version == 7)

    governor.snapshot = snapshot("model-b", 8)

    wait_for(lambda: client.policy_version == 8)
    assert client.decide().model == "model-b"


def test_client__server_stopped__decisions_continue_and_logs_arrive_once_after_it_returns(
    governor, make_client
):
    client = make_client(governor.url)
    wait_for(lambda: client.policy_version == 7)
    governor.stop()

    decisions = [client.decide(risk="low", task_type="completion") for _ in range(100)]
    ids = [
        client.log_call({"model": d.model, "decision_id": d.decision_id, "risk": "low"})
        for d in decisions[:10]
    ]
    wait_for(lambda: client._ship_failures >= 2)  # it tried, and is backing off

    assert {d.model for d in decisions} == {"model-a"}
    assert client.logs_pending == 10
    governor.start()  # same port

    wait_for(lambda: client.logs_pending == 0)
    assert sorted(governor.stored) == sorted(ids)
    assert governor.posted_records == 10  # nothing sent twice
    assert client.logs_sent == 10


def test_client__answer_lost_after_storing__batch_resent_and_stored_once(governor, make_client):
    client = make_client(governor.url, log_batch_size=5)
    governor.drop_next_answers = 1

    ids = [client.log_call({"model": "m"}) for _ in range(5)]

    wait_for(lambda: client.logs_pending == 0)
    assert governor.posted_records == 10  # the batch went twice...
    assert sorted(governor.stored) == sorted(ids)  # ...and Governor kept each call once


def test_client__restarted_while_governor_is_down__decides_from_the_snapshot_on_disk(
    governor, make_client
):
    first = make_client(governor.url)
    wait_for(lambda: first.policy_version == 7)
    first.close()
    governor.stop()

    restarted = make_client(governor.url, start=False)

    assert restarted.source == "disk"
    assert restarted.policy_version == 7
    assert restarted.decide().model == "model-a"


def test_client__no_server_and_nothing_on_disk__built_in_default_policy(make_client):
    client = make_client("http://127.0.0.1:9", start=False)

    decision = client.decide(task_type="boilerplate", risk="low")

    assert client.source == "default"
    assert decision.model == MINI_MODEL and decision.policy_version == 0


def test_client__context_governor_would_refuse__raises_naming_each_field(make_client):
    client = make_client("http://127.0.0.1:9", start=False)

    with pytest.raises(ContextInvalid) as refused:
        client.decide(risk="hgih", environment="moon", attributes={"files": [1, 2]})

    assert set(refused.value.errors) == {"risk", "environment", "attributes"}
    assert refused.value.errors["risk"] == ["Must be one of low, medium, high, critical."]


def test_client__corrupt_file_on_disk__ignored_for_the_built_in_default(tmp_path, make_client):
    client = make_client("http://127.0.0.1:9", start=False)
    client._cache_file.write_text("{not json")

    again = make_client("http://127.0.0.1:9", start=False)

    assert again.source == "default"


def test_client__queue_full__oldest_logs_dropped_and_counted(make_client):
    client = make_client("http://127.0.0.1:9", start=False, log_buffer_max=3)

    for i in range(5):
        client.log_call({"model": "m", "call_id": f"c{i}"})

    assert client.logs_pending == 3
    assert client.logs_dropped == 2
    assert [r["call_id"] for r in client._queue] == ["c2", "c3", "c4"]


def test_client__server_gone_after_one_fetch__every_decision_still_answered_locally(
    governor, make_client
):
    client = make_client(governor.url, start=False)
    client.refresh()
    governor.stop()

    for _ in range(1000):
        client.decide(risk="high")

    assert client.decide().model == "model-a"

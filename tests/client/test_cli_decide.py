"""`governor decide` prints the decision as JSON for CI scripts."""

from __future__ import annotations

import json

import pytest

from governance.client.cli import main
from governance.client.decide import EXIT_BLOCKED
from governance.engine.default_policy import MINI_MODEL, empty_snapshot
from tests.client.fake_governor import FakeGovernor


@pytest.fixture
def governor():
    data = empty_snapshot(policy_version=4)
    data.update(team="payments", client="ci-runner")
    data["budgets"] = {
        "payments": {
            "state": "reserve_only",
            "percent": "97",
            "threshold": "90",
            "hard_limit": "block",
        }
    }
    fake = FakeGovernor(data)
    fake.start()
    yield fake
    fake.stop()


def run(capsys, *argv: str) -> tuple[int, dict, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def test_cli_decide__server_up__prints_the_decision_as_json(governor, capsys, tmp_path):
    code, decision, _ = run(
        capsys, "decide", "--url", governor.url, "--api-key", "k", "--cache-dir", str(tmp_path),
        "--task-type", "refactor", "--risk", "critical",
    )  # fmt: skip

    assert code == 0
    assert decision["policy_version"] == 4
    assert decision["rule"] == "critical-on-full"
    assert decision["snapshot_source"] == "server"
    assert {
        "model",
        "fallbacks",
        "escalate_to",
        "timeout_ms",
        "retry",
        "circuit_breaker",
        "reason",
        "decision_id",
    } <= set(decision)


def test_cli_decide__blocked_and_asked_to_fail__exit_status_3(governor, capsys, tmp_path):
    code, decision, _ = run(
        capsys, "decide", "--url", governor.url, "--api-key", "k", "--cache-dir", str(tmp_path),
        "--risk", "low", "--fail-when-blocked",
    )  # fmt: skip

    assert decision["blocked"] is True
    assert code == EXIT_BLOCKED


def test_cli_decide__governor_down_later__decides_from_the_snapshot_on_disk(
    governor, capsys, tmp_path
):
    run(capsys, "decide", "--url", governor.url, "--api-key", "k", "--cache-dir", str(tmp_path))
    governor.stop()

    code, decision, err = run(
        capsys, "decide", "--url", governor.url, "--api-key", "k", "--cache-dir", str(tmp_path), "--timeout", "0.5",
        "--task-type", "refactor", "--risk", "critical",
    )  # fmt: skip

    assert code == 0
    assert decision["snapshot_source"] == "disk" and decision["policy_version"] == 4
    assert "cannot reach Governor" in err


def test_cli_decide__never_reached__built_in_default_with_attributes(capsys, tmp_path):
    code, decision, _ = run(
        capsys, "decide", "--url", "http://127.0.0.1:9", "--api-key", "k", "--cache-dir", str(tmp_path), "--timeout", "0.5",
        "--task-type", "boilerplate", "--risk", "low", "--attr", "files_changed=3", "--attr", "repo=acme/x",
    )  # fmt: skip

    assert decision["snapshot_source"] == "default"
    assert decision["model"] == MINI_MODEL


def test_cli_decide__bad_attribute__usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["decide", "--attr", "no-equals-sign"])

    assert exc.value.code == 2
    assert "NAME=VALUE" in capsys.readouterr().err


def test_cli_decide__attribute_governor_would_refuse__exit_2_naming_it(capsys, tmp_path):
    code = main(
        ["decide", "--url", "", "--cache-dir", str(tmp_path), "--attr", f"repo={'x' * 300}"]
    )

    assert code == 2
    assert "attributes: Attribute 'repo' must be text (at most 256)" in capsys.readouterr().err

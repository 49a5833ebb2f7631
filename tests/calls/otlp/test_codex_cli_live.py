"""The real Codex CLI (`codex exec`, pinned in codex/package-lock.json) talking to
a stand-in Responses API and exporting its telemetry to a live Governor."""

from __future__ import annotations

import os
import subprocess
from decimal import Decimal

import pytest

from tests.ops.live import Database
from tests.waiting import wait_for

pytestmark = pytest.mark.live

CONFIG = """
model = "{model}"
model_provider = "standin"

[model_providers.standin]
name = "Responses API stand-in"
base_url = "{base_url}"
wire_api = "responses"
env_key = "STANDIN_API_KEY"
request_max_retries = 0
stream_max_retries = 0

[otel]
environment = "ci"
log_user_prompt = false
exporter = {{ otlp-http = {{ endpoint = "{governor}/otlp/v1/logs", protocol = "{protocol}", headers = {{ "Authorization" = "Bearer {key}" }} }} }}
trace_exporter = {{ otlp-http = {{ endpoint = "{governor}/otlp/v1/traces", protocol = "{protocol}", headers = {{ "Authorization" = "Bearer {key}" }} }} }}
"""
PRICE = """
from governance.calls.models import Call
from governance.catalog.selectors import price_book
call = Call.objects.get(client__name={client!r})
cost, source = price_book().price(model="gpt-5-codex", provider="openai", timestamp=call.timestamp,
                                  input_tokens={input}, cached_input_tokens={cached}, output_tokens={output})
print(cost, source)
"""


@pytest.mark.parametrize(
    ("protocol", "usage"),
    [("json", (4321, 4000, 123, 45)), ("binary", (2345, 2048, 67, 8))],
)
def test_codex_exec__otel_export_to_governor__the_call_appears_once_with_the_reported_model_tokens_and_price(
    governor, codex_cli, responses_standin, tmp_path, protocol, usage
):
    input_tokens, cached, output_tokens, reasoning = usage
    responses_standin.usage = {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": cached},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": input_tokens + output_tokens,
    }
    client = f"codex-{protocol}"
    key = governor.issue_key(team="agents", name=client, scopes="ingest")
    home = tmp_path / "codex-home"
    home.mkdir()
    (home / "config.toml").write_text(
        CONFIG.format(
            model="gpt-5-codex",
            base_url=responses_standin.base_url,
            governor=governor.base_url,
            protocol=protocol,
            key=key,
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CODEX_", "OTEL_"))}
    env.update({"CODEX_HOME": str(home), "STANDIN_API_KEY": "standin", "NO_COLOR": "1"})

    run = subprocess.run(
        [str(codex_cli), "exec", "--skip-git-repo-check", "Say done."],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert run.returncode == 0, run.stderr[-3000:]
    assert "Done." in run.stdout
    assert any(path.endswith("/responses") for path in responses_standin.requests)
    db = Database(governor.database_url)
    count = "SELECT COUNT(*) FROM calls_call c JOIN accounts_client k ON k.id = c.client_id WHERE k.name = %s"
    wait_for(lambda: db.scalar(count, client) == 1, timeout=60, what="Codex's call to be stored")
    row = (
        "SELECT {} FROM calls_call c JOIN accounts_client k ON k.id = c.client_id WHERE k.name = %s"
    )
    stored = {
        column: db.scalar(row.format("c." + column), client)
        for column in (
            "model", "provider", "environment", "status", "input_tokens", "cached_input_tokens",
            "output_tokens", "reasoning_tokens", "cost_usd", "call_id",
        )
    }  # fmt: skip
    assert stored["model"] == "gpt-5-codex"
    assert (stored["provider"], stored["environment"], stored["status"]) == ("openai", "ci", "ok")
    assert (stored["input_tokens"], stored["cached_input_tokens"]) == (input_tokens, cached)
    assert (stored["output_tokens"], stored["reasoning_tokens"]) == (output_tokens, reasoning)
    assert stored["call_id"].startswith("codex:")
    expected_cost, source = (
        governor.manage(
            "shell", "-c",
            PRICE.format(client=client, input=input_tokens, cached=cached, output=output_tokens),
        )
        .strip()
        .splitlines()[-1]
        .split()
    )  # fmt: skip
    assert source != "unpriced"
    assert Decimal(str(stored["cost_usd"])) == Decimal(expected_cost)
    # Codex's traces (also exported) hold no second copy of the call.
    assert db.scalar(count, client) == 1

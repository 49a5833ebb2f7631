"""Test-run ingestion: batched against one by one, in the same run.

    python benchmarks/runs_batch.py [--runs 2000] [--batch 1000]

Serves Governor with its production web server on PostgreSQL and sends the
same kind of runs (each linked to a logged call) twice, to two clients:
one POST /api/v1/test-runs per run (the baseline), then {"runs": [...]}
batches. Prints runs/s of each and the ratio, and writes them into RESULTS.md.
Target: batched >= 10x one by one.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ingest_key, migrated_database, web_server, write_section  # noqa: E402


def runs_and_calls(prefix: str, n: int) -> tuple[list[dict], list[dict]]:
    at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    calls, runs = [], []
    for i in range(n):
        calls.append(
            {"call_id": f"{prefix}-c{i}", "timestamp": at, "model": "gpt-5-codex-mini",
             "provider": "openai", "task_type": "test_generation", "risk": "low",
             "environment": "ci", "input_tokens": 5000, "cached_input_tokens": 0,
             "output_tokens": 800, "reasoning_tokens": 0, "latency_ms": 900, "status": "ok",
             "retries": 0}
        )  # fmt: skip
        runs.append(
            {"run_id": f"{prefix}-r{i}", "timestamp": at, "model": "gpt-5-codex-mini",
             "task_type": "test_generation", "job": f"{prefix}-j{i}", "attempt": 1,
             "outcome": "promoted", "passed": 9, "failed": 1, "call_ids": [f"{prefix}-c{i}"]}
        )  # fmt: skip
    return calls, runs


def post(conn: http.client.HTTPConnection, key: str, path: str, body: object) -> dict:
    conn.request(
        "POST",
        path,
        body=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    response = conn.getresponse()
    payload = json.loads(response.read())
    assert response.status in (200, 201), payload
    return payload


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    env = migrated_database("governor_bench_test_runs")
    single_key, batch_key = ingest_key(env, "one-by-one"), ingest_key(env, "batched")
    with web_server(env, workers=2) as base:
        parts = urlsplit(base)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        results = {}
        for name, key in (("one by one", single_key), ("batched", batch_key)):
            calls, runs = runs_and_calls(name.replace(" ", "-"), args.runs)
            for i in range(0, len(calls), 1000):
                post(conn, key, "/api/v1/calls", {"calls": calls[i : i + 1000]})
            started = time.perf_counter()
            if name == "batched":
                for i in range(0, len(runs), args.batch):
                    body = post(conn, key, "/api/v1/test-runs", {"runs": runs[i : i + args.batch]})
                    assert body["accepted"] == len(runs[i : i + args.batch]), body
            else:
                for run in runs:
                    post(conn, key, "/api/v1/test-runs", run)
            results[name] = args.runs / (time.perf_counter() - started)
            print(f"{name}: {results[name]:,.0f} runs/s", flush=True)
    ratio = results["batched"] / results["one by one"]
    body = f"""{args.runs:,} test runs per path, each linked to a logged call, over one keep-alive
connection to Granian with 2 workers, PostgreSQL on the same machine.

| path | runs/s | ratio to one by one |
| --- | ---: | ---: |
| POST /api/v1/test-runs, one run per request (baseline) | {results["one by one"]:,.0f} | 1.00 |
| POST /api/v1/test-runs, {{"runs": [...]}} of {args.batch:,} | {results["batched"]:,.0f} | {ratio:.1f} |

Target: batched >= 10x one by one: {"met" if ratio >= 10 else "NOT met"}.
"""
    write_section("Test-run batches (benchmarks/runs_batch.py)", body)
    print(body)


if __name__ == "__main__":
    main()

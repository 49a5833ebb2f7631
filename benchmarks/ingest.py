"""Ingestion throughput, end to end over HTTP, against the physical limit.

    python benchmarks/ingest.py [--calls 200000] [--batch 1000] [--senders 4] [--workers 3]

Serves Governor with its production web server on PostgreSQL, posts pre-generated calls in
batches from several concurrent senders, then measures in the same run, on
the same table with the same indexes:
  (a) a raw psycopg COPY of the same rows: the physical limit;
  (b) Django's bulk_create of the same rows: what a plain ORM path costs.
Prints calls/s for each and the ratios, and writes them into RESULTS.md.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (  # noqa: E402
    ingest_arguments,
    ingest_key,
    migrated_database,
    web_server,
    write_section,
)

MODELS = ["gpt-5-codex", "gpt-5-codex-mini"]
TASKS = ["boilerplate", "completion", "test_generation", "review", "refactor", "debug"]
RISKS = ["low", "medium", "high", "critical"]


def generate(n: int) -> list[dict]:
    start = datetime.now(UTC) - timedelta(days=7)
    records = []
    for i in range(n):
        inp = 2000 + (i * 7919) % 30000
        out = 200 + (i * 104729) % 4000
        records.append(
            {
                "call_id": f"bench-{i}",
                "timestamp": (start + timedelta(seconds=i * 2)).isoformat(),
                "model": MODELS[i % 2],
                "provider": "openai",
                "task_type": TASKS[i % len(TASKS)],
                "risk": RISKS[i % len(RISKS)],
                "environment": "ci",
                "input_tokens": inp,
                "cached_input_tokens": inp // 3,
                "output_tokens": out,
                "reasoning_tokens": out // 4,
                "latency_ms": 300 + i % 5000,
                "status": "ok" if i % 50 else "error",
                "retries": 0,
                "metadata": {"repo": f"acme/repo-{i % 20}", "pull_request": i % 900},
            }
        )
    return records


def send_all(
    base: str,
    key: str,
    bodies: list[bytes],
    senders: int,
    *,
    path: str = "/api/v1/calls",
    content_type: str = "application/json",
    accepted_in: Callable[[bytes], int] = lambda payload: json.loads(payload)["accepted"],
) -> tuple[float, int]:
    """POST every body from `senders` keep-alive connections; (seconds, calls accepted)."""
    work: queue.Queue[bytes] = queue.Queue()
    for body in bodies:
        work.put(body)
    accepted = 0
    lock = threading.Lock()
    failures: list[str] = []
    host = urlsplit(base)

    def sender() -> None:
        nonlocal accepted
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=120)
        headers = {"Authorization": f"Bearer {key}", "Content-Type": content_type}
        while True:
            try:
                body = work.get_nowait()
            except queue.Empty:
                break
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            if response.status != 200:
                failures.append(f"{response.status}: {payload[:200]!r}")
                continue
            with lock:
                accepted += accepted_in(payload)
        conn.close()

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} batches failed, first: {failures[0]}")
    return elapsed, accepted


def main() -> None:
    args = ingest_arguments(__doc__, calls=200_000, batch=1000).parse_args()

    env = migrated_database("governor_bench_ingest")
    key = ingest_key(env, "loader")

    records = generate(args.calls)
    bodies = [
        json.dumps({"calls": records[i : i + args.batch]}).encode()
        for i in range(0, len(records), args.batch)
    ]
    warmup = [
        json.dumps(
            {"calls": [dict(r, call_id="warm-" + r["call_id"]) for r in records[:200]]}
        ).encode()
    ]

    with web_server(env, workers=args.workers) as base:
        send_all(base, key, warmup * args.workers, args.workers)
        http_seconds, accepted = send_all(base, key, bodies, args.senders)
    if accepted != args.calls:
        raise SystemExit(f"accepted {accepted} of {args.calls} calls")
    http_rate = args.calls / http_seconds

    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection

    from governance.accounts.models import Client
    from governance.calls.models import Call
    from governance.calls.services import CALL_COLUMNS

    stored = Call.objects.filter(call_id__startswith="bench-").count()
    if stored != args.calls:
        raise SystemExit(f"stored {stored} of {args.calls} calls")
    rows = list(
        Call.objects.filter(call_id__startswith="bench-").values_list(*[c for c in CALL_COLUMNS])
    )
    objects = [Call(**dict(zip(CALL_COLUMNS, row, strict=True))) for row in rows]
    client = Client.objects.get(name="loader")

    def truncate() -> None:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE calls_call, calls_callrollup, calls_reporollup CASCADE")

    truncate()
    with connection.cursor() as cursor:
        started = time.perf_counter()
        with cursor.cursor.copy(f"COPY calls_call ({', '.join(CALL_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row[:-1] + (json.dumps(row[-1]),))
        connection.commit() if not connection.get_autocommit() else None
        copy_seconds = time.perf_counter() - started
    copy_rate = args.calls / copy_seconds

    truncate()
    started = time.perf_counter()
    Call.objects.bulk_create(objects, batch_size=args.batch)
    bulk_seconds = time.perf_counter() - started
    bulk_rate = args.calls / bulk_seconds
    del client

    lines = [
        f"{args.calls:,} calls in batches of {args.batch:,}, {args.senders} concurrent senders, "
        f"Granian with {args.workers} workers, PostgreSQL on the same machine.",
        "",
        "| path | calls/s | ratio to raw COPY |",
        "| --- | ---: | ---: |",
        f"| POST /api/v1/calls, end to end (validate, price, insert, roll up) | {http_rate:,.0f} | {http_rate / copy_rate:.2f} |",
        f"| (a) raw psycopg COPY of the same rows (physical limit) | {copy_rate:,.0f} | 1.00 |",
        f"| (b) Django bulk_create of the same rows | {bulk_rate:,.0f} | {bulk_rate / copy_rate:.2f} |",
        "",
        f"End to end vs bulk_create: {http_rate / bulk_rate:.2f}x. Targets: >= 20,000 calls/s end to end and >= 0.5 "
        f"of raw COPY: {'met' if http_rate >= 20_000 and http_rate / copy_rate >= 0.5 else 'NOT met'}.",
    ]
    print("\n".join(lines))
    if not args.no_write:
        write_section("Ingestion (benchmarks/ingest.py)", "\n".join(lines))


if __name__ == "__main__":
    main()

"""OTLP intake against the JSON API: the same calls, both doors, one run.

    python benchmarks/otlp.py [--calls 50000] [--batch 500] [--senders 4] [--workers 3] [--rounds 2]

Serves Governor with its production web server on PostgreSQL and sends the same
number of calls twice per round: as `POST /api/v1/calls` JSON batches (the
baseline) and as OTLP/HTTP protobuf log batches of Codex CLI
`codex.sse_event` records (the shape Codex exports, attribute values as strings),
each batch the size an OTLP exporter sends. Both store the same calls through
the same service; the difference is decoding and mapping. Rounds alternate the
two so that drift in the machine's load touches both; the best round of each
is kept. Prints calls/s for each and the ratio (target: OTLP >= 0.5 of JSON),
with the load average before and after, and writes them into RESULTS.md.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (  # noqa: E402
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue  # noqa: E402

from benchmarks.common import (  # noqa: E402
    ingest_arguments,
    ingest_key,
    migrated_database,
    web_server,
    write_section,
)
from benchmarks.ingest import send_all  # noqa: E402

MODELS = ["gpt-5-codex", "gpt-5-codex-mini"]
PROTOBUF = "application/x-protobuf"
TARGET = 0.5


def facts(n: int, round_no: int) -> list[dict]:
    """One dict per call: what both doors carry."""
    start = datetime.now(UTC) - timedelta(days=3)
    calls = []
    for i in range(n):
        inp = 2000 + (i * 7919) % 30000
        out = 200 + (i * 104729) % 4000
        when = start + timedelta(seconds=i * 2, microseconds=round_no)
        calls.append(
            {
                "conversation": f"bench-r{round_no}-{i // 20}",
                "time_ns": int(when.timestamp()) * 10**9 + when.microsecond * 1000,
                "timestamp": when,
                "model": MODELS[i % 2],
                "input": inp,
                "cached": inp // 3,
                "output": out,
                "reasoning": out // 4,
            }
        )
    return calls


def json_body(calls: list[dict]) -> bytes:
    records = [
        {
            "call_id": f"codex:{c['conversation']}:{c['time_ns']}",
            "timestamp": c["timestamp"].isoformat(),
            "model": c["model"],
            "provider": "openai",
            "environment": "ci",
            "input_tokens": c["input"],
            "cached_input_tokens": c["cached"],
            "output_tokens": c["output"],
            "reasoning_tokens": c["reasoning"],
            "status": "ok",
            "metadata": {
                "source": "codex",
                "service": "codex_exec",
                "conversation_id": c["conversation"],
                "originator": "codex_exec",
            },
        }
        for c in calls
    ]
    return json.dumps({"calls": records}).encode()


def _pair(key: str, value: str | int) -> KeyValue:
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=value))


def otlp_body(calls: list[dict]) -> bytes:
    request = ExportLogsServiceRequest()
    resource = request.resource_logs.add()
    resource.resource.attributes.extend(
        [
            _pair("service.name", "codex_exec"),
            _pair("service.version", "0.171.0"),
            _pair("env", "ci"),
        ]
    )
    scope = resource.scope_logs.add()
    scope.scope.name = "codex_otel.log_only"
    for c in calls:
        record = scope.log_records.add()
        record.observed_time_unix_nano = c["time_ns"]
        record.severity_number = 9
        record.severity_text = "INFO"
        record.attributes.extend(
            [
                _pair("event.name", "codex.sse_event"),
                _pair("event.kind", "response.completed"),
                _pair("input_token_count", str(c["input"])),
                _pair("output_token_count", str(c["output"])),
                _pair("cached_token_count", c["cached"]),
                _pair("cache_write_token_count", 0),
                _pair("reasoning_token_count", c["reasoning"]),
                _pair("tool_token_count", str(c["input"] + c["output"])),
                _pair("event.timestamp", c["timestamp"].isoformat()),
                _pair("conversation.id", c["conversation"]),
                _pair("app.version", "0.171.0"),
                _pair("originator", "codex_exec"),
                _pair("terminal.type", "xterm"),
                _pair("model", c["model"]),
                _pair("slug", c["model"]),
            ]
        )
    return request.SerializeToString()


def no_rejections(payload: bytes) -> int:
    if ExportLogsServiceResponse.FromString(payload).partial_success.rejected_log_records:
        raise SystemExit(f"OTLP records rejected: {payload[:300]!r}")
    return 0  # stored calls are counted in the database afterwards


def batches(calls: list[dict], size: int, encode) -> list[bytes]:
    return [encode(calls[i : i + size]) for i in range(0, len(calls), size)]


def main() -> None:
    parser = ingest_arguments(__doc__, calls=50_000, batch=500)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    env = migrated_database("governor_bench_otlp")
    keys = {door: ingest_key(env, door) for door in ("json", "otlp")}
    rounds = [facts(args.calls, r + 1) for r in range(args.rounds)]
    json_bodies = [batches(calls, args.batch, json_body) for calls in rounds]
    otlp_bodies = [batches(calls, args.batch, otlp_body) for calls in rounds]
    warmup = facts(args.batch, 0)
    otlp_options = {"path": "/otlp/v1/logs", "content_type": PROTOBUF, "accepted_in": no_rejections}

    load_before = os.getloadavg()[0]
    seconds: dict[str, list[float]] = {"json": [], "otlp": []}
    with web_server(env, workers=args.workers) as base:
        send_all(base, keys["json"], [json_body(warmup)] * args.workers, args.workers)
        send_all(
            base, keys["otlp"], [otlp_body(warmup)] * args.workers, args.workers, **otlp_options
        )
        for r in range(args.rounds):
            elapsed, accepted = send_all(base, keys["json"], json_bodies[r], args.senders)
            if accepted != args.calls:
                raise SystemExit(f"JSON round {r}: accepted {accepted} of {args.calls} calls")
            seconds["json"].append(elapsed)
            elapsed, _ = send_all(base, keys["otlp"], otlp_bodies[r], args.senders, **otlp_options)
            seconds["otlp"].append(elapsed)
            time.sleep(1)
    load_after = os.getloadavg()[0]

    os.environ.update(env)
    import django

    django.setup()
    from governance.calls.models import Call

    expected = args.calls * args.rounds + args.batch  # the rounds and the warm-up
    for door in ("json", "otlp"):
        stored = Call.objects.filter(client__name=door).count()
        if stored != expected:
            raise SystemExit(f"{door}: stored {stored} calls, expected {expected}")
    same = (
        Call.objects.filter(client__name="otlp")
        .values_list("cost_usd", flat=True)
        .order_by("call_id")
    )
    twins = (
        Call.objects.filter(client__name="json")
        .values_list("cost_usd", flat=True)
        .order_by("call_id")
    )
    if list(same) != list(twins):
        raise SystemExit("the two doors priced the same calls differently")

    rate = {door: args.calls / min(values) for door, values in seconds.items()}
    ratio = rate["otlp"] / rate["json"]
    lines = [
        f"{args.calls:,} calls per door and round, {args.rounds} rounds alternating (best kept), "
        f"batches of {args.batch}, {args.senders} concurrent senders, Granian with {args.workers} "
        "workers, PostgreSQL on the same machine. OTLP: protobuf log batches of Codex CLI "
        "`codex.sse_event` records; JSON: the same calls as `/api/v1/calls` batches. "
        f"Load average (1 min) before the run {load_before:.1f}, after {load_after:.1f}.",
        "",
        "| door | calls/s | ratio to JSON |",
        "| --- | ---: | ---: |",
        f"| baseline: POST /api/v1/calls (JSON) | {rate['json']:,.0f} | 1.00 |",
        f"| POST /otlp/v1/logs (OTLP protobuf) | {rate['otlp']:,.0f} | {ratio:.2f} |",
        "",
        f"Target: OTLP >= {TARGET} of the JSON path: {'met' if ratio >= TARGET else 'NOT met'}. "
        "Both doors stored every call once, at the same prices.",
    ]
    print("\n".join(lines))
    if not args.no_write:
        write_section("OTLP intake (benchmarks/otlp.py)", "\n".join(lines))


if __name__ == "__main__":
    main()

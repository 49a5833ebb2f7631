"""Export requests as the agents and SDKs send them, built with the official messages.

Attribute names and value types are the ones the real clients emit (Codex CLI
0.171 sends most numbers as decimal strings; see tests/calls/otlp/codex/).
"""

from __future__ import annotations

import base64
import gzip
import json
import secrets
import time
from datetime import datetime, timedelta

from django.utils import timezone
from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
CODEX_RESOURCE = {"service.name": "codex_exec", "service.version": "0.171.0", "env": "ci"}


def nanos(when: datetime | None = None) -> int:
    when = when or timezone.now() - timedelta(minutes=10)
    return int(when.timestamp()) * 10**9 + when.microsecond * 1000


def value(python: object) -> AnyValue:
    if isinstance(python, bool):
        return AnyValue(bool_value=python)
    if isinstance(python, int):
        return AnyValue(int_value=python)
    if isinstance(python, float):
        return AnyValue(double_value=python)
    return AnyValue(string_value=str(python))


def pairs(attributes: dict) -> list[KeyValue]:
    return [KeyValue(key=key, value=value(v)) for key, v in attributes.items()]


def codex_completion(
    conversation: str = "01a22ad7-6d8b-7263-b922-84ba2f6acb6b", **overrides
) -> dict:
    """The attributes of Codex's codex.sse_event response.completed record with usage."""
    attributes = {
        "event.name": "codex.sse_event",
        "event.kind": "response.completed",
        "input_token_count": "12000",
        "output_token_count": "900",
        "cached_token_count": 8000,
        "cache_write_token_count": 0,
        "reasoning_token_count": 300,
        "tool_token_count": "12900",
        "event.timestamp": "2026-11-30T05:04:52.453Z",
        "conversation.id": conversation,
        "app.version": "0.171.0",
        "originator": "codex_exec",
        "terminal.type": "xterm",
        "model": "gpt-5-codex",
        "slug": "gpt-5-codex",
    }
    attributes.update(overrides)
    return {k: v for k, v in attributes.items() if v is not None}


def claude_api_request(**overrides) -> dict:
    attributes = {
        "session.id": "6f1d5b5e-7c1a-4a43-9d0e-1c2b3a4d5e6f",
        "event.name": "api_request",
        "event.sequence": 7,
        "prompt.id": "0b9f6a8e-2f4e-4c8a-9d1b-7e6f5a4b3c2d",
        "model": "claude-sonnet-4-5-20250929",
        "input_tokens": "1200",
        "output_tokens": "450",
        "cache_read_tokens": "30000",
        "cache_creation_tokens": "2000",
        "cost_usd": "0.01602",
        "duration_ms": "5321",
    }
    attributes.update(overrides)
    return {k: v for k, v in attributes.items() if v is not None}


def genai_chat(**overrides) -> dict:
    """A GenAI client span's attributes under the current semantic conventions."""
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-5-codex",
        "gen_ai.response.model": "gpt-5-codex",
        "gen_ai.usage.input_tokens": 5000,
        "gen_ai.usage.cache_read.input_tokens": 1000,
        "gen_ai.usage.output_tokens": 700,
        "gen_ai.usage.reasoning.output_tokens": 200,
    }
    attributes.update(overrides)
    return {k: v for k, v in attributes.items() if v is not None}


def log_record(
    attributes: dict,
    *,
    time_ns: int | None = None,
    observed_only: bool = True,
    body: str | None = None,
    trace_id: bytes = b"",
    span_id: bytes = b"",
) -> LogRecord:
    when = time_ns or nanos()
    record = LogRecord(
        observed_time_unix_nano=when,
        time_unix_nano=0 if observed_only else when,
        severity_number=9,
        severity_text="INFO",
        attributes=pairs(attributes),
        trace_id=trace_id,
        span_id=span_id,
    )
    if body is not None:
        record.body.CopyFrom(AnyValue(string_value=body))
    return record


def span(
    attributes: dict,
    *,
    name: str = "chat gpt-5-codex",
    trace_id: bytes | None = None,
    span_id: bytes | None = None,
    start_ns: int | None = None,
    duration_ms: int = 1500,
    error: bool = False,
) -> Span:
    start = start_ns or nanos()
    return Span(
        trace_id=secrets.token_bytes(16) if trace_id is None else trace_id,
        span_id=secrets.token_bytes(8) if span_id is None else span_id,
        name=name,
        kind=Span.SPAN_KIND_CLIENT,
        start_time_unix_nano=start,
        end_time_unix_nano=start + duration_ms * 1_000_000,
        attributes=pairs(attributes),
        status=Status(code=Status.STATUS_CODE_ERROR if error else Status.STATUS_CODE_UNSET),
    )


def logs_request(
    records: list[LogRecord], *, resource: dict | None = None, scope: str = "codex_otel.log_only"
) -> ExportLogsServiceRequest:
    request = ExportLogsServiceRequest()
    resource_logs = request.resource_logs.add()
    resource_logs.resource.attributes.extend(
        pairs(CODEX_RESOURCE if resource is None else resource)
    )
    scope_logs = resource_logs.scope_logs.add()
    scope_logs.scope.name = scope
    scope_logs.log_records.extend(records)
    return request


def traces_request(
    spans: list[Span], *, resource: dict | None = None, scope: str = "app"
) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.extend(
        pairs({"service.name": "ci-agent"} if resource is None else resource)
    )
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name = scope
    scope_spans.spans.extend(spans)
    return request


def otlp_json(request: ExportLogsServiceRequest | ExportTraceServiceRequest) -> bytes:
    """OTLP/JSON as the specification writes it: hex ids, 64-bit integers as
    strings, enums as integers (protobuf's JSON mapping would write base64 ids)."""
    document = MessageToDict(request, use_integers_for_enums=True)
    for resource in document.get("resourceLogs", []) + document.get("resourceSpans", []):
        for scope in resource.get("scopeLogs", []) + resource.get("scopeSpans", []):
            for record in scope.get("logRecords", []) + scope.get("spans", []):
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in record:
                        record[key] = _b64_to_hex(record[key])
    return json.dumps(document).encode()


def _b64_to_hex(text: str) -> str:
    return base64.b64decode(text).hex()


def encode(request, media: str, *, compress: bool = False) -> bytes:
    body = request.SerializeToString() if media == PROTOBUF else otlp_json(request)
    return gzip.compress(body) if compress else body


def post(client, path: str, request, *, media: str = PROTOBUF, compress: bool = False, **extra):
    headers = {"HTTP_CONTENT_ENCODING": "gzip"} if compress else {}
    headers.update(extra)
    return client.generic(
        "POST", path, encode(request, media, compress=compress), content_type=media, **headers
    )


def partial_success(response, media: str) -> tuple[int, str]:
    """(records rejected, error message) of an export answer, in either encoding."""
    if media == PROTOBUF:
        partial = ExportLogsServiceResponse.FromString(response.content).partial_success
        return partial.rejected_log_records, partial.error_message
    partial = json.loads(response.content)["partialSuccess"]
    return int(partial["rejectedLogRecords"]), partial["errorMessage"]


def unique_conversation() -> str:
    return f"conv-{time.time_ns()}-{secrets.token_hex(4)}"

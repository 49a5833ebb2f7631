"""The OpenTelemetry Python SDK's OTLP/HTTP exporters (protobuf, with and without
gzip) sending GenAI spans, GenAI events and Codex-shaped log records to a live Governor."""

from __future__ import annotations

import pytest
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from tests.calls.otlp.builders import codex_completion, genai_chat, unique_conversation
from tests.ops.live import Database

pytestmark = pytest.mark.live


@pytest.mark.parametrize(
    "compression", [Compression.NoCompression, Compression.Gzip], ids=["plain", "gzip"]
)
def test_python_sdk_exporters__spans_and_events_of_the_same_calls_and_codex_records__each_call_stored_once(
    governor, compression
):
    client = f"sdk-{compression.value}"
    key = governor.issue_key(team="platform", name=client, scopes="ingest")
    options = {"headers": {"Authorization": f"Bearer {key}"}, "compression": compression}
    resource = Resource.create(
        {
            "service.name": "ci-agent",
            "governor.task_type": "test_generation",
            "governor.risk": "low",
        }
    )
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(
        BatchSpanProcessor(
            OTLPSpanExporter(endpoint=f"{governor.base_url}/otlp/v1/traces", **options)
        )
    )
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(
        BatchLogRecordProcessor(
            OTLPLogExporter(endpoint=f"{governor.base_url}/otlp/v1/logs", **options)
        )
    )
    tracer = tracer_provider.get_tracer("agent")
    logger = logger_provider.get_logger("agent")

    for n in range(5):
        usage = genai_chat(
            **{"gen_ai.usage.input_tokens": 1000 + n, "gen_ai.usage.output_tokens": 300}
        )
        with tracer.start_as_current_span("chat gpt-5-codex") as current:
            current.set_attributes(usage)
            # The same call as a GenAI event, logged inside its span.
            logger.emit(event_name="gen_ai.client.inference.operation.details", attributes=usage)
    for _ in range(3):
        logger.emit(attributes=codex_completion(conversation=unique_conversation()))
    tracer_provider.shutdown()
    logger_provider.shutdown()

    db = Database(governor.database_url)
    genai = _row(db, client, "otel:%")
    codex = _row(db, client, "codex:%")
    assert genai == (5, 5010, 1500, 5)  # 5 calls, each stored once, all priced
    assert codex == (3, 36000, 2700, 3)
    attribution = db.scalar(
        "SELECT COUNT(*) FROM calls_call c JOIN accounts_client k ON k.id = c.client_id "
        "WHERE k.name = %s AND c.task_type = 'test_generation' AND c.risk = 'low'",
        client,
    )
    assert attribution == 8


def _row(db: Database, client: str, pattern: str) -> tuple[int, ...]:
    columns = (
        "COUNT(*)",
        "COALESCE(SUM(c.input_tokens), 0)",
        "COALESCE(SUM(c.output_tokens), 0)",
        "COUNT(c.cost_usd)",
    )
    return tuple(
        int(db.scalar(
            f"SELECT {column} FROM calls_call c JOIN accounts_client k ON k.id = c.client_id "  # noqa: S608 - fixed columns
            "WHERE k.name = %s AND c.call_id LIKE %s", client, pattern,
        ))
        for column in columns
    )  # fmt: skip

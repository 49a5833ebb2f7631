"""The OTLP/HTTP receivers: calls stored like the JSON API's, answers as the
OTLP/HTTP specification has them, in the request's encoding."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import OperationalError
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from governance.calls.models import Call
from governance.catalog.selectors import price_book
from governance.rollups.models import CallRollup
from tests.calls.factories import post_calls
from tests.calls.otlp.builders import (
    JSON,
    PROTOBUF,
    claude_api_request,
    codex_completion,
    genai_chat,
    log_record,
    logs_request,
    nanos,
    partial_success,
    post,
    span,
    traces_request,
)

pytestmark = pytest.mark.django_db

LOGS = "/otlp/v1/logs"
TRACES = "/otlp/v1/traces"
ROLLUP_MEASURES = ("calls", "input_tokens", "cached_input_tokens", "output_tokens", "cost_usd_e10")


def _status(response) -> tuple[int, str]:
    """(google.rpc code, message) of a refusal, in either encoding."""
    if response["Content-Type"] == PROTOBUF:
        status = Status.FromString(response.content)
        return status.code, status.message
    document = json.loads(response.content)
    return document["code"], document["message"]


def test_otlp_logs__codex_completion__stored_priced_and_rolled_up_like_the_same_call_posted_as_json(
    key_client, issue_key, api_client
):
    when = nanos()
    response = post(key_client, LOGS, logs_request([log_record(codex_completion(), time_ns=when)]))
    stored = Call.objects.get()
    # The same call through the JSON API, by another client of another team.
    raw, _ = issue_key(scopes=["ingest"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    posted = post_calls(
        api_client,
        [
            {
                "call_id": "json-twin",
                "timestamp": stored.timestamp.isoformat(),
                "model": "gpt-5-codex",
                "provider": "openai",
                "environment": "ci",
                "input_tokens": 12000,
                "cached_input_tokens": 8000,
                "output_tokens": 900,
                "reasoning_tokens": 300,
            }
        ],
    )
    twin = Call.objects.get(call_id="json-twin")

    assert response.status_code == 200
    assert posted.status_code == 200
    assert (
        ExportLogsServiceResponse.FromString(response.content).HasField("partial_success") is False
    )
    assert stored.cost_usd is not None and stored.cost_usd > 0
    for name in (
        "model", "provider", "environment", "risk", "task_type", "status", "input_tokens",
        "cached_input_tokens", "output_tokens", "reasoning_tokens", "cost_usd", "price_source",
    ):  # fmt: skip
        assert getattr(stored, name) == getattr(twin, name), name
    expected, _ = price_book().price(
        model="gpt-5-codex", provider="openai", timestamp=stored.timestamp,
        input_tokens=12000, cached_input_tokens=8000, output_tokens=900,
    )  # fmt: skip
    assert stored.cost_usd == expected
    rollups = {
        client_id: CallRollup.objects.filter(client_id=client_id).values(*ROLLUP_MEASURES)[0]
        for client_id in (stored.client_id, twin.client_id)
    }
    assert rollups[stored.client_id] == rollups[twin.client_id]
    assert stored.call_id == f"codex:01a22ad7-6d8b-7263-b922-84ba2f6acb6b:{when}"


@pytest.mark.parametrize("media", [PROTOBUF, JSON])
@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_otlp_logs__retried_export__stored_once(key_client, media, compress):
    request = logs_request([log_record(codex_completion())])

    first = post(key_client, LOGS, request, media=media, compress=compress)
    again = post(key_client, LOGS, request, media=media, compress=compress)

    assert (first.status_code, again.status_code) == (200, 200)
    assert first["Content-Type"] == again["Content-Type"] == media
    assert Call.objects.count() == 1
    assert CallRollup.objects.get().calls == 1


def test_otlp__genai_call_seen_as_span_and_as_event_inside_it__stored_once(key_client):
    trace_id, span_id = (
        bytes.fromhex("4bf92f3577b34da6a3ce929d0e0e4736"),
        bytes.fromhex("00f067aa0ba902b7"),
    )
    chat = span(genai_chat(), trace_id=trace_id, span_id=span_id, duration_ms=1234)
    event = log_record(
        {"event.name": "gen_ai.client.inference.operation.details", **genai_chat()},
        trace_id=trace_id,
        span_id=span_id,
    )

    traces = post(key_client, TRACES, traces_request([chat]))
    logs = post(key_client, LOGS, logs_request([event], resource={"service.name": "ci-agent"}))

    assert (traces.status_code, logs.status_code) == (200, 200)
    call = Call.objects.get()
    assert call.call_id == f"otel:{trace_id.hex()}:{span_id.hex()}"
    assert (call.input_tokens, call.cached_input_tokens, call.output_tokens) == (5000, 1000, 700)
    assert call.latency_ms == 1234
    assert call.environment == "api"


def test_otlp_logs__records_that_are_not_calls__accepted_and_ignored(key_client):
    records = [
        log_record({"event.name": "codex.user_prompt", "prompt": "[REDACTED]"}),
        log_record({"event.name": "codex.tool_result", "tool_name": "shell", "success": "true"}),
        log_record({"event.name": "codex.startup_phase", "duration_ms": "12"}),
        # The twin of a completion that carries no usage: the call comes from the other one.
        log_record(
            codex_completion(
                input_token_count=None,
                output_token_count=None,
                cached_token_count=None,
                reasoning_token_count=None,
            )
        ),  # fmt: skip
        log_record(
            {
                "event.name": "codex.api_request",
                "http.response.status_code": "200",
                "endpoint": "/responses",
                "duration_ms": "144",
                "model": "gpt-5-codex",
            }
        ),  # fmt: skip
    ]

    response = post(key_client, LOGS, logs_request(records))

    assert response.status_code == 200
    assert response.content == b""  # an empty ExportLogsServiceResponse: nothing rejected
    assert Call.objects.count() == 0


def test_otlp_traces__spans_that_are_not_model_calls__ignored(key_client):
    spans = [
        span({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search"}),
        span(genai_chat(**{"gen_ai.operation.name": "invoke_agent"})),
        # Codex's handle_responses span: usage but no model.
        span(
            {"gen_ai.usage.input_tokens": "1234", "gen_ai.usage.output_tokens": "56"},
            name="handle_responses",
        ),  # fmt: skip
        span({"http.request.method": "GET"}, name="GET /"),
    ]

    response = post(key_client, TRACES, traces_request(spans), media=JSON)

    assert response.status_code == 200
    assert json.loads(response.content) == {}
    assert Call.objects.count() == 0


@pytest.mark.parametrize("media", [PROTOBUF, JSON])
def test_otlp_logs__some_records_invalid__valid_ones_stored_partial_success_counts_and_names_the_rest(
    key_client, media
):
    records = [
        log_record(codex_completion(conversation="good")),
        log_record(codex_completion(conversation="bad-tokens", input_token_count="lots")),
        log_record(codex_completion(conversation="bad-risk"), time_ns=nanos()),
    ]
    records[2].attributes.add(key="governor.risk").value.string_value = "extreme"

    response = post(key_client, LOGS, logs_request(records), media=media)

    assert response.status_code == 200
    rejected, message = partial_success(response, media)
    assert rejected == 2
    assert "input_token_count: 'lots' is not a whole number" in message
    assert "governor.risk" in message
    assert list(Call.objects.values_list("call_id", flat=True)) == [
        f"codex:good:{records[0].observed_time_unix_nano}"
    ]


def test_otlp_traces__rejected_span__partial_success_in_protobuf(key_client):
    spans = [span(genai_chat()), span(genai_chat(**{"gen_ai.usage.output_tokens": -3}))]

    response = post(key_client, TRACES, traces_request(spans))

    partial = ExportTraceServiceResponse.FromString(response.content).partial_success
    assert partial.rejected_spans == 1
    assert "gen_ai.usage.output_tokens" in partial.error_message
    assert Call.objects.count() == 1


def test_otlp__attribution_from_resource_attributes__task_type_risk_environment_and_repository(
    key_client,
):
    resource = {
        "service.name": "codex_exec",
        "env": "dev",
        "governor.task_type": "test_generation",
        "governor.risk": "low",
        "governor.repository": "acme/payments",
    }

    post(key_client, LOGS, logs_request([log_record(codex_completion())], resource=resource))

    call = Call.objects.get()
    assert (call.task_type, call.risk, call.environment, call.repo) == (
        "test_generation",
        "low",
        "cli",  # Codex's "dev" is not a Governor environment: the Codex default
        "acme/payments",
    )
    assert call.team_id == key_client.api_key.client.team_id
    assert call.client_id == key_client.api_key.client_id


def test_otlp__x_api_key_header__accepted(api_client, issue_key):
    raw, _ = issue_key(scopes=["ingest"])

    response = post(
        api_client, LOGS, logs_request([log_record(codex_completion())]), HTTP_X_API_KEY=raw
    )

    assert response.status_code == 200
    assert Call.objects.count() == 1


@pytest.mark.parametrize("media", [PROTOBUF, JSON])
def test_otlp__no_key__401_status_in_the_request_encoding(api_client, media):
    response = post(api_client, LOGS, logs_request([log_record(codex_completion())]), media=media)

    assert response.status_code == 401
    assert response["Content-Type"] == media
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert _status(response)[0] == 16  # UNAUTHENTICATED
    assert Call.objects.count() == 0


def test_otlp__key_without_ingest_scope__403_naming_the_scope(api_client, issue_key):
    raw, _ = issue_key(scopes=["policy:read"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    response = post(api_client, TRACES, traces_request([span(genai_chat())]))

    assert response.status_code == 403
    assert "ingest" in _status(response)[1]
    assert Call.objects.count() == 0


def test_otlp__over_the_rate_limit__429_with_retry_after(key_client, settings):
    settings.GOVERNOR_API_KEY_RATE = "1/min"
    cache.clear()
    request = logs_request([log_record(codex_completion())])

    first = post(key_client, LOGS, request)
    second = post(key_client, LOGS, request)

    assert first.status_code == 200
    assert second.status_code == 429
    assert int(second["Retry-After"]) >= 1
    assert second["Content-Type"] == PROTOBUF


def test_otlp__database_unavailable__503_with_retry_after_so_the_exporter_retries(
    key_client, monkeypatch
):
    def unavailable(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("governance.calls.otlp.api.calls_ingest", unavailable)

    response = post(key_client, LOGS, logs_request([log_record(codex_completion())]), media=JSON)

    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert _status(response)[0] == 14  # UNAVAILABLE


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-ndjson", ""])
def test_otlp__unsupported_content_type__415_naming_the_accepted_ones(key_client, content_type):
    response = key_client.generic("POST", LOGS, b"{}", content_type=content_type)

    assert response.status_code == 415
    assert "application/x-protobuf" in _status(response)[1]


def test_otlp__unsupported_content_encoding__415(key_client):
    body = logs_request([log_record(codex_completion())]).SerializeToString()

    response = key_client.generic(
        "POST", LOGS, body, content_type=PROTOBUF, HTTP_CONTENT_ENCODING="br"
    )

    assert response.status_code == 415
    assert Call.objects.count() == 0


def test_calls_api__gzip_body__still_refused_with_415(key_client):
    response = key_client.generic(
        "POST", "/api/v1/calls", b"\x1f\x8b", content_type=JSON, HTTP_CONTENT_ENCODING="gzip"
    )

    assert response.status_code == 415


def test_otlp_logs__claude_code_request__reported_cost_kept_beside_governors_price(key_client):
    record = log_record(claude_api_request(), body="claude_code.api_request")
    request = logs_request(
        [record], resource={"service.name": "claude-code"}, scope="com.anthropic.claude_code.events"
    )

    response = post(key_client, LOGS, request)

    assert response.status_code == 200
    call = Call.objects.get()
    assert call.reported_cost_usd == Decimal("0.01602")
    assert call.cost_usd is not None and call.cost_usd != call.reported_cost_usd
    assert (call.input_tokens, call.cached_input_tokens, call.output_tokens) == (33200, 30000, 450)

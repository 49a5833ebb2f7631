"""The mapping tables of docs/otlp.md: each source's records become the calls a
routing client would have posted, each field from its first present attribute."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from governance.calls.otlp.decoding import Record
from governance.calls.otlp.mapping import calls_from_records
from governance.calls.otlp.wire import LOGS, TRACES
from governance.calls.plausibility import Plausibility
from governance.catalog.pricing import PriceBook
from tests.calls.otlp.builders import claude_api_request, codex_completion, genai_chat, nanos

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"
# No catalog (these tests need no database): published limits and prices only.
UNCATALOGUED = Plausibility(book=PriceBook(version=0), max_cost_usd=Decimal(250))


def _record(attributes: dict, *, signal: str = LOGS, **fields) -> Record:
    defaults = {
        "signal": signal,
        "index": 0,
        "name": "",
        "event_name": "",
        "scope": "",
        "time_ns": nanos(),
        "end_ns": 0,
        "trace_id": "",
        "span_id": "",
        "status_code": 0,
        "status_message": "",
        "attributes": attributes,
        "resource": {"service.name": "codex_exec", "env": "ci"},
    }
    defaults.update(fields)
    return Record(**defaults)


def _map(*records: Record):
    intake = calls_from_records(
        records, now=timezone.now(), max_metadata_bytes=4096, limits=UNCATALOGUED
    )
    return intake


def _one(record: Record):
    intake = _map(record)
    assert not intake.rejected, intake.rejected
    assert len(intake.calls) == 1
    return intake.calls[0]


# --- Codex CLI -------------------------------------------------------------------------------


def test_codex_completion__every_field_from_its_attribute():
    when = nanos(datetime(2026, 11, 20, 9, 30, tzinfo=UTC))

    call = _one(_record(codex_completion(), time_ns=when))

    assert call.call_id == f"codex:01a22ad7-6d8b-7263-b922-84ba2f6acb6b:{when}"
    assert call.timestamp == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    assert (call.model, call.provider, call.environment, call.status) == (
        "gpt-5-codex", "openai", "ci", "ok",
    )  # fmt: skip
    assert (call.input_tokens, call.cached_input_tokens) == (12000, 8000)
    assert (call.output_tokens, call.reasoning_tokens) == (900, 300)
    assert call.metadata["conversation_id"] == "01a22ad7-6d8b-7263-b922-84ba2f6acb6b"
    assert call.metadata["source"] == "codex"


def test_codex_completion__slug_when_no_model_attribute():
    assert _one(_record(codex_completion(model=None, slug="gpt-5.1-codex-mini"))).model == (
        "gpt-5.1-codex-mini"
    )


@pytest.mark.parametrize(
    ("env", "originator", "expected"),
    [("ci", "codex_exec", "ci"), ("dev", "codex_exec", "cli"), ("dev", "codex_vscode", "ide")],
)
def test_codex__environment_from_the_otel_environment_setting_else_the_originator(
    env, originator, expected
):
    record = _record(codex_completion(originator=originator), resource={"env": env})

    assert _one(record).environment == expected


def test_codex_api_request__failed_attempt__a_rate_limited_call_with_retries_and_latency():
    attributes = {
        "event.name": "codex.api_request",
        "duration_ms": "87",
        "http.response.status_code": "429",
        "error.message": "Too Many Requests",
        "attempt": "2",
        "endpoint": "/responses",
        "conversation.id": "c-1",
        "model": "gpt-5-codex",
    }

    call = _one(_record(attributes))

    assert (call.status, call.error_type, call.retries, call.latency_ms) == (
        "rate_limited", "http_429", 2, 87,
    )  # fmt: skip
    assert call.input_tokens == call.output_tokens == 0


@pytest.mark.parametrize(
    "attributes",
    [
        {"http.response.status_code": "200", "endpoint": "/responses"},
        {"http.response.status_code": "404", "endpoint": "/models"},
    ],
    ids=["success-carried-by-the-completion", "not-a-model-endpoint"],
)
def test_codex_api_request__not_a_failed_model_call__ignored(attributes):
    record = _record(
        {"event.name": "codex.api_request", "conversation.id": "c", "model": "m", **attributes}
    )

    assert _map(record).ignored == 1


def test_codex_stream_failure__an_error_call():
    attributes = codex_completion(
        **{"event.kind": "response.failed", "error.message": '{"error": "server_error"}'},
        input_token_count=None, output_token_count=None, cached_token_count=None,
        reasoning_token_count=None,
    )  # fmt: skip

    call = _one(_record(attributes))

    assert (call.status, call.error_type) == ("error", "response.failed")


def test_codex__same_record_twice__same_call_id_and_another_record_another():
    when = nanos()
    first, again = (
        _map(_record(codex_completion(), time_ns=when)).calls,
        _map(_record(codex_completion(), time_ns=when)).calls,
    )
    later = _map(_record(codex_completion(), time_ns=when + 1)).calls

    assert first[0].call_id == again[0].call_id != later[0].call_id


# --- Claude Code -----------------------------------------------------------------------------


def test_claude_code_request__input_includes_cache_reads_and_writes_and_the_reported_cost_is_kept():
    record = _record(
        claude_api_request(),
        name="claude_code.api_request",
        scope="com.anthropic.claude_code.events",
        resource={"service.name": "claude-code"},
    )

    call = _one(record)

    assert call.call_id == "claude_code:6f1d5b5e-7c1a-4a43-9d0e-1c2b3a4d5e6f:7"
    assert (call.model, call.provider) == ("claude-sonnet-4-5-20250929", "anthropic")
    assert (call.input_tokens, call.cached_input_tokens, call.output_tokens) == (33200, 30000, 450)
    assert call.reported_cost_usd == Decimal("0.01602")
    assert (call.latency_ms, call.environment, call.status) == (5321, "cli", "ok")
    assert call.metadata["cache_creation_tokens"] == 2000


def test_claude_code_request__recognised_by_its_scope_without_a_body():
    record = _record(claude_api_request(), scope="com.anthropic.claude_code.events", resource={})

    assert _one(record).model == "claude-sonnet-4-5-20250929"


def test_claude_code_error__status_error_type_and_retries_from_the_attempt():
    attributes = {
        "session.id": "s-1",
        "event.name": "api_error",
        "event.sequence": 9,
        "model": "claude-opus-4-1",
        "error": "Request timed out",
        "status_code": "undefined",
        "duration_ms": 60000,
        "attempt": 3,
    }

    call = _one(_record(attributes, name="claude_code.api_error"))

    assert (call.status, call.error_type, call.retries, call.latency_ms) == (
        "timeout", "Request timed out", 2, 60000,
    )  # fmt: skip


# --- GenAI spans -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "attributes",
    [
        genai_chat(),
        {
            # The names the current ones replaced.
            "gen_ai.operation.name": "chat",
            "gen_ai.system": "openai",
            "gen_ai.request.model": "gpt-5-codex",
            "gen_ai.usage.prompt_tokens": 5000,
            "gen_ai.usage.completion_tokens": 700,
            "gen_ai.usage.cache_read.input_tokens": 1000,
            "gen_ai.usage.reasoning.output_tokens": 200,
        },
        {
            # OpenInference.
            "openinference.span.kind": "LLM",
            "llm.model_name": "gpt-5-codex",
            "llm.provider": "openai",
            "llm.token_count.prompt": 5000,
            "llm.token_count.completion": 700,
            "llm.token_count.prompt_details.cache_read": 1000,
            "llm.token_count.completion_details.reasoning": 200,
        },
    ],
    ids=["current", "replaced", "openinference"],
)
def test_genai_span__each_naming__the_same_call(attributes):
    start = nanos()
    record = _record(
        attributes, signal=TRACES, trace_id=TRACE, span_id=SPAN, time_ns=start,
        end_ns=start + 2_500_000_000, resource={"service.name": "ci-agent"},
    )  # fmt: skip

    call = _one(record)

    assert call.call_id == f"otel:{TRACE}:{SPAN}"
    assert (call.model, call.provider) == ("gpt-5-codex", "openai")
    assert (call.input_tokens, call.cached_input_tokens) == (5000, 1000)
    assert (call.output_tokens, call.reasoning_tokens) == (700, 200)
    assert (call.latency_ms, call.status, call.environment) == (2500, "ok", "api")


def test_genai_span__response_model_wins_over_request_model():
    attributes = genai_chat(**{"gen_ai.response.model": "gpt-5-codex-2026-01-01"})

    assert _one(_record(attributes, signal=TRACES)).model == "gpt-5-codex-2026-01-01"


def test_genai_span__cache_reads_beyond_the_input__input_counted_without_them_and_added_back():
    attributes = genai_chat(
        **{
            "gen_ai.provider.name": "anthropic",
            "gen_ai.usage.input_tokens": 200,
            "gen_ai.usage.cache_read.input_tokens": 30000,
            "gen_ai.usage.cache_creation.input_tokens": 1000,
        }
    )

    call = _one(_record(attributes, signal=TRACES))

    assert (call.input_tokens, call.cached_input_tokens) == (31200, 30000)


@pytest.mark.parametrize(
    ("attributes", "status_code", "expected"),
    [
        ({"error.type": "RateLimitError", "http.response.status_code": 429}, 2,
         ("rate_limited", "RateLimitError")),
        ({"error.type": "timeout"}, 0, ("timeout", "timeout")),
        ({}, 2, ("error", "upstream exploded")),
    ],
    ids=["rate-limited", "error-type-alone", "span-status-error"],
)  # fmt: skip
def test_genai_span__failure__status_and_error_type(attributes, status_code, expected):
    record = _record(
        genai_chat(**attributes), signal=TRACES, status_code=status_code,
        status_message="upstream exploded",
    )  # fmt: skip

    call = _one(record)

    assert (call.status, call.error_type) == expected


# --- attribution and rejection ---------------------------------------------------------------


def test_attribution__record_attributes_win_over_resource_attributes():
    record = _record(
        codex_completion(**{"governor.task_type": "review"}),
        resource={"governor.task_type": "boilerplate", "governor.risk": "High"},
    )

    call = _one(record)

    assert (call.task_type, call.risk) == ("review", "high")


def test_attribution__unknown_governor_value__rejected_naming_the_attribute():
    intake = _map(_record(codex_completion(), resource={"governor.environment": "staging"}))

    assert intake.calls == []
    assert list(intake.rejected[0].errors) == ["governor.environment"]


def test_call_without_a_model__rejected_naming_the_attribute_read():
    intake = _map(_record(genai_chat(), signal=TRACES))
    bad = _map(_record(codex_completion(model=None, slug=None)))

    assert len(intake.calls) == 1
    assert list(bad.rejected[0].errors) == ["model"]


def test_record_from_the_future__rejected_like_the_json_api():
    future = nanos(datetime(2099, 1, 1, tzinfo=UTC))

    rejected = _map(_record(codex_completion(), time_ns=future)).rejected

    assert "future" in " ".join(rejected[0].errors["timestamp"])

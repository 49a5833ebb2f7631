"""Which OTLP records are model calls, and the call each one is.

One table per source (docs/otlp.md has them for readers): Codex CLI log
events, Claude Code log events, and GenAI spans and events under the current
semantic conventions, the names they replaced and OpenInference's. Each field
is read from the first of its attributes that is present. Records that are
not model calls (tool results, prompts, startup phases, other spans) are
ignored, not rejected.

A call comes out in the shape `POST /api/v1/calls` takes and goes through the
same validation (`validate_record`), so both doors obey the same rules; an
error names the attribute the field was read from.

Call ids come from each source's stable identifiers, so that a retried
export, or the same call seen as a log record and as a span, is stored once:

  Codex CLI     codex:<conversation.id>:<the record's time in ns>
  Claude Code   claude_code:<session.id>:<event.sequence> (the time in ns without one)
  GenAI         otel:<trace id>:<span id>, for a span and for an event logged inside it
  otherwise     otlp:<SHA-256 of the record's time, name and attributes>
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

import msgspec

from governance.calls.otlp.decoding import STATUS_ERROR, Record, Scalar
from governance.calls.otlp.wire import LOGS
from governance.calls.plausibility import Plausibility, call_plausible
from governance.calls.serializers import Rejection, ValidCall, validate_record

MAX_CALL_ID = 128
MAX_META_TEXT = 200
MAX_ERROR_TYPE = 128
ENVIRONMENTS = frozenset({"ci", "ide", "cli", "api", "other"})
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Attribution, read from the record's attributes, then its resource's.
GOVERNOR_FIELDS = {
    "task_type": "governor.task_type",
    "risk": "governor.risk",
    "environment": "governor.environment",
}
ENVIRONMENT_HINTS = ("env", "deployment.environment.name", "deployment.environment")
REPOSITORY = ("governor.repository", "vcs.repository.name", "vcs.repository.url.full")

# Codex CLI (codex-rs/otel, session_telemetry.rs): every value may be a decimal string.
CODEX_SSE_EVENT = "codex.sse_event"
CODEX_API_REQUEST = "codex.api_request"
CODEX_MODEL = ("model", "slug")
CODEX_TOKENS = {
    "input_tokens": ("input_token_count",),  # OpenAI's input includes cached tokens
    "cached_input_tokens": ("cached_token_count",),
    "output_tokens": ("output_token_count",),
    "reasoning_tokens": ("reasoning_token_count",),
}
# A failed stream ends the call only for these kinds ("" = no kind: the stream broke).
CODEX_FAILED_KINDS = frozenset({"", "unknown", "response.failed", "response.completed"})
CODEX_IDE_ORIGINATORS = frozenset({"codex_vscode"})

# Claude Code (its monitoring documentation): input tokens exclude cache reads and writes.
CLAUDE_API_REQUEST = "claude_code.api_request"
CLAUDE_API_ERROR = "claude_code.api_error"
CLAUDE_SCOPE_PREFIX = "com.anthropic.claude_code"
CLAUDE_SERVICE = "claude-code"

# GenAI semantic conventions: current names first, then those they replaced, then OpenInference.
GENAI_EVENT = "gen_ai.client.inference.operation.details"
GENAI_MODEL = ("gen_ai.response.model", "gen_ai.request.model", "llm.model_name")
GENAI_PROVIDER = ("gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system")
GENAI_INPUT = ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt")
GENAI_CACHE_READ = (
    "gen_ai.usage.cache_read.input_tokens",
    "llm.token_count.prompt_details.cache_read",
)
GENAI_CACHE_WRITE = (
    "gen_ai.usage.cache_creation.input_tokens",
    "llm.token_count.prompt_details.cache_write",
)
GENAI_OUTPUT = (
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "llm.token_count.completion",
)
GENAI_REASONING = (
    "gen_ai.usage.reasoning.output_tokens",
    "llm.token_count.completion_details.reasoning",
)
# Agent and tool spans may carry their children's usage: counting them would count twice.
GENAI_NOT_CALLS = frozenset({"invoke_agent", "create_agent", "execute_tool"})
OPENINFERENCE_CALLS = frozenset({"LLM", "EMBEDDING"})

_WHOLE = re.compile(r"\s*-?[0-9]{1,20}\s*\Z")
_encode = msgspec.json.Encoder().encode


class _Bad(Exception):
    def __init__(self, attribute: str, message: str) -> None:
        super().__init__(message)
        self.attribute = attribute
        self.message = message


@dataclass
class Draft:
    """A record that is a model call, in the shape of POST /api/v1/calls, with the
    attribute each field was read from (errors name it)."""

    source: str
    fields: dict[str, object]
    origins: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordRejection:
    index: int
    label: str
    errors: dict[str, list[str]]

    def describe(self) -> str:
        problems = "; ".join(
            f"{name}: {' '.join(messages)}" for name, messages in self.errors.items()
        )
        return f"#{self.index} ({self.label or 'unnamed'}): {problems}"


@dataclass
class Intake:
    calls: list[ValidCall] = field(default_factory=list)
    rejected: list[RecordRejection] = field(default_factory=list)
    ignored: int = 0


def calls_from_records(
    records: Iterable[Record], *, now: datetime, max_metadata_bytes: int, limits: Plausibility
) -> Intake:
    """The valid and plausible calls among `records`, the records that look like
    calls but cannot be stored (with why), and how many are not calls at all."""
    intake = Intake()
    for record in records:
        try:
            draft = call_draft(record)
        except _Bad as bad:
            intake.rejected.append(
                RecordRejection(record.index, _label(record), {bad.attribute: [bad.message]})
            )
            continue
        if draft is None:
            intake.ignored += 1
            continue
        result = validate_record(
            _encode(draft.fields),
            index=record.index,
            now=now,
            max_metadata_bytes=max_metadata_bytes,
        )
        if isinstance(result, ValidCall):
            result = call_plausible(result, index=record.index, limits=limits)
        if isinstance(result, Rejection):
            errors = {draft.origins.get(name, name): text for name, text in result.errors.items()}
            intake.rejected.append(RecordRejection(record.index, _label(record), errors))
        else:
            intake.calls.append(result)
    return intake


def call_draft(record: Record) -> Draft | None:
    """The call `record` is, or None when it is not a model call; raises _Bad."""
    if record.problem:
        raise _Bad("record", record.problem)
    attributes = record.attributes
    if record.signal != LOGS:
        return _genai(record) if _is_genai_call(attributes) else None
    event = attributes.get("event.name")
    names = {event if isinstance(event, str) else "", record.name, record.event_name}
    if CODEX_SSE_EVENT in names:
        return _codex_stream(record)
    if CODEX_API_REQUEST in names:
        return _codex_api_request(record)
    claude = _is_claude(record)
    if CLAUDE_API_REQUEST in names or (claude and "api_request" in names):
        return _claude_api_request(record)
    if CLAUDE_API_ERROR in names or (claude and "api_error" in names):
        return _claude_api_error(record)
    if GENAI_EVENT in names or _is_genai_call(attributes):
        return _genai(record)
    return None


# --- Codex CLI -------------------------------------------------------------------------------


def _codex_stream(record: Record) -> Draft | None:
    attributes = record.attributes
    kind = _string(attributes.get("event.kind"))
    error = attributes.get("error.message")
    tokens = {name: _count(attributes, keys) for name, keys in CODEX_TOKENS.items()}
    if error is None:
        if kind != "response.completed" or not any(tokens.values()):
            # Stream progress, or the completion's twin event that carries no usage.
            return None
        status, error_type = "ok", ""
    elif kind in CODEX_FAILED_KINDS:
        status = "timeout" if "timeout" in str(error).lower() else "error"
        error_type = kind if kind not in ("", "unknown") else "stream_error"
    else:
        return None  # one bad event inside a stream that goes on
    draft = _codex_draft(record)
    for name, found in tokens.items():
        if found is not None:
            draft.origins[name], draft.fields[name] = found
    draft.fields["status"] = status
    if error_type:
        draft.fields["error_type"] = error_type
    return draft


def _codex_api_request(record: Record) -> Draft | None:
    attributes = record.attributes
    endpoint = _string(attributes.get("endpoint"))
    if endpoint not in ("", "unknown") and not (
        "responses" in endpoint or "completions" in endpoint
    ):
        return None  # not a model call (model lists, analytics)
    code = _http_status(attributes.get("http.response.status_code"))
    error = attributes.get("error.message")
    if error is None and (code is None or 200 <= code < 300):
        return None  # a success: its response.completed event carries the call
    draft = _codex_draft(record)
    draft.fields["status"], draft.fields["error_type"] = _failure(code, _string(error))
    _optional_count(draft, attributes, "retries", ("attempt",))  # 0 on the first attempt
    _optional_count(draft, attributes, "latency_ms", ("duration_ms",))
    return draft


def _codex_draft(record: Record) -> Draft:
    attributes = record.attributes
    conversation = _string(attributes.get("conversation.id"))
    originator = _string(attributes.get("originator"))
    call_id = (
        _stable_id("codex", conversation, str(record.time_ns))
        if conversation and record.time_ns
        else _content_id(record)
    )
    draft = _draft(
        record,
        source="codex",
        call_id=call_id,
        model_keys=CODEX_MODEL,
        provider="openai",
        default_environment="ide" if originator in CODEX_IDE_ORIGINATORS else "cli",
        metadata={"conversation_id": conversation, "originator": originator},
    )
    return draft


# --- Claude Code -----------------------------------------------------------------------------


def _is_claude(record: Record) -> bool:
    return (
        record.scope.startswith(CLAUDE_SCOPE_PREFIX)
        or record.resource.get("service.name") == CLAUDE_SERVICE
    )


def _claude_api_request(record: Record) -> Draft:
    attributes = record.attributes
    draft = _claude_draft(record)
    uncached = _count(attributes, ("input_tokens",))
    read = _count(attributes, ("cache_read_tokens",))
    written = _count(attributes, ("cache_creation_tokens",))
    parts = [found for found in (uncached, read, written) if found is not None]
    if parts:
        # Anthropic counts input without the cache; Governor's input includes it.
        draft.fields["input_tokens"] = sum(value for _, value in parts)
        draft.origins["input_tokens"] = "+".join(key for key, _ in parts)
    if read is not None:
        draft.origins["cached_input_tokens"], draft.fields["cached_input_tokens"] = read
    if written is not None and written[1]:
        _meta(draft, "cache_creation_tokens", written[1])
    _optional_count(draft, attributes, "output_tokens", ("output_tokens",))
    _optional_count(draft, attributes, "latency_ms", ("duration_ms",))
    cost = attributes.get("cost_usd")
    if cost is not None:
        draft.fields["reported_cost_usd"] = str(_money("cost_usd", cost))
        draft.origins["reported_cost_usd"] = "cost_usd"
    draft.fields["status"] = "ok"
    return draft


def _claude_api_error(record: Record) -> Draft:
    attributes = record.attributes
    draft = _claude_draft(record)
    code = _http_status(attributes.get("status_code"))
    status, error_type = _failure(code, _string(attributes.get("error")))
    draft.fields["status"], draft.fields["error_type"] = status, error_type
    attempt = _count(attributes, ("attempt",))
    if attempt is not None:
        # Claude Code counts attempts from 1.
        draft.fields["retries"] = max(attempt[1] - 1, 0)
        draft.origins["retries"] = "attempt"
    _optional_count(draft, attributes, "latency_ms", ("duration_ms",))
    return draft


def _claude_draft(record: Record) -> Draft:
    attributes = record.attributes
    session = _string(attributes.get("session.id"))
    sequence = attributes.get("event.sequence")
    if session and sequence is not None and not isinstance(sequence, bool):
        call_id = _stable_id("claude_code", session, str(sequence))
    elif session and record.time_ns:
        call_id = _stable_id("claude_code", session, str(record.time_ns))
    else:
        call_id = _content_id(record)
    return _draft(
        record,
        source="claude_code",
        call_id=call_id,
        model_keys=("model",),
        provider="anthropic",
        default_environment="cli",
        metadata={"session_id": session, "prompt_id": _string(attributes.get("prompt.id"))},
    )


# --- GenAI spans and events ------------------------------------------------------------------


def _is_genai_call(attributes: dict[str, Scalar]) -> bool:
    if _first(attributes, GENAI_MODEL) is None:
        return False
    operation = _string(attributes.get("gen_ai.operation.name"))
    if operation:
        return operation not in GENAI_NOT_CALLS
    kind = _string(attributes.get("openinference.span.kind"))
    if kind:
        return kind.upper() in OPENINFERENCE_CALLS
    return (
        _first(attributes, GENAI_INPUT) is not None or _first(attributes, GENAI_OUTPUT) is not None
    )


def _genai(record: Record) -> Draft:
    attributes = record.attributes
    if record.trace_id and record.span_id:
        call_id = _stable_id("otel", record.trace_id, record.span_id)
    else:
        call_id = _content_id(record)
    provider = _first(attributes, GENAI_PROVIDER)
    draft = _draft(
        record,
        source="gen_ai",
        call_id=call_id,
        model_keys=GENAI_MODEL,
        provider=_string(provider[1]) if provider else "",
        default_environment="api",
        metadata={
            "operation": _string(attributes.get("gen_ai.operation.name")),
            "trace_id": record.trace_id,
            "span_id": record.span_id,
        },
    )
    if provider:
        draft.origins["provider"] = provider[0]
    found_input = _count(attributes, GENAI_INPUT)
    read = _count(attributes, GENAI_CACHE_READ)
    written = _count(attributes, GENAI_CACHE_WRITE)
    if found_input is not None:
        draft.origins["input_tokens"], draft.fields["input_tokens"] = found_input
        if read is not None and read[1] > found_input[1]:
            # The conventions count cached tokens in the input; an instrumentation
            # that reports more cache reads than input left them out, as Anthropic's
            # API does: add them back.
            draft.fields["input_tokens"] = (
                found_input[1] + read[1] + (written[1] if written is not None else 0)
            )
    if read is not None:
        draft.origins["cached_input_tokens"], draft.fields["cached_input_tokens"] = read
    if written is not None and written[1]:
        _meta(draft, "cache_creation_tokens", written[1])
    _optional_count(draft, attributes, "output_tokens", GENAI_OUTPUT)
    _optional_count(draft, attributes, "reasoning_tokens", GENAI_REASONING)
    if record.end_ns and record.end_ns >= record.time_ns:
        draft.fields["latency_ms"] = (record.end_ns - record.time_ns) // 1_000_000
    error_type = _string(attributes.get("error.type"))
    if error_type or record.status_code == STATUS_ERROR:
        code = _http_status(attributes.get("http.response.status_code"))
        status, derived = _failure(code, error_type or record.status_message)
        draft.fields["status"] = status
        draft.fields["error_type"] = error_type[:MAX_ERROR_TYPE] if error_type else derived
    else:
        draft.fields["status"] = "ok"
    return draft


# --- shared ----------------------------------------------------------------------------------


def _draft(
    record: Record,
    *,
    source: str,
    call_id: str,
    model_keys: tuple[str, ...],
    provider: str,
    default_environment: str,
    metadata: dict[str, object],
) -> Draft:
    fields: dict[str, object] = {"call_id": call_id, "timestamp": _timestamp(record)}
    draft = Draft(source=source, fields=fields)
    model = _first(record.attributes, model_keys)
    if model is not None:
        draft.origins["model"] = model[0]
        fields["model"] = _string(model[1])
    else:
        draft.origins["model"] = model_keys[0]
    if provider:
        fields["provider"] = provider
    for name, key in GOVERNOR_FIELDS.items():
        value = _attribution(record, key)
        if value is not None:
            fields[name] = value.strip().lower()
            draft.origins[name] = key
    if "environment" not in fields:
        fields["environment"] = _environment_hint(record) or default_environment
    repository = next(filter(None, (_attribution(record, key) for key in REPOSITORY)), None)
    service = _string(record.resource.get("service.name"))
    meta = {"source": source, "service": service, "repo": repository, **metadata}
    fields["metadata"] = {
        key: value[:MAX_META_TEXT] if isinstance(value, str) else value
        for key, value in meta.items()
        if value not in (None, "")
    }
    draft.origins["metadata"] = "attributes"
    return draft


def _attribution(record: Record, key: str) -> str | None:
    value = record.attributes.get(key)
    if value is None:
        value = record.resource.get(key)
    return None if value is None or value == "" else _string(value)


def _environment_hint(record: Record) -> str | None:
    for key in ENVIRONMENT_HINTS:
        value = _attribution(record, key)
        if value is not None and value.strip().lower() in ENVIRONMENTS:
            return value.strip().lower()
    return None


def _meta(draft: Draft, key: str, value: object) -> None:
    metadata = draft.fields["metadata"]
    if isinstance(metadata, dict):
        metadata[key] = value


def _timestamp(record: Record) -> datetime:
    if record.time_ns:
        return EPOCH + timedelta(microseconds=record.time_ns // 1000)
    text = record.attributes.get("event.timestamp")
    if isinstance(text, str):
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            raise _Bad("event.timestamp", f"{text[:40]!r} is not an ISO 8601 time.") from None
        if when.tzinfo is not None:
            return when
    raise _Bad("timeUnixNano", "The record has no time (timeUnixNano or observedTimeUnixNano).")


def _failure(code: int | None, text: str) -> tuple[str, str]:
    """(status, error_type) of a failed call from its HTTP status and error text."""
    lowered = text.lower()
    if code == 429 or "rate limit" in lowered or "rate_limit" in lowered:
        status = "rate_limited"
    elif code in (408, 504) or "timeout" in lowered or "timed out" in lowered:
        status = "timeout"
    elif "cancel" in lowered:
        status = "cancelled"
    else:
        status = "error"
    if code is not None:
        return status, f"http_{code}"
    return status, (text or status)[:MAX_ERROR_TYPE]


def _http_status(value: Scalar | None) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return int(value) if 100 <= value <= 599 else None
    text = value.strip()
    return int(text) if text.isdigit() and 100 <= int(text) <= 599 else None


def _first(attributes: dict[str, Scalar], keys: Iterable[str]) -> tuple[str, Scalar] | None:
    for key in keys:
        value = attributes.get(key)
        if value is not None and value != "":
            return key, value
    return None


def _count(attributes: dict[str, Scalar], keys: Iterable[str]) -> tuple[str, int] | None:
    found = _first(attributes, keys)
    if found is None:
        return None
    key, value = found
    return key, _whole(key, value)


def _optional_count(
    draft: Draft, attributes: dict[str, Scalar], name: str, keys: Iterable[str]
) -> None:
    found = _count(attributes, keys)
    if found is not None:
        draft.origins[name], draft.fields[name] = found


def _whole(key: str, value: Scalar) -> int:
    if isinstance(value, bool):
        raise _Bad(key, "Must be a whole number, not a boolean.")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise _Bad(key, f"{value!r} is not a whole number.")
    if _WHOLE.match(value):
        return int(value)
    raise _Bad(key, f"{value[:32]!r} is not a whole number.")


def _money(key: str, value: Scalar) -> Decimal:
    if isinstance(value, bool):
        raise _Bad(key, "Must be an amount in USD, not a boolean.")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise _Bad(key, f"{str(value)[:32]!r} is not an amount in USD.") from None
    if not amount.is_finite():
        raise _Bad(key, "Must be a finite amount in USD.")
    return amount


def _string(value: Scalar | None) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _stable_id(prefix: str, *parts: str) -> str:
    call_id = ":".join((prefix, *parts))
    if len(call_id) <= MAX_CALL_ID:
        return call_id
    return f"{prefix}:{hashlib.sha256(call_id.encode()).hexdigest()[:40]}"


def _content_id(record: Record) -> str:
    # Keys are unique, so sorting never compares values of different types.
    content = repr(
        (
            record.signal,
            record.time_ns,
            record.end_ns,
            record.name,
            sorted(record.attributes.items()),
        )
    )
    return f"otlp:{hashlib.sha256(content.encode()).hexdigest()[:40]}"


def _label(record: Record) -> str:
    event = record.attributes.get("event.name")
    return _string(event or record.name or record.event_name)[:80]

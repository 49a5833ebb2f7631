"""OTLP export requests, protobuf or JSON, as one flat `Record` per log record or span.

Protobuf is decoded with the official opentelemetry-proto messages. OTLP/JSON
is not protobuf's JSON mapping and is read by its own rules, with msgspec:
trace and span ids are hex (not base64), 64-bit integers may be strings,
enums are integers (their names are tolerated), and unknown fields are
ignored. Either way an id of the wrong length is a 400 naming where it is.

Only scalar attribute values (string, integer, double, boolean) are kept:
nothing Governor maps is an array, a map or bytes, and leaving nested values
undecoded means no input can make this code recurse.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import msgspec
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.logs.v1 import logs_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from governance.calls.otlp import wire
from governance.calls.otlp.wire import LOGS, PROTOBUF
from governance.core.parsers import BodyError

Scalar = str | int | float | bool
# OpenTelemetry SDKs keep 128 attributes per record by default; far more is
# not a call record, and is refused without walking it.
MAX_ATTRIBUTES = 1024
# JSON objects allowed per record on average before a body is refused unread:
# a Codex record has about 40 (each attribute is a key/value object and a value object).
JSON_OBJECTS_PER_RECORD = 128
TRACE_ID_BYTES = 16
SPAN_ID_BYTES = 8
STATUS_CODES = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}
STATUS_ERROR = 2
_INTEGER = re.compile(r"-?[0-9]{1,20}\Z")


@dataclass(slots=True)
class Record:
    """One log record or span, reduced to what the mapping reads."""

    signal: str  # wire.LOGS or wire.TRACES
    index: int  # position in the export, counted across resources and scopes
    name: str  # a span's name; a log record's body when it is a string
    scope: str
    time_ns: int  # a log record's time (or observed time); a span's start
    trace_id: str  # lowercase hex, "" when absent
    span_id: str
    attributes: dict[str, Scalar] = field(default_factory=dict)
    resource: dict[str, Scalar] = field(default_factory=dict)
    problem: str = ""  # set when the record cannot be read; the mapping rejects it
    event_name: str = ""  # LogRecord.event_name
    end_ns: int = 0  # a span's end
    status_code: int = 0  # spans: 0 unset, 1 ok, 2 error
    status_message: str = ""


def decode(body: bytes, *, signal: str, media: str, max_records: int) -> list[Record]:
    """The records of an export request; BodyError (400/413) for a body that is
    not one, or holds more than `max_records` records."""
    what = "log records" if signal == LOGS else "spans"
    if media == PROTOBUF:
        wire.count_records(body, limit=max_records, what=what)
        return _from_protobuf(body, signal=signal)
    return _from_json(
        body, signal=signal, max_records=max_records, what=what,
        max_objects=max_records * JSON_OBJECTS_PER_RECORD,
    )  # fmt: skip


# --- protobuf --------------------------------------------------------------------------------

_SCALAR_KINDS = frozenset({"string_value", "int_value", "double_value", "bool_value"})


# wire.count_records walks the outline by field number; hold it to the real messages.
_OUTLINE = (
    (ExportLogsServiceRequest, "resource_logs", wire.REQUEST_RESOURCES_FIELD),
    (ExportTraceServiceRequest, "resource_spans", wire.REQUEST_RESOURCES_FIELD),
    (logs_pb2.ResourceLogs, "scope_logs", wire.RESOURCE_SCOPES_FIELD),
    (trace_pb2.ResourceSpans, "scope_spans", wire.RESOURCE_SCOPES_FIELD),
    (logs_pb2.ScopeLogs, "log_records", wire.SCOPE_RECORDS_FIELD),
    (trace_pb2.ScopeSpans, "spans", wire.SCOPE_RECORDS_FIELD),
)
for _message, _name, _number in _OUTLINE:
    if _message.DESCRIPTOR.fields_by_name[_name].number != _number:
        raise ImportError(f"opentelemetry-proto moved {_message.__name__}.{_name}")


def _from_protobuf(body: bytes, *, signal: str) -> list[Record]:
    request: Any = ExportLogsServiceRequest() if signal == LOGS else ExportTraceServiceRequest()
    try:
        request.ParseFromString(body)
    except DecodeError as exc:
        name = type(request).__name__
        raise BodyError(400, f"The body is not a protobuf {name}: {exc}.") from None
    records: list[Record] = []
    if signal == LOGS:
        for r, resource_logs in enumerate(request.resource_logs):
            resource, _ = _pb_attributes(resource_logs.resource.attributes)
            for s, scope_logs in enumerate(resource_logs.scope_logs):
                scope = scope_logs.scope.name
                for k, log in enumerate(scope_logs.log_records):
                    where = f"resourceLogs[{r}].scopeLogs[{s}].logRecords[{k}]"
                    attributes, problem = _pb_attributes(log.attributes)
                    body_value = log.body
                    records.append(
                        Record(
                            signal=LOGS,
                            index=len(records),
                            name=body_value.string_value
                            if body_value.WhichOneof("value") == "string_value"
                            else "",
                            event_name=log.event_name,
                            scope=scope,
                            time_ns=log.time_unix_nano or log.observed_time_unix_nano,
                            trace_id=_pb_id(log.trace_id, TRACE_ID_BYTES, where + ".traceId"),
                            span_id=_pb_id(log.span_id, SPAN_ID_BYTES, where + ".spanId"),
                            attributes=attributes,
                            resource=resource,
                            problem=problem,
                        )
                    )
        return records
    for r, resource_spans in enumerate(request.resource_spans):
        resource, _ = _pb_attributes(resource_spans.resource.attributes)
        for s, scope_spans in enumerate(resource_spans.scope_spans):
            scope = scope_spans.scope.name
            for k, span in enumerate(scope_spans.spans):
                where = f"resourceSpans[{r}].scopeSpans[{s}].spans[{k}]"
                attributes, problem = _pb_attributes(span.attributes)
                records.append(
                    Record(
                        signal=wire.TRACES,
                        index=len(records),
                        name=span.name,
                        scope=scope,
                        time_ns=span.start_time_unix_nano,
                        end_ns=span.end_time_unix_nano,
                        trace_id=_pb_id(span.trace_id, TRACE_ID_BYTES, where + ".traceId"),
                        span_id=_pb_id(span.span_id, SPAN_ID_BYTES, where + ".spanId"),
                        status_code=span.status.code,
                        status_message=span.status.message,
                        attributes=attributes,
                        resource=resource,
                        problem=problem,
                    )
                )
    return records


def _pb_attributes(pairs: Any) -> tuple[dict[str, Scalar], str]:
    if len(pairs) > MAX_ATTRIBUTES:
        return {}, f"It has {len(pairs)} attributes; at most {MAX_ATTRIBUTES} are read."
    out: dict[str, Scalar] = {}
    for pair in pairs:
        value = pair.value
        kind = value.WhichOneof("value")
        if kind in _SCALAR_KINDS:
            out[pair.key] = getattr(value, kind)
    return out, ""


def _pb_id(raw: bytes, size: int, where: str) -> str:
    if not raw:
        return ""
    if len(raw) != size:
        raise BodyError(400, f"{where}: must be {size} bytes, not {len(raw)}.")
    return raw.hex()


# --- OTLP/JSON -------------------------------------------------------------------------------


class _Value(msgspec.Struct, rename="camel", gc=False):
    string_value: str | None = None
    bool_value: bool | None = None
    int_value: int | str | None = None
    double_value: float | str | None = None
    # arrayValue, kvlistValue and bytesValue are never mapped: skipped unread
    # like unknown fields (too deep a nesting is still a 400).


class _KeyValue(msgspec.Struct, gc=False):
    key: str = ""
    value: _Value | None = None


class _Resource(msgspec.Struct, gc=False):
    attributes: list[_KeyValue] | None = None


class _Scope(msgspec.Struct, gc=False):
    name: str | None = None


class _Status(msgspec.Struct, gc=False):
    message: str | None = None
    code: int | str | None = None


class _LogRecord(msgspec.Struct, rename="camel", gc=False):
    time_unix_nano: int | str | None = None
    observed_time_unix_nano: int | str | None = None
    body: _Value | None = None
    attributes: list[_KeyValue] | None = None
    trace_id: str | None = None
    span_id: str | None = None
    event_name: str | None = None


class _Span(msgspec.Struct, rename="camel", gc=False):
    trace_id: str | None = None
    span_id: str | None = None
    name: str | None = None
    start_time_unix_nano: int | str | None = None
    end_time_unix_nano: int | str | None = None
    attributes: list[_KeyValue] | None = None
    status: _Status | None = None


class _ScopeLogs(msgspec.Struct, rename="camel", gc=False):
    scope: _Scope | None = None
    log_records: list[_LogRecord] | None = None


class _ScopeSpans(msgspec.Struct, rename="camel", gc=False):
    scope: _Scope | None = None
    spans: list[_Span] | None = None


class _ResourceLogs(msgspec.Struct, rename="camel", gc=False):
    resource: _Resource | None = None
    scope_logs: list[_ScopeLogs] | None = None


class _ResourceSpans(msgspec.Struct, rename="camel", gc=False):
    resource: _Resource | None = None
    scope_spans: list[_ScopeSpans] | None = None


class _LogsRequest(msgspec.Struct, rename="camel", gc=False):
    resource_logs: list[_ResourceLogs] | None = None


class _TracesRequest(msgspec.Struct, rename="camel", gc=False):
    resource_spans: list[_ResourceSpans] | None = None


_decode_logs = msgspec.json.Decoder(_LogsRequest).decode
_decode_traces = msgspec.json.Decoder(_TracesRequest).decode


def _from_json(
    body: bytes, *, signal: str, max_records: int, what: str, max_objects: int
) -> list[Record]:
    # Every object becomes a Python object: count them (at memory speed) before
    # decoding, so that the work stays bounded by the record limit.
    objects = body.count(b"{")
    if objects > max_objects:
        raise BodyError(
            413, f"The body holds {objects} JSON objects; at most {max_objects} are read."
        )
    try:
        request: Any = (_decode_logs if signal == LOGS else _decode_traces)(body)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        kind = "ExportLogsServiceRequest" if signal == LOGS else "ExportTraceServiceRequest"
        raise BodyError(400, f"The body is not an OTLP/JSON {kind}: {exc}.") from None
    except RecursionError:
        raise BodyError(400, "The body is not valid JSON: nested too deeply.") from None
    except UnicodeDecodeError as exc:
        raise BodyError(400, f"The body is not valid UTF-8 (byte {exc.start}).") from None
    if signal == LOGS:
        count = sum(
            len(scope.log_records or ())
            for resource in request.resource_logs or ()
            for scope in resource.scope_logs or ()
        )
    else:
        count = sum(
            len(scope.spans or ())
            for resource in request.resource_spans or ()
            for scope in resource.scope_spans or ()
        )
    if count > max_records:
        raise BodyError(
            413, f"The export holds more than {max_records} {what}; send smaller batches."
        )
    records: list[Record] = []
    if signal == LOGS:
        for r, resource_logs in enumerate(request.resource_logs or ()):
            where_resource = f"resourceLogs[{r}].resource"
            resource, _ = _json_attributes(resource_logs.resource, where_resource)
            for s, scope_logs in enumerate(resource_logs.scope_logs or ()):
                scope = (scope_logs.scope and scope_logs.scope.name) or ""
                for k, log in enumerate(scope_logs.log_records or ()):
                    where = f"resourceLogs[{r}].scopeLogs[{s}].logRecords[{k}]"
                    attributes, problem = _json_attributes(log, where)
                    body_value = log.body
                    records.append(
                        Record(
                            signal=LOGS,
                            index=len(records),
                            name=(body_value and body_value.string_value) or "",
                            event_name=log.event_name or "",
                            scope=scope,
                            time_ns=_u64(log.time_unix_nano, where + ".timeUnixNano")
                            or _u64(log.observed_time_unix_nano, where + ".observedTimeUnixNano"),
                            trace_id=_hex_id(log.trace_id, TRACE_ID_BYTES, where + ".traceId"),
                            span_id=_hex_id(log.span_id, SPAN_ID_BYTES, where + ".spanId"),
                            attributes=attributes,
                            resource=resource,
                            problem=problem,
                        )
                    )
        return records
    for r, resource_spans in enumerate(request.resource_spans or ()):
        resource, _ = _json_attributes(resource_spans.resource, f"resourceSpans[{r}].resource")
        for s, scope_spans in enumerate(resource_spans.scope_spans or ()):
            scope = (scope_spans.scope and scope_spans.scope.name) or ""
            for k, span in enumerate(scope_spans.spans or ()):
                where = f"resourceSpans[{r}].scopeSpans[{s}].spans[{k}]"
                attributes, problem = _json_attributes(span, where)
                status = span.status or _Status()
                records.append(
                    Record(
                        signal=wire.TRACES,
                        index=len(records),
                        name=span.name or "",
                        scope=scope,
                        time_ns=_u64(span.start_time_unix_nano, where + ".startTimeUnixNano"),
                        end_ns=_u64(span.end_time_unix_nano, where + ".endTimeUnixNano"),
                        trace_id=_hex_id(span.trace_id, TRACE_ID_BYTES, where + ".traceId"),
                        span_id=_hex_id(span.span_id, SPAN_ID_BYTES, where + ".spanId"),
                        status_code=_status_code(status.code, where + ".status.code"),
                        status_message=status.message or "",
                        attributes=attributes,
                        resource=resource,
                        problem=problem,
                    )
                )
    return records


def _json_attributes(owner: Any, where: str) -> tuple[dict[str, Scalar], str]:
    pairs = owner.attributes if owner is not None else None
    if not pairs:
        return {}, ""
    if len(pairs) > MAX_ATTRIBUTES:
        return {}, f"It has {len(pairs)} attributes; at most {MAX_ATTRIBUTES} are read."
    out: dict[str, Scalar] = {}
    for i, pair in enumerate(pairs):
        value = pair.value
        if value is None:
            continue
        if value.string_value is not None:
            out[pair.key] = value.string_value
        elif value.int_value is not None:
            out[pair.key] = _i64(value.int_value, f"{where}.attributes[{i}].value.intValue")
        elif value.double_value is not None:
            out[pair.key] = _double(value.double_value, f"{where}.attributes[{i}].value")
        elif value.bool_value is not None:
            out[pair.key] = value.bool_value
    return out, ""


def _u64(value: int | str | None, where: str) -> int:
    number = _integer(value, where)
    if not 0 <= number < 2**64:
        raise BodyError(400, f"{where}: must be an unsigned 64-bit integer.")
    return number


def _i64(value: int | str, where: str) -> int:
    number = _integer(value, where)
    if not -(2**63) <= number < 2**63:
        raise BodyError(400, f"{where}: must be a signed 64-bit integer.")
    return number


def _integer(value: int | str | None, where: str) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    # 64-bit integers travel as decimal strings in OTLP/JSON.
    if not _INTEGER.match(value):
        raise BodyError(400, f"{where}: {value[:32]!r} is not an integer.")
    return int(value)


def _double(value: float | str, where: str) -> float:
    if isinstance(value, float | int):
        return float(value)
    special = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
    if value in special:
        return special[value]
    raise BodyError(400, f"{where}.doubleValue: {value[:32]!r} is not a number.")


def _hex_id(value: str | None, size: int, where: str) -> str:
    if not value:
        return ""
    if len(value) != 2 * size:
        raise BodyError(400, f"{where}: must be {2 * size} hex digits, not {len(value)}.")
    try:
        bytes.fromhex(value)
    except ValueError:
        raise BodyError(400, f"{where}: must be hex digits.") from None
    return value.lower()


def _status_code(value: int | str | None, where: str) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    # Enums are integers in OTLP/JSON; protobuf's names are accepted too.
    if value in STATUS_CODES:
        return STATUS_CODES[value]
    raise BodyError(400, f"{where}: {value[:32]!r} is not a status code.")

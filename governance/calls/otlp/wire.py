"""The OTLP/HTTP wire: the request body in, the answers out.

A body arrives as is or gzip-compressed (OTLP exporters compress by default);
the one body reader (governance.core.parsers.body_read) inflates it under a
hard cap, so a gzip bomb costs the cap and no more. A protobuf body's records are counted from the wire
format before the official messages are built, so a body of a million empty
records is refused for what it is before it is turned into a million objects.

Answers follow the OTLP/HTTP specification: an Export*ServiceResponse (with
partial_success when records were rejected) or a google.rpc.Status, encoded
like the request (protobuf or JSON).
"""

from __future__ import annotations

import json
from typing import Protocol

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsPartialSuccess,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTracePartialSuccess,
    ExportTraceServiceResponse,
)

from governance.core.parsers import BodyError

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
MEDIA_TYPES = {PROTOBUF: PROTOBUF, "application/protobuf": PROTOBUF, JSON: JSON}
LOGS = "logs"
TRACES = "traces"
# google.rpc.Code for each HTTP status an OTLP receiver answers with.
_RPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 413: 8, 415: 3, 429: 8, 503: 14}


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def media_type(content_type: str | None) -> str | None:
    """PROTOBUF or JSON for a Content-Type OTLP allows, None for any other."""
    return MEDIA_TYPES.get((content_type or "").split(";")[0].strip().lower())


# --- counting records on the wire ------------------------------------------------------------
#
# ExportLogsServiceRequest and ExportTraceServiceRequest have the same outline:
# field 1 repeats Resource{Logs,Spans}, whose field 2 repeats Scope{Logs,Spans},
# whose field 2 repeats the records (decoding.py checks these numbers against
# the official descriptors at import).
REQUEST_RESOURCES_FIELD = 1
RESOURCE_SCOPES_FIELD = 2
SCOPE_RECORDS_FIELD = 2
_LEN = 2


def count_records(body: bytes, *, limit: int, what: str) -> int:
    """How many records a protobuf export request holds, read from the wire
    without decoding them: 413 as soon as there are more than `limit`, 400 if
    the outline is not valid protobuf. Work is bounded by `limit` records, not
    by what the body claims."""
    count = 0
    for number, start, end in _fields(body, 0, len(body)):
        if number != REQUEST_RESOURCES_FIELD:
            continue
        for number2, start2, end2 in _fields(body, start, end):
            if number2 != RESOURCE_SCOPES_FIELD:
                continue
            for number3, _, _ in _fields(body, start2, end2):
                if number3 == SCOPE_RECORDS_FIELD:
                    count += 1
                    if count > limit:
                        raise BodyError(
                            413,
                            f"The export holds more than {limit} {what}; send smaller batches.",
                        )
    return count


def _fields(buf: bytes, pos: int, end: int):
    """(field number, start, end) of each length-delimited field in buf[pos:end]."""
    while pos < end:
        key, pos = _varint(buf, pos, end)
        number, wire_type = key >> 3, key & 7
        if number == 0:
            raise BodyError(400, "The body is not valid protobuf (field number 0).")
        if wire_type == 0:
            _, pos = _varint(buf, pos, end)
        elif wire_type == 1:
            pos += 8
        elif wire_type == _LEN:
            length, pos = _varint(buf, pos, end)
            if pos + length > end:
                raise BodyError(400, "The body is not valid protobuf: it is truncated.")
            yield number, pos, pos + length
            pos += length
        elif wire_type == 5:
            pos += 4
        else:
            raise BodyError(400, f"The body is not valid protobuf (wire type {wire_type}).")
        if pos > end:
            raise BodyError(400, "The body is not valid protobuf: it is truncated.")


def _varint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end:
            raise BodyError(400, "The body is not valid protobuf: it is truncated.")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise BodyError(400, "The body is not valid protobuf (a varint is too long).")


# --- answers ---------------------------------------------------------------------------------


def export_response(*, signal: str, rejected: int, message: str, media: str) -> bytes:
    """The Export{Logs,Trace}ServiceResponse body; partial_success only when
    something was rejected (the specification reserves it for that, or for
    warnings)."""
    if media == PROTOBUF:
        if signal == LOGS:
            logs = ExportLogsServiceResponse()
            if rejected:
                logs.partial_success.CopyFrom(
                    ExportLogsPartialSuccess(rejected_log_records=rejected, error_message=message)
                )
            return logs.SerializeToString()
        traces = ExportTraceServiceResponse()
        if rejected:
            traces.partial_success.CopyFrom(
                ExportTracePartialSuccess(rejected_spans=rejected, error_message=message)
            )
        return traces.SerializeToString()
    if not rejected:
        return b"{}"
    field = "rejectedLogRecords" if signal == LOGS else "rejectedSpans"
    # 64-bit integers are strings in OTLP/JSON.
    partial = {field: str(rejected), "errorMessage": message}
    return json.dumps({"partialSuccess": partial}).encode()


def status_body(*, status: int, message: str, media: str) -> bytes:
    """A google.rpc.Status: what OTLP/HTTP answers carry when they refuse."""
    code = _RPC_CODES.get(status, 2)  # 2 = UNKNOWN
    if media == PROTOBUF:
        # Two fields, written by hand so that the runtime needs no googleapis package.
        text = message.encode()
        return b"\x08" + _varint_bytes(code) + b"\x12" + _varint_bytes(len(text)) + text
    return json.dumps({"code": code, "message": message}).encode()


def _varint_bytes(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)

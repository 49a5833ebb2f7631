"""Reading export requests: OTLP/JSON by its own rules, protobuf with the
official messages, and the same records either way."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.calls.otlp.decoding import decode
from governance.calls.otlp.wire import JSON, LOGS, PROTOBUF, TRACES, count_records
from governance.core.parsers import BodyError
from tests.calls.otlp.builders import (
    codex_completion,
    genai_chat,
    log_record,
    logs_request,
    otlp_json,
    span,
    traces_request,
)

TRACE_HEX = "5B8EFFF798038103D269B633813FC60C"
SPAN_HEX = "EEE19B7EC3C1B174"


def _logs_json(record: dict) -> bytes:
    return json.dumps({"resourceLogs": [{"scopeLogs": [{"logRecords": [record]}]}]}).encode()


def test_otlp_json__spec_example_shapes__hex_ids_string_integers_and_unknown_fields():
    record = {
        "timeUnixNano": "1544712660300000000",
        "observedTimeUnixNano": 1544712660300000001,
        "severityNumber": 10,
        "traceId": TRACE_HEX,
        "spanId": SPAN_HEX,
        "body": {"stringValue": "Example log record"},
        "attributes": [
            {"key": "string.attribute", "value": {"stringValue": "some string"}},
            {"key": "int.attribute", "value": {"intValue": "10"}},
            {"key": "int.number", "value": {"intValue": 11}},
            {"key": "double.attribute", "value": {"doubleValue": 637.704}},
            {"key": "nan.attribute", "value": {"doubleValue": "NaN"}},
            {"key": "boolean.attribute", "value": {"boolValue": True}},
            {"key": "array.attribute", "value": {"arrayValue": {"values": [{"intValue": "1"}]}}},
            {"key": "map.attribute", "value": {"kvlistValue": {"values": []}}},
            {"key": "null.attribute", "value": None},
        ],
        "aFieldFromTheFuture": {"nested": [1, 2, 3]},
    }

    (decoded,) = decode(_logs_json(record), signal=LOGS, media=JSON, max_records=10)

    assert decoded.time_ns == 1544712660300000000
    assert (decoded.trace_id, decoded.span_id) == (TRACE_HEX.lower(), SPAN_HEX.lower())
    assert decoded.name == "Example log record"
    attributes = dict(decoded.attributes)
    nan = attributes.pop("nan.attribute")
    assert nan != nan
    assert attributes == {
        "string.attribute": "some string",
        "int.attribute": 10,
        "int.number": 11,
        "double.attribute": 637.704,
        "boolean.attribute": True,
    }


def test_otlp_json__span_status_as_integer_or_enum_name():
    spans = [
        {"traceId": TRACE_HEX, "spanId": SPAN_HEX, "name": "a", "status": {"code": 2}},
        {"name": "b", "status": {"code": "STATUS_CODE_ERROR", "message": "boom"}},
        {"name": "c", "startTimeUnixNano": "5", "endTimeUnixNano": "9"},
    ]
    body = json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}).encode()

    decoded = decode(body, signal=TRACES, media=JSON, max_records=10)

    assert [r.status_code for r in decoded] == [2, 2, 0]
    assert decoded[1].status_message == "boom"
    assert (decoded[2].time_ns, decoded[2].end_ns) == (5, 9)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("traceId", "abcd", "must be 32 hex digits, not 4"),
        ("spanId", "00f067aa0ba902b7ff", "must be 16 hex digits, not 18"),
        ("traceId", "z" * 32, "must be hex digits"),
        ("timeUnixNano", "soon", "is not an integer"),
        ("timeUnixNano", "-5", "unsigned 64-bit"),
    ],
)
def test_otlp_json__malformed_field__400_naming_where(field, value, message):
    with pytest.raises(BodyError) as refused:
        decode(_logs_json({field: value}), signal=LOGS, media=JSON, max_records=10)

    assert refused.value.status == 400
    assert f"resourceLogs[0].scopeLogs[0].logRecords[0].{field}" in refused.value.message
    assert message in refused.value.message


@pytest.mark.parametrize(("size", "name"), [(5, "traceId"), (9, "spanId")])
def test_protobuf__id_of_the_wrong_length__400_naming_where(size, name):
    bad = log_record(codex_completion())
    if name == "traceId":
        bad.trace_id = b"\x01" * size
    else:
        bad.span_id = b"\x01" * size
    body = logs_request([log_record(codex_completion()), bad]).SerializeToString()

    with pytest.raises(BodyError) as refused:
        decode(body, signal=LOGS, media=PROTOBUF, max_records=10)

    assert refused.value.status == 400
    assert f"logRecords[1].{name}: must be" in refused.value.message


@pytest.mark.parametrize("signal", [LOGS, TRACES])
def test_protobuf_and_json__same_request__same_records(signal):
    if signal == LOGS:
        request = logs_request(
            [log_record(codex_completion()), log_record({"event.name": "codex.user_prompt"})]
        )
    else:
        request = traces_request([span(genai_chat()), span(genai_chat(), error=True)])

    from_protobuf = decode(
        request.SerializeToString(), signal=signal, media=PROTOBUF, max_records=9
    )
    from_json = decode(otlp_json(request), signal=signal, media=JSON, max_records=9)

    assert from_protobuf == from_json
    assert len(from_protobuf) == 2


@settings(max_examples=60, deadline=None)
@given(
    shape=st.lists(st.lists(st.integers(0, 6), max_size=4), max_size=4),
    signal=st.sampled_from([LOGS, TRACES]),
)
def test_count_records__any_request__what_the_official_decoder_counts(shape, signal):
    if signal == LOGS:
        request = logs_request([])
        del request.resource_logs[:]
        for scopes in shape:
            resource = request.resource_logs.add()
            resource.resource.attributes.add(key="k").value.string_value = "v"
            for n in scopes:
                resource.scope_logs.add().log_records.extend(
                    [log_record({"i": i}) for i in range(n)]
                )
    else:
        request = traces_request([])
        del request.resource_spans[:]
        for scopes in shape:
            resource = request.resource_spans.add()
            for n in scopes:
                resource.scope_spans.add().spans.extend([span({"i": i}) for i in range(n)])

    counted = count_records(request.SerializeToString(), limit=10_000, what="records")

    assert counted == sum(sum(scopes) for scopes in shape)

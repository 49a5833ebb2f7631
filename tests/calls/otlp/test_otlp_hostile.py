"""Hostile exports: each a 4xx naming the problem, never a 5xx; nothing stored
twice, and nothing lost that was valid (a good export after a bad one is stored)."""

from __future__ import annotations

import gzip
import io
import json
import tracemalloc
import zlib

import pytest

from governance.calls.models import Call
from governance.core.parsers import BodyError, body_read
from tests.calls.otlp.builders import (
    JSON,
    PROTOBUF,
    codex_completion,
    log_record,
    logs_request,
    post,
    span,
    traces_request,
)

pytestmark = pytest.mark.django_db

LOGS = "/otlp/v1/logs"


def _gzip_bomb(inflated: int) -> bytes:
    """`inflated` zero bytes, gzip-compressed a megabyte at a time (about 1000:1)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(1024 * 1024)
    out = [compressor.compress(chunk) for _ in range(inflated // len(chunk))]
    out.append(compressor.flush())
    return b"".join(out)


def _good_export_then_count(client) -> int:
    response = post(client, LOGS, logs_request([log_record(codex_completion())]))
    assert response.status_code == 200
    return Call.objects.count()


def test_otlp__truncated_protobuf__400_and_nothing_stored(key_client):
    body = logs_request([log_record(codex_completion())] * 3).SerializeToString()

    response = key_client.generic("POST", LOGS, body[:-7], content_type=PROTOBUF)

    assert response.status_code == 400
    assert Call.objects.count() == 0
    assert _good_export_then_count(key_client) == 1


@pytest.mark.parametrize(
    "body",
    [b"\xff" * 64, b"not protobuf at all", b"\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"],
)
def test_otlp__garbage_protobuf__400(key_client, body):
    response = key_client.generic("POST", LOGS, body, content_type=PROTOBUF)

    assert response.status_code == 400


def test_otlp__json_sent_as_protobuf__400_not_5xx(key_client):
    body = json.dumps({"resourceLogs": []}).encode()

    response = key_client.generic("POST", LOGS, body, content_type=PROTOBUF)

    assert response.status_code == 400


def test_otlp__protobuf_sent_as_json__400(key_client):
    body = logs_request([log_record(codex_completion())]).SerializeToString()

    response = key_client.generic("POST", LOGS, body, content_type=JSON)

    assert response.status_code == 400
    assert Call.objects.count() == 0


def test_otlp__wrong_content_type__415(key_client):
    body = logs_request([log_record(codex_completion())]).SerializeToString()

    response = key_client.generic("POST", LOGS, body, content_type="application/octet-stream")

    assert response.status_code == 415
    assert Call.objects.count() == 0


def test_otlp__gzip_bomb__413_and_nothing_stored(key_client, settings):
    settings.GOVERNOR_OTLP_MAX_BODY_BYTES = 4 * 1024 * 1024
    bomb = _gzip_bomb(64 * 1024 * 1024)

    response = key_client.generic(
        "POST", LOGS, bomb, content_type=PROTOBUF, HTTP_CONTENT_ENCODING="gzip"
    )

    assert response.status_code == 413
    assert Call.objects.count() == 0
    assert _good_export_then_count(key_client) == 1


def test_inflate__gzip_bomb__stops_at_the_cap_without_inflating_the_rest():
    limit = 2 * 1024 * 1024
    bomb = _gzip_bomb(64 * 1024 * 1024)
    tracemalloc.start()
    try:
        with pytest.raises(BodyError) as refused:
            body_read(
                {"HTTP_CONTENT_ENCODING": "gzip"}, io.BytesIO(bomb), limit=limit, inflate=True
            )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert refused.value.status == 413
    # The bomb is 64 MiB inflated; what was held is the cap and a read buffer.
    assert peak < 4 * limit


@pytest.mark.parametrize(
    "body",
    [b"", b"\x1f\x8b\x08\x00", gzip.compress(b"x" * 1000)[:-12]],
    ids=["empty", "header", "cut"],
)
def test_otlp__truncated_gzip__400(key_client, body):
    response = key_client.generic(
        "POST", LOGS, body, content_type=PROTOBUF, HTTP_CONTENT_ENCODING="gzip"
    )

    assert response.status_code == 400


def test_otlp__deeply_nested_attribute_value_protobuf__400(key_client):
    # AnyValue.kvlist_value (6) > KeyValueList.values (1) > KeyValue.value (2), 200 deep,
    # written by hand: the official messages refuse to build it.
    value = b"\x0a\x06bottom"
    for _ in range(200):
        pair = b"\x0a\x01k\x12" + _varint(len(value)) + value
        kvlist = b"\x0a" + _varint(len(pair)) + pair
        value = b"\x32" + _varint(len(kvlist)) + kvlist
    pair = b"\x0a\x04deep\x12" + _varint(len(value)) + value
    record = (
        log_record(codex_completion()).SerializeToString() + b"\x32" + _varint(len(pair)) + pair
    )
    scope = b"\x12" + _varint(len(record)) + record
    resource = b"\x12" + _varint(len(scope)) + scope
    body = b"\x0a" + _varint(len(resource)) + resource

    response = key_client.generic("POST", LOGS, body, content_type=PROTOBUF)

    assert response.status_code == 400
    assert Call.objects.count() == 0


def test_otlp__deeply_nested_attribute_value_json__400(key_client):
    deep = '{"kvlistValue":{"values":[{"key":"k","value":' * 5000 + "{}" + "}]}}" * 5000
    body = (
        '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[{"key":"deep","value":'
        + deep
        + "}]}]}]}]}"
    ).encode()

    response = key_client.generic("POST", LOGS, body, content_type=JSON)

    assert response.status_code == 400
    assert "nested too deeply" in json.loads(response.content)["message"]


def test_otlp__attribute_value_beyond_the_body_limit__413(key_client, settings):
    settings.GOVERNOR_OTLP_MAX_BODY_BYTES = 1024 * 1024
    request = logs_request([log_record(codex_completion(**{"huge": "x" * 2 * 1024 * 1024}))])

    response = post(key_client, LOGS, request, compress=True)

    assert response.status_code == 413
    assert Call.objects.count() == 0


def test_otlp__huge_values_within_the_limit__that_call_rejected_its_neighbour_stored(key_client):
    huge_model = log_record(codex_completion(conversation="a", model="m" * 500_000))
    huge_other = log_record(codex_completion(conversation="b", **{"terminal.type": "t" * 500_000}))

    response = post(key_client, LOGS, logs_request([huge_model, huge_other]), compress=True)

    assert response.status_code == 200
    stored = Call.objects.get()
    assert stored.call_id.startswith("codex:b:")
    assert len(json.dumps(stored.metadata)) < 4096


def test_otlp__too_many_attributes_on_one_record__that_record_rejected(key_client):
    crowded = log_record(codex_completion(conversation="crowded"))
    crowded.attributes.extend(log_record({f"a{i}": i for i in range(5000)}).attributes)

    response = post(key_client, LOGS, logs_request([crowded, log_record(codex_completion())]))

    assert response.status_code == 200
    assert Call.objects.count() == 1


@pytest.mark.parametrize("media", [PROTOBUF, JSON])
def test_otlp__a_million_empty_records__413_before_decoding_them(key_client, media):
    if media == PROTOBUF:
        # ScopeLogs.log_records (field 2) of zero length, a million times.
        scope = b"\x12\x00" * 1_000_000
        resource = b"\x12" + _varint(len(scope)) + scope
        body = b"\x0a" + _varint(len(resource)) + resource
    else:
        records = b",".join([b"{}"] * 1_000_000)
        body = b'{"resourceLogs":[{"scopeLogs":[{"logRecords":[' + records + b"]}]}]}"

    response = key_client.generic("POST", LOGS, body, content_type=media)

    assert response.status_code == 413
    assert "10000" in response.content.decode(errors="replace")
    assert Call.objects.count() == 0


def test_otlp__records_over_the_limit__413_and_under_it__stored(key_client, settings):
    settings.GOVERNOR_OTLP_MAX_RECORDS = 5
    records = [log_record(codex_completion(conversation=f"c{i}")) for i in range(6)]

    over = post(key_client, LOGS, logs_request(records))
    under = post(key_client, LOGS, logs_request(records[:5]))

    assert (over.status_code, under.status_code) == (413, 200)
    assert Call.objects.count() == 5


@pytest.mark.parametrize("media", [PROTOBUF, JSON])
def test_otlp__span_id_of_the_wrong_length__400_and_the_valid_spans_beside_it_are_not_half_stored(
    key_client, media
):
    good = span({"gen_ai.request.model": "gpt-5-codex", "gen_ai.usage.input_tokens": 10})
    bad = span({"gen_ai.request.model": "gpt-5-codex", "gen_ai.usage.input_tokens": 10})
    bad.span_id = b"\x01\x02\x03"

    response = post(key_client, "/otlp/v1/traces", traces_request([good, bad]), media=media)
    retried = post(key_client, "/otlp/v1/traces", traces_request([good]), media=media)

    assert response.status_code == 400
    assert retried.status_code == 200
    assert Call.objects.count() == 1


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)

"""Hostile bodies get a 4xx naming the problem, never a 500, and nothing is stored."""

import gzip
import io
import json

import pytest
from rest_framework.exceptions import ParseError

from governance.calls.models import Call
from governance.core.parsers import StrictJSONParser
from tests.calls.factories import call_record

pytestmark = pytest.mark.django_db


def _post(client, body: bytes, content_type="application/json", **headers):
    return client.generic("POST", "/api/v1/calls", body, content_type=content_type, **headers)


def test_ingest__body_over_the_limit__413_before_reading_it(key_client, settings):
    settings.GOVERNOR_MAX_BODY_BYTES = 2048
    body = json.dumps({"calls": [call_record(prompt="x" * 4000)]}).encode()

    response = _post(key_client, body)

    assert response.status_code == 413
    assert "2048" in response.json()["detail"]
    assert response["X-Max-Body-Bytes"] == "2048"
    assert Call.objects.count() == 0


def test_any_endpoint__content_length_over_the_limit__413_even_before_routing(api_client, settings):
    settings.GOVERNOR_MAX_BODY_BYTES = 1024

    response = api_client.generic("POST", "/no/such/page", b"x" * 2000, content_type="text/plain")

    assert response.status_code == 413


def test_ingest__gzip_bomb__415_without_decompressing(key_client):
    bomb = gzip.compress(b"{" + b" " * 20_000_000 + b"}")
    assert len(bomb) < 50_000

    response = _post(key_client, bomb, HTTP_CONTENT_ENCODING="gzip")

    assert response.status_code == 415
    assert response.json()["field"] == "Content-Encoding"
    assert Call.objects.count() == 0


@pytest.mark.parametrize("encoding", ["deflate", "br", "gzip, identity", "x-anything"])
def test_any_endpoint__compressed_body__415_names_the_header(api_client, encoding):
    response = api_client.generic(
        "POST",
        "/api/v1/calls",
        b"\x1f\x8b",
        content_type="application/json",
        HTTP_CONTENT_ENCODING=encoding,
    )

    assert response.status_code == 415
    assert "Content-Encoding" in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"calls": ' + b"[" * 200_000 + b"]" * 200_000 + b"}",
        b'{"calls": [' + b'{"a":' * 50_000 + b"1" + b"}" * 50_000 + b"]}",
    ],
    ids=["deep-envelope", "deep-record"],
)
def test_ingest__deeply_nested_json__400_and_nothing_stored(key_client, body):
    response = _post(key_client, body)

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]
    assert Call.objects.count() == 0


def test_ingest__deeply_nested_ndjson_line__that_record_is_rejected_alone(key_client):
    good = json.dumps(call_record()).encode()
    deep = b'{"a":' * 50_000 + b"1" + b"}" * 50_000

    response = _post(key_client, good + b"\n" + deep, content_type="application/x-ndjson")

    assert response.status_code == 207
    assert response.json()["accepted"] == 1
    assert [r["index"] for r in response.json()["rejected"]] == [1]


def test_ingest__invalid_utf8_body__400_names_the_byte(key_client):
    response = _post(key_client, b"\xff\xfe" + json.dumps({"calls": [call_record()]}).encode())

    assert response.status_code == 400
    assert Call.objects.count() == 0


def test_ingest__invalid_utf8_inside_a_record__that_record_is_rejected_as_not_utf8(key_client):
    good = json.dumps(call_record()).encode()
    bad = (
        json.dumps(call_record(call_id="PLACEHOLDER"))
        .encode()
        .replace(b"PLACEHOLDER", b"bad\xff\xfeid")
    )

    response = _post(key_client, b'{"calls": [' + good + b"," + bad + b"]}")

    assert response.status_code == 207
    assert response.json()["accepted"] == 1
    rejected = response.json()["rejected"]
    assert rejected[0]["index"] == 1
    assert "UTF-8" in json.dumps(rejected[0]["errors"])


def test_ingest__nan_cost__400_not_stored(key_client):
    body = (
        json.dumps({"calls": [call_record()]})
        .replace('"retries": 0', '"retries": 0, "reported_cost_usd": NaN')
        .encode()
    )

    response = _post(key_client, body)

    assert response.status_code == 400
    assert Call.objects.count() == 0


def test_ingest__malformed_content_length__400(key_client):
    response = key_client.generic(
        "POST", "/api/v1/calls", b"{}", content_type="application/json", CONTENT_LENGTH="abc"
    )

    assert response.status_code == 400
    assert response.json()["field"] == "Content-Length"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[" * 40 + b"]" * 40, "nested too deeply: at most 32 levels"),
        (b"[" * 100_000 + b"]" * 100_000, "too deep"),
        (b'{"a": "\xff"}', "UTF-8"),
        (b'{"a": NaN}', "NaN"),
    ],
    ids=["over-depth-limit", "recursion", "invalid-utf8", "nan"],
)
def test_json_parser__hostile_document__parse_error_for_a_400(body, message):
    with pytest.raises(ParseError) as raised:
        StrictJSONParser().parse(io.BytesIO(body), "application/json", {})

    assert message in str(raised.value.detail)


def test_json_parser__ordinary_document__parsed():
    assert StrictJSONParser().parse(
        io.BytesIO(b'{"a": [1, {"b": "\xc3\xa9"}]}'), "application/json", {}
    ) == {"a": [1, {"b": "é"}]}


def _raw_record(fragment: str) -> bytes:
    """A valid record with one field replaced by raw JSON text `"field": value`."""
    record = call_record()
    field_name = fragment.split(":", 1)[0].strip().strip('"')
    record.pop(field_name, None)
    return (json.dumps(record)[:-1] + ", " + fragment + "}").encode()


@pytest.mark.parametrize(
    ("fragment", "field_name"),
    [
        ('"call_id": "a\\u0000b"', "call_id"),
        ('"model": "gpt\\u0000"', "model"),
        ('"metadata": {"\\u0000": 1}', "metadata"),
        ('"metadata": {"a": ["ok", "\\u0000"]}', "metadata"),
        ('"timestamp": "0001-01-01T00:30:00+01:00"', "timestamp"),
    ],
    ids=["nul-call-id", "nul-model", "nul-metadata-key", "nul-metadata-value", "year-1"],
)
def test_ingest__text_the_database_cannot_hold__that_record_rejected_naming_the_field(
    key_client, fragment, field_name
):
    good = json.dumps(call_record()).encode()

    response = _post(key_client, b'{"calls": [' + good + b", " + _raw_record(fragment) + b"]}")

    assert response.status_code == 207
    assert response.json()["accepted"] == 1
    [rejected] = response.json()["rejected"]
    assert rejected["index"] == 1
    assert field_name in rejected["errors"]


@pytest.mark.parametrize(
    "fragment", ['"provider": "\\ud9fd"', '"metadata": {"k": "\\udaf1"}'], ids=["field", "metadata"]
)
def test_ingest__unpaired_surrogate_escape__400_and_nothing_stored(key_client, fragment):
    response = _post(key_client, b'{"calls": [' + _raw_record(fragment) + b"]}")

    assert response.status_code == 400
    assert Call.objects.count() == 0


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<testsuite name="&lol3;" tests="1"><testcase name="a"/></testsuite>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<testsuite name="&xxe;" tests="1"><testcase name="a"/></testsuite>"""
NESTED_SUITES = (
    b"<testsuites>" + b"<testsuite>" * 50_000 + b"</testsuite>" * 50_000 + b"</testsuites>"
)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (BILLION_LAUGHS, "application/xml"),
        (EXTERNAL_ENTITY, "text/xml"),
        (NESTED_SUITES, "application/xml"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json"),
        (b'{"model": "\xff"}', "application/json"),
    ],
    ids=["billion-laughs", "external-entity", "nested-suites", "deep-json", "invalid-utf8"],
)
def test_test_runs__hostile_report__400_and_nothing_recorded(key_client, body, content_type):
    from governance.quality.models import SuiteRun

    response = key_client.generic(
        "POST",
        "/api/v1/test-runs?model=gpt-5-codex&run_id=hostile-1",
        body,
        content_type=content_type,
    )

    assert response.status_code == 400
    assert "passwd" not in response.content.decode()
    assert SuiteRun.objects.count() == 0

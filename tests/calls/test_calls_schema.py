"""The OpenAPI schema documents an ingested call record by the same msgspec
type that validates it: every field, with the limits that are enforced."""

from __future__ import annotations

import json

import pytest

from governance.calls.serializers import MAX_TOKENS, CallRecord
from tests.calls.factories import call_record, post_calls

pytestmark = pytest.mark.django_db


@pytest.fixture
def served_schema(api_client):
    return api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def test_schema__calls_ingest__json_batch_and_ndjson_record_documented(served_schema):
    body = served_schema["paths"]["/api/v1/calls"]["post"]["requestBody"]["content"]
    batch = served_schema["components"]["schemas"]["CallBatch"]

    assert body["application/json"]["schema"] == {"$ref": "#/components/schemas/CallBatch"}
    assert body["application/x-ndjson"]["schema"] == {"$ref": "#/components/schemas/CallRecord"}
    assert batch["properties"]["calls"]["items"] == {"$ref": "#/components/schemas/CallRecord"}
    assert batch["required"] == ["calls"]


def test_schema__call_record__every_field_with_the_limits_validation_enforces(served_schema):
    record = served_schema["components"]["schemas"]["CallRecord"]
    fields = record["properties"]

    assert set(fields) == set(CallRecord.__struct_fields__)
    assert record["required"] == ["call_id", "timestamp", "model"]
    assert (fields["call_id"]["minLength"], fields["call_id"]["maxLength"]) == (1, 128)
    assert fields["timestamp"]["format"] == "date-time"
    assert fields["input_tokens"]["maximum"] == MAX_TOKENS and fields["input_tokens"]["nullable"]
    assert sorted(fields["risk"]["enum"]) == ["critical", "high", "low", "medium"]
    assert fields["task_type"]["pattern"] == "^[a-z0-9][a-z0-9_\\-]*$"
    assert "Part of input_tokens" in fields["cached_input_tokens"]["description"]


def test_schema__documented_limit__is_the_one_enforced(key_client, served_schema):
    limit = served_schema["components"]["schemas"]["CallRecord"]["properties"]["call_id"]
    too_long = "x" * (limit["maxLength"] + 1)

    response = post_calls(key_client, [call_record(call_id=too_long)])

    assert response.status_code == 207
    assert "call_id" in json.dumps(response.json()["rejected"][0]["errors"])

"""POST /api/v1/calls: what a routing client sees when it sends its call logs."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from governance.calls.models import Call
from tests.calls.factories import call_record, post_calls

pytestmark = pytest.mark.django_db


def test_calls_ingest__valid_batch__200_and_every_call_stored_with_its_cost(key_client):
    records = [call_record() for _ in range(3)]

    response = post_calls(key_client, records)

    assert response.status_code == 200
    assert response.json() == {"accepted": 3, "duplicates": 0, "rejected": []}
    stored = Call.objects.filter(client=key_client.api_key.client)
    assert stored.count() == 3
    # gpt-5-codex: 800 uncached input at $1.25, 200 cached at $0.125, 500 output at $10 per MTok.
    assert set(stored.values_list("cost_usd", flat=True)) == {Decimal("0.006025")}


def test_calls_ingest__some_records_invalid__207_names_index_and_field_and_keeps_the_valid(
    key_client,
):
    records = [
        call_record(call_id="good-1"),
        call_record(call_id="bad", input_tokens=-5),
        call_record(call_id="good-2"),
    ]

    response = post_calls(key_client, records)

    assert response.status_code == 207
    body = response.json()
    assert body["accepted"] == 2
    assert body["rejected"] == [
        {"index": 1, "call_id": "bad", "errors": {"input_tokens": ["Expected `int` >= 0."]}}
    ]
    assert set(Call.objects.values_list("call_id", flat=True)) == {"good-1", "good-2"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"output_tokens": -1}, "output_tokens"),
        ({"cached_input_tokens": 2000, "input_tokens": 1000}, "cached_input_tokens"),
        ({"reasoning_tokens": 600, "output_tokens": 500}, "reasoning_tokens"),
        ({"risk": "extreme"}, "risk"),
        ({"status": "exploded"}, "status"),
        ({"environment": "mainframe"}, "environment"),
        ({"task_type": "Not A Slug"}, "task_type"),
        ({"call_id": "x" * 129}, "call_id"),
        ({"call_id": ""}, "call_id"),
        ({"input_tokens": "many"}, "input_tokens"),
        ({"input_tokens": True}, "input_tokens"),
        ({"timestamp": "yesterday"}, "timestamp"),
        ({"timestamp": "2026-01-01T12:00:00"}, "timestamp"),
        ({"metadata": {"blob": "x" * 5000}}, "metadata"),
        ({"metadata": ["not", "an", "object"]}, "metadata"),
        ({"reported_cost_usd": "-1"}, "reported_cost_usd"),
        ({"reported_cost_usd": "NaN"}, "reported_cost_usd"),
    ],
)
def test_calls_ingest__invalid_field__rejected_with_the_field_named(key_client, overrides, field):
    response = post_calls(key_client, [call_record(**overrides)])

    assert response.status_code == 207
    body = response.json()
    assert body["accepted"] == 0
    assert list(body["rejected"][0]["errors"]) == [field]
    assert Call.objects.count() == 0


def test_calls_ingest__missing_required_field__named(key_client):
    record = call_record()
    del record["model"]

    body = post_calls(key_client, [record]).json()

    assert body["rejected"][0]["errors"] == {"model": ["This field is required."]}


def test_calls_ingest__timestamp_more_than_5_minutes_ahead__rejected_but_4_minutes_accepted(
    key_client,
):
    now = timezone.now()
    records = [
        call_record(call_id="soon", ts=now + timedelta(minutes=4)),
        call_record(call_id="far", ts=now + timedelta(minutes=6)),
    ]

    body = post_calls(key_client, records).json()

    assert body["accepted"] == 1
    assert body["rejected"][0]["call_id"] == "far"
    assert "future" in body["rejected"][0]["errors"]["timestamp"][0]


def test_calls_ingest__record_not_an_object__rejected_alone(key_client):
    body = post_calls(key_client, [call_record(call_id="ok"), 42]).json()

    assert body["accepted"] == 1
    assert body["rejected"][0]["index"] == 1
    assert "record" in body["rejected"][0]["errors"]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "fragment"),
    [
        (b"{not json", "application/json", 400, "not valid JSON"),
        (b'{"records": []}', "application/json", 400, '{"calls": [...]}'),
        (b"[1, 2]", "application/json", 400, '{"calls": [...]}'),
        (b'{"calls": []}', "application/json", 400, "at least 1 record"),
        (b'{"calls": [1]}', "text/plain", 415, "Content-Type"),
        (b"\xff\xfe\xfa", "application/json", 400, "not valid JSON"),
    ],
)
def test_calls_ingest__unusable_body__4xx_says_why(
    key_client, body, content_type, status, fragment
):
    response = key_client.generic("POST", "/api/v1/calls", body, content_type=content_type)

    assert response.status_code == status
    assert fragment in response.json()["detail"]


def test_calls_ingest__more_than_5000_records__413(key_client):
    records = [{"call_id": f"c{i}"} for i in range(5001)]

    response = post_calls(key_client, records)

    assert response.status_code == 413
    assert "at most 5000" in response.json()["detail"]
    assert Call.objects.count() == 0


@override_settings(GOVERNOR_MAX_BODY_BYTES=2048)
def test_calls_ingest__body_over_the_byte_limit__413_before_parsing(key_client):
    records = [call_record() for _ in range(20)]

    response = post_calls(key_client, records)

    assert response.status_code == 413
    assert "2048" in response.json()["detail"]


def test_calls_ingest__compressed_body__415(key_client):
    response = key_client.generic(
        "POST",
        "/api/v1/calls",
        b"\x1f\x8b...",
        content_type="application/json",
        HTTP_CONTENT_ENCODING="gzip",
    )

    assert response.status_code == 415


def test_calls_ingest__ndjson__one_record_per_line(key_client):
    lines = (
        "\n".join(json.dumps(call_record(call_id=f"nd-{i}")) for i in range(3)) + "\n\n{broken\n"
    )

    response = key_client.generic(
        "POST", "/api/v1/calls", lines.encode(), content_type="application/x-ndjson"
    )

    assert response.status_code == 207
    assert response.json()["accepted"] == 3
    assert response.json()["rejected"][0]["index"] == 3


def test_calls_ingest__same_batch_sent_twice__stored_once_and_counted_as_duplicates(key_client):
    records = [call_record() for _ in range(4)]

    first = post_calls(key_client, records).json()
    second = post_calls(key_client, records).json()

    assert first == {"accepted": 4, "duplicates": 0, "rejected": []}
    assert second == {"accepted": 0, "duplicates": 4, "rejected": []}
    assert Call.objects.count() == 4


def test_calls_ingest__call_id_repeated_within_a_batch__first_one_kept(key_client):
    records = [
        call_record(call_id="dup", model="gpt-5-codex"),
        call_record(call_id="dup", model="gpt-5-codex-mini"),
    ]

    body = post_calls(key_client, records).json()

    assert body == {"accepted": 1, "duplicates": 1, "rejected": []}
    assert Call.objects.get().model == "gpt-5-codex"


def test_calls_ingest__same_call_id_from_two_clients__both_stored(api_client, issue_key):
    raw_a, _ = issue_key(scopes=["ingest"])
    raw_b, _ = issue_key(scopes=["ingest"])

    for raw in (raw_a, raw_b):
        post_calls(api_client, [call_record(call_id="shared")], HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert Call.objects.filter(call_id="shared").count() == 2


def test_calls_ingest__team_not_opted_in__prompt_and_response_not_stored(key_client):
    post_calls(key_client, [call_record(prompt="write a parser", response="def parse(): ...")])

    call = Call.objects.get()
    assert (call.prompt, call.response) == ("", "")


SECRETS = [
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "sk-proj-Q2x9abcdefghijklmnopqrstuvwxyz012345",
    "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789",
    "hunter2-very-secret",
    "xoxb-123456789012-1234567890123-abcdefghijklmnop",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "MIIEowIBAAKCAQEAq7BFUpkGp3+LQmlQ",
    "Sup3rS3cretPa55",
]


def test_calls_ingest__team_opted_in__texts_stored_without_any_secret(key_client):
    team = key_client.api_key.client.team
    team.store_prompts = True
    team.save()
    prompt = (
        f"Deploy with AWS key {SECRETS[0]} and token {SECRETS[1]}.\n"
        f"OPENAI_API_KEY={SECRETS[2]}\nANTHROPIC_API_KEY={SECRETS[3]}\n"
        f"DATABASE_URL=postgres://app:{SECRETS[4]}@db.internal:5432/app\n"
        f"slack: {SECRETS[5]}\nAuthorization: Bearer {SECRETS[6]}\n"
        f"-----BEGIN RSA PRIVATE KEY-----\n{SECRETS[7]}\nabc\n-----END RSA PRIVATE KEY-----\n"
        f'password = "{SECRETS[8]}"\nPlease refactor the payment retry loop.'
    )

    post_calls(key_client, [call_record(prompt=prompt, response=f"Done; I used {SECRETS[0]}.")])

    call = Call.objects.get()
    for secret in SECRETS:
        assert secret not in call.prompt
        assert secret not in call.response
    assert "Please refactor the payment retry loop." in call.prompt
    assert "[REDACTED]" in call.response

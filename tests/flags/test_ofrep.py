"""The OFREP contract, with hand-made requests (the SDK is in test_ofrep_sdk.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from governance.flags.services import flag_toggle
from tests.flags.factories import make_flag

pytestmark = pytest.mark.django_db

ONE = "/ofrep/v1/evaluate/flags/{}"
BULK = "/ofrep/v1/evaluate/flags"


def evaluate(client, key, context=None, **extra):
    return client.post(ONE.format(key), {"context": context or {}}, format="json", **extra)


def test_evaluate__static_flag__value_variant_reason_and_metadata(key_client):
    make_flag()
    response = evaluate(key_client, "mini-model-for-ci")
    assert response.status_code == 200
    body = response.json()
    assert body["key"] == "mini-model-for-ci"
    assert (body["value"], body["variant"], body["reason"]) == (True, "on", "STATIC")
    assert isinstance(body["metadata"], dict)


def test_evaluate__flag_switched_off__disabled_with_off_variant(key_client):
    flag = make_flag()
    flag_toggle(flag=flag, enabled=False, actor="system:tests", reason="kill")
    body = evaluate(key_client, "mini-model-for-ci").json()
    assert (body["value"], body["variant"], body["reason"]) == (False, "off", "DISABLED")


def test_evaluate__rule_on_the_keys_team__targeting_match(key_client):
    team = key_client.api_key.client.team.slug
    make_flag(
        default_variant="off",
        rules=[
            {
                "conditions": [{"attribute": "team", "operator": "in", "value": [team]}],
                "variant": "on",
            }
        ],
    )
    # The key's own team wins over whatever team the context claims.
    body = evaluate(key_client, "mini-model-for-ci", {"team": "someone-else"}).json()
    assert (body["value"], body["reason"]) == (True, "TARGETING_MATCH")


def test_evaluate__float_variant__sent_as_a_float(key_client):
    make_flag(
        key="ratio",
        flag_type="number",
        variants={"one": 1.0},
        default_variant="one",
        off_variant=None,
    )
    response = evaluate(key_client, "ratio")
    assert b'"value":1.0' in response.content


def test_evaluate__unknown_flag__404_flag_not_found(key_client):
    response = evaluate(key_client, "nope")
    assert response.status_code == 404
    assert response.json() == {
        "key": "nope",
        "errorCode": "FLAG_NOT_FOUND",
        "errorDetails": "No flag has the key 'nope'.",
    }


def test_evaluate__split_without_targeting_key__400_targeting_key_missing(key_client):
    make_flag(rollout=[{"variant": "on", "weight": 10}, {"variant": "off", "weight": 90}])
    response = evaluate(key_client, "mini-model-for-ci", {"environment": "ci"})
    assert response.status_code == 400
    assert response.json()["errorCode"] == "TARGETING_KEY_MISSING"
    assert response.json()["key"] == "mini-model-for-ci"


def test_evaluate__body_not_json__400_parse_error(key_client):
    make_flag()
    response = key_client.post(
        ONE.format("mini-model-for-ci"), "{nope", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errorCode"] == "PARSE_ERROR"


def test_evaluate__context_not_an_object__400_invalid_context(key_client):
    make_flag()
    response = key_client.post(ONE.format("mini-model-for-ci"), {"context": [1, 2]}, format="json")
    assert response.status_code == 400
    assert response.json()["errorCode"] == "INVALID_CONTEXT"


def test_evaluate__no_key__401(api_client):
    make_flag()
    assert evaluate(api_client, "mini-model-for-ci").status_code == 401


def test_evaluate__bad_key__401(api_client):
    make_flag()
    api_client.credentials(HTTP_AUTHORIZATION="Bearer gov_not_a_real_key")
    assert evaluate(api_client, "mini-model-for-ci").status_code == 401


def test_evaluate__key_without_policy_read_scope__403(api_client, issue_key):
    make_flag()
    raw, _ = issue_key(scopes=("ingest",))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert evaluate(api_client, "mini-model-for-ci").status_code == 403


def test_evaluate__x_api_key_header__accepted(api_client, issue_key):
    make_flag()
    raw, _ = issue_key(scopes=("policy:read",))
    assert evaluate(api_client, "mini-model-for-ci", HTTP_X_API_KEY=raw).status_code == 200


def test_evaluate__over_the_rate__429_with_integer_retry_after(key_client, settings):
    settings.GOVERNOR_OFREP_RATE = "2/min"
    make_flag()
    # The limit counts per fixed minute: hold the clock so that all three
    # requests fall in the same window (a minute boundary would reset it).
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, 30, tzinfo=UTC), tick=False):
        assert [evaluate(key_client, "mini-model-for-ci").status_code for _ in range(2)] == [
            200,
            200,
        ]
        limited = evaluate(key_client, "mini-model-for-ci")
    assert limited.status_code == 429
    assert limited["Retry-After"].isdigit() and int(limited["Retry-After"]) >= 1


def test_bulk__every_flag__listed_with_a_strong_etag(key_client):
    make_flag()
    make_flag(
        key="pilot", rollout=[{"variant": "on", "weight": 10}, {"variant": "off", "weight": 90}]
    )
    response = key_client.post(BULK, {"context": {"targetingKey": "pipeline-1"}}, format="json")
    assert response.status_code == 200
    flags = {f["key"]: f for f in response.json()["flags"]}
    assert flags["mini-model-for-ci"]["reason"] == "STATIC"
    assert flags["pilot"]["reason"] == "SPLIT"
    assert response["ETag"].startswith('"') and not response["ETag"].startswith("W/")


def test_bulk__per_flag_error__reported_in_the_list(key_client):
    make_flag(
        key="pilot", rollout=[{"variant": "on", "weight": 10}, {"variant": "off", "weight": 90}]
    )
    flags = key_client.post(BULK, {"context": {}}, format="json").json()["flags"]
    assert flags == [
        {
            "key": "pilot",
            "errorCode": "TARGETING_KEY_MISSING",
            "errorDetails": flags[0]["errorDetails"],
        }
    ]


def test_bulk__if_none_match_unchanged__304_without_body(key_client):
    make_flag()
    first = key_client.post(BULK, {"context": {}}, format="json")
    again = key_client.post(BULK, {"context": {}}, format="json", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]


def test_bulk__flag_changed_since_etag__200_with_new_etag(key_client):
    flag = make_flag()
    first = key_client.post(BULK, {"context": {}}, format="json")
    flag_toggle(flag=flag, enabled=False, actor="system:tests", reason="kill")
    again = key_client.post(BULK, {"context": {}}, format="json", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]
    assert again.json()["flags"][0]["reason"] == "DISABLED"


def test_bulk__body_not_json__400_parse_error(key_client):
    response = key_client.post(BULK, "nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errorCode"] == "PARSE_ERROR"


def test_evaluate__flag_evaluated__no_longer_counts_as_unused(key_client):
    flag = make_flag(key="fresh-flag")
    evaluate(key_client, "fresh-flag")
    flag.refresh_from_db()
    assert flag.last_evaluated_at is not None


def test_bulk__warm_snapshot__two_queries_whatever_the_number_of_flags(
    key_client, django_assert_num_queries
):
    for n in range(10):
        make_flag(key=f"flag-{n}")
    key_client.post(
        BULK, {"context": {}}, format="json"
    )  # warms the snapshot, marks flags evaluated
    # The API key (with its client and team), then the flags version row.
    with django_assert_num_queries(2):
        response = key_client.post(BULK, {"context": {}}, format="json")
    assert len(response.json()["flags"]) == 10

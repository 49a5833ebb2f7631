"""OFREP against a live server, read by the real OpenFeature SDK and its OFREP
provider from PyPI: no Governor-specific client code."""

from __future__ import annotations

import pytest
from openfeature import api
from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import Reason

from tests.flags.factories import make_flag

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def openfeature_client(live_server, issue_key):
    def _client(*, scopes=("policy:read",), header="Authorization"):
        raw, key = issue_key(scopes=scopes)
        value = f"Bearer {raw}" if header == "Authorization" else raw
        provider = OFREPProvider(
            live_server.url, headers_factory=lambda: {header: value}, timeout=10
        )
        api.set_provider(provider)
        client = api.get_client()
        client.api_key = key
        client.ofrep_provider = provider
        return client

    yield _client
    api.clear_providers()


def test_sdk__boolean_flag__resolved_with_variant_and_reason(openfeature_client):
    make_flag()
    client = openfeature_client()
    details = client.get_boolean_details("mini-model-for-ci", False)
    assert (details.value, details.variant, details.reason) == (True, "on", Reason.STATIC)
    assert details.error_code is None


def test_sdk__ten_percent_pilot__sticky_split_per_pipeline(openfeature_client):
    make_flag(
        key="ci-pilot", rollout=[{"variant": "on", "weight": 10}, {"variant": "off", "weight": 90}]
    )
    client = openfeature_client(header="X-API-Key")
    context = EvaluationContext(targeting_key="pipeline-7")
    first = client.get_boolean_details("ci-pilot", False, context)
    assert first.reason == Reason.SPLIT
    assert client.get_boolean_value("ci-pilot", not first.value, context) is first.value


def test_sdk__targeting_rule_on_context__targeting_match(openfeature_client):
    make_flag(
        key="model-for-task",
        flag_type="string",
        variants={"full": "gpt-5-codex", "mini": "gpt-5-codex-mini"},
        default_variant="full",
        off_variant=None,
        rules=[
            {
                "conditions": [
                    {"attribute": "task_type", "operator": "equals", "value": "boilerplate"}
                ],
                "variant": "mini",
            }
        ],
    )
    client = openfeature_client()
    details = client.get_string_details(
        "model-for-task", "x", EvaluationContext(attributes={"task_type": "boilerplate"})
    )
    assert (details.value, details.reason) == ("gpt-5-codex-mini", Reason.TARGETING_MATCH)


def test_sdk__number_flag__read_as_float(openfeature_client):
    make_flag(
        key="mini-share",
        flag_type="number",
        variants={"most": 0.75, "all": 1.0},
        default_variant="all",
        off_variant=None,
    )
    assert openfeature_client().get_float_value("mini-share", 0.0) == 1.0


def test_sdk__unknown_flag__default_value_with_flag_not_found(openfeature_client):
    details = openfeature_client().get_boolean_details("does-not-exist", True)
    assert (details.value, details.error_code) == (True, ErrorCode.FLAG_NOT_FOUND)


def test_sdk__split_without_targeting_key__targeting_key_missing(openfeature_client):
    make_flag(
        key="ci-pilot", rollout=[{"variant": "on", "weight": 10}, {"variant": "off", "weight": 90}]
    )
    details = openfeature_client().get_boolean_details("ci-pilot", False)
    assert details.error_code == ErrorCode.TARGETING_KEY_MISSING


def test_sdk__key_without_scope__falls_back_to_default(openfeature_client):
    make_flag()
    details = openfeature_client(scopes=("ingest",)).get_boolean_details("mini-model-for-ci", False)
    assert details.value is False
    assert details.error_code == ErrorCode.GENERAL


def test_sdk__rate_limited__provider_backs_off_by_retry_after(openfeature_client, settings):
    settings.GOVERNOR_OFREP_RATE = "1/hour"
    make_flag()
    client = openfeature_client()
    assert client.get_boolean_value("mini-model-for-ci", False) is True
    limited = client.get_boolean_details("mini-model-for-ci", False)
    assert (limited.value, limited.error_code) == (False, ErrorCode.GENERAL)
    assert client.ofrep_provider.retry_after is not None  # parsed from the integer Retry-After

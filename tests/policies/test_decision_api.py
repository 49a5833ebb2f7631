"""POST /api/v1/decide and GET /api/v1/policy."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from governance.budgets.services import budgets_evaluate
from governance.core.freshness import canonical_json, etag_for, generation_new
from governance.engine.context import Context
from governance.engine.default_policy import FULL_MODEL, MINI_MODEL
from governance.policies.models import PolicySnapshot
from governance.policies.selectors import (
    decision_rule,
    policy_decide,
    policy_view_for,
    snapshot_body_build,
)
from governance.policies.services import policy_publish
from governance.policies.snapshots import memory_reset
from tests.accounts.factories import ClientFactory, TeamFactory
from tests.budgets.helpers import dollar_model, make_budget, spend

# Spend recorded "30 minutes ago" must fall in the current monthly budget period.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mid_month")]


def decide(client, **body):
    return client.post("/api/v1/decide", body, format="json")


def test_decide__low_risk_completion__mini_model_with_the_full_shape(policy_client, published):
    response = decide(
        policy_client, task_type="completion", risk="low", environment="ide", targeting_key="dev-42"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["model"] == MINI_MODEL
    assert body["escalate_to"] == FULL_MODEL
    assert body["rule"] == "low-risk-volume-on-mini"
    assert body["policy_version"] == 1
    assert set(body) >= {
        "fallbacks",
        "timeout_ms",
        "retry",
        "circuit_breaker",
        "reason",
        "decision_id",
    }
    assert body["retry"]["max_attempts"] >= 1 and "retry_on" in body["retry"]
    assert decision_rule(decision_id=body["decision_id"]) == (1, "low-risk-volume-on-mini")


def test_decide__team_over_its_threshold__non_critical_work_falls_back_with_the_reason(
    policy_client, payments_client, published
):
    dollar_model()
    make_budget(team=payments_client.team, limit="100")
    spend(payments_client, at=timezone.now() - timedelta(minutes=30), usd="93")
    budgets_evaluate(team_ids=[payments_client.team.pk])

    body = decide(policy_client, task_type="refactor", risk="high").json()
    critical = decide(policy_client, task_type="refactor", risk="critical").json()

    assert body["model"] == MINI_MODEL
    assert (
        body["reason"]
        == "budget of team payments at 93 %, over the 90 % threshold: non-critical work goes to gpt-5-codex-mini"
    )
    assert critical["model"] == FULL_MODEL


def test_decide__another_teams_budget__does_not_affect_this_team(policy_client, published):
    dollar_model()
    search = ClientFactory(team=TeamFactory(slug="search"))
    make_budget(team=search.team, limit="10")
    spend(search, at=timezone.now() - timedelta(minutes=30), usd="9.5")
    budgets_evaluate()

    assert decide(policy_client, task_type="refactor", risk="high").json()["model"] == FULL_MODEL


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"risk": "extreme"}, "risk"),
        ({"environment": "moon"}, "environment"),
        ({"task_type": 7}, "task_type"),
        ({"attributes": ["x"]}, "attributes"),
        ({"attributes": {"nested": {"a": 1}}}, "attributes"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_decide__bad_field__400_naming_it(policy_client, published, body, field):
    response = decide(policy_client, **body)

    assert response.status_code == 400
    assert field in response.json()


def test_decide__body_not_json__400(policy_client, published):
    response = policy_client.post("/api/v1/decide", "{nope", content_type="application/json")

    assert response.status_code == 400


def test_decide__key_without_policy_scope__403(api_client, issue_key, published):
    raw, _ = issue_key(scopes=("ingest",))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert decide(api_client, risk="low").status_code == 403


def test_decide__nothing_published__built_in_default_policy(policy_client, catalog):
    body = decide(policy_client, task_type="boilerplate", risk="low").json()

    assert body["model"] == MINI_MODEL and body["policy_version"] == 0


def test_policy_decide__no_snapshot_stored_yet__decides_from_current_inputs_and_stores_nothing(
    payments_client, catalog
):
    decision = policy_decide(
        client=payments_client, context=Context(task_type="boilerplate", risk="low")
    )

    assert (decision.model, decision.policy_version) == (MINI_MODEL, 0)
    assert not PolicySnapshot.objects.exists()


def test_policy__first_fetch__whole_snapshot_with_a_strong_etag(policy_client, published):
    response = policy_client.get("/api/v1/policy")

    assert response.status_code == 200
    etag = response["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    body = response.json()
    assert body["policy_version"] == 1
    assert body["team"] == "payments" and body["client"] == "ci-runner"
    assert [r["name"] for r in body["policy"]["rules"]][0] == "reserve-for-critical"
    assert body["models"][FULL_MODEL]["health"] == "healthy"
    assert {"flags", "budgets"} <= set(body)


def test_policy__same_etag__304_without_a_body(policy_client, published):
    etag = policy_client.get("/api/v1/policy")["ETag"]

    response = policy_client.get("/api/v1/policy", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


def test_policy__new_version_published__etag_changes(
    policy_client, published, django_capture_on_commit_callbacks
):
    etag = policy_client.get("/api/v1/policy")["ETag"]
    document = {
        **published.document,
        "defaults": {**published.document["defaults"], "timeout_ms": 90000},
    }

    with django_capture_on_commit_callbacks(execute=True):
        policy_publish(document=document, note="shorter timeout")
    response = policy_client.get("/api/v1/policy", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response["ETag"] != etag
    assert response.json()["policy_version"] == 2


def test_policy__budget_state_changes__etag_changes(
    policy_client, payments_client, published, django_capture_on_commit_callbacks
):
    dollar_model()
    make_budget(team=payments_client.team, limit="100")
    etag = policy_client.get("/api/v1/policy")["ETag"]

    with django_capture_on_commit_callbacks(execute=True):
        spend(payments_client, at=timezone.now() - timedelta(minutes=30), usd="91")
    response = policy_client.get("/api/v1/policy", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response.json()["budgets"]["payments"]["state"] == "fallback"
    assert Decimal(response.json()["budgets"]["payments"]["percent"]) == Decimal("91")


def test_policy__another_teams_budget__not_in_this_keys_snapshot(policy_client, published):
    make_budget(team=TeamFactory(slug="search"), limit="10")
    budgets_evaluate()

    assert "search" not in policy_client.get("/api/v1/policy").json()["budgets"]


def test_policy__unchanged_rebuild__keeps_the_etag(policy_client, published):
    from governance.policies.services import policy_snapshot_rebuild

    etag = policy_client.get("/api/v1/policy")["ETag"]
    policy_snapshot_rebuild()

    assert policy_client.get("/api/v1/policy", HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_decide__served_from_memory__no_query_touches_calls_or_budgets(
    policy_client, published, django_assert_max_num_queries
):
    decide(policy_client, risk="low")  # warm the in-process snapshot

    # The API key lookup (one query, with its client and team) is all that remains.
    with django_assert_max_num_queries(1):
        assert decide(policy_client, risk="low").status_code == 200


def test_decide__mini_flows_flag_switched_off__low_risk_volume_stays_on_full(
    policy_client, published, django_capture_on_commit_callbacks
):
    from governance.flags.services import flag_toggle
    from tests.flags.factories import make_flag

    with django_capture_on_commit_callbacks(execute=True):
        flag = make_flag(key="mini-model-flows")
    assert decide(policy_client, task_type="completion", risk="low").json()["model"] == MINI_MODEL
    etag = policy_client.get("/api/v1/policy")["ETag"]

    with django_capture_on_commit_callbacks(execute=True):
        flag_toggle(flag=flag, enabled=False, actor="system:tests", reason="heavy traffic over")
    body = decide(policy_client, task_type="completion", risk="low").json()

    assert (body["model"], body["rule"]) == (FULL_MODEL, "mini-flows-switched-off")
    assert policy_client.get("/api/v1/policy", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_decide__cached_key_expires__refused_at_once(api_client, issue_key, published):
    raw, key = issue_key(scopes=("policy:read",), expires_at=timezone.now() + timedelta(seconds=1))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert decide(api_client, risk="low").status_code == 200

    import time_machine

    with time_machine.travel(timezone.now() + timedelta(seconds=2)):
        assert decide(api_client, risk="low").status_code == 401


def test_decision_ids__two_decisions__unique_and_traceable_to_their_rule(policy_client, published):
    first = decide(policy_client, risk="critical").json()["decision_id"]
    second = decide(policy_client, risk="critical").json()["decision_id"]
    default = decide(policy_client, task_type="design", risk="low").json()["decision_id"]

    assert first != second
    assert decision_rule(decision_id=first) == (1, "critical-on-full")
    assert decision_rule(decision_id=default) == (1, None)
    assert decision_rule(decision_id="not-a-decision") is None
    assert decision_rule(decision_id="99.1.abc") is None


def test_decide__first_requests_race_another_process_to_the_snapshot__answered_not_500(
    policy_client, payments_client, published
):
    # This process looked before any snapshot was stored, and remembers "none"
    # until its next check...
    PolicySnapshot.objects.all().delete()
    memory_reset()
    assert policy_view_for(client=payments_client) is None
    # ...while another process stores the very snapshot this one would build.
    body = snapshot_body_build()
    PolicySnapshot.objects.create(
        pk=1, generation=generation_new(), etag=etag_for(canonical_json(body)), body=body
    )

    response = decide(policy_client, task_type="completion", risk="low")

    assert response.status_code == 200, response.content
    assert response.json()["model"] == MINI_MODEL

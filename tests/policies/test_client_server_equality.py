"""The routing client's local decisions equal POST /api/v1/decide's, for the
same snapshot and context, over many generated contexts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance.budgets.services import budgets_evaluate
from governance.client.routing import GovernorClient
from governance.engine.context import ENVIRONMENTS, Context
from governance.engine.default_policy import DEFAULT_POLICY, FULL_MODEL, MINI_MODEL
from governance.engine.policy import CompiledPolicy
from governance.policies.services import model_health_evaluate, policy_publish
from tests.budgets.helpers import dollar_model, ingest, make_budget, spend
from tests.calls.factories import call_record
from tests.flags.factories import make_flag

pytestmark = pytest.mark.django_db

EXTRA_RULES = [
    {
        "name": "big-repos-on-full",
        "when": [{"kind": "attribute", "name": "files_changed", "op": "gt", "value": 40}],
        "then": {"model": FULL_MODEL},
    },
    {
        "name": "pilot",
        "when": [
            {"kind": "flag", "key": "mini-pilot", "op": "eq", "value": True},
            {"kind": "risk", "op": "ne", "value": "critical"},
        ],
        "then": {"model": MINI_MODEL, "escalate_to": FULL_MODEL},
        "reason": "{team} is in the mini pilot ({task_type}, {risk})",
    },
    {
        "name": "near-budget",
        "when": [
            {"kind": "budget_percent", "op": "gte", "value": 50},
            {"kind": "environment", "op": "in", "value": ["ide", "cli"]},
        ],
        "then": {"model": MINI_MODEL},
        "reason": "budget at {budget_percent} %",
    },
    {
        "name": "ci-sample-on-mini",
        "when": [
            {"kind": "sample", "op": "lt", "value": 30},
            {"kind": "environment", "op": "eq", "value": "ci"},
        ],
        "then": {"model": MINI_MODEL, "fallbacks": []},
    },
]

contexts = st.fixed_dictionaries(
    {
        "task_type": st.sampled_from(
            [
                "boilerplate",
                "completion",
                "unit_test_draft",
                "style_review",
                "refactor",
                "design",
                "",
            ]
        ),
        "risk": st.sampled_from(["low", "medium", "high", "critical"]),
        "environment": st.sampled_from(ENVIRONMENTS),
        "targeting_key": st.text(min_size=0, max_size=12),
        "attributes": st.dictionaries(
            st.sampled_from(["files_changed", "repo", "lang"]),
            st.one_of(st.integers(-5, 100), st.text(max_size=8), st.booleans(), st.none()),
            max_size=3,
        ),
    }
)


@pytest.fixture(
    params=["budget at 62 %, models healthy", "budget in its reserve, full model degraded"]
)
def organisation(request, policy_client, payments_client, catalog, mid_month):
    # mid_month: spend recorded "20 minutes ago" must count in this month's budget.
    dollar_model()
    make_budget(team=payments_client.team, limit="100")
    stressed = request.param.startswith("budget in its reserve")
    spend(
        payments_client,
        at=timezone.now() - timedelta(minutes=20),
        usd="96.55" if stressed else "62",
    )
    if stressed:
        failing = [
            call_record(ts=timezone.now() - timedelta(minutes=1), model=FULL_MODEL, status="error")
            for _ in range(30)
        ]
        ingest(payments_client, failing)
        model_health_evaluate()
    make_flag(
        key="mini-pilot",
        rollout=[{"variant": "on", "weight": 30}, {"variant": "off", "weight": 70}],
    )
    policy_publish(document={**DEFAULT_POLICY, "rules": EXTRA_RULES + DEFAULT_POLICY["rules"]})
    budgets_evaluate()
    return policy_client


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(context=contexts)
def test_decisions__client_and_server_same_snapshot__identical(organisation, context):
    local = CompiledPolicy(organisation.get("/api/v1/policy").json())

    served = organisation.post("/api/v1/decide", context, format="json").json()
    mine = local.decide(Context(**context)).to_dict()

    served.pop("decision_id"), mine.pop("decision_id")
    assert mine == served


def test_decisions__each_scenario__snapshot_holds_the_intended_inputs(organisation, request):
    snapshot = organisation.get("/api/v1/policy").json()
    inputs = (snapshot["budgets"]["payments"]["state"], snapshot["models"][FULL_MODEL]["health"])

    stressed = request.node.callspec.params["organisation"].startswith("budget in its reserve")
    assert inputs == (("reserve_only", "degraded") if stressed else ("normal", "healthy"))


@pytest.mark.django_db(transaction=True)
def test_decisions__governor_client_over_http__equal_to_the_servers(
    live_server, issue_key, payments_client, catalog, tmp_path
):
    from governance.policies.services import policy_default_publish

    policy_default_publish()
    raw, _ = issue_key(scopes=("policy:read",), client=payments_client)
    client = GovernorClient(live_server.url, raw, cache_dir=tmp_path, start=False)
    client.refresh()

    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    for risk in ("low", "medium", "high", "critical"):
        for task_type in ("boilerplate", "refactor"):
            served = api.post(
                "/api/v1/decide", {"risk": risk, "task_type": task_type}, format="json"
            ).json()
            mine = client.decide(risk=risk, task_type=task_type).to_dict()
            served.pop("decision_id"), mine.pop("decision_id")
            assert mine == served
    assert client.source == "server" and client.policy_version == 1

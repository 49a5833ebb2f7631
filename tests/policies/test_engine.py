"""The pure rule engine: rule order, every condition kind, the default policy."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from governance.engine.context import Context
from governance.engine.default_policy import (
    DEFAULT_POLICY,
    FULL_MODEL,
    MINI_MODEL,
    empty_snapshot,
    policy_with_task_on_mini,
)
from governance.engine.policy import CompiledPolicy
from governance.engine.policy_document import policy_validate

NOW = datetime(2026, 3, 18, 12, tzinfo=UTC)
THEN = {"model": "m-then"}


def snapshot(rules=None, *, team="payments", budget=None, models=None, flags=None, policy=None):
    data = empty_snapshot(
        policy=policy or {"defaults": {"model": "m-default"}, "rules": rules or []}
    )
    data.update(team=team, client="ci-runner")
    if budget is not None:
        data["budgets"] = {team: budget}
    data["models"] = models or {}
    data["flags"] = flags or {}
    return data


def decide(snap, flag_evaluator=None, **context):
    return CompiledPolicy(snap, flag_evaluator=flag_evaluator).decide(Context(**context), now=NOW)


def one_rule(*conditions):
    return [{"name": "r", "when": list(conditions), "then": THEN}]


def test_rules__two_rules_match__the_first_one_decides():
    rules = [
        {
            "name": "first",
            "when": [{"kind": "risk", "op": "eq", "value": "high"}],
            "then": {"model": "a"},
        },
        {
            "name": "second",
            "when": [{"kind": "risk", "op": "in", "value": ["high", "low"]}],
            "then": {"model": "b"},
        },
    ]
    decision = decide(snapshot(rules), risk="high")

    assert (decision.rule, decision.model) == ("first", "a")


def test_rules__no_rule_matches__default_decides_and_says_so():
    decision = decide(
        snapshot(one_rule({"kind": "risk", "op": "eq", "value": "critical"})), risk="low"
    )

    assert decision.rule is None
    assert decision.model == "m-default"
    assert "no rule matched" in decision.reason


def test_rules__all_conditions_must_hold():
    rules = one_rule(
        {"kind": "risk", "op": "eq", "value": "low"},
        {"kind": "environment", "op": "eq", "value": "ci"},
    )

    assert decide(snapshot(rules), risk="low", environment="ide").rule is None
    assert decide(snapshot(rules), risk="low", environment="ci").rule == "r"


@pytest.mark.parametrize(
    ("condition", "context", "matches"),
    [
        (
            {"kind": "task_type", "op": "in", "value": ["boilerplate"]},
            {"task_type": "boilerplate"},
            True,
        ),
        (
            {"kind": "task_type", "op": "not_in", "value": ["boilerplate"]},
            {"task_type": "boilerplate"},
            False,
        ),
        ({"kind": "risk", "op": "ne", "value": "critical"}, {"risk": "high"}, True),
        ({"kind": "environment", "op": "eq", "value": "ide"}, {"environment": "ci"}, False),
        ({"kind": "team", "op": "eq", "value": "payments"}, {}, True),
        ({"kind": "team", "op": "eq", "value": "search"}, {}, False),
        ({"kind": "client", "op": "eq", "value": "ci-runner"}, {}, True),
        ({"kind": "targeting_key", "op": "exists", "value": True}, {"targeting_key": ""}, True),
        (
            {"kind": "attribute", "name": "repo", "op": "eq", "value": "acme/pay"},
            {"attributes": {"repo": "acme/pay"}},
            True,
        ),
        (
            {"kind": "attribute", "name": "repo", "op": "exists", "value": False},
            {"attributes": {}},
            True,
        ),
        (
            {"kind": "attribute", "name": "files", "op": "gt", "value": 50},
            {"attributes": {"files": 51}},
            True,
        ),
        (
            {"kind": "attribute", "name": "files", "op": "lte", "value": 50},
            {"attributes": {"files": 51}},
            False,
        ),
        (
            {"kind": "attribute", "name": "files", "op": "gt", "value": 50},
            {"attributes": {"files": "many"}},
            False,
        ),
        (
            {"kind": "attribute", "name": "tags", "op": "in", "value": ["x"]},
            {"attributes": {"tags": ["x"]}},
            False,
        ),
    ],
)
def test_condition__context_kinds__match_as_specified(condition, context, matches):
    assert (decide(snapshot(one_rule(condition)), **context).rule == "r") is matches


def test_condition__budget_state_and_percentage__read_from_the_teams_budget():
    budget = {
        "state": "fallback",
        "percent": "93.4",
        "threshold": "90",
        "hard_limit": "block",
        "budget": "payments: monthly",
    }
    state_rule = one_rule({"kind": "budget_state", "op": "eq", "value": "fallback"})
    percent_rule = one_rule({"kind": "budget_percent", "op": "gte", "value": 93})
    high_rule = one_rule({"kind": "budget_percent", "op": "gte", "value": 95})

    assert decide(snapshot(state_rule, budget=budget)).rule == "r"
    assert decide(snapshot(percent_rule, budget=budget)).rule == "r"
    assert decide(snapshot(high_rule, budget=budget)).rule is None


def test_condition__team_without_budget__budget_state_reads_none():
    rules = one_rule({"kind": "budget_state", "op": "eq", "value": "none"})

    assert decide(snapshot(rules)).rule == "r"


def test_condition__organisation_budget__applies_to_a_team_without_its_own():
    data = snapshot(one_rule({"kind": "budget_state", "op": "eq", "value": "exhausted"}))
    data["budgets"] = {
        "*": {"state": "exhausted", "percent": "100", "threshold": "90", "hard_limit": "alert"}
    }

    assert decide(data).rule == "r"


def test_condition__model_health__read_from_the_snapshot_and_unknown_is_healthy():
    rules = one_rule({"kind": "model_health", "model": "gpt-x", "op": "eq", "value": "degraded"})

    assert (
        decide(snapshot(rules, models={"gpt-x": {"tier": "full", "health": "degraded"}})).rule
        == "r"
    )
    assert decide(snapshot(rules, models={})).rule is None


def test_condition__flag__evaluated_with_the_request_context():
    seen = []

    def evaluator(spec, context, now):
        seen.append((spec, context["targetingKey"], context["team"], now))
        return spec["on"]

    rules = one_rule({"kind": "flag", "key": "mini", "op": "eq", "value": True})
    data = snapshot(rules, flags={"mini": {"on": True}})

    assert decide(data, flag_evaluator=evaluator, targeting_key="pr-7").rule == "r"
    assert seen == [({"on": True}, "pr-7", "payments", NOW)]


def test_condition__flag_missing_from_snapshot__reads_as_unset():
    rules = one_rule({"kind": "flag", "key": "absent", "op": "exists", "value": False})

    assert (
        decide(snapshot(rules), flag_evaluator=lambda *a: SimpleNamespace(value=True)).rule == "r"
    )


def test_decision__rule_then__laid_over_defaults():
    policy = {
        "defaults": {
            "model": "d",
            "fallbacks": ["x"],
            "timeout_ms": 1000,
            "retry": {"max_attempts": 5},
        },
        "rules": [{"name": "r", "when": [], "then": {"model": "m", "escalate_to": "big"}}],
    }
    decision = decide(snapshot(policy=policy))

    assert decision.model == "m" and decision.fallbacks == ("x",) and decision.escalate_to == "big"
    assert decision.timeout_ms == 1000
    assert decision.retry["max_attempts"] == 5 and decision.retry["jitter"] == "full"
    assert decision.circuit_breaker["cooldown_s"] == 30


def test_default_policy__budget_over_threshold__non_critical_to_mini_with_a_readable_reason():
    budget = {
        "state": "fallback",
        "percent": "93",
        "threshold": "90",
        "hard_limit": "block",
        "budget": "payments: monthly",
    }
    data = snapshot(policy=DEFAULT_POLICY, budget=budget)

    decision = decide(data, risk="high", task_type="refactor")

    assert decision.model == MINI_MODEL
    assert decision.escalate_to == FULL_MODEL
    assert (
        decision.reason
        == "budget of team payments at 93 %, over the 90 % threshold: non-critical work goes to gpt-5-codex-mini"
    )


def test_default_policy__critical_work__stays_on_full_even_over_budget_and_degraded():
    budget = {"state": "exhausted", "percent": "100", "threshold": "90", "hard_limit": "block"}
    data = snapshot(
        policy=DEFAULT_POLICY,
        budget=budget,
        models={FULL_MODEL: {"tier": "full", "health": "degraded"}},
    )

    decision = decide(data, risk="critical")

    assert (decision.model, decision.blocked, decision.rule) == (
        FULL_MODEL,
        False,
        "critical-on-full",
    )


def test_default_policy__reserve_with_blocking__non_critical_work_blocked():
    budget = {"state": "reserve_only", "percent": "96", "threshold": "90", "hard_limit": "block"}

    decision = decide(snapshot(policy=DEFAULT_POLICY, budget=budget), risk="low")

    assert decision.blocked is True and decision.model is None
    assert "reserve kept for critical work" in decision.reason


def test_default_policy__reserve_with_alert_only__non_critical_work_goes_to_mini():
    budget = {"state": "reserve_only", "percent": "96", "threshold": "90", "hard_limit": "alert"}

    decision = decide(snapshot(policy=DEFAULT_POLICY, budget=budget), risk="low")

    assert (decision.blocked, decision.model) == (False, MINI_MODEL)


def test_default_policy__full_model_degraded__non_critical_goes_to_mini():
    data = snapshot(
        policy=DEFAULT_POLICY, models={FULL_MODEL: {"tier": "full", "health": "degraded"}}
    )

    decision = decide(data, risk="high")

    assert decision.model == MINI_MODEL
    assert "degraded" in decision.reason


def test_default_policy__full_model_half_open__a_tenth_of_the_keys_try_it_the_rest_stay_on_mini():
    data = snapshot(
        policy=DEFAULT_POLICY, models={FULL_MODEL: {"tier": "full", "health": "half_open"}}
    )
    keys = [f"pr-{i}" for i in range(2000)]

    first = {k: decide(data, risk="high", targeting_key=k).model for k in keys}
    again = {k: decide(data, risk="high", targeting_key=k).model for k in keys}
    critical = {decide(data, risk="critical", targeting_key=k).model for k in keys[:200]}

    on_full = sum(model == FULL_MODEL for model in first.values())
    assert 150 <= on_full <= 250  # a tenth of 2,000, give or take the hash
    assert set(first.values()) == {FULL_MODEL, MINI_MODEL}
    assert again == first  # the same keys every time
    assert critical == {FULL_MODEL}
    stayed = decide(
        data, risk="high", targeting_key=next(k for k in keys if first[k] == MINI_MODEL)
    )
    assert stayed.rule == "full-model-recovering" and "half-open" in stayed.reason


@pytest.mark.parametrize(
    ("op", "value", "share"),
    [("lt", 25, 0.25), ("gte", 25, 0.75), ("lt", 0, 0.0), ("lt", 100, 1.0)],
)
def test_sample_condition__holds_for_that_share_of_targeting_keys(op, value, share):
    rules = one_rule({"kind": "sample", "op": op, "value": value})

    matched = sum(
        decide(snapshot(rules), targeting_key=f"job-{i}").rule == "r" for i in range(4000)
    )

    assert abs(matched / 4000 - share) <= 0.03


@pytest.mark.parametrize(
    "cond",
    [
        {"kind": "sample", "op": "eq", "value": 10},
        {"kind": "sample", "op": "lt", "value": 150},
        {"kind": "sample", "op": "lt", "value": "ten"},
    ],
)
def test_sample_condition__not_a_share_compared_by_size__invalid_naming_the_condition(cond):
    errors = policy_validate({"defaults": {"model": "m"}, "rules": one_rule(cond)})

    assert any(e.startswith("rules[0].when[0]") and "sample" in e for e in errors)


@pytest.mark.parametrize(
    "task_type", ["boilerplate", "completion", "unit_test_draft", "style_review"]
)
def test_default_policy__low_risk_volume__mini_proposes_full_validates(task_type):
    decision = decide(snapshot(policy=DEFAULT_POLICY), risk="low", task_type=task_type)

    assert (decision.model, decision.escalate_to) == (MINI_MODEL, FULL_MODEL)


def test_default_policy__high_risk__full_model():
    decision = decide(snapshot(policy=DEFAULT_POLICY), risk="high", task_type="boilerplate")

    assert decision.model == FULL_MODEL


def test_default_policy__mini_flows_flag_off__low_risk_volume_stays_on_full():
    data = snapshot(policy=DEFAULT_POLICY, flags={"mini-model-flows": {}})

    decision = decide(
        data, flag_evaluator=lambda spec, ctx, now: False, risk="low", task_type="completion"
    )

    assert (decision.model, decision.rule) == (FULL_MODEL, "mini-flows-switched-off")


def test_policy_validate__default_policy__is_valid():
    assert policy_validate(DEFAULT_POLICY) == []


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        ({"rules": []}, "defaults"),
        ({"defaults": {"timeout_ms": 5}, "rules": []}, "defaults.model"),
        (
            {
                "defaults": {"model": "m"},
                "rules": [
                    {"name": "a", "when": [{"kind": "weather", "op": "eq", "value": 1}], "then": {}}
                ],
            },
            "rules[0].when[0].kind",
        ),
        (
            {
                "defaults": {"model": "m"},
                "rules": [
                    {
                        "name": "a",
                        "when": [{"kind": "risk", "op": "in", "value": "low"}],
                        "then": {},
                    }
                ],
            },
            "rules[0].when[0].value",
        ),
        (
            {
                "defaults": {"model": "m"},
                "rules": [
                    {"name": "a", "when": [{"kind": "flag", "op": "eq", "value": True}], "then": {}}
                ],
            },
            "rules[0].when[0].key",
        ),
        (
            {"defaults": {"model": "m"}, "rules": [{"name": "a", "then": {"timeout_ms": -1}}]},
            "rules[0].then.timeout_ms",
        ),
        (
            {
                "defaults": {"model": "m"},
                "rules": [{"name": "a", "then": {"retry": {"retry_on": ["oops"]}}}],
            },
            "rules[0].then.retry.retry_on",
        ),
        (
            {
                "defaults": {"model": "m"},
                "rules": [{"name": "a", "then": {}}, {"name": "a", "then": {}}],
            },
            "rules[1].name",
        ),
    ],
)
def test_policy_validate__bad_document__error_names_the_field(policy, field):
    errors = policy_validate(policy)

    assert any(e.startswith(field + ":") for e in errors), errors


def test_policy_with_task_on_mini__name_taken__a_free_name_and_the_rest_untouched():
    policy = {
        "defaults": {"model": FULL_MODEL},
        "rules": [{"name": "refactor-on-mini", "when": [], "then": {"model": "x"}}],
    }

    drafted = policy_with_task_on_mini(
        policy, task_type="refactor", mini=MINI_MODEL, full=FULL_MODEL
    )

    assert policy["rules"] == [{"name": "refactor-on-mini", "when": [], "then": {"model": "x"}}]
    assert [r["name"] for r in drafted["rules"]] == ["refactor-on-mini", "refactor-on-mini-2"]
    assert policy_validate(drafted) == []

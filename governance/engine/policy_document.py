"""What a policy document and a snapshot are, and checking a document.
Plain Python, no Django.

A policy is a JSON document::

    {"defaults": {<decision fields>}, "rules": [
        {"name": "...", "when": [<condition>, ...], "then": {<decision fields>}, "reason": "..."}]}

Rules are tried in order; the first whose conditions all hold decides, its
`then` laid over `defaults`. A condition is ``{"kind", "op", "value"}`` plus
``name`` (attribute), ``key`` (flag) or ``model`` (model health). Kinds:
task_type, risk, environment, team, client, targeting_key, attribute, flag,
budget_state, budget_percent, budget_hard_limit, model_health, sample. Operators: eq,
ne, in, not_in, gt, gte, lt, lte, exists.

``sample`` compares a number from 0 to 100 (below 100) computed from the
context's targeting key, so ``{"kind": "sample", "op": "lt", "value": 10}``
holds for a steady tenth of targeting keys, the same tenth every time and on
every client. Contexts without a targeting key all share one number.

A snapshot is::

    {"schema": 1, "policy_version": int, "policy": {...},
     "flags": {key: flag spec (see governance.engine.flag_spec)}, "budgets": {team slug or "*": {"state", "percent",
     "threshold", "reserve_percent", "hard_limit", "budget"}},
     "models": {name: {"tier", "health"}}, "team": slug, "client": name}
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from governance.engine.context import CONTEXT_FIELDS

SCHEMA = 1

BUDGET_STATES = ("none", "normal", "fallback", "reserve_only", "exhausted")
HEALTH_STATES = ("healthy", "degraded", "half_open")

CONTEXT_KINDS = (*CONTEXT_FIELDS, "team", "client")
CONDITION_KINDS = (
    *CONTEXT_KINDS,
    "attribute",
    "flag",
    "budget_state",
    "budget_percent",
    "budget_hard_limit",
    "model_health",
    "sample",
)
OPERATORS = ("eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "exists")
RETRY_OUTCOMES = ("error", "timeout", "rate_limited")
# What a policy's defaults and a rule's `then` may set.
DECISION_FIELDS = frozenset(
    ("model", "fallbacks", "escalate_to", "timeout_ms", "retry", "circuit_breaker", "blocked")
)

# What a decision holds when neither the policy's defaults nor its rule say.
DEFAULT_RETRY: dict[str, Any] = {
    "max_attempts": 3,
    "backoff": "exponential",
    "base_ms": 500,
    "max_ms": 8000,
    "jitter": "full",
    "retry_on": ["timeout", "rate_limited", "error"],
}
DEFAULT_CIRCUIT_BREAKER: dict[str, Any] = {
    "failure_threshold": 5,
    "window_s": 60,
    "cooldown_s": 30,
    "half_open_max_calls": 1,
}
DEFAULT_TIMEOUT_MS = 120000


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _validate_decision_fields(then: Any, path: str, *, complete: bool) -> list[str]:
    if not isinstance(then, Mapping):
        return [f"{path}: must be an object"]
    errors = [f"{path}.{k}: unknown field" for k in then if k not in DECISION_FIELDS]
    if complete and "model" not in then:
        errors.append(f"{path}.model: required")
    if (
        "model" in then
        and not (isinstance(then["model"], str) and then["model"])
        and not (then["model"] is None and then.get("blocked") is True)
    ):
        errors.append(f"{path}.model: must be a model name (null only when blocked is true)")
    if "fallbacks" in then and not (
        isinstance(then["fallbacks"], list)
        and all(isinstance(m, str) and m for m in then["fallbacks"])
    ):
        errors.append(f"{path}.fallbacks: must be a list of model names")
    if "escalate_to" in then and not (
        then["escalate_to"] is None or isinstance(then["escalate_to"], str)
    ):
        errors.append(f"{path}.escalate_to: must be a model name or null")
    if "timeout_ms" in then and not (
        isinstance(then["timeout_ms"], int)
        and not isinstance(then["timeout_ms"], bool)
        and 0 < then["timeout_ms"] <= 3_600_000
    ):
        errors.append(
            f"{path}.timeout_ms: must be a whole number of milliseconds between 1 and 3600000"
        )
    if "blocked" in then and not isinstance(then["blocked"], bool):
        errors.append(f"{path}.blocked: must be true or false")
    if "retry" in then:
        errors += _validate_retry(then["retry"], f"{path}.retry")
    if "circuit_breaker" in then:
        errors += _validate_int_fields(
            then["circuit_breaker"], f"{path}.circuit_breaker", DEFAULT_CIRCUIT_BREAKER
        )
    return errors


def _validate_int_fields(value: Any, path: str, template: Mapping[str, Any]) -> list[str]:
    if not isinstance(value, Mapping):
        return [f"{path}: must be an object"]
    errors = [f"{path}.{k}: unknown field" for k in value if k not in template]
    for k, v in value.items():
        if (
            k in template
            and isinstance(template[k], int)
            and not (isinstance(v, int) and not isinstance(v, bool) and v >= 0)
        ):
            errors.append(f"{path}.{k}: must be a whole number, 0 or more")
    return errors


def _validate_retry(value: Any, path: str) -> list[str]:
    if not isinstance(value, Mapping):
        return [f"{path}: must be an object"]
    errors = _validate_int_fields(
        {k: v for k, v in value.items() if k not in ("backoff", "jitter", "retry_on")},
        path,
        DEFAULT_RETRY,
    )
    if "max_attempts" in value and value["max_attempts"] == 0:
        errors.append(f"{path}.max_attempts: must be at least 1")
    if "backoff" in value and value["backoff"] not in ("exponential", "constant"):
        errors.append(f"{path}.backoff: must be 'exponential' or 'constant'")
    if "jitter" in value and value["jitter"] not in ("full", "none"):
        errors.append(f"{path}.jitter: must be 'full' or 'none'")
    if "retry_on" in value and not (
        isinstance(value["retry_on"], list) and all(o in RETRY_OUTCOMES for o in value["retry_on"])
    ):
        errors.append(f"{path}.retry_on: must be a list of {', '.join(RETRY_OUTCOMES)}")
    return errors


def _validate_condition(cond: Any, path: str) -> list[str]:
    if not isinstance(cond, Mapping):
        return [f"{path}: must be an object"]
    kind, op = cond.get("kind"), cond.get("op")
    errors = []
    if kind not in CONDITION_KINDS:
        errors.append(f"{path}.kind: must be one of {', '.join(CONDITION_KINDS)}")
    if op not in OPERATORS:
        errors.append(f"{path}.op: must be one of {', '.join(OPERATORS)}")
    if "value" not in cond:
        errors.append(f"{path}.value: required")
    value = cond.get("value")
    if op in ("in", "not_in") and not isinstance(value, list):
        errors.append(f"{path}.value: must be a list for '{op}'")
    if op in ("gt", "gte", "lt", "lte") and not is_number(value):
        errors.append(f"{path}.value: must be a number for '{op}'")
    if op == "exists" and not isinstance(value, bool):
        errors.append(f"{path}.value: must be true or false for 'exists'")
    if kind == "sample" and not (
        op in ("gt", "gte", "lt", "lte")
        and isinstance(value, (int, float, Decimal))
        and not isinstance(value, bool)
        and 0 <= value <= 100
    ):
        errors.append(f"{path}: a sample condition compares (gt, gte, lt, lte) with 0 to 100")
    needs = {"attribute": "name", "flag": "key", "model_health": "model"}.get(kind or "")
    if needs and not (isinstance(cond.get(needs), str) and cond.get(needs)):
        errors.append(f"{path}.{needs}: required for a {kind} condition")
    allowed = {"kind", "op", "value", "name", "key", "model"}
    errors += [f"{path}.{k}: unknown field" for k in cond if k not in allowed]
    return errors


def policy_validate(policy: Any) -> list[str]:
    """Every problem in a policy document, each naming the field; [] when valid."""
    if not isinstance(policy, Mapping):
        return ["policy: must be an object with 'defaults' and 'rules'"]
    errors = [f"{k}: unknown field" for k in policy if k not in ("defaults", "rules")]
    errors += _validate_decision_fields(policy.get("defaults"), "defaults", complete=True)
    rules = policy.get("rules")
    if not isinstance(rules, list):
        return [*errors, "rules: must be a list"]
    names: set[str] = set()
    for i, rule in enumerate(rules):
        path = f"rules[{i}]"
        if not isinstance(rule, Mapping):
            errors.append(f"{path}: must be an object")
            continue
        errors += [
            f"{path}.{k}: unknown field"
            for k in rule
            if k not in ("name", "when", "then", "reason")
        ]
        name = rule.get("name")
        if not (isinstance(name, str) and name):
            errors.append(f"{path}.name: required")
        elif name in names:
            errors.append(f"{path}.name: '{name}' is used by an earlier rule")
        else:
            names.add(name)
        when = rule.get("when", [])
        if not isinstance(when, list):
            errors.append(f"{path}.when: must be a list of conditions")
        else:
            for j, cond in enumerate(when):
                errors += _validate_condition(cond, f"{path}.when[{j}]")
        errors += _validate_decision_fields(rule.get("then"), f"{path}.then", complete=False)
        if "reason" in rule and not isinstance(rule["reason"], str):
            errors.append(f"{path}.reason: must be text")
    return errors


def policy_models(policy: Mapping[str, Any]) -> set[str]:
    """Every model name a policy routes to (to check against the catalog)."""
    names: set[str] = set()
    blocks = [policy.get("defaults") or {}] + [
        r.get("then") or {} for r in policy.get("rules") or []
    ]
    for block in blocks:
        for model in [
            block.get("model"),
            block.get("escalate_to"),
            *(block.get("fallbacks") or []),
        ]:
            if isinstance(model, str):
                names.add(model)
    for rule in policy.get("rules") or []:
        for cond in rule.get("when") or []:
            if (
                isinstance(cond, Mapping)
                and cond.get("kind") == "model_health"
                and isinstance(cond.get("model"), str)
            ):
                names.add(cond["model"])
    return names

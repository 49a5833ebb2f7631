"""The policy Governor ships on day one, and drafts built from it: the
recommended practice (critical work on the full model, high-volume low-risk
work on the mini model, fallbacks near a budget's limit or while the full
model is degraded) as a policy document. Plain Python, no Django."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from governance.engine.policy_document import (
    DEFAULT_CIRCUIT_BREAKER,
    DEFAULT_RETRY,
    DEFAULT_TIMEOUT_MS,
    SCHEMA,
)

FULL_MODEL = "gpt-5-codex"
MINI_MODEL = "gpt-5-codex-mini"

_NON_CRITICAL = {"kind": "risk", "op": "ne", "value": "critical"}
_LOW_RISK_TASKS = ["boilerplate", "completion", "unit_test_draft", "style_review"]

# The practice Governor exists for, as the policy shipped on day one.
DEFAULT_POLICY: dict[str, Any] = {
    "defaults": {
        "model": FULL_MODEL,
        "fallbacks": [MINI_MODEL],
        "escalate_to": None,
        "timeout_ms": DEFAULT_TIMEOUT_MS,
        "retry": DEFAULT_RETRY,
        "circuit_breaker": DEFAULT_CIRCUIT_BREAKER,
        "blocked": False,
    },
    "rules": [
        {
            "name": "reserve-for-critical",
            "when": [
                {"kind": "budget_state", "op": "in", "value": ["reserve_only", "exhausted"]},
                {"kind": "budget_hard_limit", "op": "eq", "value": "block"},
                _NON_CRITICAL,
            ],
            "then": {"model": None, "fallbacks": [], "blocked": True},
            "reason": "budget of team {team} at {budget_percent} %, inside the reserve kept for "
            "critical work: non-critical work is blocked",
        },
        {
            "name": "critical-on-full",
            "when": [{"kind": "risk", "op": "eq", "value": "critical"}],
            "then": {"model": FULL_MODEL, "fallbacks": []},
            "reason": "critical work stays on {model}",
        },
        {
            "name": "full-model-degraded",
            "when": [
                {"kind": "model_health", "model": FULL_MODEL, "op": "eq", "value": "degraded"}
            ],
            "then": {
                "model": MINI_MODEL,
                "fallbacks": [],
                "escalate_to": None,
                "timeout_ms": 60000,
            },
            "reason": FULL_MODEL + " is degraded (circuit open): non-critical work goes to {model}",
        },
        {
            # Half-open: a tenth of the targeting keys try the full model again,
            # so its recovery is judged on real calls without betting all the
            # traffic on it; the rest stays where the open circuit sent it.
            "name": "full-model-recovering",
            "when": [
                {"kind": "model_health", "model": FULL_MODEL, "op": "eq", "value": "half_open"},
                {"kind": "sample", "op": "gte", "value": 10},
            ],
            "then": {
                "model": MINI_MODEL,
                "fallbacks": [],
                "escalate_to": None,
                "timeout_ms": 60000,
            },
            "reason": FULL_MODEL + " is recovering (circuit half-open) and tried by a tenth of "
            "the work only: this job goes to {model}",
        },
        {
            "name": "budget-fallback",
            "when": [
                {
                    "kind": "budget_state",
                    "op": "in",
                    "value": ["fallback", "reserve_only", "exhausted"],
                }
            ],
            "then": {
                "model": MINI_MODEL,
                "fallbacks": [],
                "escalate_to": FULL_MODEL,
                "timeout_ms": 60000,
            },
            "reason": "budget of team {team} at {budget_percent} %, over the {budget_threshold} % "
            "threshold: non-critical work goes to {model}",
        },
        {
            "name": "high-risk-on-full",
            "when": [{"kind": "risk", "op": "eq", "value": "high"}],
            "then": {"model": FULL_MODEL, "fallbacks": [MINI_MODEL]},
            "reason": "high-risk work goes to {model}",
        },
        {
            "name": "mini-flows-switched-off",
            "when": [{"kind": "flag", "key": "mini-model-flows", "op": "eq", "value": False}],
            "then": {"model": FULL_MODEL, "fallbacks": [MINI_MODEL]},
            "reason": "the mini-model-flows flag is off: work goes to {model}",
        },
        {
            "name": "low-risk-volume-on-mini",
            "when": [{"kind": "task_type", "op": "in", "value": _LOW_RISK_TASKS}],
            "then": {
                "model": MINI_MODEL,
                "fallbacks": [FULL_MODEL],
                "escalate_to": FULL_MODEL,
                "timeout_ms": 60000,
            },
            "reason": "{task_type} is high-volume, low-risk work: {model} proposes, "
            "{escalate_to} takes over when the result fails validation",
        },
    ],
}


def empty_snapshot(
    *, policy: Mapping[str, Any] | None = None, policy_version: int = 0
) -> dict[str, Any]:
    """A snapshot holding only a policy: the client's built-in safe default."""
    return {
        "schema": SCHEMA,
        "policy_version": policy_version,
        "policy": dict(policy or DEFAULT_POLICY),
        "flags": {},
        "budgets": {},
        "models": {},
        "team": None,
        "client": None,
    }


def policy_with_task_on_mini(
    policy: Mapping[str, Any], *, task_type: str, mini: str, full: str
) -> dict[str, Any]:
    """`policy` with one more rule, last: `task_type` goes to `mini`, with
    `full` as its fallback and as the model that takes over a result that
    fails validation. Last, so that every earlier rule (critical and
    high-risk work on the full model, a degraded model, a budget past its
    threshold, a flag switched off) still decides first."""
    rules = list(policy.get("rules") or [])
    taken = {r.get("name") for r in rules if isinstance(r, Mapping)}
    name, n = f"{task_type}-on-mini", 2
    while name in taken:
        name, n = f"{task_type}-on-mini-{n}", n + 1
    rules.append(
        {
            "name": name,
            "when": [{"kind": "task_type", "op": "eq", "value": task_type}],
            "then": {"model": mini, "fallbacks": [full], "escalate_to": full},
            "reason": "{task_type} moved to {model}: {escalate_to} takes over when the "
            "result fails validation",
        }
    )
    return {**policy, "rules": rules}

"""A policy document as people read it, what changed between two of them, and
the choices the rule rows offer. Plain Python (no Django): the policy page
shows managers the rules in force without their JSON."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from governance.engine.policy_document import CONDITION_KINDS, OPERATORS, RETRY_OUTCOMES

OPERATOR_WORDS = {
    "eq": "is",
    "ne": "is not",
    "in": "is one of",
    "not_in": "is none of",
    "gt": "is over",
    "gte": "is at least",
    "lt": "is under",
    "lte": "is at most",
}
KIND_WORDS = {
    "task_type": "task type",
    "risk": "risk",
    "environment": "environment",
    "team": "team",
    "client": "client",
    "targeting_key": "targeting key",
    "budget_state": "the team's budget state",
    "budget_percent": "the team's budget use (%)",
    "budget_hard_limit": "the budget's hard limit",
    "sample": "the job's sample number (0-100)",
}


@dataclass(frozen=True)
class ReadableRule:
    position: int | None  # None: the defaults, which decide when no rule does
    name: str
    conditions: tuple[str, ...]
    decision: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "added", "removed", "same" or "gap"
    text: str


@dataclass(frozen=True)
class PolicyDiff:
    summary: tuple[str, ...]
    lines: tuple[DiffLine, ...]


def _value_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_value_text(v) for v in value) or "(nothing)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    return str(value)


def condition_text(condition: Mapping[str, Any]) -> str:
    """`risk is critical`, `flag mini-model-flows is false`, `attribute repo is set`."""
    kind = str(condition.get("kind", ""))
    subject = {
        "attribute": f"attribute {condition.get('name', '?')}",
        "flag": f"flag {condition.get('key', '?')}",
        "model_health": f"health of {condition.get('model', '?')}",
    }.get(kind, KIND_WORDS.get(kind, kind))
    op = str(condition.get("op", ""))
    value = condition.get("value")
    if op == "exists":
        return f"{subject} {'is set' if value else 'is not set'}"
    return f"{subject} {OPERATOR_WORDS.get(op, op)} {_value_text(value)}"


def decision_text(then: Mapping[str, Any]) -> tuple[str, ...]:
    """The decision's fields in words; a rule's absent fields keep the defaults."""
    if then.get("blocked"):
        return ("blocked: no model is called",)
    parts = []
    if "model" in then:
        parts.append(f"model {then['model']}")
    if "fallbacks" in then:
        fallbacks = then["fallbacks"] or []
        parts.append(f"falls back to {', '.join(fallbacks)}" if fallbacks else "no fallback")
    if "escalate_to" in then:
        target = then["escalate_to"]
        parts.append(f"escalates failures to {target}" if target else "no escalation")
    if "timeout_ms" in then and isinstance(then["timeout_ms"], int):
        parts.append(f"timeout {then['timeout_ms'] / 1000:g} s")
    if "retry" in then and isinstance(then["retry"], Mapping):
        attempts = then["retry"].get("max_attempts")
        parts.append(f"up to {attempts} attempts" if attempts else "retries as set")
    if "circuit_breaker" in then and isinstance(then["circuit_breaker"], Mapping):
        threshold = then["circuit_breaker"].get("failure_threshold")
        parts.append(f"circuit opens after {threshold} failures" if threshold else "circuit set")
    return tuple(parts) or ("as the defaults",)


def policy_readable(document: Mapping[str, Any]) -> list[ReadableRule]:
    """Every rule in order, then the defaults as the last row."""
    rows = [
        ReadableRule(
            position=i,
            name=str(rule.get("name", "")),
            conditions=tuple(condition_text(c) for c in rule.get("when") or []) or ("always",),
            decision=decision_text(rule.get("then") or {}),
            reason=str(rule.get("reason", "")),
        )
        for i, rule in enumerate(document.get("rules") or [], start=1)
        if isinstance(rule, Mapping)
    ]
    rows.append(
        ReadableRule(
            position=None,
            name="defaults",
            conditions=("no rule above decided",),
            decision=decision_text(document.get("defaults") or {}),
            reason="",
        )
    )
    return rows


def _rules_by_name(document: Mapping[str, Any]) -> dict[str, Any]:
    return {
        str(rule.get("name")): rule
        for rule in document.get("rules") or []
        if isinstance(rule, Mapping)
    }


def policy_diff(older: Mapping[str, Any], newer: Mapping[str, Any]) -> PolicyDiff:
    """Rules added, removed, changed or moved, then the documents' line diff."""
    before, after = _rules_by_name(older), _rules_by_name(newer)
    summary = [f"rule {name} added" for name in after if name not in before]
    summary += [f"rule {name} removed" for name in before if name not in after]
    summary += [
        f"rule {name} changed" for name in after if name in before and after[name] != before[name]
    ]
    kept_before = [name for name in before if name in after]
    kept_after = [name for name in after if name in before]
    if kept_before != kept_after:
        summary.append("rules reordered: " + " → ".join(kept_after))
    if (older.get("defaults") or {}) != (newer.get("defaults") or {}):
        summary.append("defaults changed")
    return PolicyDiff(
        summary=tuple(summary) or ("no difference",), lines=tuple(_line_diff(older, newer))
    )


def _line_diff(older: Mapping[str, Any], newer: Mapping[str, Any]) -> list[DiffLine]:
    a: Sequence[str] = json.dumps(older, indent=2).splitlines()
    b: Sequence[str] = json.dumps(newer, indent=2).splitlines()
    lines: list[DiffLine] = []
    for group in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_grouped_opcodes(3):
        if lines:
            lines.append(DiffLine("gap", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [DiffLine("same", line) for line in a[i1:i2]]
                continue
            lines += [DiffLine("removed", line) for line in a[i1:i2]]
            lines += [DiffLine("added", line) for line in b[j1:j2]]
    return lines


def editor_choices(*, models: Sequence[str]) -> dict[str, Any]:
    """What the rule rows offer (the policy page hands it to editor.js):
    the engine's condition kinds and operators, labelled as above."""
    special = {"attribute": "attribute", "flag": "flag", "model_health": "model health"}
    return {
        "kinds": [[k, special.get(k, KIND_WORDS.get(k, k))] for k in CONDITION_KINDS],
        "operators": [[op, OPERATOR_WORDS.get(op, "is set (true/false)")] for op in OPERATORS],
        "kind_extra": {"attribute": "name", "flag": "key", "model_health": "model"},
        "extra_labels": {"name": "Attribute", "key": "Flag key", "model": "Model"},
        "numeric_kinds": ["budget_percent", "sample"],
        "typed_kinds": ["attribute", "flag"],
        "value_hints": {
            "in": "a, b, c",
            "not_in": "a, b, c",
            "exists": "true or false",
            **{op: "a number" for op in ("gt", "gte", "lt", "lte")},
        },
        "retry_fields": [
            {"name": "max_attempts", "label": "Attempts"},
            {"name": "backoff", "label": "Backoff", "options": ["exponential", "constant"]},
            {"name": "base_ms", "label": "First delay (ms)"},
            {"name": "max_ms", "label": "Longest delay (ms)"},
            {"name": "jitter", "label": "Jitter", "options": ["full", "none"]},
            {"name": "retry_on", "label": "Retry on", "list": ", ".join(RETRY_OUTCOMES)},
        ],
        "circuit_fields": [
            {"name": "failure_threshold", "label": "Failures that open it"},
            {"name": "window_s", "label": "Within (s)"},
            {"name": "cooldown_s", "label": "Open for (s)"},
            {"name": "half_open_max_calls", "label": "Trial calls when half-open"},
        ],
        "models": list(models),
    }

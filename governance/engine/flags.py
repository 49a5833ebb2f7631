"""Evaluating a feature flag, shared by the server and the routing client.

Pure Python (no Django): the routing client evaluates the same specs offline
from its last known snapshot, `policies` evaluates them inside `decide`, and
the OFREP endpoints answer with them. What a spec holds is described in
governance.engine.flag_spec.

Evaluation order:
  1. `enabled` false (the kill switch) -> `off_variant` (or `default_variant`), reason DISABLED.
  2. outside the flag's `schedule` -> `off_variant`, reason DISABLED.
  3. the first rule whose schedule is active and whose conditions all hold (AND; use several
     rules for OR) serves its `variant` (TARGETING_MATCH) or its percentage `split` (SPLIT).
  4. otherwise the flag-wide `rollout` split (SPLIT), else `default_variant`: reason STATIC
     when the flag has no rules, rollout or schedule at all, DEFAULT when it has some.

Bucketing (percentage splits): bucket = murmur3_x86_32(f"{flag_key}.{targeting_key}", seed 0,
unsigned) mod 10000, so each bucket is 0.01 %. A split assigns consecutive bucket ranges to
its variants in the listed order ([on 10, off 90] -> buckets 0-999 are "on"). The same
targeting key always lands in the same bucket, and growing the first variant's weight only
adds buckets: a key inside a 10 % pilot stays inside the 20 % rollout. A split needs a
`targetingKey` in the context; without one the result is an ERROR with TARGETING_KEY_MISSING
and the off/default variant's value.

A missing attribute, or a value of the wrong kind, never matches a condition, not even
for not_in / not_equals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import mmh3

from governance.engine.flag_spec import (
    BUCKETS,
    NUMERIC_OPERATORS,
    SEMVER_OPERATORS,
    Condition,
    FlagSpec,
    Operator,
    SplitPart,
    instant_of,
    number_of,
    semver_key,
)

NOW_ATTRIBUTE = "$now"
TARGETING_KEY = "targetingKey"


class Reason(StrEnum):
    STATIC = "STATIC"
    TARGETING_MATCH = "TARGETING_MATCH"
    SPLIT = "SPLIT"
    DISABLED = "DISABLED"
    DEFAULT = "DEFAULT"
    ERROR = "ERROR"


class ErrorCode(StrEnum):
    TARGETING_KEY_MISSING = "TARGETING_KEY_MISSING"
    INVALID_CONTEXT = "INVALID_CONTEXT"
    GENERAL = "GENERAL"


@dataclass(frozen=True)
class Resolution:
    value: Any
    variant: str | None
    reason: Reason
    error_code: ErrorCode | None = None
    error_details: str | None = None
    rule: str | None = field(default=None)

    @property
    def is_error(self) -> bool:
        return self.error_code is not None


def bucket_of(flag_key: str, targeting_key: str) -> int:
    """The key's bucket, 0..9999 (see the module docstring)."""
    return mmh3.hash(f"{flag_key}.{targeting_key}", 0, signed=False) % BUCKETS


def evaluate_flag(spec: FlagSpec, context: Mapping[str, Any], *, now: datetime) -> Resolution:
    """Resolve a flag for an evaluation context at `now` (an aware datetime)."""
    if not isinstance(context, Mapping):
        return _error(spec, ErrorCode.INVALID_CONTEXT, "The evaluation context must be an object.")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not spec.enabled:
        return _serve(spec, spec.off_variant or spec.default_variant, Reason.DISABLED)
    if spec.schedule is not None and not spec.schedule.is_active(now):
        return _serve(spec, spec.off_variant or spec.default_variant, Reason.DISABLED)
    for index, rule in enumerate(spec.rules):
        if rule.schedule is not None and not rule.schedule.is_active(now):
            continue
        if not all(_condition_holds(c, context, now) for c in rule.conditions):
            continue
        label = rule.name or f"rule {index + 1}"
        if rule.variant is not None:
            return _serve(spec, rule.variant, Reason.TARGETING_MATCH, rule=label)
        return _split(spec, rule.split, context, rule=label)
    if spec.rollout:
        return _split(spec, spec.rollout, context, rule=None)
    return _serve(spec, spec.default_variant, Reason.STATIC if spec.is_static else Reason.DEFAULT)


def _serve(spec: FlagSpec, variant: str, reason: Reason, *, rule: str | None = None) -> Resolution:
    return Resolution(value=spec.variants[variant], variant=variant, reason=reason, rule=rule)


def _error(spec: FlagSpec, code: ErrorCode, details: str) -> Resolution:
    variant = spec.off_variant or spec.default_variant
    return Resolution(
        value=spec.variants[variant],
        variant=variant,
        reason=Reason.ERROR,
        error_code=code,
        error_details=details,
    )


def _split(
    spec: FlagSpec, parts: tuple[SplitPart, ...], context: Mapping[str, Any], *, rule: str | None
) -> Resolution:
    targeting_key = context.get(TARGETING_KEY)
    if targeting_key is None or targeting_key == "":
        return _error(
            spec,
            ErrorCode.TARGETING_KEY_MISSING,
            f"Flag {spec.key!r} splits by percentage and needs a targetingKey.",
        )
    bucket = bucket_of(spec.key, str(targeting_key))
    upper = 0
    for part in parts:
        upper += part.weight_buckets
        if bucket < upper:
            return _serve(spec, part.variant, Reason.SPLIT, rule=rule)
    raise AssertionError("split weights always cover every bucket")  # validated at parse time


_MISSING = object()


def _lookup(context: Mapping[str, Any], attribute: str) -> Any:
    if attribute in context:
        return context[attribute]
    current: Any = context
    for part in attribute.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return _MISSING
        current = current[part]
    return current


def _condition_holds(condition: Condition, context: Mapping[str, Any], now: datetime) -> bool:
    op = condition.operator
    expected = condition.value
    actual = now if condition.attribute == NOW_ATTRIBUTE else _lookup(context, condition.attribute)
    if actual is _MISSING or actual is None:
        return False
    if op is Operator.IN:
        return _scalar(actual) and actual in expected
    if op is Operator.NOT_IN:
        return _scalar(actual) and actual not in expected
    if op is Operator.EQUALS:
        return actual == expected
    if op is Operator.NOT_EQUALS:
        return actual != expected
    if op in (Operator.STARTS_WITH, Operator.ENDS_WITH, Operator.CONTAINS):
        if not isinstance(actual, str):
            return False
        if op is Operator.STARTS_WITH:
            return actual.startswith(expected)
        if op is Operator.ENDS_WITH:
            return actual.endswith(expected)
        return expected in actual
    if op in NUMERIC_OPERATORS:
        left, right = number_of(actual), number_of(expected)
        if left is None or right is None:
            return False
        return _compare(op, left, right)
    if op in SEMVER_OPERATORS:
        left_v, right_v = semver_key(actual), semver_key(expected)
        if left_v is None or right_v is None:
            return False
        return _compare(op, left_v, right_v)
    moment, bound = instant_of(actual), instant_of(expected)
    if moment is None or bound is None:
        return False
    return moment < bound if op is Operator.BEFORE else moment > bound


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


def _compare(op: Operator, left: Any, right: Any) -> bool:
    if op in (Operator.GT, Operator.SEMVER_GT):
        return left > right
    if op in (Operator.GTE, Operator.SEMVER_GTE):
        return left >= right
    if op in (Operator.LT, Operator.SEMVER_LT):
        return left < right
    if op in (Operator.LTE, Operator.SEMVER_LTE):
        return left <= right
    return left == right

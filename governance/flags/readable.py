"""A flag's definition as people read it (the flag page shows managers this
instead of its JSON). Plain Python, no Django."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from governance.engine.flag_spec import Operator

OPERATOR_LABELS = {
    Operator.IN: "is one of",
    Operator.NOT_IN: "is none of",
    Operator.EQUALS: "equals",
    Operator.NOT_EQUALS: "does not equal",
    Operator.STARTS_WITH: "starts with",
    Operator.ENDS_WITH: "ends with",
    Operator.CONTAINS: "contains",
    Operator.GT: "is over",
    Operator.GTE: "is at least",
    Operator.LT: "is under",
    Operator.LTE: "is at most",
    Operator.SEMVER_EQ: "is version",
    Operator.SEMVER_GT: "is a version after",
    Operator.SEMVER_GTE: "is version or after",
    Operator.SEMVER_LT: "is a version before",
    Operator.SEMVER_LTE: "is version or before",
    Operator.BEFORE: "is a time before",
    Operator.AFTER: "is a time after",
}


@dataclass(frozen=True)
class ReadableFlagRule:
    name: str
    conditions: tuple[str, ...]
    serves: str


def _value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value)
    if isinstance(value, str):
        return value
    return json.dumps(value)


def split_text(split: Sequence[Mapping[str, Any]]) -> str:
    """`on to 10 %, off to 90 % of targeting keys`."""
    shares = ", ".join(f"{part.get('variant')} to {part.get('weight')} %" for part in split)
    return f"{shares} of targeting keys"


def flag_rules_readable(rules: Sequence[Mapping[str, Any]]) -> list[ReadableFlagRule]:
    rows = []
    for rule in rules:
        conditions = tuple(
            f"{c.get('attribute')} {OPERATOR_LABELS.get(c.get('operator'), c.get('operator'))} "
            f"{_value(c.get('value'))}"
            for c in rule.get("conditions") or []
        )
        split = rule.get("split") or []
        serves = split_text(split) if split else f"variant {rule.get('variant')}"
        if rule.get("schedule"):
            serves += f" (on its own schedule, {rule['schedule'].get('timezone', 'UTC')})"
        rows.append(
            ReadableFlagRule(name=rule.get("name") or "", conditions=conditions, serves=serves)
        )
    return rows


DAY_NAMES = {1: "Mon", 2: "Tue", 3: "Wed", 4: "Thu", 5: "Fri", 6: "Sat", 7: "Sun"}


def schedule_text(schedule: Mapping[str, Any] | None) -> str:
    """`Mon, Tue, Wed, Thu, Fri 09:00-18:00 (Europe/Paris)`; "" without a schedule."""
    if not schedule:
        return ""
    windows = [
        f"{', '.join(DAY_NAMES.get(d, str(d)) for d in w.get('days') or []) or 'every day'} "
        f"{w.get('start')}-{w.get('end')}"
        for w in schedule.get("windows") or []
    ]
    bounds = [
        f"{word} {schedule[key]}"
        for word, key in (("from", "starts_at"), ("until", "ends_at"))
        if schedule.get(key)
    ]
    return f"{'; '.join(windows) or 'all day'} ({schedule.get('timezone', 'UTC')})" + (
        ", " + " ".join(bounds) if bounds else ""
    )

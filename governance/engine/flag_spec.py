"""What a feature flag is: its spec, and reading one from JSON (every
problem named by its field). Plain Python (no Django): the server stores and
serves specs, the routing client and `policies` evaluate them with
governance.engine.flags.

A flag spec is plain JSON-able data (see `FlagSpec.to_dict` / `flag_spec_from_dict`):

    {"key": "mini-model-for-ci-test-generation", "type": "boolean", "enabled": true,
     "variants": {"on": true, "off": false}, "default_variant": "on", "off_variant": "off",
     "rules": [{"name": "...", "conditions": [{"attribute": "task_type", "operator": "in",
                "value": ["test_generation"]}], "variant": "on" | null,
                "split": [{"variant": "on", "weight": 10}, {"variant": "off", "weight": 90}],
                "schedule": null | {...}}],
     "rollout": [] | [{"variant": "on", "weight": 10}, {"variant": "off", "weight": 90}],
     "schedule": null | {"timezone": "Europe/Paris", "windows": [{"days": [1, 2, 3, 4, 5],
                 "start": "09:00", "end": "18:00"}], "starts_at": null, "ends_at": null}}

A split's weights are percentages with at most two decimals (one bucket of
`BUCKETS` is 0.01 %) adding up to 100.

Schedules use IANA time zones through `zoneinfo`: windows are wall-clock times in that zone
(09:00-18:00 Europe/Paris is 08:00 UTC in winter and 07:00 UTC in summer). A window whose
end is not after its start crosses midnight and belongs to the day it starts on. Days are
ISO weekdays (1 = Monday ... 7 = Sunday); no days means every day. `starts_at` / `ends_at`
(ISO 8601; without an offset they are read in the schedule's zone) bound the schedule.

Condition operators: in, not_in, equals, not_equals, starts_with, ends_with, contains,
gt, gte, lt, lte (numbers), semver_eq, semver_gt, semver_gte, semver_lt, semver_lte
(Semantic Versioning 2.0 precedence), before, after (times: the attribute's ISO 8601
value, or the evaluation time when the attribute is "$now").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from governance.core.errors import FieldError

BUCKETS = 10_000
KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")


class FlagType(StrEnum):
    BOOLEAN = "boolean"
    STRING = "string"
    NUMBER = "number"
    OBJECT = "object"


class Operator(StrEnum):
    IN = "in"
    NOT_IN = "not_in"
    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    STARTS_WITH = "starts_with"
    ENDS_WITH = "ends_with"
    CONTAINS = "contains"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    SEMVER_EQ = "semver_eq"
    SEMVER_GT = "semver_gt"
    SEMVER_GTE = "semver_gte"
    SEMVER_LT = "semver_lt"
    SEMVER_LTE = "semver_lte"
    BEFORE = "before"
    AFTER = "after"


NUMERIC_OPERATORS = {Operator.GT, Operator.GTE, Operator.LT, Operator.LTE}
SEMVER_OPERATORS = {
    Operator.SEMVER_EQ,
    Operator.SEMVER_GT,
    Operator.SEMVER_GTE,
    Operator.SEMVER_LT,
    Operator.SEMVER_LTE,
}


class FlagSpecError(FieldError):
    """A spec that cannot be evaluated; `field` names the offending part (e.g. "rules[0].split")."""


@dataclass(frozen=True)
class Condition:
    attribute: str
    operator: Operator
    value: Any

    def to_dict(self) -> dict:
        return {"attribute": self.attribute, "operator": self.operator.value, "value": self.value}


@dataclass(frozen=True)
class SplitPart:
    variant: str
    # Weight in percent with at most two decimals (one bucket is 0.01 %).
    weight_buckets: int

    @property
    def weight(self) -> int | float:
        whole, rest = divmod(self.weight_buckets, 100)
        return whole if rest == 0 else self.weight_buckets / 100

    def to_dict(self) -> dict:
        return {"variant": self.variant, "weight": self.weight}


@dataclass(frozen=True)
class Window:
    days: tuple[int, ...]
    start: time
    end: time

    def to_dict(self) -> dict:
        return {
            "days": list(self.days),
            "start": self.start.strftime("%H:%M"),
            "end": self.end.strftime("%H:%M"),
        }


@dataclass(frozen=True)
class Schedule:
    timezone: str
    windows: tuple[Window, ...] = ()
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    def to_dict(self) -> dict:
        return {
            "timezone": self.timezone,
            "windows": [w.to_dict() for w in self.windows],
            "starts_at": self.starts_at.isoformat() if self.starts_at else None,
            "ends_at": self.ends_at.isoformat() if self.ends_at else None,
        }

    def is_active(self, now: datetime) -> bool:
        if self.starts_at is not None and now < self.starts_at:
            return False
        if self.ends_at is not None and now >= self.ends_at:
            return False
        if not self.windows:
            return True
        local = now.astimezone(ZoneInfo(self.timezone))
        return any(_window_contains(w, local) for w in self.windows)


def _window_contains(window: Window, local: datetime) -> bool:
    clock = local.time().replace(tzinfo=None)
    weekday = local.isoweekday()
    previous_day = 7 if weekday == 1 else weekday - 1
    days = window.days
    if window.start < window.end:
        return (not days or weekday in days) and window.start <= clock < window.end
    # Crosses midnight (or spans the whole day when start == end).
    if clock >= window.start:
        return not days or weekday in days
    return clock < window.end and (not days or previous_day in days)


@dataclass(frozen=True)
class Rule:
    conditions: tuple[Condition, ...] = ()
    variant: str | None = None
    split: tuple[SplitPart, ...] = ()
    schedule: Schedule | None = None
    name: str = ""

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "conditions": [c.to_dict() for c in self.conditions],
            "variant": self.variant,
            "split": [s.to_dict() for s in self.split],
            "schedule": self.schedule.to_dict() if self.schedule else None,
        }


@dataclass(frozen=True)
class FlagSpec:
    key: str
    type: FlagType
    variants: Mapping[str, Any]
    default_variant: str
    enabled: bool = True
    off_variant: str | None = None
    rules: tuple[Rule, ...] = ()
    rollout: tuple[SplitPart, ...] = ()
    schedule: Schedule | None = None

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "type": self.type.value,
            "enabled": self.enabled,
            "variants": dict(self.variants),
            "default_variant": self.default_variant,
            "off_variant": self.off_variant,
            "rules": [r.to_dict() for r in self.rules],
            "rollout": [s.to_dict() for s in self.rollout],
            "schedule": self.schedule.to_dict() if self.schedule else None,
        }

    @property
    def is_static(self) -> bool:
        return not self.rules and not self.rollout and self.schedule is None


def flag_spec_from_dict(d: Mapping[str, Any]) -> FlagSpec:
    """Validate and build a spec; raises FlagSpecError naming the offending field."""
    if not isinstance(d, Mapping):
        raise FlagSpecError("flag", "must be an object")
    key = d.get("key")
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise FlagSpecError(
            "key", "must be 1-128 letters, digits, '-', '_' or '.', starting with a letter or digit"
        )
    try:
        flag_type = FlagType(d.get("type", FlagType.BOOLEAN))
    except ValueError:
        raise FlagSpecError(
            "type", f"must be one of {', '.join(t.value for t in FlagType)}"
        ) from None
    variants = d.get("variants")
    if not isinstance(variants, Mapping) or not variants:
        raise FlagSpecError("variants", "must be a non-empty object of variant name to value")
    for name, value in variants.items():
        if not isinstance(name, str) or not name:
            raise FlagSpecError("variants", "variant names must be non-empty strings")
        if not _value_fits(flag_type, value):
            raise FlagSpecError(f"variants.{name}", f"value {value!r} is not a {flag_type.value}")
    names = set(variants)
    default_variant = _variant_ref(
        d.get("default_variant"), names, "default_variant", required=True
    )
    off_variant = _variant_ref(d.get("off_variant"), names, "off_variant", required=False)
    enabled = d.get("enabled", True)
    if not isinstance(enabled, bool):
        raise FlagSpecError("enabled", "must be true or false")
    rules_raw = d.get("rules") or []
    if not isinstance(rules_raw, list):
        raise FlagSpecError("rules", "must be a list")
    rules = tuple(_rule_from_dict(r, names, f"rules[{i}]") for i, r in enumerate(rules_raw))
    rollout = _split_from_list(d.get("rollout") or [], names, "rollout")
    schedule = _schedule_from_dict(d.get("schedule"), "schedule")
    return FlagSpec(
        key=key,
        type=flag_type,
        variants=dict(variants),
        default_variant=default_variant,  # type: ignore[arg-type]  # required=True never returns None
        enabled=enabled,
        off_variant=off_variant,
        rules=rules,
        rollout=rollout,
        schedule=schedule,
    )


def _value_fits(flag_type: FlagType, value: Any) -> bool:
    if flag_type is FlagType.BOOLEAN:
        return isinstance(value, bool)
    if flag_type is FlagType.STRING:
        return isinstance(value, str)
    if flag_type is FlagType.NUMBER:
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, dict)


def _variant_ref(value: Any, names: set[str], where: str, *, required: bool) -> str | None:
    if value in (None, "") and not required:
        return None
    if not isinstance(value, str) or value not in names:
        raise FlagSpecError(where, f"must name one of the variants ({', '.join(sorted(names))})")
    return value


def _rule_from_dict(raw: Any, names: set[str], where: str) -> Rule:
    if not isinstance(raw, Mapping):
        raise FlagSpecError(where, "must be an object")
    conditions_raw = raw.get("conditions") or []
    if not isinstance(conditions_raw, list):
        raise FlagSpecError(f"{where}.conditions", "must be a list")
    conditions = tuple(
        _condition_from_dict(c, f"{where}.conditions[{i}]") for i, c in enumerate(conditions_raw)
    )
    variant = _variant_ref(raw.get("variant"), names, f"{where}.variant", required=False)
    split = _split_from_list(raw.get("split") or [], names, f"{where}.split")
    if (variant is None) == (not split):
        raise FlagSpecError(where, "must serve either a variant or a percentage split (not both)")
    name = raw.get("name") or ""
    if not isinstance(name, str):
        raise FlagSpecError(f"{where}.name", "must be a string")
    return Rule(
        conditions=conditions,
        variant=variant,
        split=split,
        schedule=_schedule_from_dict(raw.get("schedule"), f"{where}.schedule"),
        name=name,
    )


def _condition_from_dict(raw: Any, where: str) -> Condition:
    if not isinstance(raw, Mapping):
        raise FlagSpecError(where, "must be an object")
    attribute = raw.get("attribute")
    if not isinstance(attribute, str) or not attribute:
        raise FlagSpecError(f"{where}.attribute", "must be a non-empty string")
    try:
        operator = Operator(str(raw.get("operator")))
    except ValueError:
        raise FlagSpecError(
            f"{where}.operator", f"must be one of {', '.join(o.value for o in Operator)}"
        ) from None
    value = raw.get("value")
    if operator in (Operator.IN, Operator.NOT_IN):
        if not isinstance(value, list):
            raise FlagSpecError(f"{where}.value", f"'{operator.value}' needs a list")
    elif operator in NUMERIC_OPERATORS:
        if number_of(value) is None:
            raise FlagSpecError(f"{where}.value", f"'{operator.value}' needs a number")
    elif operator in SEMVER_OPERATORS:
        if not isinstance(value, str) or semver_key(value) is None:
            raise FlagSpecError(
                f"{where}.value", f"'{operator.value}' needs a semantic version such as 1.4.0"
            )
    elif operator in (Operator.BEFORE, Operator.AFTER):
        if instant_of(value) is None:
            raise FlagSpecError(f"{where}.value", f"'{operator.value}' needs an ISO 8601 date-time")
    elif operator in (Operator.STARTS_WITH, Operator.ENDS_WITH, Operator.CONTAINS):
        if not isinstance(value, str):
            raise FlagSpecError(f"{where}.value", f"'{operator.value}' needs a string")
    return Condition(attribute=attribute, operator=operator, value=value)


def _split_from_list(raw: Any, names: set[str], where: str) -> tuple[SplitPart, ...]:
    if not isinstance(raw, list):
        raise FlagSpecError(where, "must be a list of {variant, weight}")
    if not raw:
        return ()
    parts = []
    for i, part in enumerate(raw):
        if not isinstance(part, Mapping):
            raise FlagSpecError(f"{where}[{i}]", "must be an object {variant, weight}")
        variant = _variant_ref(part.get("variant"), names, f"{where}[{i}].variant", required=True)
        weight = part.get("weight")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            raise FlagSpecError(f"{where}[{i}].weight", "must be a percentage between 0 and 100")
        buckets = round(weight * 100)
        if abs(buckets - weight * 100) > 1e-6:
            raise FlagSpecError(f"{where}[{i}].weight", "has more than two decimals")
        parts.append(SplitPart(variant=variant, weight_buckets=buckets))  # type: ignore[arg-type]  # required
    if sum(p.weight_buckets for p in parts) != BUCKETS:
        raise FlagSpecError(where, "weights must add up to 100")
    return tuple(parts)


_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _schedule_from_dict(raw: Any, where: str) -> Schedule | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise FlagSpecError(where, "must be an object")
    tz_name = raw.get("timezone") or "UTC"
    try:
        zone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise FlagSpecError(f"{where}.timezone", f"{tz_name!r} is not an IANA time zone") from None
    windows_raw = raw.get("windows") or []
    if not isinstance(windows_raw, list):
        raise FlagSpecError(f"{where}.windows", "must be a list")
    windows = []
    for i, w in enumerate(windows_raw):
        at = f"{where}.windows[{i}]"
        if not isinstance(w, Mapping):
            raise FlagSpecError(at, "must be an object {days, start, end}")
        days = w.get("days") or []
        if not isinstance(days, list) or any(
            isinstance(x, bool) or not isinstance(x, int) or not 1 <= x <= 7 for x in days
        ):
            raise FlagSpecError(f"{at}.days", "must be ISO weekdays, 1 (Monday) to 7 (Sunday)")
        bounds = []
        for name in ("start", "end"):
            match = _CLOCK.match(str(w.get(name, "")))
            if not match:
                raise FlagSpecError(f"{at}.{name}", "must be a time HH:MM")
            bounds.append(time(int(match[1]), int(match[2])))
        windows.append(Window(days=tuple(sorted(set(days))), start=bounds[0], end=bounds[1]))
    starts_at = _schedule_instant(raw.get("starts_at"), zone, f"{where}.starts_at")
    ends_at = _schedule_instant(raw.get("ends_at"), zone, f"{where}.ends_at")
    if starts_at and ends_at and ends_at <= starts_at:
        raise FlagSpecError(f"{where}.ends_at", "must be after starts_at")
    return Schedule(timezone=tz_name, windows=tuple(windows), starts_at=starts_at, ends_at=ends_at)


def _schedule_instant(raw: Any, zone: ZoneInfo, where: str) -> datetime | None:
    if raw in (None, ""):
        return None
    parsed = instant_of(raw, default_zone=zone)
    if parsed is None:
        raise FlagSpecError(where, "must be an ISO 8601 date or date-time")
    return parsed


# --------------------------------------------------------------------------- values
# How an operator reads a value, shared by the check of a spec and the
# evaluation of its conditions, so a spec that passes is evaluated as it was read.


def instant_of(raw: Any, *, default_zone: Any = UTC) -> datetime | None:
    """An aware datetime from an ISO 8601 date or date-time; None if it is not one."""
    if isinstance(raw, datetime):
        parsed = raw
    elif isinstance(raw, str):
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            try:
                parsed = datetime.combine(date.fromisoformat(raw), time())
            except ValueError:
                return None
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_zone)
    return parsed


def number_of(value: Any) -> float | None:
    """A number, or text holding one (never a boolean); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


_SEMVER_RE = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)


def semver_key(value: Any) -> tuple | None:
    """A sortable key with SemVer 2.0 precedence (build metadata ignored)."""
    if not isinstance(value, str):
        return None
    match = _SEMVER_RE.match(value.strip())
    if not match:
        return None
    core = (int(match[1]), int(match[2]), int(match[3]))
    if match[4] is None:
        # A release sorts after all of its pre-releases.
        return (*core, 1, ())
    identifiers = tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in match[4].split(".")
    )
    return (*core, 0, identifiers)

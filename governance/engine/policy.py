"""The routing decision, evaluated from a policy snapshot. Plain Python, no Django.

The server (`POST /api/v1/decide`) and the routing client (`GovernorClient`)
run this same module on the same JSON snapshot, so a decision made locally is
the decision the server would have made. What a policy and a snapshot hold is
described in governance.engine.policy_document.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from governance.engine.context import Context
from governance.engine.flag_spec import BUCKETS, flag_spec_from_dict
from governance.engine.flags import bucket_of, evaluate_flag
from governance.engine.policy_document import (
    CONTEXT_KINDS,
    DEFAULT_CIRCUIT_BREAKER,
    DEFAULT_RETRY,
    DEFAULT_TIMEOUT_MS,
    is_number,
    policy_validate,
)


# A NamedTuple, like Context: a decision is built on every request.
class Decision(NamedTuple):
    model: str | None
    fallbacks: tuple[str, ...]
    escalate_to: str | None
    timeout_ms: int
    retry: Mapping[str, Any]
    circuit_breaker: Mapping[str, Any]
    blocked: bool
    rule: str | None
    reason: str
    policy_version: int
    decision_id: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "fallbacks": list(self.fallbacks),
            "escalate_to": self.escalate_to,
            "timeout_ms": self.timeout_ms,
            "retry": {k: (list(v) if isinstance(v, list) else v) for k, v in self.retry.items()},
            "circuit_breaker": dict(self.circuit_breaker),
            "blocked": self.blocked,
            "rule": self.rule,
            "reason": self.reason,
            "policy_version": self.policy_version,
            "decision_id": self.decision_id,
        }


FlagEvaluator = Callable[[Mapping[str, Any], Mapping[str, Any], datetime], Any]


def _flags_engine_evaluate(spec: Any, context: Mapping[str, Any], now: datetime) -> Any:
    return evaluate_flag(spec, context, now=now).value


def _to_decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _percent_text(value: Decimal | None) -> str:
    if value is None:
        return "?"
    text = format(value.normalize(), "f")
    return text


class _Facts:
    """What one decision looks at; budget and flag values are read lazily."""

    __slots__ = ("attributes", "budget", "context", "now", "team")

    def __init__(
        self,
        context: Context,
        team: str | None,
        budget: Mapping[str, Any] | None,
        now: datetime | None,
    ) -> None:
        self.context = context
        self.team = team
        self.budget = budget
        self.attributes = context.attributes
        self.now = now


def _compare(op: str, value: Any) -> Callable[[Any], bool]:
    if op == "eq":
        return lambda v: v == value
    if op == "ne":
        return lambda v: v != value
    if op in ("in", "not_in"):
        try:
            members: Any = frozenset(value)
        except TypeError:
            members = list(value)
        if op == "in":
            return lambda v: _member(v, members)
        return lambda v: not _member(v, members)
    if op == "exists":
        return lambda v: (v is not None) == value
    bound = _to_decimal(value)
    if bound is None:
        raise ValueError(f"'{op}' needs a number, not {value!r}")
    cmp = {
        "gt": lambda a: a > bound,
        "gte": lambda a: a >= bound,
        "lt": lambda a: a < bound,
        "lte": lambda a: a <= bound,
    }[op]

    def numeric(v: Any) -> bool:
        number = v if isinstance(v, Decimal) else _to_decimal(v) if is_number(v) else None
        return number is not None and cmp(number)

    return numeric


def _member(v: Any, members: Any) -> bool:
    try:
        return v in members
    except TypeError:  # an unhashable attribute value (a list) is in no set
        return False


class CompiledPolicy:
    """A snapshot turned into closures once, so a decision is a few dict reads."""

    def __init__(
        self, snapshot: Mapping[str, Any], *, flag_evaluator: FlagEvaluator | None = None
    ) -> None:
        errors = policy_validate(snapshot.get("policy"))
        if errors:
            raise ValueError("invalid policy: " + "; ".join(errors[:5]))
        self.snapshot = snapshot
        self.policy_version = int(snapshot.get("policy_version") or 0)
        self.team = snapshot.get("team")
        self.client = snapshot.get("client")
        flags: Mapping[str, Any] = snapshot.get("flags") or {}
        self._flags: Mapping[str, Any]
        if flag_evaluator is None:
            # The flags engine, on specs parsed once here rather than per decision.
            self._flags = {key: flag_spec_from_dict(spec) for key, spec in flags.items()}
            self._flag_evaluator: FlagEvaluator = _flags_engine_evaluate
        else:
            self._flags, self._flag_evaluator = flags, flag_evaluator
        self._budgets = {
            team: {
                **entry,
                "percent": _to_decimal(entry.get("percent")),
                "threshold": _to_decimal(entry.get("threshold")),
            }
            for team, entry in (snapshot.get("budgets") or {}).items()
        }
        self._health = {
            name: (m or {}).get("health", "healthy")
            for name, m in (snapshot.get("models") or {}).items()
        }
        policy = snapshot["policy"]
        defaults = {
            "fallbacks": [],
            "escalate_to": None,
            "timeout_ms": DEFAULT_TIMEOUT_MS,
            "retry": DEFAULT_RETRY,
            "circuit_breaker": DEFAULT_CIRCUIT_BREAKER,
            "blocked": False,
            **policy["defaults"],
        }
        self._default = self._outcome(
            defaults, None, "no rule matched: the policy's default applies, {model}"
        ) + (decision_id_prefix(self.policy_version, 0),)
        self._rules = [
            (
                [self._condition(c) for c in rule.get("when") or []],
                self._outcome({**defaults, **rule["then"]}, rule["name"], rule.get("reason"))
                + (decision_id_prefix(self.policy_version, position),),
            )
            for position, rule in enumerate(policy["rules"], start=1)
        ]

    @staticmethod
    def _outcome(block: Mapping[str, Any], rule: str | None, reason: str | None) -> tuple:
        retry = {**DEFAULT_RETRY, **(block.get("retry") or {})}
        breaker = {**DEFAULT_CIRCUIT_BREAKER, **(block.get("circuit_breaker") or {})}
        if reason is None:
            target = "blocked" if block.get("blocked") else "{model}"
            reason = f"rule {rule} matched: " + target
        return (
            block.get("model"),
            tuple(block.get("fallbacks") or ()),
            block.get("escalate_to"),
            int(block["timeout_ms"]),
            retry,
            breaker,
            bool(block.get("blocked")),
            rule,
            _template(reason),
        )

    def _condition(self, cond: Mapping[str, Any]) -> Callable[[_Facts], bool]:
        kind, test = cond["kind"], _compare(cond["op"], cond["value"])
        if kind in CONTEXT_KINDS:
            if kind == "team":
                return lambda f: test(f.team)
            if kind == "client":
                return lambda f: test(f.context.client or self.client)
            attr: str = kind
            return lambda f: test(getattr(f.context, attr))
        if kind == "attribute":
            name = cond["name"]
            return lambda f: test(f.attributes.get(name))
        if kind == "flag":
            key = cond["key"]
            return lambda f: test(self._flag_value(key, f))
        if kind == "budget_state":
            return lambda f: test(f.budget["state"] if f.budget else "none")
        if kind == "budget_percent":
            return lambda f: test(f.budget["percent"] if f.budget else None)
        if kind == "budget_hard_limit":
            return lambda f: test(f.budget.get("hard_limit") if f.budget else None)
        if kind == "sample":
            return lambda f: test(sample_of(f.context.targeting_key))
        model = cond["model"]
        return lambda f: test(self._health.get(model, "healthy"))

    def _flag_value(self, key: str, facts: _Facts) -> Any:
        spec = self._flags.get(key)
        if spec is None:
            return None
        ctx = facts.context
        flag_context = {
            **ctx.attributes,
            "targetingKey": ctx.targeting_key,
            "team": facts.team,
            "client": ctx.client or self.client,
            "task_type": ctx.task_type,
            "risk": ctx.risk,
            "environment": ctx.environment,
        }
        return self._flag_evaluator(spec, flag_context, facts.now or datetime.now(UTC))

    def decide(
        self, context: Context, *, now: datetime | None = None, decision_id: str | None = None
    ) -> Decision:
        team = context.team or self.team
        budget = self._budgets.get(team) if team is not None else None
        if budget is None:
            budget = self._budgets.get("*")
        facts = _Facts(context, team, budget, now)
        outcome = self._default
        for conditions, result in self._rules:
            for cond in conditions:
                if not cond(facts):
                    break
            else:
                outcome = result
                break
        (
            model,
            fallbacks,
            escalate_to,
            timeout_ms,
            retry,
            breaker,
            blocked,
            rule,
            reason,
            id_prefix,
        ) = outcome
        return Decision(
            model=model,
            fallbacks=fallbacks,
            escalate_to=escalate_to,
            timeout_ms=timeout_ms,
            retry=retry,
            circuit_breaker=breaker,
            blocked=blocked,
            rule=rule,
            reason=self._reason(reason, outcome, facts),
            policy_version=self.policy_version,
            decision_id=decision_id or id_prefix + os.urandom(8).hex(),
        )

    def _reason(self, template: str | tuple[str, ...], outcome: tuple, facts: _Facts) -> str:
        if isinstance(template, str):
            return template
        # Odd positions hold placeholder names; only those used are computed.
        return "".join(
            part if i % 2 == 0 else self._placeholder(part, outcome, facts)
            for i, part in enumerate(template)
        )

    def _placeholder(self, name: str, outcome: tuple, facts: _Facts) -> str:
        ctx, budget = facts.context, facts.budget or {}
        if name == "team":
            return facts.team or "?"
        if name == "client":
            return ctx.client or self.client or "?"
        if name == "task_type":
            return ctx.task_type or "this task"
        if name in ("risk", "environment"):
            return getattr(ctx, name)
        if name == "model":
            return outcome[0] or "no model"
        if name == "escalate_to":
            return outcome[2] or "nothing"
        if name == "rule":
            return outcome[7] or "default"
        if name in ("budget_percent", "budget_threshold"):
            return _percent_text(budget.get(name.removeprefix("budget_")))
        if name == "budget_state":
            return budget.get("state", "none")
        if name == "budget_name":
            return budget.get("budget", "")
        return "{" + name + "}"


def sample_of(targeting_key: str) -> Decimal:
    """Where a targeting key falls in [0, 100): the `sample` condition's number.
    The same hash as a flag's percentage rollout, under its own salt, so a key
    in a flag's first tenth is not also in every policy's first tenth."""
    return Decimal(bucket_of("policy.sample", targeting_key) * 100) / BUCKETS


def decision_id_prefix(policy_version: int, rule_position: int) -> str:
    """Decision ids say which policy version and rule decided ("7.3.<random>":
    version 7, third rule; 0 is the default), so a call log carrying one can be
    traced to its rule without Governor storing any decision."""
    return f"{policy_version}.{rule_position}."


def decision_id_origin(decision_id: str) -> tuple[int, int] | None:
    """(policy version, rule position) from a decision id; None if it is not one."""
    version, _, rest = decision_id.partition(".")
    position, _, random_part = rest.partition(".")
    if not (version.isdigit() and position.isdigit() and random_part):
        return None
    return int(version), int(position)


def _template(reason: str) -> str | tuple[str, ...]:
    """A reason with placeholders split once into literal and name parts."""
    parts = tuple(_PLACEHOLDER.split(reason))
    return reason if len(parts) == 1 else parts


_PLACEHOLDER = re.compile(r"\{(\w+)\}")

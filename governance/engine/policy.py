"""The routing decision, evaluated from a policy snapshot. Plain Python, no Django.

The server (`POST /api/v1/decide`) and the routing client (`GovernorClient`)
run this same module on the same JSON snapshot, so a decision made locally is
the decision the server would have made.

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
     "flags": {key: flag spec (see governance.engine.flags)}, "budgets": {team slug or "*": {"state", "percent",
     "threshold", "reserve_percent", "hard_limit", "budget"}},
     "models": {name: {"tier", "health"}}, "team": slug, "client": name}
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, NamedTuple

from governance.engine.flags import BUCKETS, bucket_of, evaluate_flag, flag_spec_from_dict

SCHEMA = 1
FULL_MODEL = "gpt-5-codex"
MINI_MODEL = "gpt-5-codex-mini"

RISKS = ("low", "medium", "high", "critical")
ENVIRONMENTS = ("ci", "ide", "cli", "api", "other")
BUDGET_STATES = ("none", "normal", "fallback", "reserve_only", "exhausted")
HEALTH_STATES = ("healthy", "degraded", "half_open")

CONTEXT_KINDS = ("task_type", "risk", "environment", "team", "client", "targeting_key")
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

_NON_CRITICAL = {"kind": "risk", "op": "ne", "value": "critical"}
_LOW_RISK_TASKS = ["boilerplate", "completion", "unit_test_draft", "style_review"]

# The practice Governor exists for, as the policy shipped on day one.
DEFAULT_POLICY: dict[str, Any] = {
    "defaults": {
        "model": FULL_MODEL,
        "fallbacks": [MINI_MODEL],
        "escalate_to": None,
        "timeout_ms": 120000,
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


# --- validation -------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _validate_decision_fields(then: Any, path: str, *, complete: bool) -> list[str]:
    if not isinstance(then, Mapping):
        return [f"{path}: must be an object"]
    errors = []
    allowed = {
        "model",
        "fallbacks",
        "escalate_to",
        "timeout_ms",
        "retry",
        "circuit_breaker",
        "blocked",
    }
    errors += [f"{path}.{k}: unknown field" for k in then if k not in allowed]
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
    if op in ("gt", "gte", "lt", "lte") and not _is_number(value):
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


# --- evaluation -------------------------------------------------------------


_NO_ATTRIBUTES: Mapping[str, Any] = MappingProxyType({})


# NamedTuples rather than frozen dataclasses: as immutable, and several times
# cheaper to build, which counts at a hundred thousand decisions a second.
class Context(NamedTuple):
    task_type: str = ""
    risk: str = "medium"
    environment: str = "other"
    targeting_key: str = ""
    team: str | None = None
    client: str | None = None
    attributes: Mapping[str, Any] = _NO_ATTRIBUTES


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
        number = v if isinstance(v, Decimal) else _to_decimal(v) if _is_number(v) else None
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
            "timeout_ms": 120000,
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


def context_from_mapping(data: Mapping[str, Any]) -> Context:
    """A Context from already-validated request fields (unknown keys ignored)."""
    return Context(
        task_type=data.get("task_type") or "",
        risk=data.get("risk") or "medium",
        environment=data.get("environment") or "other",
        targeting_key=data.get("targeting_key") or "",
        team=data.get("team"),
        client=data.get("client"),
        attributes=data.get("attributes") or {},
    )

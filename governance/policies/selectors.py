"""Reads for policies: the decision for a client, dry runs and replays of drafts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.db.models import Q

from governance.budgets.selectors import budgets_visible, worst_state
from governance.catalog.pricing import e10_to_usd
from governance.catalog.selectors import model_tiers, price_book
from governance.engine.context import Context
from governance.engine.default_policy import DEFAULT_POLICY
from governance.engine.policy import CompiledPolicy, Decision, decision_id_origin
from governance.engine.policy_document import SCHEMA
from governance.flags.selectors import flags_snapshot
from governance.policies.models import HealthState, ModelHealth, PolicyVersion, ReplayJob
from governance.policies.snapshots import (
    ClientView,
    snapshot_for_client,
    snapshot_global,
    view_build,
)
from governance.rollups.selectors import call_hour_sums


def _flag_specs() -> dict[str, Any]:
    return {spec["key"]: spec for spec in flags_snapshot()}


def _budget_entries() -> dict[str, Any]:
    """Per team slug (and "*" for the organisation): the budget that limits it
    most (worst state, then highest percentage), as last evaluated."""
    budgets = list(budgets_visible())
    org = [b for b in budgets if b.team_id is None]
    by_team: dict[str, list] = {}
    for b in budgets:
        if b.team is not None:
            by_team.setdefault(b.team.slug, []).append(b)
    entries: dict[str, Any] = {}
    for key, group in [*by_team.items(), ("*", [])]:
        candidates = group + org
        if not candidates:
            continue
        state = worst_state([b.state for b in candidates])
        limiting = max((b for b in candidates if b.state == state), key=lambda b: b.percent)
        entries[key] = {
            "budget": str(limiting),
            "state": state,
            # Tenths, rounded down: a finer figure would change the snapshot (and
            # send every client a new copy) on nearly every ingested batch.
            "percent": str(limiting.percent.quantize(Decimal("0.1"), rounding=ROUND_DOWN)),
            "threshold": str(limiting.fallback_threshold_pct.normalize()),
            "reserve_percent": str(limiting.reserve_pct.normalize()),
            "hard_limit": limiting.hard_limit,
        }
    return entries


def _model_entries() -> dict[str, Any]:
    """Every catalogued model's tier and organisation-wide health (and nothing
    for names the catalog does not hold)."""
    health = dict(ModelHealth.objects.filter(team=None).values_list("model", "state"))
    return {
        name: {"tier": tier, "health": health.get(name, HealthState.HEALTHY)}
        for name, tier in model_tiers().items()
    }


def _team_health_entries() -> dict[str, dict[str, str]]:
    """Per team slug, the models whose circuit is open or half-open for that
    team alone; each client's view takes only its own team's."""
    entries: dict[str, dict[str, str]] = {}
    rows = (
        ModelHealth.objects.exclude(team=None)
        .exclude(state=HealthState.HEALTHY)
        .values_list("team__slug", "model", "state")
    )
    for team, model, state in rows:
        entries.setdefault(team, {})[model] = state
    return entries


def snapshot_body_build() -> dict[str, Any]:
    """The snapshot's content as of now: the policy in force, the flags, the
    budgets as last evaluated and every model's tier and health."""
    version = PolicyVersion.objects.order_by("-number").first()
    return {
        "schema": SCHEMA,
        "policy_version": version.number if version else 0,
        "policy": version.document if version else DEFAULT_POLICY,
        "flags": _flag_specs(),
        "budgets": _budget_entries(),
        "models": _model_entries(),
        "team_health": _team_health_entries(),
    }


def policy_view_for(*, client) -> ClientView | None:
    """The stored snapshot as this client sees it; None before the first one
    is built (see policies.services.policy_view_ensure)."""
    return snapshot_for_client(client_id=client.pk, team=client.team.slug, client=client.name)


def policy_decide(*, client, context: Context, now: datetime | None = None) -> Decision:
    """The decision for one request: pure evaluation of the client's snapshot
    view (of one built in memory, not stored, when none is stored yet)."""
    view = policy_view_for(client=client)
    if view is not None:
        return view.compiled.decide(context, now=now)
    snapshot = view_build(body=snapshot_body_build(), team=client.team.slug, client=client.name)
    return CompiledPolicy(snapshot).decide(context, now=now)


def _draft_compiled(
    *, document: dict[str, Any], team: str | None, client: str | None
) -> CompiledPolicy:
    body = snapshot_global() or snapshot_body_build()
    view = view_build(body={**body, "policy": document}, team=team, client=client)
    if team is None:
        view["budgets"] = body.get("budgets") or {}
    return CompiledPolicy(view)


def policy_dry_run(
    *, document: dict[str, Any], context: Context, now: datetime | None = None
) -> Decision:
    """What a draft would decide for this context, with today's budgets, flags and health."""
    compiled = _draft_compiled(document=document, team=context.team, client=context.client)
    return compiled.decide(context, now=now)


@dataclass(frozen=True)
class Move:
    from_model: str
    to_model: str
    calls: int
    usd: Decimal  # what these calls cost on the model they used
    usd_after: Decimal | None  # the same tokens at the new model's price; None if it has none

    def to_json(self) -> dict[str, Any]:
        return {
            "from_model": self.from_model,
            "to_model": self.to_model,
            "calls": self.calls,
            "usd": _money_out(self.usd),
            "usd_after": _money_out(self.usd_after),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Move:
        return cls(
            from_model=data["from_model"],
            to_model=data["to_model"],
            calls=data["calls"],
            usd=Decimal(data["usd"]),
            usd_after=_money_in(data["usd_after"]),
        )


@dataclass(frozen=True)
class Replay:
    days: int
    calls: int
    usd: Decimal
    calls_moved: int
    usd_moved: Decimal
    usd_moved_after: Decimal | None
    calls_blocked: int
    moves: list[Move]
    by_rule: dict[str, int]

    @property
    def savings(self) -> Decimal | None:
        return None if self.usd_moved_after is None else self.usd_moved - self.usd_moved_after

    def to_json(self) -> dict[str, Any]:
        """For a replay job's stored result: money as decimal strings, which
        `from_json` reads back to the same Decimals (a float would not)."""
        return {
            "days": self.days,
            "calls": self.calls,
            "usd": _money_out(self.usd),
            "calls_moved": self.calls_moved,
            "usd_moved": _money_out(self.usd_moved),
            "usd_moved_after": _money_out(self.usd_moved_after),
            "calls_blocked": self.calls_blocked,
            "moves": [m.to_json() for m in self.moves],
            "by_rule": self.by_rule,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Replay:
        return cls(
            days=data["days"],
            calls=data["calls"],
            usd=Decimal(data["usd"]),
            calls_moved=data["calls_moved"],
            usd_moved=Decimal(data["usd_moved"]),
            usd_moved_after=_money_in(data["usd_moved_after"]),
            calls_blocked=data["calls_blocked"],
            moves=[Move.from_json(m) for m in data["moves"]],
            # jsonb keeps no key order: put the rules back in the replay's order.
            by_rule=_by_calls(data["by_rule"]),
        )


def _by_calls(by_rule: dict[str, int]) -> dict[str, int]:
    """Calls per rule, most first, ties by name."""
    return dict(sorted(by_rule.items(), key=lambda item: (-item[1], item[0])))


def _money_out(value: Decimal | None) -> str | None:
    # Fixed-point ("0.0000000000", never "0E-10"), as the dashboard's API sends money.
    return None if value is None else format(value, "f")


def _money_in(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


REPLAY_KEY = ("team__slug", "client__name", "model", "task_type", "environment", "risk")
REPLAY_SUMS = ("calls", "cost_usd_e10", "input_tokens", "cached_input_tokens", "output_tokens")


def policy_replay(
    *,
    document: dict[str, Any],
    days: int,
    now: datetime,
    on_progress: Callable[[int, int], None] | None = None,
) -> Replay:
    """Replay the last `days` of calls under a draft: which model each group of
    calls would have gone to, against the model it actually used.

    Reads the hourly roll-ups (team, client, model, task type, environment,
    risk), never the calls; context attributes and targeting keys are not in
    roll-ups, so rules on them see them empty, and budgets, flags and health
    are today's. The cost after a move prices the same tokens at the new
    model's current price (reasoning tokens are part of output tokens).

    The roll-ups are summed one day at a time (`replay_day_add`), calling
    `on_progress(days read, days)` after each; a replay job does the same,
    a day per batch, keeping the sums in its checkpoint. The sums are
    integers (cost in 1e-10 USD), so adding the days up gives exactly what
    one query over the whole range would.
    """
    sums: dict[tuple, dict[str, int]] = {}
    for day in range(days):
        replay_day_add(sums=sums, days=days, day=day, now=now)
        if on_progress is not None:
            on_progress(day + 1, days)
    return replay_from_sums(document=document, days=days, now=now, sums=sums)


def replay_day_add(
    *, sums: dict[tuple, dict[str, int]], days: int, day: int, now: datetime
) -> None:
    """Add day `day` (0: the oldest) of a `days`-day replay ending at `now` to `sums`."""
    start = now - timedelta(days=days)
    for row in call_hour_sums(
        start=start + timedelta(days=day),
        end=start + timedelta(days=day + 1),
        keys=REPLAY_KEY,
        sums=REPLAY_SUMS,
    ):
        totals = sums.setdefault(tuple(row[k] for k in REPLAY_KEY), dict.fromkeys(REPLAY_SUMS, 0))
        for column in REPLAY_SUMS:
            totals[column] += row[column]


def replay_from_sums(
    *, document: dict[str, Any], days: int, now: datetime, sums: dict[tuple, dict[str, int]]
) -> Replay:
    """The replay of the roll-up sums `replay_day_add` gathered."""
    book = price_book()
    compiled = _draft_compiled(document=document, team=None, client=None)
    moves: dict[tuple[str, str], list] = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    by_rule: dict[str, int] = defaultdict(int)
    total_calls, total_usd, blocked = 0, Decimal(0), 0
    for (team, client, model, task_type, environment, risk), totals in sums.items():
        n = totals["calls"]
        context = Context(
            task_type=task_type, risk=risk, environment=environment, team=team, client=client
        )
        decision = compiled.decide(context, now=now, decision_id="replay")
        usd = e10_to_usd(totals["cost_usd_e10"])
        total_calls += n
        total_usd += usd
        by_rule[decision.rule or "(default)"] += n
        if decision.blocked:
            blocked += n
            continue
        if decision.model != model:
            entry = moves[(model, decision.model or "")]
            entry[0] += n
            entry[1] += usd
            after, _ = book.price(
                model=decision.model or "",
                timestamp=now,
                input_tokens=totals["input_tokens"],
                cached_input_tokens=totals["cached_input_tokens"],
                output_tokens=totals["output_tokens"],
            )
            entry[2] = None if after is None or entry[2] is None else entry[2] + after
    # Ties broken by name, so the same roll-ups always list in the same order.
    move_list = sorted(
        (
            Move(from_model=f, to_model=t, calls=c, usd=u, usd_after=a)
            for (f, t), (c, u, a) in moves.items()
        ),
        key=lambda m: (-m.usd, m.from_model, m.to_model),
    )
    afters = [m.usd_after for m in move_list]
    return Replay(
        days=days,
        calls=total_calls,
        usd=total_usd,
        calls_moved=sum(m.calls for m in move_list),
        usd_moved=sum((m.usd for m in move_list), Decimal(0)),
        usd_moved_after=None
        if any(a is None for a in afters)
        else sum((a for a in afters if a is not None), Decimal(0)),
        calls_blocked=blocked,
        moves=move_list,
        by_rule=_by_calls(by_rule),
    )


def replay_job_get(*, job_id: Any) -> ReplayJob | None:
    return ReplayJob.objects.select_related("requested_by").filter(pk=job_id).first()


def replay_jobs_recent(*, limit: int = 10) -> list[ReplayJob]:
    return list(ReplayJob.objects.select_related("requested_by").order_by("-created_at")[:limit])


def policy_versions() -> list[PolicyVersion]:
    return list(PolicyVersion.objects.select_related("published_by").order_by("-number"))


def policy_current() -> PolicyVersion | None:
    return PolicyVersion.objects.order_by("-number").first()


def model_health_list() -> list[ModelHealth]:
    """The organisation's circuits, then each team's that is not healthy."""
    return list(
        ModelHealth.objects.filter(Q(team=None) | ~Q(state=HealthState.HEALTHY))
        .select_related("team")
        .order_by("model", "team__slug")
    )


def decision_rule(*, decision_id: str) -> tuple[int, str | None] | None:
    """(policy version, name of the rule that decided; None for the default)
    for a decision id sent back with a call log; None if it names no version."""
    origin = decision_id_origin(decision_id)
    if origin is None:
        return None
    version_number, position = origin
    version = PolicyVersion.objects.filter(number=version_number).only("document").first()
    if version is None and version_number != 0:
        return None
    rules = (version.document if version else DEFAULT_POLICY).get("rules") or []
    if position == 0:
        return version_number, None
    if position > len(rules):
        return None
    return version_number, rules[position - 1]["name"]

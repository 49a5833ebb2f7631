"""Reads for policies: the decision for a client, dry runs and replays of drafts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from governance.calls.models import CallRollup, Granularity
from governance.catalog.pricing import e10_to_usd
from governance.catalog.selectors import price_book
from governance.engine.policy import DEFAULT_POLICY, CompiledPolicy, Context, Decision
from governance.policies.models import ModelHealth, PolicyVersion
from governance.policies.snapshots import (
    ClientView,
    snapshot_for_client,
    snapshot_global,
    view_build,
)


def policy_view_for(*, client) -> ClientView:
    """The snapshot as this client sees it (built on first use after a fresh install)."""
    view = snapshot_for_client(client_id=client.pk, team=client.team.slug, client=client.name)
    if view is None:
        from governance.policies.services import policy_snapshot_rebuild

        policy_snapshot_rebuild()
        view = snapshot_for_client(client_id=client.pk, team=client.team.slug, client=client.name)
        assert view is not None  # noqa: S101 - just rebuilt
    return view


def policy_decide(*, client, context: Context, now: datetime | None = None) -> Decision:
    """The decision for one request: pure evaluation of the client's snapshot view."""
    return policy_view_for(client=client).compiled.decide(context, now=now)


def _draft_compiled(
    *, document: dict[str, Any], team: str | None, client: str | None
) -> CompiledPolicy:
    from governance.policies.services import snapshot_body_build

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


def policy_replay(*, document: dict[str, Any], days: int, now: datetime) -> Replay:
    """Replay the last `days` of calls under a draft: which model each group of
    calls would have gone to, against the model it actually used.

    Reads the hourly roll-ups (team, client, model, task type, environment,
    risk), never the calls; context attributes and targeting keys are not in
    roll-ups, so rules on them see them empty, and budgets, flags and health
    are today's. The cost after a move prices the same tokens at the new
    model's current price (reasoning tokens are part of output tokens).
    """
    groups = (
        CallRollup.objects.filter(
            granularity=Granularity.HOUR, bucket__gte=now - timedelta(days=days), bucket__lt=now
        )
        .values("team__slug", "client__name", "model", "task_type", "environment", "risk")
        .annotate(
            n=Sum("calls"),
            usd_e10=Sum("cost_usd_e10"),
            input_tokens=Sum("input_tokens"),
            cached_input_tokens=Sum("cached_input_tokens"),
            output_tokens=Sum("output_tokens"),
        )
    )
    book = price_book()
    compiled = _draft_compiled(document=document, team=None, client=None)
    moves: dict[tuple[str, str], list] = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    by_rule: dict[str, int] = defaultdict(int)
    total_calls, total_usd, blocked = 0, Decimal(0), 0
    for g in groups:
        context = Context(
            task_type=g["task_type"],
            risk=g["risk"],
            environment=g["environment"],
            team=g["team__slug"],
            client=g["client__name"],
        )
        decision = compiled.decide(context, now=now, decision_id="replay")
        usd = e10_to_usd(g["usd_e10"])
        total_calls += g["n"]
        total_usd += usd
        by_rule[decision.rule or "(default)"] += g["n"]
        if decision.blocked:
            blocked += g["n"]
            continue
        if decision.model != g["model"]:
            entry = moves[(g["model"], decision.model or "")]
            entry[0] += g["n"]
            entry[1] += usd
            after, _ = book.price(
                model=decision.model or "",
                timestamp=now,
                input_tokens=g["input_tokens"],
                cached_input_tokens=g["cached_input_tokens"],
                output_tokens=g["output_tokens"],
            )
            entry[2] = None if after is None or entry[2] is None else entry[2] + after
    move_list = sorted(
        (
            Move(from_model=f, to_model=t, calls=c, usd=u, usd_after=a)
            for (f, t), (c, u, a) in moves.items()
        ),
        key=lambda m: -m.usd,
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
        by_rule=dict(by_rule),
    )


def policy_versions() -> list[PolicyVersion]:
    return list(PolicyVersion.objects.select_related("published_by").order_by("-number"))


def policy_current() -> PolicyVersion | None:
    return PolicyVersion.objects.order_by("-number").first()


def model_health_list() -> list[ModelHealth]:
    return list(ModelHealth.objects.order_by("model"))


def decision_rule(*, decision_id: str) -> tuple[int, str | None] | None:
    """(policy version, name of the rule that decided; None for the default)
    for a decision id sent back with a call log; None if it names no version."""
    from governance.engine.policy import decision_id_origin

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

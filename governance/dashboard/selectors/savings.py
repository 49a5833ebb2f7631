"""Reads behind the savings page: what moving work to the mini models saved
and would save."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal

from governance.catalog.models import Tier
from governance.catalog.selectors import models_list, price_book
from governance.dashboard.selectors.common import MICRO_USD
from governance.rollups.selectors import RollupFilter, tokens_by_day_model_task


@dataclass(frozen=True)
class Sibling:
    mini: str
    full: str


def model_siblings() -> list[Sibling]:
    """Mini models and the full model their savings are measured against. One query."""

    return [
        Sibling(mini=m.name, full=m.full_counterpart.name)
        for m in models_list()
        if m.tier == Tier.MINI and m.full_counterpart is not None
    ]


@dataclass(frozen=True)
class MiniSaving:
    """What calls on a mini model would have cost on its full sibling."""

    mini: str
    full: str
    calls: int
    cost_usd: Decimal
    cost_at_full_rate_usd: Decimal
    saved_usd: Decimal


@dataclass(frozen=True)
class TaskMove:
    """For one task type now served by a full model: what moving it to the
    mini sibling would save per month (from the filter's days, scaled to 30)."""

    task_type: str
    full: str
    mini: str
    calls: int
    cost_usd: Decimal
    cost_at_mini_rate_usd: Decimal
    saving_usd: Decimal
    monthly_saving_usd: Decimal


@dataclass(frozen=True)
class Savings:
    achieved: list[MiniSaving]
    moves: list[TaskMove]

    @property
    def saved_usd(self) -> Decimal:
        return sum((s.saved_usd for s in self.achieved), Decimal(0))


def savings_summary(*, filters: RollupFilter) -> Savings:
    """Savings achieved by the mini models, and the saving each task type
    would bring if it moved to the mini model. Queries: catalog models, the
    price book's freshness check (plus two to rebuild it after a catalog
    change), roll-up tokens."""
    siblings = model_siblings()
    if not siblings:
        return Savings(achieved=[], moves=[])
    by_mini = {s.mini: s for s in siblings}
    by_full = {s.full: s for s in siblings}
    book = price_book()
    usage = tokens_by_day_model_task(filters=filters, models=sorted(set(by_mini) | set(by_full)))
    achieved: dict[str, list[Decimal | int]] = {}
    moves: dict[tuple[str, str], list[Decimal | int]] = {}
    for u in usage:
        priced_calls = u.calls - u.unpriced_calls
        if not priced_calls:
            continue
        if u.model in by_mini:
            other_model = by_mini[u.model].full
            acc = achieved.setdefault(u.model, [0, Decimal(0), Decimal(0)])
        else:
            other_model = by_full[u.model].mini
            acc = moves.setdefault((u.task_type, u.model), [0, Decimal(0), Decimal(0)])
        # Priced as of noon of the day, by the catalog's one pricing rule
        # (admin price in force, else alias, else the published price).
        other, _ = book.price(
            model=other_model,
            timestamp=datetime.combine(u.day, time(12), tzinfo=UTC),
            input_tokens=u.input_tokens,
            cached_input_tokens=u.cached_input_tokens,
            output_tokens=u.output_tokens,
        )
        if other is None:
            continue
        acc[0] += u.calls
        acc[1] += u.cost_usd
        acc[2] += other
    achieved_rows = [
        MiniSaving(
            mini=mini,
            full=by_mini[mini].full,
            calls=int(n),
            cost_usd=Decimal(cost).quantize(MICRO_USD),
            cost_at_full_rate_usd=Decimal(other).quantize(MICRO_USD),
            saved_usd=(Decimal(other) - Decimal(cost)).quantize(MICRO_USD),
        )
        for mini, (n, cost, other) in sorted(achieved.items())
    ]
    move_rows = []
    for (task_type, full), (n, cost, at_mini_rate) in moves.items():
        saving = Decimal(cost) - Decimal(at_mini_rate)
        move_rows.append(
            TaskMove(
                task_type=task_type,
                full=full,
                mini=by_full[full].mini,
                calls=int(n),
                cost_usd=Decimal(cost).quantize(MICRO_USD),
                cost_at_mini_rate_usd=Decimal(at_mini_rate).quantize(MICRO_USD),
                saving_usd=saving.quantize(MICRO_USD),
                monthly_saving_usd=(saving * 30 / filters.days).quantize(Decimal("0.01")),
            )
        )
    move_rows.sort(key=lambda m: (-m.monthly_saving_usd, m.task_type))
    return Savings(achieved=achieved_rows, moves=move_rows)

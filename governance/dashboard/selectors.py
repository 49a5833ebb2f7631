"""Reads the dashboard owns: cost-per-call percentiles (from the cost
histogram) and the savings of the mini model (roll-up tokens re-priced at
another model's rate)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal

from django.db.models import Max, Sum

from governance.calls.selectors import RollupFilter, rollups_filter, tokens_by_day_model_task
from governance.catalog.pricing import e10_to_usd
from governance.catalog.selectors import price_book
from governance.dashboard.histogram import bin_estimate, percentile_bin
from governance.dashboard.models import CostHistogramRollup

_Q6 = Decimal("0.000001")
P50 = Decimal("0.50")
P95 = Decimal("0.95")


@dataclass(frozen=True)
class CostPercentiles:
    model: str
    calls: int
    mean_usd: Decimal
    p50_usd: Decimal
    p95_usd: Decimal
    max_usd: Decimal


def cost_per_call_percentiles(*, filters: RollupFilter) -> list[CostPercentiles]:
    """p50, p95 (to one histogram bucket) and exact max and mean of the cost
    of a priced call, per model. One query."""
    rows = (
        rollups_filter(filters=filters, queryset=CostHistogramRollup.objects.all())
        .values("model", "bin")
        .annotate(n=Sum("calls"), cost=Sum("cost_usd_e10"), top=Max("max_cost_usd_e10"))
        .order_by("model", "bin")
    )
    counts: dict[str, dict[int, int]] = defaultdict(dict)
    cost: dict[str, Decimal] = defaultdict(Decimal)
    top: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        counts[r["model"]][r["bin"]] = r["n"]
        cost[r["model"]] += e10_to_usd(r["cost"])
        top[r["model"]] = max(top[r["model"]], e10_to_usd(r["top"]))
    result = []
    for model, hist in counts.items():
        n = sum(hist.values())
        mx = top[model].quantize(_Q6)
        result.append(
            CostPercentiles(
                model=model,
                calls=n,
                mean_usd=(cost[model] / n).quantize(_Q6),
                # A bucket's middle can lie above the largest cost seen in it.
                p50_usd=min(bin_estimate(percentile_bin(hist, P50) or 0).quantize(_Q6), mx),
                p95_usd=min(bin_estimate(percentile_bin(hist, P95) or 0).quantize(_Q6), mx),
                max_usd=mx,
            )
        )
    return sorted(result, key=lambda c: c.model)


# ---------------------------------------------------------------- savings


@dataclass(frozen=True)
class Sibling:
    mini: str
    full: str


def model_siblings() -> list[Sibling]:
    """Mini models and the full model their savings are measured against. One query."""
    from governance.catalog.models import Tier
    from governance.catalog.selectors import models_list

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
            cost_usd=Decimal(cost).quantize(_Q6),
            cost_at_full_rate_usd=Decimal(other).quantize(_Q6),
            saved_usd=(Decimal(other) - Decimal(cost)).quantize(_Q6),
        )
        for mini, (n, cost, other) in sorted(achieved.items())
    ]
    move_rows = []
    for (task_type, full), (n, cost, other) in moves.items():
        saving = Decimal(cost) - Decimal(other)
        move_rows.append(
            TaskMove(
                task_type=task_type,
                full=full,
                mini=by_full[full].mini,
                calls=int(n),
                cost_usd=Decimal(cost).quantize(_Q6),
                cost_at_mini_rate_usd=Decimal(other).quantize(_Q6),
                saving_usd=saving.quantize(_Q6),
                monthly_saving_usd=(saving * 30 / filters.days).quantize(Decimal("0.01")),
            )
        )
    move_rows.sort(key=lambda m: (-m.monthly_saving_usd, m.task_type))
    return Savings(achieved=achieved_rows, moves=move_rows)


# ---------------------------------------------------------------- filter bar


@dataclass(frozen=True)
class FilterOptions:
    teams: list[tuple[str, str]]
    models: list[str]
    task_types: list[str]
    environments: list[str]


def filter_options(*, filters: RollupFilter) -> FilterOptions:
    """Choices for the filter bar. Three queries: teams, catalogued models,
    task types seen in the range's daily roll-ups (index on granularity, bucket)."""
    from governance.accounts.models import Team
    from governance.calls.models import CallRollup, Environment, Granularity
    from governance.catalog.models import Model

    teams = list(Team.objects.order_by("slug").values_list("slug", "name"))
    models = list(Model.objects.order_by("name").values_list("name", flat=True))
    task_types = sorted(
        t
        for t in CallRollup.objects.filter(
            granularity=Granularity.DAY, bucket__gte=filters.start_at, bucket__lt=filters.end_before
        )
        .values_list("task_type", flat=True)
        .distinct()
        if t
    )
    return FilterOptions(
        teams=teams, models=models, task_types=task_types, environments=list(Environment.values)
    )

"""Reads behind the spend pages: spend by day, model, client, repository,
fallbacks, tokens and the cost per call."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Max, Q, Sum

from governance.catalog.pricing import e10_to_usd
from governance.catalog.selectors import model_tiers
from governance.dashboard.selectors.common import MICRO_USD
from governance.rollups.histogram import bin_estimate, percentile_bin
from governance.rollups.selectors import (
    RollupFilter,
    cost_histograms,
    day_of,
    money,
    repo_rollups,
    rollups_filter,
)

STACK_DIMENSIONS = {
    "model": "model",
    "team": "team__slug",
    "task_type": "task_type",
    "environment": "environment",
}


@dataclass(frozen=True)
class SpendPoint:
    day: date
    key: str
    calls: int
    cost_usd: Decimal


def spend_by_day(*, filters: RollupFilter, stack_by: str = "model") -> list[SpendPoint]:
    """Spend per UTC day, split by one dimension (model, team, task_type or
    environment): the stacked spend chart. One query."""
    if stack_by not in STACK_DIMENSIONS:
        raise ValueError(f"stack_by must be one of {sorted(STACK_DIMENSIONS)}")
    column = STACK_DIMENSIONS[stack_by]
    rows = (
        rollups_filter(filters=filters)
        .values("bucket", column)
        .annotate(n=Sum("calls"), cost=Sum("cost_usd_e10"))
        .order_by("bucket", column)
    )
    return [
        SpendPoint(
            day=day_of(r["bucket"]),
            key=r[column] or "(none)",
            calls=r["n"],
            cost_usd=money(r["cost"]),
        )
        for r in rows
    ]


@dataclass(frozen=True)
class SpendSummary:
    calls: int
    priced_calls: int
    unpriced_calls: int
    cost_usd: Decimal
    fallback_calls: int
    fallback_cost_usd: Decimal
    retries: int
    latency_ms_avg: int | None

    @property
    def cost_per_call_usd(self) -> Decimal | None:
        # Unpriced calls have no cost, not a zero cost: leave them out.
        if not self.priced_calls:
            return None
        return (self.cost_usd / self.priced_calls).quantize(Decimal("0.000001"))


_SUMMARY_MEASURES = {
    "calls": "calls",
    "unpriced": "unpriced_calls",
    "cost": "cost_usd_e10",
    "fb": "fallback_calls",
    "fb_cost": "fallback_cost_usd_e10",
    "retries": "retries",
    "lat_sum": "latency_ms_sum",
    "lat_n": "latency_count",
}


def spend_summaries(
    *, filters: RollupFilter, ranges: dict[str, tuple[date, date]]
) -> dict[str, SpendSummary]:
    """Totals over several day ranges (e.g. today, this month, the same days
    last month) with the filter's dimensions, in one query: conditional sums
    over the union of the ranges."""
    start = min(r[0] for r in ranges.values())
    end = max(r[1] for r in ranges.values())
    aggregates = {}
    for name, (first, last) in ranges.items():
        window = filters.with_range(start=first, end=last)
        in_window = Q(bucket__gte=window.start_at, bucket__lt=window.end_before)
        for key, column in _SUMMARY_MEASURES.items():
            aggregates[f"{name}__{key}"] = Sum(column, filter=in_window)
    row = rollups_filter(filters=filters.with_range(start=start, end=end)).aggregate(**aggregates)
    result = {}
    for name in ranges:
        agg = {key: row[f"{name}__{key}"] or 0 for key in _SUMMARY_MEASURES}
        result[name] = SpendSummary(
            calls=agg["calls"],
            priced_calls=agg["calls"] - agg["unpriced"],
            unpriced_calls=agg["unpriced"],
            cost_usd=money(agg["cost"]),
            fallback_calls=agg["fb"],
            fallback_cost_usd=money(agg["fb_cost"]),
            retries=agg["retries"],
            latency_ms_avg=round(agg["lat_sum"] / agg["lat_n"]) if agg["lat_n"] else None,
        )
    return result


def spend_summary(*, filters: RollupFilter) -> SpendSummary:
    """Totals over the filter. One query."""
    return spend_summaries(filters=filters, ranges={"range": (filters.start, filters.end)})["range"]


@dataclass(frozen=True)
class ModelSpend:
    model: str
    tier: str
    calls: int
    cost_usd: Decimal
    fallback_calls: int
    fallback_cost_usd: Decimal


def spend_by_model(*, filters: RollupFilter) -> list[ModelSpend]:
    """Calls, cost and fallbacks per model with the model's catalog tier
    ("" when the model is not catalogued). Two queries: roll-ups, catalog."""

    rows = list(
        rollups_filter(filters=filters)
        .values("model")
        .annotate(
            n=Sum("calls"),
            cost=Sum("cost_usd_e10"),
            fb=Sum("fallback_calls"),
            fb_cost=Sum("fallback_cost_usd_e10"),
        )
        .order_by("model")
    )
    tiers = model_tiers()
    result = [
        ModelSpend(
            model=r["model"],
            tier=tiers.get(r["model"], ""),
            calls=r["n"],
            cost_usd=money(r["cost"]),
            fallback_calls=r["fb"],
            fallback_cost_usd=money(r["fb_cost"]),
        )
        for r in rows
    ]
    return sorted(result, key=lambda m: (-m.cost_usd, m.model))


@dataclass(frozen=True)
class ClientSpend:
    client_id: int
    client: str
    team: str
    calls: int
    cost_usd: Decimal


def spend_top_clients(*, filters: RollupFilter, limit: int = 10) -> list[ClientSpend]:
    """The clients that spent most over the filter. One query."""
    rows = (
        rollups_filter(filters=filters)
        .values("client_id", "client__name", "team__slug")
        .annotate(n=Sum("calls"), cost=Sum("cost_usd_e10"))
        .order_by("-cost", "client__name")[:limit]
    )
    return [
        ClientSpend(
            client_id=r["client_id"],
            client=r["client__name"],
            team=r["team__slug"],
            calls=r["n"],
            cost_usd=money(r["cost"]),
        )
        for r in rows
    ]


@dataclass(frozen=True)
class RepoSpend:
    repo: str
    calls: int
    cost_usd: Decimal


def spend_top_repos(*, filters: RollupFilter, limit: int = 10) -> list[RepoSpend]:
    """The repositories that cost most. Repository roll-ups are kept per day
    and team only, so the model, task type and environment filters do not
    apply here (the page says so). One query."""
    qs = repo_rollups(start=filters.start, end=filters.end)
    if filters.teams:
        qs = qs.filter(team__slug__in=filters.teams)
    rows = (
        qs.values("repo")
        .annotate(n=Sum("calls"), cost=Sum("cost_usd_e10"))
        .order_by("-cost", "repo")[:limit]
    )
    return [RepoSpend(repo=r["repo"], calls=r["n"], cost_usd=money(r["cost"])) for r in rows]


@dataclass(frozen=True)
class FallbackPoint:
    day: date
    model: str
    fallback_calls: int
    fallback_cost_usd: Decimal


def spend_fallbacks_by_day(*, filters: RollupFilter) -> list[FallbackPoint]:
    """Calls that fell back to another model, per day and the model that
    served them, and what they cost. One query."""
    rows = (
        rollups_filter(filters=filters)
        .filter(fallback_calls__gt=0)
        .values("bucket", "model")
        .annotate(fb=Sum("fallback_calls"), cost=Sum("fallback_cost_usd_e10"))
        .order_by("bucket", "model")
    )
    return [
        FallbackPoint(
            day=day_of(r["bucket"]),
            model=r["model"],
            fallback_calls=r["fb"],
            fallback_cost_usd=money(r["cost"]),
        )
        for r in rows
    ]


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
    of a priced call, per model. The histogram is kept per day, team and
    model only, so the task type and environment filters do not apply here
    (the page says so). One query."""
    unfiltered = RollupFilter(
        start=filters.start, end=filters.end, teams=filters.teams, models=filters.models
    )
    rows = (
        rollups_filter(filters=unfiltered, queryset=cost_histograms())
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
        mx = top[model].quantize(MICRO_USD)
        result.append(
            CostPercentiles(
                model=model,
                calls=n,
                mean_usd=(cost[model] / n).quantize(MICRO_USD),
                # A bucket's middle can lie above the largest cost seen in it.
                p50_usd=min(bin_estimate(percentile_bin(hist, P50) or 0).quantize(MICRO_USD), mx),
                p95_usd=min(bin_estimate(percentile_bin(hist, P95) or 0).quantize(MICRO_USD), mx),
                max_usd=mx,
            )
        )
    return sorted(result, key=lambda c: c.model)

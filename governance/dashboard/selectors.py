"""Reads behind the dashboard's pages.

Every page selector reads the dashboard's slim daily roll-up (DailyRollup:
day x team x client x model x task type x environment), never the raw
calls, so a page costs the same at ten thousand calls as at five million:
the work grows with days x dimensions, not with calls. Cost-per-call
percentiles come from the cost histogram; savings re-price roll-up token
sums with the catalog's price book.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Max, Q, QuerySet, Sum

from governance.calls.models import Call
from governance.catalog.pricing import e10_to_usd
from governance.catalog.selectors import price_book
from governance.rollups.histogram import bin_estimate, percentile_bin
from governance.rollups.selectors import cost_histograms, daily_rollups, repo_rollups

ZERO = Decimal("0")


@dataclass(frozen=True)
class RollupFilter:
    """What a dashboard view asks for: whole UTC days from `start` to `end`
    (both included), optionally narrowed to teams (slugs), models, task types
    and environments. Empty tuples mean "all"."""

    start: date
    end: date
    teams: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    task_types: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def end_before(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def with_range(self, *, start: date, end: date) -> RollupFilter:
        return RollupFilter(
            start=start,
            end=end,
            teams=self.teams,
            models=self.models,
            task_types=self.task_types,
            environments=self.environments,
        )

    def as_query(self) -> dict[str, list[str] | str]:
        """The filter as URL query parameters (what the pages put in links)."""
        query: dict[str, list[str] | str] = {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }
        for key, values in (
            ("team", self.teams),
            ("model", self.models),
            ("task_type", self.task_types),
            ("environment", self.environments),
        ):
            if values:
                query[key] = list(values)
        return query


def dimensions_filter(*, filters: RollupFilter, queryset: QuerySet, time_field: str) -> QuerySet:
    """Narrow any queryset with the filter's dimension columns (team, model,
    task_type, environment) and its time range on `time_field`."""
    qs = queryset.filter(
        **{f"{time_field}__gte": filters.start_at, f"{time_field}__lt": filters.end_before}
    )
    if filters.teams:
        qs = qs.filter(team__slug__in=filters.teams)
    if filters.models:
        qs = qs.filter(model__in=filters.models)
    if filters.task_types:
        qs = qs.filter(task_type__in=filters.task_types)
    if filters.environments:
        qs = qs.filter(environment__in=filters.environments)
    return qs


def rollups_filter(*, filters: RollupFilter, queryset: QuerySet | None = None) -> QuerySet:
    """Dashboard daily roll-up rows (or rows of any model with the same
    dimension columns and a `bucket`, e.g. the cost histogram) matching the filter."""
    qs = queryset if queryset is not None else daily_rollups()
    return dimensions_filter(filters=filters, queryset=qs, time_field="bucket")


def calls_filter(*, filters: RollupFilter) -> QuerySet:
    """Raw calls matching the filter: for exports only, never for a page."""
    return dimensions_filter(filters=filters, queryset=Call.objects.all(), time_field="timestamp")


def _day(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _money(value_e10: int | None) -> Decimal:
    return e10_to_usd(value_e10)


# ---------------------------------------------------------------- spend

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
            day=_day(r["bucket"]),
            key=r[column] or "(none)",
            calls=r["n"],
            cost_usd=_money(r["cost"]),
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
            cost_usd=_money(agg["cost"]),
            fallback_calls=agg["fb"],
            fallback_cost_usd=_money(agg["fb_cost"]),
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
    from governance.catalog.models import Model

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
    tiers = dict(
        Model.objects.filter(name__in=[r["model"] for r in rows]).values_list("name", "tier")
    )
    result = [
        ModelSpend(
            model=r["model"],
            tier=tiers.get(r["model"], ""),
            calls=r["n"],
            cost_usd=_money(r["cost"]),
            fallback_calls=r["fb"],
            fallback_cost_usd=_money(r["fb_cost"]),
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
            cost_usd=_money(r["cost"]),
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
    return [RepoSpend(repo=r["repo"], calls=r["n"], cost_usd=_money(r["cost"])) for r in rows]


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
            day=_day(r["bucket"]),
            model=r["model"],
            fallback_calls=r["fb"],
            fallback_cost_usd=_money(r["cost"]),
        )
        for r in rows
    ]


@dataclass(frozen=True)
class TokenUse:
    """Tokens used per UTC day, model and task type: what a re-pricing at
    another model's rate needs."""

    day: date
    model: str
    task_type: str
    calls: int
    input_tokens: int
    cached_input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    cost_usd: Decimal
    unpriced_calls: int = 0


def tokens_by_day_model_task(
    *, filters: RollupFilter, models: list[str] | None = None
) -> list[TokenUse]:
    """Token sums per day, model and task type (optionally only some models).
    One query."""
    qs = rollups_filter(filters=filters)
    if models is not None:
        qs = qs.filter(model__in=models)
    rows = (
        qs.values("bucket", "model", "task_type")
        .annotate(
            n=Sum("calls"),
            i=Sum("input_tokens"),
            c=Sum("cached_input_tokens"),
            o=Sum("output_tokens"),
            r=Sum("reasoning_tokens"),
            cost=Sum("cost_usd_e10"),
            unpriced=Sum("unpriced_calls"),
        )
        .order_by("bucket", "model", "task_type")
    )
    return [
        TokenUse(
            day=_day(r["bucket"]),
            model=r["model"],
            task_type=r["task_type"],
            calls=r["n"],
            input_tokens=r["i"],
            cached_input_tokens=r["c"],
            output_tokens=r["o"],
            reasoning_tokens=r["r"],
            cost_usd=_money(r["cost"]),
            unpriced_calls=r["unpriced"],
        )
        for r in rows
    ]


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
    for (task_type, full), (n, cost, at_mini_rate) in moves.items():
        saving = Decimal(cost) - Decimal(at_mini_rate)
        move_rows.append(
            TaskMove(
                task_type=task_type,
                full=full,
                mini=by_full[full].mini,
                calls=int(n),
                cost_usd=Decimal(cost).quantize(_Q6),
                cost_at_mini_rate_usd=Decimal(at_mini_rate).quantize(_Q6),
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
    task types seen in the range's daily roll-ups (index on bucket)."""
    from governance.accounts.models import Team
    from governance.calls.models import Environment
    from governance.catalog.models import Model

    teams = list(Team.objects.order_by("slug").values_list("slug", "name"))
    models = list(Model.objects.order_by("name").values_list("name", flat=True))
    task_types = sorted(
        t
        for t in daily_rollups()
        .filter(bucket__gte=filters.start_at, bucket__lt=filters.end_before)
        .values_list("task_type", flat=True)
        .distinct()
        if t
    )
    return FilterOptions(
        teams=teams, models=models, task_types=task_types, environments=list(Environment.values)
    )


def quality_scope(*, filters: RollupFilter) -> dict:
    """The dashboard filter in the quality app's terms: its selectors take one
    team (by id), one model and one task type, so a filter naming several
    of one of them reads all of them. One query when a team is named."""
    from governance.accounts.models import Team

    team_id = None
    if len(filters.teams) == 1:
        team_id = (
            Team.objects.filter(slug=filters.teams[0]).values_list("pk", flat=True).first() or -1
        )
    return {
        "start": filters.start_at,
        "end": filters.end_before,
        "team_id": team_id,
        "model": filters.models[0] if len(filters.models) == 1 else None,
        "task_type": filters.task_types[0] if len(filters.task_types) == 1 else None,
    }


def team_ids(*, filters: RollupFilter) -> list[int] | None:
    """The filter's teams as ids (None: every team). One query when teams are named."""
    from governance.accounts.models import Team

    if not filters.teams:
        return None
    return list(Team.objects.filter(slug__in=filters.teams).values_list("pk", flat=True))

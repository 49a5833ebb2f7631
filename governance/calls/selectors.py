"""Reads of calls. Pages and charts read the roll-ups; only the call list
and exports read raw calls, always by an indexed range.

The dashboard selectors (below `calls_list`) read the daily roll-ups only,
so a page costs the same at ten thousand calls as at five million: the work
grows with days x dimensions, not with calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import QuerySet, Sum

from governance.calls.models import Call, CallRollup, Granularity, RepoRollup
from governance.catalog.pricing import e10_to_usd


def calls_list(
    *,
    team_ids: list[int] | None,
    since: datetime | None = None,
    until: datetime | None = None,
    model: str | None = None,
    task_type: str | None = None,
    status: str | None = None,
) -> QuerySet[Call]:
    """Calls newest first; `team_ids=None` means every team (managers and admins)."""
    qs = Call.objects.all()
    if team_ids is not None:
        qs = qs.filter(team_id__in=team_ids)
    if since is not None:
        qs = qs.filter(timestamp__gte=since)
    if until is not None:
        qs = qs.filter(timestamp__lt=until)
    if model:
        qs = qs.filter(model=model)
    if task_type:
        qs = qs.filter(task_type=task_type)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("team", "client").order_by("-timestamp", "-id")


# ---------------------------------------------------------------- dashboard

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
    """Daily roll-up rows (or rows of any model with the same dimension
    columns and a `bucket`, e.g. the cost histogram) matching the filter."""
    qs = (
        queryset if queryset is not None else CallRollup.objects.filter(granularity=Granularity.DAY)
    )
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


def spend_summary(*, filters: RollupFilter) -> SpendSummary:
    """Totals over the filter. One query."""
    qs = rollups_filter(filters=filters)
    agg = qs.aggregate(
        calls=Sum("calls"),
        unpriced=Sum("unpriced_calls"),
        cost=Sum("cost_usd_e10"),
        fb=Sum("fallback_calls"),
        fb_cost=Sum("fallback_cost_usd_e10"),
        retries=Sum("retries"),
        lat_sum=Sum("latency_ms_sum"),
        lat_n=Sum("latency_count"),
    )
    calls = agg["calls"] or 0
    unpriced = agg["unpriced"] or 0
    lat_n = agg["lat_n"] or 0
    return SpendSummary(
        calls=calls,
        priced_calls=calls - unpriced,
        unpriced_calls=unpriced,
        cost_usd=_money(agg["cost"]),
        fallback_calls=agg["fb"] or 0,
        fallback_cost_usd=_money(agg["fb_cost"]),
        retries=agg["retries"] or 0,
        latency_ms_avg=round(agg["lat_sum"] / lat_n) if lat_n else None,
    )


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
    qs = RepoRollup.objects.filter(day__gte=filters.start, day__lte=filters.end)
    if filters.teams:
        qs = qs.filter(team__slug__in=filters.teams)
    rows = (
        qs.values("repo")
        .annotate(n=Sum("calls"), cost=Sum("cost_usd_e10"))
        .order_by("-cost", "repo")[:limit]
    )
    return [RepoSpend(repo=r["repo"], calls=r["n"], cost_usd=_money(r["cost"])) for r in rows]


@dataclass(frozen=True)
class StatusCount:
    status: str
    calls: int


def spend_by_status(*, filters: RollupFilter) -> list[StatusCount]:
    """Calls per outcome (ok, error, timeout, ...). One query."""
    rows = (
        rollups_filter(filters=filters)
        .values("status")
        .annotate(n=Sum("calls"))
        .order_by("-n", "status")
    )
    return [StatusCount(status=r["status"], calls=r["n"]) for r in rows]


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

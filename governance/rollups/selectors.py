"""Reads of the roll-ups: every page, budget and replay that sums calls reads
them through here, never the raw calls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum

from governance.catalog.pricing import e10_to_usd
from governance.rollups.models import (
    CallRollup,
    CostHistogramRollup,
    DailyRollup,
    RepoRollup,
    TeamHourRollup,
)


def daily_rollups() -> QuerySet[DailyRollup]:
    """Calls per UTC day, team, client, model, task type and environment, with
    every measure: what the spend pages narrow and sum (index on bucket)."""
    return DailyRollup.objects.all()


def cost_histograms() -> QuerySet[CostHistogramRollup]:
    """Priced calls per UTC day, team, model and cost bucket (index on bucket)."""
    return CostHistogramRollup.objects.all()


def repo_rollups(*, start: date, end: date) -> QuerySet[RepoRollup]:
    """Calls and cost per repository, team and UTC day, from `start` to `end` included."""
    return RepoRollup.objects.filter(day__gte=start, day__lte=end)


def team_hours(*, start: datetime, end: datetime) -> QuerySet[TeamHourRollup]:
    """Calls, tokens and cost per team and UTC hour, for hours starting in [start, end)."""
    return TeamHourRollup.objects.filter(bucket__gte=start, bucket__lt=end)


def call_hour_sums(
    *, start: datetime, end: datetime, keys: tuple[str, ...], sums: tuple[str, ...]
) -> list[dict[str, Any]]:
    """The hourly call roll-ups of [start, end) summed by the database over
    every dimension but `keys`: one dict per key with each of `sums`."""
    rows = (
        CallRollup.objects.filter(bucket__gte=start, bucket__lt=end)
        .values(*keys)
        .annotate(**{f"sum_{column}": Sum(column) for column in sums})
        .order_by()
    )
    # An annotation may not take a column's own name, hence the prefix.
    return [
        {**{k: row[k] for k in keys}, **{column: row[f"sum_{column}"] for column in sums}}
        for row in rows
    ]


# ------------------------------------------ the filter every reader narrows by


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


def day_of(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def money(value_e10: int | None) -> Decimal:
    return e10_to_usd(value_e10)


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
            day=day_of(r["bucket"]),
            model=r["model"],
            task_type=r["task_type"],
            calls=r["n"],
            input_tokens=r["i"],
            cached_input_tokens=r["c"],
            output_tokens=r["o"],
            reasoning_tokens=r["r"],
            cost_usd=money(r["cost"]),
            unpriced_calls=r["unpriced"],
        )
        for r in rows
    ]

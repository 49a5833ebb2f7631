"""Reads of the roll-ups: every page, budget and replay that sums calls reads
them through here, never the raw calls."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet, Sum

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

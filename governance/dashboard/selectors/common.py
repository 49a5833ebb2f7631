"""The dashboard's filter and what every page selector shares: the filter's
query over the roll-ups, the filter bar's choices, and money and day helpers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from governance.accounts.models import Team
from governance.calls.models import Environment
from governance.calls.selectors import calls_all
from governance.catalog.selectors import model_tiers
from governance.rollups.selectors import (
    RollupFilter,
    daily_rollups,
    dimensions_filter,
)

ZERO = Decimal("0")
# Money on the pages is rounded to a millionth of a dollar.
MICRO_USD = Decimal("0.000001")


def calls_filter(*, filters: RollupFilter) -> QuerySet:
    """Raw calls matching the filter: for exports only, never for a page."""
    return dimensions_filter(filters=filters, queryset=calls_all(), time_field="timestamp")


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

    teams = list(Team.objects.order_by("slug").values_list("slug", "name"))
    models = sorted(model_tiers())
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

    if not filters.teams:
        return None
    return list(Team.objects.filter(slug__in=filters.teams).values_list("pk", flat=True))

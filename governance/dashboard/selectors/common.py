"""The dashboard's filter and what every page selector shares: the filter's
query over the roll-ups, the filter bar's choices, and money and day helpers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import QuerySet

from governance.calls.models import Call
from governance.catalog.pricing import e10_to_usd
from governance.rollups.selectors import daily_rollups

ZERO = Decimal("0")
# Money on the pages is rounded to a millionth of a dollar.
MICRO_USD = Decimal("0.000001")


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


def day_of(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def money(value_e10: int | None) -> Decimal:
    return e10_to_usd(value_e10)


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

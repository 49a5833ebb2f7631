"""Reads for budgets: spend, percentage, state and forecast.

Spend is summed from the team-hour roll-up (`TeamHourRollup`) that the
ingestion path keeps in the same transaction as the calls, so it is current
without ever rescanning calls, reads at most 24 rows a day per team whatever
the volume, and equals the sum over the calls themselves (see
`budget_spend_from_calls`, which the tests and `budgets_verify` compare).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate

from governance.budgets.models import Budget, BudgetState, Unit
from governance.budgets.periods import PeriodBounds, period_bounds
from governance.calls.selectors import calls_cost, calls_tokens
from governance.catalog.pricing import e10_to_usd
from governance.rollups.selectors import team_hours

ZERO = Decimal("0")
HUNDRED = Decimal("100")
CENT = Decimal("0.01")

_STATE_ORDER = {
    BudgetState.NORMAL: 0,
    BudgetState.FALLBACK: 1,
    BudgetState.RESERVE_ONLY: 2,
    BudgetState.EXHAUSTED: 3,
}


@dataclass(frozen=True)
class BudgetStatus:
    budget: Budget
    bounds: PeriodBounds
    spend: Decimal
    percent: Decimal
    state: str
    forecast_exhausted_at: datetime | None

    @property
    def remaining(self) -> Decimal:
        return max(ZERO, self.budget.limit - self.spend)


def budget_state_for(*, percent: Decimal, threshold: Decimal, reserve_pct: Decimal) -> str:
    """exhausted at 100 %, reserve-only inside the last `reserve_pct` %,
    fallback from the threshold on, normal below it."""
    if percent >= HUNDRED:
        return BudgetState.EXHAUSTED
    if reserve_pct > 0 and percent >= HUNDRED - reserve_pct:
        return BudgetState.RESERVE_ONLY
    if percent >= threshold:
        return BudgetState.FALLBACK
    return BudgetState.NORMAL


def worst_state(states: list[str]) -> str:
    return max(states, key=lambda s: _STATE_ORDER[BudgetState(s)], default=BudgetState.NORMAL)


def budget_percent(*, spend: Decimal, limit: Decimal) -> Decimal:
    return (spend * HUNDRED / limit).quantize(CENT, rounding=ROUND_HALF_UP)


def budget_forecast(
    *, spend: Decimal, limit: Decimal, bounds: PeriodBounds, now: datetime
) -> datetime | None:
    """When spend reaches the limit at the burn rate of the period so far;
    None when it will not within this period (or nothing is spent yet)."""
    if spend >= limit:
        return now
    elapsed = (now - bounds.start).total_seconds()
    if spend <= 0 or elapsed <= 0:
        return None
    rate = spend / Decimal(str(elapsed))  # units per second
    seconds_left = (limit - spend) / rate
    end_of_spend = now.timestamp() + float(seconds_left)
    if end_of_spend >= bounds.end.timestamp():
        return None
    return datetime.fromtimestamp(int(end_of_spend), tz=now.tzinfo)


def _rollup_spend(*, budgets: list[Budget], bounds: dict[int, PeriodBounds]) -> dict[int, Decimal]:
    """Spend per budget from the team-hour roll-ups, in one query: a sum per
    budget over its own team and period, computed by the database."""
    if not budgets:
        return {}
    earliest = min(b.start for b in bounds.values())
    latest = max(b.end for b in bounds.values())
    sums = {}
    for budget in budgets:
        b = bounds[budget.pk]
        # An hour counts towards the period that holds its start.
        holds = Q(bucket__gte=b.start, bucket__lt=b.end)
        if budget.team_id is not None:
            holds &= Q(team_id=budget.team_id)
        column = "tokens" if budget.unit == Unit.TOKENS else "cost_usd_e10"
        sums[f"b{budget.pk}"] = Coalesce(Sum(column, filter=holds), 0)
    row = team_hours(start=earliest, end=latest).aggregate(**sums)
    return {
        budget.pk: Decimal(row[f"b{budget.pk}"])
        if budget.unit == Unit.TOKENS
        else e10_to_usd(row[f"b{budget.pk}"])
        for budget in budgets
    }


def budget_spend_from_calls(*, budget: Budget, bounds: PeriodBounds) -> Decimal:
    """The same spend, rebuilt from the raw calls (for verification, never on
    a request path). Calls are taken per UTC hour the way the roll-ups bucket
    them, so the two agree exactly in every zone."""
    start, end = _ceil_hour(bounds.start), _ceil_hour(bounds.end)
    if budget.unit == Unit.TOKENS:
        return Decimal(calls_tokens(start=start, end=end, team_id=budget.team_id))
    return calls_cost(start=start, end=end, team_id=budget.team_id)


def _ceil_hour(moment: datetime) -> datetime:
    floor = moment.replace(minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(hours=1)


def budgets_visible(*, team=None) -> QuerySet[Budget]:
    """A team sees its own budgets and the organisation's; None means all."""
    qs = Budget.objects.select_related("team")
    if team is not None:
        qs = qs.filter(Q(team=team) | Q(team__isnull=True))
    return qs


def budgets_status(
    *, now: datetime, team=None, budgets: list[Budget] | None = None
) -> list[BudgetStatus]:
    """Spend, percentage, state and forecast of each budget (two queries:
    the budgets, and the roll-ups grouped per team and hour)."""
    if budgets is None:
        budgets = list(budgets_visible(team=team))
    bounds = {b.pk: period_bounds(period=b.period, tz=b.timezone, now=now) for b in budgets}
    spend = _rollup_spend(budgets=budgets, bounds=bounds)
    result = []
    for budget in budgets:
        amount = spend[budget.pk] if budget.pk in spend else ZERO
        percent = budget_percent(spend=amount, limit=budget.limit)
        result.append(
            BudgetStatus(
                budget=budget,
                bounds=bounds[budget.pk],
                spend=amount,
                percent=percent,
                state=budget_state_for(
                    percent=percent,
                    threshold=budget.fallback_threshold_pct,
                    reserve_pct=budget.reserve_pct,
                ),
                forecast_exhausted_at=budget_forecast(
                    spend=amount, limit=budget.limit, bounds=bounds[budget.pk], now=now
                ),
            )
        )
    return result


@dataclass(frozen=True)
class BurndownPoint:
    day: datetime  # local midnight of the day, as an aware UTC instant
    spend: Decimal  # spent in the period up to the end of that day
    remaining: Decimal


def budget_burndown(*, budget: Budget, now: datetime) -> list[BurndownPoint]:
    """Cumulative spend at the end of each local day of the current period,
    up to today (for the burn-down chart; the forecast is in budgets_status).
    One query: the period's team-hour roll-ups of the budget's team (of every
    team for an organisation budget), summed per local day."""
    bounds = period_bounds(period=budget.period, tz=budget.timezone, now=now)
    rows = team_hours(start=bounds.start, end=bounds.end)
    if budget.team_id is not None:
        rows = rows.filter(team_id=budget.team_id)
    zone = ZoneInfo(budget.timezone)
    column = "tokens" if budget.unit == Unit.TOKENS else "cost_usd_e10"
    # Each hour to the local day that holds its start, summed by the database.
    per_local_day = (
        rows.annotate(day=TruncDate("bucket", tzinfo=zone))
        .values("day")
        .annotate(amount=Coalesce(Sum(column), 0))
        .order_by()
    )
    per_day: dict = defaultdict(lambda: ZERO)
    for row in per_local_day:
        per_day[row["day"]] = (
            Decimal(row["amount"]) if budget.unit == Unit.TOKENS else e10_to_usd(row["amount"])
        )
    points, total = [], ZERO
    day = bounds.start.astimezone(zone).date()
    last = min(now, bounds.end - timedelta(microseconds=1)).astimezone(zone).date()
    while day <= last:
        total += per_day[day]
        start = datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(UTC)
        points.append(
            BurndownPoint(day=start, spend=total, remaining=max(ZERO, budget.limit - total))
        )
        day += timedelta(days=1)
    return points

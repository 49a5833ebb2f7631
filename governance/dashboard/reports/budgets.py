"""The Budgets page: each budget's burn-down this period and when it is forecast to run out."""

from __future__ import annotations

from django.utils import timezone

from governance.budgets import selectors as budgets
from governance.dashboard import charts, selectors
from governance.dashboard.reports.base import Metric, Page, Table
from governance.dashboard.selectors import RollupFilter


def budget_statuses(*, filters: RollupFilter) -> list:
    """This period's status of each budget of the filter's teams (all teams:
    every budget). Two queries: the budgets, and their spend."""
    team_ids = selectors.team_ids(filters=filters)
    visible = budgets.budgets_visible()
    if team_ids is not None:
        visible = visible.filter(team_id__in=team_ids)
    return budgets.budgets_status(now=timezone.now(), budgets=list(visible))


# One burn-down chart per budget, each one query; a page shows at most this many.
MAX_BURNDOWNS = 12


def budgets_page(*, filters: RollupFilter, now) -> Page:
    """Burn-down per budget with its threshold and reserve lines and the
    forecast of its exhaustion. Budgets keep their own periods, so only the
    team filter applies. Reads the budgets app's selectors."""

    statuses = budget_statuses(filters=filters)
    statuses.sort(
        key=lambda s: (-s.percent, s.budget.team.slug if s.budget.team else "", s.budget.name)
    )
    chart_list = []
    for status in statuses[:MAX_BURNDOWNS]:
        b = status.budget
        owner = b.team.name if b.team else "Organisation"
        chart_list.append(
            charts.burndown_chart(
                key=f"burndown_{b.pk}",
                title=f"{owner} · {b.name}: {b.get_unit_display()} left this {b.get_period_display().lower()}",
                points=budgets.budget_burndown(budget=b, now=now),
                limit=b.limit,
                threshold_pct=b.fallback_threshold_pct,
                reserve_pct=b.reserve_pct,
                forecast_at=status.forecast_exhausted_at,
                period_end=status.bounds.end,
            )
        )
    near = [s for s in statuses if s.state != "normal"]
    forecasts = [s.forecast_exhausted_at for s in statuses if s.forecast_exhausted_at is not None]
    return Page(
        key="budgets",
        title="Budget burn-down",
        metrics=[
            Metric("budgets", "Budgets", len(statuses), "int"),
            Metric("near_or_over", "At or past their fallback threshold", len(near), "int"),
            Metric("exhausted", "Exhausted", sum(1 for s in statuses if s.state == "exhausted"), "int"),
        ],
        charts=chart_list,
        tables=[
            Table(
                "budgets",
                "Budgets this period",
                [("team", "Team"), ("name", "Budget"), ("unit", "Unit"), ("period", "Period"), ("limit", "Limit"),
                 ("spend", "Spent"), ("percent", "Spent (%)"), ("state", "State"),
                 ("forecast", "Runs out (forecast, UTC)")],
                [
                    {"team": s.budget.team.slug if s.budget.team else "(organisation)", "name": s.budget.name,
                     "unit": s.budget.unit, "period": s.budget.period, "limit": s.budget.limit, "spend": s.spend,
                     "percent": s.percent, "state": s.state,
                     "forecast": s.forecast_exhausted_at.strftime("%Y-%m-%d %H:%M") if s.forecast_exhausted_at else ""}
                    for s in statuses
                ],
                note=f"Budgets follow the team filter only. Earliest forecast exhaustion: "
                f"{min(forecasts):%Y-%m-%d %H:%M} UTC." if forecasts else "Budgets follow the team filter only.",
            )
        ],
    )  # fmt: skip

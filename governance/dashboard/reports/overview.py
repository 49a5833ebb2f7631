"""The Overview page: spend, calls, the mini model's share, quality and budgets at a glance."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from django.urls import reverse

from governance.dashboard import charts, selectors
from governance.dashboard.reports.base import Metric, Page, Table, pct, table_rows
from governance.dashboard.reports.budgets import budget_statuses
from governance.dashboard.selectors import RollupFilter
from governance.policies.selectors import model_health_list
from governance.quality import selectors as quality


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _same_period_last_month(today: date) -> tuple[date, date]:
    last_month_end = _month_start(today) - timedelta(days=1)
    start = _month_start(last_month_end)
    day = min(today.day, calendar.monthrange(start.year, start.month)[1])
    return start, start.replace(day=day)


def overview_page(*, filters: RollupFilter, today: date, link: Callable[..., str]) -> Page:
    """Spend today / this month / versus last month, calls, cost per call,
    the mini model's share and fallbacks, the generated-test pass rate and
    open quality alerts. Queries: 1 for the four summaries, 2 for the models (roll-ups +
    catalog tiers), 1 for the trend, 3 for quality (runs, linked calls, alerts),
    2 for budgets, 1 for model health."""

    scope = selectors.quality_scope(filters=filters)
    runs = quality.pass_rates(group_by=("model",), **scope)
    alerts = quality.quality_alerts(team_id=scope["team_id"], state="open", limit=200)
    passed, executed = sum(r.passed for r in runs), sum(r.executed for r in runs)
    budget_states = budget_statuses(filters=filters)
    degraded = [h.model for h in model_health_list() if h.state != "healthy"]
    lm_start, lm_end = _same_period_last_month(today)
    sums = selectors.spend_summaries(
        filters=filters,
        ranges={
            "today": (today, today),
            "month": (_month_start(today), today),
            "last": (lm_start, lm_end),
            "range": (filters.start, filters.end),
        },
    )
    today_sum, month_sum, last_sum, range_sum = (
        sums["today"],
        sums["month"],
        sums["last"],
        sums["range"],
    )
    by_model = selectors.spend_by_model(filters=filters)
    trend = selectors.spend_by_day(filters=filters, stack_by="model")
    mini_calls = sum(m.calls for m in by_model if m.tier == "mini")
    change = None
    if last_sum.cost_usd:
        change = ((month_sum.cost_usd - last_sum.cost_usd) * 100 / last_sum.cost_usd).quantize(
            Decimal("0.1")
        )
    metrics = [
        Metric(
            "spend_today",
            "Spend today",
            today_sum.cost_usd,
            "usd",
            link("spend", start=today, end=today),
        ),
        Metric(
            "spend_month",
            "Spend this month",
            month_sum.cost_usd,
            "usd",
            link("spend", start=_month_start(today), end=today),
            note=f"vs {last_sum.cost_usd:,.2f} USD same days last month"
            if last_sum.calls
            else "no calls recorded the same days last month",
        ),
        Metric(
            "spend_change_pct",
            "Versus last month",
            change,
            "pct_change",
            link("spend", start=lm_start, end=today),
        ),
        Metric("calls", "Calls", range_sum.calls, "int", link("spend")),
        Metric(
            "cost_per_call",
            "Cost per call",
            range_sum.cost_per_call_usd,
            "usd_small",
            link("spend"),
        ),
        Metric(
            "mini_share_pct",
            "Calls on a mini model",
            pct(mini_calls, range_sum.calls),
            "pct",
            link("savings"),
        ),
        Metric(
            "fallback_calls",
            "Calls that fell back",
            range_sum.fallback_calls,
            "int",
            link("spend"),
            note=f"{range_sum.fallback_cost_usd:,.2f} USD",
        ),
        Metric("unpriced_calls", "Unpriced calls", range_sum.unpriced_calls, "int", link("spend")),
        Metric(
            "pass_rate_pct",
            "Generated-test pass rate",
            pct(passed, executed),
            "pct",
            link("quality"),
            note=f"{executed:,} tests run",
        ),
        Metric("open_alerts", "Open quality alerts", len(alerts), "int", link("quality")),
        Metric(
            "budgets_near_or_over",
            "Budgets at or past their threshold",
            sum(1 for b in budget_states if b.state != "normal"),
            "int",
            link("budgets"),
            note=f"of {len(budget_states)} budgets",
        ),
        Metric(
            "degraded_models",
            "Models degraded (circuit open)",
            len(degraded),
            "int",
            reverse("policies:editor"),
            note=", ".join(degraded) if degraded else "all models healthy",
        ),
    ]
    return Page(
        key="overview",
        title="Overview",
        metrics=metrics,
        charts=[
            charts.spend_stacked_chart(
                points=trend, start=filters.start, end=filters.end, stack_by="model"
            ),
            charts.model_share_chart(rows=by_model),
        ],
        tables=[
            Table(
                "by_model",
                "Spend by model",
                [
                    ("model", "Model"),
                    ("tier", "Tier"),
                    ("calls", "Calls"),
                    ("cost_usd", "Cost (USD)"),
                    ("fallback_calls", "Fell back"),
                    ("fallback_cost_usd", "Fallback cost (USD)"),
                ],
                table_rows(
                    by_model,
                    ["model", "tier", "calls", "cost_usd", "fallback_calls", "fallback_cost_usd"],
                ),
            ),
            Table(
                "spend_by_day",
                "Spend per day and model",
                [("day", "Day"), ("key", "Model"), ("calls", "Calls"), ("cost_usd", "Cost (USD)")],
                table_rows(trend, ["day", "key", "calls", "cost_usd"]),
            ),
        ],
    )

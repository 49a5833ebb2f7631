"""The Spend page: spend over time, cost per call, top clients and repositories, fallbacks."""

from __future__ import annotations

from governance.dashboard import charts, selectors
from governance.dashboard.reports.base import Metric, Page, Table, table_rows
from governance.dashboard.selectors import RollupFilter
from governance.quality import selectors as quality


def spend_page(*, filters: RollupFilter, stack_by: str) -> Page:
    """Queries: trend, summary, cost histogram, top clients, top repos,
    fallbacks per day, models (+ catalog tiers), escalated test runs (runs +
    linked calls)."""

    runs = quality.pass_rates(group_by=("model",), **selectors.quality_scope(filters=filters))
    trend = selectors.spend_by_day(filters=filters, stack_by=stack_by)
    summary = selectors.spend_summary(filters=filters)
    percentiles = selectors.cost_per_call_percentiles(filters=filters)
    clients = selectors.spend_top_clients(filters=filters)
    repos = selectors.spend_top_repos(filters=filters)
    fallbacks = selectors.spend_fallbacks_by_day(filters=filters)
    by_model = selectors.spend_by_model(filters=filters)
    label = stack_by.replace("_", " ").capitalize()
    return Page(
        key="spend",
        title="Spend",
        metrics=[
            Metric("spend", "Spend", summary.cost_usd, "usd"),
            Metric("calls", "Calls", summary.calls, "int"),
            Metric("cost_per_call", "Cost per call", summary.cost_per_call_usd, "usd_small"),
            Metric("fallback_calls", "Calls that fell back", summary.fallback_calls, "int"),
            Metric("fallback_cost", "Cost of fallbacks", summary.fallback_cost_usd, "usd"),
            Metric("retries", "Retries", summary.retries, "int"),
            Metric(
                "escalated_runs",
                "Generated-test jobs escalated to the full model",
                sum(r.escalated_runs for r in runs),
                "int",
                note="the mini model's tests failed in CI",
            ),
        ],
        charts=[
            charts.spend_stacked_chart(
                points=trend, start=filters.start, end=filters.end, stack_by=stack_by
            ),
            charts.cost_percentiles_chart(rows=percentiles),
            charts.fallbacks_chart(points=fallbacks, start=filters.start, end=filters.end),
        ],
        tables=[
            Table(
                "spend_by_day",
                f"Spend per day and {label.lower()}",
                [("day", "Day"), ("key", label), ("calls", "Calls"), ("cost_usd", "Cost (USD)")],
                table_rows(trend, ["day", "key", "calls", "cost_usd"]),
            ),
            Table(
                "cost_per_call",
                "Cost per call by model",
                [
                    ("model", "Model"),
                    ("calls", "Priced calls"),
                    ("mean_usd", "Mean (USD)"),
                    ("p50_usd", "p50 (USD)"),
                    ("p95_usd", "p95 (USD)"),
                    ("max_usd", "Max (USD)"),
                ],
                table_rows(
                    percentiles, ["model", "calls", "mean_usd", "p50_usd", "p95_usd", "max_usd"]
                ),
                note="p50 and p95 are read from a log-spaced histogram, exact to within 13 %; the max is exact. "
                "Follows the time range, team and model filters only.",
            ),
            Table(
                "top_clients",
                "Top clients",
                [
                    ("client", "Client"),
                    ("team", "Team"),
                    ("calls", "Calls"),
                    ("cost_usd", "Cost (USD)"),
                ],
                table_rows(clients, ["client", "team", "calls", "cost_usd"]),
            ),
            Table(
                "top_repos",
                "Top repositories",
                [("repo", "Repository"), ("calls", "Calls"), ("cost_usd", "Cost (USD)")],
                table_rows(repos, ["repo", "calls", "cost_usd"]),
                note="Repositories follow the time range and team filters only.",
            ),
            Table(
                "fallbacks_by_day",
                "Fallbacks per day",
                [
                    ("day", "Day"),
                    ("model", "Serving model"),
                    ("fallback_calls", "Fell back"),
                    ("fallback_cost_usd", "Their cost (USD)"),
                ],
                table_rows(fallbacks, ["day", "model", "fallback_calls", "fallback_cost_usd"]),
            ),
            Table(
                "fallbacks_by_model",
                "Fallbacks by serving model",
                [
                    ("model", "Model"),
                    ("fallback_calls", "Fell back"),
                    ("fallback_cost_usd", "Their cost (USD)"),
                    ("calls", "All calls"),
                ],
                table_rows(
                    [m for m in by_model if m.fallback_calls],
                    ["model", "fallback_calls", "fallback_cost_usd", "calls"],
                ),
            ),
        ],
    )

"""The Quality page: generated-test pass rates, mini versus full model, open quality alerts."""

from __future__ import annotations

from decimal import Decimal

from governance.dashboard import charts, selectors
from governance.dashboard.reports.base import Metric, Page, Table, pct, pp
from governance.dashboard.selectors import RollupFilter
from governance.quality import selectors as quality


def _pct_of(rate: float | None) -> Decimal | None:
    # Rates come from the quality app as floats in [0, 1]; shown as percentages.
    # (+ 0 turns a rounded -0.0 into 0.0)
    return None if rate is None else Decimal(str(round(rate * 100, 1))) + 0


def quality_page(*, filters: RollupFilter) -> Page:
    """Pass rates over time with their interval, mini vs full per task type,
    cost per passing test, open alerts. Reads the quality app's selectors."""

    scope = selectors.quality_scope(filters=filters)
    by_day = quality.pass_rates(group_by=("model", "day"), **scope)
    by_model = quality.pass_rates(group_by=("model",), **scope)
    comparisons = quality.model_comparisons(
        start=scope["start"], end=scope["end"], team_id=scope["team_id"]
    )
    alerts = quality.quality_alerts(team_id=scope["team_id"], state="open", limit=50)
    series: dict[str, list] = {}
    for row in by_day:
        series.setdefault(row.model or "", []).append(row)
    passed = sum(r.passed for r in by_model)
    executed = sum(r.executed for r in by_model)
    return Page(
        key="quality",
        title="Quality",
        metrics=[
            Metric("pass_rate_pct", "Generated-test pass rate", pct(passed, executed), "pct"),
            Metric("executed_tests", "Tests run", executed, "int"),
            Metric("runs", "Test runs", sum(r.runs for r in by_model), "int"),
            Metric("escalated_runs", "Runs escalated to the full model", sum(r.escalated_runs for r in by_model), "int"),
            Metric("open_alerts", "Open quality alerts", len(alerts), "int"),
        ],
        charts=[
            charts.pass_rate_chart(series=series, start=filters.start, end=filters.end),
            charts.cost_per_passing_chart(rows=by_model),
        ],
        tables=[
            Table(
                "comparisons",
                "Mini vs full model, per task type",
                [("task_type", "Task type"), ("mini", "Mini"), ("mini_rate", "Mini pass rate (%)"), ("full", "Full"),
                 ("full_rate", "Full pass rate (%)"), ("difference_pp", "Difference (pp)"),
                 ("ci_low_pp", "95 % low (pp)"), ("ci_high_pp", "95 % high (pp)"), ("verdict", "Verdict")],
                [
                    {"task_type": c.task_type, "mini": c.mini.model, "mini_rate": _pct_of(c.mini.pass_rate),
                     "full": c.full.model, "full_rate": _pct_of(c.full.pass_rate),
                     "difference_pp": pp(c.difference_pp), "ci_low_pp": pp(c.difference_ci_low_pp),
                     "ci_high_pp": pp(c.difference_ci_high_pp), "verdict": c.verdict_text}
                    for c in comparisons
                ],
                note="Difference = mini minus full, in percentage points, with its 95 % interval.",
            ),
            Table(
                "by_model",
                "Pass rate and cost per passing test, by model",
                [("model", "Model"), ("runs", "Runs"), ("executed", "Tests run"), ("passed", "Passed"),
                 ("pass_rate", "Pass rate (%)"), ("cost_usd", "Cost of linked calls (USD)"),
                 ("cost_per_passing_test_usd", "Per passing test (USD)")],
                [
                    {"model": r.model, "runs": r.runs, "executed": r.executed, "passed": r.passed,
                     "pass_rate": _pct_of(r.pass_rate), "cost_usd": r.cost_usd,
                     "cost_per_passing_test_usd": r.cost_per_passing_test_usd}
                    for r in by_model
                ],
            ),
            Table(
                "pass_rate_by_day",
                "Pass rate per day and model",
                [("day", "Day"), ("model", "Model"), ("executed", "Tests run"), ("pass_rate", "Pass rate (%)"),
                 ("ci_low", "95 % low (%)"), ("ci_high", "95 % high (%)")],
                [
                    {"day": r.day, "model": r.model, "executed": r.executed, "pass_rate": _pct_of(r.pass_rate),
                     "ci_low": _pct_of(r.ci_low), "ci_high": _pct_of(r.ci_high)}
                    for r in by_day
                ],
            ),
            Table(
                "alerts",
                "Open quality alerts",
                [("raised_at", "Raised"), ("team", "Team"), ("model", "Model"), ("task_type", "Task type"),
                 ("baseline_rate", "Baseline (%)"), ("recent_rate", "Recent (%)"), ("drop_pp", "Drop (pp)")],
                [
                    {"raised_at": a.raised_at.strftime("%Y-%m-%d %H:%M"), "team": a.team, "model": a.model,
                     "task_type": a.task_type, "baseline_rate": _pct_of(a.baseline_rate),
                     "recent_rate": _pct_of(a.recent_rate), "drop_pp": pp(a.drop_pp)}
                    for a in alerts
                ],
            ),
        ],
    )  # fmt: skip

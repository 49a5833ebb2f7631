"""What each dashboard page shows, assembled from selectors.

A page is a list of headline metrics, charts and tables. The HTML page, its
CSV exports and the JSON API all render the same `Page`, so the numbers a
manager reads, downloads and fetches are the same numbers by construction
(and a test checks it).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from governance.advisor import present as advisor_present
from governance.advisor import selectors as advisor
from governance.budgets import selectors as budgets
from governance.dashboard import charts, selectors
from governance.dashboard.selectors import RollupFilter
from governance.policies.selectors import model_health_list
from governance.quality import selectors as quality


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    value: Decimal | int | None
    kind: str = "int"  # "usd", "usd_small", "int", "pct"
    href: str = ""
    note: str = ""


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: list[tuple[str, str]]
    rows: list[dict[str, Any]]
    note: str = ""
    # A link at the end of each row that has an "_href" (not part of the
    # data: the CSV and the API leave it out).
    row_action: str = ""


@dataclass
class Page:
    key: str
    title: str
    metrics: list[Metric] = field(default_factory=list)
    charts: list[charts.Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)


def _rows(items: list[Any], keys: list[str]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        data = asdict(item)
        out.append({k: data[k] for k in keys})
    return out


def _pct(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _same_period_last_month(today: date) -> tuple[date, date]:
    last_month_end = _month_start(today) - timedelta(days=1)
    start = _month_start(last_month_end)
    day = min(today.day, calendar.monthrange(start.year, start.month)[1])
    return start, start.replace(day=day)


# ---------------------------------------------------------------- pages


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
    budget_states = _budget_statuses(filters=filters)
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
            _pct(mini_calls, range_sum.calls),
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
            _pct(passed, executed),
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
                _rows(
                    by_model,
                    ["model", "tier", "calls", "cost_usd", "fallback_calls", "fallback_cost_usd"],
                ),
            ),
            Table(
                "spend_by_day",
                "Spend per day and model",
                [("day", "Day"), ("key", "Model"), ("calls", "Calls"), ("cost_usd", "Cost (USD)")],
                _rows(trend, ["day", "key", "calls", "cost_usd"]),
            ),
        ],
    )


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
                _rows(trend, ["day", "key", "calls", "cost_usd"]),
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
                _rows(percentiles, ["model", "calls", "mean_usd", "p50_usd", "p95_usd", "max_usd"]),
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
                _rows(clients, ["client", "team", "calls", "cost_usd"]),
            ),
            Table(
                "top_repos",
                "Top repositories",
                [("repo", "Repository"), ("calls", "Calls"), ("cost_usd", "Cost (USD)")],
                _rows(repos, ["repo", "calls", "cost_usd"]),
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
                _rows(fallbacks, ["day", "model", "fallback_calls", "fallback_cost_usd"]),
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
                _rows(
                    [m for m in by_model if m.fallback_calls],
                    ["model", "fallback_calls", "fallback_cost_usd", "calls"],
                ),
            ),
        ],
    )


def savings_page(
    *, filters: RollupFilter, draft_policy_url: str = "", advisor_urls: dict[str, str] | None = None
) -> Page:
    """Queries: catalog siblings, price book freshness, roll-up tokens; 3 for
    the quality comparison (runs, linked calls, catalog)."""

    savings = selectors.savings_summary(filters=filters)
    scope = selectors.quality_scope(filters=filters)
    compared = {
        (c.task_type, c.mini.model, c.full.model): c
        for c in quality.model_comparisons(
            start=scope["start"], end=scope["end"], team_id=scope["team_id"]
        )
    }
    move_rows = []
    for m in savings.moves:
        c = compared.get((m.task_type, m.mini, m.full))
        move_rows.append(
            {
                **_rows([m], ["task_type", "full", "mini", "calls", "cost_usd", "cost_at_mini_rate_usd",
                              "monthly_saving_usd"])[0],
                "pass_change_pp": _pp(c.difference_pp) if c else None,
                "pass_ci_low_pp": _pp(c.difference_ci_low_pp) if c else None,
                "pass_ci_high_pp": _pp(c.difference_ci_high_pp) if c else None,
                "verdict": c.verdict_text if c else "no test runs to compare",
                **({"_href": draft_policy_url + "?" + urlencode(
                    {"move_to_mini": m.task_type, "mini": m.mini, "full": m.full}
                )} if draft_policy_url else {}),
            }
        )  # fmt: skip
    monthly = sum(
        (m.monthly_saving_usd for m in savings.moves if m.monthly_saving_usd > 0), Decimal(0)
    )
    page = Page(
        key="savings",
        title="Savings",
        metrics=[
            Metric(
                "saved",
                "Saved by mini models",
                savings.saved_usd.quantize(Decimal("0.01")),
                "usd",
                note="mini-model calls priced at the full model's rate, minus what they cost",
            ),
            Metric(
                "mini_calls", "Calls on mini models", sum(a.calls for a in savings.achieved), "int"
            ),
            Metric(
                "potential_monthly",
                "Further monthly saving available",
                monthly,
                "usd",
                note="if every task type below moved to the mini model",
            ),
        ],
        charts=[
            charts.savings_chart(achieved=savings.achieved),
            charts.moves_chart(moves=savings.moves),
        ],
        tables=[
            Table(
                "achieved",
                "Saved so far",
                [
                    ("mini", "Mini model"),
                    ("full", "Measured against"),
                    ("calls", "Calls"),
                    ("cost_usd", "Cost (USD)"),
                    ("cost_at_full_rate_usd", "At the full rate (USD)"),
                    ("saved_usd", "Saved (USD)"),
                ],
                _rows(
                    savings.achieved,
                    ["mini", "full", "calls", "cost_usd", "cost_at_full_rate_usd", "saved_usd"],
                ),
            ),
            Table(
                "moves",
                "What moving each task type to the mini model would save",
                [
                    ("task_type", "Task type"),
                    ("full", "Now on"),
                    ("mini", "Would move to"),
                    ("calls", "Calls"),
                    ("cost_usd", "Cost (USD)"),
                    ("cost_at_mini_rate_usd", "At the mini rate (USD)"),
                    ("monthly_saving_usd", "Monthly saving (USD)"),
                    ("pass_change_pp", "Pass-rate change (pp)"),
                    ("pass_ci_low_pp", "95 % low (pp)"),
                    ("pass_ci_high_pp", "95 % high (pp)"),
                    ("verdict", "Generated tests say"),
                ],
                move_rows,
                note="Monthly saving: the saving over the selected days, scaled to 30 days. Pass-rate "
                "change: the mini model's pass rate on this task type minus the full model's, with its "
                "95 % interval, from the generated tests of the same days.",
                row_action="Draft this change" if draft_policy_url else "",
            ),
        ],
    )
    if draft_policy_url:
        page.actions.append({"label": "Draft a policy change", "href": draft_policy_url})
    _savings_plan_lead(page, filters=filters, advisor_urls=advisor_urls or {})
    return page


def _with_pilot_links(rows: list[dict], rec: Any, advisor_urls: dict[str, str]) -> list[dict]:
    if not advisor_urls.get("pilot"):
        return rows
    base = {"tolerance_pp": str(rec.tolerance_pp), **({"team": rec.team} if rec.team else {})}
    return [
        {**row, "_href": advisor_urls["pilot"] + "?" + urlencode(
            {**base, "task_type": row["task_type"], "option": row["option"]})}
        for row in rows
    ]  # fmt: skip


def _savings_plan_lead(page: Page, *, filters: RollupFilter, advisor_urls: dict[str, str]) -> None:
    """The routing advisor's recommended plan first on the Savings page."""
    rec = advisor.savings_recommendation(filters=filters)
    if rec is None:
        return
    totals = advisor_present.totals(rec)
    page.metrics[:0] = [
        Metric("plan_saving", "Recommended plan saves a month", totals["monthly_saving_usd"], "usd",
               note=f"within a {totals['tolerance_pp']} pp pass-rate tolerance"),
        Metric("plan_change", "Plan pass-rate change (pp)", totals["pass_change_pp"], "pp",
               note=f"one-sided 95 % lower bound {totals['pass_change_lower_bound_pp']} pp"),
        Metric("current_saving", "Current policy saves a month", totals["current_saving_usd"], "usd",
               note=f"pass-rate change {totals['current_change_pp']} pp"),
    ]  # fmt: skip
    page.tables[:0] = [
        Table("plan", "Recommended plan", advisor_present.PLAN_COLUMNS,
              advisor_present.plan_rows(rec), note=advisor_present.PLAN_NOTE),
        *([Table("needs_more_runs", "Too few runs to decide", advisor_present.THIN_COLUMNS,
                 _with_pilot_links(advisor_present.thin_rows(rec), rec, advisor_urls),
                 note="More runs of the option needed before its one-sided 95 % bound can say "
                 "whether it is within the tolerance; a pilot collects them.",
                 row_action="Offer a pilot" if advisor_urls.get("pilot") else "")]
          if rec.thin else []),
    ]  # fmt: skip
    if advisor_urls.get("draft"):
        fields = {"tolerance_pp": str(rec.tolerance_pp), "days": str(filters.days)}
        if rec.team:
            fields["team"] = rec.team
        page.actions.insert(
            0, {"label": "Draft this plan", "href": advisor_urls["draft"], "method": "post",
                "id": "draft-plan", "fields": fields},
        )  # fmt: skip
    if advisor_urls.get("tolerance"):
        page.actions.append(
            {"label": "Set the quality tolerance", "href": advisor_urls["tolerance"]}
        )


def _pct_of(rate: float | None) -> Decimal | None:
    # Rates come from the quality app as floats in [0, 1]; shown as percentages.
    # (+ 0 turns a rounded -0.0 into 0.0)
    return None if rate is None else Decimal(str(round(rate * 100, 1))) + 0


def _pp(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 1))) + 0


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
            Metric("pass_rate_pct", "Generated-test pass rate", _pct(passed, executed), "pct"),
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
                     "difference_pp": _pp(c.difference_pp), "ci_low_pp": _pp(c.difference_ci_low_pp),
                     "ci_high_pp": _pp(c.difference_ci_high_pp), "verdict": c.verdict_text}
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
                     "recent_rate": _pct_of(a.recent_rate), "drop_pp": _pp(a.drop_pp)}
                    for a in alerts
                ],
            ),
        ],
    )  # fmt: skip


def _budget_statuses(*, filters: RollupFilter) -> list:
    """This period's status of each budget of the filter's teams (all teams:
    every budget). Two queries: the budgets, and their spend."""
    from django.utils import timezone

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

    statuses = _budget_statuses(filters=filters)
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

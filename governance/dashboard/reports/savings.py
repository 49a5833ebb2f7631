"""The Savings page: what mini models saved, what moving more task types would save, the advisor's plan."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from governance.advisor import present as advisor_present
from governance.advisor import selectors as advisor
from governance.dashboard import charts, selectors
from governance.dashboard.reports.base import Metric, Page, Table, pp, table_rows
from governance.dashboard.selectors import RollupFilter
from governance.quality import selectors as quality


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
                **table_rows([m], ["task_type", "full", "mini", "calls", "cost_usd", "cost_at_mini_rate_usd",
                              "monthly_saving_usd"])[0],
                "pass_change_pp": pp(c.difference_pp) if c else None,
                "pass_ci_low_pp": pp(c.difference_ci_low_pp) if c else None,
                "pass_ci_high_pp": pp(c.difference_ci_high_pp) if c else None,
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
                table_rows(
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

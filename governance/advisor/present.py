"""The recommendation as rows: one shape for the Savings page, its CSV and
`GET /api/v1/recommendations`, so the three show the same numbers."""

from __future__ import annotations

from decimal import Decimal

from governance.advisor.selectors import OPTION_LABELS, Recommendation


def pp(fraction: float | None) -> Decimal | None:
    """A fraction as percentage points, two decimals (+ 0 turns -0.00 into 0.00)."""
    if fraction is None:
        return None
    return Decimal(str(round(fraction * 100, 2))).quantize(Decimal("0.01")) + 0


def plan_rows(rec: Recommendation) -> list[dict]:
    rows = []
    for r in rec.rows:
        o, t = r.chosen, r.task
        rows.append(
            {
                "task_type": r.task_type,
                "option": o.option,
                "option_label": OPTION_LABELS[o.option],
                "model": o.model,
                "escalate_to": t.full if o.option == "mini_escalate" else None,
                "monthly_jobs": t.monthly_jobs,
                "monthly_saving_usd": o.monthly_saving_usd,
                "pass_change_pp": pp(o.change),
                "pass_change_low_pp": pp(o.change_low),
                "pass_change_high_pp": pp(o.change_high),
                "escalation_rate": None
                if o.escalation_rate is None
                else round(o.escalation_rate, 4),
                "note": o.note,
                "current_mini_share": round(t.current_mini_share, 4),
                "current_monthly_cost_usd": t.current_monthly_cost_usd,
                "current_saving_usd": t.current_saving_usd,
                "current_change_pp": pp(t.current_change),
            }
        )
    return rows


def thin_rows(rec: Recommendation) -> list[dict]:
    return [
        {
            "task_type": t.task_type,
            "option": o.option,
            "option_label": OPTION_LABELS[o.option],
            "runs": o.runs,
            "runs_needed": o.runs_needed,
            "pass_change_pp": pp(o.change),
            "pass_change_low_pp": pp(o.change_low),
            "pass_change_high_pp": pp(o.change_high),
        }
        for t, o in rec.thin
    ]


def totals(rec: Recommendation) -> dict:
    return {
        "tolerance_pp": rec.tolerance_pp,
        "monthly_saving_usd": rec.monthly_saving_usd,
        "pass_change_pp": pp(rec.change),
        "pass_change_lower_bound_pp": pp(rec.change_lower_bound),
        "bound": "one-sided 95 % lower bound (z = 1.645) of the traffic-weighted change",
        "current_monthly_cost_usd": rec.current_monthly_cost_usd,
        "current_saving_usd": rec.current_saving_usd,
        "current_change_pp": pp(rec.current_change),
    }


def _plain(value):
    """Money and points as exact strings (JSON floats would round them)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def recommendation_document(rec: Recommendation) -> dict:
    return _plain(
        {
            "start": rec.start.isoformat(),
            "end": rec.end.isoformat(),
            "team": rec.team,
            **totals(rec),
            "plan": plan_rows(rec),
            "needs_more_runs": thin_rows(rec),
        }
    )


# The Savings page's plan table: (key of `plan_rows`, label).
PLAN_COLUMNS = [
    ("task_type", "Task type"),
    ("option_label", "Recommended"),
    ("model", "Model"),
    ("escalate_to", "Escalates to"),
    ("monthly_jobs", "Jobs a month"),
    ("monthly_saving_usd", "Monthly saving (USD)"),
    ("pass_change_pp", "Pass-rate change (pp)"),
    ("pass_change_low_pp", "95 % low (pp)"),
    ("pass_change_high_pp", "95 % high (pp)"),
    ("current_monthly_cost_usd", "Now: monthly cost (USD)"),
    ("current_saving_usd", "Now: monthly saving (USD)"),
    ("current_change_pp", "Now: pass-rate change (pp)"),
    ("note", "Note"),
]
THIN_COLUMNS = [
    ("task_type", "Task type"),
    ("option_label", "Option"),
    ("runs", "Runs so far"),
    ("runs_needed", "More runs needed"),
    ("pass_change_pp", "Pass-rate change (pp)"),
    ("pass_change_low_pp", "95 % low (pp)"),
    ("pass_change_high_pp", "95 % high (pp)"),
]
PLAN_NOTE = (
    "Savings and pass-rate changes are against keeping the task type on the full model. The plan "
    "maximises the monthly saving while the one-sided 95 % lower bound (z = 1.645) of its "
    "traffic-weighted pass-rate change stays within the tolerance; the interval per row is the "
    'two-sided 95 % interval of that row\'s change. "Now" is the current mix of models.'
)
